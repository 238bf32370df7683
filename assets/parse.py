"""Find the project header in each sheet, map its columns, and lift the rows below it.

Pure functions over `workbook.Sheet` grids; no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from stiplan.assets.text import clean_text
from stiplan.assets.values import is_blank, unit_multiplier
from stiplan.assets.workbook import Sheet, column_letter
from stiplan.schemas.columns import REQUIRED, field_for_header

HEADER_SEARCH_ROWS = 30  # title rows are 0-5 in practice; leave room for notes


@dataclass
class SheetTable:
    """Where a sheet's project table is and how its columns map to fields."""

    sheet: Sheet
    header_index: int  # 0-based row of the header
    fields: dict[str, int]  # field -> position in sheet.cells
    headers: dict[str, str]  # field -> header text as written
    multiplier: int | None  # 1 baht, 1_000_000 million baht, None when no unit is given
    titles: list[str] = field(default_factory=list)  # non-blank cells above the header

    def letter(self, field_name: str) -> str:
        pos = self.fields.get(field_name)
        return column_letter(self.sheet.columns[pos]) if pos is not None else ""


@dataclass
class RawRow:
    sheet: str
    row_number: int  # as Excel shows it
    values: dict[str, str | None]  # field -> cell text
    filled: int  # count of non-blank cells in the whole row, extra columns included


def map_header(cells: list[str | None]) -> tuple[dict[str, int], dict[str, str]]:
    fields: dict[str, int] = {}
    headers: dict[str, str] = {}
    for pos, text in enumerate(cells):
        if is_blank(text):
            continue
        name = field_for_header(str(text))
        if name and name not in fields:  # first column wins when a header repeats
            fields[name] = pos
            headers[name] = clean_text(text)
    return fields, headers


def find_table(sheet: Sheet) -> tuple[SheetTable | None, list[str]]:
    """The sheet's project table, or None; the second value lists required fields
    missing from the best partial header found (for a precise message)."""
    best_missing: list[str] = []
    best_score = 0
    for i in range(min(sheet.height, HEADER_SEARCH_ROWS)):
        fields, headers = map_header(sheet.row(i))
        present = [f for f in REQUIRED if f in fields]
        if len(present) == len(REQUIRED):
            titles = [clean_text(v) for r in range(i) for v in sheet.row(r) if not is_blank(v)]
            return SheetTable(sheet, i, fields, headers, _unit(headers, titles), titles), []
        # A partial header: project name plus one more required field, or two of them.
        if len(present) >= 2 and len(present) > best_score:
            best_score = len(present)
            best_missing = [f for f in REQUIRED if f not in fields]
    return None, best_missing


def _unit(headers: dict[str, str], titles: list[str]) -> int | None:
    unit = unit_multiplier(headers.get("budget", ""))
    if unit is None:
        # A unit line above the table ("หน่วย : ล้านบาท", often bracketed) states it for
        # the whole sheet; "หน่วยงาน: …" names the agency, not a unit.
        for text in titles:
            key = text.replace(" ", "").lstrip("([").casefold()
            if key.startswith(("หน่วย", "unit")) and not key.startswith("หน่วยงาน"):
                unit = unit_multiplier(text)
                if unit is not None:
                    break
    return unit


def rows_below(table: SheetTable) -> list[RawRow]:
    """Every non-empty row below the header, with the mapped fields' texts."""
    sheet = table.sheet
    out: list[RawRow] = []
    cols = sheet.cells
    for i in range(table.header_index + 1, sheet.height):
        filled = 0
        for col in cols:
            v = col[i]
            if v is not None and not is_blank(v):
                filled += 1
        if not filled:
            continue
        values = {name: cols[pos][i] for name, pos in table.fields.items()}
        out.append(RawRow(sheet.name, i + 1, values, filled))
    return out


def is_repeated_header(row: RawRow, table: SheetTable) -> bool:
    """A header repeated below the table (a print-page habit) is a heading, not a project."""
    return all(clean_text(row.values.get(f)) == table.headers[f] for f in REQUIRED)
