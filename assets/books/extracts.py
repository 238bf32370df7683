"""Province extracts: one workbook per province per fiscal year, for the deputy
governor's Area Based planning.

`write_province_extracts(plan, out_dir, previous=None)` writes `<out_dir>/<BE year>/<ISO
code>_<Thai name>.xlsx` for all 77 provinces of the reference and every fiscal year of
the plan, even when a province has no project that year. Each holds:

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

An extract shows only its own data: its "data as of" is the latest file received among
those its projects (the province's, its cluster's, the nationwide ones) came from, so a
file from an agency with no project there changes nothing in it, and an extract whose
fingerprint did not change since `previous` is linked from there, not written again.
Big plans are written by two processes, each a batch of provinces at a time, each
reading only its provinces' rows from the plan. Each province's list is rendered and
compressed per agency (`province_lists`): a changed extract copies the parts of the
agencies whose rows did not change (nor move) from the extract before.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from stiplan.assets.books import folders as xlsx_files
from stiplan.assets.books.planbook import (
    ESTIMATE_BUDGET,
    ESTIMATE_NOTE,
    ESTIMATE_TH,
    HEADER_ROW,
    NATIONWIDE_TH,  # noqa: F401  (the extracts' vocabulary, with the plan book's)
    NO_CLUSTER_TH,
    ORDER_SQL,
    TOTAL_TH,
    Plan,
    Province,
    _later,
    _mb,
    _ordered_sql,
    _rows_sql,
    cached_plan,
    connect,
    data_note,
    number_projects,
    sheet_title,
    worker_connection,
)
from stiplan.assets.excel.stream import (
    Deflated,
    Table,
    TableColumn,
    arrow_batches,
    arrow_table,
    deflate_part,
    finish_table,
    rows_sql,
    runs,
)
from stiplan.assets.excel.style import (
    COUNT,
    MILLION_BAHT,
    PERCENT,
    Book,
    Column,
    page_setup,
    paragraph,
    put,
    table_keys,
    write_table,
)

SHEET_SUMMARY = "สรุป"
SHEET_PROJECTS = "โครงการในจังหวัด"
SHEET_CLUSTER = "กลุ่มจังหวัด"
SHEET_NATIONWIDE = "โครงการทั่วประเทศ"
PARALLEL_ROWS = 20_000  # province rows above which worker processes write the extracts
STREAM_ROWS = 10_000  # rows of a batch's lists fetched from DuckDB at a time
BATCHES_PER_WORKER = 8  # at most, batches of provinces per year and worker (its task)
BATCH_ROWS = 10_000  # rows to render in a batch, about (at least one batch per worker)


def extract_name(fiscal_year: int, province: Province) -> str:
    return f"{fiscal_year}/{province.code}_{province.name_th}.xlsx"


# --------------------------------------------------------------------------- reading


# Some agencies' blocks of some provinces' lists as the rows of their โครงการในจังหวัด
# sheets (columns v0…, `k` the row's place in its province's list, every text in the
# sheet itself: see planbook's list), each row with its agency (`acode_`: a province's
# list is in agency order). `blk` gives the blocks wanted (code, acode, start: the rows
# of the province's list before the block, from `province_lists`), so only their
# projects are read and formatted: one query for a batch.
_BLOCKS_CTE = """blk AS (SELECT unnest($codes) AS code, unnest($acodes) AS acode,
                                unnest($starts) AS start),
    bp AS MATERIALIZED (
        SELECT pp.project_id, pp.province_code AS code, blk.acode, blk.start,
               pp.budget_share_baht
        FROM project_provinces pp JOIN projects p USING (project_id)
             JOIN blk ON blk.code = pp.province_code AND blk.acode = coalesce(p.agency_code, '')
        WHERE p.fiscal_year = $year)"""
_IN_BLOCKS = "project_id IN (SELECT project_id FROM bp)"


# (Rows in a block are in the plan's order: their `idx` in the year's numbered list,
# `number_projects`, orders them as `ORDER_SQL` does, for a fraction of the cost.)
def _province_list_sql() -> str:
    return """
    SELECT bp.code, bp.acode AS acode_,
           bp.start + row_number() OVER (PARTITION BY bp.code, bp.acode ORDER BY o.idx) AS k,
           k + $head AS r, k AS v0, o.label AS v1, o.project_name AS v2, o.strategy AS v3,
           o.mb AS v4,
           (bp.budget_share_baht * 100)::BIGINT::DOUBLE / 100000000::DOUBLE AS v5,
           pl.n AS v6,
           coalesce(nullif(array_to_string(list_filter(pl.names, lambda x: x <> pr.name),
                                           ', '), ''), '-') AS v7,
           o.start_th AS v8, o.end_th AS v9, o.contact_name AS v10, o.contact_phone AS v11,
           o.file_name AS v12, o.sheet AS v13, o.row_number AS v14
    FROM bp JOIN prank pr ON pr.code = bp.code
         JOIN o USING (project_id) JOIN pl USING (project_id)"""


_NATIONWIDE_LIST_SQL = f"""
    SELECT row_number() OVER (ORDER BY {ORDER_SQL}) AS k, k + $head AS r, k AS v0,
           o.label AS v1, o.project_name AS v2, o.strategy AS v3, o.mb AS v4,
           o.file_name AS v5, o.sheet AS v6, o.row_number AS v7
    FROM o WHERE o.nationwide"""
_NATIONWIDE = (
    "project_id IN (SELECT project_id FROM projects WHERE nationwide AND fiscal_year = $year)"
)


@dataclass
class Rendered:
    """A list rendered by DuckDB: its rows' XML, how many, and for a province its
    totals per agency (code -> projects, share and full budget in satang), in the
    ministry's order, and its parts: one per agency (`agencies`, each its `keys`),
    compressed apart (`parts`, once rendered or copied). `part` is the XML compressed
    once, for a list every extract of a year holds (the nationwide one)."""

    xml: bytes = b""
    rows: int = 0
    per_agency: dict[str | None, tuple[int, int, int]] = field(default_factory=dict)
    part: Deflated | None = None
    agencies: list[str] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    starts: list[int] = field(default_factory=list)
    parts: list[Deflated] | None = None
    _digest: str | None = None  # what the rows are made from (`province_lists`)

    def digest(self) -> str:
        if self._digest is None:
            self._digest = hashlib.sha256(self.xml).hexdigest()
        return self._digest

    def body(self, columns: list[TableColumn]) -> Table:
        """The table to write it as (`write_table(body=…)`)."""
        return Table(
            columns,
            None,
            HEADER_ROW + 1,
            inline=True,
            nrows=self.rows,
            parts=self.parts if self.parts is not None else [self.part or self.xml],
            known_digest=self.digest(),
        )


def province_lists(con, plan: Plan, year: int, columns: list[TableColumn]) -> dict[str, Rendered]:
    """Every province's list, not rendered yet: its totals per agency, and a digest of
    each agency's rows in it (what they are written from, `planbook._rows_sql`, with
    their shares of the province, and where the block starts), which keys its part.
    An extract whose fingerprint is unchanged is linked without its list being
    rendered; of a changed one, only the agencies whose part changed are rendered."""
    # the SQL holds the reference's provinces; the labels come from the plan's agencies
    what = "".join(_render_sql(plan, columns, year)) + repr(sorted(plan.agencies.items()))
    sql = hashlib.sha256(what.encode()).hexdigest()
    got = {c: Rendered() for c in plan.provinces}
    blocks: dict[str, list] = {c: [] for c in plan.provinces}
    for code, arank, acode, agency, n, share, full, digest in con.execute(
        f"""{_rows_sql(plan)},
        shares AS (SELECT pp.province_code AS code, r.arank_, r.acode_, r.agency_code,
                          (pp.budget_share_baht * 100)::HUGEINT AS share_, r.full_,
                          hash(r.h, pp.budget_share_baht) AS h
                   FROM project_provinces pp JOIN rows r USING (project_id))
        SELECT code, arank_, acode_, any_value(agency_code), count(*), sum(share_), sum(full_),
               concat_ws(':', count(*), sum(h::HUGEINT), bit_xor(h))
        FROM shares GROUP BY code, arank_, acode_ ORDER BY code, arank_, acode_""",
        {"year": year},
    ).fetchall():
        if code not in got:
            continue  # not a province of the reference: in no list
        mine = got[code]
        start = mine.rows  # the blocks come in the list's order
        mine.rows += n
        blocks[code].append((arank, agency is None, acode, agency, n, int(share), int(full)))
        mine.agencies.append(acode)
        mine.starts.append(start)
        key = repr((sql, list(columns), HEADER_ROW, start, digest))
        mine.keys.append(hashlib.sha256(key.encode()).hexdigest())
    for code, mine in got.items():
        # the สรุป sheet's order: the ministry's, then by code (none last)
        for *_, agency, n, share, full in sorted(blocks[code], key=lambda b: b[:3]):
            mine.per_agency[agency] = (n, share, full)
        mine._digest = hashlib.sha256(repr((sql, mine.keys)).encode()).hexdigest()
    return got


def _render_sql(plan: Plan, columns: list[TableColumn], year: int) -> tuple[str, str]:
    """The two statements that render a batch's lists: their rows' values in order
    into a temporary table, then their XML in that order (a table's scan keeps it).
    Sorting the values rather than their XML takes a quarter less. The connection
    holds the year's numbered projects (`worker_connection(plan, year)`)."""
    ctes = _ordered_sql(plan, _IN_BLOCKS, ord_table=f"ord_{year}", first=_BLOCKS_CTE)
    return (
        f"CREATE OR REPLACE TEMP TABLE lists_run AS {ctes} "
        f"SELECT * FROM ({_province_list_sql()}) ORDER BY code, k",
        f"SELECT * FROM ({rows_sql('SELECT * FROM lists_run', columns, keep=['code', 'acode_', 'k'])})",
    )


def render_parts(
    con,
    plan: Plan,
    year: int,
    want: dict[str, dict[str, tuple[str, int]]],
    columns: list[TableColumn],
) -> Iterator[tuple[str, dict[str, Deflated]]]:
    """Render the parts `want` (province code -> agency -> its key, and the rows of
    the province's list before it) of their provinces' lists, compressed, one province at a time: each code is yielded with its parts
    once they are there (a province none of whose parts is rendered is not), so the
    caller can write it and let it go, and a batch's rows are never all held (a
    million-row plan: about 750 MB a worker when they were)."""
    blocks = [
        (code, agency, start) for code, ws in want.items() for agency, (_, start) in ws.items()
    ]
    if not blocks:
        return
    codes, acodes, starts = (list(c) for c in zip(*blocks, strict=True))
    ordered, render = _render_sql(plan, columns, year)
    con.execute(
        ordered,
        {"year": year, "codes": codes, "acodes": acodes, "starts": starts, "head": HEADER_ROW},
    )
    reader = arrow_batches(con, render, rows=STREAM_ROWS)
    code, parts = None, {}
    for (at, agency), block in runs(reader, ["code", "acode_"]):
        if at != code and parts:
            yield code, parts
            parts = {}
        code, key = at, want[at][agency][0]
        parts[key] = deflate_part(finish_table(block, columns), key=key)
    if parts:
        yield code, parts


def nationwide_list(con, plan: Plan, year: int, columns: list[TableColumn]) -> Rendered:
    ctes = _ordered_sql(plan, _NATIONWIDE, numbered=False)
    rows = arrow_table(
        con,
        f"SELECT * EXCLUDE (k) FROM ({rows_sql(f'{ctes} {_NATIONWIDE_LIST_SQL}', columns, keep=['k'])}) "
        "ORDER BY k",
        {"year": year, "head": HEADER_ROW},
    )
    return Rendered(finish_table(rows, columns), rows.num_rows)


# --------------------------------------------------------------------------- writing


def _as_of(plan: Plan, year: int, prov: Province):
    """When the latest file among those this extract's projects came from arrived."""
    fig = plan.year(year)
    when = fig.nationwide_received
    for p in _members(plan, prov):
        area = fig.areas.get(p.code)
        when = _later(when, area.received if area else None)
    return when


def _members(plan: Plan, prov: Province) -> list[Province]:
    """The provinces of `prov`'s cluster (Thai order); just `prov` when it is in none."""
    if not prov.cluster_th:
        return [prov]
    return [p for p in plan.provinces.values() if p.cluster_th == prov.cluster_th]


def _summary(book: Book, plan: Plan, year: int, prov: Province, mine: Rendered, note: str) -> None:
    ws = book.add_sheet(SHEET_SUMMARY)
    fig = plan.year(year)
    per_agency = mine.per_agency
    share = sum(s for _, s, _ in per_agency.values())
    full = sum(b for _, _, b in per_agency.values())
    cols = [
        Column("ลำดับ", COUNT, 7),
        Column("ชื่อย่อ", None, 12),
        Column("หน่วยงาน", None, 58, wrap=True),
        Column("จำนวนโครงการ", COUNT, 14),
        Column(f"ส่วนของจังหวัด\n{ESTIMATE_TH} (ล้านบาท)", MILLION_BAHT, 20),
        Column("งบประมาณทั้งโครงการ (ล้านบาท)", MILLION_BAHT, 20),
    ]
    sheet_title(
        ws,
        f"แผนบูรณาการ วทน. กับจังหวัด: จังหวัด{prov.name_th}",
        f"ปีงบประมาณ พ.ศ. {year} · {prov.region_th} · "
        f"{prov.cluster_th or NO_CLUSTER_TH} · รหัส {prov.code}",
        ESTIMATE_NOTE,
        cols,
    )
    facts = [
        ("จำนวนโครงการในจังหวัด", mine.rows, COUNT, "โครงการ"),
        (f"งบประมาณส่วนของจังหวัด ({ESTIMATE_TH})", _mb(share), MILLION_BAHT, "ล้านบาท"),
        ("งบประมาณทั้งโครงการของโครงการเหล่านี้", _mb(full), MILLION_BAHT, "ล้านบาท (รวมส่วนของจังหวัดอื่น)"),
        ("จำนวนหน่วยงาน", len(per_agency), COUNT, "หน่วยงาน"),
        ("โครงการทั่วประเทศ (ไม่นับรวมในยอดของจังหวัด)", fig.nationwide, COUNT, "โครงการ"),
        ("งบประมาณโครงการทั่วประเทศ (ไม่นับรวม)", _mb(fig.nationwide_satang), MILLION_BAHT, "ล้านบาท"),
    ]
    r = 5
    for label, value, fmt, unit in facts:
        ws.merge(r, 2, r, 3)
        put(ws, r, 2, label, bold=True)
        put(ws, r, 4, value, fmt, bold=True, size=16)
        put(ws, r, 5, f"  {unit}")
        r += 1
    r += 1
    put(ws, r, 1, "งบประมาณตามหน่วยงาน (หน่วย: ล้านบาท)", bold=True, size=16)
    r += 1
    rows = [
        (i, plan.agency_label(code), plan.agency_name(code), n, _mb(s), _mb(b))
        for i, (code, (n, s, b)) in enumerate(per_agency.items(), start=1)
    ]
    last = write_table(
        ws,
        r,
        cols,
        rows,
        freeze=False,
        total=(None, None, TOTAL_TH, mine.rows, _mb(share), _mb(full)),
    )
    if not mine.rows:
        put(ws, last + 1, 3, "ไม่มีโครงการในจังหวัดนี้ในปีงบประมาณนี้", italic=True)
        last += 1
    put(ws, last + 2, 1, note, italic=True, size=12)
    page_setup(ws)


PROJECT_COLUMNS = [
    Column("ลำดับ", COUNT, 7),
    Column("หน่วยงาน", None, 11),
    Column("ชื่อโครงการ", None, 48, wrap=True),
    Column("ยุทธศาสตร์", None, 18, wrap=True),
    Column("งบประมาณทั้งโครงการ (ล้านบาท)", MILLION_BAHT, 16),
    Column(f"ส่วนของจังหวัด\n{ESTIMATE_TH} (ล้านบาท)", MILLION_BAHT, 16),
    Column("จำนวนจังหวัด", COUNT, 10),
    Column("จังหวัดอื่นของโครงการ", None, 34, wrap=True),
    Column("วันเริ่มต้น", None, 13),
    Column("วันสิ้นสุด", None, 13),
    Column("ผู้รับผิดชอบ", None, 18),
    Column("โทรศัพท์", None, 14),
    Column("ไฟล์ต้นฉบับ", None, 24),
    Column("แผ่นงาน", None, 12),
    Column("แถว", COUNT, 7),
]


def _projects(book: Book, year: int, prov: Province, mine: Rendered) -> None:
    ws = book.add_sheet(SHEET_PROJECTS)
    head = sheet_title(
        ws,
        f"โครงการในจังหวัด{prov.name_th}",
        f"ปีงบประมาณ พ.ศ. {year} · {mine.rows:,} โครงการ · หน่วย: ล้านบาท",
        ESTIMATE_NOTE,
        PROJECT_COLUMNS,
    )
    share = sum(s for _, s, _ in mine.per_agency.values())
    full = sum(b for _, _, b in mine.per_agency.values())
    write_table(
        ws,
        head,
        PROJECT_COLUMNS,
        None,
        body=mine.body(_numbering()[0]),
        total=(None, None, TOTAL_TH, None, _mb(full), _mb(share), *([None] * 9)),
    )
    page_setup(ws, a3=True)


def _cluster(book: Book, plan: Plan, year: int, prov: Province) -> None:
    ws = book.add_sheet(SHEET_CLUSTER)
    fig = plan.year(year)
    name = prov.cluster_th or NO_CLUSTER_TH
    cols = [
        Column("ลำดับ", COUNT, 7),
        Column("จังหวัด", None, 24),
        Column("รหัส", None, 9),
        Column("จำนวนโครงการ", COUNT, 13),
        Column(ESTIMATE_BUDGET, MILLION_BAHT, 22),
        Column("สัดส่วนในกลุ่ม (%)", PERCENT, 14),
    ]
    head = sheet_title(
        ws,
        f"{name} ({ESTIMATE_TH})",
        f"ปีงบประมาณ พ.ศ. {year} · หน่วย: ล้านบาท · ข้อมูลประกอบ",
        ESTIMATE_NOTE,
        cols,
    )
    members = _members(plan, prov)
    figures = [(p, fig.areas.get(p.code)) for p in members]
    figures = [(p, a.projects if a else 0, a.share_satang if a else 0) for p, a in figures]
    total = sum(b for *_, b in figures)
    distinct = fig.cluster_projects.get(prov.cluster_th, 0) if prov.cluster_th else figures[0][1]
    last = write_table(
        ws,
        head,
        cols,
        [
            (
                i,
                p.name_th,
                p.code,
                n,
                _mb(b),
                float(Decimal(100 * b) / Decimal(total)) if total else 0.0,
            )
            for i, (p, n, b) in enumerate(figures, start=1)
        ],
        total=(None, TOTAL_TH, None, distinct, _mb(total), 100 if total else 0),
        bold_rows=[i for i, (p, *_) in enumerate(figures) if p.code == prov.code],
        fill_rows="FFF2CC",
    )  # this workbook's province stands out
    notes = ["บรรทัดรวมทั้งสิ้นนับโครงการที่ดำเนินการหลายจังหวัดในกลุ่มเพียงครั้งเดียว"]
    if not prov.cluster_th:
        notes.insert(0, f"จังหวัด{prov.name_th}ไม่อยู่ในกลุ่มจังหวัดใด")
    for k, note in enumerate(notes):
        paragraph(ws, last + 2 + k, 1, len(cols), note, italic=True, size=13)
    page_setup(ws, landscape=False)


NATIONWIDE_COLUMNS = [
    Column("ลำดับ", COUNT, 7),
    Column("หน่วยงาน", None, 11),
    Column("ชื่อโครงการ", None, 50, wrap=True),
    Column("ยุทธศาสตร์", None, 18, wrap=True),
    Column("งบประมาณ (ล้านบาท)", MILLION_BAHT, 22),
    Column("ไฟล์ต้นฉบับ", None, 24),
    Column("แผ่นงาน", None, 12),
    Column("แถว", COUNT, 7),
]


@lru_cache(maxsize=1)
def _numbering() -> tuple[list[TableColumn], list[TableColumn]]:
    """The styles of the two lists, as every extract numbers them (the project list's
    first, then the nationwide one's: the order `extract` writes them in)."""
    book = Book("")
    return (
        book.columns(table_keys(PROJECT_COLUMNS)),
        book.columns(table_keys(NATIONWIDE_COLUMNS)),
    )


def _nationwide(book: Book, plan: Plan, year: int, nationwide: Rendered) -> None:
    ws = book.add_sheet(SHEET_NATIONWIDE)
    head = sheet_title(
        ws,
        "โครงการที่ดำเนินการทั่วประเทศ (ข้อมูลประกอบ)",
        f"ปีงบประมาณ พ.ศ. {year} · หน่วย: ล้านบาท",
        "ไม่นับรวมในยอดงบประมาณของจังหวัด: โครงการทั่วประเทศไม่ได้แบ่งงบประมาณรายจังหวัด",
        NATIONWIDE_COLUMNS,
    )
    write_table(
        ws,
        head,
        NATIONWIDE_COLUMNS,
        None,
        body=nationwide.body(_numbering()[1]),
        total=(
            None,
            None,
            TOTAL_TH,
            None,
            _mb(plan.year(year).nationwide_satang),
            None,
            None,
            None,
        ),
    )
    page_setup(ws)


def extract(plan: Plan, year: int, prov: Province, mine: Rendered, nationwide: Rendered) -> Book:
    """The extract of `prov` for `year`, described."""
    when = _as_of(plan, year, prov)
    book = Book(Path(extract_name(year, prov)).stem, when)
    _summary(book, plan, year, prov, mine, data_note(when, "ของโครงการในไฟล์นี้"))
    _projects(book, year, prov, mine)
    _cluster(book, plan, year, prov)
    _nationwide(book, plan, year, nationwide)
    return book


def _to_render(
    plan: Plan, year: int, lists: dict[str, Rendered], manifest: xlsx_files.Manifest
) -> dict[str, int]:
    """About the rows each province's extract renders: those of the parts the folder
    before does not hold (all of them when there is none)."""
    out = {}
    for code, mine in lists.items():
        placed = manifest.placed(extract_name(year, plan.provinces[code]))
        ends = [*mine.starts[1:], mine.rows][: len(mine.starts)]
        out[code] = sum(
            end - start
            for start, end, key in zip(mine.starts, ends, mine.keys, strict=True)
            if key not in placed
        )
    return out


def _batches(plan: Plan, rows: dict[str, int], k: int) -> list[list[str]]:
    """The provinces in at most `k` runs of about as many rows to render (Thai order
    kept; a province's workbook counts as a few rows)."""
    sizes = {c: rows.get(c, 0) + 50 for c in plan.provinces}
    per = sum(sizes.values()) / k
    out: list[list[str]] = [[]]
    acc = 0
    for c, n in sizes.items():
        if acc >= per * len(out) and len(out) < k:
            out.append([])
        out[-1].append(c)
        acc += n
    return [b for b in out if b]


def write_province_extracts(
    plan: Path, out_dir: Path, previous: xlsx_files.Manifest | None = None
) -> xlsx_files.Written:
    """Write every province's extract for every fiscal year of `plan` into `out_dir`
    (`<BE year>/<ISO code>_<Thai name>.xlsx`); return the paths, by year then in Thai
    order of the province names (and the extracts' fingerprints). An extract the
    folder of `previous` holds, unchanged, is linked from there; of a changed one,
    the parts of its list that did not change (an agency's rows) are copied from it.

    A big plan is shared by worker processes, a batch of provinces at a time: each
    renders the batch's changed parts with DuckDB, then writes their workbooks."""
    data = cached_plan(Path(plan))
    out_dir = Path(out_dir)
    manifest = previous or xlsx_files.Manifest()
    rows = sum(a.projects for y in data.years for a in data.year(y).areas.values())
    shared = xlsx_files.active()
    if shared is not None:  # workers already started: worth it at any size
        k = shared.n
    else:
        k = xlsx_files.workers() if rows > PARALLEL_ROWS else 1
    tasks = []
    con = connect(data.path)
    try:
        for year in data.years:
            (out_dir / str(year)).mkdir(parents=True, exist_ok=True)
            nationwide = nationwide_list(con, data, year, _numbering()[1])
            nationwide.part = deflate_part(nationwide.xml)  # once for all 77
            nationwide.digest()
            nationwide.xml = b""  # its part and digest are all the workbooks need
            lists = province_lists(con, data, year, _numbering()[0])
            # a batch costs a query of its own (a tenth of a second), whatever its
            # rows: few rows to render (a small plan, one agency's new file) are cut
            # only into as many as there are workers, many in up to BATCHES_PER_WORKER
            # each (a worker's memory)
            render = _to_render(data, year, lists, manifest)
            per = min(BATCHES_PER_WORKER, max(1, sum(render.values()) // (k * BATCH_ROWS)))
            tasks += [
                (data, year, codes, nationwide, {c: lists[c] for c in codes}, out_dir, manifest)
                for codes in _batches(data, render, k * per)
            ]
        if k == 1:
            for year in data.years:
                number_projects(con, data, year)
            done = [w for t in tasks for w in _write_batch(t, con)]
        else:
            con.close()  # DuckDB keeps memory while a connection is open
            done = [w for ws in xlsx_files.run(_write_batch, tasks, k) for w in ws]
    finally:
        con.close()
    return xlsx_files.Written(
        [out_dir / rel for rel, *_ in done],
        {rel: fp for rel, fp, _ in done},
        {rel: placed for rel, _, placed in done},
    )


def _write_batch(task: tuple, con=None) -> list[tuple[str, str, dict]]:
    """Write (or link) the extracts of a batch of provinces, rendering only the parts
    of their lists that changed; in a worker process unless `con` is given.
    (Relative path, fingerprint, where its list's parts are) of each."""
    plan, year, codes, nationwide, lists, out_dir, manifest = task
    done, todo, want = {}, {}, {}
    for code in codes:
        prov, mine = plan.provinces[code], lists[code]
        rel = extract_name(year, prov)
        book = extract(plan, year, prov, mine, nationwide)
        fingerprint = book.fingerprint()
        if manifest.reuse(rel, fingerprint, out_dir / rel):
            done[code] = (rel, fingerprint, manifest.placed(rel))
            continue
        have = manifest.parts(rel, mine.keys)
        todo[code] = (book, rel, fingerprint, have)
        missing = {
            a: (k, start)
            for a, k, start in zip(mine.agencies, mine.keys, mine.starts, strict=True)
            if k not in have
        }
        if missing:
            want[code] = missing

    def save(code: str, made: dict[str, Deflated]) -> None:
        book, rel, fingerprint, have = todo.pop(code)
        have.update(made)
        body = book.sheets[1].tables[0][0]  # โครงการในจังหวัด
        body.parts = [have[k] for k in lists[code].keys]
        book.save(out_dir / rel)
        done[code] = (rel, fingerprint, book.placed)

    if want:
        if con is None:
            con, _ = worker_connection(plan, year)
        for code, made in render_parts(con, plan, year, want, _numbering()[0]):
            save(code, made)
    for code in list(todo):  # nothing to render: every part copied (or no project)
        save(code, {})
    return [done[c] for c in codes]
