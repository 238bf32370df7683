"""The warehouse contract (DESIGN.md): table names, columns and types of plan.duckdb.

No key constraints on purpose: a broken invariant must surface as a failed
audit check with its evidence, not as an insert error in the middle of a merge.
"""

from __future__ import annotations

TABLES: dict[str, list[tuple[str, str]]] = {
    "agencies": [("code", "VARCHAR"), ("abbr_th", "VARCHAR"), ("name_th", "VARCHAR"),
                 ("name_en", "VARCHAR")],
    "provinces": [("code", "VARCHAR"), ("name_th", "VARCHAR"), ("name_en", "VARCHAR"),
                  ("region", "VARCHAR"), ("region_th", "VARCHAR"), ("region_4", "VARCHAR"),
                  ("cluster_th", "VARCHAR"), ("cluster_en", "VARCHAR")],
    "submissions": [("submission_id", "VARCHAR"), ("file_name", "VARCHAR"),
                    ("received_at", "TIMESTAMPTZ"), ("agency_code", "VARCHAR"),
                    ("fiscal_year", "INTEGER"), ("status", "VARCHAR"), ("reason", "VARCHAR"),
                    ("reason_code", "VARCHAR"), ("rows_read", "INTEGER"),
                    ("rows_accepted", "INTEGER"), ("rows_rejected", "INTEGER"),
                    ("rows_duplicate", "INTEGER"), ("supersedes", "VARCHAR")],
    "arrivals": [("submission_id", "VARCHAR"), ("file_name", "VARCHAR"),
                 ("seen_at", "TIMESTAMPTZ")],
    "source_rows": [("submission_id", "VARCHAR"), ("sheet", "VARCHAR"),
                    ("row_number", "INTEGER"), ("outcome", "VARCHAR"), ("reason", "VARCHAR"),
                    ("reason_code", "VARCHAR"), ("project_id", "VARCHAR")],
    "row_problems": [("submission_id", "VARCHAR"), ("sheet", "VARCHAR"),
                     ("row_number", "INTEGER"), ("column", "VARCHAR"), ("value", "VARCHAR"),
                     ("code", "VARCHAR"), ("severity", "VARCHAR"), ("message_th", "VARCHAR"),
                     ("message_en", "VARCHAR")],
    "projects": [("project_id", "VARCHAR"), ("fiscal_year", "INTEGER"),
                 ("agency_code", "VARCHAR"), ("project_name", "VARCHAR"),
                 ("budget_baht", "DECIMAL(18,2)"), ("nationwide", "BOOLEAN"),
                 ("strategy", "VARCHAR"), ("target_group", "VARCHAR"), ("start_date", "DATE"),
                 ("end_date", "DATE"), ("contact_name", "VARCHAR"), ("contact_phone", "VARCHAR"),
                 ("remarks", "VARCHAR"), ("submission_id", "VARCHAR"), ("sheet", "VARCHAR"),
                 ("row_number", "INTEGER")],
    "project_provinces": [("project_id", "VARCHAR"), ("province_code", "VARCHAR"),
                          ("budget_share_baht", "DECIMAL(18,2)")],
    "duplicate_candidates": [("project_id_a", "VARCHAR"), ("project_id_b", "VARCHAR"),
                             ("similarity", "DOUBLE"), ("reason", "VARCHAR"),
                             ("fiscal_year", "INTEGER"), ("agency_code_a", "VARCHAR"),
                             ("agency_code_b", "VARCHAR"), ("project_name_a", "VARCHAR"),
                             ("project_name_b", "VARCHAR")],
    # What each resubmission changed against the version it superseded.
    "submission_changes": [("submission_id", "VARCHAR"), ("previous_submission_id", "VARCHAR"),
                           ("project_id", "VARCHAR"), ("change", "VARCHAR"),
                           ("project_name", "VARCHAR"), ("budget_before", "DECIMAL(18,2)"),
                           ("budget_after", "DECIMAL(18,2)"), ("provinces_before", "VARCHAR"),
                           ("provinces_after", "VARCHAR")],
}

SUMMARIES = ("summary_by_agency", "summary_by_province", "summary_by_cluster",
             "summary_by_region", "summary_by_strategy")

NATIONWIDE_TH = "ทั่วประเทศ"
NO_CLUSTER_TH = "ไม่อยู่ในกลุ่มจังหวัด"
NO_STRATEGY_TH = "ไม่ระบุยุทธศาสตร์"
