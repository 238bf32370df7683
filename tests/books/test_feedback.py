"""Feedback workbooks, through the real pipeline: agency workbooks with mistakes
injected at known cells go in; the feedback must mark exactly those cells (no more,
no less), list each problem with its sheet, row, column and value, keep the agency's
values, show what a resubmission changed, confirm clean files, and explain rejected ones.

Every expected value is written by hand from what the test puts in the workbooks.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest
from openpyxl.comments import Comment
from workbooks import set_old_mtime

from stiplan.assets.books.feedback import (
    CHANGES_SHEET,
    ERROR_RGB,
    PROBLEMS_SHEET,
    RECEIPT_SHEET,
    REJECTED_SHEET,
    SUMMARY_LABEL,
    WARNING_RGB,
    write_feedback,
)
from stiplan.schemas.problems import PROBLEMS as REASONS

TITLE = "แผนบูรณาการงานด้านวิทยาศาสตร์ เทคโนโลยี และนวัตกรรมกับจังหวัด"
YEAR = "ประจำปีงบประมาณ พ.ศ. 2555"
H = ["ลำดับ", "ชื่อโครงการ", "จังหวัด", "งบประมาณ (บาท)", "ยุทธศาสตร์"]
HD = H + ["วันเริ่มต้น", "วันสิ้นสุด"]
OUR_SHEETS = {PROBLEMS_SHEET, CHANGES_SHEET, RECEIPT_SHEET, REJECTED_SHEET}

# file name -> list of (sheet, row, column, value as typed, code): every problem injected
INJECTED: dict[str, list[tuple[str | None, int | None, str | None, str | None, str]]] = {}
# file name -> {sheet: {(row, column number): value}}: every cell written
WRITTEN: dict[str, dict[str, dict[tuple[int, int], object]]] = {}


def place(
    sheets: dict[str, dict[tuple[int, int], object]],
    sheet: str,
    row: int,
    col: int,
    rows: list[list],
) -> None:
    """Rows of values with their top-left cell at (row, col), 1-based."""
    cells = sheets.setdefault(sheet, {})
    for i, values in enumerate(rows):
        for j, v in enumerate(values):
            if v is not None:
                cells[(row + i, col + j)] = v


def save_xlsx(
    path: Path,
    sheets: dict[str, dict[tuple[int, int], object]],
    comments: dict[tuple[str, str], str] | None = None,
    merged: tuple[str, ...] = (),
    hidden: tuple[str, ...] = (),
) -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, cells in sheets.items():
        ws = wb.create_sheet(name)
        for (r, c), v in cells.items():
            cell = ws.cell(row=r, column=c, value=v)
            if isinstance(v, str):
                cell.data_type = "s"  # "=นครลับแล" is text the agency typed, not a formula
        if name in hidden:
            ws.sheet_state = "hidden"
    for ref in merged:
        sheet, cells = ref.split("!")
        wb[sheet].merge_cells(cells)
    for (sheet, ref), text in (comments or {}).items():
        wb[sheet][ref].comment = Comment(text, "focal point")
    wb.save(path)
    WRITTEN[path.name] = sheets
    return path


def save_xls(path: Path, sheets: dict[str, dict[tuple[int, int], object]]) -> Path:
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    for name, cells in sheets.items():
        ws = book.add_sheet(name)
        for (r, c), v in cells.items():
            ws.write(r - 1, c - 1, v)
    book.save(str(path))
    WRITTEN[path.name] = sheets
    return path


def build_inbox(inbox: Path) -> None:
    # NIMT: many mistakes on the first sheet, one on a second sheet, one on a sheet whose
    # table starts at B5, an instructions sheet, and an agency comment on a bad cell.
    s: dict = {}
    place(s, "คำชี้แจง", 1, 1, [["กรอกโครงการในแผ่นงานถัดไป"], ["ห้ามแก้หัวตาราง"]])
    place(
        s,
        "โครงการ",
        1,
        1,
        [
            [YEAR],
            ["หน่วยงาน: มว."],
            HD,
            [
                1,
                "โครงการสอบเทียบเครื่องชั่ง",
                "ลำปาง",
                100000,
                "S1",
                dt.datetime(2011, 10, 1),
                dt.datetime(2012, 9, 30),
            ],
            [2, "โครงการงบศูนย์", "ลำปาง", 0, "S1"],  # D5
            [3, "โครงการมาตรวิทยาชุมชน", "ตาก", 20000, "S2"],
            [4, "โครงการงบติดลบ", "ลำปาง", -5, "S2"],  # D7
            [5, "โครงการวันที่ผิด", "ลำปาง", 10, None, "2012-05-01", "1 ต.ค. 2554"],  # G8
            [6, None, "ลำพูน", 5000, "S1"],  # B9
            [7, "โครงการภาคอีสาน", "ภาคอีสาน", 7000, "S1"],  # C10
            [8, None, "ภาคเหนือ", "abc", "S2"],  # B11 C11 D11
            [9, "โครงการจังหวัดสมมุติ", "=นครลับแล", 9000, "S2"],  # C12
            ["รวม", None, None, 120000, None],  # equals the rows taken: no warning
        ],
    )
    place(
        s,
        "ส่วนที่ 2",
        1,
        1,
        [
            H,
            [1, "โครงการห้องปฏิบัติการ", "ระยอง", 5000, None],
            [2, "โครงการตัวเลขผิด", "ระยอง", "หนึ่งแสน", None],
        ],
    )  # D3
    place(
        s,
        "ส่วนที่ 3",
        5,
        2,
        [H, [1, "โครงการศึกษาดูงาน", "ชลบุรี", 8000, None], [2, "โครงการไม่มีจังหวัด", None, 9000, None]],
    )  # D7
    save_xlsx(
        inbox / "NIMT_2555.xlsx",
        s,
        comments={("โครงการ", "D7"): "ตัวเลขจากกองคลัง"},
        merged=("โครงการ!A1:G1", "โครงการ!A2:G2"),
        hidden=("ส่วนที่ 2",),
    )
    INJECTED["NIMT_2555.xlsx"] = [
        ("โครงการ", 5, "D", "0", "budget_zero"),
        ("โครงการ", 7, "D", "-5", "budget_negative"),
        ("โครงการ", 8, "G", "1 ต.ค. 2554", "end_before_start"),
        ("โครงการ", 9, "B", None, "name_missing"),
        ("โครงการ", 10, "C", "ภาคอีสาน", "province_is_region"),
        ("โครงการ", 11, "B", None, "name_missing"),
        ("โครงการ", 11, "C", "ภาคเหนือ", "province_is_region"),
        ("โครงการ", 11, "D", "abc", "budget_not_number"),
        ("โครงการ", 12, "C", "=นครลับแล", "province_unknown"),
        ("ส่วนที่ 2", 3, "D", "หนึ่งแสน", "budget_not_number"),
        ("ส่วนที่ 3", 7, "D", None, "province_missing"),
    ]

    # TISTR: a legacy .xls whose table starts at B3 (calamine's range starts at row 3).
    s = {}
    place(
        s,
        "Sheet1",
        3,
        2,
        [
            [f"{TITLE} {YEAR}"],
            H,
            [1, "โครงการแปรรูปผลผลิตการเกษตร", "สุโขทัย", 450000.5, "S3"],
            [2, "โครงการงบติดลบ", "พิษณุโลก", -100, "S3"],  # E6
            [3, "โครงการจังหวัดผิด", "เมืองสมมุติ", 1000, "S3"],
        ],
    )  # D7
    save_xls(inbox / "TISTR_2555.xls", s)
    INJECTED["TISTR_2555.xls"] = [
        ("Sheet1", 6, "E", "-100", "budget_negative"),
        ("Sheet1", 7, "D", "เมืองสมมุติ", "province_unknown"),
    ]

    # NARIT: a clean table, but the file name says another year: a file-level warning,
    # listed, with no cell to mark.
    s = {}
    place(s, "s", 1, 1, [[YEAR], H, [1, "โครงการหอดูดาว", "ฉะเชิงเทรา", 5000000, None]])
    save_xlsx(inbox / "NARIT_2556.xlsx", s)
    INJECTED["NARIT_2556.xlsx"] = [
        (None, None, None, "NARIT_2556.xlsx: 2556", "filename_year_differs")
    ]

    # OAP: a LibreOffice .ods whose table starts at B3, with a zero budget (a warning).
    import pandas as pd

    s = {}
    place(
        s,
        "Sheet1",
        3,
        2,
        [
            [YEAR, None, None, None],
            H[:4],
            [1, "โครงการฉายรังสีผลไม้", "ราชบุรี", 0],  # E5
            [2, "โครงการตรวจวัดรังสี", "ชลบุรี", 250000],
        ],
    )
    grid = [[s["Sheet1"].get((r, c)) for c in range(2, 6)] for r in range(3, 7)]
    pd.DataFrame(grid).to_excel(
        inbox / "OAP_2555.ods", engine="odf", header=False, index=False, startrow=2, startcol=1
    )
    WRITTEN["OAP_2555.ods"] = s
    INJECTED["OAP_2555.ods"] = [("Sheet1", 5, "E", "0", "budget_zero")]

    # GISTDA: clean.
    s = {}
    place(
        s,
        "s",
        1,
        1,
        [
            [YEAR],
            H,
            [1, "โครงการแผนที่น้ำท่วม", "น่าน", 90000, None],
            [2, "โครงการแผนที่ชายฝั่ง", "สตูล", 80000.5, None],
        ],
    )
    save_xlsx(inbox / "GISTDA_2555.xlsx", s)
    INJECTED["GISTDA_2555.xlsx"] = []

    # HAII: version 1 (older), then version 2 that raises a budget, drops a project and
    # adds a row with an unknown province (rejected, so not a change).
    s = {}
    place(
        s,
        "s",
        1,
        1,
        [
            [YEAR],
            H,
            [1, "โครงการคลังข้อมูลน้ำชุมชน", "น่าน", 100000, None],
            [2, "โครงการพยากรณ์ฝน", "แพร่", 200000, None],
            [3, "โครงการที่จะถูกถอน", "ตาก", 300000, None],
        ],
    )
    set_old_mtime(save_xlsx(inbox / "HAII_2555.xlsx", s), days=10)
    INJECTED["HAII_2555.xlsx"] = []
    s = {}
    place(
        s,
        "s",
        1,
        1,
        [
            [YEAR],
            H,
            [1, "โครงการคลังข้อมูลน้ำชุมชน", "น่าน", 150000, None],
            [2, "โครงการพยากรณ์ฝน", "แพร่", 200000, None],
            [3, "โครงการเมืองใหม่", "เมืองสมมุติ", 1000, None],
        ],
    )  # C5
    save_xlsx(inbox / "HAII_2555_v2.xlsx", s)
    INJECTED["HAII_2555_v2.xlsx"] = [("s", 5, "C", "เมืองสมมุติ", "province_unknown")]

    # SLRI: a clean resubmission that adds a project.
    s = {}
    place(s, "s", 1, 1, [[YEAR], H, [1, "โครงการแสงซินโครตรอน", "นครราชสีมา", 1000000, None]])
    set_old_mtime(save_xlsx(inbox / "SLRI_2555.xlsx", s), days=10)
    s = {}
    place(
        s,
        "s",
        1,
        1,
        [
            [YEAR],
            H,
            [1, "โครงการแสงซินโครตรอน", "นครราชสีมา", 1000000, None],
            [2, "โครงการเกษตรแม่นยำ", "ขอนแก่น", 500000, None],
        ],
    )
    save_xlsx(inbox / "SLRI_2555_v2.xlsx", s)
    INJECTED["SLRI_2555.xlsx"] = INJECTED["SLRI_2555_v2.xlsx"] = []

    # Rejected whole: no header (routed to NIA by its name), corrupt, another file type.
    s = {}
    place(s, "s", 1, 1, [["บันทึกข้อความ"], ["เรื่อง ส่งแผน"]])
    save_xlsx(inbox / "NIA_2555.xlsx", s)
    (inbox / "corrupt.xlsx").write_bytes(b"PK\x03\x04 this is not really a workbook" * 10)
    (inbox / "readme.txt").write_text("please see attached", encoding="utf-8")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    from stiplan.run import run_inbox

    root = tmp_path_factory.mktemp("feedback")
    inbox, warehouse = root / "inbox", root / "warehouse"
    inbox.mkdir()
    INJECTED.clear()
    WRITTEN.clear()
    build_inbox(inbox)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("STIPLAN_INBOX", str(inbox))
        mp.setenv("STIPLAN_WAREHOUSE", str(warehouse))
        mp.delenv("DAGSTER_HOME", raising=False)
        assert run_inbox(outputs=False).published
    plan, archive = warehouse / "plan.duckdb", warehouse / "archive"
    out = root / "feedback"
    paths = write_feedback(plan, archive, out)
    import duckdb

    con = duckdb.connect(str(plan), read_only=True)
    try:
        subs = {
            r[0]: r
            for r in con.execute(
                "SELECT file_name, submission_id, agency_code, fiscal_year, status FROM submissions"
            ).fetchall()
        }
    finally:
        con.close()
    by_file = {}
    for name, (_, sid, *_) in subs.items():
        [path] = [p for p in paths if sid[:8] in p.name]
        by_file[name] = path
    return {
        "root": root,
        "plan": plan,
        "archive": archive,
        "out": out,
        "paths": paths,
        "subs": subs,
        "by_file": by_file,
        "inbox": inbox,
    }


def agency_sheets(wb):
    return [ws for ws in wb.worksheets if ws.title not in OUR_SHEETS]


def marked(wb) -> dict[tuple[str, str], str]:
    """(sheet, cell) -> fill colour, for every highlighted cell of the agency's sheets."""
    out = {}
    for ws in agency_sheets(wb):
        for row in ws.iter_rows():
            for cell in row:
                rgb = cell.fill.fgColor.rgb if cell.fill and cell.fill.fill_type else None
                if rgb in (ERROR_RGB, WARNING_RGB):
                    out[(ws.title, cell.coordinate)] = rgb
    return out


def commented(wb) -> dict[tuple[str, str], str]:
    return {
        (ws.title, cell.coordinate): cell.comment.text
        for ws in agency_sheets(wb)
        for row in ws.iter_rows()
        for cell in row
        if cell.comment is not None
    }


def expected_cells(file_name: str) -> dict[tuple[str, str], str]:
    cells: dict[tuple[str, str], str] = {}
    for sheet, row, col, _, code in INJECTED[file_name]:
        if col is None:
            continue
        key = (sheet, f"{col}{row}")
        if REASONS[code].severity == "error" or cells.get(key) == ERROR_RGB:
            cells[key] = ERROR_RGB
        else:
            cells[key] = WARNING_RGB
    return cells


def problem_table(wb) -> list[tuple]:
    ws = wb[PROBLEMS_SHEET]
    rows = list(ws.iter_rows(values_only=True))
    start = next(i for i, r in enumerate(rows) if r[0] == "แผ่นงาน\n(Sheet)")
    return [r for r in rows[start + 1 :] if any(v is not None for v in r)]


WITH_PROBLEMS = (
    "NIMT_2555.xlsx",
    "TISTR_2555.xls",
    "OAP_2555.ods",
    "NARIT_2556.xlsx",
    "HAII_2555_v2.xlsx",
)


def test_one_feedback_file_per_submission_in_its_agency_folder(built):
    out, subs = built["out"], built["subs"]
    assert len(built["paths"]) == len(subs) == 12
    assert len(set(built["paths"])) == 12
    for name, (_, sid, agency, year, _) in subs.items():
        path = built["by_file"][name]
        assert path.exists()
        assert path.parent == out / (agency or "unrouted")
        assert path.name == (
            f"{year if year is not None else 'unknown-year'}_{Path(name).stem}"
            f"_{sid[:8]}_feedback.xlsx"
        )
    assert (
        built["by_file"]["NIMT_2555.xlsx"]
        .relative_to(out)
        .as_posix()
        .startswith("NIMT/2555_NIMT_2555_")
    )
    assert built["by_file"]["corrupt.xlsx"].parent.name == "unrouted"
    assert built["by_file"]["readme.txt"].name.startswith("unknown-year_readme_")
    assert built["by_file"]["NIA_2555.xlsx"].parent.name == "NIA"


@pytest.mark.parametrize("file_name", WITH_PROBLEMS)
def test_exactly_the_injected_cells_are_marked_and_commented(built, file_name):
    wb = openpyxl.load_workbook(built["by_file"][file_name])
    assert wb.sheetnames[0] == PROBLEMS_SHEET
    expected = expected_cells(file_name)
    assert marked(wb) == expected
    comments = commented(wb)
    assert set(comments) == set(expected)
    for sheet, row, col, _, code in INJECTED[file_name]:
        if col is None:
            continue
        text = comments[(sheet, f"{col}{row}")]
        assert REASONS[code].th in text and REASONS[code].en in text


def test_several_problems_on_one_cell_row_and_agency_comment(built):
    wb = openpyxl.load_workbook(built["by_file"]["NIMT_2555.xlsx"])
    comments = commented(wb)
    # row 11 has three problems, each on its own cell, each with its own comment
    assert all(("โครงการ", ref) in comments for ref in ("B11", "C11", "D11"))
    assert REASONS["name_missing"].en in comments[("โครงการ", "B11")]
    assert REASONS["province_is_region"].en not in comments[("โครงการ", "B11")]
    # the agency's own comment on D7 is kept inside ours
    assert "ตัวเลขจากกองคลัง" in comments[("โครงการ", "D7")]
    assert REASONS["budget_negative"].th in comments[("โครงการ", "D7")]


def test_several_problems_on_one_cell_make_one_comment(tmp_path):
    from stiplan.assets.books.feedback import _mark_cells
    from stiplan.schemas.problems import Problem

    wb = openpyxl.Workbook()
    wb.active.title = "s"
    wb["s"]["D4"] = "x"
    r1, r2 = REASONS["budget_not_number"], REASONS["total_mismatch"]
    _mark_cells(
        wb,
        [
            Problem("s", 4, "D", "x", r2.code),
            Problem("s", 4, "D", "x", r1.code),
        ],
    )
    cell = wb["s"]["D4"]
    assert cell.fill.fgColor.rgb == ERROR_RGB  # the error wins over the warning
    text = cell.comment.text
    assert all(t in text for t in (r1.th, r1.en, r2.th, r2.en))
    assert text.index(r1.th) < text.index(r2.th)  # errors first


@pytest.mark.parametrize("file_name", WITH_PROBLEMS)
def test_problems_sheet_lists_every_problem(built, file_name):
    """Each problem once, in sheet (workbook order), row, column order, as INJECTED is
    written; with its value as typed, the reason in Thai and English, what to do, severity."""
    wb = openpyxl.load_workbook(built["by_file"][file_name])
    table = problem_table(wb)
    severity = {"error": "ข้อผิดพลาด (Error)", "warning": "คำเตือน (Warning)"}
    assert [
        (None if r[0] == "(ทั้งไฟล์ / whole file)" else r[0], r[1], r[2], r[3], r[7]) for r in table
    ] == [
        (s, n, c, v, severity[REASONS[code].severity]) for s, n, c, v, code in INJECTED[file_name]
    ]
    for r, (*_, code) in zip(table, INJECTED[file_name], strict=True):
        what_th, todo_th = REASONS[code].th.split(": ", 1)
        what_en, todo_en = REASONS[code].en.split(": ", 1)
        assert (r[4], r[5], r[6]) == (what_th, what_en, f"{todo_th}\n{todo_en}")


def test_problem_rows_link_to_their_cell(built):
    wb = openpyxl.load_workbook(built["by_file"]["NIMT_2555.xlsx"])
    links = [
        (r[0].value, r[1].value, r[2].value, r[2].hyperlink.location)
        for r in wb[PROBLEMS_SHEET].iter_rows(min_col=1, max_col=3)
        if isinstance(r[1].value, int) and r[2].hyperlink is not None
    ]
    assert links == [(s, n, c, f"'{s}'!{c}{n}") for s, n, c, _, _ in INJECTED["NIMT_2555.xlsx"]]


def test_hidden_sheet_with_problems_is_shown_and_titles_stay_merged(built):
    wb = openpyxl.load_workbook(built["by_file"]["NIMT_2555.xlsx"])
    assert wb["ส่วนที่ 2"].sheet_state == "visible"
    assert {str(r) for r in wb["โครงการ"].merged_cells.ranges} == {"A1:G1", "A2:G2"}
    assert wb.active.title == PROBLEMS_SHEET


def test_problems_sheet_summary_lines(built):
    wb = openpyxl.load_workbook(built["by_file"]["NIMT_2555.xlsx"])
    lines = [c.value for c in wb[PROBLEMS_SHEET]["A"] if isinstance(c.value, str)]
    # rows: โครงการ 9 projects + 1 total, ส่วนที่ 2: 2, ส่วนที่ 3: 2
    assert any("Rows read 14: accepted 5, rejected 8, duplicate 0" in t for t in lines)
    summary = next(t for t in lines if t.startswith(SUMMARY_LABEL))
    assert "รับ 5 (accepted)" in summary and "ไม่รับ 8 (rejected)" in summary
    assert "แถวรวม 1 (total)" in summary


def test_text_we_write_is_never_a_formula(built):
    for path in built["paths"]:
        wb = openpyxl.load_workbook(path)
        for ws in wb.worksheets:
            if ws.title in OUR_SHEETS:
                assert not any(c.data_type == "f" for row in ws.iter_rows() for c in row)
    wb = openpyxl.load_workbook(built["by_file"]["NIMT_2555.xlsx"])
    [cell] = [r[3] for r in wb[PROBLEMS_SHEET].iter_rows() if r[3].value == "=นครลับแล"]
    assert cell.data_type == "s"
    assert wb["โครงการ"]["C12"].value == "=นครลับแล" and wb["โครงการ"]["C12"].data_type == "s"


@pytest.mark.parametrize("file_name", WITH_PROBLEMS)
def test_copy_keeps_every_original_value_at_its_place(built, file_name):
    wb = openpyxl.load_workbook(built["by_file"][file_name])
    written = WRITTEN[file_name]
    assert [ws.title for ws in agency_sheets(wb)] == list(written)
    for ws in agency_sheets(wb):
        got = {
            (c.row, c.column): c.value for row in ws.iter_rows() for c in row if c.value is not None
        }
        assert got == written[ws.title], ws.title


def test_xls_copy_is_rebuilt_at_the_original_positions(built):
    wb = openpyxl.load_workbook(built["by_file"]["TISTR_2555.xls"])
    ws = wb["Sheet1"]
    assert ws["A1"].value is None and ws["B3"].value.endswith(YEAR)
    assert ws["C5"].value == "โครงการแปรรูปผลผลิตการเกษตร" and ws["E5"].value == 450000.5
    assert ws["E6"].value == -100 and ws["E6"].fill.fgColor.rgb == ERROR_RGB
    assert ws["D7"].value == "เมืองสมมุติ" and ws["D7"].fill.fgColor.rgb == ERROR_RGB
    assert ws["C5"].font.name == "TH Sarabun New"
    assert any("rebuilt from your .xls" in (c.value or "") for c in wb[PROBLEMS_SHEET]["A"])


def test_resubmission_lists_its_changes(built):
    wb = openpyxl.load_workbook(built["by_file"]["HAII_2555_v2.xlsx"])
    assert wb.sheetnames[:2] == [PROBLEMS_SHEET, CHANGES_SHEET]
    ws = wb[CHANGES_SHEET]
    rows = [r for r in ws.iter_rows(values_only=True)]
    start = next(i for i, r in enumerate(rows) if r[0] == "การเปลี่ยนแปลง\n(Change)")
    changes = [r for r in rows[start + 1 :] if r[0]]
    assert [(r[0], r[1], r[2], r[3], r[4], r[5], r[6]) for r in changes] == [
        (
            "เปลี่ยนงบประมาณ (budget changed)",
            "โครงการคลังข้อมูลน้ำชุมชน",
            100000,
            150000,
            50000,
            "น่าน",
            "น่าน",
        ),
        ("ไม่มีในฉบับนี้ (removed)", "โครงการที่จะถูกถอน", 300000, None, -300000, "ตาก", None),
    ]
    assert any("HAII_2555.xlsx" in (r[0] or "") for r in rows[:start])


def test_clean_resubmission_gets_a_receipt_with_its_changes(built):
    wb = openpyxl.load_workbook(built["by_file"]["SLRI_2555_v2.xlsx"])
    assert wb.sheetnames == [RECEIPT_SHEET, CHANGES_SHEET]
    rows = list(wb[CHANGES_SHEET].iter_rows(values_only=True))
    assert ("เพิ่มโครงการ (added)", "โครงการเกษตรแม่นยำ", None, 500000, 500000, None, "ขอนแก่น") in rows


def test_clean_submission_gets_a_confirmation(built):
    wb = openpyxl.load_workbook(built["by_file"]["GISTDA_2555.xlsx"])
    assert wb.sheetnames == [RECEIPT_SHEET]
    text = "\n".join(c.value for c in wb[RECEIPT_SHEET]["A"] if c.value)
    assert "2 project(s) accepted" in text and "2 โครงการ" in text
    assert "170,000.50" in text
    assert "ขอบคุณ" in text and "Thank you" in text
    assert "GISTDA_2555.xlsx" in text
    # the older HAII version is clean too, and says it was superseded
    wb = openpyxl.load_workbook(built["by_file"]["HAII_2555.xlsx"])
    text = "\n".join(c.value for c in wb[RECEIPT_SHEET]["A"] if c.value)
    assert "superseded" in text and "3 project(s) accepted" in text
    assert "Replaced by: HAII_2555_v2.xlsx" in text


@pytest.mark.parametrize(
    "file_name,folder,code",
    [
        ("NIA_2555.xlsx", "NIA", "no_header"),
        ("corrupt.xlsx", "unrouted", "file_unreadable"),
        ("readme.txt", "unrouted", "file_type_unsupported"),
    ],
)
def test_rejected_file_gets_what_to_do(built, file_name, folder, code):
    path = built["by_file"][file_name]
    assert path.parent.name == folder
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == [REJECTED_SHEET]
    text = "\n".join(c.value for c in wb[REJECTED_SHEET]["A"] if c.value)
    what_th, todo_th = REASONS[code].th.split(": ", 1)
    what_en, todo_en = REASONS[code].en.split(": ", 1)
    for part in (what_th, todo_th, what_en, todo_en, file_name, code):
        assert part in text
    assert not any(c.data_type == "f" for c in wb[REJECTED_SHEET]["A"])


def test_fonts_are_th_sarabun(built):
    wb = openpyxl.load_workbook(built["by_file"]["NIMT_2555.xlsx"])
    fonts = {
        c.font.name for row in wb[PROBLEMS_SHEET].iter_rows() for c in row if c.value is not None
    }
    assert fonts == {"TH Sarabun New"}


def test_writing_twice_gives_the_same_workbooks(built):
    again = write_feedback(built["plan"], built["archive"], built["root"] / "again")
    assert [p.relative_to(built["root"] / "again") for p in again] == [
        p.relative_to(built["out"]) for p in built["paths"]
    ]
    for a, b in zip(built["paths"], again, strict=True):
        wa, wb = openpyxl.load_workbook(a), openpyxl.load_workbook(b)
        assert wa.sheetnames == wb.sheetnames
        for sa, sb in zip(wa.worksheets, wb.worksheets, strict=True):
            va = [
                (c.coordinate, c.value, c.comment.text if c.comment else None)
                for row in sa.iter_rows()
                for c in row
            ]
            vb = [
                (c.coordinate, c.value, c.comment.text if c.comment else None)
                for row in sb.iter_rows()
                for c in row
            ]
            assert va == vb
        assert a.read_bytes() == b.read_bytes(), a.name  # no clock in the bytes either


def test_missing_archive_still_lists_the_problems(built, tmp_path):
    empty = tmp_path / "archive"
    empty.mkdir()
    paths = write_feedback(built["plan"], empty, tmp_path / "out")
    [nimt] = [p for p in paths if p.parent.name == "NIMT"]
    wb = openpyxl.load_workbook(nimt)
    assert wb.sheetnames == [PROBLEMS_SHEET]
    assert len(problem_table(wb)) == len(INJECTED["NIMT_2555.xlsx"])
    assert any("could not be copied" in (c.value or "") for c in wb[PROBLEMS_SHEET]["A"])


def test_the_changes_are_listed_in_thai_dictionary_order():
    """เกษตร (under ก) comes before ขนม (under ข), though เ sorts after ข by code point."""
    import datetime as dt
    from decimal import Decimal

    from stiplan.assets.books.feedback import CHANGES_SHEET, Plan, Submission, _changes_sheet

    sub = Submission(
        "s2",
        "X_2555_v2.xlsx",
        dt.datetime(2012, 1, 1, tzinfo=dt.UTC),
        "NIA",
        2555,
        "current",
        None,
        None,
        2,
        2,
        0,
        0,
        "s1",
    )
    for name in ("ขนม", "เกษตร", "กล้วย"):
        sub.changes.append(
            {
                "change": "added",
                "project_name": name,
                "project_id": name,
                "budget_before": None,
                "budget_after": Decimal(1),
                "provinces_before": None,
                "provinces_after": "TH-10",
            }
        )
    from stiplan.assets.excel.edit import use_styles

    wb = openpyxl.Workbook()
    use_styles(wb)
    _changes_sheet(wb, sub, Plan({"s2": sub}, {}, {}))
    names = [
        r[1]
        for r in wb[CHANGES_SHEET].iter_rows(values_only=True)
        if r[0] and str(r[0]).startswith("เพิ่ม")
    ]
    assert names == ["กล้วย", "เกษตร", "ขนม"]


def test_unchanged_feedback_is_linked_not_written(built, tmp_path, monkeypatch):
    """Given the folder before (its manifest), a feedback workbook whose submission,
    neighbours and file did not change is the file before, linked."""
    from stiplan.assets.books import feedback
    from stiplan.assets.books.folders import Manifest

    first = write_feedback(built["plan"], built["archive"], tmp_path / "first")
    manifest = Manifest.of(tmp_path / "first", first)
    written: list[str] = []
    real = feedback._write_some
    monkeypatch.setattr(feedback, "_write_some", lambda task: written.extend(task[3]) or real(task))
    again = write_feedback(built["plan"], built["archive"], tmp_path / "again", manifest)
    assert written == []
    for a, b in zip(first, again, strict=True):
        assert a.stat().st_ino == b.stat().st_ino
    first[0].write_bytes(first[0].read_bytes())  # the same bytes, another file
    third = write_feedback(built["plan"], built["archive"], tmp_path / "third", manifest)
    assert len(written) == 1  # the one whose file is not the one described
    assert [p.read_bytes() for p in third] == [p.read_bytes() for p in again]
