"""Shared helpers for the workbooks stiplan hands out (plan book, province extracts, and
whoever needs them next).

A workbook is first described (`Book`, `Sheet`: what goes where, recorded, cheap) and
only then written (`Book.save`): its fingerprint (`Book.fingerprint`) says whether an
identical workbook already exists, so an unchanged one is never written again.
xlsxwriter writes the structure (styles, small tables, merged cells, charts, page
setup); big tables are rendered by `xlsx_stream` and spliced into its sheets. The same
book gives the same bytes (fixed document dates and zip timestamps).

The whole API:

- `FONT_NAME`, `FONT_SIZE`, `MILLION_BAHT`, `BAHT`, `COUNT`, `PERCENT` — from
  `styles`, where every workbook's named styles are defined.
- `Book(title, created)`, `book.add_sheet(name)`, `book.fingerprint()`,
  `book.save(path)`.
- `put(ws, row, col, value, fmt=None, bold=False, ..., style=None)` — write one cell safely: text that
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
- `bar_chart(ws, ...)` — a bar chart of one column of a table.
- `thai_date(d)` — a date as Thai text in the Buddhist era: ``1 ต.ค. 2554``.
- `million(baht)` — baht to ล้านบาท as a float, exactly as far as a float can.
- `text_width(text)` — the characters of `text` that take room on a line (cached).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import io
import math
import re
import threading
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import xlsxwriter
import xlsxwriter.workbook
from pythainlp.util import thai_strftime
from xlsxwriter.packager import Packager
from xlsxwriter.sharedstrings import SharedStrings
from xlsxwriter.utility import xl_cell_to_rowcol, xl_col_to_name

from stiplan.assets.excel.heights import fit_height, text_width
from stiplan.assets.excel.save import NO_DATE, Members, fixed_time, write_atomically
from stiplan.assets.excel.stream import (
    FORMULA_START,
    Deflated,
    Table,
    TableColumn,
    ZipWriter,
    clean_text,
    deflate,
    render,
    rich_looking,
    values_digest,
)
from stiplan.assets.excel.styles import (
    BAHT,
    COUNT,
    FONT_NAME,
    FONT_SIZE,
    MILLION_BAHT,
    PERCENT,
    STYLES,
    Style,
    xlsxwriter_props,
)

__all__ = [
    "BAHT",
    "COUNT",
    "FONT_NAME",
    "FONT_SIZE",
    "MILLION_BAHT",
    "PERCENT",
    "Book",
    "Column",
    "Sheet",
    "bar_chart",
    "fit_row",
    "million",
    "page_setup",
    "paragraph",
    "put",
    "text_width",
    "thai_date",
    "write_table",
]

# Part of every workbook's fingerprint: change it whenever the same plan would give
# different bytes, so outputs written by an older stiplan are written again.
WRITER_VERSION = "stiplan-xlsx 3"
BULK_ROWS = 100  # tables longer than this are rendered by xlsx_stream
CHUNK_ROWS = 10_000  # rows rendered and compressed at a time (memory stays small)
_CM = 37.8  # pixels per centimetre, for chart sizes
StyleKey = Style  # the look of a cell, numbered into the workbook's formats


def quoted(key: StyleKey) -> StyleKey:
    """The style with Excel's quote prefix (text that looks like a formula)."""
    return key.but(quote=True)


# --------------------------------------------------------------------------- the model


class Sheet:
    """One worksheet, recorded: cells, merges, widths, row heights and the rest, in
    1-based rows and columns (as Excel shows them)."""

    def __init__(self, book: Book, name: str):
        self.book, self.name = book, name
        self.ops: list[tuple] = []
        self.widths: dict[int, float] = {}
        self.heights: dict[int, float] = {}
        self.tables: list[tuple[Table, tuple]] = []  # (table, its columns' style keys)
        self.charts: list[dict] = []

    def width(self, col: int) -> float | None:
        return self.widths.get(col)

    def set_width(self, col: int, width: float) -> None:
        self.widths[col] = width

    def grow(self, row: int, height: float) -> None:
        """Rows only ever grow."""
        if self.heights.get(row, 0) < height:
            self.heights[row] = height

    def cell(self, row: int, col: int, value: Any, key: StyleKey) -> None:
        self.ops.append(("cell", row, col, value, key))

    def merge(self, row: int, col: int, last_row: int, last_col: int) -> None:
        self.ops.append(("merge", row, col, last_row, last_col))

    def freeze(self, row: int, col: int) -> None:
        """Freeze the panes above `row` and left of `col` (the first cell that scrolls)."""
        self.ops.append(("freeze", row, col))

    def print_titles(self, first_row: int, last_row: int) -> None:
        self.ops.append(("print_titles", first_row, last_row))

    def autofilter(self, row: int, col: int, last_row: int, last_col: int) -> None:
        self.ops.append(("autofilter", row, col, last_row, last_col))

    def print_area(self, row: int, col: int, last_row: int, last_col: int) -> None:
        self.ops.append(("print_area", row, col, last_row, last_col))

    def row_break(self, row: int) -> None:
        """A page break below `row`."""
        self.ops.append(("row_break", row))

    def page(self, landscape: bool, a3: bool) -> None:
        self.ops.append(("page", landscape, a3))

    def table(self, table: Table, keys: tuple) -> None:
        self.tables.append((table, keys))
        self.ops.append(("table", len(self.tables) - 1))

    def chart(self, spec: dict) -> None:
        self.ops.append(("chart", tuple(sorted(spec.items()))))


class Book:
    """A workbook being described; `save` writes it."""

    def __init__(self, title: str, created: dt.datetime | None = None):
        self.title, self.created = title, created
        self.sheets: list[Sheet] = []
        self.xf: dict[StyleKey, int] = {}  # styles of tables rendered elsewhere
        self.strings: Sequence[str] = ()  # the first shared strings
        # where `save` put each keyed part (`stream.ZipWriter.placed`): a later book
        # may take them from the file as they are
        self.placed: dict[str, tuple[int, int, int, int]] = {}

    def share(self, strings: Sequence[str]) -> None:
        """Make `strings` the workbook's first shared strings, numbered from 0 (tables
        rendered elsewhere refer to them: `xlsx_stream.shared_strings_sql`)."""
        self.strings = strings

    def columns(
        self, keys: Sequence[tuple[StyleKey, float | None]], shared: Iterable[int] = ()
    ) -> list[TableColumn]:
        """Number the styles of a table rendered elsewhere (`xlsx_stream.rows_sql`):
        each column's style, then its quoted one, in order of first use from 1 (xf 0
        is Excel's default). They are the workbook's first styles, so any book that
        numbers the same keys in the same order gets the same numbers."""
        out, shared = [], set(shared)
        for j, (key, wrap) in enumerate(keys):
            plain = self.xf.setdefault(key, 1 + len(self.xf))
            quote = self.xf.setdefault(quoted(key), 1 + len(self.xf))
            out.append(TableColumn(plain, quote, wrap, key.size, key.fmt is None, j in shared))
        return out

    def add_sheet(self, name: str) -> Sheet:
        """A new sheet at the end."""
        sheet = Sheet(self, name)
        self.sheets.append(sheet)
        return sheet

    def fingerprint(self) -> str:
        """SHA-256 of everything the workbook shows, and of the writer's version."""
        h = hashlib.sha256(repr((WRITER_VERSION, self.title, self._created())).encode())
        h.update(values_digest([self.strings]).encode())
        for s in self.sheets:
            h.update(
                repr(
                    (
                        s.name,
                        s.ops,
                        sorted(s.widths.items()),
                        sorted(s.heights.items()),
                        [k for _, k in s.tables],
                    )
                ).encode("utf-8", "surrogatepass")
            )
            for t, _ in s.tables:
                h.update(t.digest().encode())
        return h.hexdigest()

    def _created(self) -> dt.datetime:
        return NO_DATE if self.created is None else fixed_time(self.created.astimezone(dt.UTC))

    def save(self, path: Path) -> Path:
        """Write atomically (a reader never opens half a file), mode 0644."""
        writer = _Writer(self)
        saved = write_atomically(path, writer.write)
        self.placed = writer.placed
        return saved


# --------------------------------------------------------------------------- writing

_SPLICE_ROW = re.compile(r'<row r="(\d+)"')
_DIMENSION = re.compile(r'<dimension ref="([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?"/>')


def _zip_file(file, *args, **kwargs):
    """xlsxwriter's ZipFile (pinned 3.2.9: `Workbook._store_workbook` makes one):
    `Members` for ours, a ZipFile as ever for anybody else's."""
    return file if isinstance(file, Members) else zipfile.ZipFile(file, *args, **kwargs)


xlsxwriter.workbook.ZipFile = _zip_file


class _SharedStrings(SharedStrings):
    """xlsxwriter's sharedStrings.xml, the book's first strings (`Book.share`: the same
    for every workbook of a year) written once per process (`_si_xml`)."""

    def __init__(self, first: Sequence[str]):
        super().__init__()
        self.first = first

    def _write_sst_strings(self) -> None:
        array, n = self.string_table.string_array, len(self.first)
        if n and array[:n] == list(self.first):
            self.fh.write(_si_xml(tuple(self.first)))
            array = array[n:]
        for string in array:
            self._write_si(string)


@functools.lru_cache(maxsize=4)
def _si_xml(strings: tuple[str, ...]) -> str:
    """The `<si>` elements of `strings`, as xlsxwriter writes them."""
    sst, fh = SharedStrings(), io.StringIO()
    sst._set_xml_writer(fh)
    for string in strings:
        sst._write_si(string)
    return fh.getvalue()


class _Packager(Packager):
    def __init__(self, first: Sequence[str]):
        super().__init__()
        self.first = first

    def _write_shared_strings_file(self) -> None:  # as xlsxwriter's, with _SharedStrings
        if not self.workbook.str_table.count:
            return
        sst = _SharedStrings(self.first)
        sst.string_table = self.workbook.str_table
        sst._set_xml_writer(self._filename("xl/sharedStrings.xml"))
        sst._assemble_xml_file()


class _Workbook(xlsxwriter.Workbook):
    first_strings: Sequence[str] = ()

    def _get_packager(self) -> Packager:
        return _Packager(self.first_strings)


_MEMBERS: dict[tuple[str, bytes], Deflated] = {}  # members every workbook has alike
_MEMBERS_GUARD = threading.Lock()


def _deflated(name: str, data: bytes, level: int) -> Deflated:
    """A small member compressed, once per process for the ones that repeat (the
    theme, the styles and content types of workbooks of one kind)."""
    if len(data) > 1 << 16 or name in ("docProps/core.xml", "xl/sharedStrings.xml"):
        return deflate(data, level)  # each workbook's own
    key = (name, data)
    with _MEMBERS_GUARD:
        got = _MEMBERS.get(key)
    if got is None:
        got = deflate(data, level)
        with _MEMBERS_GUARD:
            if len(_MEMBERS) >= 256:
                _MEMBERS.clear()
            _MEMBERS[key] = got
    return got


class _Writer:
    def __init__(self, book: Book):
        self.book = book
        self.zipped = Members()
        self.wb = _Workbook(
            self.zipped,
            {
                "in_memory": True,
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "strings_to_numbers": False,
            },
        )
        self.wb.first_strings = book.strings
        self.formats: dict[StyleKey, Any] = {}
        self.bulk: dict[int, list[tuple[Table, list[TableColumn]]]] = {}
        self.placed: dict[str, tuple[int, int, int, int]] = {}

    def fmt(self, key: StyleKey):
        f = self.formats.get(key)
        if f is None:
            f = self.formats[key] = self.wb.add_format(xlsxwriter_props(key))
            f._get_xf_index()  # numbered now, in the order the sheets are written
        return f

    def write(self, fh) -> None:
        wb, book = self.wb, self.book
        sheets = [wb.add_worksheet(s.name) for s in book.sheets]
        for i, text in enumerate(book.strings):  # first: tables rendered elsewhere use them
            if wb.str_table._get_shared_string_index(text) != i:
                raise ValueError(f"shared string {i} is not unique: {text!r}")
        for key, xf in book.xf.items():  # first: tables rendered elsewhere use them
            if self.fmt(key)._get_xf_index() != xf:
                raise RuntimeError(f"style {key} numbered {xf} by the book, not by xlsxwriter")
        for i, (s, ws) in enumerate(zip(book.sheets, sheets, strict=True)):
            self._replay(s, ws, i)
        wb.set_properties({"title": book.title, "author": "stiplan", "created": book._created()})
        shared = dict(wb.str_table.string_table)  # close() empties it
        wb.close()
        self._package(fh, shared)

    def _replay(self, s: Sheet, ws, index: int) -> None:
        for col, width in sorted(s.widths.items()):
            ws.set_column(col - 1, col - 1, width)
        for op in s.ops:
            kind = op[0]
            if kind == "cell":
                _, row, col, value, key = op
                self._cell(ws, row - 1, col - 1, value, key)
            elif kind == "merge":
                _, r1, c1, r2, c2 = op
                ws.merge_range(r1 - 1, c1 - 1, r2 - 1, c2 - 1, "")
            elif kind == "freeze":
                ws.freeze_panes(op[1] - 1, op[2] - 1)
            elif kind == "print_titles":
                ws.repeat_rows(op[1] - 1, op[2] - 1)
            elif kind == "autofilter":
                ws.autofilter(op[1] - 1, op[2] - 1, op[3] - 1, op[4] - 1)
            elif kind == "print_area":
                ws.print_area(op[1] - 1, op[2] - 1, op[3] - 1, op[4] - 1)
            elif kind == "row_break":
                ws.set_h_pagebreaks([*ws.hbreaks, op[1]])
            elif kind == "page":
                _, landscape, a3 = op
                ws.set_paper(8 if a3 else 9)
                ws.set_landscape() if landscape else ws.set_portrait()
                ws.fit_to_pages(1, 0)
                ws.set_margins(left=0.5, right=0.5, top=0.6, bottom=0.6)
                ws.center_horizontally()
            elif kind == "table":
                self._table(ws, index, *s.tables[op[1]])
            elif kind == "chart":
                self._chart(ws, dict(op[1]))
        for row, height in sorted(s.heights.items()):
            ws.set_row(row - 1, height)

    def _cell(self, ws, row: int, col: int, value: Any, key: StyleKey) -> None:
        if isinstance(value, str):
            text = clean_text(value)
            if text.startswith(FORMULA_START):
                key = quoted(key)
            if rich_looking(text):
                text = "_x003C_" + text[1:]  # Excel reads "<"; see xlsx_stream
            ws.write_string(row, col, text, self.fmt(key))
        elif isinstance(value, bool):
            ws.write_boolean(row, col, value, self.fmt(key))
        elif isinstance(value, Decimal | float | int):
            number = float(value) if isinstance(value, Decimal) else value
            if not math.isfinite(number):
                ws.write_blank(row, col, None, self.fmt(key))
            else:
                ws.write_number(row, col, number, self.fmt(key))
        elif value is None:
            ws.write_blank(row, col, None, self.fmt(key))
        else:
            self._cell(ws, row, col, str(value), key)

    def _table(self, ws, index: int, table: Table, keys: tuple) -> None:
        if table.values is None:  # rendered elsewhere, with the book's numbering
            self.bulk.setdefault(index, []).append((table, list(table.columns)))
            return
        columns = [
            TableColumn(
                style=self.fmt(k)._get_xf_index(),
                quote_style=self.fmt(quoted(k))._get_xf_index(),
                wrap_width=w,
                size=k.size,
                text=k.fmt is None,
            )
            for k, w in keys
        ]
        strings = table.strings()
        st = self.wb.str_table
        for text in strings:
            st._get_shared_string_index(text)
        if strings:  # <sst count=…> counts every use (text columns: all but empty cells)
            refs = sum(
                len(v) - v.count(None)
                for v, (k, _) in zip(table.values, keys, strict=True)
                if k.fmt is None
            )
            st.count += max(0, refs - len(strings))
        self.bulk.setdefault(index, []).append((table, columns))

    def _chart(self, ws, spec: dict) -> None:
        horizontal = spec["horizontal"]
        chart = self.wb.add_chart({"type": "bar" if horizontal else "column"})
        first, last = spec["first_row"] - 1, spec["last_row"] - 1
        chart.add_series(
            {
                "values": [ws.name, first, spec["value_col"] - 1, last, spec["value_col"] - 1],
                "categories": [ws.name, first, spec["label_col"] - 1, last, spec["label_col"] - 1],
                "fill": {"color": "#4472C4"},
            }
        )
        font = {"name": FONT_NAME}
        chart.set_title({"name": spec["title"], "name_font": {**font, "size": 14}})
        chart.set_legend({"none": True})
        values = {
            "name": "ล้านบาท",
            "num_format": "#,##0.00",
            "name_font": font,
            "num_font": {**font, "size": 12},
        }
        labels = {"interval_unit": 1, "num_font": {**font, "size": spec["label_size"] / 100}}
        if horizontal:  # xlsxwriter's x axis is the value axis of a bar chart
            chart.set_x_axis(values)
            chart.set_y_axis({**labels, "reverse": True})  # first row on top, as the table
        else:
            chart.set_x_axis(labels)
            chart.set_y_axis(values)
        chart.set_style(10)
        chart.set_size({"width": round(spec["width"] * _CM), "height": round(spec["height"] * _CM)})
        ws.insert_chart(spec["anchor"], chart)

    def _package(self, fh, shared: dict[str, int]) -> None:
        zw = ZipWriter(fh)
        for name, data in self.zipped.members:
            m = re.fullmatch(r"xl/worksheets/sheet(\d+)\.xml", name)
            index = int(m.group(1)) - 1 if m else None
            sheet = self.book.sheets[index] if index is not None else None
            if sheet is not None:
                data = _patch_page_setup(data, sheet)
            tables = self.bulk.get(index) if index is not None else None
            if tables:
                self._bulk_member(zw, name, data.decode("utf-8"), tables, shared)
            elif sheet is not None:
                zw.add(name, data, level=6)
            else:
                zw.add(name, _deflated(name, data, 6))
        zw.close()
        self.placed = zw.placed

    def _bulk_member(
        self,
        zw: ZipWriter,
        name: str,
        xml: str,
        tables: list[tuple[Table, list[TableColumn]]],
        shared: dict[str, int],
    ) -> None:
        tables = sorted(tables, key=lambda t: t[0].first_row)
        xml = _widen_dimension(xml, tables)
        if "<sheetData/>" in xml:
            xml = xml.replace("<sheetData/>", "<sheetData></sheetData>", 1)
        pieces: list[str] = []  # the sheet's own XML before each table's rows
        pos = 0
        for table, _ in tables:
            at = next(
                (
                    m.start()
                    for m in _SPLICE_ROW.finditer(xml, pos)
                    if int(m.group(1)) >= table.first_row
                ),
                None,
            )
            if at is None:
                at = xml.index("</sheetData>", pos)
            pieces.append(xml[pos:at])
            pos = at
        rest = xml[pos:]

        def stream():
            for (table, cols), before in zip(tables, pieces, strict=True):
                yield before.encode("utf-8")
                if table.values is None:  # rendered (and maybe compressed) elsewhere
                    yield from table.parts or []
                    continue
                t = Table(cols, table.values, table.first_row, table.inline)
                for start in range(0, table.rows, CHUNK_ROWS):
                    yield render(t, shared, start, start + CHUNK_ROWS).encode("utf-8")
            yield rest.encode("utf-8")

        zw.add_stream(name, stream())


def _patch_page_setup(data: bytes, sheet: Sheet) -> bytes:
    """xlsxwriter leaves out fitToWidth="1" (Excel's default when fitting to pages);
    readers that do not apply the default (openpyxl) would see no width to fit."""
    if any(op[0] == "page" for op in sheet.ops) and b"fitToWidth" not in data:
        data = data.replace(b"<pageSetup ", b'<pageSetup fitToWidth="1" ', 1)
    return data


def _widen_dimension(xml: str, tables) -> str:
    m = _DIMENSION.search(xml)
    if not m:
        return xml
    c1, r1 = xl_cell_to_rowcol(m.group(1) + "1")[1] + 1, int(m.group(2))
    c2, r2 = (
        (xl_cell_to_rowcol(m.group(3) + "1")[1] + 1, int(m.group(4))) if m.group(3) else (c1, r1)
    )
    for t, cols in tables:
        if t.rows:
            r2 = max(r2, t.last_row)
            c2 = max(c2, len(cols))
    ref = f"{xl_col_to_name(c1 - 1)}{r1}:{xl_col_to_name(c2 - 1)}{r2}"
    return xml[: m.start()] + f'<dimension ref="{ref}"/>' + xml[m.end() :]


# --------------------------------------------------------------------------- helpers


def font(
    bold: bool = False, size: float = FONT_SIZE, italic: bool = False, color: str | None = None
) -> dict[str, Any]:
    """The xlsxwriter format properties of a TH Sarabun New font (size in points)."""
    return {
        k: v
        for k, v in xlsxwriter_props(
            Style(bold=bold, size=size, italic=italic, color=color)
        ).items()
        if k.startswith("font") or k in ("bold", "italic")
    }


def put(
    ws: Sheet,
    row: int,
    col: int,
    value: Any,
    fmt: str | None = None,
    *,
    bold: bool = False,
    size: float = FONT_SIZE,
    italic: bool = False,
    color: str | None = None,
    wrap: bool = False,
    align: str | None = None,
    border: bool = False,
    fill: str | None = None,
    fit: bool = True,
    style: Style | None = None,
) -> None:
    """Write `value` into (row, col) in TH Sarabun New.

    Strings are always stored as text: one that begins with ``= + - @`` gets Excel's
    quote prefix (Excel and LibreOffice would treat it as a formula when the cell is
    edited). `Decimal` becomes a number; `None` leaves the cell empty (but styled).
    `fmt` is a number format, `fill` a background colour (hex RGB), `border` a thin
    grey box. With `fit`, the row grows to fit the text (wrapped within the column's
    width when `wrap`). A `style` (one of `styles.STYLES`) stands for all of these.
    """
    if style is None:
        style = Style(fmt, bold, size, italic, color, wrap, align, border, fill)
    ws.cell(row, col, value, style)
    if fit:
        # bold glyphs are wider: allow for it as a slightly bigger font
        size = style.size * 1.1 if style.bold else style.size
        fit_row(ws, row, value, size, ws.width(col) if style.wrap else None)


def paragraph(ws: Sheet, row: int, col: int, last_col: int, text: str, **style) -> None:
    """Write `text` across the merged cells `col`..`last_col` of `row`, wrapped, and make
    the row tall enough for it. `style` as for `put`."""
    ws.merge(row, col, row, last_col)
    put(ws, row, col, text, wrap=True, fit=False, **style)
    width = sum(ws.width(c) or 13 for c in range(col, last_col + 1))
    fit_row(ws, row, text, style.get("size", FONT_SIZE), width)


def fit_row(
    ws: Sheet, row: int, value: Any, size: float = FONT_SIZE, wrap_width: float | None = None
) -> None:
    """Make `row` at least tall enough for `value` in a `size`-point Thai font, wrapped
    within `wrap_width` column units when given. Rows only ever grow. (Neither
    xlsxwriter nor Excel sizes rows for TH Sarabun New's marks above and below the
    line.)"""
    ws.grow(row, fit_height(value, size, wrap_width))


@dataclass(frozen=True)
class Column:
    """One column of `write_table`: header text, number format, width in characters,
    whether long text wraps."""

    header: str
    fmt: str | None = None
    width: float = 12
    wrap: bool = False


def table_keys(columns: Sequence[Column]) -> tuple[tuple[StyleKey, float | None], ...]:
    """The style of each column's cells in a table, and its width when it wraps."""
    return tuple(
        (Style(c.fmt, wrap=c.wrap, border=True), c.width if c.wrap else None) for c in columns
    )


def write_table(
    ws: Sheet,
    row: int,
    columns: Sequence[Column],
    rows: Iterable[Sequence[Any]] | None,
    total: Sequence[Any] | None = None,
    col: int = 1,
    freeze: bool = True,
    *,
    by_column: Sequence[Sequence[Any]] | None = None,
    inline: bool = False,
    bold_rows: Iterable[int] = (),
    fill_rows: str | None = None,
    body: Table | None = None,
) -> int:
    """Write a header at `row`, then the rows (`rows`, or their values column by column
    in `by_column`), then an optional bold `total` row.

    Sets the column widths, freezes the panes below the header (and right of the
    first column) and makes the header rows repeat on every printed page. A long
    table is rendered by xlsx_stream (`inline`: its strings stay in the sheet); `body`
    is one rendered elsewhere (its `parts`, with the styles `Book.columns` numbers). `bold_rows` (0-based indexes of
    rows) stand out, bold on `fill_rows`. Returns the last row written.
    """
    for j, c in enumerate(columns):
        ws.set_width(col + j, c.width)
    for j, c in enumerate(columns):
        put(ws, row, col + j, c.header, style=STYLES["header"])
    keys = table_keys(columns)
    if body is not None:
        numbered = ws.book.columns(keys, [j for j, c in enumerate(body.columns) if c.shared])
        if body.columns and list(body.columns) != numbered:
            raise ValueError("a table rendered with other styles than the book's")
        body.columns, body.first_row = numbered, row + 1
        ws.table(body, keys)
        by_column = None
        n = body.rows
    elif by_column is None:
        data = list(rows or [])
        for r in data:
            if len(r) != len(columns):
                raise ValueError(f"a row of {len(r)} values for {len(columns)} columns")
        by_column = [list(c) for c in zip(*data, strict=True)] if data else [[] for _ in columns]
    if by_column is not None:
        n = len(by_column[0]) if by_column else 0
    bold = set(bold_rows)
    if by_column is None:
        pass
    elif n > BULK_ROWS and col == 1 and not bold:
        ws.table(Table([], by_column, row + 1, inline), keys)
    else:
        for i in range(n):
            for j, c in enumerate(columns):
                put(
                    ws,
                    row + 1 + i,
                    col + j,
                    by_column[j][i],
                    c.fmt,
                    wrap=c.wrap,
                    border=True,
                    bold=i in bold,
                    fill=fill_rows if i in bold else None,
                )
    r = row + n
    if total is not None:
        r += 1
        for j, (c, v) in enumerate(zip(columns, total, strict=True)):
            put(ws, r, col + j, v, style=STYLES["total"].but(fmt=c.fmt))
    if freeze:
        ws.freeze(row + 1, col + 1)
        ws.print_titles(1, row)
    return r


def page_setup(ws: Sheet, landscape: bool = True, a3: bool = False) -> None:
    """A4 (or A3), landscape or portrait, fit to one page wide (as many pages tall as
    needed)."""
    ws.page(landscape, a3)


def bar_chart(
    ws: Sheet,
    title: str,
    label_col: int,
    value_col: int,
    first_row: int,
    last_row: int,
    anchor: str,
    horizontal: bool = False,
    width: float = 18,
    height: float = 9,
    label_size: int = 1200,
) -> None:
    """A bar chart of one column of a table (sizes in cm), named by the text of
    `label_col`; `label_size` in hundredths of a point."""
    ws.chart(
        {
            "title": title,
            "label_col": label_col,
            "value_col": value_col,
            "first_row": first_row,
            "last_row": last_row,
            "anchor": anchor,
            "horizontal": horizontal,
            "width": width,
            "height": height,
            "label_size": label_size,
        }
    )


def thai_date(d: dt.date | dt.datetime | None, time: bool = False) -> str | None:
    """``1 ต.ค. 2554`` (Buddhist era = CE + 543); with `time`, ``… 13:05 น.``."""
    if d is None:
        return None
    text = thai_strftime(d, "%-d %b %Y")
    if time and isinstance(d, dt.datetime):
        text += f" {d:%H:%M} น."
    return text


def million(baht: Decimal | float | int | None) -> float | None:
    """Baht to ล้านบาท (the exact quotient, rounded once to a float)."""
    if baht is None:
        return None
    value = baht if isinstance(baht, Decimal) else Decimal(str(baht))
    return float(value / Decimal(1_000_000))
