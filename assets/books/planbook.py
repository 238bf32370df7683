"""The plan book: one Excel workbook per fiscal year, written from the published plan.

`write_planbooks(plan, out_dir, previous=None)` reads `plan.duckdb` read-only and writes
`แผนบูรณาการ_วทน_<BE year>.xlsx` for every fiscal year the plan knows of, with:

- ปก — the headline (projects, ล้านบาท, agencies that sent), what each sheet holds,
  and when the data is from (the latest file received for that fiscal year, never
  "now": the same plan gives the same book, byte for byte);
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

The plan is read once into `Plan` (everything but the project rows: reference tables,
summaries, per-year and per-province figures). The project rows are read by whoever
writes them, a slice at a time, straight from the plan (`PROJECT_LIST_SQL`): DuckDB
formats them (Thai dates, provinces in Thai order) far faster than Python, and the
two processes writing a big project list each read only their half. A book whose
fingerprint is the previous one's is linked, not written (`xlsx_files`). The list is
rendered and compressed per agency (`list_blocks`, `block_parts`): when one agency
sends a new file, a book is written from the other agencies' parts of the book before,
copied as they are, and that agency's rows rendered again.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import os
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from stiplan.assets.books import folders as xlsx_files
from stiplan.assets.excel.stream import (
    Deflated,
    Table,
    arrow_table,
    deflate_part,
    finish_table,
    rows_sql,
)
from stiplan.assets.excel.style import (
    BAHT,
    CHUNK_ROWS,
    COUNT,
    MILLION_BAHT,
    PERCENT,
    Book,
    Column,
    Sheet,
    bar_chart,
    million,
    page_setup,
    paragraph,
    put,
    table_keys,
    thai_date,
    write_table,
)
from stiplan.assets.ingest.text import thai_sort_key
from stiplan.assets.runtime.database import read_snapshot
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


@dataclass
class Area:
    """A province's projects in one fiscal year: how many, the sum of its estimated
    shares (satang), and when the latest file they came from was received."""

    projects: int = 0
    share_satang: int = 0
    received: dt.datetime | None = None


@dataclass
class Year:
    """One fiscal year's figures (budgets in satang, exact)."""

    projects: int = 0
    budget_satang: int = 0
    sent: list[str] = field(default_factory=list)  # agency codes, the ministry's order
    nationwide: int = 0
    nationwide_satang: int = 0
    nationwide_received: dt.datetime | None = None
    received: dt.datetime | None = None  # the latest file received for the year
    areas: dict[str, Area] = field(default_factory=dict)  # province code -> figures
    cluster_projects: dict[str, int] = field(default_factory=dict)  # distinct, per cluster


@dataclass
class Plan:
    """What the plan books and province extracts need, read once from plan.duckdb (the
    project rows themselves are read a slice at a time: `project_rows`,
    `province_rows`, `nationwide_rows`). Small and picklable: it is what the
    processes writing the outputs are given."""

    path: Path
    years: list[int]
    generated_at: dt.datetime | None  # the latest file received, Bangkok time
    agencies: dict[str, dict[str, str]]  # code -> abbr_th, name_th, name_en
    provinces: dict[str, Province]  # code -> province, in Thai dictionary order
    figures: dict[int, Year] = field(default_factory=dict)
    summaries: dict[str, dict[int, list[dict[str, Any]]]] = field(default_factory=dict)
    status: dict[int, list[dict[str, Any]]] = field(default_factory=dict)

    def agency_label(self, code: str) -> str:
        a = self.agencies.get(code) or {}
        return a.get("abbr_th") or code

    def agency_name(self, code: str) -> str:
        a = self.agencies.get(code) or {}
        return a.get("name_th") or code

    def province_names(self, codes) -> list[str]:
        return sorted((self.provinces[c].name_th for c in codes), key=thai_sort_key)

    def year(self, year: int) -> Year:
        return self.figures.get(year) or Year()


def _agency_rank(code: str) -> tuple[int, str]:
    order = [a.code for a in AGENCIES]
    return (order.index(code), code) if code in order else (len(order), code or "")


def _rows(con: duckdb.DuckDBPyConnection, sql: str, *params) -> list[dict[str, Any]]:
    cur = con.execute(sql, list(params))
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def _local(t: dt.datetime | None) -> dt.datetime | None:
    return t.astimezone(BANGKOK_TIME) if t is not None else None


def connect(plan: Path) -> duckdb.DuckDBPyConnection:
    return read_snapshot(plan)


def read_plan(plan: Path) -> Plan:
    """Read the published plan (read-only): everything but the project rows."""
    con = connect(plan)
    try:
        years = sorted(
            {
                r["y"]
                for r in _rows(
                    con,
                    """
            SELECT fiscal_year AS y FROM projects UNION
            SELECT fiscal_year FROM submissions WHERE fiscal_year IS NOT NULL""",
                )
            }
        )
        (latest,) = con.execute("SELECT max(received_at) FROM submissions").fetchone()
        agencies = {r["code"]: r for r in _rows(con, "SELECT * FROM agencies")}
        provinces = {
            r["code"]: Province(
                r["code"], r["name_th"], r["region"], r["region_th"], r["cluster_th"]
            )
            for r in _rows(con, "SELECT * FROM provinces")
        }
        provinces = {
            p.code: p for p in sorted(provinces.values(), key=lambda p: thai_sort_key(p.name_th))
        }
        figures: dict[int, Year] = defaultdict(Year)
        for r in _rows(
            con,
            """
                SELECT p.fiscal_year AS y, p.agency_code AS agency, count(*) AS n,
                       sum((p.budget_baht * 100)::HUGEINT) AS satang,
                       count(*) FILTER (WHERE p.nationwide) AS nw,
                       coalesce(sum((p.budget_baht * 100)::HUGEINT) FILTER (WHERE p.nationwide),
                                0) AS nw_satang,
                       max(s.received_at) FILTER (WHERE p.nationwide) AS nw_received
                FROM projects p LEFT JOIN submissions s USING (submission_id)
                GROUP BY ALL""",
        ):
            y = figures[r["y"]]
            y.projects += r["n"]
            y.budget_satang += int(r["satang"] or 0)
            y.sent.append(r["agency"])
            y.nationwide += r["nw"]
            y.nationwide_satang += int(r["nw_satang"])
            y.nationwide_received = _later(y.nationwide_received, _local(r["nw_received"]))
        for y in figures.values():
            y.sent.sort(key=_agency_rank)
        for r in _rows(
            con,
            """SELECT fiscal_year AS y, max(received_at) AS t FROM submissions
                               WHERE fiscal_year IS NOT NULL GROUP BY 1""",
        ):
            figures[r["y"]].received = _local(r["t"])
        for r in _rows(
            con,
            """
                SELECT p.fiscal_year AS y, pp.province_code AS code, count(*) AS n,
                       sum((pp.budget_share_baht * 100)::HUGEINT) AS satang,
                       max(s.received_at) AS t
                FROM project_provinces pp JOIN projects p USING (project_id)
                     LEFT JOIN submissions s USING (submission_id)
                GROUP BY ALL""",
        ):
            figures[r["y"]].areas[r["code"]] = Area(r["n"], int(r["satang"] or 0), _local(r["t"]))
        for r in _rows(
            con,
            f"""
                SELECT p.fiscal_year AS y, coalesce(v.cluster_th, '{NO_CLUSTER_TH}') AS cluster,
                       count(DISTINCT pp.project_id) AS n
                FROM project_provinces pp JOIN projects p USING (project_id)
                     JOIN provinces v ON v.code = pp.province_code
                GROUP BY ALL""",
        ):
            figures[r["y"]].cluster_projects[r["cluster"]] = r["n"]
        summaries: dict[str, dict[int, list[dict[str, Any]]]] = {}
        for table in (
            "summary_by_agency",
            "summary_by_strategy",
            "summary_by_region",
            "summary_by_cluster",
            "summary_by_province",
        ):
            by_year: dict[int, list[dict[str, Any]]] = defaultdict(list)
            for r in _rows(con, f"SELECT * FROM {table} ORDER BY ALL"):
                by_year[r["fiscal_year"]].append(r)
            summaries[table] = dict(by_year)
        status: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for r in _rows(
            con,
            """
                SELECT st.*, (SELECT s.reason FROM submissions s
                              WHERE s.agency_code = st.agency_code
                                AND s.fiscal_year = st.fiscal_year AND s.status = 'rejected'
                              ORDER BY s.received_at DESC, s.file_name DESC LIMIT 1)
                             AS last_reason
                FROM submission_status st ORDER BY ALL""",
        ):
            status[r["fiscal_year"]].append(r)
        for year in status:
            status[year].sort(key=lambda r: _agency_rank(r["agency_code"]))
    finally:
        con.close()
    return Plan(
        path=Path(plan),
        years=years,
        generated_at=_local(latest),
        agencies=agencies,
        provinces=provinces,
        figures=dict(figures),
        summaries=summaries,
        status=dict(status),
    )


def _later(a: dt.datetime | None, b: dt.datetime | None) -> dt.datetime | None:
    return b if a is None else a if b is None else max(a, b)


# The project rows of one fiscal year in the plan's order (agency, then lineage),
# numbered from 0 (`idx`), with their provinces in Thai order: the base of every
# query for rows. {arank}/{prank} are VALUES lists made from the reference.
_THAI_MONTHS_SQL = "['ม.ค.', 'ก.พ.', 'มี.ค.', 'เม.ย.', 'พ.ค.', 'มิ.ย.', 'ก.ค.', 'ส.ค.', 'ก.ย.', 'ต.ค.', 'พ.ย.', 'ธ.ค.']"


def _thai_date_sql(col: str) -> str:
    return (
        f"CASE WHEN {col} IS NULL THEN NULL ELSE day({col})::VARCHAR || ' ' || "
        f"{_THAI_MONTHS_SQL}[month({col})] || ' ' || (year({col}) + 543)::VARCHAR END"
    )


ORDER_SQL = (
    "o.agency_rank, coalesce(o.agency_code, ''), coalesce(o.file_name, ''), "
    "coalesce(o.sheet, ''), coalesce(o.row_number, 0), o.project_id"
)


def _ordered_sql(
    plan: Plan,
    selected: str = "",
    numbered: bool = True,
    ord_table: str | None = None,
    first: str = "",
) -> str:
    """The CTEs `ord` (every project of the year and, when `numbered`, its place `idx`
    in the plan's order), `sel` (those of them `selected` picks, an SQL condition on
    `ord`), `pl` (their provinces) and `o` (their columns as written; `ORDER_SQL`
    orders them): formatting is done only for the rows asked for. `ord_table` is `ord`
    made once (`number_projects`); `first` a CTE that `selected` needs."""
    ordered = f"SELECT * FROM {ord_table}" if ord_table else ""
    window = f"""row_number() OVER (ORDER BY coalesce(ar.r, {len(AGENCIES)}),
                           coalesce(p.agency_code, ''), coalesce(s.file_name, ''),
                           coalesce(p.sheet, ''), coalesce(p.row_number, 0), p.project_id) - 1"""
    ordered = (
        ordered
        or f"""
                SELECT p.project_id, {window if numbered else "NULL"} AS idx
                FROM projects p LEFT JOIN submissions s USING (submission_id)
                     LEFT JOIN arank ar ON ar.code = p.agency_code
                WHERE p.fiscal_year = $year"""
    )
    arank = ", ".join(f"('{a.code}', {i})" for i, a in enumerate(AGENCIES))
    prank = ", ".join(
        f"('{p.code}', {i}, '{p.name_th}')" for i, p in enumerate(plan.provinces.values())
    )
    names = "[" + ", ".join(f"'{p.name_th}'" for p in plan.provinces.values()) + "]"
    return f"""
        WITH {first + "," if first else ""} arank(code, r) AS (VALUES {arank}),
        prank(code, r, name) AS (VALUES {prank}),
        ord AS ({ordered}),
        sel AS (SELECT * FROM ord {f"WHERE {selected}" if selected else ""}),
        pl AS (SELECT pp.project_id, count(*) AS n,
                      list_transform(list_sort(list(pr.r)), lambda i: {names}[i + 1]) AS names
               FROM project_provinces pp JOIN sel USING (project_id)
                    JOIN prank pr ON pr.code = pp.province_code
               GROUP BY pp.project_id),
        o AS (SELECT p.*, sel.idx, s.file_name, s.received_at,
                     coalesce(ar.r, {len(AGENCIES)}) AS agency_rank,
                     coalesce(nullif(a.abbr_th, ''), p.agency_code) AS label,
                     (p.budget_baht * 100)::BIGINT AS satang,
                     (p.budget_baht * 100)::BIGINT::DOUBLE / 100::DOUBLE AS baht,
                     (p.budget_baht * 100)::BIGINT::DOUBLE / 100000000::DOUBLE AS mb,
                     {_thai_date_sql("p.start_date")} AS start_th,
                     {_thai_date_sql("p.end_date")} AS end_th
              FROM sel JOIN projects p USING (project_id)
                   LEFT JOIN submissions s USING (submission_id)
                   LEFT JOIN agencies a ON a.code = p.agency_code
                   LEFT JOIN arank ar ON ar.code = p.agency_code)"""


# the project list of the plan book as its columns v0… (ลำดับ first), `r` its sheet row.
# Every text is written in the sheet itself (no shared strings): a row's XML then
# depends on nothing but the row and its place, so an agency's rows that did not
# change are the same bytes whatever the other agencies sent (`list_blocks`).
def _project_list_sql() -> str:
    return f"""
    SELECT o.idx, o.agency_rank AS arank_, coalesce(o.agency_code, '') AS acode_,
           o.idx + $first_row AS r, o.idx + 1 AS v0, o.label AS v1,
           o.project_name AS v2,
           CASE WHEN o.nationwide THEN '{NATIONWIDE_TH}'
                ELSE array_to_string(coalesce(pl.names, []), ', ') END AS v3,
           o.strategy AS v4, o.target_group AS v5, o.baht AS v6, o.mb AS v7,
           o.start_th AS v8, o.end_th AS v9, o.contact_name AS v10, o.contact_phone AS v11,
           o.remarks AS v12, o.file_name AS v13, o.sheet AS v14, o.row_number AS v15,
           o.project_id AS v16
    FROM o LEFT JOIN pl USING (project_id)"""


def number_projects(con, plan: Plan, year: int) -> str:
    """The year's projects numbered in the plan's order, once (a temporary table of
    the connection): each slice of the list is then cheap to find and render."""
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE ord_{year} AS {_ordered_sql(plan)} SELECT * FROM ord",
        {"year": year},
    )
    return f"ord_{year}"


def _project_list_query(plan: Plan, columns, ord_table: str) -> tuple[str, str]:
    """The two statements that render a run of the year's list: its rows' values in
    order into a temporary table, then their XML in that order (a table's scan keeps
    it). Sorting the values rather than their XML takes a quarter less."""
    relation = (
        f"{_ordered_sql(plan, 'idx >= $start AND idx < $stop', ord_table=ord_table)} "
        f"{_project_list_sql()}"
    )
    return (
        f"CREATE OR REPLACE TEMP TABLE list_run AS SELECT * FROM ({relation}) ORDER BY idx",
        f"SELECT * EXCLUDE (idx) FROM ({rows_sql('SELECT * FROM list_run', columns, keep=['idx'])})",
    )


def project_list_parts(
    con, plan: Plan, body: Table, run: list[tuple[int, int, str]], ord_table: str
) -> list[Deflated]:
    """The parts `run` (consecutive (start, stop, key)) of the year's list, each its
    `<row>` elements rendered by DuckDB (`xlsx_stream.rows_sql`) in one query and
    compressed apart; `ord_table` from `number_projects`."""
    ordered, render = _project_list_query(plan, body.columns, ord_table)
    con.execute(ordered, {"start": run[0][0], "stop": run[-1][1], "first_row": body.first_row})
    rows = arrow_table(con, render)
    parts, at = [], 0
    for a, b, key in run:
        part = finish_table(rows.slice(at, b - a), body.columns)
        parts.append(deflate_part(part, key=key))
        at += b - a
    if at != rows.num_rows:
        raise ValueError("the rendered rows are not the parts' rows")
    return parts


# What each row of a year's lists is written from, hashed (DuckDB's 64-bit row hash):
# the project, its file, the set of its provinces; with its agency's place in the
# ministry's order (`arank_`, `acode_`: the lists are in agency order). The formatting
# (Thai dates, province names, labels) is a function of these and of the reference,
# which the render SQL (in every part's key) holds; a row's place in its list follows
# from the rows before it (a block's start, counted here) and its own ordering fields.
def _rows_sql(plan: Plan) -> str:
    arank = ", ".join(f"('{a.code}', {i})" for i, a in enumerate(AGENCIES))
    return f"""
    WITH p AS (SELECT * FROM projects WHERE fiscal_year = $year),
    arank(code, r) AS (VALUES {arank}),
    plist AS (SELECT project_id, list(province_code ORDER BY province_code) AS codes
              FROM project_provinces JOIN p USING (project_id) GROUP BY project_id),
    rows AS (SELECT p.project_id, coalesce(ar.r, {len(AGENCIES)}) AS arank_,
                    coalesce(p.agency_code, '') AS acode_, p.agency_code,
                    (p.budget_baht * 100)::HUGEINT AS full_,
                    hash(p.project_id, p.agency_code, p.project_name, p.budget_baht,
                         p.nationwide, p.strategy, p.target_group, p.start_date, p.end_date,
                         p.contact_name, p.contact_phone, p.remarks, s.file_name, p.sheet,
                         p.row_number, plist.codes) AS h
             FROM p LEFT JOIN submissions s USING (submission_id)
                  LEFT JOIN arank ar ON ar.code = p.agency_code
                  LEFT JOIN plist USING (project_id))"""


def list_blocks(con, plan: Plan, year: int) -> list[tuple[int, int, str]]:
    """Each agency's block of the year's project list (contiguous: the list is in
    agency order), in order: its first row's number from 0, its rows, and a digest
    of what they are written from (`_rows_sql`). A block whose digest and start are
    the ones before is the same XML: `block_parts` keys it so."""
    blocks, start = [], 0
    for n, digest in con.execute(
        f"""{_rows_sql(plan)}
        SELECT count(*), concat_ws(':', count(*), sum(h::HUGEINT), bit_xor(h))
        FROM rows GROUP BY arank_, acode_ ORDER BY arank_, acode_""",
        {"year": year},
    ).fetchall():
        blocks.append((start, n, digest))
        start += n
    return blocks


def block_parts(
    blocks: list[tuple[int, int, str]], columns, first_row: int, render_sql: str
) -> list[tuple[int, int, str]]:
    """The parts a list of `blocks` is rendered and compressed in: each block in slices
    of at most CHUNK_ROWS rows, (start, stop, key), the key saying what the part's
    XML is made of (its rows, their place, the SQL that renders them), so a part of
    the same key may be copied from an earlier file."""
    sql = hashlib.sha256(render_sql.encode()).hexdigest()  # with the reference: see _body
    out = []
    for start, n, digest in blocks:
        for a in range(start, start + n, CHUNK_ROWS):
            b = min(start + n, a + CHUNK_ROWS)
            key = repr((sql, list(columns), first_row, start, n, digest, a, b))
            out.append((a, b, hashlib.sha256(key.encode()).hexdigest()))
    return out


# --------------------------------------------------------------------------- writing


def data_note(when: dt.datetime | None, what: str = "ของแผน") -> str:
    """ "Data as of": the latest file received `what` (never "now")."""
    stamp = thai_date(when, time=True) if when else "-"
    return f"ข้อมูล ณ {stamp} (เวลาที่ได้รับไฟล์ล่าสุด{what})"


def sheet_title(
    ws: Sheet,
    title: str,
    subtitle: str,
    note: str | None = None,
    columns: list[Column] | None = None,
) -> int:
    """Title rows above a table; returns the row where the table's header goes. The
    note wraps within the table's `columns` (whose widths are set here)."""
    put(ws, 1, 1, title, bold=True, size=18)
    put(ws, 2, 1, subtitle, size=14)
    for j, c in enumerate(columns or [], start=1):
        ws.set_width(j, c.width)
    if note and columns:
        paragraph(ws, 3, 1, len(columns), note, italic=True, size=13, color="C00000")
    elif note:
        put(ws, 3, 1, note, italic=True, size=13, color="C00000")
    return 4


def _mb(satang: int) -> float:
    """Satang to ล้านบาท (int division is correctly rounded: as `million` of the
    Decimal)."""
    return satang / 100_000_000


def _share(budget: Decimal, total: Decimal) -> Decimal:
    return (Decimal(100) * budget / total) if total else Decimal(0)


def _cover(book: Book, plan: Plan, year: int) -> None:
    ws = book.add_sheet(SHEET_COVER)
    fig = plan.year(year)
    ws.set_width(1, 34)
    ws.set_width(2, 18)
    ws.set_width(3, 70)
    put(ws, 1, 1, PLAN_TITLE, bold=True, size=22)
    put(ws, 2, 1, f"ประจำปีงบประมาณ พ.ศ. {year}", bold=True, size=20)
    put(ws, 3, 1, MINISTRY, size=16)
    headline = (
        f"แผนปีงบประมาณ พ.ศ. {year} มี {fig.projects:,} โครงการ "
        f"งบประมาณรวม {_mb(fig.budget_satang):,.4f} ล้านบาท "
        f"จาก {len(fig.sent)} หน่วยงาน (จากทั้งหมด {N_AGENCIES} หน่วยงาน)"
    )
    paragraph(ws, 5, 1, 3, headline, bold=True, size=16)
    facts = [
        ("จำนวนโครงการ", fig.projects, COUNT, "โครงการ"),
        ("งบประมาณรวม", _mb(fig.budget_satang), MILLION_BAHT, "ล้านบาท"),
        ("หน่วยงานที่ส่งแผน", len(fig.sent), COUNT, f"หน่วยงาน จากทั้งหมด {N_AGENCIES} หน่วยงาน"),
        ("โครงการที่ดำเนินการทั่วประเทศ", fig.nationwide, COUNT, "โครงการ"),
        ("งบประมาณโครงการทั่วประเทศ", _mb(fig.nationwide_satang), MILLION_BAHT, "ล้านบาท"),
    ]
    r = 7
    for label, value, fmt, unit in facts:
        put(ws, r, 1, label, bold=True)
        put(ws, r, 2, value, fmt, bold=True, size=16)
        put(ws, r, 3, f"  {unit}")
        r += 1
    r += 1
    put(ws, r, 1, "รายชื่อหน่วยงานที่ส่งแผน", bold=True)
    for code in fig.sent:
        put(ws, r, 2, plan.agency_label(code))
        put(ws, r, 3, plan.agency_name(code))
        r += 1
    if not fig.sent:
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
    for note in (
        ESTIMATE_NOTE,
        "งบประมาณแสดงเป็นล้านบาท ทศนิยม 4 ตำแหน่ง (รายการโครงการแสดงเป็นบาทด้วย)",
        "รวบรวมจากไฟล์แผนของหน่วยงานโดย stiplan — " + data_note(fig.received, "ของปีงบประมาณนี้"),
    ):
        paragraph(ws, r, 2, 3, note)
        r += 1
    page_setup(ws, landscape=False)
    ws.print_area(1, 1, r, 3)


def _agency_sheet(book: Book, plan: Plan, year: int) -> None:
    ws = book.add_sheet(SHEET_AGENCY)
    rows = sorted(
        plan.summaries["summary_by_agency"].get(year, []),
        key=lambda r: _agency_rank(r["agency_code"]),
    )
    head = sheet_title(ws, "งบประมาณตามหน่วยงาน", f"ปีงบประมาณ พ.ศ. {year} · หน่วย: ล้านบาท")
    total = sum((r["budget_baht"] for r in rows), Decimal(0))
    write_table(
        ws,
        head,
        [
            Column("ลำดับ", COUNT, 7),
            Column("ชื่อย่อ", None, 12),
            Column("หน่วยงาน", None, 62),
            Column("จำนวนโครงการ", COUNT, 13),
            Column("งบประมาณ (ล้านบาท)", MILLION_BAHT, 22),
            Column("สัดส่วน (%)", PERCENT, 12),
        ],
        [
            (
                i,
                plan.agency_label(r["agency_code"]),
                r["agency_name_th"],
                r["projects"],
                million(r["budget_baht"]),
                r["share_pct"],
            )
            for i, r in enumerate(rows, start=1)
        ],
        total=(
            None,
            None,
            TOTAL_TH,
            sum(r["projects"] for r in rows),
            million(total),
            100 if total else 0,
        ),
    )
    page_setup(ws)


def _strategy_sheet(book: Book, plan: Plan, year: int) -> None:
    ws = book.add_sheet(SHEET_STRATEGY)
    rows = plan.summaries["summary_by_strategy"].get(year, [])
    named = sorted(
        (r for r in rows if r["strategy"] != "ไม่ระบุยุทธศาสตร์"),
        key=lambda r: thai_sort_key(r["strategy"]),
    )
    rows = named + [r for r in rows if r["strategy"] == "ไม่ระบุยุทธศาสตร์"]
    head = sheet_title(ws, "งบประมาณตามยุทธศาสตร์", f"ปีงบประมาณ พ.ศ. {year} · หน่วย: ล้านบาท")
    total = sum((r["budget_baht"] for r in rows), Decimal(0))
    write_table(
        ws,
        head,
        [
            Column("ลำดับ", COUNT, 7),
            Column("ยุทธศาสตร์", None, 60, wrap=True),
            Column("จำนวนโครงการ", COUNT, 13),
            Column("งบประมาณ (ล้านบาท)", MILLION_BAHT, 22),
            Column("สัดส่วน (%)", PERCENT, 12),
        ],
        [
            (i, r["strategy"], r["projects"], million(r["budget_baht"]), r["share_pct"])
            for i, r in enumerate(rows, start=1)
        ],
        total=(
            None,
            TOTAL_TH,
            sum(r["projects"] for r in rows),
            million(total),
            100 if total else 0,
        ),
    )
    page_setup(ws)


def _area_rows(plan: Plan, year: int, table: str, key: str, keys: list[str]):
    """The summary's rows for every key of the reference (zero when absent), then
    the nationwide row; each as (key, projects, budget, share)."""
    got = {r[key]: r for r in plan.summaries[table].get(year, [])}
    out = []
    for k in keys:
        r = got.get(k)
        out.append(
            (
                k,
                r["projects"] if r else 0,
                r["budget_baht"] if r else Decimal(0),
                r["share_pct"] if r else Decimal(0),
            )
        )
    nation = [r for r in plan.summaries[table].get(year, []) if r[key] not in keys]
    return out, nation


def _region_sheet(book: Book, plan: Plan, year: int) -> None:
    ws = book.add_sheet(SHEET_REGION)
    cols = [
        Column("ลำดับ", COUNT, 7),
        Column("ภาค", None, 26),
        Column("จำนวนจังหวัด", COUNT, 12),
        Column("จำนวนโครงการ", COUNT, 13),
        Column(ESTIMATE_BUDGET, MILLION_BAHT, 22),
        Column("สัดส่วน (%)", PERCENT, 12),
    ]
    head = sheet_title(
        ws,
        f"งบประมาณตามภาค ({ESTIMATE_TH})",
        f"ปีงบประมาณ พ.ศ. {year} · หน่วย: ล้านบาท",
        ESTIMATE_NOTE,
        cols,
    )
    rows, nation = _area_rows(plan, year, "summary_by_region", "region", list(REGIONS))
    fig = plan.year(year)
    n_prov: dict[str, int] = defaultdict(int)
    for p in plan.provinces.values():
        n_prov[p.region] += 1
    body = [
        (i, REGION_TH[k], n_prov[k], c, million(b), s)
        for i, (k, c, b, s) in enumerate(rows, start=1)
    ]
    body += [
        (None, NATIONWIDE_TH, None, r["projects"], million(r["budget_baht"]), r["share_pct"])
        for r in nation
    ]
    last = write_table(
        ws,
        head,
        cols,
        body,
        total=(
            None,
            TOTAL_TH,
            len(plan.provinces),
            fig.projects,
            _mb(fig.budget_satang),
            100 if fig.budget_satang else 0,
        ),
    )
    paragraph(
        ws,
        last + 2,
        1,
        len(cols),
        "จำนวนโครงการรายภาคนับโครงการที่ดำเนินการหลายภาค"
        "ในทุกภาคที่ดำเนินการ บรรทัดรวมทั้งสิ้นนับแต่ละโครงการครั้งเดียว",
        italic=True,
        size=13,
    )
    bar_chart(
        ws,
        f"งบประมาณรายภาค ({ESTIMATE_TH}, ล้านบาท) ไม่รวมโครงการทั่วประเทศ",
        2,
        5,
        head + 1,
        head + len(rows),
        f"H{head}",
    )
    page_setup(ws)


def _cluster_sheet(book: Book, plan: Plan, year: int) -> None:
    ws = book.add_sheet(SHEET_CLUSTER)
    cols = [
        Column("ลำดับ", COUNT, 7),
        Column("กลุ่มจังหวัด", None, 40),
        Column("จังหวัดในกลุ่ม", None, 60, wrap=True),
        Column("จำนวนโครงการ", COUNT, 13),
        Column(ESTIMATE_BUDGET, MILLION_BAHT, 22),
        Column("สัดส่วน (%)", PERCENT, 12),
    ]
    head = sheet_title(
        ws,
        f"งบประมาณตามกลุ่มจังหวัด ({ESTIMATE_TH})",
        f"ปีงบประมาณ พ.ศ. {year} · หน่วย: ล้านบาท",
        ESTIMATE_NOTE,
        cols,
    )
    members: dict[str, list[str]] = defaultdict(list)
    for p in plan.provinces.values():  # already in Thai order
        members[p.cluster_th or NO_CLUSTER_TH].append(p.name_th)
    clusters = sorted((k for k in members if k != NO_CLUSTER_TH), key=thai_sort_key)
    clusters.append(NO_CLUSTER_TH)
    rows, nation = _area_rows(plan, year, "summary_by_cluster", "cluster_th", clusters)
    fig = plan.year(year)
    body = [
        (i, k, " ".join(members[k]), c, million(b), s)
        for i, (k, c, b, s) in enumerate(rows, start=1)
    ]
    body += [
        (None, r["cluster_th"], None, r["projects"], million(r["budget_baht"]), r["share_pct"])
        for r in nation
    ]
    last = write_table(
        ws,
        head,
        cols,
        body,
        total=(
            None,
            TOTAL_TH,
            None,
            fig.projects,
            _mb(fig.budget_satang),
            100 if fig.budget_satang else 0,
        ),
    )
    paragraph(
        ws,
        last + 2,
        1,
        len(cols),
        "กรุงเทพมหานครไม่อยู่ในกลุ่มจังหวัดใด แสดงในบรรทัด "
        f"{NO_CLUSTER_TH} · จำนวนโครงการรายกลุ่มนับโครงการที่ดำเนินการหลายกลุ่มในทุกกลุ่ม",
        italic=True,
        size=13,
    )
    ws.row_break(last + 2)  # the chart prints on a page of its own
    bar_chart(
        ws,
        f"งบประมาณรายกลุ่มจังหวัด ({ESTIMATE_TH}, ล้านบาท)",
        2,
        5,
        head + 1,
        head + len(rows),
        f"B{last + 4}",
        horizontal=True,
        width=30,
        height=18,
        label_size=1000,
    )
    page_setup(ws)


def _province_sheet(book: Book, plan: Plan, year: int) -> None:
    ws = book.add_sheet(SHEET_PROVINCE)
    cols = [
        Column("ลำดับ", COUNT, 7),
        Column("รหัส", None, 8),
        Column("จังหวัด", None, 22),
        Column("ภาค", None, 22),
        Column("กลุ่มจังหวัด", None, 40),
        Column("จำนวนโครงการ", COUNT, 13),
        Column(ESTIMATE_BUDGET, MILLION_BAHT, 22),
        Column("สัดส่วน (%)", PERCENT, 12),
    ]
    head = sheet_title(
        ws,
        f"งบประมาณตามจังหวัด ({ESTIMATE_TH})",
        f"ปีงบประมาณ พ.ศ. {year} · หน่วย: ล้านบาท · เรียงตามพยัญชนะ",
        ESTIMATE_NOTE,
        cols,
    )
    codes = list(plan.provinces)  # Thai dictionary order
    rows, nation = _area_rows(plan, year, "summary_by_province", "province_code", codes)
    fig = plan.year(year)
    body = []
    for i, (k, c, b, s) in enumerate(rows, start=1):
        p = plan.provinces[k]
        body.append((i, k, p.name_th, p.region_th, p.cluster_th or NO_CLUSTER_TH, c, million(b), s))
    body += [
        (
            None,
            None,
            NATIONWIDE_TH,
            None,
            None,
            r["projects"],
            million(r["budget_baht"]),
            r["share_pct"],
        )
        for r in nation
    ]
    write_table(
        ws,
        head,
        cols,
        body,
        total=(
            None,
            None,
            TOTAL_TH,
            None,
            None,
            fig.projects,
            _mb(fig.budget_satang),
            100 if fig.budget_satang else 0,
        ),
    )
    ws.autofilter(head, 1, head + len(body), 8)
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


def _missing_sheet(book: Book, plan: Plan, year: int) -> None:
    ws = book.add_sheet(SHEET_MISSING)
    rows = missing_agencies(plan, year)
    head = sheet_title(
        ws, "หน่วยงานที่ยังไม่ได้ส่งแผน", f"ปีงบประมาณ พ.ศ. {year} · {len(rows)} จาก {N_AGENCIES} หน่วยงาน"
    )
    last = write_table(
        ws,
        head,
        [
            Column("ลำดับ", COUNT, 7),
            Column("รหัส", None, 9),
            Column("ชื่อย่อ", None, 11),
            Column("หน่วยงาน", None, 50, wrap=True),
            Column("สถานะ", None, 34, wrap=True),
            Column("ไฟล์ที่ได้รับ", COUNT, 11),
            Column("ไฟล์ที่ถูกปฏิเสธ", COUNT, 13),
            Column("เหตุผลล่าสุด", None, 60, wrap=True),
        ],
        [
            (
                i,
                r["agency_code"],
                plan.agency_label(r["agency_code"]),
                r["agency_name_th"],
                r["status_th"],
                r["files_received"],
                r["files_rejected"],
                r["last_reason"],
            )
            for i, r in enumerate(rows, start=1)
        ],
    )
    if not rows:
        put(ws, last + 1, 1, "ทุกหน่วยงานส่งแผนแล้ว", bold=True)
    page_setup(ws)


PROJECT_COLUMNS = [
    Column("ลำดับ", COUNT, 7),
    Column("หน่วยงาน", None, 11),
    Column("ชื่อโครงการ", None, 50, wrap=True),
    Column("จังหวัด", None, 30, wrap=True),
    Column("ยุทธศาสตร์", None, 18, wrap=True),
    Column("กลุ่มเป้าหมาย", None, 18, wrap=True),
    Column("งบประมาณ (บาท)", BAHT, 17),
    Column("งบประมาณ (ล้านบาท)", MILLION_BAHT, 22),
    Column("วันเริ่มต้น", None, 13),
    Column("วันสิ้นสุด", None, 13),
    Column("ผู้รับผิดชอบ", None, 18),
    Column("โทรศัพท์", None, 14),
    Column("หมายเหตุ", None, 20, wrap=True),
    Column("ไฟล์ต้นฉบับ", None, 24),
    Column("แผ่นงาน", None, 12),
    Column("แถว", COUNT, 7),
    Column("รหัสโครงการ", None, 22),
]
HEADER_ROW = 4  # the header row of every sheet_title table (sheet_title returns it)


def _projects_sheet(book: Book, plan: Plan, year: int, body: Table) -> None:
    ws = book.add_sheet(SHEET_PROJECTS)
    fig = plan.year(year)
    head = sheet_title(
        ws,
        "รายการโครงการ",
        f"ปีงบประมาณ พ.ศ. {year} · {fig.projects:,} โครงการ · ที่มา: ไฟล์ แผ่นงาน และแถวในไฟล์ของหน่วยงาน",
        columns=PROJECT_COLUMNS,
    )
    last = write_table(
        ws,
        head,
        PROJECT_COLUMNS,
        None,
        body=body,
        total=(
            None,
            None,
            TOTAL_TH,
            None,
            None,
            None,
            fig.budget_satang / 100,
            _mb(fig.budget_satang),
            *([None] * 9),
        ),
    )
    ws.autofilter(head, 1, last - 1, len(PROJECT_COLUMNS))
    ws.freeze(head + 1, 4)  # keep agency and name in view
    page_setup(ws, a3=True)


def planbook(plan: Plan, year: int, body: Table) -> Book:
    """The plan book of `year`, described; `body` is its project list (rendered by
    `fill_project_list` once the book is known to be needed)."""
    book = Book(Path(planbook_name(year)).stem, plan.year(year).received)
    _cover(book, plan, year)
    _agency_sheet(book, plan, year)
    _strategy_sheet(book, plan, year)
    _region_sheet(book, plan, year)
    _cluster_sheet(book, plan, year)
    _province_sheet(book, plan, year)
    _missing_sheet(book, plan, year)
    _projects_sheet(book, plan, year, body)
    return book


PARALLEL_ROWS = 20_000  # more rows to render than this: worker processes render them
SHARED_ROWS = 2_000  # the same, when the outputs' workers are started already


def fill_project_list(
    con,
    plan: Plan,
    year: int,
    body: Table,
    ord_table: str,
    parts: list[tuple[int, int, str]],
    have: dict[str, Deflated] | None = None,
) -> None:
    """Render the year's project list into `body` as its `parts` (`block_parts`),
    each compressed apart; those in `have` (copied from the book before) are used as
    they are. Many rows are rendered by worker processes (DuckDB makes the XML,
    Python and zlib finish it; processes, as threads would wait on each other for
    the GIL), a few in this process (`ord_table` from `number_projects`)."""
    have = have or {}
    runs = _runs([(a, b, key) for a, b, key in parts if key not in have])
    rows = sum(run[-1][1] - run[0][0] for run in runs)
    # the step's workers, when started, take even one agency's rows: this process
    # has the other books' digests and the saving to do meanwhile
    shared = xlsx_files.active() is not None and rows > SHARED_ROWS
    k = xlsx_files.workers() if rows > PARALLEL_ROWS or shared else 1
    if k > 1:
        con.close()  # DuckDB keeps memory while a connection is open
        made = xlsx_files.run(
            _project_parts, [(plan, year, run, body.columns, body.first_row) for run in runs], k
        )
    else:
        if runs:
            number_projects(con, plan, year)
        made = [project_list_parts(con, plan, body, run, ord_table) for run in runs]
    have = {**have, **{d.key: d for run in made for d in run}}
    body.parts = [have[key] for *_, key in parts]


def _runs(todo: list[tuple[int, int, str]]) -> list[list[tuple[int, int, str]]]:
    """The parts to render in runs of consecutive ones of at most CHUNK_ROWS rows: a
    query each (a query costs tens of milliseconds whatever its rows: a small plan's
    sixteen agencies are one)."""
    runs: list[list[tuple[int, int, str]]] = []
    for a, b, key in todo:
        run = runs[-1] if runs else None
        if run and run[-1][1] == a and b - run[0][0] <= CHUNK_ROWS:
            run.append((a, b, key))
        else:
            runs.append([(a, b, key)])
    return runs


_WORKER: dict[tuple, tuple[duckdb.DuckDBPyConnection, str | None]] = {}


def worker_connection(plan: Plan, year: int | None = None):
    """A worker process's connection to the plan (one DuckDB thread: the other core
    runs the other worker), and the year's `number_projects` when `year` is given."""
    key = (plan.path, year)
    got = _WORKER.get(key)
    if got is None:
        con = next((c for (path, *_), (c, _) in _WORKER.items() if path == plan.path), None)
        if con is None:  # a new plan: the connections to an older one go
            for old in {id(c): c for c, _ in _WORKER.values()}.values():
                old.close()
            _WORKER.clear()
            con = read_snapshot(plan.path, threads=1)
        got = _WORKER[key] = (con, number_projects(con, plan, year) if year else None)
    return got


def _project_parts(task: tuple) -> list[Deflated]:
    """In a worker: a run of parts of a year's list (`_runs`), rendered and compressed
    apart (`xlsx_stream.join_deflated` joins them), with their keys."""
    plan, year, run, columns, first_row = task
    con, ord_table = worker_connection(plan, year)
    return project_list_parts(con, plan, Table(columns, None, first_row), run, ord_table)


@functools.lru_cache(maxsize=1)
def _numbering() -> list:
    """The styles of the project list as every plan book numbers them."""
    return Book("").columns(table_keys(PROJECT_COLUMNS))


def _body(plan: Plan, year: int, blocks: list[tuple[int, int, str]], render_sql: str) -> Table:
    digest = hashlib.sha256(repr((render_sql, blocks)).encode()).hexdigest()
    return Table(
        _numbering(),
        None,
        HEADER_ROW + 1,
        inline=True,
        nrows=plan.year(year).projects,
        known_digest=digest,
    )


def _prepared(con, plan: Plan, year: int) -> tuple[Book, Table, str, list[tuple[int, int, str]]]:
    """The book of `year` described, its list's body (not rendered yet), the numbered
    table and the list's parts."""
    ord_table = f"ord_{year}"  # made when the list is rendered here (`fill_project_list`)
    blocks = list_blocks(con, plan, year)
    # the labels the rows show come from the plan's agencies: with the SQL, in every key
    render_sql = "".join(_project_list_query(plan, _numbering(), ord_table)) + repr(
        sorted(plan.agencies.items())
    )
    body = _body(plan, year, blocks, render_sql)
    book = planbook(plan, year, body)
    return book, body, ord_table, block_parts(blocks, body.columns, body.first_row, render_sql)


def write_planbook(plan_data: Plan, year: int, path: Path) -> Path:
    """Write one plan book."""
    con = connect(plan_data.path)
    try:
        book, body, ord_table, parts = _prepared(con, plan_data, year)
        fill_project_list(con, plan_data, year, body, ord_table, parts)
        return book.save(path)
    finally:
        con.close()


_CACHE: dict[tuple, Plan] = {}


def cached_plan(plan: Path) -> Plan:
    """`read_plan`, once per published plan in a process: the plan books and the
    extracts are written from the same one, in one step. (A snapshot is a
    hard link of the published plan, which is only ever replaced by a new file: the
    same inode, size and mtime are the same plan.)"""
    st = os.stat(plan)
    key = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
    got = _CACHE.get(key)
    if got is None:
        _CACHE.clear()
        got = _CACHE[key] = read_plan(Path(plan))
    return dataclasses.replace(got, path=Path(plan))


def write_planbooks(
    plan: Path, out_dir: Path, previous: xlsx_files.Manifest | None = None
) -> xlsx_files.Written:
    """Write one plan book per fiscal year of `plan` into `out_dir`; return the paths
    (and the books' fingerprints). A book the folder of `previous` holds, unchanged,
    is linked from there (its fingerprint is known before its project list is
    rendered); of a changed one, the parts of its list that did not change (an
    agency's rows) are copied from it, compressed, and only the others rendered."""
    data = cached_plan(Path(plan))
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    manifest = previous or xlsx_files.Manifest()
    written, prints, placed = [], {}, {}
    for year in data.years:
        name = planbook_name(year)
        con = connect(data.path)  # closed before the workers start: DuckDB keeps memory
        try:
            book, body, ord_table, parts = _prepared(con, data, year)
            prints[name] = fingerprint = book.fingerprint()
            if manifest.reuse(name, fingerprint, out_dir / name):
                placed[name] = manifest.placed(name)
            else:
                have = manifest.parts(name, [key for *_, key in parts])
                fill_project_list(con, data, year, body, ord_table, parts, have)
                book.save(out_dir / name)
                placed[name] = book.placed
        finally:
            con.close()
        written.append(out_dir / name)
    return xlsx_files.Written(written, prints, placed)
