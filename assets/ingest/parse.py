"""Find the project header in each sheet, map its columns, and lift the rows below it.

Pure functions over `workbook.Sheet` grids; no I/O. A header may span two or three
rows (a group heading merged across columns above sub-headings that carry the field
or the unit); cells merged down over data rows give every row of the range the top
cell's value, as Excel shows it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from stiplan.assets.ingest.headers import REQUIRED, field_for_header, is_unit_or_year
from stiplan.assets.ingest.text import clean_text, thai_to_arabic_digits
from stiplan.assets.ingest.values import (
    fiscal_year_from_text,
    is_blank,
    parse_amount,
    unit_multiplier,
)
from stiplan.assets.ingest.workbook import Sheet, column_letter

HEADER_SEARCH_ROWS = 30  # title rows are 0-5 in practice; leave room for notes
MAX_HEADER_ROWS = 3


@dataclass
class SheetTable:
    """Where a sheet's project table is and how its columns map to fields."""

    sheet: Sheet
    header_index: int  # 0-based grid row of the (first) header row
    fields: dict[str, int]  # field -> position in sheet.cells
    headers: dict[str, str]  # field -> header text as written (rows joined)
    multiplier: int | None  # 1 baht, 1_000_000 million baht, None when no unit is given
    titles: list[str] = field(default_factory=list)  # non-blank cells above the header
    header_rows: int = 1  # how many rows the header spans

    @property
    def first_data(self) -> int:
        return self.header_index + self.header_rows

    @property
    def header_row_number(self) -> int:
        return self.sheet.excel_row(self.header_index + self.header_rows - 1)

    def letter(self, field_name: str) -> str:
        pos = self.fields.get(field_name)
        return column_letter(self.sheet.columns[pos]) if pos is not None else ""


@dataclass
class RawRow:
    sheet: str
    row_number: int  # as Excel shows it
    values: dict[str, str | None]  # field -> cell text (merged-down values filled in)
    filled: int  # count of the row's own non-blank cells, extra columns included
    first_text: str | None = None  # the row's first non-blank cell of its own
    merged: frozenset[str] = frozenset()  # fields whose value was merged down from above


def _merge_index(sheet: Sheet) -> tuple[dict[tuple[int, int], tuple[int, int]], list]:
    """Grid (row, position) of every covered cell -> the grid cell holding the value,
    and the merges in grid terms (first row, last row, first pos, last pos)."""
    if not sheet.merged:
        return {}, []
    pos_of = {c: j for j, c in enumerate(sheet.columns)}
    covered: dict[tuple[int, int], tuple[int, int]] = {}
    grid = []
    for r0, c0, r1, c1 in sheet.merged:
        top = sheet.grid_row(r0 + 1)
        j0 = pos_of.get(c0)
        if top is None or j0 is None:
            continue
        rows = [
            i
            for i in (sheet.grid_row(r + 1) for r in range(r0, min(r1, r0 + 100_000) + 1))
            if i is not None
        ]
        cols = [pos_of[c] for c in range(c0, min(c1, c0 + 1000) + 1) if c in pos_of]
        grid.append((top, rows[-1] if rows else top, j0, cols[-1] if cols else j0))
        for i in rows:
            for j in cols:
                if (i, j) != (top, j0):
                    covered[(i, j)] = (top, j0)
    return covered, grid


def _header_text(sheet: Sheet, covered: dict, i: int, j: int, across: bool) -> str:
    """A header cell's text; `across` fills a heading merged across columns."""
    v = sheet.cells[j][i]
    if is_blank(v) and across and (i, j) in covered:
        ti, tj = covered[(i, j)]
        if ti == i:  # merged across this row only; a merge down is the row above's text
            v = sheet.cells[tj][ti]
    return "" if is_blank(v) else clean_text(v)


_TOTAL_WORDS = re.compile(r"รวม|ทั้งสิ้น|total", re.IGNORECASE)
_YEARS = re.compile(r"(?:25|26)[0-9]{2}|(?:19|20)[0-9]{2}")


def _map_stacked(
    stack: list[list[str]], year: int | None = None
) -> tuple[dict[str, int], dict[str, str]]:
    """Map a header of several rows: per column, the lowest sub-heading that names a
    field, else the headings joined top to bottom (`งบประมาณ` + `ปี 2557 (บาท)`). Of
    several budget columns (by year, by kind of spending) the total column is taken,
    else the plan's fiscal year, else the first."""
    fields: dict[str, int] = {}
    headers: dict[str, str] = {}
    budgets: list[tuple[int, str]] = []
    for pos in range(len(stack[0])):
        texts = [row[pos] for row in stack if row[pos]]
        texts = [t for k, t in enumerate(texts) if t not in texts[:k]]
        if not texts:
            continue
        joined = " ".join(texts)
        name = None
        for candidate in (*reversed(texts), joined):
            if candidate is not joined and len(texts) > 1 and is_unit_or_year(candidate):
                continue  # "ปีงบประมาณ 2558" under "งบประมาณ" qualifies it, names no field
            name = field_for_header(candidate)
            if name is not None:
                break
        if name == "budget":
            # the unit may be in the group heading or the sub-heading
            budgets.append((pos, joined if unit_multiplier(joined) is not None else candidate))
            continue
        shown = (
            joined
            if name is not None and field_for_header(joined) == name
            else (candidate if name else joined)
        )
        if name and name not in fields:
            fields[name] = pos
            headers[name] = shown
    if budgets:
        pos, shown = _pick_budget(budgets, year)
        fields["budget"], headers["budget"] = pos, shown
    return fields, headers


def _pick_budget(budgets: list[tuple[int, str]], year: int | None) -> tuple[int, str]:
    if len(budgets) == 1:
        return budgets[0]
    totals = [b for b in budgets if _TOTAL_WORDS.search(thai_to_arabic_digits(b[1]))]
    if len(totals) == 1:
        return totals[0]
    if year is not None:
        wanted = {str(year), str(year - 543)}
        of_year = [b for b in budgets if wanted & set(_YEARS.findall(thai_to_arabic_digits(b[1])))]
        if len(of_year) == 1:
            return of_year[0]
    return budgets[0]


def _numbers_row(sheet: Sheet, i: int) -> bool:
    return column_numbers([clean_text(v) for v in sheet.row(i) if not is_blank(v)])


def _continues(sheet: Sheet, covered: dict, top: int, nxt: int, fields: dict[str, int]) -> bool:
    """Row `nxt` is more header under row `top`: all its cells are sub-headings (a field,
    a unit, a year, a column number), and the layout says so (a heading merged across or
    down, or cells that only add a unit or a year). Under a header that is already
    complete, only units, years and merges down continue it, so a short heading such
    as `ยุทธศาสตร์ที่ 1` right below stays a row of the table."""
    texts = [_header_text(sheet, covered, nxt, j, across=False) for j in range(len(sheet.cells))]
    own = [t for t in texts if t]
    if not own:
        return False
    if column_numbers(own):
        return True
    header_like = all(
        is_unit_or_year(t) or (len(t) <= 40 and field_for_header(t) is not None) for t in own
    )
    merged_over = any(
        (nxt, j) in covered and covered[(nxt, j)][0] < nxt for j in range(len(sheet.cells))
    )
    if all(f in fields for f in REQUIRED):
        at = {pos: name for name, pos in fields.items()}
        translated = all(not t or field_for_header(t) == at.get(j) for j, t in enumerate(texts))
        # Sub-headings of a group heading merged across them (งบดำเนินงาน | งบลงทุน | รวม
        # under งบประมาณ): every one under the merge, none a number.
        under_group = all(
            not t
            or (
                (top, j) in covered
                and covered[(top, j)][0] == top
                or any(covered.get((top, k)) == (top, j) for k in (j + 1,))
            )
            and parse_amount(t).value is None
            for j, t in enumerate(texts)
        )
        # A header cell merged one row too far down does not make a data row a header.
        return (
            translated
            or under_group
            or all(is_unit_or_year(t) for t in own)
            or (merged_over and header_like)
        )
    if not header_like:
        return False
    merged_across = any(
        (top, j) in covered and covered[(top, j)][0] == top for j in range(len(sheet.cells))
    )
    return merged_over or merged_across or all(is_unit_or_year(t) for t in own)


_COLUMN_NUMBER = re.compile(r"[(\[]?([0-9]{1,2})[)\]]?(?:\s*=.*)?")


def column_numbers(cells: list[str]) -> bool:
    """A row numbering the columns under a header: 1 2 3 4, (1) (2) (3), ๑ ๒ ๓,
    (4)=(2)x(3): at least three, consecutive."""
    if len(cells) < 3:
        return False
    numbers = []
    for text in cells:
        m = _COLUMN_NUMBER.fullmatch(thai_to_arabic_digits(text).strip())
        if not m:
            return False
        numbers.append(int(m.group(1)))
    return numbers == list(range(numbers[0], numbers[0] + len(numbers)))


def find_table(sheet: Sheet) -> tuple[SheetTable | None, list[str]]:
    """The sheet's project table, or None; the second value lists required fields
    missing from the best partial header found (for a precise message)."""
    best_missing: list[str] = []
    best_score = 0
    covered, _ = _merge_index(sheet)
    width = len(sheet.cells)
    titles: list[str] = []  # of the rows above row i, grown as i moves down
    years: set[int] = set()
    for i in range(min(sheet.height, HEADER_SEARCH_ROWS)):
        if i:
            above = title_texts(sheet, [i - 1])
            titles += above
            years |= {y for t in above if (y := fiscal_year_from_text(t))}
        stack = [[_header_text(sheet, covered, i, j, across=True) for j in range(width)]]
        own = {clean_text(v) for v in sheet.row(i) if not is_blank(v)}
        if not own:
            continue
        year = next(iter(years)) if len(years) == 1 else None
        fields, headers = _map_stacked(stack, year)
        # A title merged across the table (one text) never starts a header of several rows.
        if len(own) > 1:
            while (
                i + len(stack) < sheet.height
                and (len(stack) < MAX_HEADER_ROWS or _numbers_row(sheet, i + len(stack)))
                and _continues(sheet, covered, i + len(stack) - 1, i + len(stack), fields)
            ):
                stack.append(
                    [
                        _header_text(sheet, covered, i + len(stack), j, across=True)
                        for j in range(width)
                    ]
                )
                fields, headers = _map_stacked(stack, year)
        while len(stack) > 1 and not all(f in fields for f in REQUIRED):
            stack.pop()  # a sub-heading row that spoils the header is data after all
            fields, headers = _map_stacked(stack, year)
        present = [f for f in REQUIRED if f in fields]
        if len(present) == len(REQUIRED):
            return SheetTable(
                sheet,
                i,
                fields,
                headers,
                _unit(headers, titles),
                list(titles),
                header_rows=len(stack),
            ), []
        # A partial header: project name plus one more required field, or two of them.
        if len(present) >= 2 and len(present) > best_score:
            best_score = len(present)
            best_missing = [f for f in REQUIRED if f not in fields]
    return None, best_missing


def title_texts(sheet: Sheet, rows) -> list[str]:
    """The non-blank cells of title rows, each alone, and, for a row of several cells,
    the row joined (a label and its value in two cells: `หน่วยงาน` | `สวทช.`)."""
    out = []
    for r in rows:
        cells = [clean_text(v) for v in sheet.row(r) if not is_blank(v)]
        out += cells
        if len(cells) > 1:
            out.append(" ".join(cells))
        if len(cells) > 2:  # label | value | label | value
            out += [f"{a} {b}" for a, b in zip(cells, cells[1:], strict=False)]
    return out


_UNIT_NOTE = re.compile(r"(?:หน่วย(?!งาน)|unit)\s*[:：]?\s*(.{0,20})", re.IGNORECASE)


def _unit(headers: dict[str, str], titles: list[str]) -> int | None:
    """The budget's unit: from its header, else from a unit note above the table
    (`หน่วย : ล้านบาท` anywhere in a title, or a title cell that is only a unit,
    `(ล้านบาท)`); "หน่วยงาน: …" names the agency, not a unit."""
    unit = unit_multiplier(headers.get("budget", ""))
    if unit is not None:
        return unit
    for text in titles:
        for m in _UNIT_NOTE.finditer(text):
            if (unit := unit_multiplier(m.group(1))) is not None:
                return unit
        if is_unit_or_year(text) and (unit := unit_multiplier(text)) is not None:
            return unit
    return None


@dataclass
class DataRows:
    """The non-empty rows below a header, column by column: `values[field][k]` is row k's
    cell (a value merged down from above filled in). Kept by column because the checks
    run a column at a time; `row(k)` gives one row for the rules that read a row whole."""

    sheet: str
    row_numbers: list[int]  # as Excel shows them
    values: dict[str, list]  # field -> one cell per row
    filled: list[int]  # count of each row's own non-blank cells, extra columns included
    first_text: _FirstFilled  # each row's first non-blank cell of its own, by row
    merged: dict[str, frozenset[int]]  # field -> rows whose value was merged down from above

    def __len__(self) -> int:
        return len(self.row_numbers)

    def column(self, field_name: str) -> list:
        """The field's cells, all None when the sheet has no such column."""
        values = self.values.get(field_name)
        return values if values is not None else [None] * len(self)

    def row(self, k: int) -> RawRow:
        return RawRow(
            self.sheet,
            self.row_numbers[k],
            {name: cells[k] for name, cells in self.values.items()},
            self.filled[k],
            self.first_text[k],
            frozenset(name for name, ks in self.merged.items() if k in ks),
        )


def rows_below(table: SheetTable) -> DataRows:
    """Every non-empty row below the header, with the mapped fields' texts. A row counts
    as non-empty by its own cells; a value merged down from above fills a mapped field
    (as Excel shows it) but never makes a row on its own."""
    sheet = table.sheet
    _, grid = _merge_index(sheet)
    start = table.first_data
    cols = sheet.cells
    flags = [_filled_flags(col[start:]) for col in cols]
    counts = list(map(sum, zip(*flags, strict=True))) if flags else []
    kept = [start + k for k, n in enumerate(counts) if n]  # grid rows
    if len(kept) == len(counts):  # no empty row: every list is a slice
        values = {name: cols[pos][start:] for name, pos in table.fields.items()}
        filled = counts
    else:
        values = {name: [cols[pos][i] for i in kept] for name, pos in table.fields.items()}
        filled = [counts[i - start] for i in kept]
    merged = _merged_down(table, grid, kept, values)
    numbers = (
        [i + 1 for i in kept] if sheet.row_numbers is None else [sheet.row_numbers[i] for i in kept]
    )
    return DataRows(
        sheet.name, numbers, values, filled, _FirstFilled(cols, flags, kept, start), merged
    )


class _FirstFilled:
    """Each kept row's first filled cell of its own, `[k]` for row k: looked up when asked,
    since only the rows that might be a total or a heading ever ask (a few per sheet)."""

    def __init__(self, cols: list[list], flags: list[list[bool]], kept: list[int], start: int):
        self._cols, self._flags, self._kept, self._start = cols, flags, kept, start

    def __getitem__(self, k: int):
        i = self._kept[k]
        for col, filled in zip(self._cols, self._flags, strict=True):
            if filled[i - self._start]:
                return col[i]
        return None

    def __len__(self) -> int:
        return len(self._kept)


def _merged_down(
    table: SheetTable, grid: list, kept: list[int], values: dict[str, list]
) -> dict[str, frozenset[int]]:
    """Fill in, in place, the values merged down over kept data rows; the rows filled so,
    per field."""
    sheet = table.sheet
    start = table.first_data
    # Merges reaching down over data rows: pos -> {row: the value shown}.
    down: dict[int, dict[int, str | None]] = {}
    for top, bottom, j0, _ in grid:
        # Only a merge that starts in the data fills data rows; a header cell merged
        # too far down fills nothing.
        if bottom > top and top >= start:
            value = sheet.cells[j0][top]
            shown = down.setdefault(j0, {})
            for i in range(max(top + 1, start), bottom + 1):
                shown[i] = value
    if not down:
        return {}
    at = {i: k for k, i in enumerate(kept)}
    merged: dict[str, frozenset[int]] = {}
    for name, pos in table.fields.items():
        cells = values[name]
        filled_in = set()
        for i, value in down.get(pos, {}).items():
            k = at.get(i)
            if k is not None and is_blank(cells[k]):
                cells[k] = value
                filled_in.add(k)
        if filled_in:
            merged[name] = frozenset(filled_in)
    return merged


_INVISIBLE_LEAD = frozenset("\u200b\u200c\u200d\ufeff\u2060\u00ad\u200e\u200f")
# A string starting with none of these (nor empty) is filled whatever follows.
_UNSURE_LEAD = frozenset(
    ["", *_INVISIBLE_LEAD, *(chr(c) for c in range(0x3001) if chr(c).isspace())]
)


def _filled_flags(cells: list) -> list[bool]:
    """`_filled` of each cell, the usual text cell decided by its first character."""
    return [
        v is not None and ((v.__class__ is str and v[:1] not in _UNSURE_LEAD) or _filled(v))
        for v in cells
    ]


def _filled(v) -> bool:
    """not is_blank(v), without translating every ordinary cell."""
    if isinstance(v, str):
        s = v.strip()
        return bool(s) and (s[0] not in _INVISIBLE_LEAD or not is_blank(s))
    return not is_blank(v)


def is_repeated_header(row: RawRow, table: SheetTable) -> bool:
    """A header repeated below the table (a print-page habit) is a heading, not a project.
    The province cell is looked at first: its few distinct values are cached."""
    return all(cell_field(row.values.get(f)) == f for f in ("provinces", "budget", "project_name"))


@lru_cache(maxsize=8192)
def cell_field(value: str | None) -> str | None:
    """The field a cell would name as a header (None for a blank cell)."""
    return None if is_blank(value) else field_for_header(clean_text(value))
