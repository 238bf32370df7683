"""The problem catalogue: every problem stiplan reports, and the one `Problem` type.

Each `ProblemType` says where it applies (its scope: a file, a sheet, a row or a
cell), whether it rejects (error) or only warns (warning), and, in Thai and in
English as separate fields, what happened and what the agency should do, so a focal
point can fix the cell without asking the plan office. The texts may name the
problem's own facts as placeholders (`{value}`, `{column}`, `{sheet}`, `{row}`,
`{file}`, `{detail}`), filled when a `Problem` renders them.

The rendered forms are what the warehouse stores (`row_problems.message_th/_en`:
"what: to do"; `submissions.reason`: `describe`), so they must not change shape:
readers take the parts from here, never by splitting a stored message.
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

Scope = Literal["file", "sheet", "row", "cell"]
Severity = Literal["error", "warning"]
Language = Literal["th", "en"]

SCOPES: tuple[str, ...] = ("file", "sheet", "row", "cell")
SEVERITIES: tuple[str, ...] = ("error", "warning")
# What a text may name; a `Problem` fills each from its own fields.
PLACEHOLDERS: tuple[str, ...] = ("value", "column", "sheet", "row", "file", "detail")


@dataclass(frozen=True)
class ProblemType:
    code: str
    scope: Scope
    severity: Severity  # "error" rejects the row (or file); "warning" keeps it
    what_th: str
    what_en: str
    todo_th: str = ""  # empty when there is nothing to do (a notice)
    todo_en: str = ""

    def what(self, lang: Language, facts: dict[str, object] | None = None) -> str:
        return _fill(self.what_th if lang == "th" else self.what_en, facts)

    def todo(self, lang: Language, facts: dict[str, object] | None = None) -> str:
        return _fill(self.todo_th if lang == "th" else self.todo_en, facts)

    def message(self, lang: Language, facts: dict[str, object] | None = None) -> str:
        """'what happened: what to do', the form stored in `row_problems`."""
        if not self.placeholders:  # the common case, once per problem of a large sheet
            return self._plain[lang]
        what, todo = self.what(lang, facts), self.todo(lang, facts)
        return f"{what}: {todo}" if todo else what

    @cached_property
    def placeholders(self) -> frozenset[str]:
        """The facts the texts name."""
        texts = (self.what_th, self.what_en, self.todo_th, self.todo_en)
        return frozenset(
            name for text in texts for _, name, _, _ in string.Formatter().parse(text) if name
        )

    @cached_property
    def _plain(self) -> dict[str, str]:
        return {
            lang: f"{what}: {todo}" if todo else what
            for lang, what, todo in (
                ("th", self.what_th, self.todo_th),
                ("en", self.what_en, self.todo_en),
            )
        }

    @property
    def th(self) -> str:
        return self.message("th")

    @property
    def en(self) -> str:
        return self.message("en")


class _Facts(dict):
    """Placeholders a problem has no fact for render as nothing."""

    def __missing__(self, key: str) -> str:
        return ""


def _fill(template: str, facts: dict[str, object] | None) -> str:
    if "{" not in template:
        return template
    return string.Formatter().vformat(
        template, (), _Facts({k: v for k, v in (facts or {}).items() if v is not None})
    )


_PROBLEMS = [
    # Row problems: a cell, or a row, of the project table
    ProblemType(
        "name_missing",
        "cell",
        "error",
        what_th="ไม่มีชื่อโครงการ",
        what_en="Project name is empty",
        todo_th="กรอกชื่อโครงการในช่องนี้",
        todo_en="type the project's name in this cell",
    ),
    ProblemType(
        "province_missing",
        "cell",
        "error",
        what_th="ไม่ระบุจังหวัด",
        what_en="No province",
        todo_th="กรอกชื่อจังหวัด (คั่นหลายจังหวัดด้วยจุลภาค) หรือ 'ทั่วประเทศ'",
        todo_en="type the province name(s), separated by commas, or 'ทั่วประเทศ' for nationwide",
    ),
    ProblemType(
        "province_unknown",
        "cell",
        "error",
        what_th="ไม่รู้จักชื่อจังหวัดนี้",
        what_en="Unknown province name",
        todo_th="ตรวจการสะกดให้ตรงกับชื่อจังหวัดทางการ",
        todo_en="check the spelling against the official province names",
    ),
    ProblemType(
        "province_is_region",
        "cell",
        "error",
        what_th="ระบุเป็นภาคหรือกลุ่มจังหวัด ไม่ใช่จังหวัด",
        what_en="This is a region or provincial cluster, not a province",
        todo_th="ระบุรายชื่อจังหวัดแทน",
        todo_en="list the provinces instead",
    ),
    ProblemType(
        "budget_missing",
        "cell",
        "error",
        what_th="ไม่มีงบประมาณ",
        what_en="Budget is empty",
        todo_th="กรอกงบประมาณเป็นตัวเลข",
        todo_en="type the budget as a number",
    ),
    ProblemType(
        "budget_merged",
        "cell",
        "error",
        what_th="ช่องงบประมาณถูกผสานเซลล์ครอบหลายโครงการ จึงนับให้เฉพาะแถวบนสุด",
        what_en="The budget cell is merged over several projects, so only the top row has it",
        todo_th="ยกเลิกการผสานเซลล์และใส่งบประมาณของแต่ละโครงการ",
        todo_en="unmerge the cells and give each project its own budget",
    ),
    ProblemType(
        "budget_not_number",
        "cell",
        "error",
        what_th="งบประมาณไม่ใช่ตัวเลข",
        what_en="Budget is not a number",
        todo_th="กรอกเฉพาะตัวเลข (ใช้จุลภาคคั่นหลักพันได้)",
        todo_en="type digits only (thousands separators are fine)",
    ),
    ProblemType(
        "budget_negative",
        "cell",
        "error",
        what_th="งบประมาณติดลบ",
        what_en="Budget is negative",
        todo_th="กรอกงบประมาณเป็นจำนวนบวก",
        todo_en="type a positive amount",
    ),
    ProblemType(
        "budget_zero",
        "cell",
        "warning",
        what_th="งบประมาณเป็นศูนย์",
        what_en="Budget is zero",
        todo_th="ตรวจว่าตั้งใจให้เป็น 0 บาท",
        todo_en="check that 0 baht is intended",
    ),
    ProblemType(
        "strategy_not_ministry",
        "cell",
        "warning",
        what_th="กระทรวงไม่มียุทธศาสตร์เลขนี้ (มียุทธศาสตร์ที่ 1–5)",
        what_en="The ministry has no strategy of this number (its strategies are 1–5)",
        todo_th="ตรวจเลขยุทธศาสตร์ โครงการนี้ถูกนับไว้ใต้ยุทธศาสตร์ตามที่พิมพ์",
        todo_en="check the number; the project is counted under the strategy as typed",
    ),
    ProblemType(
        "cell_error",
        "cell",
        "error",
        what_th="ช่องนี้แสดงข้อผิดพลาดของ Excel (เช่น #REF!, #N/A, #DIV/0!)",
        what_en="The cell shows an Excel error (such as #REF!, #N/A, #DIV/0!), not a value",
        todo_th="แก้สูตรหรือพิมพ์ค่าลงไปแทนสูตร",
        todo_en="fix the formula or type the value instead",
    ),
    ProblemType(
        "formula_not_calculated",
        "cell",
        "error",
        what_th="ช่องนี้มีสูตรที่ยังไม่ได้คำนวณผล (ไฟล์ไม่ได้บันทึกจาก Excel)",
        what_en="The cell holds a formula whose result was never saved (the file was not saved by Excel)",
        todo_th="เปิดไฟล์ใน Excel แล้วบันทึกใหม่ หรือพิมพ์ค่าลงไปแทนสูตร",
        todo_en="open and save it in Excel or LibreOffice, or type the value",
    ),
    ProblemType(
        "cell_error_text",
        "cell",
        "warning",
        what_th="ช่องนี้แสดงข้อผิดพลาดของ Excel จึงไม่ได้นำค่ามาใช้",
        what_en="The cell shows an Excel error, so it was left empty in the plan",
        todo_th="แก้สูตรหรือพิมพ์ค่าลงไปแทนสูตร",
        todo_en="fix the formula or type the value",
    ),
    ProblemType(
        "date_invalid",
        "cell",
        "error",
        what_th="วันที่อ่านไม่ได้",
        what_en="Date cannot be read",
        todo_th="ใช้รูปแบบวันที่ของ Excel หรือ เช่น 1 ต.ค. 2554",
        todo_en="use an Excel date or text such as 1 ต.ค. 2554 or 2011-10-01",
    ),
    ProblemType(
        "end_before_start",
        "cell",
        "error",
        what_th="วันสิ้นสุดอยู่ก่อนวันเริ่มต้น",
        what_en="End date is before the start date",
        todo_th="แก้วันที่ให้ถูกต้อง",
        todo_en="correct one of the dates",
    ),
    ProblemType(
        "total_mismatch",
        "row",
        "warning",
        what_th="ยอดรวมไม่ตรงกับผลรวมของโครงการด้านบน",
        what_en="The total does not equal the sum of the projects above it",
        todo_th="ตรวจยอดรวมหรือรายการโครงการ",
        todo_en="check the total or the rows",
    ),
    ProblemType(
        "agency_differs",
        "cell",
        "error",
        what_th="หน่วยงานในแถวนี้ต่างจากหน่วยงานของไฟล์",
        what_en="This row's agency differs from the file's agency",
        todo_th="ส่งแยกไฟล์ละหนึ่งหน่วยงาน",
        todo_en="send one file per agency",
    ),
    ProblemType(
        "year_differs",
        "cell",
        "error",
        what_th="ปีงบประมาณในแถวนี้ต่างจากปีของไฟล์",
        what_en="This row's fiscal year differs from the file's year",
        todo_th="ส่งแยกไฟล์ละหนึ่งปีงบประมาณ",
        todo_en="send one file per fiscal year",
    ),
    # File- and sheet-level warnings (kept in row_problems with no row)
    ProblemType(
        "filename_agency_differs",
        "file",
        "warning",
        what_th="ชื่อไฟล์ระบุหน่วยงานต่างจากในแผ่นงาน",
        what_en="The file name names another agency than the sheet",
        todo_th="ใช้หน่วยงานตามแผ่นงาน",
        todo_en="the sheet's agency was used",
    ),
    ProblemType(
        "filename_year_differs",
        "file",
        "warning",
        what_th="ชื่อไฟล์ระบุปีงบประมาณต่างจากในแผ่นงาน",
        what_en="The file name gives another fiscal year than the sheet",
        todo_th="ใช้ปีตามแผ่นงาน",
        todo_en="the sheet's year was used",
    ),
    ProblemType(
        "budget_unit_assumed",
        "sheet",
        "warning",
        what_th="หัวคอลัมน์งบประมาณไม่ระบุหน่วย",
        what_en="The budget header states no unit",
        todo_th="อ่านเป็นบาท ระบุ '(บาท)' หรือ '(ล้านบาท)' ในหัวคอลัมน์",
        todo_en="read as baht; write '(บาท)' or '(ล้านบาท)' in the header",
    ),
    ProblemType(
        "sheet_incomplete_header",
        "sheet",
        "warning",
        what_th="แผ่นงานนี้มีหัวตารางโครงการแต่ขาดคอลัมน์ที่ต้องมี จึงไม่ได้อ่าน",
        what_en="This sheet has a project header but lacks a required column, so it was not read",
        todo_th="เพิ่มคอลัมน์ที่ขาด",
        todo_en="add the missing column",
    ),
    ProblemType(
        "sheet_example_skipped",
        "sheet",
        "warning",
        what_th="แผ่นงานนี้เป็นตัวอย่างการกรอก จึงไม่ได้อ่าน",
        what_en="This sheet is a filling-in example, so it was not read",
        todo_th="ถ้าเป็นโครงการจริง ให้เปลี่ยนชื่อแผ่นงาน",
        todo_en="if it holds real projects, rename the sheet",
    ),
    ProblemType(
        "no_current_rows",
        "file",
        "warning",
        what_th="ไฟล์ฉบับปัจจุบันไม่มีโครงการที่รับได้เลย",
        what_en="The current version of this submission has no accepted project",
        todo_th="",
        todo_en="",
    ),
    # Whole-file rejections
    ProblemType(
        "file_type_unsupported",
        "file",
        "error",
        what_th="ไม่รับไฟล์ชนิดนี้",
        what_en="This file type is not accepted",
        todo_th="ส่งเป็น .xlsx, .xlsm, .xls หรือ .ods",
        todo_en="send .xlsx, .xlsm, .xls or .ods",
    ),
    ProblemType(
        "file_unreadable",
        "file",
        "error",
        what_th="เปิดไฟล์ไม่ได้ (ไฟล์เสียหรือไม่ใช่สเปรดชีต)",
        what_en="The file cannot be opened (damaged or not a spreadsheet)",
        todo_th="บันทึกใหม่จาก Excel เป็น .xlsx แล้วส่งอีกครั้ง",
        todo_en="save it again from Excel as .xlsx and resend",
    ),
    ProblemType(
        "reader_crashed",
        "file",
        "error",
        what_th="โปรแกรมอ่านไฟล์หยุดทำงานขณะอ่านไฟล์นี้ (ไฟล์อาจเสียหาย)",
        what_en="The reader stopped while reading this file (it may be damaged)",
        todo_th="บันทึกใหม่จาก Excel เป็น .xlsx แล้วส่งอีกครั้ง",
        todo_en="save it again from Excel as .xlsx and resend",
    ),
    ProblemType(
        "file_too_large",
        "file",
        "error",
        what_th="ไฟล์ใหญ่ผิดปกติหรือมีโครงสร้างที่อาจเป็นอันตราย",
        what_en="The file is abnormally large or malformed",
        todo_th="บันทึกใหม่เป็น .xlsx เฉพาะข้อมูลโครงการ",
        todo_en="save only the project table as a new .xlsx and resend",
    ),
    ProblemType(
        "no_header",
        "file",
        "error",
        what_th="ไม่พบหัวตารางโครงการ (ชื่อโครงการ, จังหวัด, งบประมาณ)",
        what_en="No project table header found (project name, province, budget)",
        todo_th="ใช้แบบฟอร์มของกระทรวง",
        todo_en="use the ministry's template",
    ),
    ProblemType(
        "agency_unknown",
        "file",
        "error",
        what_th="ระบุหน่วยงานไม่ได้",
        what_en="The agency cannot be determined",
        todo_th="เพิ่มแถว 'หน่วยงาน: <ชื่อหรืออักษรย่อ>' เหนือหัวตาราง หรือใส่ชื่อย่อในชื่อไฟล์ เช่น NSTDA_2555.xlsx",
        todo_en="add a title row 'หน่วยงาน: <name or abbreviation>' above the header, or name the file like NSTDA_2555.xlsx",
    ),
    ProblemType(
        "year_unknown",
        "file",
        "error",
        what_th="ระบุปีงบประมาณไม่ได้",
        what_en="The fiscal year cannot be determined",
        todo_th="เพิ่มแถว 'ประจำปีงบประมาณ พ.ศ. 2555' เหนือหัวตาราง หรือใส่ปีในชื่อไฟล์",
        todo_en="add a title row 'ประจำปีงบประมาณ พ.ศ. 2555' above the header, or put the year in the file name",
    ),
    ProblemType(
        "several_agencies",
        "file",
        "error",
        what_th="ไฟล์นี้มีหลายหน่วยงาน",
        what_en="Several agencies in one file",
        todo_th="ส่งแยกไฟล์ละหนึ่งหน่วยงาน",
        todo_en="send one file per agency",
    ),
    ProblemType(
        "several_years",
        "file",
        "error",
        what_th="ไฟล์นี้มีหลายปีงบประมาณ",
        what_en="Several fiscal years in one file",
        todo_th="ส่งแยกไฟล์ละหนึ่งปีงบประมาณ",
        todo_en="send one file per fiscal year",
    ),
]

PROBLEMS: dict[str, ProblemType] = {p.code: p for p in _PROBLEMS}


def problem_type(code: str) -> ProblemType:
    return PROBLEMS[code]


@dataclass(frozen=True)
class Problem:
    """One problem found, where it was found. The location's first fields come in
    the order a sheet is read (sheet, row, column, value as typed, code);
    `Problem.of` names them for a file- or sheet-level problem."""

    sheet: str | None
    row_number: int | None
    column: str | None  # Excel letter; "" or None when the problem has no column
    value: str | None
    code: str
    detail: str = field(default="", kw_only=True)  # what the reader said, for the log
    file: str | None = field(default=None, kw_only=True)

    @classmethod
    def of(cls, code: str, detail: str = "", **where) -> Problem:
        """A problem with only the parts of its location that it has."""
        return cls(
            where.get("sheet"),
            where.get("row_number"),
            where.get("column"),
            where.get("value"),
            code,
            detail=detail or "",
            file=where.get("file"),
        )

    @property
    def type(self) -> ProblemType:
        return PROBLEMS[self.code]

    @property
    def severity(self) -> str:
        return self.type.severity

    def facts(self) -> dict[str, object]:
        return {
            "value": self.value,
            "column": self.column or None,
            "sheet": self.sheet,
            "row": self.row_number,
            "file": self.file,
            "detail": self.detail or None,
        }

    def what(self, lang: Language) -> str:
        return self.type.what(lang, self.facts())

    def todo(self, lang: Language) -> str:
        return self.type.todo(lang, self.facts())

    def th(self) -> str:
        t = self.type
        return t.message("th", self.facts() if t.placeholders else None)

    def en(self) -> str:
        t = self.type
        return t.message("en", self.facts() if t.placeholders else None)

    def text(self) -> str:
        """One line for `submissions.reason` and terminal summaries: English (with the
        detail in brackets), then Thai."""
        extra = f" ({self.detail})" if self.detail else ""
        return f"{self.en()}{extra} / {self.th()}"


def describe(code: str, detail: str = "") -> str:
    """`Problem.text` of a problem known by its code alone."""
    return Problem.of(code, detail).text()
