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


# Each rule: a state column, and per state that fails it the reason code, in the order
# the checks run. A state no rule names (ok) passes.
ROW_RULES: dict[str, tuple[tuple[str, str], ...]] = {
    "name_state": (
        ("missing", "name_missing"),
        ("error", "cell_error"),
        ("formula", "formula_not_calculated"),
    ),
    "province_state": (
        ("error", "cell_error"),
        ("formula", "formula_not_calculated"),
        ("missing", "province_missing"),
        ("unknown", "province_unknown"),
        ("region", "province_is_region"),
    ),
    "budget_state": (
        ("error", "cell_error"),
        ("formula", "formula_not_calculated"),
        ("merged", "budget_merged"),
        ("missing", "budget_missing"),
        ("not_number", "budget_not_number"),
        ("negative", "budget_negative"),
    ),
    "start_state": (
        ("error", "cell_error"),
        ("formula", "formula_not_calculated"),
        ("invalid", "date_invalid"),
    ),
    "end_state": (
        ("error", "cell_error"),
        ("formula", "formula_not_calculated"),
        ("invalid", "date_invalid"),
        ("before_start", "end_before_start"),
    ),
}
# Warnings: the row is still taken, but the agency is told.
WARNING_RULES: dict[str, tuple[tuple[str, str], ...]] = {
    "budget_state": (("zero", "budget_zero"),),
    "strategy_state": (("not_ministry", "strategy_not_ministry"),),
}


def _schema(rules: dict[str, tuple[tuple[str, str], ...]], name: str) -> pa.DataFrameSchema:
    return pa.DataFrameSchema(
        {
            column: pa.Column(
                checks=[pa.Check(_state_is_not(state), name=code) for state, code in checks]
            )
            for column, checks in rules.items()
        },
        name=name,
        strict=False,
    )


ROW_SCHEMA = _schema(ROW_RULES, "submission_rows")
WARNING_SCHEMA = _schema(WARNING_RULES, "submission_row_warnings")
_RULES = {id(ROW_SCHEMA): ROW_RULES, id(WARNING_SCHEMA): WARNING_RULES}

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
    ("strategy_state", "strategy_not_ministry"): "strategy",
    ("start_state", "date_invalid"): "start_date",
    ("end_state", "date_invalid"): "end_date",
    ("end_state", "end_before_start"): "end_date",
}


def _failure_cases(schema: pa.DataFrameSchema, frame) -> list[tuple[int, str, str]]:
    """(row index, column, check) for every failed check, all at once."""
    try:
        schema.validate(frame, lazy=True)
        return []
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
    return [
        (int(index), column, check)
        for column, check, index in zip(
            cases["column"], cases["check"], cases["index"], strict=True
        )
        if index is not None and check is not None
    ]


def failures(schema: pa.DataFrameSchema, frame) -> list[tuple[int, str, str]]:
    """(row index, field, reason code) for every failed check, all at once."""
    return [
        (index, CHECK_FIELD[(column, check)], check)
        for index, column, check in _failure_cases(schema, frame)
    ]


# Per schema, what Pandera found of each (column, state): the checks it fails, each as
# (its place in the schema, field, reason code). Every check reads one cell of one
# column, so a state fails the same checks on every row of every sheet: Pandera
# validates each state once per process (the readers' fork server already did the
# states the rules name), not two frames per sheet.
_LEARNED: dict[int, tuple[pa.DataFrameSchema, dict[tuple[str, str], tuple]]] = {}


def _learned(
    schema: pa.DataFrameSchema, states: dict[str, list[str]]
) -> dict[tuple[str, str], tuple]:
    """The failures of each (column, state) of `states` (and, the first time, of every
    state the schema's rules name), validating with Pandera only those not seen before."""
    if id(schema) not in _LEARNED:
        _LEARNED[id(schema)] = (schema, {})
        rules = _RULES.get(id(schema), {})
        _learned(schema, {c: ["ok", *(state for state, _ in rules[c])] for c in rules})
    learned = _LEARNED[id(schema)][1]
    columns = [c for c in schema.columns if c in states]
    new = {c: [s for s in dict.fromkeys(states[c]) if (c, s) not in learned] for c in columns}
    height = max(map(len, new.values()), default=0)
    if not height:
        return learned

    def padded(c: str) -> list[str]:  # fewer new states: the last again, learned twice
        cells = new[c] or states[c][:1]
        return cells + cells[-1:] * (height - len(cells))

    frame = pd.DataFrame({c: padded(c) for c in columns}, index=range(height))
    place = {
        (c, check.name): (k, j)
        for k, c in enumerate(schema.columns)
        for j, check in enumerate(schema.columns[c].checks)
    }
    found: dict[tuple[str, str], list] = {}
    for index, column, check in _failure_cases(schema, frame):
        found.setdefault((column, frame[column].iat[index]), []).append(
            (place[(column, check)], CHECK_FIELD[(column, check)], check)
        )
    for c in columns:
        for state in frame[c]:
            learned[(c, state)] = tuple(sorted(set(found.get((c, state), ()))))
    return learned


def row_failures(
    schema: pa.DataFrameSchema, states: dict[str, list[str]]
) -> list[tuple[int, str, str]]:
    """`failures` of the frame of these state columns (one list per column, one state
    per row), in the same order: by column and check as the schema lists them, then by
    row. The rows of a sheet share a handful of combinations of states, each of a
    handful of states per column that Pandera has validated before (`_learned`)."""
    learned = _learned(schema, states)
    columns = [c for c in schema.columns if c in states]
    combos = list(zip(*(states[c] for c in columns), strict=True))
    distinct = list(dict.fromkeys(combos))
    failing: dict[tuple, list[int]] = {}  # (place, field, check) -> combinations
    for j, combo in enumerate(distinct):
        for c, state in zip(columns, combo, strict=True):
            for key in learned[(c, state)]:
                failing.setdefault(key, []).append(j)
    if not failing:
        return []
    number = {combo: j for j, combo in enumerate(distinct)}
    rows_of: list[list[int]] = [[] for _ in distinct]
    for i, combo in enumerate(combos):
        rows_of[number[combo]].append(i)
    out = []
    for key in sorted(failing):
        js = failing[key]
        _, field_name, code = key
        rows = rows_of[js[0]] if len(js) == 1 else sorted(i for j in js for i in rows_of[j])
        out += [(i, field_name, code) for i in rows]
    return out
