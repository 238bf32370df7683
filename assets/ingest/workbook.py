"""Reading a workbook into plain grids of text, safely and fast.

fastexcel (Rust calamine) reads .xlsx/.xlsm/.xls/.ods 10x faster than openpyxl.
Every cell is read as text: numbers come back as their exact decimal text (so
budgets never pass through a float we made), dates as ISO text. Because the
Rust readers abort the whole process on some hostile files, callers run this
in a child process (see `isolation.py`) after `precheck` has refused the
obvious zip bombs.
"""

from __future__ import annotations

import bisect
import io
import tempfile
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from stiplan.assets.ingest.package import (
    Package,
    PackageRefused,
    inflate_all,
    measure,
    repaired_copy,
)
from stiplan.schemas.problems import Problem

READABLE = (".xlsx", ".xlsm", ".xls", ".ods")


class UnreadableFile(Exception):
    """The file cannot be read as a workbook: `problem` says why."""

    def __init__(self, code: str, detail: str):
        super().__init__(detail)
        self.problem = Problem.of(code, detail)

    @property
    def code(self) -> str:
        return self.problem.code

    @property
    def detail(self) -> str:
        return self.problem.detail


@dataclass
class Sheet:
    name: str
    hidden: bool
    columns: list[int]  # absolute 0-based column index of each column in `cells`
    cells: list[list[str | None]]  # column-major; cells[j][i] is grid row i
    # Excel row number of each grid row; None when grid row i is Excel row i + 1.
    row_numbers: list[int] | None = None
    # Merged ranges in absolute 0-based (first row, first col, last row, last col).
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)

    @property
    def height(self) -> int:
        return len(self.cells[0]) if self.cells else 0

    def row(self, i: int) -> list[str | None]:
        return [col[i] for col in self.cells]

    def excel_row(self, i: int) -> int:
        return self.row_numbers[i] if self.row_numbers is not None else i + 1

    def grid_row(self, excel_row: int) -> int | None:
        """Grid index of an Excel row number, None when the grid has no such row."""
        if self.row_numbers is None:
            return excel_row - 1 if 0 < excel_row <= self.height else None
        i = bisect.bisect_left(self.row_numbers, excel_row)
        return i if i < self.height and self.row_numbers[i] == excel_row else None


def column_letter(index: int) -> str:
    """0-based column index to Excel letters (0 -> A, 26 -> AA)."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def precheck(path: Path) -> Package | None:
    """Refuse, before any parser sees it, a file that is not a workbook type or whose
    package measures (not declares) too large; the measurements of an .xlsx/.xlsm."""
    suffix = path.suffix.lower()
    if suffix not in READABLE:
        raise UnreadableFile("file_type_unsupported", f"'{suffix or 'no extension'}'")
    if suffix == ".xls":
        return None  # OLE2, not a zip; sizes are bounded by the file itself
    try:
        if suffix == ".ods":
            inflate_all(path)
            return None
        return measure(path)
    except PackageRefused as exc:
        raise UnreadableFile("file_too_large", exc.detail) from exc
    except zipfile.BadZipFile as exc:
        raise UnreadableFile("file_unreadable", f"not a valid {suffix} file: {exc}") from exc
    except Exception as exc:  # noqa: BLE001 - any zip damage is the file's fault
        raise UnreadableFile("file_unreadable", f"{type(exc).__name__}: {exc}") from exc


def read_workbook(path: Path, max_rows: int | None = None) -> list[Sheet]:
    """Every sheet (hidden ones too) as a grid of text; `max_rows` reads only
    the top of each sheet (routing needs the title rows and header only)."""
    pkg = precheck(path)
    try:
        with tempfile.TemporaryDirectory(prefix="stiplan-read-") as tmp:
            source, renumbered = path, {}
            if pkg is not None and pkg.needs_repair:
                source = Path(tmp) / ("repaired" + path.suffix.lower())
                renumbered = repaired_copy(path, pkg, source)
            sheets = _read_grids(source, max_rows, renumbered)
        if pkg is not None:
            for sheet in sheets:
                facts = pkg.sheets.get(sheet.name)
                if facts is not None:
                    sheet.merged = facts.merges
                    _place_errors(sheet, facts.errors)
                    _place_errors(sheet, facts.formulas)
        elif path.suffix.lower() == ".ods":
            _ods_merges(path, sheets)
        elif path.suffix.lower() == ".xls":
            _calamine_merges(path, sheets)
            _xls_errors(path, sheets)
        return sheets
    except UnreadableFile:
        raise
    except PackageRefused as exc:
        raise UnreadableFile("file_too_large", exc.detail) from exc
    except Exception as exc:  # noqa: BLE001 - whatever the reader says, the file is unreadable
        raise UnreadableFile("file_unreadable", f"{type(exc).__name__}: {exc}") from exc


def _read_grids(source: Path, max_rows: int | None, renumbered: dict) -> list[Sheet]:
    import fastexcel  # imported here: the child process pays for it, not the sensor

    reader = fastexcel.read_excel(_openable(source))
    sheets = []
    for name in reader.sheet_names:
        sheet = reader.load_sheet(
            name, header_row=None, dtypes="string", skip_rows=0, n_rows=max_rows
        )
        table = sheet.to_arrow()
        columns = [c.absolute_index for c in sheet.available_columns()]
        cells = [_column_text(table.column(i)) for i in range(table.num_columns)]
        rows = None
        if name in renumbered:
            dense = renumbered[name]
            columns = [dense.cols[c] if c < len(dense.cols) else c for c in columns]
            height = len(cells[0]) if cells else 0
            # Dense row 1 is the first real row; rows the reader pads past the end
            # keep counting from the last real one.
            rows = [
                dense.rows[i] if i < len(dense.rows) else dense.rows[-1] + i for i in range(height)
            ]
        sheets.append(
            Sheet(
                name=name,
                hidden=sheet.visible != "visible",
                columns=columns,
                cells=cells,
                row_numbers=rows,
            )
        )
    return sheets


def _openable(path: Path) -> str | bytes:
    """The readers take a path only as UTF-8 text; a name that is not (code page 874
    bytes from a Thai Windows zip) is read from its bytes instead."""
    text = str(path)
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return path.read_bytes()


def _place_errors(sheet: Sheet, errors: dict[tuple[int, int], str], replace: bool = False) -> None:
    """The readers give an error cell (or a formula saved without its result) as empty;
    put back what Excel shows (#REF!) or the formula, so the row says what is wrong."""
    if not errors:
        return
    pos = {c: j for j, c in enumerate(sheet.columns)}
    for (r0, c0), text in errors.items():
        i = sheet.grid_row(r0 + 1)
        j = pos.get(c0)
        if i is not None and j is not None and (replace or sheet.cells[j][i] is None):
            sheet.cells[j][i] = text


_ODS_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"


_CALCEXT_TYPE = "{urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0}value-type"


def _ods_merges(path: Path, sheets: list[Sheet]) -> None:
    """Merged ranges and error cells of an .ods, from content.xml (its size was measured
    by `precheck`). Repeated rows and cells are counted, never expanded. LibreOffice
    marks a failed formula `calcext:value-type="error"` and the readers give its cached
    number: what the cell shows (#DIV/0!, Err:502) is put back."""
    from xml.etree.ElementTree import iterparse

    by_name = {s.name: s for s in sheets}
    t = _ODS_TABLE
    errors: dict[str, dict[tuple[int, int], str]] = {}
    try:
        with zipfile.ZipFile(_openable_file(path)) as zf, zf.open("content.xml") as fh:
            sheet, row, col, name, error_at = None, -1, 0, None, None
            for event, el in iterparse(fh, events=("start", "end")):
                tag = el.tag
                if event == "start" and tag == t + "table":
                    name = el.get(t + "name")
                    sheet, row = by_name.get(name), -1
                elif event == "start" and tag == t + "table-row":
                    row, col = row + 1, 0
                elif event == "end" and tag == t + "table-row":
                    row += int(el.get(t + "number-rows-repeated", "1")) - 1
                    el.clear()
                elif event == "start" and tag in (t + "table-cell", t + "covered-table-cell"):
                    rows = int(el.get(t + "number-rows-spanned", "1"))
                    cols = int(el.get(t + "number-columns-spanned", "1"))
                    if sheet is not None and (rows > 1 or cols > 1):
                        sheet.merged.append((row, col, row + rows - 1, col + cols - 1))
                    error_at = (row, col) if el.get(_CALCEXT_TYPE) == "error" else None
                    col += int(el.get(t + "number-columns-repeated", "1"))
                elif event == "end" and tag == t + "table-cell" and error_at is not None:
                    text = "".join(el.itertext()).strip() or "#VALUE!"
                    errors.setdefault(name, {})[error_at] = text
                    error_at = None
    except Exception:  # noqa: BLE001 - a refinement; the values are already read
        pass
    for name, found in errors.items():
        if name in by_name:
            _place_errors(by_name[name], found, replace=True)


def _openable_file(path: Path):
    where = _openable(path)
    return where if isinstance(where, str) else io.BytesIO(where)


def _xls_errors(path: Path, sheets: list[Sheet]) -> None:
    """Error cells of a legacy .xls (both Rust readers give them as empty): xlrd keeps
    each cell's type. A refinement only: a file xlrd cannot read keeps its values."""
    try:
        import xlrd

        where = _openable(path)
        book = (
            xlrd.open_workbook(where, on_demand=True)
            if isinstance(where, str)
            else xlrd.open_workbook(file_contents=where, on_demand=True)
        )
        by_name = {s.name: s for s in sheets}
        for name in book.sheet_names():
            sheet = by_name.get(name)
            if sheet is None:
                continue
            xs = book.sheet_by_name(name)
            errors = {}
            for r in range(min(xs.nrows, sheet.height)):
                types = xs.row_types(r)
                if xlrd.XL_CELL_ERROR in types:
                    for c, t in enumerate(types):
                        if t == xlrd.XL_CELL_ERROR:
                            errors[(r, c)] = xlrd.error_text_from_code.get(
                                xs.cell_value(r, c), "#VALUE!"
                            )
            _place_errors(sheet, errors)
            book.unload_sheet(name)
    except Exception:  # noqa: BLE001
        pass


def _calamine_merges(path: Path, sheets: list[Sheet]) -> None:
    """Merged ranges of .xls (fastexcel does not expose them)."""
    try:
        import python_calamine

        where = _openable(path)
        book = (
            python_calamine.CalamineWorkbook.from_path(where)
            if isinstance(where, str)
            else python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(where))
        )
        for sheet in sheets:
            ranges = book.get_sheet_by_name(sheet.name).merged_cell_ranges or []
            sheet.merged = [(r0, c0, r1, c1) for (r0, c0), (r1, c1) in ranges]
    except Exception:  # noqa: BLE001 - merges are a refinement; the values are already read
        pass


# fastexcel renders some float cells with 17-19 significant digits ("651627595.274999976"
# for a cell holding 651627595.275), so a half satang would round down. Decimal text with
# more than 15 significant digits is such a rendering (nobody types it, Excel shows 15):
# put back the shortest text of the same float, what the cell shows and what DESIGN.md's
# `Decimal(str(x))` means. Found with pyarrow regexes so the common cells cost no Python
# (not pc.greater or fill_null: their first call costs 0.3 s, in every child process).
# One pattern, one pass over the column: -?a digits . b digits with a, b >= 1 and a + b >= 16,
# spelled out per length of the whole part (RE2 has no lookahead to count the length).
_LONG_FLOAT_TEXT = (
    r"^-?(?:"
    + "|".join(f"[0-9]{{{a}}}\\.[0-9]{{{16 - a},}}" for a in range(1, 16))
    + r"|[0-9]{16,}\.[0-9]+)$"
)


def _column_text(column) -> list[str | None]:
    import pyarrow as pa
    import pyarrow.compute as pc

    values = column.to_pylist()
    if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        return values
    suspect = pc.match_substring_regex(column, _LONG_FLOAT_TEXT)
    for i in pc.indices_nonzero(suspect).to_pylist():  # nulls (empty cells) are skipped
        text = repr(float(values[i]))
        values[i] = format(Decimal(text), "f") if "e" in text else text  # no 1e+16
    return values
