"""Province extracts: one workbook per province per fiscal year, for the deputy
governor's Area Based planning.

`write_province_extracts(plan, out_dir)` writes `<out_dir>/<BE year>/<ISO code>_<Thai
name>.xlsx` for all 77 provinces of the reference and every fiscal year of the plan,
even when a province has no project that year. Each holds:

- สรุป — the headline for the province (projects, its estimated share in ล้านบาท, the
  full budget of those projects, nationwide projects as context) and its totals per
  agency;
- โครงการในจังหวัด — the province's projects from all agencies: agency, name,
  strategy, the project's budget, its estimated share for this province, the other
  provinces of the project, dates in the Buddhist era, and lineage (file, sheet, row);
- กลุ่มจังหวัด — every province of its provincial cluster with its projects and
  estimated budget, for context (Bangkok is in no cluster);
- โครงการทั่วประเทศ — the nationwide projects, listed as context and never added into
  the province's total.

Province figures are estimates (ประมาณการ): a multi-province project's budget is split
evenly over its provinces (`project_provinces.budget_share_baht`).
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook

from stiplan.assets.planbook import (
    ESTIMATE_BUDGET,
    ESTIMATE_NOTE,
    ESTIMATE_TH,
    NO_CLUSTER_TH,
    TOTAL_TH,
    Plan,
    Project,
    Province,
    data_note,
    read_plan,
    save,
    sheet_title,
)
from stiplan.assets.xlsx_style import (
    COUNT,
    MILLION_BAHT,
    PERCENT,
    Column,
    million,
    page_setup,
    paragraph,
    put,
    thai_date,
    write_table,
)

SHEET_SUMMARY = "สรุป"
SHEET_PROJECTS = "โครงการในจังหวัด"
SHEET_CLUSTER = "กลุ่มจังหวัด"
SHEET_NATIONWIDE = "โครงการทั่วประเทศ"


def extract_name(fiscal_year: int, province: Province) -> str:
    return f"{fiscal_year}/{province.code}_{province.name_th}.xlsx"


def _share(p: Project, code: str) -> Decimal:
    return next(s for c, s in p.shares if c == code)


def _summary(wb: Workbook, plan: Plan, year: int, prov: Province,
             mine: list[Project], nationwide: list[Project]) -> None:
    ws = wb.create_sheet(SHEET_SUMMARY)
    share = sum((_share(p, prov.code) for p in mine), Decimal(0))
    full = sum((p.budget_baht for p in mine), Decimal(0))
    nation = sum((p.budget_baht for p in nationwide), Decimal(0))
    agencies = list(dict.fromkeys(p.agency_code for p in mine))  # mine is in agency order
    cols = [
        Column("ลำดับ", COUNT, 7), Column("ชื่อย่อ", None, 12), Column("หน่วยงาน", None, 58, wrap=True),
        Column("จำนวนโครงการ", COUNT, 14),
        Column(f"ส่วนของจังหวัด\n{ESTIMATE_TH} (ล้านบาท)", MILLION_BAHT, 20),
        Column("งบประมาณทั้งโครงการ (ล้านบาท)", MILLION_BAHT, 20)]
    sheet_title(ws, f"แผนบูรณาการ วทน. กับจังหวัด: จังหวัด{prov.name_th}",
                f"ปีงบประมาณ พ.ศ. {year} · {prov.region_th} · "
                f"{prov.cluster_th or NO_CLUSTER_TH} · รหัส {prov.code}", ESTIMATE_NOTE, cols)
    facts = [
        ("จำนวนโครงการในจังหวัด", len(mine), COUNT, "โครงการ"),
        (f"งบประมาณส่วนของจังหวัด ({ESTIMATE_TH})", million(share), MILLION_BAHT, "ล้านบาท"),
        ("งบประมาณทั้งโครงการของโครงการเหล่านี้", million(full), MILLION_BAHT,
         "ล้านบาท (รวมส่วนของจังหวัดอื่น)"),
        ("จำนวนหน่วยงาน", len(agencies), COUNT, "หน่วยงาน"),
        ("โครงการทั่วประเทศ (ไม่นับรวมในยอดของจังหวัด)", len(nationwide), COUNT, "โครงการ"),
        ("งบประมาณโครงการทั่วประเทศ (ไม่นับรวม)", million(nation), MILLION_BAHT, "ล้านบาท"),
    ]
    r = 5
    for label, value, fmt, unit in facts:
        ws.merge_cells(start_row=r, start_column=2, end_row=r, end_column=3)
        put(ws, r, 2, label, bold=True)
        put(ws, r, 4, value, fmt, bold=True, size=16)
        put(ws, r, 5, f"  {unit}")
        r += 1
    r += 1
    put(ws, r, 1, "งบประมาณตามหน่วยงาน (หน่วย: ล้านบาท)", bold=True, size=16)
    r += 1
    rows = []
    for i, code in enumerate(agencies, start=1):
        ps = [p for p in mine if p.agency_code == code]
        rows.append((i, plan.agency_label(code), plan.agency_name(code), len(ps),
                     million(sum((_share(p, prov.code) for p in ps), Decimal(0))),
                     million(sum((p.budget_baht for p in ps), Decimal(0)))))
    last = write_table(ws, r, cols, rows, freeze=False,
                       total=(None, None, TOTAL_TH, len(mine), million(share), million(full)))
    if not mine:
        put(ws, last + 1, 3, "ไม่มีโครงการในจังหวัดนี้ในปีงบประมาณนี้", italic=True)
        last += 1
    put(ws, last + 2, 1, data_note(plan), italic=True, size=12)
    page_setup(ws)


PROJECT_COLUMNS = [
    Column("ลำดับ", COUNT, 7), Column("หน่วยงาน", None, 11),
    Column("ชื่อโครงการ", None, 48, wrap=True), Column("ยุทธศาสตร์", None, 18, wrap=True),
    Column("งบประมาณทั้งโครงการ (ล้านบาท)", MILLION_BAHT, 16),
    Column(f"ส่วนของจังหวัด\n{ESTIMATE_TH} (ล้านบาท)", MILLION_BAHT, 16),
    Column("จำนวนจังหวัด", COUNT, 10), Column("จังหวัดอื่นของโครงการ", None, 34, wrap=True),
    Column("วันเริ่มต้น", None, 13), Column("วันสิ้นสุด", None, 13),
    Column("ผู้รับผิดชอบ", None, 18), Column("โทรศัพท์", None, 14),
    Column("ไฟล์ต้นฉบับ", None, 24), Column("แผ่นงาน", None, 12), Column("แถว", COUNT, 7)]


def _projects(wb: Workbook, plan: Plan, year: int, prov: Province,
              mine: list[Project]) -> None:
    ws = wb.create_sheet(SHEET_PROJECTS)
    head = sheet_title(ws, f"โครงการในจังหวัด{prov.name_th}",
                       f"ปีงบประมาณ พ.ศ. {year} · {len(mine):,} โครงการ · หน่วย: ล้านบาท",
                       ESTIMATE_NOTE, PROJECT_COLUMNS)
    body = []
    for i, p in enumerate(mine, start=1):
        others = plan.province_names(c for c, _ in p.shares if c != prov.code)
        body.append((i, plan.agency_label(p.agency_code), p.project_name, p.strategy,
                     million(p.budget_baht), million(_share(p, prov.code)), len(p.shares),
                     ", ".join(others) or "-", thai_date(p.start_date), thai_date(p.end_date),
                     p.contact_name, p.contact_phone, p.file_name, p.sheet, p.row_number))
    share = sum((_share(p, prov.code) for p in mine), Decimal(0))
    full = sum((p.budget_baht for p in mine), Decimal(0))
    write_table(ws, head, PROJECT_COLUMNS, body,
                total=(None, None, TOTAL_TH, None, million(full), million(share),
                       *([None] * 9)))
    page_setup(ws, a3=True)


def _cluster(wb: Workbook, plan: Plan, year: int, prov: Province,
             in_province: dict[str, list[Project]]) -> None:
    ws = wb.create_sheet(SHEET_CLUSTER)
    name = prov.cluster_th or NO_CLUSTER_TH
    cols = [
        Column("ลำดับ", COUNT, 7), Column("จังหวัด", None, 24), Column("รหัส", None, 9),
        Column("จำนวนโครงการ", COUNT, 13),
        Column(ESTIMATE_BUDGET, MILLION_BAHT, 22),
        Column("สัดส่วนในกลุ่ม (%)", PERCENT, 14)]
    head = sheet_title(ws, f"{name} ({ESTIMATE_TH})",
                       f"ปีงบประมาณ พ.ศ. {year} · หน่วย: ล้านบาท · ข้อมูลประกอบ",
                       ESTIMATE_NOTE, cols)
    members = [p for p in plan.provinces.values()  # Thai order
               if (p.cluster_th or NO_CLUSTER_TH) == name and
               (prov.cluster_th or p.code == prov.code)]
    figures = []
    for p in members:
        ps = in_province.get(p.code, [])
        figures.append((p, len(ps), sum((_share(q, p.code) for q in ps), Decimal(0))))
    total = sum((b for *_, b in figures), Decimal(0))
    distinct = len({q.project_id for p in members for q in in_province.get(p.code, [])})
    last = write_table(ws, head, cols, [
        (i, p.name_th, p.code, n, million(b), float(100 * b / total) if total else 0.0)
        for i, (p, n, b) in enumerate(figures, start=1)],
        total=(None, TOTAL_TH, None, distinct, million(total), 100 if total else 0))
    for i, (p, *_) in enumerate(figures, start=1):
        if p.code == prov.code:  # this workbook's province stands out
            for c in range(1, len(cols) + 1):
                cell = ws.cell(row=head + i, column=c)
                put(ws, head + i, c, cell.value, cols[c - 1].fmt, bold=True, border=True,
                    fill="FFF2CC")
    notes = ["บรรทัดรวมทั้งสิ้นนับโครงการที่ดำเนินการหลายจังหวัดในกลุ่มเพียงครั้งเดียว"]
    if not prov.cluster_th:
        notes.insert(0, f"จังหวัด{prov.name_th}ไม่อยู่ในกลุ่มจังหวัดใด")
    for k, note in enumerate(notes):
        paragraph(ws, last + 2 + k, 1, len(cols), note, italic=True, size=13)
    page_setup(ws, landscape=False)


def _nationwide(wb: Workbook, plan: Plan, year: int, nationwide: list[Project]) -> None:
    ws = wb.create_sheet(SHEET_NATIONWIDE)
    total = sum((p.budget_baht for p in nationwide), Decimal(0))
    cols = [
        Column("ลำดับ", COUNT, 7), Column("หน่วยงาน", None, 11),
        Column("ชื่อโครงการ", None, 50, wrap=True), Column("ยุทธศาสตร์", None, 18, wrap=True),
        Column("งบประมาณ (ล้านบาท)", MILLION_BAHT, 22), Column("ไฟล์ต้นฉบับ", None, 24),
        Column("แผ่นงาน", None, 12), Column("แถว", COUNT, 7)]
    head = sheet_title(ws, "โครงการที่ดำเนินการทั่วประเทศ (ข้อมูลประกอบ)",
                       f"ปีงบประมาณ พ.ศ. {year} · หน่วย: ล้านบาท",
                       "ไม่นับรวมในยอดงบประมาณของจังหวัด: โครงการทั่วประเทศไม่ได้แบ่งงบประมาณ"
                       "รายจังหวัด", cols)
    write_table(ws, head, cols, [
        (i, plan.agency_label(p.agency_code), p.project_name, p.strategy,
         million(p.budget_baht), p.file_name, p.sheet, p.row_number)
        for i, p in enumerate(nationwide, start=1)],
        total=(None, None, TOTAL_TH, None, million(total), None, None, None))
    page_setup(ws)


def write_province_extract(plan: Plan, year: int, prov: Province, path: Path,
                           in_province: dict[str, list[Project]],
                           nationwide: list[Project]) -> Path:
    mine = in_province.get(prov.code, [])
    wb = Workbook()
    wb.remove(wb.active)
    _summary(wb, plan, year, prov, mine, nationwide)
    _projects(wb, plan, year, prov, mine)
    _cluster(wb, plan, year, prov, in_province)
    _nationwide(wb, plan, year, nationwide)
    return save(wb, path, plan.generated_at)


def write_province_extracts(plan: Path, out_dir: Path) -> list[Path]:
    """Write every province's extract for every fiscal year of `plan` into `out_dir`
    (`<BE year>/<ISO code>_<Thai name>.xlsx`); return the paths, by year then in Thai
    order of the province names."""
    data = read_plan(Path(plan))
    out_dir = Path(out_dir)
    written = []
    for year in data.years:
        projects = data.projects.get(year, [])
        in_province: dict[str, list[Project]] = defaultdict(list)
        for p in projects:  # agency then lineage order
            for code, _ in p.shares:
                in_province[code].append(p)
        nationwide = [p for p in projects if p.nationwide]
        for prov in data.provinces.values():
            written.append(write_province_extract(
                data, year, prov, out_dir / extract_name(year, prov), in_province, nationwide))
    return written
