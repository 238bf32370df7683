"""The plan book: one Excel workbook per fiscal year, written from the published plan.

`write_planbooks(plan, out_dir)` reads `plan.duckdb` read-only and writes
`แผนบูรณาการ_วทน_<BE year>.xlsx` for every fiscal year the plan knows of, with:

- ปก — the headline (projects, ล้านบาท, agencies that sent), what each sheet holds,
  and when the data is from (the latest file received, never "now": the same plan
  gives the same book);
- ตามหน่วยงาน, ตามยุทธศาสตร์ — the agency and strategy summaries;
- ตามภาค, ตามกลุ่มจังหวัด, ตามจังหวัด — the area summaries, labelled as estimates
  (ประมาณการ: a multi-province project's budget is split evenly over its provinces),
  every region, cluster and province of the reference (zero when none), provinces in
  Thai dictionary order, a bar chart of budget by region and by cluster;
- ยังไม่ส่งแผน — the agencies whose plan for the year is missing, rejected or empty;
- รายการโครงการ — every project with its provinces (Thai names), Buddhist-era dates
  and its lineage (file, sheet, row).

Budgets are in ล้านบาท shown to 4 decimals (`#,##0.0000`), as the Budget Bureau
shows them; cells keep the exact amount. The project list also gives baht.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.chart.data_source import AxDataSource, StrRef
from openpyxl.chart.text import RichText
from openpyxl.drawing.text import CharacterProperties, Paragraph, ParagraphProperties
from openpyxl.drawing.text import Font as DrawingFont
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.pagebreak import Break

from stiplan.assets.xlsx_style import (
    BAHT,
    COUNT,
    FONT_NAME,
    MILLION_BAHT,
    PERCENT,
    Column,
    million,
    page_setup,
    paragraph,
    put,
    thai_date,
    thai_sorted,
    write_table,
)
from stiplan.schemas.reference import AGENCIES, REGION_TH, REGIONS

PLAN_TITLE = "แผนบูรณาการงานด้านวิทยาศาสตร์ เทคโนโลยี และนวัตกรรมกับจังหวัด"
MINISTRY = "กระทรวงวิทยาศาสตร์และเทคโนโลยี"
NATIONWIDE_TH = "ทั่วประเทศ"
NO_CLUSTER_TH = "ไม่อยู่ในกลุ่มจังหวัด"
TOTAL_TH = "รวมทั้งสิ้น"
ESTIMATE_TH = "ประมาณการ"
ESTIMATE_NOTE = (
    "ตัวเลขรายจังหวัด กลุ่มจังหวัด และภาค เป็นประมาณการ: งบประมาณของโครงการที่ดำเนินการ"
    "หลายจังหวัดแบ่งเท่ากันทุกจังหวัด โครงการทั่วประเทศแสดงแยกเป็นบรรทัด ทั่วประเทศ"
)
ESTIMATE_BUDGET = f"งบประมาณ{ESTIMATE_TH}\n(ล้านบาท)"
BANGKOK_TIME = dt.timezone(dt.timedelta(hours=7), "ICT")
N_AGENCIES = len(AGENCIES)

SHEET_COVER = "ปก"
SHEET_AGENCY = "ตามหน่วยงาน"
SHEET_STRATEGY = "ตามยุทธศาสตร์"
SHEET_REGION = "ตามภาค"
SHEET_CLUSTER = "ตามกลุ่มจังหวัด"
SHEET_PROVINCE = "ตามจังหวัด"
SHEET_MISSING = "ยังไม่ส่งแผน"
SHEET_PROJECTS = "รายการโครงการ"

STATUS_TH = {
    "not yet submitted": "ยังไม่ส่ง",
    "rejected": "ส่งแล้ว แต่ไฟล์ถูกปฏิเสธทั้งฉบับ",
    "empty": "ส่งแล้ว แต่ไม่มีโครงการที่ผ่านการตรวจสอบ",
}


def planbook_name(fiscal_year: int) -> str:
    return f"แผนบูรณาการ_วทน_{fiscal_year}.xlsx"


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class Province:
    code: str
    name_th: str
    region: str
    region_th: str
    cluster_th: str | None


@dataclass(frozen=True)
class Project:
    project_id: str
    fiscal_year: int
    agency_code: str
    project_name: str
    budget_baht: Decimal
    nationwide: bool
    strategy: str | None
    target_group: str | None
    start_date: dt.date | None
    end_date: dt.date | None
    contact_name: str | None
    contact_phone: str | None
    remarks: str | None
    file_name: str
    sheet: str
    row_number: int
    shares: tuple[tuple[str, Decimal], ...]  # (province code, estimated share), by code


@dataclass
class Plan:
    """What the plan books and province extracts need, read once from plan.duckdb."""

    years: list[int]
    generated_at: dt.datetime | None  # the latest file received, Bangkok time
    agencies: dict[str, dict[str, str]]  # code -> abbr_th, name_th, name_en
    provinces: dict[str, Province]  # code -> province, in Thai dictionary order
    projects: dict[int, list[Project]]  # per fiscal year, in agency then lineage order
    summaries: dict[str, dict[int, list[dict[str, Any]]]] = field(default_factory=dict)
    status: dict[int, list[dict[str, Any]]] = field(default_factory=dict)

    def agency_label(self, code: str) -> str:
        a = self.agencies.get(code) or {}
        return a.get("abbr_th") or code

    def agency_name(self, code: str) -> str:
        a = self.agencies.get(code) or {}
        return a.get("name_th") or code

    def province_names(self, codes) -> list[str]:
        return thai_sorted(self.provinces[c].name_th for c in codes)


def _agency_rank(code: str) -> tuple[int, str]:
    order = [a.code for a in AGENCIES]
    return (order.index(code), code) if code in order else (len(order), code or "")


def _rows(con: duckdb.DuckDBPyConnection, sql: str, *params) -> list[dict[str, Any]]:
    cur = con.execute(sql, list(params))
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def read_plan(plan: Path) -> Plan:
    """Read the published plan (read-only) into memory."""
    con = duckdb.connect(str(plan), read_only=True)
    try:
        years = sorted({r["y"] for r in _rows(con, """
            SELECT fiscal_year AS y FROM projects UNION
            SELECT fiscal_year FROM submissions WHERE fiscal_year IS NOT NULL""")})
        (latest,) = con.execute("SELECT max(received_at) FROM submissions").fetchone()
        agencies = {r["code"]: r for r in _rows(con, "SELECT * FROM agencies")}
        provinces = {r["code"]: Province(r["code"], r["name_th"], r["region"], r["region_th"],
                                         r["cluster_th"])
                     for r in _rows(con, "SELECT * FROM provinces")}
        provinces = {p.code: p for p in thai_sorted(provinces.values(), key=lambda p: p.name_th)}
        shares: dict[str, list[tuple[str, Decimal]]] = defaultdict(list)
        for r in _rows(con, "SELECT project_id, province_code, budget_share_baht "
                            "FROM project_provinces ORDER BY project_id, province_code"):
            shares[r["project_id"]].append((r["province_code"], r["budget_share_baht"]))
        projects: dict[int, list[Project]] = defaultdict(list)
        for r in _rows(con, """
                SELECT p.project_id, p.fiscal_year, p.agency_code, p.project_name,
                       p.budget_baht, p.nationwide, p.strategy, p.target_group, p.start_date,
                       p.end_date, p.contact_name, p.contact_phone, p.remarks,
                       s.file_name, p.sheet, p.row_number
                FROM projects p LEFT JOIN submissions s USING (submission_id)"""):
            projects[r["fiscal_year"]].append(
                Project(**r, shares=tuple(shares.get(r["project_id"], ()))))
        for year in projects:
            projects[year].sort(key=lambda p: (_agency_rank(p.agency_code), p.file_name or "",
                                               p.sheet or "", p.row_number or 0, p.project_id))
        summaries: dict[str, dict[int, list[dict[str, Any]]]] = {}
        for table in ("summary_by_agency", "summary_by_strategy", "summary_by_region",
                      "summary_by_cluster", "summary_by_province"):
            by_year: dict[int, list[dict[str, Any]]] = defaultdict(list)
            for r in _rows(con, f"SELECT * FROM {table}"):
                by_year[r["fiscal_year"]].append(r)
            summaries[table] = by_year
        status: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for r in _rows(con, """
                SELECT st.*, (SELECT s.reason FROM submissions s
                              WHERE s.agency_code = st.agency_code
                                AND s.fiscal_year = st.fiscal_year AND s.status = 'rejected'
                              ORDER BY s.received_at DESC, s.file_name DESC LIMIT 1)
                             AS last_reason
                FROM submission_status st"""):
            status[r["fiscal_year"]].append(r)
        for year in status:
            status[year].sort(key=lambda r: _agency_rank(r["agency_code"]))
    finally:
        con.close()
    generated_at = latest.astimezone(BANGKOK_TIME) if latest is not None else None
    return Plan(years=years, generated_at=generated_at, agencies=agencies,
                provinces=provinces, projects=dict(projects), summaries=summaries,
                status=dict(status))


# --------------------------------------------------------------------------- writing


def save(wb: Workbook, path: Path, generated_at: dt.datetime | None) -> Path:
    """Save atomically (a reader never opens half a file), with fixed document
    properties so the same plan gives the same workbook."""
    stamp = (generated_at or dt.datetime(2000, 1, 1, tzinfo=dt.UTC)).astimezone(dt.UTC)
    wb.properties.creator = "stiplan"
    wb.properties.created = stamp.replace(tzinfo=None)
    wb.properties.title = path.stem
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(suffix=".xlsx", dir=path.parent)
    os.close(fd)
    try:
        wb.save(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def data_note(plan: Plan) -> str:
    when = thai_date(plan.generated_at, time=True) if plan.generated_at else "-"
    return f"ข้อมูล ณ {when} (เวลาที่ได้รับไฟล์ล่าสุดของแผน)"


def sheet_title(ws, title: str, subtitle: str, note: str | None = None,
                columns: list[Column] | None = None) -> int:
    """Title rows above a table; returns the row where the table's header goes. The
    note wraps within the table's `columns` (whose widths are set here)."""
    put(ws, 1, 1, title, bold=True, size=18)
    put(ws, 2, 1, subtitle, size=14)
    for j, c in enumerate(columns or [], start=1):
        ws.column_dimensions[get_column_letter(j)].width = c.width
    if note and columns:
        paragraph(ws, 3, 1, len(columns), note, italic=True, size=13, color="C00000")
    elif note:
        put(ws, 3, 1, note, italic=True, size=13, color="C00000")
    return 4


def _share(budget: Decimal, total: Decimal) -> Decimal:
    return (Decimal(100) * budget / total) if total else Decimal(0)


def _axis_text(size: int = 1200) -> RichText:
    props = CharacterProperties(latin=DrawingFont(typeface=FONT_NAME),
                                cs=DrawingFont(typeface=FONT_NAME), sz=size)
    return RichText(p=[Paragraph(pPr=ParagraphProperties(defRPr=props), r=[],
                                 endParaRPr=props)])


def bar_chart(ws, title: str, label_col: int, value_col: int, first_row: int, last_row: int,
              anchor: str, horizontal: bool = False, width: float = 18,
              height: float = 9, label_size: int = 1200) -> BarChart:
    """A bar chart of one column of a table, named by the text of `label_col`."""
    chart = BarChart()
    chart.type = "bar" if horizontal else "col"
    chart.title = title
    chart.style = 10
    chart.legend = None
    chart.y_axis.title = "ล้านบาท"
    chart.y_axis.number_format = "#,##0.00"
    data = Reference(ws, min_col=value_col, min_row=first_row, max_row=last_row)
    chart.add_data(data, titles_from_data=False)
    labels = Reference(ws, min_col=label_col, min_row=first_row, max_row=last_row)
    chart.series[0].cat = AxDataSource(strRef=StrRef(f=str(labels)))  # text, not numbers
    chart.x_axis.tickLblSkip = 1  # every category named, however many
    chart.x_axis.delete = chart.y_axis.delete = False
    chart.x_axis.txPr = _axis_text(label_size)
    chart.y_axis.txPr = _axis_text()
    if horizontal:
        chart.x_axis.scaling.orientation = "maxMin"  # first row on top, as in the table
    chart.width, chart.height = width, height
    ws.add_chart(chart, anchor)
    return chart


def _cover(wb: Workbook, plan: Plan, year: int) -> None:
    ws = wb.create_sheet(SHEET_COVER)
    projects = plan.projects.get(year, [])
    total = sum((p.budget_baht for p in projects), Decimal(0))
    sent = sorted({p.agency_code for p in projects}, key=_agency_rank)
    nationwide = [p for p in projects if p.nationwide]
    ws.column_dimensions["A"].width = 34
    ws.column_dimensions["B"].width = 18
    ws.column_dimensions["C"].width = 70
    put(ws, 1, 1, PLAN_TITLE, bold=True, size=22)
    put(ws, 2, 1, f"ประจำปีงบประมาณ พ.ศ. {year}", bold=True, size=20)
    put(ws, 3, 1, MINISTRY, size=16)
    headline = (f"แผนปีงบประมาณ พ.ศ. {year} มี {len(projects):,} โครงการ "
                f"งบประมาณรวม {million(total):,.4f} ล้านบาท "
                f"จาก {len(sent)} หน่วยงาน (จากทั้งหมด {N_AGENCIES} หน่วยงาน)")
    paragraph(ws, 5, 1, 3, headline, bold=True, size=16)
    facts = [
        ("จำนวนโครงการ", len(projects), COUNT, "โครงการ"),
        ("งบประมาณรวม", million(total), MILLION_BAHT, "ล้านบาท"),
        ("หน่วยงานที่ส่งแผน", len(sent), COUNT, f"หน่วยงาน จากทั้งหมด {N_AGENCIES} หน่วยงาน"),
        ("โครงการที่ดำเนินการทั่วประเทศ", len(nationwide), COUNT, "โครงการ"),
        ("งบประมาณโครงการทั่วประเทศ",
         million(sum((p.budget_baht for p in nationwide), Decimal(0))), MILLION_BAHT,
         "ล้านบาท"),
    ]
    r = 7
    for label, value, fmt, unit in facts:
        put(ws, r, 1, label, bold=True)
        put(ws, r, 2, value, fmt, bold=True, size=16)
        put(ws, r, 3, f"  {unit}")
        r += 1
    r += 1
    put(ws, r, 1, "รายชื่อหน่วยงานที่ส่งแผน", bold=True)
    for code in sent:
        put(ws, r, 2, plan.agency_label(code))
        put(ws, r, 3, plan.agency_name(code))
        r += 1
    if not sent:
        put(ws, r, 2, "-")
        r += 1
    r += 1
    put(ws, r, 1, "เนื้อหา", bold=True)
    for name, what in (
        (SHEET_AGENCY, "งบประมาณและจำนวนโครงการตามหน่วยงาน"),
        (SHEET_STRATEGY, "งบประมาณและจำนวนโครงการตามยุทธศาสตร์"),
        (SHEET_REGION, "งบประมาณตามภาค (ประมาณการ) พร้อมแผนภูมิ"),
        (SHEET_CLUSTER, "งบประมาณตามกลุ่มจังหวัด (ประมาณการ) พร้อมแผนภูมิ"),
        (SHEET_PROVINCE, "งบประมาณตามจังหวัด เรียงตามพยัญชนะ (ประมาณการ)"),
        (SHEET_MISSING, "หน่วยงานที่ยังไม่ได้ส่งแผน หรือไฟล์ถูกปฏิเสธ"),
        (SHEET_PROJECTS, "รายการโครงการทั้งหมด พร้อมไฟล์ แผ่นงาน และแถวต้นฉบับ"),
    ):
        put(ws, r, 2, name)
        put(ws, r, 3, what)
        r += 1
    r += 1
    put(ws, r, 1, "หมายเหตุ", bold=True)
    for note in (ESTIMATE_NOTE,
                 "งบประมาณแสดงเป็นล้านบาท ทศนิยม 4 ตำแหน่ง (รายการโครงการแสดงเป็นบาทด้วย)",
                 f"รวบรวมจากไฟล์แผนของหน่วยงานโดย stiplan — {data_note(plan)}"):
        paragraph(ws, r, 2, 3, note)
        r += 1
    page_setup(ws, landscape=False)
    ws.print_area = f"A1:C{r}"


def _agency_sheet(wb: Workbook, plan: Plan, year: int) -> None:
    ws = wb.create_sheet(SHEET_AGENCY)
    rows = sorted(plan.summaries["summary_by_agency"].get(year, []),
                  key=lambda r: _agency_rank(r["agency_code"]))
    head = sheet_title(ws, "งบประมาณตามหน่วยงาน", f"ปีงบประมาณ พ.ศ. {year} · หน่วย: ล้านบาท")
    total = sum((r["budget_baht"] for r in rows), Decimal(0))
    write_table(ws, head, [
        Column("ลำดับ", COUNT, 7), Column("ชื่อย่อ", None, 12), Column("หน่วยงาน", None, 62),
        Column("จำนวนโครงการ", COUNT, 13), Column("งบประมาณ (ล้านบาท)", MILLION_BAHT, 22),
        Column("สัดส่วน (%)", PERCENT, 12)],
        [(i, plan.agency_label(r["agency_code"]), r["agency_name_th"], r["projects"],
          million(r["budget_baht"]), r["share_pct"]) for i, r in enumerate(rows, start=1)],
        total=(None, None, TOTAL_TH, sum(r["projects"] for r in rows), million(total),
               100 if total else 0))
    page_setup(ws)


def _strategy_sheet(wb: Workbook, plan: Plan, year: int) -> None:
    ws = wb.create_sheet(SHEET_STRATEGY)
    rows = plan.summaries["summary_by_strategy"].get(year, [])
    named = thai_sorted([r for r in rows if r["strategy"] != "ไม่ระบุยุทธศาสตร์"],
                        key=lambda r: r["strategy"])
    rows = named + [r for r in rows if r["strategy"] == "ไม่ระบุยุทธศาสตร์"]
    head = sheet_title(ws, "งบประมาณตามยุทธศาสตร์", f"ปีงบประมาณ พ.ศ. {year} · หน่วย: ล้านบาท")
    total = sum((r["budget_baht"] for r in rows), Decimal(0))
    write_table(ws, head, [
        Column("ลำดับ", COUNT, 7), Column("ยุทธศาสตร์", None, 60, wrap=True),
        Column("จำนวนโครงการ", COUNT, 13), Column("งบประมาณ (ล้านบาท)", MILLION_BAHT, 22),
        Column("สัดส่วน (%)", PERCENT, 12)],
        [(i, r["strategy"], r["projects"], million(r["budget_baht"]), r["share_pct"])
         for i, r in enumerate(rows, start=1)],
        total=(None, TOTAL_TH, sum(r["projects"] for r in rows), million(total),
               100 if total else 0))
    page_setup(ws)


def _area_rows(plan: Plan, year: int, table: str, key: str, keys: list[str]):
    """The summary's rows for every key of the reference (zero when absent), then
    the nationwide row; each as (key, projects, budget, share)."""
    got = {r[key]: r for r in plan.summaries[table].get(year, [])}
    out = []
    for k in keys:
        r = got.get(k)
        out.append((k, r["projects"] if r else 0, r["budget_baht"] if r else Decimal(0),
                    r["share_pct"] if r else Decimal(0)))
    nation = [r for r in plan.summaries[table].get(year, []) if r[key] not in keys]
    return out, nation


def _total_row(plan: Plan, year: int) -> tuple[int, Decimal]:
    projects = plan.projects.get(year, [])
    return len(projects), sum((p.budget_baht for p in projects), Decimal(0))


def _region_sheet(wb: Workbook, plan: Plan, year: int) -> None:
    ws = wb.create_sheet(SHEET_REGION)
    cols = [
        Column("ลำดับ", COUNT, 7), Column("ภาค", None, 26), Column("จำนวนจังหวัด", COUNT, 12),
        Column("จำนวนโครงการ", COUNT, 13),
        Column(ESTIMATE_BUDGET, MILLION_BAHT, 22),
        Column("สัดส่วน (%)", PERCENT, 12)]
    head = sheet_title(ws, f"งบประมาณตามภาค ({ESTIMATE_TH})",
                       f"ปีงบประมาณ พ.ศ. {year} · หน่วย: ล้านบาท", ESTIMATE_NOTE, cols)
    rows, nation = _area_rows(plan, year, "summary_by_region", "region", list(REGIONS))
    n, total = _total_row(plan, year)
    n_prov = defaultdict(int)
    for p in plan.provinces.values():
        n_prov[p.region] += 1
    body = [(i, REGION_TH[k], n_prov[k], c, million(b), s)
            for i, (k, c, b, s) in enumerate(rows, start=1)]
    body += [(None, NATIONWIDE_TH, None, r["projects"], million(r["budget_baht"]),
              r["share_pct"]) for r in nation]
    last = write_table(ws, head, cols, body, total=(
        None, TOTAL_TH, len(plan.provinces), n, million(total), 100 if total else 0))
    paragraph(ws, last + 2, 1, len(cols), "จำนวนโครงการรายภาคนับโครงการที่ดำเนินการหลายภาค"
              "ในทุกภาคที่ดำเนินการ บรรทัดรวมทั้งสิ้นนับแต่ละโครงการครั้งเดียว",
              italic=True, size=13)
    bar_chart(ws, f"งบประมาณรายภาค ({ESTIMATE_TH}, ล้านบาท) ไม่รวมโครงการทั่วประเทศ",
              2, 5, head + 1, head + len(rows), f"H{head}")
    page_setup(ws)


def _cluster_sheet(wb: Workbook, plan: Plan, year: int) -> None:
    ws = wb.create_sheet(SHEET_CLUSTER)
    cols = [
        Column("ลำดับ", COUNT, 7), Column("กลุ่มจังหวัด", None, 40),
        Column("จังหวัดในกลุ่ม", None, 60, wrap=True), Column("จำนวนโครงการ", COUNT, 13),
        Column(ESTIMATE_BUDGET, MILLION_BAHT, 22),
        Column("สัดส่วน (%)", PERCENT, 12)]
    head = sheet_title(ws, f"งบประมาณตามกลุ่มจังหวัด ({ESTIMATE_TH})",
                       f"ปีงบประมาณ พ.ศ. {year} · หน่วย: ล้านบาท", ESTIMATE_NOTE, cols)
    members: dict[str, list[str]] = defaultdict(list)
    for p in plan.provinces.values():  # already in Thai order
        members[p.cluster_th or NO_CLUSTER_TH].append(p.name_th)
    clusters = thai_sorted(k for k in members if k != NO_CLUSTER_TH) + [NO_CLUSTER_TH]
    rows, nation = _area_rows(plan, year, "summary_by_cluster", "cluster_th", clusters)
    n, total = _total_row(plan, year)
    body = [(i, k, " ".join(members[k]), c, million(b), s)
            for i, (k, c, b, s) in enumerate(rows, start=1)]
    body += [(None, r["cluster_th"], None, r["projects"], million(r["budget_baht"]),
              r["share_pct"]) for r in nation]
    last = write_table(ws, head, cols, body, total=(None, TOTAL_TH, None, n, million(total), 100 if total else 0))
    paragraph(ws, last + 2, 1, len(cols), "กรุงเทพมหานครไม่อยู่ในกลุ่มจังหวัดใด แสดงในบรรทัด "
              f"{NO_CLUSTER_TH} · จำนวนโครงการรายกลุ่มนับโครงการที่ดำเนินการหลายกลุ่มในทุกกลุ่ม",
              italic=True, size=13)
    ws.row_breaks.append(Break(id=last + 2))  # the chart prints on a page of its own
    bar_chart(ws, f"งบประมาณรายกลุ่มจังหวัด ({ESTIMATE_TH}, ล้านบาท)", 2, 5, head + 1,
              head + len(rows), f"B{last + 4}", horizontal=True, width=30, height=18,
              label_size=1000)
    page_setup(ws)


def _province_sheet(wb: Workbook, plan: Plan, year: int) -> None:
    ws = wb.create_sheet(SHEET_PROVINCE)
    cols = [
        Column("ลำดับ", COUNT, 7), Column("รหัส", None, 8), Column("จังหวัด", None, 22),
        Column("ภาค", None, 22), Column("กลุ่มจังหวัด", None, 40),
        Column("จำนวนโครงการ", COUNT, 13),
        Column(ESTIMATE_BUDGET, MILLION_BAHT, 22),
        Column("สัดส่วน (%)", PERCENT, 12)]
    head = sheet_title(ws, f"งบประมาณตามจังหวัด ({ESTIMATE_TH})",
                       f"ปีงบประมาณ พ.ศ. {year} · หน่วย: ล้านบาท · เรียงตามพยัญชนะ",
                       ESTIMATE_NOTE, cols)
    codes = list(plan.provinces)  # Thai dictionary order
    rows, nation = _area_rows(plan, year, "summary_by_province", "province_code", codes)
    n, total = _total_row(plan, year)
    body = []
    for i, (k, c, b, s) in enumerate(rows, start=1):
        p = plan.provinces[k]
        body.append((i, k, p.name_th, p.region_th, p.cluster_th or NO_CLUSTER_TH, c,
                     million(b), s))
    body += [(None, None, NATIONWIDE_TH, None, None, r["projects"], million(r["budget_baht"]),
              r["share_pct"]) for r in nation]
    write_table(ws, head, cols, body, total=(None, None, TOTAL_TH, None, None, n, million(total), 100 if total else 0))
    ws.auto_filter.ref = f"A{head}:H{head + len(body)}"
    page_setup(ws)


def missing_agencies(plan: Plan, year: int) -> list[dict[str, Any]]:
    """submission_status rows of agencies with no usable plan this year: never sent,
    every file rejected, or a current file without one accepted project."""
    out = []
    for r in plan.status.get(year, []):
        if r["status"] == "current" and r["rows_accepted"]:
            continue
        kind = r["status"] if r["status"] != "current" else "empty"
        out.append({**r, "status_th": STATUS_TH.get(kind, kind)})
    return out


def _missing_sheet(wb: Workbook, plan: Plan, year: int) -> None:
    ws = wb.create_sheet(SHEET_MISSING)
    rows = missing_agencies(plan, year)
    head = sheet_title(ws, "หน่วยงานที่ยังไม่ได้ส่งแผน",
                       f"ปีงบประมาณ พ.ศ. {year} · {len(rows)} จาก {N_AGENCIES} หน่วยงาน")
    last = write_table(ws, head, [
        Column("ลำดับ", COUNT, 7), Column("รหัส", None, 9), Column("ชื่อย่อ", None, 11),
        Column("หน่วยงาน", None, 50, wrap=True), Column("สถานะ", None, 34, wrap=True),
        Column("ไฟล์ที่ได้รับ", COUNT, 11), Column("ไฟล์ที่ถูกปฏิเสธ", COUNT, 13),
        Column("เหตุผลล่าสุด", None, 60, wrap=True)],
        [(i, r["agency_code"], plan.agency_label(r["agency_code"]), r["agency_name_th"],
          r["status_th"], r["files_received"], r["files_rejected"], r["last_reason"])
         for i, r in enumerate(rows, start=1)])
    if not rows:
        put(ws, last + 1, 1, "ทุกหน่วยงานส่งแผนแล้ว", bold=True)
    page_setup(ws)


PROJECT_COLUMNS = [
    Column("ลำดับ", COUNT, 7), Column("หน่วยงาน", None, 11),
    Column("ชื่อโครงการ", None, 50, wrap=True), Column("จังหวัด", None, 30, wrap=True),
    Column("ยุทธศาสตร์", None, 18, wrap=True), Column("กลุ่มเป้าหมาย", None, 18, wrap=True),
    Column("งบประมาณ (บาท)", BAHT, 17), Column("งบประมาณ (ล้านบาท)", MILLION_BAHT, 22),
    Column("วันเริ่มต้น", None, 13), Column("วันสิ้นสุด", None, 13),
    Column("ผู้รับผิดชอบ", None, 18), Column("โทรศัพท์", None, 14),
    Column("หมายเหตุ", None, 20, wrap=True), Column("ไฟล์ต้นฉบับ", None, 24),
    Column("แผ่นงาน", None, 12), Column("แถว", COUNT, 7), Column("รหัสโครงการ", None, 22),
]


def _projects_sheet(wb: Workbook, plan: Plan, year: int) -> None:
    ws = wb.create_sheet(SHEET_PROJECTS)
    projects = plan.projects.get(year, [])
    total = sum((p.budget_baht for p in projects), Decimal(0))
    head = sheet_title(ws, "รายการโครงการ",
                       f"ปีงบประมาณ พ.ศ. {year} · {len(projects):,} โครงการ · "
                       "ที่มา: ไฟล์ แผ่นงาน และแถวในไฟล์ของหน่วยงาน", columns=PROJECT_COLUMNS)
    body = []
    for i, p in enumerate(projects, start=1):
        where = NATIONWIDE_TH if p.nationwide else ", ".join(
            plan.province_names(c for c, _ in p.shares))
        body.append((i, plan.agency_label(p.agency_code), p.project_name, where, p.strategy,
                     p.target_group, p.budget_baht, million(p.budget_baht),
                     thai_date(p.start_date), thai_date(p.end_date), p.contact_name,
                     p.contact_phone, p.remarks, p.file_name, p.sheet, p.row_number,
                     p.project_id))
    last = write_table(ws, head, PROJECT_COLUMNS, body,
                       total=(None, None, TOTAL_TH, None, None, None, total, million(total),
                              *([None] * 9)))
    ws.auto_filter.ref = f"A{head}:{get_column_letter(len(PROJECT_COLUMNS))}{last - 1}"
    ws.freeze_panes = ws.cell(row=head + 1, column=4)  # keep agency and name in view
    page_setup(ws, a3=True)


def write_planbook(plan_data: Plan, year: int, path: Path) -> Path:
    wb = Workbook()
    wb.remove(wb.active)
    _cover(wb, plan_data, year)
    _agency_sheet(wb, plan_data, year)
    _strategy_sheet(wb, plan_data, year)
    _region_sheet(wb, plan_data, year)
    _cluster_sheet(wb, plan_data, year)
    _province_sheet(wb, plan_data, year)
    _missing_sheet(wb, plan_data, year)
    _projects_sheet(wb, plan_data, year)
    return save(wb, path, plan_data.generated_at)


def write_planbooks(plan: Path, out_dir: Path) -> list[Path]:
    """Write one plan book per fiscal year of `plan` into `out_dir`; return the paths."""
    data = read_plan(Path(plan))
    out_dir = Path(out_dir)
    return [write_planbook(data, year, out_dir / planbook_name(year)) for year in data.years]
