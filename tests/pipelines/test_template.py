"""The blank submission workbook (`stiplan template`): its layout, its dropdowns, and a
round trip through the real pipeline with zero problems."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from decimal import Decimal

import duckdb
import openpyxl
import pytest

from stiplan.assets.ingest.agencies import match_agency
from stiplan.schemas.reference import AGENCIES, PROVINCES
from stiplan.template import (
    agency_title,
    current_fiscal_year_be,
    resolve_agency,
    write_template,
)

HEADER = [
    "ลำดับ",
    "ชื่อโครงการ",
    "จังหวัด",
    "งบประมาณ (บาท)",
    "ยุทธศาสตร์",
    "กลุ่มเป้าหมาย",
    "วันเริ่มต้น",
    "วันสิ้นสุด",
    "ผู้รับผิดชอบ",
    "โทรศัพท์",
    "หมายเหตุ",
]
TITLE = "แผนบูรณาการงานด้านวิทยาศาสตร์ เทคโนโลยี และนวัตกรรมกับจังหวัด ประจำปีงบประมาณ พ.ศ. 2555"


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    path = tmp_path_factory.mktemp("template") / "NSTDA_2555.xlsx"
    assert write_template("NSTDA", 2555, path) == path
    return path


def test_sheets_titles_header_and_layout(template):
    wb = openpyxl.load_workbook(template)
    assert wb.sheetnames == ["คำชี้แจง", "โครงการ", "รายการ"]
    assert wb["คำชี้แจง"].sheet_state == "visible"
    assert wb["โครงการ"].sheet_state == "visible"
    assert wb["รายการ"].sheet_state == "hidden"
    ws = wb["โครงการ"]
    assert ws["A1"].value == TITLE
    assert ws["A2"].value == "หน่วยงาน: สวทช. (สำนักงานพัฒนาวิทยาศาสตร์และเทคโนโลยีแห่งชาติ)"
    assert [c.value for c in ws[4]] == HEADER
    assert ws.freeze_panes == "C5"
    assert "A1:K1" in {str(r) for r in ws.merged_cells.ranges}
    for ref in ("A1", "A2", "B4", "B5", "D504", "K504"):
        assert ws[ref].font.name == "TH Sarabun New", ref
    assert ws["B5"].font.sz == 14
    for ref in ("D5", "D250", "D504"):
        assert ws[ref].number_format == "#,##0.00"
    for ref in ("G5", "H5", "G504", "H504"):
        assert ws[ref].number_format == "dd/mm/yyyy"
    assert ws.column_dimensions["B"].width > ws.column_dimensions["A"].width
    # Nothing below the header has a value: stiplan must see an empty table.
    assert all(c.value is None for row in ws.iter_rows(min_row=5) for c in row)
    # The instructions explain provinces, nationwide, baht, dates and the file name.
    text = "\n".join(str(c.value) for row in wb["คำชี้แจง"].iter_rows() for c in row if c.value)
    for phrase in (
        "ทั่วประเทศ",
        "จุลภาค",
        "บาท",
        "ไม่ใช่ล้านบาท",
        "1/10/2554",
        "NSTDA_2555.xlsx",
        "หนึ่งไฟล์ต่อหนึ่งหน่วยงานต่อหนึ่งปีงบประมาณ",
        "comma",
        "nationwide",
    ):
        assert phrase in text, phrase


def test_hidden_list_sheet_holds_77_provinces_and_nationwide(template):
    ws = openpyxl.load_workbook(template)["รายการ"]
    names = [c.value for c in ws["A"][1:] if c.value]
    assert len(names) == 78 == len(set(names))
    assert names[0] == "ทั่วประเทศ"
    assert set(names[1:]) == {p.name_th for p in PROVINCES}
    strategies = [c.value for c in ws["B"][1:] if c.value]
    assert len(strategies) >= 3


def test_validations_ranges_and_warning_style(template):
    ws = openpyxl.load_workbook(template)["โครงการ"]
    by_range = {str(dv.sqref): dv for dv in ws.data_validations.dataValidation}
    province = by_range["C5:C504"]
    assert province.type == "list"
    assert province.formula1 == "'รายการ'!$A$2:$A$79"
    assert province.errorStyle == "warning"  # several provinces as text: warn, never refuse
    assert province.showErrorMessage and "จุลภาค" in province.error and "comma" in province.error
    assert province.allow_blank
    strategy = by_range["E5:E504"]
    assert strategy.type == "list" and strategy.errorStyle == "warning"
    assert strategy.formula1.startswith("'รายการ'!$B$2:$B$")
    budget = by_range["D5:D504"]
    assert budget.type == "decimal" and budget.operator == "greaterThanOrEqual"
    assert budget.errorStyle == "warning"
    dates = by_range["G5:G504 H5:H504"]
    assert dates.type == "date" and dates.errorStyle == "warning"
    assert all(dv.errorStyle == "warning" for dv in by_range.values())


def test_title_rows_name_every_agency_and_the_year():
    from stiplan.assets.ingest.values import fiscal_year_from_text

    for a in AGENCIES:
        assert match_agency(agency_title(a)) == a.code, a.code
        assert resolve_agency(a.code) is resolve_agency(a.abbr_th or a.name_th)
    assert fiscal_year_from_text(TITLE) == 2555


def test_blank_template_routes_with_no_rows(tmp_path):
    from stiplan.assets.ingest.parse import find_table
    from stiplan.assets.ingest.route import identify
    from stiplan.assets.ingest.workbook import read_workbook

    path = write_template("สำนักงานรัฐมนตรี", 2556, tmp_path / "x.xlsx")  # no abbreviation
    sheets = read_workbook(path)
    ident = identify("x.xlsx", sheets)
    assert (ident.agency_code, ident.fiscal_year, ident.reason_code) == ("OMIN", 2556, None)
    tables = {s.name: find_table(s)[0] for s in sheets}
    assert tables["คำชี้แจง"] is None and tables["รายการ"] is None
    assert tables["โครงการ"].header_index == 3 and tables["โครงการ"].multiplier == 1


def test_current_fiscal_year_starts_in_october():
    assert current_fiscal_year_be(dt.date(2011, 9, 30)) == 2554
    assert current_fiscal_year_be(dt.date(2011, 10, 1)) == 2555
    assert current_fiscal_year_be(dt.date(2012, 1, 15)) == 2555


D = Decimal
# (seq, name, provinces, budget, strategy, target, start, end, contact, phone, remarks)
FILLED = [
    (
        1,
        "โครงการถ่ายทอดเทคโนโลยีการผลิตข้าวพันธุ์ทนน้ำท่วม",
        "เชียงใหม่",
        1250000.5,
        "ยุทธศาสตร์ที่ 2 วิทยาศาสตร์ เทคโนโลยีและนวัตกรรมเพื่อเศรษฐกิจชุมชนและคุณภาพชีวิต",
        "เกษตรกร",
        dt.date(2011, 10, 1),
        dt.date(2012, 9, 30),
        "นายสมชาย ใจดี",
        "02-564-7000 ต่อ 1234",
        None,
    ),
    (
        2,
        "โครงการโรงเรือนปลูกผักอัจฉริยะ กลุ่มจังหวัดภาคเหนือตอนบน 1",
        "เชียงใหม่, ลำพูน, ลำปาง",
        3000000,
        "ยุทธศาสตร์ของหน่วยงานเอง (พิมพ์เอง)",
        "วิสาหกิจชุมชน",
        dt.date(2011, 11, 15),
        dt.date(2012, 6, 30),
        None,
        None,
        "ต่อเนื่องจากปี 2554",
    ),
    (
        3,
        "โครงการค่ายวิทยาศาสตร์สำหรับเยาวชน",
        "ทั่วประเทศ",
        875000.25,
        None,
        "นักเรียน",
        dt.date(2555, 1, 1),
        dt.date(2555, 3, 31),
        None,
        None,
        None,
    ),  # BE typed as Excel dates
    (
        4,
        "โครงการเทคโนโลยีชีวภาพเพื่อชุมชน",
        "กรุงเทพมหานคร, นนทบุรี,ปทุมธานี",
        450000,
        None,
        None,
        None,
        None,
        None,
        None,
        None,
    ),
    (
        5,
        "โครงการระบบน้ำหยดพลังงานแสงอาทิตย์",
        "ขอนแก่น",
        99.99,
        None,
        None,
        dt.date(2012, 2, 1),
        dt.date(2012, 2, 1),
        None,
        None,
        None,
    ),
]
EXPECTED = {  # name -> (province codes, budget, nationwide, start, end)
    FILLED[0][1]: ({"TH-50"}, D("1250000.50"), False, dt.date(2011, 10, 1), dt.date(2012, 9, 30)),
    FILLED[1][1]: (
        {"TH-50", "TH-51", "TH-52"},
        D("3000000.00"),
        False,
        dt.date(2011, 11, 15),
        dt.date(2012, 6, 30),
    ),
    FILLED[2][1]: (set(), D("875000.25"), True, dt.date(2012, 1, 1), dt.date(2012, 3, 31)),
    FILLED[3][1]: ({"TH-10", "TH-12", "TH-13"}, D("450000.00"), False, None, None),
    FILLED[4][1]: ({"TH-40"}, D("99.99"), False, dt.date(2012, 2, 1), dt.date(2012, 2, 1)),
}


def test_filled_template_round_trips_through_the_pipeline_with_zero_problems(tmp_path, monkeypatch):
    inbox, warehouse = tmp_path / "inbox", tmp_path / "warehouse"
    inbox.mkdir()
    monkeypatch.setenv("STIPLAN_INBOX", str(inbox))
    monkeypatch.setenv("STIPLAN_WAREHOUSE", str(warehouse))
    monkeypatch.delenv("DAGSTER_HOME", raising=False)

    path = write_template("สวทช.", 2555, tmp_path / "blank.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb["โครงการ"]
    for i, row in enumerate(FILLED):
        for j, value in enumerate(row, start=1):
            ws.cell(row=5 + i, column=j, value=value)
    wb.save(inbox / "NSTDA_2555.xlsx")

    from stiplan.run import run_inbox

    summary = run_inbox(outputs=False)
    assert summary.published and not summary.failed_checks

    con = duckdb.connect(str(warehouse / "plan.duckdb"), read_only=True)
    try:
        subs = con.execute(
            "SELECT submission_id, agency_code, fiscal_year, status FROM submissions"
        ).fetchall()
        assert [s[1:] for s in subs] == [("NSTDA", 2555, "current")]
        sid = subs[0][0]
        problems = con.execute(
            "SELECT * FROM row_problems WHERE submission_id = ?", [sid]
        ).fetchall()
        assert problems == []
        rows = con.execute(
            "SELECT sheet, row_number, outcome FROM source_rows "
            "WHERE submission_id = ? ORDER BY row_number",
            [sid],
        ).fetchall()
        assert rows == [("โครงการ", 5 + i, "accepted") for i in range(len(FILLED))]
        projects = con.execute("""
            SELECT p.project_name, p.agency_code, p.fiscal_year, p.budget_baht, p.nationwide,
                   p.start_date, p.end_date, p.strategy, p.target_group,
                   list_sort(list(pp.province_code) FILTER (WHERE pp.province_code IS NOT NULL))
            FROM projects p LEFT JOIN project_provinces pp USING (project_id)
            GROUP BY ALL""").fetchall()
        got = {r[0]: (set(r[9] or []), r[3], r[4], r[5], r[6]) for r in projects}
        assert got == EXPECTED
        assert {(r[1], r[2]) for r in projects} == {("NSTDA", 2555)}
        by_name = {r[0]: r for r in projects}
        assert by_name[FILLED[0][1]][7] == FILLED[0][4]
        assert by_name[FILLED[1][1]][7] == "ยุทธศาสตร์ของหน่วยงานเอง (พิมพ์เอง)"
        assert by_name[FILLED[0][1]][8] == "เกษตรกร"
        total = con.execute("SELECT sum(budget_baht) FROM projects").fetchone()[0]
        assert total == sum(v[1] for v in EXPECTED.values())
    finally:
        con.close()


def _cli(*args, cwd=None):
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
    return subprocess.run(
        [sys.executable, "-m", "stiplan.cli", "template", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_cli_writes_the_template(tmp_path):
    from stiplan.assets.ingest.route import identify
    from stiplan.assets.ingest.workbook import read_workbook

    out = tmp_path / "out" / "สวทช_2555.xlsx"
    proc = _cli("สวทช", "--year", "2555", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == str(out)
    ident = identify(out.name, read_workbook(out))
    assert (ident.agency_code, ident.fiscal_year, ident.reason_code) == ("NSTDA", 2555, None)


def test_cli_default_name_in_working_folder(tmp_path):
    proc = _cli("DSS", "--year", "2556", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "DSS_2556.xlsx").is_file()
    assert proc.stdout.strip() == str(tmp_path / "DSS_2556.xlsx")
    wb = openpyxl.load_workbook(tmp_path / "DSS_2556.xlsx")
    assert wb["โครงการ"]["A2"].value == "หน่วยงาน: วศ. (กรมวิทยาศาสตร์บริการ)"
    assert wb["โครงการ"]["A1"].value.endswith("พ.ศ. 2556")


def test_cli_unknown_agency_exits_2(tmp_path):
    proc = _cli("กระทรวงการคลัง", "--year", "2555", cwd=tmp_path)
    assert proc.returncode == 2
    assert "unknown agency" in proc.stderr and "NSTDA" in proc.stderr
    assert list(tmp_path.iterdir()) == []


def test_the_fiscal_year_is_named_with_the_months_it_runs(tmp_path):
    """FY 2556 BE runs from October 2012 to September 2013 (it was called 2013-2014)."""
    import openpyxl

    from stiplan.template import INSTRUCTIONS_SHEET, write_template

    wb = openpyxl.load_workbook(write_template("NSTDA", 2556, tmp_path / "t.xlsx"))
    text = "\n".join(str(c.value) for row in wb[INSTRUCTIONS_SHEET].iter_rows() for c in row)
    assert "fiscal year 2556 BE (October 2012 to September 2013)" in text
    assert "2013-2014" not in text
