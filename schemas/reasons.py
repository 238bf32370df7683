"""One catalogue of reason codes: every problem stiplan reports comes from here.

Each entry says, in Thai and English, what is wrong and what the agency should do,
so a focal point can fix the cell without asking the plan office.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Reason:
    code: str
    severity: str  # "error" rejects the row (or file); "warning" keeps it
    th: str
    en: str


_REASONS = [
    # Row problems
    Reason(
        "name_missing",
        "error",
        "ไม่มีชื่อโครงการ: กรอกชื่อโครงการในช่องนี้",
        "Project name is empty: type the project's name in this cell",
    ),
    Reason(
        "province_missing",
        "error",
        "ไม่ระบุจังหวัด: กรอกชื่อจังหวัด (คั่นหลายจังหวัดด้วยจุลภาค) หรือ 'ทั่วประเทศ'",
        "No province: type the province name(s), separated by commas, or 'ทั่วประเทศ' for nationwide",
    ),
    Reason(
        "province_unknown",
        "error",
        "ไม่รู้จักชื่อจังหวัดนี้: ตรวจการสะกดให้ตรงกับชื่อจังหวัดทางการ",
        "Unknown province name: check the spelling against the official province names",
    ),
    Reason(
        "province_is_region",
        "error",
        "ระบุเป็นภาคหรือกลุ่มจังหวัด ไม่ใช่จังหวัด: ระบุรายชื่อจังหวัดแทน",
        "This is a region or provincial cluster, not a province: list the provinces instead",
    ),
    Reason(
        "budget_missing",
        "error",
        "ไม่มีงบประมาณ: กรอกงบประมาณเป็นตัวเลข",
        "Budget is empty: type the budget as a number",
    ),
    Reason(
        "budget_merged",
        "error",
        "ช่องงบประมาณถูกผสานเซลล์ครอบหลายโครงการ จึงนับให้เฉพาะแถวบนสุด: ยกเลิกการผสานเซลล์และใส่งบประมาณของแต่ละโครงการ",
        "The budget cell is merged over several projects, so only the top row has it: unmerge the cells and give each project its own budget",
    ),
    Reason(
        "budget_not_number",
        "error",
        "งบประมาณไม่ใช่ตัวเลข: กรอกเฉพาะตัวเลข (ใช้จุลภาคคั่นหลักพันได้)",
        "Budget is not a number: type digits only (thousands separators are fine)",
    ),
    Reason(
        "budget_negative",
        "error",
        "งบประมาณติดลบ: กรอกงบประมาณเป็นจำนวนบวก",
        "Budget is negative: type a positive amount",
    ),
    Reason(
        "budget_zero",
        "warning",
        "งบประมาณเป็นศูนย์: ตรวจว่าตั้งใจให้เป็น 0 บาท",
        "Budget is zero: check that 0 baht is intended",
    ),
    Reason(
        "cell_error",
        "error",
        "ช่องนี้แสดงข้อผิดพลาดของ Excel (เช่น #REF!, #N/A, #DIV/0!): แก้สูตรหรือพิมพ์ค่าลงไปแทนสูตร",
        "The cell shows an Excel error (such as #REF!, #N/A, #DIV/0!), not a value: fix the formula or type the value instead",
    ),
    Reason(
        "formula_not_calculated",
        "error",
        "ช่องนี้มีสูตรที่ยังไม่ได้คำนวณผล (ไฟล์ไม่ได้บันทึกจาก Excel): เปิดไฟล์ใน Excel แล้วบันทึกใหม่ หรือพิมพ์ค่าลงไปแทนสูตร",
        "The cell holds a formula whose result was never saved (the file was not saved by Excel): open and save it in Excel or LibreOffice, or type the value",
    ),
    Reason(
        "cell_error_text",
        "warning",
        "ช่องนี้แสดงข้อผิดพลาดของ Excel จึงไม่ได้นำค่ามาใช้: แก้สูตรหรือพิมพ์ค่าลงไปแทนสูตร",
        "The cell shows an Excel error, so it was left empty in the plan: fix the formula or type the value",
    ),
    Reason(
        "date_invalid",
        "error",
        "วันที่อ่านไม่ได้: ใช้รูปแบบวันที่ของ Excel หรือ เช่น 1 ต.ค. 2554",
        "Date cannot be read: use an Excel date or text such as 1 ต.ค. 2554 or 2011-10-01",
    ),
    Reason(
        "end_before_start",
        "error",
        "วันสิ้นสุดอยู่ก่อนวันเริ่มต้น: แก้วันที่ให้ถูกต้อง",
        "End date is before the start date: correct one of the dates",
    ),
    Reason(
        "total_mismatch",
        "warning",
        "ยอดรวมไม่ตรงกับผลรวมของโครงการด้านบน: ตรวจยอดรวมหรือรายการโครงการ",
        "The total does not equal the sum of the projects above it: check the total or the rows",
    ),
    Reason(
        "agency_differs",
        "error",
        "หน่วยงานในแถวนี้ต่างจากหน่วยงานของไฟล์: ส่งแยกไฟล์ละหนึ่งหน่วยงาน",
        "This row's agency differs from the file's agency: send one file per agency",
    ),
    Reason(
        "year_differs",
        "error",
        "ปีงบประมาณในแถวนี้ต่างจากปีของไฟล์: ส่งแยกไฟล์ละหนึ่งปีงบประมาณ",
        "This row's fiscal year differs from the file's year: send one file per fiscal year",
    ),
    # File-level warnings (kept in row_problems with no row)
    Reason(
        "filename_agency_differs",
        "warning",
        "ชื่อไฟล์ระบุหน่วยงานต่างจากในแผ่นงาน: ใช้หน่วยงานตามแผ่นงาน",
        "The file name names another agency than the sheet: the sheet's agency was used",
    ),
    Reason(
        "filename_year_differs",
        "warning",
        "ชื่อไฟล์ระบุปีงบประมาณต่างจากในแผ่นงาน: ใช้ปีตามแผ่นงาน",
        "The file name gives another fiscal year than the sheet: the sheet's year was used",
    ),
    Reason(
        "budget_unit_assumed",
        "warning",
        "หัวคอลัมน์งบประมาณไม่ระบุหน่วย: อ่านเป็นบาท ระบุ '(บาท)' หรือ '(ล้านบาท)' ในหัวคอลัมน์",
        "The budget header states no unit: read as baht; write '(บาท)' or '(ล้านบาท)' in the header",
    ),
    Reason(
        "sheet_incomplete_header",
        "warning",
        "แผ่นงานนี้มีหัวตารางโครงการแต่ขาดคอลัมน์ที่ต้องมี จึงไม่ได้อ่าน: เพิ่มคอลัมน์ที่ขาด",
        "This sheet has a project header but lacks a required column, so it was not read: add the missing column",
    ),
    Reason(
        "sheet_example_skipped",
        "warning",
        "แผ่นงานนี้เป็นตัวอย่างการกรอก จึงไม่ได้อ่าน: ถ้าเป็นโครงการจริง ให้เปลี่ยนชื่อแผ่นงาน",
        "This sheet is a filling-in example, so it was not read: if it holds real projects, rename the sheet",
    ),
    Reason(
        "no_current_rows",
        "warning",
        "ไฟล์ฉบับปัจจุบันไม่มีโครงการที่รับได้เลย",
        "The current version of this submission has no accepted project",
    ),
    # Whole-file rejections
    Reason(
        "file_type_unsupported",
        "error",
        "ไม่รับไฟล์ชนิดนี้: ส่งเป็น .xlsx, .xlsm, .xls หรือ .ods",
        "This file type is not accepted: send .xlsx, .xlsm, .xls or .ods",
    ),
    Reason(
        "file_unreadable",
        "error",
        "เปิดไฟล์ไม่ได้ (ไฟล์เสียหรือไม่ใช่สเปรดชีต): บันทึกใหม่จาก Excel เป็น .xlsx แล้วส่งอีกครั้ง",
        "The file cannot be opened (damaged or not a spreadsheet): save it again from Excel as .xlsx and resend",
    ),
    Reason(
        "reader_crashed",
        "error",
        "โปรแกรมอ่านไฟล์หยุดทำงานขณะอ่านไฟล์นี้ (ไฟล์อาจเสียหาย): บันทึกใหม่จาก Excel เป็น .xlsx แล้วส่งอีกครั้ง",
        "The reader stopped while reading this file (it may be damaged): save it again from Excel as .xlsx and resend",
    ),
    Reason(
        "file_too_large",
        "error",
        "ไฟล์ใหญ่ผิดปกติหรือมีโครงสร้างที่อาจเป็นอันตราย: บันทึกใหม่เป็น .xlsx เฉพาะข้อมูลโครงการ",
        "The file is abnormally large or malformed: save only the project table as a new .xlsx and resend",
    ),
    Reason(
        "no_header",
        "error",
        "ไม่พบหัวตารางโครงการ (ชื่อโครงการ, จังหวัด, งบประมาณ): ใช้แบบฟอร์มของกระทรวง",
        "No project table header found (project name, province, budget): use the ministry's template",
    ),
    Reason(
        "agency_unknown",
        "error",
        "ระบุหน่วยงานไม่ได้: เพิ่มแถว 'หน่วยงาน: <ชื่อหรืออักษรย่อ>' เหนือหัวตาราง หรือใส่ชื่อย่อในชื่อไฟล์ เช่น NSTDA_2555.xlsx",
        "The agency cannot be determined: add a title row 'หน่วยงาน: <name or abbreviation>' above the header, or name the file like NSTDA_2555.xlsx",
    ),
    Reason(
        "year_unknown",
        "error",
        "ระบุปีงบประมาณไม่ได้: เพิ่มแถว 'ประจำปีงบประมาณ พ.ศ. 2555' เหนือหัวตาราง หรือใส่ปีในชื่อไฟล์",
        "The fiscal year cannot be determined: add a title row 'ประจำปีงบประมาณ พ.ศ. 2555' above the header, or put the year in the file name",
    ),
    Reason(
        "several_agencies",
        "error",
        "ไฟล์นี้มีหลายหน่วยงาน: ส่งแยกไฟล์ละหนึ่งหน่วยงาน",
        "Several agencies in one file: send one file per agency",
    ),
    Reason(
        "several_years",
        "error",
        "ไฟล์นี้มีหลายปีงบประมาณ: ส่งแยกไฟล์ละหนึ่งปีงบประมาณ",
        "Several fiscal years in one file: send one file per fiscal year",
    ),
]

REASONS: dict[str, Reason] = {r.code: r for r in _REASONS}


def reason(code: str) -> Reason:
    return REASONS[code]


def describe(code: str, detail: str = "") -> str:
    """One line for `submissions.reason` and terminal summaries: English, then Thai."""
    r = REASONS[code]
    extra = f" ({detail})" if detail else ""
    return f"{r.en}{extra} / {r.th}"
