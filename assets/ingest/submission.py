"""One file in, one submission out: what a child process runs for each workbook.

`route_file` reads only the top of each sheet (the sensor's light check);
`read_submission` reads the whole file and gives every row its outcome. A run that
will read the whole file anyway routes it from the top of the sheets it read
(`route_sheets`), so no workbook is opened twice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from stiplan.schemas.problems import Problem

if TYPE_CHECKING:  # the readers are imported where they run: routing needs none of them
    from stiplan.assets.ingest.route import Identity
    from stiplan.assets.ingest.validate import Row
    from stiplan.assets.ingest.workbook import Sheet

PARSER_VERSION = "10"  # bump when parsing changes, so cached results are rebuilt


@dataclass
class ParsedSubmission:
    identity: Identity
    rows: list[Row] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    sheets_read: list[str] = field(default_factory=list)

    @property
    def rejected(self) -> bool:
        return self.identity.reason_code is not None


# A sheet that shows how to fill the form in ("ตัวอย่างการกรอก", "Example") holds no
# projects of the plan, though it has a header and rows.
_EXAMPLE_SHEET = re.compile(r"ตัวอย่าง|example|sample", re.IGNORECASE)


def _is_example(sheet) -> bool:
    return bool(_EXAMPLE_SHEET.search(sheet.name))


def route_file(path: Path, file_name: str) -> Identity:
    from stiplan.assets.ingest.route import ROUTING_ROWS, Identity
    from stiplan.assets.ingest.workbook import UnreadableFile, read_workbook

    try:
        sheets = read_workbook(path, max_rows=ROUTING_ROWS)
    except UnreadableFile as exc:
        return Identity(problem=exc.problem)
    return route_sheets(file_name, sheets)


def route_sheets(file_name: str, sheets: list[Sheet]) -> Identity:
    """The route of a workbook from the top of its sheets: what `route_file` finds,
    whether the sheets were read whole or only their top rows."""
    from stiplan.assets.ingest.route import ROUTING_ROWS, identify

    top = [
        replace(
            s,
            cells=[col[:ROUTING_ROWS] for col in s.cells],
            row_numbers=None if s.row_numbers is None else s.row_numbers[:ROUTING_ROWS],
        )
        for s in sheets
        if not _is_example(s)
    ]
    return identify(file_name, top)


def read_submission(path: Path, file_name: str) -> ParsedSubmission:
    from stiplan.assets.ingest.route import Identity
    from stiplan.assets.ingest.workbook import UnreadableFile, read_workbook

    try:
        sheets = read_workbook(path)
    except UnreadableFile as exc:
        return ParsedSubmission(Identity(problem=exc.problem))
    return parse_sheets(file_name, sheets)


def parse_sheets(file_name: str, sheets: list[Sheet]) -> ParsedSubmission:
    """Every row of a workbook read whole (`read_workbook`) with its outcome."""
    from stiplan.assets.ingest.parse import find_table
    from stiplan.assets.ingest.route import identify

    examples = [s for s in sheets if _is_example(s)]
    sheets = [s for s in sheets if not _is_example(s)]
    ident = identify(file_name, sheets)
    result = ParsedSubmission(ident)
    if ident.reason_code:
        return result
    result.problems += ident.warnings
    for sheet in examples:
        if find_table(sheet)[0] is not None:
            result.problems.append(
                Problem.of("sheet_example_skipped", sheet=sheet.name, value=sheet.name)
            )
    for sheet in sheets:
        table, missing = find_table(sheet)
        if table is None:
            if missing:
                result.problems.append(
                    Problem.of(
                        "sheet_incomplete_header", sheet=sheet.name, value=", ".join(missing)
                    )
                )
            continue
        result.sheets_read.append(sheet.name)
        multiplier = table.multiplier
        if multiplier is None:
            multiplier = 1
            result.problems.append(
                Problem(
                    sheet.name,
                    table.header_row_number,
                    table.letter("budget"),
                    table.headers["budget"],
                    "budget_unit_assumed",
                )
            )
        rows, problems = _classify(table, multiplier)
        result.rows += rows
        result.problems += problems
    from stiplan.assets.ingest.validate import mark_duplicates

    mark_duplicates(result.rows)
    return result


def _classify(table, multiplier: int):
    from stiplan.assets.ingest.parse import rows_below
    from stiplan.assets.ingest.validate import classify_rows

    return classify_rows(table, rows_below(table), multiplier)
