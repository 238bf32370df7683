"""The five summary tables, per fiscal year (sums as DECIMAL(38,2): totals of many
DECIMAL(18,2) budgets must never overflow). Each adds up to the plan's total:
nationwide projects get an explicit ทั่วประเทศ row, Bangkok (in no cluster) an
explicit ไม่อยู่ในกลุ่มจังหวัด row. Province figures are even splits: estimates."""

from __future__ import annotations

from stiplan.schemas.reference import AGENCIES
from stiplan.schemas.warehouse import NATIONWIDE_TH, NO_CLUSTER_TH, NO_STRATEGY_TH

_NATIONWIDE = """
    SELECT fiscal_year, {keys}, count(*) AS projects,
           CAST(sum(budget_baht) AS DECIMAL(38,2)) AS budget_baht
    FROM projects WHERE nationwide GROUP BY fiscal_year"""


# Every province share with its project's year, joined once for the three summaries
# by area, as integers: `project` stands for the project_id (unique in a plan that
# passes the audit: unique_project_id), `province` for the province (its row in
# `provinces`). Grouping integers and naming the few lines after is three times
# faster than joining and grouping the names (0.6 s of the merge at 160,000 projects).
# Projects and provinces numbered here, not by rowid: a table's rowids after a patch
# (rows deleted and inserted, not yet checkpointed) once gave area summaries no rows.
AREA_SHARES_SQL = [
    """CREATE OR REPLACE TEMP TABLE area_provinces AS
       SELECT row_number() OVER (ORDER BY code) AS province, * FROM provinces""",
    """CREATE OR REPLACE TEMP TABLE area_shares AS
       SELECT p.fiscal_year, p.project, pr.province, pp.budget_share_baht
       FROM project_provinces pp
       JOIN (SELECT project_id, fiscal_year, row_number() OVER () AS project FROM projects) p
         USING (project_id)
       JOIN area_provinces pr ON pr.code = pp.province_code""",
]


def _by_area(keys: list[tuple[str, str]], nationwide_keys: str) -> str:
    """Per year and area, the projects with a share there and the shares' sum. An area
    is a value of `keys` ((expression over `provinces`, name) each); each province's is
    numbered (`area`), the projects counted by grouping per project first (what
    count(DISTINCT ...) counts), and the areas named last. Reads `area_shares`
    and `area_provinces` (AREA_SHARES_SQL), made first."""
    values = ", ".join(f"{expr} AS {name}" for expr, name in keys)
    names = ", ".join(name for _, name in keys)
    areas = f"""
        SELECT province, dense_rank() OVER (ORDER BY {names}) AS area, {names}
        FROM (SELECT province, {values} FROM area_provinces)"""
    return f"""
    SELECT * FROM (
        SELECT y.fiscal_year, {", ".join(f"k.{name}" for _, name in keys)},
               y.projects, y.budget_baht
        FROM (
            SELECT fiscal_year, area, count(*) AS projects,
                   CAST(sum(budget) AS DECIMAL(38,2)) AS budget_baht
            FROM (SELECT a.fiscal_year, m.area, a.project, sum(a.budget_share_baht) AS budget
                  FROM area_shares a JOIN ({areas}) m USING (province) GROUP BY ALL)
            GROUP BY ALL) y
        JOIN (SELECT DISTINCT area, {names} FROM ({areas})) k USING (area)
        UNION ALL {_NATIONWIDE.format(keys=nationwide_keys)}
    ) ORDER BY fiscal_year, 2 NULLS LAST"""


_SQL: dict[str, str] = {
    "summary_by_agency": """
        SELECT p.fiscal_year, p.agency_code, a.name_th AS agency_name_th,
               count(*) AS projects, CAST(sum(p.budget_baht) AS DECIMAL(38,2)) AS budget_baht
        FROM projects p JOIN agencies a ON a.code = p.agency_code
        GROUP BY p.fiscal_year, p.agency_code, a.name_th
        ORDER BY p.fiscal_year, p.agency_code""",
    "summary_by_strategy": f"""
        SELECT fiscal_year, coalesce(strategy, '{NO_STRATEGY_TH}') AS strategy,
               count(*) AS projects, CAST(sum(budget_baht) AS DECIMAL(38,2)) AS budget_baht
        FROM projects GROUP BY fiscal_year, coalesce(strategy, '{NO_STRATEGY_TH}')
        ORDER BY fiscal_year, strategy""",
    "summary_by_province": _by_area(
        [
            ("code", "province_code"),
            ("name_th", "province_name_th"),
            ("name_en", "province_name_en"),
        ],
        f"NULL AS province_code, '{NATIONWIDE_TH}' AS province_name_th, "
        "'Nationwide' AS province_name_en",
    ),
    "summary_by_cluster": _by_area(
        [
            (f"coalesce(cluster_th, '{NO_CLUSTER_TH}')", "cluster_th"),
            ("coalesce(cluster_en, 'No cluster')", "cluster_en"),
        ],
        f"'{NATIONWIDE_TH}' AS cluster_th, 'Nationwide' AS cluster_en",
    ),
    "summary_by_region": _by_area(
        [("region", "region"), ("region_th", "region_th")],
        f"'Nationwide' AS region, '{NATIONWIDE_TH}' AS region_th",
    ),
}


def _with_share(sql: str) -> str:
    """Each line's share of its fiscal year's total, in percent to 4 decimals."""
    return f"""
    SELECT *, CAST(round(100 * budget_baht / nullif(sum(budget_baht)
                   OVER (PARTITION BY fiscal_year), 0), 4) AS DECIMAL(9,4)) AS share_pct
    FROM ({sql}) ORDER BY ALL"""


SUMMARY_SQL: dict[str, str] = {name: _with_share(sql) for name, sql in _SQL.items()}

# 16 agencies x every fiscal year seen: received, current version, rows, or not yet.
SUBMISSION_STATUS_SQL = """
    WITH years AS (SELECT DISTINCT fiscal_year FROM submissions WHERE fiscal_year IS NOT NULL),
    grid AS (SELECT a.code AS agency_code, a.name_th AS agency_name_th, y.fiscal_year
             FROM agencies a CROSS JOIN years y)
    SELECT g.agency_code, g.agency_name_th, g.fiscal_year,
           count(s.submission_id) AS files_received,
           count(s.submission_id) FILTER (s.status = 'rejected') AS files_rejected,
           max(s.submission_id) FILTER (s.status = 'current') AS current_submission_id,
           max(s.file_name) FILTER (s.status = 'current') AS current_file_name,
           max(s.received_at) FILTER (s.status = 'current') AS current_received_at,
           coalesce(sum(s.rows_accepted) FILTER (s.status = 'current'), 0) AS rows_accepted,
           coalesce(sum(s.rows_rejected) FILTER (s.status = 'current'), 0) AS rows_rejected,
           coalesce(sum(s.rows_duplicate) FILTER (s.status = 'current'), 0) AS rows_duplicate,
           CASE WHEN count(s.submission_id) FILTER (s.status = 'current') > 0 THEN 'current'
                WHEN count(s.submission_id) > 0 THEN 'rejected'
                ELSE 'not yet submitted' END AS status
    FROM grid g LEFT JOIN submissions s
      ON s.agency_code = g.agency_code AND s.fiscal_year = g.fiscal_year
    GROUP BY ALL ORDER BY g.fiscal_year, g.agency_code"""


# What a planner reads of each summary: the line's label in Thai with English, and the
# column that orders it (largest budget first). Read by the published plan's page.
SUMMARY_LABELS: dict[str, tuple[str, str]] = {
    "summary_by_agency": ("หน่วยงาน / agency", "agency_name_th || ' (' || agency_code || ')'"),
    "summary_by_region": ("ภาค / region", "region_th || ' (' || region || ')'"),
    "summary_by_cluster": ("กลุ่มจังหวัด / cluster", "cluster_th || ' (' || cluster_en || ')'"),
    "summary_by_strategy": ("ยุทธศาสตร์ / strategy", "strategy"),
}

STATUS_TH = {
    "current": "ส่งแล้ว (current)",
    "rejected": "ถูกปฏิเสธ (rejected)",
    "not yet submitted": "ยังไม่ส่ง (not yet submitted)",
}


def summary_lines(con) -> dict[str, dict[int, list[tuple[str, int, object, object]]]]:
    """table -> fiscal year -> (label, projects, budget in baht, share in percent), the
    largest budget first; nationwide and no-cluster lines included, as in the tables."""
    out: dict[str, dict[int, list]] = {}
    for table, (_, label) in SUMMARY_LABELS.items():
        rows = con.execute(
            f"SELECT fiscal_year, {label}, projects, budget_baht, share_pct FROM {table} "
            "ORDER BY fiscal_year, budget_baht DESC, 2"
        ).fetchall()
        for year, *line in rows:
            out.setdefault(table, {}).setdefault(year, []).append(tuple(line))
    return out


def status_lines(con) -> dict[int, list[tuple]]:
    """fiscal year -> every agency's (agency, status, current file, files received, rows
    accepted, rows rejected), in the reference order of agencies."""
    order = {a.code: i for i, a in enumerate(AGENCIES)}
    rows = con.execute("""
        SELECT st.fiscal_year, st.agency_code,
               coalesce(nullif(a.abbr_th, ''), a.name_th) || ' (' || st.agency_code || ')',
               st.status, st.current_file_name, st.files_received, st.rows_accepted,
               st.rows_rejected
        FROM submission_status st JOIN agencies a ON a.code = st.agency_code""").fetchall()
    out: dict[int, list[tuple]] = {}
    for year, _, agency, status, file, received, accepted, rejected in sorted(
        rows, key=lambda r: (r[0], order.get(r[1], len(order)))
    ):
        out.setdefault(year, []).append(
            (agency, STATUS_TH.get(status, status), file or "", received, accepted, rejected)
        )
    return out
