"""What the published plan's page in the Dagster UI says about each agency."""

from __future__ import annotations

from workbooks import write_xlsx

H = ["ลำดับ", "ชื่อโครงการ", "จังหวัด", "งบประมาณ (บาท)"]


def _year(be: int) -> list:
    return [f"ประจำปีงบประมาณ พ.ศ. {be}"]


def test_every_agency_is_listed_for_every_fiscal_year(paths):
    from stiplan.assets.plan import status_table
    from stiplan.run import run_inbox

    write_xlsx(paths.inbox / "NSTDA_2555.xlsx", {"s": ([_year(2555), H], [[1, "ก", "ตาก", 100]])})
    write_xlsx(paths.inbox / "NIA_2556.xlsx", {"s": ([_year(2556), H], [[1, "ข", "ตาก", 5]])})
    (paths.inbox / "DSS_2556.xlsx").write_bytes(b"not a workbook")
    assert run_inbox(outputs=False, paths=paths).published
    lines = status_table(paths.plan).splitlines()[2:]
    by_year = {}
    for line in lines:
        cells = [c.strip() for c in line.strip("|").split("|")]
        by_year.setdefault(cells[1], {})[cells[0]] = cells
    assert sorted(by_year) == ["2555", "2556"]
    assert all(len(agencies) == 16 for agencies in by_year.values())
    assert by_year["2555"]["NSTDA"][3] == "NSTDA_2555.xlsx"
    assert by_year["2556"]["NSTDA"][3] == "not yet submitted"  # sent 2555 only
    assert by_year["2556"]["NIA"][3] == "NIA_2556.xlsx"
    assert by_year["2556"]["DSS"][2:4] == ["1", "rejected"]
    assert sum(row[3] == "not yet submitted" for row in by_year["2556"].values()) == 14
