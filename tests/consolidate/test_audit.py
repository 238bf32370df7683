"""The audit on its own: every blocking check passes on a database the real merge wrote,
and fails, with its evidence, when the database is broken the way a faulty merge would
break it (a row counted twice, a share off by a satang, a summary missing its nationwide
line, a code outside the reference tables, an id given twice)."""

from __future__ import annotations

import shutil
from decimal import Decimal

import duckdb
import pytest
from plans import corpus, sid_of, write_plan

from stiplan.assets.consolidate.audit import BLOCKING_CHECKS
from stiplan.schemas.warehouse import SUMMARIES

# one project of each kind in the corpus: local in one province, joint, nationwide
ONE_LOCAL = "(SELECT project_id FROM projects WHERE NOT nationwide ORDER BY ALL LIMIT 1)"
JOINT = (
    "(SELECT project_id FROM project_provinces GROUP BY project_id HAVING count(*) = 2 "
    "ORDER BY project_id LIMIT 1)"
)
NATIONWIDE = "(SELECT project_id FROM projects WHERE nationwide ORDER BY ALL LIMIT 1)"

# check -> the damage a faulty merge could do -> the evidence that must show it
DAMAGE: dict[str, list[tuple[str, str, str]]] = {
    "conservation": [
        (
            "a row recorded twice",
            "INSERT INTO source_rows SELECT * FROM source_rows ORDER BY ALL LIMIT 1",
            "rows_with_several_outcomes",
        ),
        (
            "an outcome outside the five",
            "UPDATE source_rows SET outcome = 'accept' WHERE outcome = 'rejected'",
            "rows_with_unknown_outcome",
        ),
        (
            "a row read but not recorded",
            "DELETE FROM source_rows WHERE outcome = 'rejected' "
            f"AND submission_id = '{sid_of('dss1')}'",
            "submissions_with_rows_lost",
        ),
        (
            "rows kept for a file rejected whole",
            f"UPDATE submissions SET status = 'rejected' WHERE submission_id = '{sid_of('dss1')}'",
            "rejected_files_with_rows",
        ),
        (
            "an accepted row that became no project",
            f"DELETE FROM projects WHERE project_id = {ONE_LOCAL}",
            "accepted_rows_not_in_projects",
        ),
        (
            "a project from a row not accepted",
            "UPDATE source_rows SET outcome = 'rejected' "
            f"WHERE submission_id = '{sid_of('nstda1')}' AND row_number = 5",
            "projects_not_from_accepted_rows",
        ),
    ],
    "reconciliation": [
        (
            "a province share off by one satang",
            "UPDATE project_provinces SET budget_share_baht = budget_share_baht + 0.01 "
            f"WHERE project_id = {ONE_LOCAL}",
            "projects_whose_shares_do_not_add_up",
        ),
        (
            "a joint project's second share lost",
            f"DELETE FROM project_provinces WHERE project_id = {JOINT} AND province_code = 'TH-51'",
            "projects_whose_shares_do_not_add_up",
        ),
        (
            "a nationwide project also given a province",
            f"INSERT INTO project_provinces SELECT {NATIONWIDE}, 'TH-50', 0",
            "projects_whose_shares_do_not_add_up",
        ),
        (
            "a nationwide project's budget in a year's total but in no part of it",
            f"UPDATE projects SET nationwide = false WHERE project_id = {NATIONWIDE}",
            "years_where_shares_plus_nationwide_differ",
        ),
        *[
            (
                f"{name} one satang off",
                f"UPDATE {name} SET budget_baht = budget_baht + 0.01 "
                f"WHERE rowid = (SELECT min(rowid) FROM {name})",
                f"{name}_years_off",
            )
            for name in SUMMARIES
        ],
        (
            "the province summary without its nationwide line",
            "DELETE FROM summary_by_province WHERE province_code IS NULL",
            "summary_by_province_years_off",
        ),
        (
            "the cluster summary without Bangkok's no-cluster line",
            "DELETE FROM summary_by_cluster WHERE cluster_en = 'No cluster'",
            "summary_by_cluster_years_off",
        ),
    ],
    "reference_codes": [
        (
            "a project of an agency not in the reference",
            f"UPDATE projects SET agency_code = 'XYZ' WHERE project_id = {ONE_LOCAL}",
            "unknown_agency_codes",
        ),
        (
            "a submission of an agency not in the reference",
            f"UPDATE submissions SET agency_code = 'XYZ' WHERE submission_id = '{sid_of('dss1')}'",
            "unknown_agency_codes",
        ),
        (
            "a share in a province not in the reference",
            f"UPDATE project_provinces SET province_code = 'TH-99' WHERE project_id = {ONE_LOCAL}",
            "unknown_province_codes",
        ),
        (
            "an agency missing from the reference table",
            "DELETE FROM agencies WHERE code = 'OMIN'",
            "reference_agencies",
        ),
        (
            "a province missing from the reference table",
            "DELETE FROM provinces WHERE code = 'TH-96'",
            "reference_provinces",
        ),
    ],
    "unique_project_id": [
        (
            "two projects given one id",
            f"UPDATE projects SET project_id = {NATIONWIDE} WHERE project_id = {ONE_LOCAL}",
            "duplicated_ids",
        ),
        (
            "a project without an id",
            f"UPDATE projects SET project_id = NULL WHERE project_id = {ONE_LOCAL}",
            "missing_ids",
        ),
    ],
}
# evidence that is not a count of faults, on the intact database
INTACT = {"reference_agencies": 16, "reference_provinces": 77, "rows_read": 36, "projects": 24}


@pytest.fixture(scope="module")
def intact(tmp_path_factory):
    """One working database for the module; each test breaks its own copy."""
    files, parsed = corpus(version=2)
    return write_plan(tmp_path_factory.mktemp("audit") / "plan.duckdb", files, parsed)


@pytest.fixture
def plan(intact, tmp_path):
    return shutil.copy(intact, tmp_path / "plan.duckdb")


def _checks(path, damage: str | None = None) -> dict:
    con = duckdb.connect(str(path))
    try:
        if damage:
            con.execute(damage)
        return {name: check(con) for name, check in BLOCKING_CHECKS.items()}
    finally:
        con.close()


def test_every_blocking_check_is_shown_failing():
    assert DAMAGE.keys() == BLOCKING_CHECKS.keys()


def test_every_check_passes_on_the_database_the_merge_wrote(plan):
    files, parsed = corpus(version=2)
    current = [p for sid, p in parsed.items() if sid != sid_of("dss1")]
    total = sum(r.budget for p in current for r in p.rows if r.outcome == "accepted")
    results = _checks(plan)
    for name, result in results.items():
        assert result.passed, (name, result.evidence)
        assert result.description
        for key, value in result.evidence.items():
            if key != "plan_total_baht":
                assert value == INTACT.get(key, 0), (name, key)
    assert INTACT["rows_read"] == sum(len(p.rows) for p in parsed.values())
    assert INTACT["projects"] == sum(r.outcome == "accepted" for p in current for r in p.rows)
    assert Decimal(results["reconciliation"].evidence["plan_total_baht"]) == total


@pytest.mark.parametrize(
    ("check", "damage", "evidence"),
    [
        pytest.param(check, sql, evidence, id=f"{check}: {what}")
        for check, cases in DAMAGE.items()
        for what, sql, evidence in cases
    ],
)
def test_a_broken_invariant_fails_its_check_with_evidence(plan, check, damage, evidence):
    result = _checks(plan, damage)[check]
    assert not result.passed
    assert result.evidence[evidence] != INTACT.get(evidence, 0), result.evidence
