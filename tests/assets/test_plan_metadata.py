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


def test_the_published_plan_carries_its_summaries_per_fiscal_year(paths, monkeypatch, tmp_path):
    import dagster as dg

    from stiplan.run import run_inbox

    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    write_xlsx(
        paths.inbox / "NSTDA_2555.xlsx",
        {"s": ([_year(2555), H], [[1, "ก", "ตาก", 1_234_567.5], [2, "ข", "ทั่วประเทศ", 100]])},
    )
    write_xlsx(paths.inbox / "NIA_2556.xlsx", {"s": ([_year(2556), H], [[1, "ค", "น่าน", 7]])})
    assert run_inbox(outputs=False, paths=paths).published
    with dg.DagsterInstance.get() as instance:
        [record] = instance.fetch_materializations(dg.AssetKey("published_plan"), limit=1).records
    meta = record.asset_materialization.metadata
    assert meta["งบประมาณรวม / total budget"].value == "1.23 ล้านบาท (million baht)"
    regions = meta["2555 budget by region"].value.records
    by_label = {r.data["ภาค / region"]: r.data for r in regions}
    assert by_label["ภาคตะวันตก (West)"]["บาท / baht"] == "1,234,567.50"
    assert by_label["ภาคตะวันตก (West)"]["ล้านบาท / million baht"] == "1.23"
    assert by_label["ทั่วประเทศ (Nationwide)"]["โครงการ / projects"] == 1
    assert [r.data["หน่วยงาน / agency"] for r in meta["2556 budget by agency"].value.records] == [
        "สำนักงานนวัตกรรมแห่งชาติ (องค์การมหาชน) (NIA)"
    ]
    for year in (2555, 2556):
        status = meta[f"{year} submissions of the 16 agencies"].value.records
        assert len(status) == 16
    status_2556 = {r.data["หน่วยงาน / agency"]: r.data for r in status}
    assert status_2556["สนช. (NIA)"]["สถานะ / status"] == "ส่งแล้ว (current)"
    assert status_2556["สวทช. (NSTDA)"]["สถานะ / status"] == "ยังไม่ส่ง (not yet submitted)"
    assert {"2555 budget by cluster", "2555 budget by strategy"} <= set(meta)


def test_a_warning_check_says_warning_and_lists_its_rows(paths):
    from stiplan.assets.plan import _warning
    from stiplan.assets.runtime.database import read_only
    from stiplan.run import run_inbox

    write_xlsx(
        paths.inbox / "NIA_2555.xlsx",
        {"s": ([_year(2555), H], [[1, "ก", "ตาก", 0], [2, "ข", "ตาก", 5]])},
    )
    assert run_inbox(outputs=False, paths=paths).published  # a warning never blocks
    with read_only(paths.plan) as con:
        result = _warning(con, "no_zero_budgets")
        clean = _warning(con, "totals_match")
    assert not result.passed and result.description.startswith("warning: 1 row(s)")
    [row] = result.metadata["where"].value.records
    assert (row.data["file"], row.data["row"]) == ("NIA_2555.xlsx", 3)
    assert clean.passed and not clean.description.startswith("warning")


def test_a_strategy_the_ministry_has_not_is_a_warning_check_listing_its_row(paths):
    from stiplan.assets.plan import _warning
    from stiplan.assets.runtime.database import read_only
    from stiplan.run import run_inbox

    head = [*H, "ยุทธศาสตร์"]
    write_xlsx(
        paths.inbox / "NIA_2555.xlsx",
        {"s": ([_year(2555), head], [[1, "ก", "ตาก", 5, "S9"], [2, "ข", "ตาก", 5, "S2"]])},
    )
    assert run_inbox(outputs=False, paths=paths).published  # kept and published
    with read_only(paths.plan) as con:
        result = _warning(con, "strategies_are_the_ministrys")
    assert not result.passed and result.description.startswith("warning: 1 row(s)")
    [row] = result.metadata["where"].value.records
    assert (row.data["file"], row.data["row"]) == ("NIA_2555.xlsx", 3)
