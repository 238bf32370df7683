"""The blank submission workbook an agency fills in (`stiplan template AGENCY`).

Written with openpyxl so that what the agency sends back is exactly what stiplan reads
best: two title rows that name the fiscal year and the agency, then the header of
DESIGN.md ("The submission workbook"), one project per row. Dropdowns help with the
province and strategy cells but never refuse a value: several provinces typed as
comma-separated text are normal, so the validations only *warn* (errorStyle "warning").
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from stiplan.assets.excel.edit import save_workbook, styled, use_styles
from stiplan.assets.excel.heights import fit_height
from stiplan.assets.excel.styles import BAHT, DATE, FONT_SIZE, STYLES
from stiplan.assets.ingest.agencies import match_agency
from stiplan.assets.ingest.text import thai_sort_key
from stiplan.schemas.fields import TEMPLATE_FIELDS
from stiplan.schemas.reference import AGENCY_BY_CODE, PROVINCES, STRATEGIES, Agency

PLAN_TITLE = "แผนบูรณาการงานด้านวิทยาศาสตร์ เทคโนโลยี และนวัตกรรมกับจังหวัด"
PROJECT_SHEET = "โครงการ"
INSTRUCTIONS_SHEET = "คำชี้แจง"
LIST_SHEET = "รายการ"  # hidden: the dropdowns' source lists
NATIONWIDE = "ทั่วประเทศ"

HEADER_ROW = 4  # rows 1-2: titles, row 3: a one-line hint
FIRST_ROW = HEADER_ROW + 1
DATA_ROWS = 500
LAST_ROW = FIRST_ROW + DATA_ROWS - 1

BUDGET_FORMAT = BAHT
DATE_FORMAT = DATE


# Column widths of the project sheet, in characters.
WIDTHS: dict[str, int] = {
    "seq": 7,
    "project_name": 60,
    "provinces": 30,
    "budget": 18,
    "strategy": 40,
    "target_group": 28,
    "start_date": 14,
    "end_date": 14,
    "contact_name": 24,
    "contact_phone": 16,
    "remarks": 30,
}
# (field, Thai header, English, width, required, how to fill: th, en), from the catalogue
COLUMNS: tuple[tuple[str, str, str, int, bool, str, str], ...] = tuple(
    (f.name, f.header_th, f.header_en, WIDTHS[f.name], f.required, f.how_th, f.how_en)
    for f in TEMPLATE_FIELDS
)
HEADER: tuple[str, ...] = tuple(c[1] for c in COLUMNS)
COLUMN_LETTER: dict[str, str] = {c[0]: get_column_letter(i) for i, c in enumerate(COLUMNS, 1)}


class UnknownAgency(ValueError):
    """The agency text matches no code, name, abbreviation or alias."""


def current_fiscal_year_be(today: dt.date | None = None) -> int:
    """Thai fiscal year in Buddhist era: it starts on 1 October (FY 2555 = Oct 2011-Sep 2012)."""
    today = today or dt.date.today()
    return today.year + 543 + (1 if today.month >= 10 else 0)


def resolve_agency(text: str) -> Agency:
    code = match_agency(text)
    if code is None:
        raise UnknownAgency(
            f"unknown agency {text!r}: give a code such as NSTDA or a Thai abbreviation such as "
            "สวทช. Known: "
            + ", ".join(
                f"{a.code} ({a.abbr_th})" if a.abbr_th else a.code for a in AGENCY_BY_CODE.values()
            )
        )
    return AGENCY_BY_CODE[code]


def agency_title(agency: Agency) -> str:
    """The text after `หน่วยงาน:`: `ABBR (Thai name)`, or the Thai name when there is no
    abbreviation. Both forms are resolved whole by `match_agency`."""
    return f"{agency.abbr_th} ({agency.name_th})" if agency.abbr_th else agency.name_th


def default_file_name(agency_code: str, fiscal_year_be: int) -> str:
    return f"{agency_code}_{fiscal_year_be}.xlsx"


def province_choices() -> list[str]:
    """ทั่วประเทศ, then the 77 provinces in Thai dictionary order (the plan book's)."""
    return [NATIONWIDE, *sorted((p.name_th for p in PROVINCES), key=thai_sort_key)]


def write_template(agency_code: str, fiscal_year_be: int, path: Path) -> Path:
    """Write a blank submission workbook for one agency and fiscal year (BE) to `path`.

    `agency_code` may be the code or any name `match_agency` resolves."""
    agency = resolve_agency(agency_code)
    if not 2400 <= int(fiscal_year_be) <= 2700:
        raise ValueError(f"fiscal year {fiscal_year_be} is not a Buddhist-era year (e.g. 2555)")
    path = Path(path)
    wb = use_styles(Workbook())
    ws = wb.active
    ws.title = PROJECT_SHEET
    _instructions(wb.create_sheet(INSTRUCTIONS_SHEET, 0), agency, fiscal_year_be)
    lists = _list_sheet(wb)
    _project_sheet(ws, agency, fiscal_year_be, lists)
    wb.active = wb.index(ws)
    ws.sheet_view.tabSelected = True
    wb[INSTRUCTIONS_SHEET].sheet_view.tabSelected = False
    # dated the first day of its fiscal year (1 October of the year before), never the clock
    return save_workbook(wb, path, dt.datetime(int(fiscal_year_be) - 544, 10, 1))


def _project_sheet(ws, agency: Agency, year: int, lists: dict[str, str]) -> None:
    width = len(COLUMNS)
    last_col = get_column_letter(width)
    titles = (f"{PLAN_TITLE} ประจำปีงบประมาณ พ.ศ. {year}", f"หน่วยงาน: {agency_title(agency)}")
    for row, text in enumerate(titles, start=1):
        styled(ws.cell(row=row, column=1, value=text), "banner")
        ws.merge_cells(f"A{row}:{last_col}{row}")
        ws.row_dimensions[row].height = fit_height(text, STYLES["banner"].size)
    hint = ws.cell(
        row=3,
        column=1,
        value=(
            "กรอกหนึ่งโครงการต่อหนึ่งแถว เริ่มแถวที่ 5 ห้ามแก้ไขแถวหัวตาราง ช่องสีส้มต้องกรอก "
            "(ดูแผ่นงาน คำชี้แจง) / One project per row from row 5; do not change the header; "
            "orange columns are required (see the คำชี้แจง sheet)"
        ),
    )
    styled(hint, "hint")
    ws.merge_cells(f"A3:{last_col}3")

    for col, (_field, th, en, w, required, how_th, how_en) in enumerate(COLUMNS, start=1):
        cell = ws.cell(row=HEADER_ROW, column=col, value=th)
        styled(cell, "required" if required else "header")
        comment = Comment(
            f"{en}{' (required / ต้องกรอก)' if required else ''}\n{how_th}\n{how_en}", "stiplan"
        )
        comment.width, comment.height = 320, 160
        cell.comment = comment
        ws.column_dimensions[get_column_letter(col)].width = w
    ws.row_dimensions[HEADER_ROW].height = max(
        fit_height(c[1], FONT_SIZE * 1.1, c[3])
        for c in COLUMNS  # bold glyphs are wider
    )

    styles = {
        "budget": "input_baht",
        "start_date": "input_date",
        "end_date": "input_date",
        "contact_phone": "input_text",
        "seq": "input_count",
        **dict.fromkeys(("project_name", "provinces", "strategy", "remarks"), "input_wrap"),
    }
    for col, column in enumerate(COLUMNS, start=1):
        name = styles.get(column[0], "input")
        for row in range(FIRST_ROW, LAST_ROW + 1):
            styled(ws.cell(row=row, column=col), name)

    ws.freeze_panes = f"C{FIRST_ROW}"  # titles, header, seq and project name stay in view
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True

    for dv in _validations(lists):
        ws.add_data_validation(dv)


def _rng(field: str) -> str:
    letter = COLUMN_LETTER[field]
    return f"{letter}{FIRST_ROW}:{letter}{LAST_ROW}"


def _validations(lists: dict[str, str]) -> list[DataValidation]:
    province = DataValidation(
        type="list",
        formula1=lists["provinces"],
        allow_blank=True,
        showDropDown=False,  # (sic) openpyxl: False means the in-cell arrow IS shown
        showErrorMessage=True,
        errorStyle="warning",
        errorTitle="หลายจังหวัด / Several provinces",
        error=(
            "ไม่ตรงกับรายการ: ถ้าเป็นหลายจังหวัดคั่นด้วยจุลภาค (เช่น เชียงใหม่, ลำพูน) กด Yes "
            "ได้เลย / Not in the list: several provinces separated by commas are fine, "
            "press Yes"
        ),
        showInputMessage=True,
        promptTitle="จังหวัด / Province",
        prompt=(
            "เลือกจังหวัด หรือพิมพ์หลายจังหวัดคั่นด้วยจุลภาค ทั่วประเทศ = nationwide / "
            "Pick a province or type several, comma-separated"
        ),
    )
    province.add(_rng("provinces"))
    strategy = DataValidation(
        type="list",
        formula1=lists["strategies"],
        allow_blank=True,
        showDropDown=False,
        showErrorMessage=True,
        errorStyle="warning",
        errorTitle="ยุทธศาสตร์ / Strategy",
        error=(
            "ไม่อยู่ในรายการ: พิมพ์ยุทธศาสตร์เองได้ กด Yes เพื่อยืนยัน / "
            "Not in the list: your own text is fine, press Yes to keep it"
        ),
        showInputMessage=True,
        promptTitle="ยุทธศาสตร์ / Strategy",
        prompt="เลือกจากรายการหรือพิมพ์เอง / Pick from the list or type your own",
    )
    strategy.add(_rng("strategy"))
    budget = DataValidation(
        type="decimal",
        operator="greaterThanOrEqual",
        formula1="0",
        allow_blank=True,
        showErrorMessage=True,
        errorStyle="warning",
        errorTitle="งบประมาณ / Budget",
        error=(
            "งบประมาณต้องเป็นตัวเลขบาทไม่ติดลบ เช่น 1250000 / "
            "The budget must be a non-negative number of baht, e.g. 1250000"
        ),
        showInputMessage=True,
        promptTitle="งบประมาณ (บาท) / Budget (baht)",
        prompt="กรอกเป็นบาท ไม่ใช่ล้านบาท / In baht, not million baht",
    )
    budget.add(_rng("budget"))
    dates = DataValidation(
        type="date",
        operator="between",
        formula1="DATE(1990,1,1)",
        formula2="DATE(2700,12,31)",
        allow_blank=True,
        showErrorMessage=True,
        errorStyle="warning",
        errorTitle="วันที่ / Date",
        error=(
            "ควรเป็นวันที่ เช่น 1/10/2554 หรือ 2011-10-01 / "
            "Should be a date such as 1/10/2554 or 2011-10-01"
        ),
    )
    dates.add(_rng("start_date"))
    dates.add(_rng("end_date"))
    return [province, strategy, budget, dates]


def _list_sheet(wb) -> dict[str, str]:
    ws = wb.create_sheet(LIST_SHEET)
    ws.sheet_state = "hidden"
    # Headers that name no submission field, so stiplan never takes this sheet for projects.
    ws["A1"], ws["B1"] = "รายชื่อจังหวัด (province list)", "รายการยุทธศาสตร์ (strategy list)"
    provinces = province_choices()
    for i, name in enumerate(provinces, start=2):
        ws.cell(row=i, column=1, value=name)
    for i, name in enumerate(STRATEGIES, start=2):
        ws.cell(row=i, column=2, value=name)
    for row in ws.iter_rows():
        for cell in row:
            styled(cell, "plain")
    ws.column_dimensions["A"].width = 24
    ws.column_dimensions["B"].width = 80
    quoted = f"'{LIST_SHEET}'"
    return {
        "provinces": f"{quoted}!$A$2:$A${len(provinces) + 1}",
        "strategies": f"{quoted}!$B$2:$B${len(STRATEGIES) + 1}",
    }


def _instructions(ws, agency: Agency, year: int) -> None:
    code = agency.code
    abbr = (agency.abbr_th or agency.name_th).rstrip(".")
    lines: list[tuple[str, str] | None] = [
        ("คำชี้แจงการกรอกแบบฟอร์ม", "How to fill in this form"),
        (
            f"{PLAN_TITLE} ปีงบประมาณ {year}",
            f"Provincial integration plan, fiscal year {year} BE "
            f"(October {year - 544} to September {year - 543})",
        ),
        (f"หน่วยงาน {agency_title(agency)}", f"Agency: {agency.name_en} ({code})"),
        None,
        (
            "1. หนึ่งไฟล์ต่อหนึ่งหน่วยงานต่อหนึ่งปีงบประมาณ ห้ามรวมหลายหน่วยงานหรือหลายปีในไฟล์เดียว",
            "1. One file per agency and fiscal year; never several agencies or years in one file.",
        ),
        (
            f"2. ตั้งชื่อไฟล์ว่า {code}_{year}.xlsx หรือ {abbr}_{year}.xlsx",
            f"2. Name the file {code}_{year}.xlsx (or {abbr}_{year}.xlsx).",
        ),
        (
            "3. กรอกโครงการในแผ่นงาน โครงการ หนึ่งโครงการต่อหนึ่งแถว เริ่มแถวที่ 5 "
            "ห้ามแก้ไขแถวชื่อแผน แถวหน่วยงาน และแถวหัวตาราง",
            "3. Fill the โครงการ sheet, one project per row from row 5; do not change the title "
            "rows or the header.",
        ),
        (
            "4. จังหวัด: เลือกจากรายการ หรือพิมพ์หลายจังหวัดคั่นด้วยจุลภาค เช่น เชียงใหม่, ลำพูน, ลำปาง "
            "โครงการที่ดำเนินการทั่วประเทศให้กรอก ทั่วประเทศ ห้ามกรอกเป็นภาค (เช่น ภาคเหนือ) "
            "หรือกลุ่มจังหวัด ให้ระบุรายชื่อจังหวัดแทน",
            "4. Province: pick one from the list or type several separated by commas (เชียงใหม่, "
            "ลำพูน, ลำปาง). Nationwide projects: ทั่วประเทศ. A region (ภาคเหนือ) or provincial "
            "cluster is not a province: list the provinces instead.",
        ),
        (
            "   เมื่อพิมพ์หลายจังหวัด Excel จะเตือนว่าไม่ตรงกับรายการ ให้กด Yes (ใช่) เพื่อยืนยัน",
            "   Excel warns that several provinces are not in the list: press Yes to keep them.",
        ),
        (
            "5. งบประมาณ: กรอกเป็นบาท (ไม่ใช่ล้านบาท) เป็นตัวเลข ไม่ติดลบ เช่น 1250000 หรือ 1,250,000.50 "
            "งบประมาณ 0 บาทจะถูกเตือนให้ตรวจสอบ",
            "5. Budget: in baht (not million baht), a non-negative number such as 1250000 or "
            "1,250,000.50. A zero budget is flagged for checking.",
        ),
        (
            "6. วันที่: กรอกเป็นวันที่ของ Excel เช่น 1/10/2554 หรือ 2011-10-01 ปี พ.ศ. หรือ ค.ศ. ก็ได้ "
            "วันสิ้นสุดต้องไม่ก่อนวันเริ่มต้น",
            "6. Dates: Excel dates such as 1/10/2554 or 2011-10-01, Buddhist or Common Era; the end "
            "date must not be before the start date.",
        ),
        (
            "7. ไม่ต้องกรอกแถวรวม ถ้ากรอก ให้เขียนคำว่า รวม ในช่องชื่อโครงการและเว้นช่องจังหวัด",
            "7. A totals row is not needed; if you add one, write รวม as its name and leave the "
            "province empty.",
        ),
        (
            "8. ส่งไฟล์ฉบับแก้ไขทั้งไฟล์ ไฟล์ใหม่จะแทนที่ไฟล์เดิมของหน่วยงานในปีงบประมาณเดียวกันทั้งหมด",
            "8. Resubmit the whole corrected file: a newer file replaces the agency's older file for "
            "the same fiscal year as a whole.",
        ),
        None,
    ]
    ws.column_dimensions["A"].width = _INSTR_A
    ws.column_dimensions["B"].width = _INSTR_B
    row = 1
    for line in lines:
        if line is None:
            row += 1
            continue
        th, en = line
        thai = "title" if row == 1 else "heading" if row <= 3 else "line"
        for text, name in ((th, thai), (en, "english")):
            styled(ws.cell(row=row, column=1, value=text), name)
            ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=2)
            width = _INSTR_A + _INSTR_B
            ws.row_dimensions[row].height = fit_height(text, STYLES[name].size, width)
            row += 1
    ws.cell(row=row, column=1, value="คอลัมน์ในแผ่นงาน โครงการ / Column")
    ws.cell(row=row, column=2, value="วิธีกรอก / How to fill")
    for cell in ws[row]:
        styled(cell, "header")
    row += 1
    for field, th, en, _w, required, how_th, how_en in COLUMNS:
        need = "\nต้องกรอก / required" if required else ""
        name = ws.cell(row=row, column=1, value=f"{COLUMN_LETTER[field]}  {th} / {en}{need}")
        styled(name, "cell_strong" if required else "cell")
        how = styled(ws.cell(row=row, column=2, value=f"{how_th}\n{how_en}"), "cell")
        ws.row_dimensions[row].height = max(
            fit_height(name.value, FONT_SIZE, _INSTR_A), fit_height(how.value, FONT_SIZE, _INSTR_B)
        )
        row += 1
    ws.sheet_view.showGridLines = False
    ws.page_setup.orientation = "portrait"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


_INSTR_A, _INSTR_B = 38, 92
