"""The fast path of stiplan's workbooks: big tables rendered straight to sheet XML, and a
deterministic zip writer to package them.

openpyxl holds every cell as an object and xlsxwriter writes each cell through several
Python calls (about 170,000 cells/s here); a plan of 160,000 projects has millions.
Here a table is rendered a column at a time: each distinct value of a column becomes
its cell's XML once (`_Fragments`, a dict filled on a miss, so the hits run at C
speed), and each row is one `str.format` of a template made once per table. Row
heights come from a per-distinct-string count of lines. xlsxwriter still writes the
rest of each workbook (styles, merged cells, charts, page setup); `xlsx_style.Book`
splices these rows into its sheets.

- `clean_text(s)` — what a cell can hold: characters XML or Excel refuse dropped, cut
  to Excel's 32,767.
- `Table` — the columns (`TableColumn`: the two style indexes, wrap width, font size)
  and values (one list per column) of a table's body, and the first row it goes on.
  `render(table, shared, start, stop)` gives the `<row>` elements of its rows
  `start`..`stop` as text; `shared` maps strings to shared-string indexes (strings of
  columns where values repeat go there; unique ones are written inline).
- `ZipWriter` — a zip with fixed timestamps (the same content gives the same bytes),
  members added whole, streamed in pieces, or as deflate data made elsewhere
  (`Deflated`: a member compressed once and used in many files, or parts compressed
  in parallel and joined, see `join_deflated`).
"""

from __future__ import annotations

import hashlib
import itertools
import math
import re
import struct
import warnings
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from typing import Any, BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from isal import isal_zlib
from xlsxwriter.utility import xl_col_to_name

from stiplan.assets.excel.heights import (
    BASE_SIZE,
    MARK_POINTS,
    line_count,
    per_line,
    row_height,
)

MAX_TEXT = 32767  # Excel's limit for one cell
FORMULA_START = ("=", "+", "-", "@")
# Deflate is ISA-L's (standard raw deflate, as zlib reads it): at level 1 it is five
# times zlib's speed and its files smaller (a 264 MB plan-book list: 0.4 s and 39 MB,
# where zlib took 2.0 s and 47 MB).
LEVEL = 1

# Characters XML 1.0 cannot carry (C0 controls but tab/newline/CR, lone surrogates,
# U+FFFE/U+FFFF): dropped, as openpyxl's ILLEGAL_CHARACTERS_RE did (and more).
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# Excel reads _xHHHH_ in text as an escaped character: a literal one gets its
# underscore escaped (what Excel and xlsxwriter do).
_ESCAPE_LIKE = re.compile("(_x[0-9A-Fa-f]{4}_)")
# the same but NUL, which joins a column's values (a value holding one is found apart)
_ILLEGAL_BUT_NUL = re.compile("[\x01-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def clean_text(text: str) -> str:
    """`text` as a cell can hold it."""
    if _ILLEGAL.search(text):
        text = _ILLEGAL.sub("", text)
    return text[:MAX_TEXT]


def xml_text(text: str) -> str:
    """Escape clean text for the content of an XML element."""
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    if "_x" in text:
        text = _ESCAPE_LIKE.sub(r"_x005F\1", text)
    return text


def rich_looking(text: str) -> bool:
    """xlsxwriter writes a shared string that looks like ``<r>…</r>`` as raw rich-text
    XML; such text never goes to the shared strings as it is."""
    return text.startswith("<r>") and text.endswith("</r>")


def number_text(value: Any) -> str | None:
    """A number as the text of a `<v>` element; None when Excel has no such number."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    value = float(value)
    return repr(value) if math.isfinite(value) else None


# --------------------------------------------------------------------------- tables


@dataclass(frozen=True)
class TableColumn:
    style: int  # xf index of the column's cells
    quote_style: int  # the same with Excel's quote prefix, for text like "=1+1"
    wrap_width: float | None = None  # column width when long text wraps
    size: float = BASE_SIZE
    text: bool = True  # holds text (a number column's rows are one line high)
    shared: bool = False  # its text goes to the shared strings (values repeat)


@dataclass(eq=False)
class Table:
    """The body of a table: `values[j][i]` is row `i` of column `j`, written from
    `first_row` (1-based) on. `inline` keeps every string in the sheet itself (so the
    sheet does not depend on the workbook's shared strings)."""

    columns: Sequence[TableColumn]
    values: Sequence[Sequence[Any]] | None = field(repr=False)
    first_row: int
    inline: bool = False
    # a table rendered elsewhere (`values` None): its rows, compressed parts, and the
    # digest of what they show
    nrows: int = 0
    parts: list[Deflated] | None = field(default=None, repr=False)
    known_digest: str | None = None
    _fragments: list = field(default_factory=list, repr=False)
    _lines: list = field(default_factory=list, repr=False)
    _digest: str | None = field(default=None, repr=False)

    @property
    def rows(self) -> int:
        if self.values is None:
            return self.nrows
        return len(self.values[0]) if self.values else 0

    @property
    def last_row(self) -> int:
        return self.first_row + self.rows - 1

    def digest(self) -> str:
        """SHA-256 of what the rows show (values, styles, position)."""
        if self._digest is None:
            h = hashlib.sha256(repr((self.first_row, self.inline, list(self.columns))).encode())
            h.update(
                (self.known_digest if self.values is None else values_digest(self.values)).encode()
            )
            self._digest = h.hexdigest()
        return self._digest

    def strings(self) -> Iterable[str]:
        """The distinct strings of the columns whose values repeat, in order of first
        appearance (they go to the shared strings; the others are written inline)."""
        if self.inline or self.values is None:
            return []
        out: dict[str, None] = {}
        for col in self.values:
            distinct = dict.fromkeys(col)
            if 2 * len(distinct) > len(col):
                continue  # mostly unique: inline costs no more and needs no lookup
            for v in distinct:
                if isinstance(v, str):
                    v = clean_text(v)
                    if not rich_looking(v):
                        out[v] = None
        return out


_VALUES_DIGESTS: dict[int, tuple[Any, str]] = {}


def values_digest(values: Sequence[Sequence[Any]]) -> str:
    """SHA-256 of a table's values; remembered for the last few value lists, so a
    table written into many workbooks (the nationwide list) is hashed once."""
    hit = _VALUES_DIGESTS.get(id(values))
    if hit is not None and hit[0] is values:
        return hit[1]
    h = hashlib.sha256()
    for col in values:
        h.update(repr(list(col)).encode("utf-8", "surrogatepass"))
    digest = h.hexdigest()
    if len(_VALUES_DIGESTS) >= 8:
        _VALUES_DIGESTS.pop(next(iter(_VALUES_DIGESTS)))
    _VALUES_DIGESTS[id(values)] = (values, digest)  # kept alive: the id stays its own
    return digest


class _Fragments(dict):
    """The XML after ``<c r="X9"`` of each distinct value of a column."""

    def __init__(self, column: TableColumn, shared: dict[str, int]):
        self.column, self.shared = column, shared

    def __missing__(self, value):
        self[value] = frag = cell_fragment(value, self.column, self.shared)
        return frag


def cell_fragment(value: Any, column: TableColumn, shared: dict[str, int]) -> str:
    if value is None:
        return f' s="{column.style}"/>'
    if isinstance(value, str):
        text = clean_text(value)
        if not text:  # as xlsxwriter writes "": an empty cell
            return f' s="{column.style}"/>'
        style = column.quote_style if text.startswith(FORMULA_START) else column.style
        index = shared.get(text)
        if index is not None:
            return f' s="{style}" t="s"><v>{index}</v></c>'
        space = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
        return f' s="{style}" t="inlineStr"><is><t{space}>{xml_text(text)}</t></is></c>'
    if isinstance(value, Decimal | float | int):
        number = number_text(value)
        if number is None:
            return f' s="{column.style}"/>'
        if isinstance(value, bool):
            return f' s="{column.style}" t="b"><v>{number}</v></c>'
        return f' s="{column.style}"><v>{number}</v></c>'
    return cell_fragment(str(value), column, shared)


class _Lines(dict):
    def __init__(self, column: TableColumn):
        self.column = column

    def __missing__(self, value):
        self[value] = n = line_count(value, self.column.wrap_width, self.column.size)
        return n


_HEIGHTS: dict[tuple[int, float], str] = {}


def render(
    table: Table,
    shared: dict[str, int],
    start: int = 0,
    stop: int | None = None,
    first_col: int = 1,
) -> str:
    """The `<row>` elements of rows `start`..`stop` of `table`."""
    stop = table.rows if stop is None else min(stop, table.rows)
    if stop <= start:
        return ""
    if not table._fragments:
        table._fragments[:] = [
            _Fragments(c, shared if c.shared or not table.inline else {}) for c in table.columns
        ]
        table._lines[:] = [_Lines(c) for c in table.columns]
    frags, lines = [], []
    for j, col in enumerate(table.values):
        part = col[start:stop]
        column, cache = table.columns[j], table._fragments[j]
        unique = 2 * len(set(part)) > len(part)
        if not unique or column.shared:
            # a fragment per cell: one dict lookup each (C speed) once a value was seen
            frags.append(list(map(cache.__getitem__, part)))
        elif column.text:
            frags.append(_text_fragments(part, column, cache))
        else:
            frags.append(_number_fragments(part, column, cache))
        if not column.text:
            continue  # a number is one line
        if column.wrap_width and unique:
            lines.append(_wrapped_lines(part, column, table._lines[j]))
        elif column.wrap_width or "\n" in _SEP.join(map(str, part)):
            lines.append(list(map(table._lines[j].__getitem__, part)))
    size = max((c.size for c in table.columns), default=BASE_SIZE)
    most = (
        list(map(max, *lines)) if len(lines) > 1 else (lines[0] if lines else [1] * (stop - start))
    )
    height = {n: _height(n, size) for n in set(most)}
    heights = list(map(height.__getitem__, most))
    cells = "".join(
        f'<c r="{xl_col_to_name(first_col + j - 1)}{{0}}"{{{j + 2}}}'
        for j in range(len(table.columns))
    )
    template = f'<row r="{{0}}" ht="{{1}}" customHeight="1">{cells}</row>'
    first = table.first_row + start
    return "".join(map(template.format, range(first, first + stop - start), heights, *frags))


# Mostly-unique columns (names, ids, amounts) are converted a whole column at a time:
# escaping and measuring run over one joined string (C speed), and only odd values
# (text that looks like a formula, or with spaces at an end, newlines, characters to
# drop, no number) take `cell_fragment`, one at a time.
_SEP = "\x00"  # never in clean text: a value holding one is odd


def _text_fragments(part, column: TableColumn, cache: _Fragments) -> list[str]:
    texts = ["" if v is None else v for v in part]
    if not all(type(v) is str for v in texts):
        return list(map(cache.__getitem__, part))
    joined = _SEP.join(texts)
    if _ILLEGAL_BUT_NUL.search(joined) or max(map(len, texts), default=0) > MAX_TEXT:
        return list(map(cache.__getitem__, part))
    escaped = xml_text(joined).split(_SEP)
    if len(escaped) != len(texts):  # an escape spanned values: never, but be sure
        return list(map(cache.__getitem__, part))
    head = f' s="{column.style}" t="inlineStr"><is><t>'
    none = f' s="{column.style}"/>'
    return [
        none
        if v is None
        else (cache[v] if v[:1] in "=+-@" or v.strip() is not v else f"{head}{e}</t></is></c>")
        for v, e in zip(part, escaped, strict=True)
    ]


def _number_fragments(part, column: TableColumn, cache: _Fragments) -> list[str]:
    head = f' s="{column.style}"><v>'
    # v - v == 0 only for finite numbers (inf - inf is nan); bools and Decimals go slow
    return [
        f"{head}{v!r}</v></c>"
        if ((c := v.__class__) is float and v - v == 0) or c is int
        else cache[v]
        for v in part
    ]


def _wrapped_lines(part, column: TableColumn, cache: _Lines) -> list[int]:
    texts = ["" if v is None else v for v in part]
    if not all(type(v) is str for v in texts):
        return list(map(cache.__getitem__, part))
    return wrapped_lines(texts, column).tolist()


@lru_cache(maxsize=1)
def _mark_table():
    """True at the code points (below U+10000) that take no room: `text_width`'s."""
    table = np.zeros(0x10000, dtype=bool)
    table[list(MARK_POINTS)] = True
    return table


def _height(lines: int, size: float) -> str:
    key = (lines, size)
    text = _HEIGHTS.get(key)
    if text is None:
        _HEIGHTS[key] = text = repr(row_height(lines, size))
    return text


# --------------------------------------------------------------------------- in SQL

# The same rows rendered by DuckDB, for tables read from the plan: the XML of each row
# is made in C++, and nothing of the table becomes a Python object. Regular expressions cost DuckDB microseconds
# per value, so the rest is done on the result read as Arrow: dropping the characters
# XML refuses (`bytes.translate`) and measuring wrapped text for row heights (numpy),
# put between each row's head and the rest by Arrow. `rows_sql` + `finish_table`
# write exactly what `render` writes for the same values (a test holds them to it).
MAX_LINES = 400  # heights for up to this many lines (Excel stops at 409 pt anyway)
_SPACES = "".join(chr(c) for c in range(0x10000) if not 0xD800 <= c <= 0xDFFF and chr(c).isspace())
_ILLEGAL_BYTES = bytes(c for c in range(32) if c not in (9, 10, 13))


def _q(text: str) -> str:
    """An SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def rows_sql(
    relation: str, columns: Sequence[TableColumn], keep: Sequence[str] = (), first_col: int = 1
) -> str:
    """SQL selecting the columns `keep`, `head` and `xml` (each row of `relation` as a
    `<row>` element, cut where its height is to go), `lines` (the most lines of its cells but the wrapped
    ones) and `w0`, `w1`, … (the text of its wrapped columns). `relation` selects `r`,
    the row's number in the sheet, `keep`, and the values `v0`, `v1`, … of the
    columns: VARCHAR for text, numbers for the others. Give these rows, in order, to
    `finish_table` (as Arrow) or `finish`. (One `concat` per row: DuckDB's `||` makes
    a string per step; `t[-1]` is a code point, `right(t, 1)` costs four times more.)"""
    inner, pieces, lines, wraps = [*keep, "CAST(r AS VARCHAR) AS rs"], [], [], []
    for j, c in enumerate(columns):
        v, t = f"v{j}", f"t{j}"
        pieces += [f"""'<c r="{xl_col_to_name(first_col + j - 1)}'""", "rs"]
        empty = f"""'" s="{c.style}"/>'"""
        if not c.text:
            inner.append(v)
            pieces.append(f"""CASE WHEN {v} IS NULL OR NOT isfinite(CAST({v} AS DOUBLE))
                THEN {empty} ELSE concat('" s="{c.style}"><v>', CAST({v} AS VARCHAR),
                '</v></c>') END""")
            continue
        inner.append(f"left({v}, {MAX_TEXT}) AS {t}")
        if c.wrap_width:
            inner.append(f"coalesce({v}, '') AS w{j}")
            wraps.append(f"w{j}")
        else:
            inner.append(
                f"coalesce(length({v}) - length(replace({v}, chr(10), '')) + 1, 1) AS l{j}"
            )
            lines.append(f"l{j}")
        escaped = (  # most text has nothing to escape: three scans, not three copies
            f"CASE WHEN contains({t}, '&') OR contains({t}, '<') OR contains({t}, '>') THEN "
            f"replace(replace(replace({t}, '&', '&amp;'), '<', '&lt;'), '>', '&gt;') ELSE {t} END"
        )
        escaped = (
            f"CASE WHEN contains({t}, '_x') THEN regexp_replace({escaped}, "
            f"'(_x[0-9A-Fa-f]{{4}}_)', '_x005F\\1', 'g') ELSE {escaped} END"
        )
        spaced = (
            f"{t} <> '' AND (strpos({_q(_SPACES)}, {t}[1]) > 0 "
            f"OR strpos({_q(_SPACES)}, {t}[-1]) > 0)"
        )
        quote = (
            f"CASE WHEN left({t}, 1) IN ('=', '+', '-', '@') THEN '{c.quote_style}' "
            f"ELSE '{c.style}' END"
        )
        inline = f"""concat('" s="', {quote},
            CASE WHEN {spaced} THEN '" t="inlineStr"><is><t xml:space="preserve">'
                 ELSE '" t="inlineStr"><is><t>' END,
            {escaped}, '</t></is></c>')"""
        if c.shared:  # the relation gives its index in the shared strings, `s{j}`
            inner.append(f"s{j}")
            inline = f"""CASE WHEN s{j} IS NULL THEN {inline} ELSE concat('" s="', {quote},
                      '" t="s"><v>', CAST(s{j} AS VARCHAR), '</v></c>') END"""
        pieces.append(f"CASE WHEN {t} IS NULL OR {t} = '' THEN {empty} ELSE {inline} END")
    head = """encode(concat('<row r="', rs, '"'))"""
    row = """encode(concat(' customHeight="1">', """ + ", ".join(pieces) + ", '</row>'))"
    most = f"greatest({', '.join(lines)})" if lines else "1"
    return (
        f"SELECT {', '.join([*keep, head + ' AS head', row + ' AS xml', most + ' AS lines', *wraps])} "
        f"FROM (SELECT {', '.join(inner)} FROM ({relation}))"
    )


_SQL_ILLEGAL = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x{FFFE}\x{FFFF}]"


def shared_strings_sql(texts: str) -> str:
    """SQL selecting `s`, `i`: the distinct texts `texts` selects (as `s`) that can be
    shared strings as they are (nothing to drop, not rich-text-looking), numbered
    from 0 in binary order. Seed a workbook's shared strings with them in that order
    (`Book.share`) and give a shared column's `s{j}` from them."""
    return (
        f"SELECT s, (row_number() OVER (ORDER BY s) - 1)::INTEGER AS i "
        f"FROM (SELECT DISTINCT s FROM ({texts})) "
        f"WHERE s IS NOT NULL AND s <> '' AND length(s) <= {MAX_TEXT} "
        f"AND NOT regexp_matches(s, {_q(_SQL_ILLEGAL)}) "
        "AND NOT (starts_with(s, '<r>') AND ends_with(s, '</r>'))"
    )


# `execute` hands its SQL to DuckDB as it is; `sql` first splits it into statements in
# Python (25 ms for a list's SQL, each call). DuckDB warns that Arrow from an
# `execute` result is a copy: it still costs less.
warnings.filterwarnings("ignore", "Arrow output on a DB-API result", UserWarning)


def arrow_table(con, sql: str, params: dict | None = None) -> pa.Table:
    """The result of `sql` as one Arrow table."""
    return con.execute(sql, params).to_arrow_table()


def arrow_batches(con, sql: str, params: dict | None = None, rows: int = 10_000):
    """The result of `sql` as Arrow record batches of about `rows` rows, read as they
    are used."""
    return con.execute(sql, params).to_arrow_reader(rows)


def finish(rows: Sequence[tuple], columns: Sequence[TableColumn]) -> bytes:
    """Rows of `rows_sql` as tuples (head, xml, lines, wrapped texts), in order, as
    `render` writes them."""
    if not rows:
        return b""
    names = ["head", "xml", "lines", *(f"w{j}" for j in _wrapped(columns))]
    return bytes(
        finish_table(pa.table(list(map(list, zip(*rows, strict=True))), names=names), columns)
    )


def _wrapped(columns: Sequence[TableColumn]) -> list[int]:
    return [j for j, c in enumerate(columns) if c.text and c.wrap_width]


def finish_table(
    table: pa.Table | pa.RecordBatch, columns: Sequence[TableColumn]
) -> bytes | memoryview:
    """Rows of `rows_sql` read as Arrow (`head`, `xml`, `lines`, `w<j>`), in order, as
    `render` writes them: heights measured a column at a time, put between each row's
    head and the rest by Arrow, the XML a view of Arrow's buffer (not copied). Nothing
    of a row becomes a Python object."""
    if not table.num_rows:
        return b""
    most = _numpy(table.column("lines")).astype(np.int64)
    for j in _wrapped(columns):
        # each distinct text measured once: strategies, provinces, targets repeat
        coded = pc.dictionary_encode(_combined(table.column(f"w{j}")))
        per = utf8_wrapped_lines(coded.dictionary, columns[j])
        most = np.maximum(most, per[_numpy(coded.indices)])
    size = max((c.size for c in columns), default=BASE_SIZE)
    heights, which = np.unique(np.minimum(most, MAX_LINES), return_inverse=True)
    ht = pa.array([f' ht="{_height(int(h), size)}"'.encode() for h in heights], pa.binary())
    out = pc.binary_join_element_wise(
        _combined(table.column("head")),
        ht.take(pa.array(which)),
        _combined(table.column("xml")),
        b"",
    )
    return _without_illegal(_data(out))


def runs(batches: Iterable[pa.RecordBatch], by: Sequence[str]) -> Iterator[tuple[tuple, pa.Table]]:
    """Consecutive rows of `batches` with equal values in the columns `by` (nulls equal
    to nulls), each run as one table with its values: a run may span batches, and
    only the run still open is held."""
    held: list[pa.RecordBatch] = []
    key: tuple | None = None
    for batch in batches:
        bounds = [0, *_run_starts(batch, by), batch.num_rows] if batch.num_rows else []
        for a, b in itertools.pairwise(bounds):
            at = tuple(batch.column(c)[a].as_py() for c in by)
            if held and at != key:
                yield key, pa.Table.from_batches(held)
                held = []
            key = at
            held.append(batch.slice(a, b - a))
    if held:
        yield key, pa.Table.from_batches(held)


def _run_starts(batch: pa.RecordBatch, by: Sequence[str]) -> list[int]:
    changed = np.zeros(max(batch.num_rows - 1, 0), bool)
    for c in by:
        x, y = batch.column(c).slice(1), batch.column(c).slice(0, batch.num_rows - 1)
        if pa.types.is_null(x.type):
            continue  # nulls only: one run
        same = pc.or_(pc.fill_null(pc.equal(x, y), False), pc.and_(pc.is_null(x), pc.is_null(y)))
        changed |= ~same.to_numpy(zero_copy_only=False)
    return (np.flatnonzero(changed) + 1).tolist()


def _combined(column) -> pa.Array:
    return column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column


def _numpy(column) -> np.ndarray:
    return _combined(column).to_numpy(zero_copy_only=False)


def _data(values: pa.Array) -> memoryview:
    """The values of a binary or string array joined: a view of its data buffer."""
    if not len(values):
        return memoryview(b"")
    large = pa.types.is_large_binary(values.type) or pa.types.is_large_string(values.type)
    kind = np.int64 if large else np.int32
    offsets = np.frombuffer(values.buffers()[1], kind)[
        values.offset : values.offset + len(values) + 1
    ]
    return memoryview(values.buffers()[2])[int(offsets[0]) : int(offsets[-1])]


def _without_illegal(out: memoryview) -> bytes | memoryview:
    """`out` without the characters XML refuses: C0 controls (ASCII bytes) and U+FFFE,
    U+FFFF (EF BF BE, EF BF BF). Two scans of a byte array say whether any can be
    there (they rarely are): its control bytes all tab, newline or return, no EF."""
    raw = np.frombuffer(out, np.uint8)
    controls = np.count_nonzero(raw < 0x20)
    if controls and controls != sum(np.count_nonzero(raw == b) for b in (9, 10, 13)):
        out = bytes(out).translate(None, _ILLEGAL_BYTES)
    if (raw == 0xEF).any():
        out = bytes(out)
        for nonchar in (b"\xef\xbf\xbe", b"\xef\xbf\xbf"):
            out = out.replace(nonchar, b"")
    return out


def wrapped_lines(texts: Sequence[str], column: TableColumn) -> np.ndarray:
    """`line_count` of each text in a wrapped column, a whole column at a time."""
    lengths = np.fromiter(map(len, texts), np.int64, len(texts))
    cps = np.frombuffer("".join(texts).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    return _lines(cps, np.concatenate(([0], np.cumsum(lengths))), column)


def utf8_wrapped_lines(texts: pa.Array, column: TableColumn) -> np.ndarray:
    """`wrapped_lines` of an Arrow string array (no nulls), read from its buffers: code
    points from the UTF-8 decoded once, each value's bounds from its length."""
    if not len(texts):
        return np.zeros(0, np.int64)
    cps = np.frombuffer(bytes(_data(texts)).decode("utf-8").encode("utf-32-le"), np.uint32)
    lengths = _numpy(pc.utf8_length(texts)).astype(np.int64)
    return _lines(cps, np.concatenate(([0], np.cumsum(lengths))), column)


def _lines(cps: np.ndarray, bounds: np.ndarray, column: TableColumn) -> np.ndarray:
    """`line_count` of each text `cps[bounds[i]:bounds[i + 1]]`: marks looked up in a
    table, widths summed between line ends (each line of a text is measured apart,
    as `line_count` does)."""
    n_texts = len(bounds) - 1
    breaks = np.flatnonzero(cps == 10)
    # each line ends at a newline or at its text's end; at one place a text's end
    # comes before the newline that starts the next text
    ends = np.concatenate((bounds[1:], breaks))
    order = np.argsort(np.concatenate((2 * bounds[1:], 2 * breaks + 1)), kind="stable")
    ends = ends[order]
    newline = order >= n_texts
    text_of = np.where(newline, np.searchsorted(bounds, ends, side="right") - 1, order)
    starts = np.concatenate(([0], ends[:-1] + newline[:-1]))
    counted = ~_mark_table()[np.minimum(cps, 0xFFFF)] | (cps > 0xFFFF)
    total = np.concatenate(([0], np.cumsum(counted & (cps != 10), dtype=np.int64)))
    per = per_line(column.wrap_width, column.size)
    lines = np.maximum(1, np.ceil((total[ends] - total[starts]) / per)).astype(np.int64)
    return np.bincount(text_of, weights=lines, minlength=n_texts).astype(np.int64)


# --------------------------------------------------------------------------- zip


@dataclass(frozen=True)
class Deflated:
    """A member's data compressed (raw deflate), with its CRC-32 and size. A part with
    a `key` (what it was rendered from) is one a later workbook may take again as it
    is: `ZipWriter.placed` says where it went in the file."""

    data: bytes
    crc: int
    size: int
    key: str = ""


def _compressor(level: int):
    # ISA-L's levels are 0-3; its 3 compresses about as well as zlib's 6
    return isal_zlib.compressobj(min(level, 3), isal_zlib.DEFLATED, -15)


def deflate(data: bytes, level: int = LEVEL) -> Deflated:
    c = _compressor(level)
    return Deflated(c.compress(data) + c.flush(), isal_zlib.crc32(data), len(data))


def deflate_part(data: bytes, level: int = LEVEL, key: str = "") -> Deflated:
    """A part of a member that more parts follow: it ends on a byte boundary without
    closing the stream, so parts compressed apart can be joined (`join_deflated`)."""
    c = _compressor(level)
    return Deflated(
        c.compress(data) + c.flush(isal_zlib.Z_SYNC_FLUSH), isal_zlib.crc32(data), len(data), key
    )


def join_deflated(parts: Sequence[Deflated]) -> Deflated:
    """Parts made by `deflate_part`, the last by `deflate`, as one member."""
    crc, size = 0, 0
    for p in parts:
        crc, size = crc32_combine(crc, p.crc, p.size), size + p.size
    return Deflated(b"".join(p.data for p in parts), crc, size)


def _gf2_times(mat: list[int], vec: int) -> int:
    out, i = 0, 0
    while vec:
        if vec & 1:
            out ^= mat[i]
        vec >>= 1
        i += 1
    return out


def _gf2_square(mat: list[int]) -> list[int]:
    return [_gf2_times(mat, m) for m in mat]


@lru_cache(maxsize=1)
def _zero_operators() -> list[list[int]]:
    """The CRC-32 operators that append 2**i zero bytes (i = 0..47), as 32x32 GF(2)
    matrices; zlib's crc32_combine computes them on every call."""
    m = [0xEDB88320] + [1 << i for i in range(31)]  # one zero bit
    for _ in range(3):
        m = _gf2_square(m)  # a zero byte
    ops = [m]
    for _ in range(47):
        ops.append(_gf2_square(ops[-1]))
    return ops


def crc32_combine(crc1: int, crc2: int, len2: int) -> int:
    """CRC-32 of A+B from the CRC-32s of A and B and the length of B (zlib's
    crc32_combine, which Python's zlib does not offer)."""
    for op in _zero_operators():
        if not len2:
            break
        if len2 & 1:
            crc1 = _gf2_times(op, crc1)
        len2 >>= 1
    return crc1 ^ crc2


_DOS_DATE = (0 << 11) | (0 << 5) | 0, ((1980 - 1980) << 9) | (1 << 5) | 1  # 1980-01-01 00:00


class ZipWriter:
    """A zip file written in one pass, deflated, with fixed timestamps: the same
    members in the same order give the same bytes. Members must stay under 4 GiB."""

    def __init__(self, fh: BinaryIO):
        self.fh = fh
        self.entries: list[tuple[bytes, int, int, int, int]] = []
        self.offset = 0
        # key -> (offset of its data in the file, compressed length, CRC-32, size) of
        # each keyed part written (`add_stream`)
        self.placed: dict[str, tuple[int, int, int, int]] = {}

    def _write(self, data: bytes) -> None:
        self.fh.write(data)
        self.offset += len(data)

    def add(self, name: str, data: bytes | Deflated, level: int = LEVEL) -> None:
        d = data if isinstance(data, Deflated) else deflate(data, level)
        if d.size >= 1 << 32 or len(d.data) >= 1 << 32 or self.offset >= 1 << 32:
            raise OverflowError(f"{name}: a workbook member of 4 GiB or more")
        raw = name.encode("utf-8")
        header_at = self.offset
        self._write(
            struct.pack(
                "<IHHHHHIIIHH",
                0x04034B50,
                20,
                0x0800,
                8,
                *_DOS_DATE,
                d.crc,
                len(d.data),
                d.size,
                len(raw),
                0,
            )
            + raw
        )
        self._write(d.data)
        self.entries.append((raw, d.crc, len(d.data), d.size, header_at))

    def add_stream(self, name: str, pieces: Iterable[bytes | Deflated], level: int = LEVEL) -> None:
        """A member from pieces compressed as they come (memory stays small); a
        `Deflated` piece (made by `deflate_part`) is used as it is."""
        parts: list[Deflated] = []
        c = _compressor(level)
        crc, size, out = 0, 0, []
        for piece in pieces:
            if isinstance(piece, Deflated):
                if size:
                    out.append(c.flush(isal_zlib.Z_SYNC_FLUSH))
                    parts.append(Deflated(b"".join(out), crc, size))
                    c = _compressor(level)
                    crc, size, out = 0, 0, []
                parts.append(piece)
            elif piece:
                out.append(c.compress(piece))
                crc, size = isal_zlib.crc32(piece, crc), size + len(piece)
        out.append(c.flush())
        parts.append(Deflated(b"".join(out), crc, size))
        joined = join_deflated(parts)
        self.add(name, joined)
        at = self.offset - len(joined.data)
        for p in parts:
            if p.key:
                self.placed[p.key] = (at, len(p.data), p.crc, p.size)
            at += len(p.data)

    def close(self) -> None:
        start = self.offset
        for raw, crc, csize, size, at in self.entries:
            self._write(
                struct.pack(
                    "<IHHHHHHIIIHHHHHII",
                    0x02014B50,
                    20,
                    20,
                    0x0800,
                    8,
                    *_DOS_DATE,
                    crc,
                    csize,
                    size,
                    len(raw),
                    0,
                    0,
                    0,
                    0,
                    0,
                    at,
                )
                + raw
            )
        self._write(
            struct.pack(
                "<IHHHHIIH",
                0x06054B50,
                0,
                0,
                len(self.entries),
                len(self.entries),
                self.offset - start,
                start,
                0,
            )
        )
