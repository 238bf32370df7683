"""Shared openpyxl helpers for the workbooks stiplan hands out (plan book, province
extracts, and whoever needs them next).

The whole API:

- `FONT_NAME`, `FONT_SIZE` — TH Sarabun New 14, the Thai government's standard font.
- `MILLION_BAHT`, `BAHT`, `COUNT`, `PERCENT` — number formats. Budgets in ล้านบาท are
  shown to 4 decimals, as the Budget Bureau prints them; the cell keeps the exact value.
- `font(bold=False, size=FONT_SIZE, italic=False, color=None)` — a TH Sarabun New `Font`.
- `put(ws, row, col, value, fmt=None, bold=False, ...)` — write one cell safely: text that
  looks like a formula (`=`, `+`, `-`, `@`) stays text, characters Excel refuses are
  dropped, `Decimal` is written as a number, and every cell gets the Thai font.
- `paragraph(ws, row, col, last_col, text, ...)` — wrapped text across merged cells.
- `fit_row(ws, row, value, size, wrap_width)` — grow a row to fit Thai text (`put` and
  `write_table` already do it for what they write).
- `Column(header, fmt=None, width=12, wrap=False)` — one column of a table.
- `write_table(ws, row, columns, rows, total=None)` — a formatted table (bold wrapped
  header, borders, number formats, column widths, an optional bold total row); freezes
  the panes under its header and repeats the header on every printed page.
- `page_setup(ws, landscape=True, a3=False)` — A4 (or A3), fit to one page wide.
- `thai_sorted(items, key=None)` — sort in Thai dictionary order (pythainlp's collation;
  Python's default order puts every name that starts with เ แ โ ใ ไ at the end).
- `thai_date(d)` — a date as Thai text in the Buddhist era: ``1 ต.ค. 2554``.
- `million(baht)` — baht to ล้านบาท as a float, exactly as far as a float can.
"""

from __future__ import annotations

import datetime as dt
import math
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from copy import copy
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from pythainlp.util import collate

FONT_NAME = "TH Sarabun New"
FONT_SIZE = 14

MILLION_BAHT = "#,##0.0000"
BAHT = "#,##0.00"
COUNT = "#,##0"
PERCENT = "0.00"  # the value is already in percent; the header says (%)

_FORMULA_START = ("=", "+", "-", "@")
_MAX_TEXT = 32767  # Excel's limit for one cell
_LINE_HEIGHT = 1.55  # row height in points per point of font size, per line of text
_CHAR_WIDTH = 1.1  # column-width units per Thai character at FONT_SIZE
_THIN = Side(style="thin", color="808080")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEADER_FILL = "DDEBF7"
_TOTAL_FILL = "F2F2F2"
_THAI_MONTHS = ("ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.",
                "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค.")

T = TypeVar("T")


def font(bold: bool = False, size: float = FONT_SIZE, italic: bool = False,
         color: str | None = None) -> Font:
    """A TH Sarabun New font (size in points)."""
    return Font(name=FONT_NAME, size=size, bold=bold, italic=italic, color=color)


def put(ws: Worksheet, row: int, col: int, value: Any, fmt: str | None = None, *,
        bold: bool = False, size: float = FONT_SIZE, italic: bool = False,
        color: str | None = None, wrap: bool = False, align: str | None = None,
        border: bool = False, fill: str | None = None, fit: bool = True):
    """Write `value` into (row, col) in TH Sarabun New and return the cell.

    Strings are always stored as text: one that begins with ``= + - @`` would
    otherwise become a formula (openpyxl turns "=..." into one; Excel and LibreOffice
    treat the others as formulas when the cell is edited), so the cell's type is forced
    to text and it gets Excel's quote prefix. `Decimal` becomes a number; `None` leaves
    the cell empty (but styled). `fmt` is a number format, `fill` a background colour
    (hex RGB), `border` a thin grey box. With `fit`, the row grows to fit the text
    (wrapped within the column's width when `wrap`).
    """
    cell = ws.cell(row=row, column=col)
    quote = False
    if isinstance(value, str):
        text = ILLEGAL_CHARACTERS_RE.sub("", value)[:_MAX_TEXT]
        cell.value = text
        cell.data_type = "s"
        quote = text.startswith(_FORMULA_START)
    elif isinstance(value, Decimal):
        cell.value = float(value)
    else:
        cell.value = value
    _style(cell, (fmt, bold, size, italic, color, wrap, align, border, fill, quote))
    if fit:
        width = ws.column_dimensions[get_column_letter(col)].width
        # bold glyphs are wider: allow for it as a slightly bigger font
        fit_row(ws, row, value, size * 1.1 if bold else size, width if wrap else None)
    return cell


def paragraph(ws: Worksheet, row: int, col: int, last_col: int, text: str, **style):
    """Write `text` across the merged cells `col`..`last_col` of `row`, wrapped, and make
    the row tall enough for it. `style` as for `put`."""
    ws.merge_cells(start_row=row, start_column=col, end_row=row, end_column=last_col)
    cell = put(ws, row, col, text, wrap=True, fit=False, **style)
    width = sum(ws.column_dimensions[get_column_letter(c)].width or 13
                for c in range(col, last_col + 1))
    fit_row(ws, row, text, style.get("size", FONT_SIZE), width)
    return cell


def text_width(text: str) -> int:
    """How many characters of `text` take room on a line: Thai vowels and tone marks
    above or below a consonant take none."""
    return sum(1 for ch in text if not unicodedata.combining(ch)
               and unicodedata.category(ch) != "Mn")


def fit_row(ws: Worksheet, row: int, value: Any, size: float = FONT_SIZE,
            wrap_width: float | None = None) -> None:
    """Make `row` at least tall enough for `value` in a `size`-point Thai font, wrapped
    within `wrap_width` column units when given. Rows only ever grow. (Neither openpyxl
    nor Excel sizes rows for TH Sarabun New's marks above and below the line.)"""
    lines = 1
    if isinstance(value, str):
        parts = value.split("\n")
        if wrap_width:
            per_line = max(1.0, (wrap_width - 1) / (_CHAR_WIDTH * size / FONT_SIZE))
            lines = sum(max(1, math.ceil(text_width(p) / per_line)) for p in parts)
        else:
            lines = len(parts)
    height = round(lines * size * _LINE_HEIGHT, 1)
    dim = ws.row_dimensions[row]
    if dim.height is None or dim.height < height:
        dim.height = height


def _style(cell, key: tuple) -> None:
    """Apply a style, built once per workbook and key (openpyxl hashes every style
    object on each assignment, which made big workbooks slow)."""
    cache = cell.parent.parent.__dict__.setdefault("_stiplan_styles", {})
    done = cache.get(key)
    if done is not None:
        cell._style = copy(done)
        return
    fmt, bold, size, italic, color, wrap, align, border, fill, quote = key
    cell.font = font(bold=bold, size=size, italic=italic, color=color)
    if fmt:
        cell.number_format = fmt
    cell.alignment = Alignment(wrap_text=wrap, horizontal=align, vertical="center")
    if border:
        cell.border = _BORDER
    if fill:
        cell.fill = PatternFill("solid", fgColor=fill)
    if quote:
        cell.quotePrefix = True
    cache[key] = copy(cell._style)


@dataclass(frozen=True)
class Column:
    """One column of `write_table`: header text, number format, width in characters,
    whether long text wraps."""

    header: str
    fmt: str | None = None
    width: float = 12
    wrap: bool = False


def write_table(ws: Worksheet, row: int, columns: Sequence[Column],
                rows: Iterable[Sequence[Any]], total: Sequence[Any] | None = None,
                col: int = 1, freeze: bool = True) -> int:
    """Write a header at `row`, then `rows`, then an optional bold `total` row.

    Sets the column widths, freezes the panes below the header (and right of the
    first column) and makes the header rows repeat on every printed page. Returns the
    last row written.
    """
    for j, c in enumerate(columns):
        put(ws, row, col + j, c.header, bold=True, wrap=True, align="center", border=True,
            fill=_HEADER_FILL)
        ws.column_dimensions[get_column_letter(col + j)].width = c.width
    r = row
    for values in rows:
        r += 1
        for j, (c, v) in enumerate(zip(columns, values, strict=True)):
            put(ws, r, col + j, v, c.fmt, wrap=c.wrap, border=True)
    if total is not None:
        r += 1
        for j, (c, v) in enumerate(zip(columns, total, strict=True)):
            put(ws, r, col + j, v, c.fmt, bold=True, border=True, fill=_TOTAL_FILL)
    if freeze:
        ws.freeze_panes = ws.cell(row=row + 1, column=col + 1)
        ws.print_title_rows = f"1:{row}"
    return r


def page_setup(ws: Worksheet, landscape: bool = True, a3: bool = False) -> None:
    """A4 (or A3), landscape or portrait, fit to one page wide (as many pages tall as
    needed)."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A3 if a3 else ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.print_options.horizontalCentered = True


def thai_sorted(items: Iterable[T], key: Callable[[T], str] | None = None) -> list[T]:
    """`items` in Thai dictionary order of `key(item)` (or of the items themselves).

    Uses pythainlp's collation (`pythainlp.util.collate`), which skips leading vowels
    เ แ โ ใ ไ and tone marks the way a Thai dictionary does; ties keep their order.
    """
    items = list(items)
    keys = [key(i) if key else i for i in items]
    # collate a code-point-sorted list, so names the collation ties on still come out
    # in one fixed order
    rank = {k: n for n, k in enumerate(collate(sorted(set(keys))))}
    return [i for _, i in sorted(zip(keys, items, strict=True), key=lambda t: rank[t[0]])]


def thai_date(d: dt.date | dt.datetime | None, time: bool = False) -> str | None:
    """``1 ต.ค. 2554`` (Buddhist era = CE + 543); with `time`, ``… 13:05 น.``."""
    if d is None:
        return None
    text = f"{d.day} {_THAI_MONTHS[d.month - 1]} {d.year + 543}"
    if time and isinstance(d, dt.datetime):
        text += f" {d:%H:%M} น."
    return text


def million(baht: Decimal | float | int | None) -> float | None:
    """Baht to ล้านบาท (the exact quotient, rounded once to a float)."""
    if baht is None:
        return None
    value = baht if isinstance(baht, Decimal) else Decimal(str(baht))
    return float(value / Decimal(1_000_000))
