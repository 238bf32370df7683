"""Pandera schemas for the rows of a submission, after each cell has been parsed.

Every rule is a named check whose name is a reason code of `schemas/problems.py`,
so a failure case turns straight into a row problem. Validation is lazy: all
failures of all rows are collected at once.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

_ANY = pa.Column(nullable=True)


def _state_is_not(value: str):
    return lambda s: s != value


ROW_SCHEMA = pa.DataFrameSchema(
    {
        "name_state": pa.Column(
            checks=[
                pa.Check(_state_is_not("missing"), name="name_missing"),
                pa.Check(_state_is_not("error"), name="cell_error"),
                pa.Check(_state_is_not("formula"), name="formula_not_calculated"),
            ]
        ),
        "province_state": pa.Column(
            checks=[
                pa.Check(_state_is_not("error"), name="cell_error"),
                pa.Check(_state_is_not("formula"), name="formula_not_calculated"),
                pa.Check(_state_is_not("missing"), name="province_missing"),
                pa.Check(_state_is_not("unknown"), name="province_unknown"),
                pa.Check(_state_is_not("region"), name="province_is_region"),
            ]
        ),
        "budget_state": pa.Column(
            checks=[
                pa.Check(_state_is_not("error"), name="cell_error"),
                pa.Check(_state_is_not("formula"), name="formula_not_calculated"),
                pa.Check(_state_is_not("merged"), name="budget_merged"),
                pa.Check(_state_is_not("missing"), name="budget_missing"),
                pa.Check(_state_is_not("not_number"), name="budget_not_number"),
                pa.Check(_state_is_not("negative"), name="budget_negative"),
            ]
        ),
        "start_state": pa.Column(
            checks=[
                pa.Check(_state_is_not("error"), name="cell_error"),
                pa.Check(_state_is_not("formula"), name="formula_not_calculated"),
                pa.Check(_state_is_not("invalid"), name="date_invalid"),
            ]
        ),
        "end_state": pa.Column(
            checks=[
                pa.Check(_state_is_not("error"), name="cell_error"),
                pa.Check(_state_is_not("formula"), name="formula_not_calculated"),
                pa.Check(_state_is_not("invalid"), name="date_invalid"),
                pa.Check(_state_is_not("before_start"), name="end_before_start"),
            ]
        ),
    },
    name="submission_rows",
    strict=False,
)

# Warnings: the row is still taken, but the agency is told.
WARNING_SCHEMA = pa.DataFrameSchema(
    {"budget_state": pa.Column(checks=pa.Check(_state_is_not("zero"), name="budget_zero"))},
    name="submission_row_warnings",
    strict=False,
)

# Which field (and so which Excel column) each check speaks about.
CHECK_FIELD = {
    ("name_state", "name_missing"): "project_name",
    ("name_state", "cell_error"): "project_name",
    ("name_state", "formula_not_calculated"): "project_name",
    ("province_state", "formula_not_calculated"): "provinces",
    ("budget_state", "formula_not_calculated"): "budget",
    ("start_state", "formula_not_calculated"): "start_date",
    ("end_state", "formula_not_calculated"): "end_date",
    ("province_state", "cell_error"): "provinces",
    ("budget_state", "cell_error"): "budget",
    ("budget_state", "budget_merged"): "budget",
    ("start_state", "cell_error"): "start_date",
    ("end_state", "cell_error"): "end_date",
    ("province_state", "province_missing"): "provinces",
    ("province_state", "province_unknown"): "provinces",
    ("province_state", "province_is_region"): "provinces",
    ("budget_state", "budget_missing"): "budget",
    ("budget_state", "budget_not_number"): "budget",
    ("budget_state", "budget_negative"): "budget",
    ("budget_state", "budget_zero"): "budget",
    ("start_state", "date_invalid"): "start_date",
    ("end_state", "date_invalid"): "end_date",
    ("end_state", "end_before_start"): "end_date",
}


def failures(schema: pa.DataFrameSchema, frame) -> list[tuple[int, str, str]]:
    """(row index, field, reason code) for every failed check, all at once."""
    try:
        schema.validate(frame, lazy=True)
        return []
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
    out = []
    for column, check, index in zip(cases["column"], cases["check"], cases["index"], strict=True):
        if index is None or check is None:
            continue
        out.append((int(index), CHECK_FIELD[(column, check)], check))
    return out


def row_failures(
    schema: pa.DataFrameSchema, states: dict[str, list[str]]
) -> list[tuple[int, str, str]]:
    """`failures` of the frame of these state columns (one list per column, one state
    per row), in the same order: by column and check as the schema lists them, then by
    row. The rows of a sheet share a handful of combinations of states, so Pandera
    validates each combination once and the cost is per sheet, not per row."""
    columns = list(states)
    combos = list(zip(*states.values(), strict=True))
    distinct = list(dict.fromkeys(combos))
    frame = pd.DataFrame.from_records(
        [dict(zip(columns, c, strict=True)) for c in distinct],
        columns=columns,
        index=range(len(distinct)),
    )
    found = failures(schema, frame)
    if not found:
        return []
    number = {combo: j for j, combo in enumerate(distinct)}
    rows_of: list[list[int]] = [[] for _ in distinct]
    for i, combo in enumerate(combos):
        rows_of[number[combo]].append(i)
    failing: dict[tuple[str, str], list[int]] = {}  # (field, check) -> combinations
    for j, field_name, code in found:
        failing.setdefault((field_name, code), []).append(j)
    out = []
    for (field_name, code), js in failing.items():
        rows = rows_of[js[0]] if len(js) == 1 else sorted(i for j in js for i in rows_of[j])
        out += [(i, field_name, code) for i in rows]
    return out
