"""Reading real submission workbooks end to end: every quirk DESIGN.md lists under
"What real submissions do", each on a file written here with openpyxl (one .xls with
xlwt, one .ods with odfpy) and read back through `read_submission`."""

from __future__ import annotations

import datetime as dt
import os
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from stiplan.assets.ingest.submission import ParsedSubmission, read_submission, route_file

OUTCOMES = {"total", "section", "rejected", "duplicate", "accepted"}
TITLES = (
    "แผนบูรณาการงานด้านวิทยาศาสตร์ เทคโนโลยี และนวัตกรรมกับจังหวัด",
    "ประจำปีงบประมาณ พ.ศ. 2555",
    "หน่วยงาน: สวทช.",
)
HEADER = ("ลำดับ", "ชื่อโครงการ", "จังหวัด", "งบประมาณ (บาท)")
HEADER_ROW = len(TITLES) + 2  # where `book` puts the header with the default titles
FIRST = HEADER_ROW + 1  # and the first data row


# ------------------------------------------------------------------------------ helpers


def write_xlsx(
    path: Path,
    sheets: dict[str, list[list]],
    *,
    origin: tuple[int, int] = (1, 1),
    merges: dict[str, list[str]] | None = None,
    hidden: tuple[str, ...] = (),
) -> Path:
    """One sheet per entry; rows are written from `origin` (row, column), None = empty."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for i, row in enumerate(rows):
            for j, value in enumerate(row):
                if value is not None:
                    ws.cell(origin[0] + i, origin[1] + j, value)
        for ref in (merges or {}).get(name, []):
            ws.merge_cells(ref)
        if name in hidden:
            ws.sheet_state = "hidden"
    wb.save(path)
    return path


def book(
    tmp_path: Path,
    rows: list[list],
    *,
    name: str = "plan.xlsx",
    titles: tuple[str, ...] = TITLES,
    header: tuple[str, ...] = HEADER,
    **kw,
) -> Path:
    """A one-sheet submission: title rows, a blank row, the header, then `rows`
    (so with the default titles the header is row HEADER_ROW, the first row FIRST)."""
    grid = [[t] for t in titles] + ([[None]] if titles else []) + [list(header)] + rows
    return write_xlsx(tmp_path / name, {"แผน": grid}, **kw)


def read(path: Path, file_name: str | None = None) -> ParsedSubmission:
    result = read_submission(path, file_name or path.name)
    for row in result.rows:  # in every test, each row has one of the five outcomes
        assert row.outcome in OUTCOMES, row
    return result


def only_row(result: ParsedSubmission):
    assert not result.rejected, result.identity
    assert len(result.rows) == 1, result.rows
    return result.rows[0]


def codes_at(result: ParsedSubmission, row_number: int | None) -> list[str]:
    return [p.code for p in result.problems if p.row_number == row_number]


def one_project(tmp_path: Path, cells: dict[str, object], **kw) -> ParsedSubmission:
    """One data row under the default header plus any extra columns named in `cells`."""
    header = list(kw.pop("header", HEADER))
    base = {"ลำดับ": 1, "ชื่อโครงการ": "โครงการทดสอบ", "จังหวัด": "เชียงใหม่", "งบประมาณ (บาท)": 100000}
    for h in cells:
        if h not in header:
            header.append(h)
    merged = {**base, **cells}
    row = [merged.get(h) for h in header]
    return read(book(tmp_path, [row], header=tuple(header), **kw))


# --------------------------------------------------------------------- layout and header


@pytest.mark.parametrize("n_titles", range(6))
def test_zero_to_five_title_rows_with_merged_cells(tmp_path, n_titles):
    titles = [
        "กระทรวงวิทยาศาสตร์และเทคโนโลยี",
        "ประจำปีงบประมาณ พ.ศ. 2555",
        "หน่วยงาน: สวทช.",
        "ข้อมูล ณ วันที่ 15 สิงหาคม 2554",
        "หน่วย : บาท",
    ][:n_titles]
    grid = [[t] for t in titles] + [list(HEADER), [1, "โครงการ ก", "เชียงใหม่", 2500]]
    # Titles are merged across the table's width, as agencies do to centre them.
    merges = {"แผน": [f"A{i}:D{i}" for i in range(1, n_titles + 1)]}
    path = write_xlsx(tmp_path / "NSTDA_2555.xlsx", {"แผน": grid}, merges=merges)
    result = read(path)
    assert (result.identity.agency_code, result.identity.fiscal_year) == ("NSTDA", 2555)
    row = only_row(result)
    assert row.row_number == n_titles + 2
    assert row.outcome == "accepted"
    assert row.budget == Decimal("2500.00")


@pytest.mark.parametrize(
    "header",
    [
        # Line breaks inside words, doubled and edge spaces.
        ("ลำ\nดับ", " ชื่อ\nโครง การ ", "จัง  หวัด", "งบ\nประมาณ\n( บาท )"),
        ("ที่", "โครงการ", "พื้นที่ดำเนินการ", "งบประมาณ(บาท)"),
        ("No.", "Project name", "Province", "Budget (baht)"),
        ("NO.", "PROJECT\nNAME", "  provinces ", "BUDGET\n(Baht)"),
    ],
)
def test_header_spellings(tmp_path, header):
    result = read(book(tmp_path, [[1, "โครงการ ก", "ลำพูน", 1500]], header=header))
    row = only_row(result)
    assert row.outcome == "accepted"
    assert (row.project_name, row.province_codes, row.budget) == (
        "โครงการ ก",
        ("TH-51",),
        Decimal("1500.00"),
    )
    assert "budget_unit_assumed" not in codes_at(result, HEADER_ROW)


def test_columns_in_any_order_with_unknown_extra_columns(tmp_path):
    header = (
        "หมายเหตุ",
        "งบประมาณ (บาท)",
        "รหัสงบ GFMIS",
        "จังหวัด",
        "ชื่อโครงการ",
        "ลำดับ",
        "กลุ่มเป้าหมาย",
        "ตัวชี้วัด",
    )
    rows = [
        ["ต่อเนื่อง", 1000, "A-17", "ลำปาง", "โครงการ ก", 1, "เกษตรกร", "10 ราย"],
        [None, -5, "A-18", "ลำปาง", "โครงการ ข", 2, None, None],
    ]
    result = read(book(tmp_path, rows, header=header))
    first, second = result.rows
    assert first.outcome == "accepted"
    assert (first.project_name, first.province_codes, first.budget) == (
        "โครงการ ก",
        ("TH-52",),
        Decimal("1000.00"),
    )
    assert first.texts["remarks"] == "ต่อเนื่อง"
    assert first.texts["target_group"] == "เกษตรกร"
    # The problem names the budget's real column, not its position among mapped fields.
    assert second.outcome == "rejected"
    [problem] = [p for p in result.problems if p.row_number == FIRST + 1]
    assert (problem.column, problem.value, problem.code) == ("B", "-5", "budget_negative")


def test_row_numbers_are_excel_rows_when_the_sheet_starts_low_and_right(tmp_path):
    grid = [list(HEADER), [1, "โครงการ ก", "น่าน", 10], [2, "โครงการ ข", "ไม่มีจังหวัดนี้", 10]]
    path = write_xlsx(tmp_path / "NSTDA_2555.xlsx", {"แผน": grid}, origin=(4, 3))
    result = read(path)
    assert [(r.row_number, r.outcome) for r in result.rows] == [(5, "accepted"), (6, "rejected")]
    [problem] = [p for p in result.problems if p.row_number == 6]
    assert (problem.column, problem.code) == ("E", "province_unknown")  # C=ลำดับ, D, E=จังหวัด
    unit = [p for p in result.problems if p.code == "budget_unit_assumed"]
    assert unit == []


# --------------------------------------------------------------------------------- budgets


@pytest.mark.parametrize(
    ("header", "value", "expected"),
    [
        ("งบประมาณ (บาท)", "1,234,567.50", "1234567.50"),
        ("งบประมาณ (บาท)", "๑,๒๓๔,๕๖๗.๕", "1234567.50"),  # Thai digits
        ("งบประมาณ (บาท)", " 2,500 ", "2500.00"),
        ("งบประมาณ (บาท)", "500,000.-", "500000.00"),
        ("งบประมาณ (บาท)", 1500, "1500.00"),
        ("งบประมาณ (บาท)", "10.005", "10.01"),  # half-up, not half-even
        # A float cell whose exact binary value is just below .275: the reader must give
        # back what the cell shows (651627595.275), not 651627595.274999976.
        ("งบประมาณ (บาท)", 651627595.275, "651627595.28"),
        ("งบประมาณ (ล้านบาท)", 2.5, "2500000.00"),
        ("งบประมาณ (ล้านบาท)", "1.5", "1500000.00"),
        ("งบประมาณ (ล้านบาท)", "๒.๕", "2500000.00"),
        # Scale first, then round once: 1.000000005 M = 1,000,000.005 -> .01 (half-up).
        ("งบประมาณ (ล้านบาท)", "1.000000005", "1000000.01"),
        ("งบประมาณ (ล้านบาท)", 1.000000005, "1000000.01"),
        ("งบประมาณ (ล้านบาท)", 0.1234564, "123456.40"),  # a float tail must not leak
        ("Budget (million baht)", 0.3, "300000.00"),
        ("งบประมาณ\n(ล้าน\nบาท)", 12.75, "12750000.00"),
    ],
)
def test_budget_values_and_units(tmp_path, header, value, expected):
    result = one_project(tmp_path, {header: value}, header=("ลำดับ", "ชื่อโครงการ", "จังหวัด", header))
    row = only_row(result)
    assert row.outcome == "accepted", result.problems
    assert isinstance(row.budget, Decimal)
    assert str(row.budget) == expected  # also pins the exponent: exactly two decimals
    assert result.problems == []


@pytest.mark.parametrize("unit_title", ["หน่วย : ล้านบาท", "หน่วย: ล้านบาท", "(หน่วย : ล้านบาท)"])
def test_budget_unit_in_a_title_row(tmp_path, unit_title):
    header = ("ลำดับ", "ชื่อโครงการ", "จังหวัด", "งบประมาณ")
    result = read(
        book(tmp_path, [[1, "โครงการ ก", "ตาก", 1.25]], header=header, titles=(*TITLES, unit_title))
    )
    row = only_row(result)
    assert row.budget == Decimal("1250000.00")
    assert "budget_unit_assumed" not in [p.code for p in result.problems]


@pytest.mark.parametrize(
    "titles",
    [
        TITLES,
        # An agency line is no unit line, whatever amount it mentions.
        ("ประจำปีงบประมาณ พ.ศ. 2555", "หน่วยงาน: สวทช. (วงเงินรวม 10 ล้านบาท)", "-"),
    ],
)
def test_budget_without_unit_is_baht_with_a_warning(tmp_path, titles):
    header = ("ลำดับ", "ชื่อโครงการ", "จังหวัด", "งบประมาณ")
    result = read(
        book(tmp_path, [[1, "โครงการ ก", "ตาก", 1.25]], header=header, titles=titles),
        "NSTDA_2555.xlsx",
    )
    row = only_row(result)
    assert (row.outcome, row.budget) == ("accepted", Decimal("1.25"))
    [warning] = [p for p in result.problems if p.code == "budget_unit_assumed"]
    assert (warning.row_number, warning.column, warning.value) == (HEADER_ROW, "D", "งบประมาณ")


@pytest.mark.parametrize("value", [0, "0", "0.00", "๐"])
def test_zero_budget_is_accepted_with_a_warning(tmp_path, value):
    result = one_project(tmp_path, {"งบประมาณ (บาท)": value})
    row = only_row(result)
    assert (row.outcome, row.budget) == ("accepted", Decimal("0.00"))
    [warning] = result.problems
    assert (warning.row_number, warning.column, warning.code) == (FIRST, "D", "budget_zero")


@pytest.mark.parametrize("value", [-1, "-1,000", "(1,000)", "−500"])
def test_negative_budget_is_rejected(tmp_path, value):
    result = one_project(tmp_path, {"งบประมาณ (บาท)": value})
    row = only_row(result)
    assert (row.outcome, row.reason_code) == ("rejected", "budget_negative")
    assert row.budget is None  # a rejected row carries no values into the plan
    [problem] = result.problems
    assert (problem.column, problem.code) == ("D", "budget_negative")


@pytest.mark.parametrize(
    ("value", "code"),
    [
        (None, "budget_missing"),
        ("-", "budget_missing"),
        ("ไม่ทราบ", "budget_not_number"),
        ("1,5", "budget_not_number"),
    ],
)
def test_missing_or_non_numeric_budget_is_rejected(tmp_path, value, code):
    result = one_project(tmp_path, {"งบประมาณ (บาท)": value})
    row = only_row(result)
    assert (row.outcome, row.reason_code) == ("rejected", code)


# ------------------------------------------------------------------------------- provinces


@pytest.mark.parametrize(
    ("cell", "codes"),
    [
        ("จ.เชียงใหม่", ("TH-50",)),
        ("จ. เชียงใหม่", ("TH-50",)),
        ("จังหวัดเชียงใหม่", ("TH-50",)),
        ("จังหวัด เชียงใหม่", ("TH-50",)),
        ("กทม.", ("TH-10",)),
        ("กรุงเทพ ฯ", ("TH-10",)),
        ("กรุงเทพมหานคร", ("TH-10",)),
        ("โคราช", ("TH-30",)),
        ("Chiang Mai", ("TH-50",)),
        ("Nakhon Ratchasima", ("TH-30",)),
        ("เชียงใหม่, ลำพูน", ("TH-50", "TH-51")),
        ("เชียงใหม่;ลำพูน", ("TH-50", "TH-51")),
        ("เชียงใหม่/ลำพูน", ("TH-50", "TH-51")),
        ("เชียงใหม่\nลำพูน", ("TH-50", "TH-51")),
        ("ลำปาง เชียงใหม่ ลำพูน", ("TH-50", "TH-51", "TH-52")),  # spaces between Thai names
        ("จ.ลำพูน จ.เชียงใหม่", ("TH-50", "TH-51")),
        ("กทม., โคราช", ("TH-10", "TH-30")),
        ("Bangkok; Khon Kaen", ("TH-10", "TH-40")),
        ("เชียงใหม่, เชียงใหม่", ("TH-50",)),
        # District detail is not a province, but does not hide the one that is named.
        ("อ.เมือง จ.เชียงใหม่", ("TH-50",)),
        ("ต.สุเทพ อ.เมือง จ.เชียงใหม่", ("TH-50",)),
        ("ตำบลห้วยแก้ว อำเภอแม่ออน จังหวัดเชียงใหม่", ("TH-50",)),
        ("บ้านแม่กำปอง หมู่ 3 ต.ห้วยแก้ว อ. แม่ออน จ.เชียงใหม่", ("TH-50",)),
        ("อำเภอ เมือง จังหวัด ลำพูน", ("TH-51",)),
        ("จ.เชียงใหม่ (อ.ฝาง, อ.แม่อาย), จ.ลำพูน", ("TH-50", "TH-51")),
        ("ม.3 ต.ในเมือง อ.เมืองนครราชสีมา จ.นครราชสีมา", ("TH-30",)),
        ("อำเภอเมืองเชียงใหม่", ("TH-50",)),  # the district's name holds the province's
        ("แขวงลุมพินี เขตปทุมวัน กรุงเทพฯ", ("TH-10",)),  # Bangkok's districts
        # A subdistrict named like another province (ต.พิจิตร, Songkhla) is not that province.
        ("ต.พิจิตร อ.นาหม่อม จ.สงขลา", ("TH-90",)),
    ],
)
def test_province_spellings(tmp_path, cell, codes):
    result = one_project(tmp_path, {"จังหวัด": cell})
    row = only_row(result)
    assert row.outcome == "accepted", result.problems
    assert row.province_codes == codes
    assert row.nationwide is False


@pytest.mark.parametrize("cell", ["ทุกจังหวัด", "ทั่วประเทศ"])
def test_nationwide(tmp_path, cell):
    row = only_row(one_project(tmp_path, {"จังหวัด": cell}))
    assert (row.outcome, row.nationwide, row.province_codes) == ("accepted", True, ())


@pytest.mark.parametrize(
    ("cell", "code"),
    [
        ("ภาคอีสาน", "province_is_region"),
        ("ภาคเหนือตอนบน", "province_is_region"),
        ("เมืองลับแล", "province_unknown"),
        ("เชียงใหม่, เมืองลับแล", "province_unknown"),
        # Detail alone, or next to an unknown name, still names no valid province.
        ("อ.เมือง", "province_unknown"),
        ("อ.เมือง จ.เมืองลับแล", "province_unknown"),
        (None, "province_missing"),
    ],
)
def test_province_rejections(tmp_path, cell, code):
    result = one_project(tmp_path, {"จังหวัด": cell})
    row = only_row(result)
    assert (row.outcome, row.reason_code) == ("rejected", code)
    [problem] = result.problems
    assert (problem.column, problem.value, problem.code) == ("C", cell, code)


# ----------------------------------------------------------------------------------- dates


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (dt.date(2011, 10, 1), dt.date(2012, 9, 30), (dt.date(2011, 10, 1), dt.date(2012, 9, 30))),
        ("2011-10-01", "2012-09-30", (dt.date(2011, 10, 1), dt.date(2012, 9, 30))),
        ("1 ต.ค. 2554", "30 กันยายน 2555", (dt.date(2011, 10, 1), dt.date(2012, 9, 30))),
        ("๑ ต.ค. ๒๕๕๔", "30/9/2555", (dt.date(2011, 10, 1), dt.date(2012, 9, 30))),
        # A Buddhist-era year typed into an Excel date cell.
        (
            dt.datetime(2554, 10, 1),
            dt.date(2555, 9, 30),
            (dt.date(2011, 10, 1), dt.date(2012, 9, 30)),
        ),
        (dt.date(2011, 10, 1), None, (dt.date(2011, 10, 1), None)),
    ],
)
def test_dates(tmp_path, start, end, expected):
    result = one_project(tmp_path, {"วันเริ่มต้น": start, "วันสิ้นสุด": end})
    row = only_row(result)
    assert row.outcome == "accepted", result.problems
    assert (row.start_date, row.end_date) == expected


def test_end_before_start_is_rejected(tmp_path):
    result = one_project(tmp_path, {"วันเริ่มต้น": "1 ต.ค. 2555", "วันสิ้นสุด": dt.date(2011, 9, 30)})
    row = only_row(result)
    assert (row.outcome, row.reason_code) == ("rejected", "end_before_start")
    [problem] = result.problems
    assert (problem.column, problem.code) == ("F", "end_before_start")


def test_unreadable_date_is_rejected(tmp_path):
    result = one_project(tmp_path, {"วันเริ่มต้น": "ต้นปีงบ"})
    row = only_row(result)
    assert (row.outcome, row.reason_code) == ("rejected", "date_invalid")


# ------------------------------------------------------------------------------ text noise


def test_text_noise_gives_the_same_name_key(tmp_path):
    clean = "โครงการพัฒนาน้ำดื่ม Café"
    noisy = [
        "\u200bโครงการพัฒนาน้ำดื่ม Café\ufeff",  # zero-width space, BOM
        "โครงการ\u200cพัฒนา\u200dน้ำ\u2060ดื่ม \u00adCafé",  # ZWNJ, ZWJ, word joiner, soft hyphen
        "โครงการพัฒนาน้ำดื่ม\u00a0Café",  # no-break space
        "โครงการพัฒนาน\u0e4d\u0e49\u0e32ดื่ม Café",  # decomposed sara am, tone mark between
        "โครงการพัฒนาน้\u0e4d\u0e32ดื่ม Cafe\u0301",  # decomposed sara am, NFD é
        "  โครงการพัฒนาน้ำดื่ม \n  Café  ",
        "โครงการพัฒนาน้ำดื่ม CAFÉ",
    ]
    names = [clean, *noisy]
    # Each on its own province, so none is a duplicate of another.
    provinces = ["เชียงใหม่", "ลำพูน", "ลำปาง", "น่าน", "แพร่", "ตาก", "ยะลา", "ตรัง"]
    rows = [[i + 1, n, p, 1000] for i, (n, p) in enumerate(zip(names, provinces, strict=True))]
    result = read(book(tmp_path, rows))
    assert [r.outcome for r in result.rows] == ["accepted"] * len(names)
    assert {r.name_key for r in result.rows} == {clean.casefold()}
    assert result.rows[3].project_name == clean  # the display name is cleaned, not casefolded


# --------------------------------------------------------------------- totals and sections


@pytest.mark.parametrize(
    "label", ["รวม", "รวมทั้งสิ้น", "รวมทั้งหมด", "Total", "Grand total", " รวม ", "รวม :", "TOTAL"]
)
@pytest.mark.parametrize("column", [0, 1])  # in the seq column or the name column
def test_totals_rows(tmp_path, label, column):
    total = [None, None, None, 3000]
    total[column] = label
    rows = [[1, "โครงการ ก", "ตาก", 1000], [2, "โครงการ ข", "ตาก, น่าน", 2000], total]
    result = read(book(tmp_path, rows))
    assert [r.outcome for r in result.rows] == ["accepted", "accepted", "total"]
    assert result.problems == []


def test_a_name_that_starts_with_ruam_is_a_project(tmp_path):
    rows = [
        [1, "รวมพลังวิทยาศาสตร์เพื่อชุมชน", "ตาก", 1000],
        [2, "รวม", "ตาก", 500],
    ]  # a province: a project oddly named, not a total
    result = read(book(tmp_path, rows))
    assert [r.outcome for r in result.rows] == ["accepted", "accepted"]
    assert result.rows[0].project_name == "รวมพลังวิทยาศาสตร์เพื่อชุมชน"


def test_total_mismatch_is_a_warning(tmp_path):
    rows = [
        [1, "โครงการ ก", "ตาก", 1000],
        [2, "โครงการ ข", "น่าน", 2000],
        [None, "รวม", None, "3,500"],
    ]
    result = read(book(tmp_path, rows))
    assert [r.outcome for r in result.rows] == ["accepted", "accepted", "total"]
    [warning] = result.problems
    assert (warning.row_number, warning.column, warning.value, warning.code) == (
        FIRST + 2,
        "D",
        "3,500",
        "total_mismatch",
    )


def test_totals_compare_in_the_unit_shown(tmp_path):
    header = ("ลำดับ", "ชื่อโครงการ", "จังหวัด", "งบประมาณ (ล้านบาท)")
    rows = [
        ["ยุทธศาสตร์ที่ 1", None, None, None],
        [1, "โครงการ ก", "ตาก", 1.5],
        [2, "โครงการ ข", "น่าน", "0.25"],
        [None, "รวมยุทธศาสตร์ที่ 1", None, None],  # a subtotal label with no figure
        ["รวม", None, None, 1.75],  # subtotal
        ["ยุทธศาสตร์ที่ 2", None, None, None],
        [3, "โครงการ ค", "ตาก", 1],
        ["รวม", None, None, 1],  # subtotal since the previous total
        ["รวมทั้งสิ้น", None, None, 2.75],
    ]  # grand total of the sheet
    result = read(book(tmp_path, rows, header=header))
    assert [r.outcome for r in result.rows] == [
        "section",
        "accepted",
        "accepted",
        "total",
        "total",
        "section",
        "accepted",
        "total",
        "total",
    ]
    assert result.problems == []


HEADING = "ยุทธศาสตร์ที่ 1 การพัฒนาวิทยาศาสตร์ เทคโนโลยี และนวัตกรรมเพื่อชุมชน"


@pytest.mark.parametrize(
    ("column", "text", "outcome"),
    [
        (0, HEADING, "section"),
        (1, HEADING, "section"),
        (2, HEADING, "section"),  # in the province column, but it names no province
        (2, "ภาคเหนือ", "section"),
        (1, "หมายเหตุ: งบประมาณรอการอนุมัติ", "section"),
        # One cell, but a project's: flagged, not filed away as a heading.
        (2, "เชียงใหม่", "rejected"),
        (3, 5000, "rejected"),
    ],
)
def test_section_rows(tmp_path, column, text, outcome):
    section = [None, None, None, None]
    section[column] = text
    rows = [section, [1, "โครงการ ก", "ตาก", 1000]]
    # A heading in column A is usually merged across the table (the merge keeps A only).
    merges = {"แผน": [f"A{FIRST}:D{FIRST}"] if column == 0 else []}
    result = read(book(tmp_path, rows, merges=merges))
    assert [r.outcome for r in result.rows] == [outcome, "accepted"]
    if outcome == "section":
        assert result.problems == []


def test_a_repeated_header_is_a_section(tmp_path):
    rows = [[1, "โครงการ ก", "ตาก", 1000], list(HEADER), [2, "โครงการ ข", "ตาก", 1000]]
    result = read(book(tmp_path, rows))
    assert [r.outcome for r in result.rows] == ["accepted", "section", "accepted"]


# ------------------------------------------------------------------------------ duplicates


def test_duplicates_within_a_submission(tmp_path):
    rows = [
        [1, "โครงการ ก", "เชียงใหม่, ลำพูน", 1000],
        [2, "โครงการ ก", "เชียงใหม่", 1000],  # other province set: another project
        [3, "  โครงการ\u00a0 ก ", "ลำพูน / จ.เชียงใหม่", 2000],  # same name, same set
        [4, "โครงการ ก", None, 1000],  # rejected, never a duplicate
        [5, "โครงการ ก", "ทั่วประเทศ", 1000],
        [6, "โครงการ ก", "ทุกจังหวัด", 1000],
    ]
    result = read(book(tmp_path, rows))
    assert [r.outcome for r in result.rows] == [
        "accepted",
        "accepted",
        "duplicate",
        "rejected",
        "accepted",
        "duplicate",
    ]
    assert result.rows[2].duplicate_of == 0
    assert result.rows[5].duplicate_of == 4
    assert result.rows[2].budget == Decimal("2000.00")  # a duplicate keeps its own values


def test_duplicates_across_sheets(tmp_path):
    grid = [list(HEADER), [1, "โครงการ ก", "ตาก", 1000]]
    path = write_xlsx(tmp_path / "NSTDA_2555.xlsx", {"ชุด1": grid, "ชุด2": grid})
    result = read(path)
    assert [(r.sheet, r.outcome, r.duplicate_of) for r in result.rows] == [
        ("ชุด1", "accepted", None),
        ("ชุด2", "duplicate", 0),
    ]


# --------------------------------------------------------------------------------- sheets


def test_every_sheet_with_a_header_is_read_hidden_too_instructions_skipped(tmp_path):
    sheets = {
        "คำชี้แจง": [
            ["คำชี้แจงการกรอกแบบฟอร์ม"],
            ["1. กรอกชื่อโครงการ จังหวัด และงบประมาณ"],
            ["2. งบประมาณเป็นบาท"],
        ],
        "ยุทธศาสตร์ 1": [["หน่วยงาน: สวทช."], list(HEADER), [1, "โครงการ ก", "ตาก", 1000]],
        "ยุทธศาสตร์ 2": [list(HEADER), [1, "โครงการ ข", "น่าน", 2000], [2, "โครงการ ค", "แพร่", 3000]],
        "ข้อมูลอ้างอิง": [["จังหวัด"], ["ตาก"], ["น่าน"]],
    }
    path = write_xlsx(tmp_path / "plan_2555.xlsx", sheets, hidden=("ยุทธศาสตร์ 2", "ข้อมูลอ้างอิง"))
    result = read(path)
    assert result.identity.agency_code == "NSTDA"
    assert result.sheets_read == ["ยุทธศาสตร์ 1", "ยุทธศาสตร์ 2"]
    assert [(r.sheet, r.row_number, r.project_name) for r in result.rows] == [
        ("ยุทธศาสตร์ 1", 3, "โครงการ ก"),
        ("ยุทธศาสตร์ 2", 2, "โครงการ ข"),
        ("ยุทธศาสตร์ 2", 3, "โครงการ ค"),
    ]


def test_a_sheet_missing_a_required_column_is_reported(tmp_path):
    sheets = {
        "แผน": [list(HEADER), [1, "โครงการ ก", "ตาก", 1000]],
        "เพิ่มเติม": [["ลำดับ", "ชื่อโครงการ", "จังหวัด"], [1, "โครงการ ข", "ตาก"]],
    }
    result = read(write_xlsx(tmp_path / "NSTDA_2555.xlsx", sheets))
    assert [r.project_name for r in result.rows] == ["โครงการ ก"]
    [problem] = [p for p in result.problems if p.code == "sheet_incomplete_header"]
    assert (problem.sheet, problem.value) == ("เพิ่มเติม", "budget")


# ---------------------------------------------------------------------------------- agency


@pytest.mark.parametrize(
    ("title", "code"),
    [
        ("หน่วยงาน: สำนักงานพัฒนาวิทยาศาสตร์และเทคโนโลยีแห่งชาติ", "NSTDA"),
        ("หน่วยงาน : สวทช.", "NSTDA"),
        ("หน่วยงาน:สวทช", "NSTDA"),
        ("หน่วยงาน: NSTDA", "NSTDA"),
        ("Agency: National Science and Technology Development Agency", "NSTDA"),
        ("หน่วยงาน: กรมวิทยาศาสตร์บริการ", "DSS"),  # contains มว, but is not NIMT
        ("หน่วยงาน: วศ.", "DSS"),
        ("หน่วยงาน: มว.", "NIMT"),
        ("หน่วยงาน: สถาบันวิจัยแสงซินโครตรอน (องค์การมหาชน)", "SLRI"),
        ("หน่วยงาน: สำนักงานพัฒนาวิทยาศาสตร์และเทคโนโลยีแห่งชาติ (สวทช.)", "NSTDA"),
    ],
)
def test_agency_from_the_title(tmp_path, title, code):
    result = read(
        book(tmp_path, [[1, "โครงการ ก", "ตาก", 1]], titles=("ประจำปีงบประมาณ พ.ศ. 2555", title)),
        "plan.xlsx",
    )
    assert (result.identity.agency_code, result.identity.reason_code) == (code, None)
    assert result.identity.warnings == []


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["สวทช.", "สวทช", "NSTDA"], ("NSTDA", None)),
        (["สวทช.", "วว.", "สวทช."], (None, "several_agencies")),
        (["สวทช.", "ไม่รู้จัก", "สวทช."], (None, "several_agencies")),
        (["ไม่รู้จัก"] * 3, (None, "agency_unknown")),
    ],
)
def test_agency_from_a_column(tmp_path, values, expected):
    header = (*HEADER, "หน่วยงาน")
    rows = [[i, f"โครงการ {i}", "ตาก", 1, v] for i, v in enumerate(values, 1)]
    result = read(
        book(tmp_path, rows, header=header, titles=("ประจำปีงบประมาณ พ.ศ. 2555",)), "plan.xlsx"
    )
    assert (result.identity.agency_code, result.identity.reason_code) == expected
    if expected[1]:
        assert result.rejected and result.rows == []  # a file rejected whole has no rows


@pytest.mark.parametrize(
    ("file_name", "code"),
    [
        ("NSTDA_2555.xlsx", "NSTDA"),
        ("สวทช_2555.xlsx", "NSTDA"),
        ("แผนบูรณาการ_วศ_2555.xlsx", "DSS"),
        ("แผนบูรณาการ-มว-2555.xlsx", "NIMT"),
        ("TISTR 2555.xlsx", "TISTR"),
    ],
)
def test_agency_and_year_from_the_file_name(tmp_path, file_name, code):
    result = read(book(tmp_path, [[1, "โครงการ ก", "ตาก", 1]], titles=()), file_name)
    assert (result.identity.agency_code, result.identity.fiscal_year) == (code, 2555)
    assert result.identity.warnings == []
    assert only_row(result).outcome == "accepted"


def test_the_title_beats_the_file_name_with_warnings(tmp_path):
    path = book(tmp_path, [[1, "โครงการ ก", "ตาก", 1]])  # titles: สวทช., 2555
    result = read(path, "วศ_2556.xlsx")
    ident = result.identity
    assert (ident.agency_code, ident.fiscal_year, ident.reason_code) == ("NSTDA", 2555, None)
    assert sorted(w.code for w in ident.warnings) == [
        "filename_agency_differs",
        "filename_year_differs",
    ]
    # ...and both reach the agency's feedback as file-level problems.
    assert sorted(codes_at(result, None)) == ["filename_agency_differs", "filename_year_differs"]
    assert only_row(result).outcome == "accepted"


def test_no_agency_anywhere_rejects_the_file(tmp_path):
    result = read(
        book(
            tmp_path,
            [[1, "โครงการ ก", "ตาก", 1]],
            titles=("ประจำปีงบประมาณ พ.ศ. 2555", "หน่วยงาน: กรมที่ไม่มีจริง"),
        ),
        "แผนงาน_2555.xlsx",
    )
    assert (result.identity.reason_code, result.rejected, result.rows) == (
        "agency_unknown",
        True,
        [],
    )


# ----------------------------------------------------------------------------- fiscal year


@pytest.mark.parametrize(
    ("title", "year"),
    [
        ("ประจำปีงบประมาณ พ.ศ. 2555", 2555),
        ("ประจำปีงบประมาณ พ.ศ. ๒๕๕๕", 2555),
        ("แผนบูรณาการฯ ปีงบประมาณ 2555", 2555),
        ("Fiscal year 2012", 2555),
        ("ปีงบประมาณ ค.ศ. 2012", 2555),
        ("ข้อมูล ณ วันที่ 15 สิงหาคม 2554 ประจำปีงบประมาณ พ.ศ. 2555", 2555),
    ],
)
def test_fiscal_year_from_the_title(tmp_path, title, year):
    result = read(
        book(tmp_path, [[1, "โครงการ ก", "ตาก", 1]], titles=(title, "หน่วยงาน: สวทช.")), "plan.xlsx"
    )
    assert (result.identity.fiscal_year, result.identity.reason_code) == (year, None)


def test_a_date_in_a_title_is_not_the_fiscal_year(tmp_path):
    titles = ("หน่วยงาน: สวทช.", "ข้อมูล ณ วันที่ 15 สิงหาคม 2554", "ปรับปรุงเมื่อ 15 สิงหาคม พ.ศ. 2554")
    path = book(tmp_path, [[1, "โครงการ ก", "ตาก", 1]], titles=titles)
    assert read(path, "plan.xlsx").identity.reason_code == "year_unknown"
    named = read(path, "plan_2555.xlsx").identity
    assert (named.fiscal_year, named.warnings) == (2555, [])


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([2555, "2555", "๒๕๕๕"], (2555, None)),
        ([2012, 2012, 2012], (2555, None)),
        ([2555, 2556, 2555], (None, "several_years")),
    ],
)
def test_fiscal_year_from_a_column(tmp_path, values, expected):
    header = (*HEADER, "ปีงบประมาณ")
    rows = [[i, f"โครงการ {i}", "ตาก", 1, v] for i, v in enumerate(values, 1)]
    result = read(book(tmp_path, rows, header=header, titles=("หน่วยงาน: สวทช.",)), "plan.xlsx")
    assert (result.identity.fiscal_year, result.identity.reason_code) == expected


def test_no_year_anywhere_rejects_the_file(tmp_path):
    result = read(
        book(tmp_path, [[1, "โครงการ ก", "ตาก", 1]], titles=("หน่วยงาน: สวทช.",)), "plan.xlsx"
    )
    assert (result.identity.reason_code, result.rows) == ("year_unknown", [])


# --------------------------------------------------------------------- whole-file rejects


def test_no_header_rejects_the_file(tmp_path):
    sheets = {
        "แผน": [
            ["หน่วยงาน: สวทช."],
            ["ประจำปีงบประมาณ พ.ศ. 2555"],
            ["โครงการ", "สถานที่", "เงิน"],
            ["โครงการ ก", "ตาก", 1000],
        ]
    }
    result = read(write_xlsx(tmp_path / "plan.xlsx", sheets))
    assert (result.identity.agency_code, result.identity.reason_code) == ("NSTDA", "no_header")
    assert result.rows == []


def test_corrupt_file_is_unreadable(tmp_path):
    path = tmp_path / "NSTDA_2555.xlsx"
    path.write_bytes(os.urandom(4096))
    for ident in (read(path).identity, route_file(path, path.name)):
        assert (ident.reason_code, ident.agency_code) == ("file_unreadable", None)


def test_a_zip_that_is_not_a_workbook_is_unreadable(tmp_path):
    path = tmp_path / "NSTDA_2555.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("hello.txt", "not a workbook")
    assert read(path).identity.reason_code == "file_unreadable"


def test_unsupported_type_is_rejected(tmp_path):
    path = tmp_path / "NSTDA_2555.csv"
    path.write_text("ชื่อโครงการ,จังหวัด,งบประมาณ (บาท)\nก,ตาก,1\n", encoding="utf-8")
    assert read(path).identity.reason_code == "file_type_unsupported"


# ------------------------------------------------------------------------ row problems


def test_a_row_with_several_problems_records_every_one(tmp_path):
    header = (*HEADER, "วันเริ่มต้น", "วันสิ้นสุด")
    rows = [
        [7, None, "เมืองลับแล", "หนึ่งล้าน", "2012-13-45", None],
        [8, "โครงการ ข", "ภาคอีสาน", "-5", "1 ต.ค. 2555", "30 ก.ย. 2554"],
        [9, "โครงการ ค", "ตาก", "1,000", None, None],
    ]
    result = read(book(tmp_path, rows, header=header))
    assert [(r.outcome, r.reason_code) for r in result.rows] == [
        ("rejected", "name_missing"),
        ("rejected", "province_is_region"),
        ("accepted", None),
    ]
    got = sorted((p.row_number, p.column, p.value, p.code) for p in result.problems)
    assert got == [
        (FIRST, "B", None, "name_missing"),
        (FIRST, "C", "เมืองลับแล", "province_unknown"),
        (FIRST, "D", "หนึ่งล้าน", "budget_not_number"),
        (FIRST, "E", "2012-13-45", "date_invalid"),
        (FIRST + 1, "C", "ภาคอีสาน", "province_is_region"),
        (FIRST + 1, "D", "-5", "budget_negative"),
        (FIRST + 1, "F", "30 ก.ย. 2554", "end_before_start"),
    ]
    assert all(p.sheet == "แผน" for p in result.problems)


def test_every_non_empty_row_gets_exactly_one_outcome(tmp_path):
    header = (*HEADER, "หมายเหตุ")
    rows = [
        ["ยุทธศาสตร์ที่ 1 วิทยาศาสตร์เพื่อชุมชน", None, None, None, None],  # +0 section
        [1, "โครงการ ก", "ตาก", 1000, None],  # +1 accepted
        [None, None, None, None, None],  # +2 empty: no outcome
        [2, "โครงการ ก", "ตาก", 1000, "ซ้ำ"],  # +3 duplicate
        [3, "โครงการ ข", "ภาคใต้", 1000, None],  # +4 rejected
        [None, None, None, None, "หมายเหตุท้ายตาราง"],  # +5 a note in an extra column: section
        [None, None, None, None, "   "],  # +6 blank text: empty
        [None, "รวม", None, 2000, None],  # +7 total
        [4, None, None, None, None],  # +8 a lone seq number: section
        [5, "โครงการ ค", None, None, None],  # +9 rejected
        [None, None, None, None, "\u200b"],  # +10 invisible only: empty
        [6, "โครงการ ง", "น่าน", 0, None],  # +11 accepted, warned
    ]
    result = read(book(tmp_path, rows, header=header))
    got = {r.row_number: r.outcome for r in result.rows}
    assert len(got) == len(result.rows)  # one outcome per row, no row twice
    expected = {
        0: "section",
        1: "accepted",
        3: "duplicate",
        4: "rejected",
        5: "section",
        7: "total",
        8: "section",
        9: "rejected",
        11: "accepted",
    }
    assert got == {FIRST + i: outcome for i, outcome in expected.items()}


# ------------------------------------------------------------------------ other formats


def test_legacy_xls(tmp_path):
    import xlwt

    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("แผน")
    date = xlwt.easyxf(num_format_str="DD/MM/YYYY")
    ws.write_merge(0, 0, 0, 4, "แผนบูรณาการ ประจำปีงบประมาณ พ.ศ. ๒๕๕๕")
    ws.write(1, 0, "หน่วยงาน: วศ.")
    for j, h in enumerate(("ลำดับ", "ชื่อ\nโครงการ", "จังหวัด", "งบประมาณ\n(ล้านบาท)", "วันเริ่มต้น")):
        ws.write(3, j, h)
    ws.write(4, 0, 1)
    ws.write(4, 1, "โครงการ ก")
    ws.write(4, 2, "จ.ขอนแก่น, โคราช")
    ws.write(4, 3, 1.25)
    ws.write(4, 4, dt.date(2011, 10, 1), date)
    ws.write(5, 1, "รวม")
    ws.write(5, 3, 1.25)
    path = tmp_path / "plan.xls"
    wb.save(str(path))
    result = read(path)
    assert (result.identity.agency_code, result.identity.fiscal_year) == ("DSS", 2555)
    first, total = result.rows
    assert (
        first.row_number,
        first.outcome,
        first.province_codes,
        first.budget,
        first.start_date,
    ) == (5, "accepted", ("TH-30", "TH-40"), Decimal("1250000.00"), dt.date(2011, 10, 1))
    assert total.outcome == "total"
    assert result.problems == []


def test_ods(tmp_path):
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    doc = OpenDocumentSpreadsheet()
    table = Table(name="แผน")
    grid = [
        ["หน่วยงาน: วว."],
        ["ประจำปีงบประมาณ พ.ศ. 2555"],
        ["ชื่อโครงการ", "จังหวัด", "งบประมาณ (ล้านบาท)"],
        ["โครงการ ก", "ขอนแก่น", 1.5],
        ["โครงการ ข", "กรุงเทพ ฯ", "๒.๕"],
    ]
    for values in grid:
        tr = TableRow()
        for v in values:
            if isinstance(v, float):
                cell = TableCell(valuetype="float", value=v)
            else:
                cell = TableCell(valuetype="string")
            cell.addElement(P(text=str(v)))
            tr.addElement(cell)
        table.addElement(tr)
    doc.spreadsheet.addElement(table)
    path = tmp_path / "plan.ods"
    doc.save(str(path))
    result = read(path)
    assert (result.identity.agency_code, result.identity.fiscal_year) == ("TISTR", 2555)
    assert [(r.row_number, r.province_codes, r.budget) for r in result.rows] == [
        (4, ("TH-40",), Decimal("1500000.00")),
        (5, ("TH-10",), Decimal("2500000.00")),
    ]


def test_xlsm(tmp_path):
    path = book(tmp_path, [[1, "โครงการ ก", "ตาก", 1000]], name="plan.xlsm")
    row = only_row(read(path))
    assert (row.outcome, row.budget) == ("accepted", Decimal("1000.00"))


def test_route_file_agrees_with_read_submission(tmp_path):
    path = book(tmp_path, [[i, f"โครงการ {i}", "ตาก", 1] for i in range(1, 4)])
    ident = route_file(path, "วศ_2555.xlsx")
    assert (ident.agency_code, ident.fiscal_year, ident.reason_code) == ("NSTDA", 2555, None)
    assert ident.warnings == read(path, "วศ_2555.xlsx").identity.warnings
