"""A corpus of hostile but ordinary submissions, written by the tests themselves.

Each builder writes one file into a folder and returns what must come of it, written
by hand from what the builder puts in: the agency and fiscal year it routes to, its
status, and the outcome of every non-empty row below its header (Excel row numbers).
Every layout class of DESIGN.md's "What real submissions do" appears in two variants
of its own, beside packages that declare more than they hold, Excel error cells and
file names no filesystem forbids.
"""

from __future__ import annotations

import os
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl

YEAR_TITLE = "ประจำปีงบประมาณ พ.ศ. {}"


@dataclass
class Expected:
    name: bytes  # the file name as the filesystem holds it
    agency: str | None
    year: int | None
    status: str = "current"
    outcomes: dict[str, list[tuple[int, str]]] = field(default_factory=dict)  # sheet -> rows
    problems: set[tuple[str, int, str, str]] = field(default_factory=set)  # sheet,row,col,code
    budget: str | None = None  # accepted total, baht


def _save(wb: openpyxl.Workbook, folder: Path, name: str | bytes) -> Path:
    raw = name if isinstance(name, bytes) else name.encode()
    path = Path(os.fsdecode(os.path.join(os.fsencode(folder), raw)))
    wb.save(path)
    return path


def _sheet(rows: list[list], title: str = "แผน"):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = title
    for r in rows:
        ws.append(r)
    return wb, ws


# ------------------------------------------------------------------ vertical merges


def merged_province(folder: Path) -> Expected:
    """A province merged down over three projects; the total below is not in it."""
    wb, ws = _sheet(
        [
            ["หน่วยงาน: วว."],
            [YEAR_TITLE.format(2556)],
            ["ลำดับ", "ชื่อโครงการ", "จังหวัด", "งบประมาณ (บาท)"],
            [1, "โครงการผลิตภัณฑ์ชุมชน", "เชียงใหม่", 100],
            [2, "โครงการถ่ายทอดเทคโนโลยีอาหาร", None, 200],
            [3, "โครงการพลังงานชุมชน", None, 300],
            [4, "โครงการน้ำสะอาด", "น่าน", 400],
            ["รวม", None, None, 1000],
        ]
    )
    ws.merge_cells("C4:C6")
    _save(wb, folder, "TISTR_2556_merged.xlsx")
    return Expected(
        b"TISTR_2556_merged.xlsx",
        "TISTR",
        2556,
        outcomes={
            "แผน": [
                (4, "accepted"),
                (5, "accepted"),
                (6, "accepted"),
                (7, "accepted"),
                (8, "total"),
            ]
        },
        budget="1000.00",
    )


def merged_strategy_and_province_xls(folder: Path) -> Expected:
    """Legacy .xls: a strategy merged over two rows in column A and a province merged
    over two rows in the last column."""
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    sh = book.add_sheet("Sheet1")
    sh.write(0, 0, "หน่วยงาน: มว.")
    sh.write(1, 0, YEAR_TITLE.format(2556))
    for j, h in enumerate(["ยุทธศาสตร์", "ชื่อโครงการ", "งบประมาณ (บาท)", "จังหวัด"]):
        sh.write(2, j, h)
    sh.write_merge(3, 4, 0, 0, "ยุทธศาสตร์ที่ 1")
    sh.write_merge(3, 4, 3, 3, "ขอนแก่น")
    sh.write(3, 1, "โครงการสอบเทียบเครื่องชั่ง")
    sh.write(3, 2, 5000)
    sh.write(4, 1, "โครงการมาตรวิทยาในโรงเรียน")
    sh.write(4, 2, 7000)
    sh.write(5, 0, "ยุทธศาสตร์ที่ 2")
    sh.write(5, 1, "โครงการห้องปฏิบัติการ")
    sh.write(5, 2, 1000)
    sh.write(5, 3, "ตาก")
    sh.write(6, 1, "โครงการเครื่องมือวัด")  # a budget that shows #REF! in a legacy file
    sh.row(6).set_cell_error(2, "#REF!")
    sh.write(6, 3, "ตาก")
    book.save(str(folder / "NIMT_2556.xls"))
    return Expected(
        b"NIMT_2556.xls",
        "NIMT",
        2556,
        outcomes={"Sheet1": [(4, "accepted"), (5, "accepted"), (6, "accepted"), (7, "rejected")]},
        problems={("Sheet1", 7, "C", "cell_error")},
        budget="13000.00",
    )


def merged_name_and_budget(folder: Path) -> Expected:
    """A project name merged down over its provinces' rows (one project per province),
    and a budget merged down over two projects: only the top row keeps the money."""
    wb, ws = _sheet(
        [
            ["หน่วยงาน: สทน."],
            [YEAR_TITLE.format(2559)],
            ["ลำดับ", "ชื่อโครงการ", "จังหวัด", "งบประมาณ (บาท)"],
            [1, "โครงการเครือข่ายวิทยาศาสตร์", "ลพบุรี", 100],
            [None, None, "สระบุรี", 200],
            [2, "โครงการอบรมครู", "ชัยภูมิ", 900],
            [3, "โครงการอบรมครูระยะที่ 2", "ชัยภูมิ", None],
        ]
    )
    ws.merge_cells("B4:B5")
    ws.merge_cells("D6:D7")
    _save(wb, folder, "TINT_2559.xlsx")
    return Expected(
        b"TINT_2559.xlsx",
        "TINT",
        2559,
        outcomes={"แผน": [(4, "accepted"), (5, "accepted"), (6, "accepted"), (7, "rejected")]},
        problems={("แผน", 7, "D", "budget_merged")},
        budget="1200.00",
    )


def merged_province_ods(folder: Path) -> Expected:
    """LibreOffice: a province spanning two rows (number-rows-spanned + a covered cell)."""
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import CoveredTableCell, Table, TableCell, TableRow
    from odf.text import P

    doc = OpenDocumentSpreadsheet()
    table = Table(name="แผน")

    def cell(value, **kw):
        c = TableCell(valuetype="string", **kw)
        c.addElement(P(text=str(value)))
        return c

    error = TableCell(valuetype="float", value=7, formula="of:=1/0")
    error.addElement(P(text="#DIV/0!"))
    for cells in (
        [cell("หน่วยงาน: สำนักงานรัฐมนตรี")],
        [cell(YEAR_TITLE.format(2559))],
        [cell("ชื่อโครงการ"), cell("จังหวัด"), cell("งบประมาณ (บาท)")],
        [cell("โครงการรัฐมนตรีพบประชาชน"), cell("ยะลา", numberrowsspanned=2), cell("100")],
        [cell("โครงการวิทยาศาสตร์ชายแดนใต้"), CoveredTableCell(), cell("200")],
        [cell("โครงการศูนย์เรียนรู้"), cell("ปัตตานี"), error],
    ):
        tr = TableRow()
        for c in cells:
            tr.addElement(c)
        table.addElement(tr)
    doc.spreadsheet.addElement(table)
    path = folder / "OMIN_2559.ods"
    doc.save(str(path))
    # LibreOffice marks a failed formula's cell as an error and keeps a number in it.
    _patch_member(
        path,
        "content.xml",
        lambda d: d.replace(
            b"<office:document-content ",
            b'<office:document-content xmlns:calcext="urn:org:'
            b'documentfoundation:names:experimental:calc:xmlns:calcext:1.0" ',
            1,
        ).replace(b'office:value="7"', b'office:value="7" calcext:value-type="error"', 1),
    )
    return Expected(
        b"OMIN_2559.ods",
        "OMIN",
        2559,
        outcomes={"แผน": [(4, "accepted"), (5, "accepted"), (6, "rejected")]},
        problems={("แผน", 6, "C", "cell_error")},
        budget="300.00",
    )


# -------------------------------------------------------------- headers over two rows


def two_row_header(folder: Path) -> Expected:
    """Group headings merged across, sub-headings and the unit below; ลำดับ merged down."""
    wb, ws = _sheet(
        [
            ["แผนบูรณาการงานด้านวิทยาศาสตร์ฯ " + YEAR_TITLE.format(2557)],
            ["หน่วยงาน: สทอภ."],
            ["ลำดับ", "รายละเอียดโครงการ", None, "งบประมาณ", "หมายเหตุ"],
            [None, "ชื่อโครงการ", "จังหวัด", "(บาท)", None],
            [1, "โครงการแผนที่น้ำท่วม", "อยุธยา", "1,500,000", None],
            [2, "โครงการดาวเทียมเพื่อเกษตร", "สุพรรณบุรี, ชัยนาท", 2500000, "ต่อเนื่อง"],
        ]
    )
    ws.merge_cells("A3:A4")
    ws.merge_cells("B3:C3")
    ws.merge_cells("E3:E4")
    _save(wb, folder, "แผนบูรณาการ ฉบับส่งกระทรวง.xlsx")
    return Expected(
        "แผนบูรณาการ ฉบับส่งกระทรวง.xlsx".encode(),
        "GISTDA",
        2557,
        outcomes={"แผน": [(5, "accepted"), (6, "accepted")]},
        budget="4000000.00",
    )


def two_row_header_years(folder: Path) -> Expected:
    """A budget group over one column per year in ล้านบาท; the first year's column is the
    budget (first wins), and an English group heading beside it."""
    wb, ws = _sheet(
        [
            ["Agency: NARIT"],
            ["Fiscal year 2557"],
            ["Project details", None, "งบประมาณ (ล้านบาท)", None],
            ["Project name", "Province", "ปี 2557", "ปี 2558"],
            ["Dark sky parks", "Chiang Mai", 1.25, 2],
            ["School telescopes", "ทั่วประเทศ", "0.5", 1],
        ],
        title="Plan",
    )
    ws.merge_cells("A3:B3")
    ws.merge_cells("C3:D3")
    _save(wb, folder, "narit-plan.xlsx")
    return Expected(
        b"narit-plan.xlsx",
        "NARIT",
        2557,
        outcomes={"Plan": [(5, "accepted"), (6, "accepted")]},
        budget="1750000.00",
    )


def budget_by_kind_with_a_total(folder: Path) -> Expected:
    """The budget split by kind of spending under one group, with a total column, and a
    column per plan year: the total is the project's budget."""
    wb, ws = _sheet(
        [
            ["หน่วยงาน: สวทน."],
            [YEAR_TITLE.format(2556)],
            ["ลำดับ", "รายการ", "จังหวัด", "งบประมาณ (บาท)", None, None],
            [None, None, None, "งบดำเนินงาน", "งบลงทุน", "รวม"],
            [1, "โครงการนโยบายนวัตกรรมจังหวัด", "ภูเก็ต", 100, 50, 150],
            [2, "โครงการเมืองนวัตกรรม", "สงขลา", 200, 0, 200],
        ]
    )
    ws.merge_cells("D3:F3")  # and no merges down: the sub-headings alone say it
    _save(wb, folder, "STI_2556.xlsx")
    return Expected(
        b"STI_2556.xlsx",
        "STI",
        2556,
        outcomes={"แผน": [(5, "accepted"), (6, "accepted")]},
        budget="350.00",
    )


def budget_column_of_the_plan_year(folder: Path) -> Expected:
    """Two year columns without a group heading; the plan's year is the second."""
    wb, _ = _sheet(
        [
            ["หน่วยงาน: สนช."],
            [YEAR_TITLE.format(2556)],
            ["ชื่อโครงการ", "จังหวัด", "งบประมาณปี 2555 (บาท)", "งบประมาณปี 2556 (บาท)"],
            ["โครงการนวัตกรรมอาหาร", "เพชรบุรี", 100, 300],
        ]
    )
    _save(wb, folder, "NIA_2556.xlsx")
    return Expected(
        b"NIA_2556.xlsx", "NIA", 2556, outcomes={"แผน": [(4, "accepted")]}, budget="300.00"
    )


def bilingual_header_rows(folder: Path) -> Expected:
    """A Thai header with its English translation on the row beneath."""
    wb, _ = _sheet(
        [
            ["หน่วยงาน: อพวช."],
            [YEAR_TITLE.format(2556)],
            ["ลำดับ", "ชื่อโครงการ", "จังหวัด", "งบประมาณ (บาท)"],
            ["No.", "Project name", "Province", "Budget (baht)"],
            [1, "โครงการรถพิพิธภัณฑ์", "อุบลราชธานี", 5000],
        ]
    )
    _save(wb, folder, "NSM_2556.xlsx")
    return Expected(
        b"NSM_2556.xlsx", "NSM", 2556, outcomes={"แผน": [(5, "accepted")]}, budget="5000.00"
    )


# ------------------------------------------------------------ the year in the budget header


def budget_header_with_year(folder: Path) -> Expected:
    wb, _ = _sheet(
        [
            ["หน่วยงาน: ปส."],
            [YEAR_TITLE.format(2557)],
            ["ที่", "ชื่อโครงการ", "จังหวัด", "งบประมาณปี 2557 (บาท)"],
            [1, "โครงการเฝ้าระวังรังสี", "ระยอง", 300000],
        ]
    )
    _save(wb, folder, "OAP_2557.xlsx")
    return Expected(
        b"OAP_2557.xlsx", "OAP", 2557, outcomes={"แผน": [(4, "accepted")]}, budget="300000.00"
    )


def budget_header_with_thai_year_in_millions(folder: Path) -> Expected:
    wb, _ = _sheet(
        [
            ["หน่วยงาน: อพวช."],
            ["ลำดับ", "ชื่อโครงการ", "พื้นที่ดำเนินการ", "งบประมาณ พ.ศ. ๒๕๕๗ (ล้านบาท)", "ปีงบประมาณ"],
            [1, "โครงการพิพิธภัณฑ์สัญจร", "จ.ลำปาง", "๑.๕", 2557],
        ]
    )
    _save(wb, folder, "museum.xlsx")
    return Expected(
        b"museum.xlsx", "NSM", 2557, outcomes={"แผน": [(3, "accepted")]}, budget="1500000.00"
    )


# ---------------------------------------------------------------------------- totals


def totals_with_counts(folder: Path) -> Expected:
    wb, _ = _sheet(
        [
            ["หน่วยงาน: สซ."],
            [YEAR_TITLE.format(2557)],
            ["ลำดับ", "ชื่อโครงการ", "จังหวัด", "งบประมาณ (บาท)"],
            [1, "รวมพลังวิทยาศาสตร์เพื่อชุมชน", "นครราชสีมา", 1000],
            [2, "โครงการแสงซินโครตรอนเพื่ออุตสาหกรรม", "ชลบุรี", 2000],
            ["รวม 2 โครงการ", None, None, 3000],
            [3, "โครงการค่ายวิทยาศาสตร์", "บุรีรัมย์", 500],
            [None, "รวมทั้งสิ้น 3 โครงการ", None, "3,500"],
        ]
    )
    _save(wb, folder, "SLRI_2557.xlsx")
    return Expected(
        b"SLRI_2557.xlsx",
        "SLRI",
        2557,
        outcomes={
            "แผน": [(4, "accepted"), (5, "accepted"), (6, "total"), (7, "accepted"), (8, "total")]
        },
        budget="3500.00",
    )


def subtotals_by_section(folder: Path) -> Expected:
    """Sections closed by `รวมยุทธศาสตร์ที่ N`, a grand total in words, one subtotal wrong."""
    wb, _ = _sheet(
        [
            ["หน่วยงาน: สสนก."],
            [YEAR_TITLE.format(2557)],
            ["ลำดับ", "ชื่อโครงการ", "จังหวัด", "งบประมาณ (ล้านบาท)"],
            ["ยุทธศาสตร์ที่ 1 การบริหารจัดการน้ำ"],
            [1, "โครงการคลังข้อมูลน้ำ", "สกลนคร", 1],
            [2, "โครงการน้ำชุมชน", "อุดรธานี", 2],
            [None, "รวมยุทธศาสตร์ที่ 1", None, 3],
            ["ยุทธศาสตร์ที่ 2 การเกษตร"],
            [3, "โครงการเกษตรแม่นยำ", "ยโสธร", 4],
            [None, "รวมยุทธศาสตร์ที่ 2", None, 5],  # wrong: 4
            [None, "รวมงบประมาณทั้งสิ้น", None, 7],
        ]
    )
    _save(wb, folder, "HAII_2557.xlsx")
    return Expected(
        b"HAII_2557.xlsx",
        "HAII",
        2557,
        outcomes={
            "แผน": [
                (4, "section"),
                (5, "accepted"),
                (6, "accepted"),
                (7, "total"),
                (8, "section"),
                (9, "accepted"),
                (10, "total"),
                (11, "total"),
            ]
        },
        problems={("แผน", 10, "D", "total_mismatch")},
        budget="7000000.00",
    )


def totals_at_the_top(folder: Path) -> Expected:
    """A grand total written above the rows it sums, then a subtotal per region."""
    wb, _ = _sheet(
        [
            ["หน่วยงาน: ศลช."],
            [YEAR_TITLE.format(2556)],
            ["ลำดับ", "ชื่อโครงการ", "จังหวัด", "งบประมาณ (บาท)"],
            ["รวมทั้งสิ้น", None, None, 3500],
            ["ภาคเหนือ"],
            [1, "โครงการสมุนไพร", "แพร่", 1000],
            [2, "โครงการชีวภัณฑ์", "น่าน", 2000],
            ["รวมภาคเหนือ", None, None, 3000],
            [3, "โครงการวัคซีนสัตว์", "ตรัง", 500],
        ]
    )
    _save(wb, folder, "TCELS_2556.xlsx")
    return Expected(
        b"TCELS_2556.xlsx",
        "TCELS",
        2556,
        outcomes={
            "แผน": [
                (4, "total"),
                (5, "section"),
                (6, "accepted"),
                (7, "accepted"),
                (8, "total"),
                (9, "accepted"),
            ]
        },
        budget="3500.00",
    )


def headings_carrying_their_subtotals(folder: Path) -> Expected:
    """Each strategy heading shows its subtotal on its own row; a project named like a
    plan (`แผนงาน…` without a number) that lacks its province is still a project."""
    wb, _ = _sheet(
        [
            ["หน่วยงาน: สสนก."],
            [YEAR_TITLE.format(2556)],
            ["ลำดับ", "ชื่อโครงการ", "จังหวัด", "งบประมาณ (บาท)"],
            ["ยุทธศาสตร์ที่ 1 น้ำ", None, None, 300],
            [1, "โครงการสถานีวัดน้ำ", "พะเยา", 100],
            [2, "โครงการแผนที่น้ำ", "พะเยา", 200],
            [None, "ยุทธศาสตร์ที่ 2 เกษตร", None, 999],
            [3, "โครงการเกษตรน้ำน้อย", "ลำปาง", 400],
            [4, "แผนงานพัฒนาแหล่งน้ำชุมชน", None, 50],
        ]
    )
    _save(wb, folder, "HAII_2556.xlsx")
    return Expected(
        b"HAII_2556.xlsx",
        "HAII",
        2556,
        outcomes={
            "แผน": [
                (4, "total"),
                (5, "accepted"),
                (6, "accepted"),
                (7, "total"),
                (8, "accepted"),
                (9, "rejected"),
            ]
        },
        problems={("แผน", 7, "D", "total_mismatch"), ("แผน", 9, "C", "province_missing")},
        budget="700.00",
    )


# --------------------------------------------------------------- agency named in full


def agency_label_and_value_in_two_cells(folder: Path) -> Expected:
    wb, _ = _sheet(
        [
            ["หน่วยงาน", "สป.วท."],
            ["ปีงบประมาณ", 2559],
            ["ลำดับ", "ชื่อโครงการ", "จังหวัด", "งบประมาณ (บาท)"],
            [1, "โครงการศูนย์ราชการสะดวก", "กรุงเทพมหานคร", 10000],
        ]
    )
    _save(wb, folder, "form.xlsx")
    return Expected(
        b"form.xlsx", "OPS", 2559, outcomes={"แผน": [(4, "accepted")]}, budget="10000.00"
    )


def agency_full_thai_name(folder: Path) -> Expected:
    wb, ws = _sheet(
        [
            ["สำนักงานพัฒนาวิทยาศาสตร์และเทคโนโลยีแห่งชาติ (สวทช.)"],
            ["แผนปฏิบัติการ " + YEAR_TITLE.format(2558)],
            ["ลำดับ", "ชื่อโครงการ", "จังหวัด", "งบประมาณ (บาท)"],
            [1, "โครงการโรงเรือนอัจฉริยะ", "พิษณุโลก", 800000],
        ]
    )
    ws.merge_cells("A1:D1")
    example = wb.create_sheet("ตัวอย่างการกรอก", 0)  # first, as forms put it
    for r in (
        ["ลำดับ", "ชื่อโครงการ", "จังหวัด", "งบประมาณ (บาท)"],
        [1, "โครงการตัวอย่าง", "กรุงเทพมหานคร", 999999],
    ):
        example.append(r)
    _save(wb, folder, "plan_final.xlsx")
    return Expected(
        b"plan_final.xlsx", "NSTDA", 2558, outcomes={"แผน": [(4, "accepted")]}, budget="800000.00"
    )


def agency_labels_in_a_row_and_an_error_in_its_column(folder: Path) -> Expected:
    """Label | value | label | value in one title row, and an agency column whose lookup
    failed on one row (#N/A): the error names no second agency."""
    wb, _ = _sheet(
        [
            ["หน่วยงาน", "กรมวิทยาศาสตร์บริการ", "ปีงบประมาณ", 2557],
            ["ชื่อโครงการ", "จังหวัด", "งบประมาณ (บาท)", "หน่วยงาน"],
            ["โครงการห้องปฏิบัติการชุมชน", "ลำปาง", 700, "วศ."],
            ["โครงการตรวจสอบอาหาร", "ลำปาง", 300, "#N/A"],
        ]
    )
    _save(wb, folder, "plan (final).xlsx")
    return Expected(
        b"plan (final).xlsx",
        "DSS",
        2557,
        outcomes={"แผน": [(3, "accepted"), (4, "accepted")]},
        budget="1000.00",
    )


def agency_full_name_public_org_and_ministry(folder: Path) -> Expected:
    wb, _ = _sheet(
        [
            ["สถาบันเทคโนโลยีนิวเคลียร์แห่งชาติ (องค์การมหาชน) กระทรวงวิทยาศาสตร์และเทคโนโลยี"],
            ["Fiscal year 2015"],
            ["No.", "Project name", "Province", "Budget (baht)"],
            [1, "Food irradiation service", "Nakhon Nayok", 450000],
        ],
        title="Sheet1",
    )
    _save(wb, folder, "final version (2).xlsx")
    return Expected(
        b"final version (2).xlsx",
        "TINT",
        2558,
        outcomes={"Sheet1": [(4, "accepted")]},
        budget="450000.00",
    )


# ----------------------------------------------------------------------- header synonyms


def header_synonyms(folder: Path) -> Expected:
    wb, _ = _sheet(
        [
            ["หน่วยงาน: สนช."],
            [YEAR_TITLE.format(2558)],
            ["ลำดับที่", "ชื่อโครงการ/กิจกรรม", "จังหวัดที่ดำเนินการ", "วงเงินงบประมาณ (บาท)", "กลุ่มจังหวัด"],
            [1, "โครงการนวัตกรรมข้าว", "สุรินทร์", 900000, "กลุ่มจังหวัดภาคตะวันออกเฉียงเหนือตอนล่าง 2"],
        ]
    )
    _save(wb, folder, "NIA_2558.xlsx")
    return Expected(
        b"NIA_2558.xlsx", "NIA", 2558, outcomes={"แผน": [(4, "accepted")]}, budget="900000.00"
    )


def header_synonyms_target_area(folder: Path) -> Expected:
    wb, _ = _sheet(
        [
            ["หน่วยงาน: ศลช."],
            [YEAR_TITLE.format(2558)],
            ["โครงการ/กิจกรรม", "พื้นที่เป้าหมาย (จังหวัด)", "งบประมาณที่เสนอขอ (ล้านบาท)", "ปีงบประมาณ"],
            ["โครงการชีววัตถุ", "ปทุมธานี", 0.75, 2558],
        ]
    )
    _save(wb, folder, "TCELS_2558.xlsx")
    return Expected(
        b"TCELS_2558.xlsx", "TCELS", 2558, outcomes={"แผน": [(4, "accepted")]}, budget="750000.00"
    )


# --------------------------------------------------------------------------- error cells


def error_cells(folder: Path) -> Expected:
    wb, ws = _sheet(
        [
            ["หน่วยงาน: สป.วท."],
            [YEAR_TITLE.format(2558)],
            ["ลำดับ", "ชื่อโครงการ", "จังหวัด", "งบประมาณ (บาท)", "หมายเหตุ"],
            [1, "โครงการศูนย์วิทยาศาสตร์", "ตรัง", "#REF!", None],
            [2, "โครงการห้องสมุดวิทยาศาสตร์", "#N/A", 1000, None],
            [3, "โครงการวิทยาศาสตร์ชุมชน", "ตรัง", 2000, "#DIV/0!"],
            ["#REF!", "โครงการศูนย์การเรียนรู้", "ตรัง", 500, None],  # a running number lost
        ]
    )
    _save(wb, folder, "OPS_2558.xlsx")
    return Expected(
        b"OPS_2558.xlsx",
        "OPS",
        2558,
        outcomes={"แผน": [(4, "rejected"), (5, "rejected"), (6, "accepted"), (7, "accepted")]},
        problems={
            ("แผน", 4, "D", "cell_error"),
            ("แผน", 5, "C", "cell_error"),
            ("แผน", 6, "E", "cell_error_text"),
            ("แผน", 7, "A", "cell_error_text"),
        },
        budget="2500.00",
    )


def error_cells_from_formulas(folder: Path) -> Expected:
    """Error cells as Excel saves them: a formula with its cached error value."""
    wb, _ = _sheet(
        [
            ["หน่วยงาน: วศ."],
            [YEAR_TITLE.format(2558)],
            ["ลำดับ", "ชื่อโครงการ", "จังหวัด", "งบประมาณ (บาท)"],
            [1, "โครงการทดสอบผลิตภัณฑ์", "ลำพูน", 1500],
            [2, "โครงการตรวจสอบน้ำ", "ลำพูน", 0],
            [3, "โครงการสำรวจ", "ลำพูน", 0],
            ["รวม", None, None, 0],
        ]
    )
    path = _save(wb, folder, "DSS_2558.xlsx")
    _patch_cell(path, "D5", b'<c r="D5" t="e"><f>D4/0</f><v>#DIV/0!</v></c>')
    # A newer error value (dynamic arrays) that the reader refuses to know.
    _patch_cell(path, "D6", b'<c r="D6" t="e"><f>SEQUENCE(3)</f><v>#SPILL!</v></c>')
    _patch_cell(path, "D7", b'<c r="D7" t="e"><f>SUM(#REF!)</f><v>#REF!</v></c>')
    return Expected(
        b"DSS_2558.xlsx",
        "DSS",
        2558,
        outcomes={"แผน": [(4, "accepted"), (5, "rejected"), (6, "rejected"), (7, "total")]},
        problems={("แผน", 5, "D", "cell_error"), ("แผน", 6, "D", "cell_error")},
        budget="1500.00",
    )


def formulas_without_results(folder: Path) -> Expected:
    """Written by a script, not saved by Excel: formulas with no result in the file."""
    wb, _ = _sheet(
        [
            ["หน่วยงาน: สดร."],
            [YEAR_TITLE.format(2556)],
            ["ลำดับ", "ชื่อโครงการ", "จังหวัด", "งบประมาณ (บาท)", "ล้านบาท"],
            [1, "โครงการดูดาว", "เชียงราย", 1000, None],
            [2, "โครงการกล้องโทรทรรศน์", "ลำปาง", "=E5*1000000", 0.5],
            ["รวม", None, None, "=SUM(D4:D5)", None],
        ]
    )
    _save(wb, folder, "NARIT_2556.xlsx")
    return Expected(
        b"NARIT_2556.xlsx",
        "NARIT",
        2556,
        outcomes={"แผน": [(4, "accepted"), (5, "rejected"), (6, "total")]},
        problems={("แผน", 5, "D", "formula_not_calculated")},
        budget="1000.00",
    )


# ------------------------------------------------- packages that declare more than they hold


def declared_whole_sheet(folder: Path) -> Expected:
    path = _plain(folder, "STI_2559.xlsx", "สวทน.", 2559)
    _patch_member(
        path,
        "xl/worksheets/sheet1.xml",
        lambda d: re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:XFD1048576"', d),
    )
    return Expected(
        b"STI_2559.xlsx", "STI", 2559, outcomes={"แผน": [(4, "accepted")]}, budget="1000.00"
    )


def one_cell_at_the_last_address(folder: Path) -> Expected:
    wb, ws = _plain_book("สดร.", 2559)
    ws["XFD1048576"] = "หมายเหตุท้ายแผ่นงาน"
    _save(wb, folder, "NARIT_2559.xlsx")
    return Expected(
        b"NARIT_2559.xlsx",
        "NARIT",
        2559,
        outcomes={"แผน": [(4, "accepted"), (1048576, "section")]},
        budget="1000.00",
    )


def wrong_shared_string_counts(folder: Path) -> Expected:
    path = _plain(folder, "GISTDA_2559.xlsx", "สทอภ.", 2559)
    _to_shared_strings(path, declared=4294967295)
    return Expected(
        b"GISTDA_2559.xlsx", "GISTDA", 2559, outcomes={"แผน": [(4, "accepted")]}, budget="1000.00"
    )


# ----------------------------------------------------------------------------- names


def undecodable_name(folder: Path) -> Expected:
    """Code page 874 bytes, as a zip made on Thai Windows gives them on Linux."""
    raw = "แผนงาน_สซ_2560".encode("cp874") + b".xlsx"
    _plain(folder, raw, "สซ.", 2560)
    return Expected(raw, "SLRI", 2560, outcomes={"แผน": [(4, "accepted")]}, budget="1000.00")


def name_of_255_bytes(folder: Path) -> Expected:
    stem = "NIA_2560_" + "แผนบูรณาการงานด้านวิทยาศาสตร์เทคโนโลยีและนวัตกรรม" * 3
    raw = stem.encode()[:250].decode(errors="ignore").encode() + b".xlsx"  # whole letters
    assert 250 <= len(raw) <= 255
    _plain(folder, raw, "สนช.", 2560)
    return Expected(raw, "NIA", 2560, outcomes={"แผน": [(4, "accepted")]}, budget="1000.00")


def unreadable_but_named(folder: Path) -> Expected:
    """Damaged bytes: rejected whole, and the rejection reaches the agency its name names."""
    (folder / "TCELS_2560_revised.xlsx").write_bytes(b"PK\x03\x04" + os.urandom(2000))
    return Expected(b"TCELS_2560_revised.xlsx", "TCELS", 2560, status="rejected")


# ---------------------------------------------------------------------------- helpers


def _plain_book(agency: str, year: int):
    return _sheet(
        [
            [f"หน่วยงาน: {agency}"],
            [YEAR_TITLE.format(year)],
            ["ลำดับ", "ชื่อโครงการ", "จังหวัด", "งบประมาณ (บาท)"],
            [1, f"โครงการตัวอย่าง {year}", "แพร่", 1000],
        ]
    )


def _plain(folder: Path, name: str | bytes, agency: str, year: int) -> Path:
    wb, _ = _plain_book(agency, year)
    return _save(wb, folder, name)


def _rewrite(path: Path, fn) -> None:
    with zipfile.ZipFile(path) as zin:
        items = [(info, zin.read(info)) for info in zin.infolist()]
    items = fn(items)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for info, data in items:
            zout.writestr(info, data)


def _patch_member(path: Path, member: str, fn) -> None:
    _rewrite(path, lambda items: [(i, fn(d) if i.filename == member else d) for i, d in items])


def _patch_cell(path: Path, ref: str, xml: bytes) -> None:
    pattern = re.compile(rb'<c r="' + ref.encode() + rb'"[^>]*?(?:/>|>.*?</c>)', re.DOTALL)
    _patch_member(path, "xl/worksheets/sheet1.xml", lambda d: pattern.sub(xml, d, count=1))


def _to_shared_strings(path: Path, declared: int) -> None:
    """Move the inline strings openpyxl writes into a shared-strings table that declares
    `declared` entries (Excel and most exporters use one)."""
    strings: list[bytes] = []

    def cell(m):
        strings.append(m.group(2))
        return m.group(1) + b' t="s"><v>' + str(len(strings) - 1).encode() + b"</v></c>"

    def fn(items):
        out = []
        for info, data in items:
            if info.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(
                    rb'(<c r="[A-Z]+[0-9]+")[^>]*t="inlineStr"[^>]*><is><t[^>]*>(.*?)'
                    rb"</t></is></c>",
                    cell,
                    data,
                )
            out.append((info, data))
        sst = (
            b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats'
            b'.org/spreadsheetml/2006/main" count="%d" uniqueCount="%d">'
            % (declared, declared)
            + b"".join(b"<si><t>" + s + b"</t></si>" for s in strings)
            + b"</sst>"
        )
        done = []
        for info, data in out:
            if info.filename == "[Content_Types].xml":
                data = data.replace(
                    b"</Types>",
                    (
                        b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.'
                        b'openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'
                    ),
                )
            elif info.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(
                    b"</Relationships>",
                    (
                        b'<Relationship Id="rIdSST" Target="sharedStrings.xml" Type="http://schemas'
                        b'.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"/>'
                        b"</Relationships>"
                    ),
                )
            done.append((info, data))
        return [*done, (zipfile.ZipInfo("xl/sharedStrings.xml"), sst)]

    _rewrite(path, fn)


BUILDERS = [
    merged_province,
    merged_strategy_and_province_xls,
    merged_name_and_budget,
    merged_province_ods,
    two_row_header,
    two_row_header_years,
    budget_by_kind_with_a_total,
    budget_column_of_the_plan_year,
    bilingual_header_rows,
    budget_header_with_year,
    budget_header_with_thai_year_in_millions,
    totals_with_counts,
    subtotals_by_section,
    totals_at_the_top,
    headings_carrying_their_subtotals,
    agency_full_thai_name,
    agency_label_and_value_in_two_cells,
    agency_labels_in_a_row_and_an_error_in_its_column,
    agency_full_name_public_org_and_ministry,
    header_synonyms,
    header_synonyms_target_area,
    error_cells,
    error_cells_from_formulas,
    formulas_without_results,
    declared_whole_sheet,
    one_cell_at_the_last_address,
    wrong_shared_string_counts,
    undecodable_name,
    name_of_255_bytes,
    unreadable_but_named,
]


def write_corpus(folder: Path) -> list[Expected]:
    folder.mkdir(parents=True, exist_ok=True)
    return [build(folder) for build in BUILDERS]
