"""Reading a workbook into plain grids of text, safely and fast.

fastexcel (Rust calamine) reads .xlsx/.xlsm/.xls/.ods 10x faster than openpyxl.
Every cell is read as text: numbers come back as their exact decimal text (so
budgets never pass through a float we made), dates as ISO text. Because the
Rust readers abort the whole process on some hostile files, callers run this
in a child process (see `isolation.py`) after `precheck` has refused the
obvious zip bombs.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

READABLE = (".xlsx", ".xlsm", ".xls", ".ods")

# Limits for a submission of a few thousand projects, with a wide margin.
MAX_MEMBER_BYTES = 400 * 1024 * 1024
MAX_TOTAL_BYTES = 800 * 1024 * 1024
MAX_RATIO = 200  # uncompressed / compressed for one zip member
MAX_SHARED_STRINGS = 5_000_000
MAX_ROWS = 1_048_576
MAX_CELLS = 60_000_000


class UnreadableFile(Exception):
    """The file cannot be read as a workbook; `code` is a reason code."""

    def __init__(self, code: str, detail: str):
        super().__init__(detail)
        self.code = code
        self.detail = detail


@dataclass
class Sheet:
    name: str
    hidden: bool
    columns: list[int]  # absolute 0-based column index of each column in `cells`
    cells: list[list[str | None]]  # column-major; cells[j][i] is Excel row i + 1

    @property
    def height(self) -> int:
        return len(self.cells[0]) if self.cells else 0

    def row(self, i: int) -> list[str | None]:
        return [col[i] for col in self.cells]


def column_letter(index: int) -> str:
    """0-based column index to Excel letters (0 -> A, 26 -> AA)."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


_CELL_REF = re.compile(r"([A-Z]{1,3})(\d+)")


def _ref_size(ref: str) -> tuple[int, int]:
    """(rows, cols) spanned by a dimension like A1:XFD1048576."""
    parts = ref.split(":")
    end = _CELL_REF.fullmatch(parts[-1].upper())
    if not end:
        return 0, 0
    col = 0
    for ch in end.group(1):
        col = col * 26 + ord(ch) - 64
    return int(end.group(2)), col


def precheck(path: Path) -> None:
    """Refuse, before any parser sees it, a zip whose declared sizes or sheet
    dimensions would make the Rust readers allocate gigabytes up front."""
    suffix = path.suffix.lower()
    if suffix not in READABLE:
        raise UnreadableFile("file_type_unsupported", f"'{suffix or 'no extension'}'")
    if suffix == ".xls":
        return  # OLE2, not a zip; sizes are bounded by the file itself
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            total = 0
            for info in infos:
                total += info.file_size
                ratio = info.file_size / max(info.compress_size, 1)
                if info.file_size > MAX_MEMBER_BYTES or (
                    ratio > MAX_RATIO and info.file_size > 50 * 1024 * 1024
                ):
                    raise UnreadableFile("file_too_large", f"member {info.filename} declares "
                                         f"{info.file_size:,} bytes")
            if total > MAX_TOTAL_BYTES:
                raise UnreadableFile("file_too_large", f"{total:,} bytes uncompressed")
            for info in infos:
                name = info.filename
                if name == "xl/sharedStrings.xml":
                    head = _head(zf, name)
                    m = re.search(rb'uniqueCount="(\d+)"', head) or re.search(rb'count="(\d+)"', head)
                    if m and int(m.group(1)) > MAX_SHARED_STRINGS:
                        raise UnreadableFile("file_too_large",
                                             f"shared-strings table declares {int(m.group(1)):,} entries")
                elif name.startswith("xl/worksheets/") and name.endswith(".xml"):
                    m = re.search(rb'<(?:\w+:)?dimension ref="([A-Za-z0-9:]+)"', _head(zf, name))
                    if m:
                        rows, cols = _ref_size(m.group(1).decode())
                        if rows > MAX_ROWS or rows * cols > MAX_CELLS:
                            raise UnreadableFile("file_too_large",
                                                 f"sheet declares {rows:,} rows x {cols:,} columns")
    except zipfile.BadZipFile as exc:
        raise UnreadableFile("file_unreadable", f"not a valid {suffix} file: {exc}") from exc
    except UnreadableFile:
        raise
    except Exception as exc:  # noqa: BLE001 - any zip damage is the file's fault
        raise UnreadableFile("file_unreadable", f"{type(exc).__name__}: {exc}") from exc


def _head(zf: zipfile.ZipFile, name: str, size: int = 4096) -> bytes:
    with zf.open(name) as fh:
        return fh.read(size)


def read_workbook(path: Path, max_rows: int | None = None) -> list[Sheet]:
    """Every sheet (hidden ones too) as a grid of text; `max_rows` reads only
    the top of each sheet (routing needs the title rows and header only)."""
    import fastexcel  # imported here: the child process pays for it, not the sensor

    precheck(path)
    try:
        reader = fastexcel.read_excel(str(path))
        sheets = []
        for name in reader.sheet_names:
            sheet = reader.load_sheet(name, header_row=None, dtypes="string", skip_rows=0,
                                      n_rows=max_rows)
            table = sheet.to_arrow()
            columns = [c.absolute_index for c in sheet.available_columns()]
            cells = [_column_text(table.column(i)) for i in range(table.num_columns)]
            sheets.append(Sheet(name=name, hidden=sheet.visible != "visible",
                                columns=columns, cells=cells))
        return sheets
    except UnreadableFile:
        raise
    except Exception as exc:  # noqa: BLE001 - whatever the reader says, the file is unreadable
        raise UnreadableFile("file_unreadable", f"{type(exc).__name__}: {exc}") from exc


# fastexcel renders some float cells with 17-19 significant digits ("651627595.274999976"
# for a cell holding 651627595.275), so a half satang would round down. Decimal text with
# more than 15 significant digits is such a rendering (nobody types it, Excel shows 15):
# put back the shortest text of the same float, what the cell shows and what DESIGN.md's
# `Decimal(str(x))` means. Found with pyarrow regexes so the common cells cost no Python
# (not pc.greater or fill_null: their first call costs 0.3 s, in every child process).
_FLOAT_TEXT = r"^-?[0-9]+\.[0-9]+$"
_LONG_NUMBER = r"^-?[0-9.]{17,}$"  # 16+ digits and the point


def _column_text(column) -> list[str | None]:
    import pyarrow as pa
    import pyarrow.compute as pc

    values = column.to_pylist()
    if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        return values
    suspect = pc.and_(pc.match_substring_regex(column, _LONG_NUMBER),
                      pc.match_substring_regex(column, _FLOAT_TEXT))
    for i in pc.indices_nonzero(suspect).to_pylist():  # nulls (empty cells) are skipped
        text = repr(float(values[i]))
        values[i] = format(Decimal(text), "f") if "e" in text else text  # no 1e+16
    return values
