"""The summaries on their own: every summary adds up to the plan's total per fiscal year,
with the nationwide projects on their own ทั่วประเทศ line, Bangkok (in no cluster) on the
ไม่อยู่ในกลุ่มจังหวัด line, and each province's figure the even split of its projects'
budgets (leftover satang to the first provinces in code order), all computed here from the
submissions themselves."""

from __future__ import annotations

from collections import Counter, defaultdict
from decimal import Decimal

import duckdb
import pytest
from plans import corpus, file, row, sid_of, submission, write_plan

from stiplan.schemas.reference import PROVINCES
from stiplan.schemas.warehouse import NATIONWIDE_TH, NO_CLUSTER_TH, NO_STRATEGY_TH, SUMMARIES

CLUSTER = {p.code: p.cluster_th or NO_CLUSTER_TH for p in PROVINCES}
REGION = {p.code: p.region for p in PROVINCES}


def _submissions():
    """The three agencies of FY 2555 (DSS's second version current), and FY 2556: a
    budget of 100.01 split over Bangkok, Chiang Mai and Lamphun, and a project of no
    strategy."""
    files, parsed = corpus(version=2)
    rows = [
        row(5, "โครงการสามจังหวัด", ("TH-51", "TH-10", "TH-50"), "100.01"),
        row(6, "โครงการไม่มียุทธศาสตร์", ("TH-10",), "7.00", strategy=None),
        row(7, "โครงการทั่วประเทศ", (), "20.00", nationwide=True),
    ]
    parsed[sid_of("nstda56")] = submission("NSTDA", rows, year=2556)
    files.append(file(sid_of("nstda56"), "NSTDA_2556.xlsx", "NSTDA", 20, year=2556))
    current = [(p.identity.fiscal_year, p) for sid, p in parsed.items() if sid != sid_of("dss1")]
    return files, parsed, current


def _split(budget: Decimal, codes) -> dict[str, Decimal]:
    """The even split, leftover satang to the first provinces in code order."""
    satang, codes = int(budget * 100), sorted(codes)
    base, extra = divmod(satang, len(codes))
    return {c: Decimal(base + (i < extra)) / 100 for i, c in enumerate(codes)}


def _expected(current) -> dict[str, dict[tuple, tuple[int, Decimal]]]:
    """(fiscal year, key) -> (projects, baht) for each summary, from the rows."""
    out: dict[str, dict] = {name: defaultdict(lambda: [set(), Decimal(0)]) for name in SUMMARIES}
    for year, p in current:
        for r in p.rows:
            if r.outcome != "accepted":
                continue
            pid = (p.identity.agency_code, r.row_number)
            lines = {
                "summary_by_agency": {p.identity.agency_code: r.budget},
                "summary_by_strategy": {r.texts.get("strategy") or NO_STRATEGY_TH: r.budget},
            }
            if r.nationwide:
                for name, key in (
                    ("summary_by_province", NATIONWIDE_TH),
                    ("summary_by_cluster", NATIONWIDE_TH),
                    ("summary_by_region", "Nationwide"),
                ):
                    lines[name] = {key: r.budget}
            else:
                split = _split(r.budget, r.province_codes)
                for name, key_of in (
                    ("summary_by_province", {c: c for c in split}),
                    ("summary_by_cluster", CLUSTER),
                    ("summary_by_region", REGION),
                ):
                    lines[name] = Counter()
                    for code, share in split.items():
                        lines[name][key_of[code]] += share
            for name, by_key in lines.items():
                for key, baht in by_key.items():
                    line = out[name][(year, key)]
                    line[0].add(pid)
                    line[1] += baht
    return {
        name: {k: (len(ids), baht) for k, (ids, baht) in lines.items()}
        for name, lines in out.items()
    }


# the column naming each line, per summary
KEY = {
    "summary_by_agency": "agency_code",
    "summary_by_strategy": "strategy",
    "summary_by_province": "coalesce(province_code, province_name_th)",
    "summary_by_cluster": "cluster_th",
    "summary_by_region": "region",
}


@pytest.fixture(scope="module")
def plan(tmp_path_factory):
    files, parsed, current = _submissions()
    path = write_plan(tmp_path_factory.mktemp("summaries") / "plan.duckdb", files, parsed)
    con = duckdb.connect(str(path), read_only=True)
    yield con, current
    con.close()


@pytest.mark.parametrize("name", SUMMARIES)
def test_each_line_is_computed_from_the_submissions(plan, name):
    con, current = plan
    got = {
        (year, key): (projects, baht)
        for year, key, projects, baht in con.execute(
            f"SELECT fiscal_year, {KEY[name]}, projects, budget_baht FROM {name}"
        ).fetchall()
    }
    assert got == _expected(current)[name]


@pytest.mark.parametrize("name", SUMMARIES)
def test_each_summary_adds_up_to_the_plan_per_fiscal_year(plan, name):
    con, current = plan
    totals = Counter()
    for year, p in current:
        totals[year] += sum(r.budget for r in p.rows if r.outcome == "accepted")
    got = dict(
        con.execute(f"SELECT fiscal_year, sum(budget_baht) FROM {name} GROUP BY 1").fetchall()
    )
    assert got == totals and set(totals) == {2555, 2556}
    for year, pct, lines in con.execute(
        f"SELECT fiscal_year, sum(share_pct), count(*) FROM {name} GROUP BY 1"
    ).fetchall():
        assert abs(pct - 100) <= Decimal("0.00005") * lines, (year, pct)  # each rounded


def test_the_nationwide_bangkok_and_split_lines(plan):
    con, _ = plan

    def one(sql):
        return con.execute(sql).fetchall()

    assert one(
        "SELECT fiscal_year, province_name_en, projects, budget_baht FROM summary_by_province "
        "WHERE province_code IS NULL ORDER BY 1"
    ) == [(2555, "Nationwide", 3, Decimal("3001.50")), (2556, "Nationwide", 1, Decimal("20.00"))]
    # 100.01 over three provinces: 33.34 to Bangkok (TH-10), the first in code order
    assert one(
        "SELECT cluster_en, projects, budget_baht FROM summary_by_cluster "
        f"WHERE fiscal_year = 2556 AND cluster_th = '{NO_CLUSTER_TH}'"
    ) == [("No cluster", 2, Decimal("40.34"))]
    assert one(
        "SELECT province_code, budget_baht FROM summary_by_province "
        "WHERE fiscal_year = 2556 AND province_code IS NOT NULL ORDER BY 1"
    ) == [("TH-10", Decimal("40.34")), ("TH-50", Decimal("33.34")), ("TH-51", Decimal("33.33"))]
    assert one(
        f"SELECT projects, budget_baht FROM summary_by_strategy WHERE strategy = '{NO_STRATEGY_TH}'"
    ) == [(1, Decimal("7.00"))]
