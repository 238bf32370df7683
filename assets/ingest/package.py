"""What an .xlsx/.xlsm package really holds, measured while inflating it.

The Rust readers allocate for what a file *declares* or for the rectangle its cells
span: a shared-strings count of 2^32-1 or one real cell at XFD1048576 makes them
abort the whole process, though Excel opens such files instantly. So before a reader
sees a package, every member is inflated in chunks with a hard byte cap, and the
cells, rows, merged ranges and error cells are counted as they pass. Limits are
decided on those measurements only; a declared dimension or count never refuses a
file. When the declarations are wrong, or the cells are spread too wide for a dense
read, `repaired_copy` writes a copy the reader can take (true counts, rows and
columns renumbered densely) and says how to map it back.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

from isal import isal_zlib

# Measured limits: far above any submission (100k projects x 20 columns is ~2M cells
# and ~150 MB of sheet XML), low enough that a bomb costs seconds, not the machine.
MAX_MEMBERS = 10_000
MAX_MEMBER_BYTES = 512 * 1024**2
MAX_TOTAL_BYTES = 1024**3
MAX_CELLS = 30_000_000
# Above this many cells in the rectangle a sheet's cells span, the reader would
# allocate gigabytes: the sheet is renumbered densely first.
MAX_DENSE_CELLS = 20_000_000
CHUNK = 1 << 20
# The error values the reader knows; a newer one (#SPILL!, #CALC!, …) makes it refuse
# the whole file, so the repaired copy shows #N/A there (the real text is put back).
READER_ERRORS = frozenset({"#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!"})
_ODD_ERROR_VALUE = re.compile(rb"<((?:\w+:)?v)>(#[A-Z_/0!?]+[!?]?)</\1>")
# Marks a formula put back by the reader, so a name typed as "=== …" is never taken
# for one (a private-use character nobody types).
FORMULA_MARK = "\ue000"


class PackageRefused(Exception):
    """Measured too large; `detail` says what was measured."""

    def __init__(self, detail: str):
        super().__init__(detail)
        self.detail = detail


@dataclass
class SheetFacts:
    part: str  # zip member, e.g. xl/worksheets/sheet1.xml
    cells: int = 0
    max_row: int = 0  # 1-based, 0 when empty
    max_col: int = 0  # 1-based
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)  # 0-based, inclusive
    errors: dict[tuple[int, int], str] = field(default_factory=dict)  # (row0, col0) -> "#REF!"
    cell_tag: bytes | None = None
    # Formulas saved without their result (files written by scripts, not by Excel):
    # (row0, col0) -> "=FORMULA"; the readers give such a cell as empty.
    formulas: dict[tuple[int, int], str] = field(default_factory=dict)

    @property
    def dense_cells(self) -> int:
        return self.max_row * self.max_col


@dataclass
class Package:
    sheets: dict[str, SheetFacts]  # by sheet name
    shared_strings: str | None = None  # member name
    strings_declared: tuple[int, ...] = ()
    strings_measured: int = 0
    inflated_bytes: int = 0

    @property
    def strings_wrong(self) -> bool:
        return any(n != self.strings_measured for n in self.strings_declared)

    @property
    def needs_repair(self) -> bool:
        return (
            self.strings_wrong
            or bool(self.wide_sheets())
            or any(set(f.errors.values()) - READER_ERRORS for f in self.sheets.values())
        )

    def wide_sheets(self) -> list[str]:
        return [n for n, f in self.sheets.items() if f.dense_cells > MAX_DENSE_CELLS]


_REF = re.compile(rb"([A-Z]{1,3})([0-9]{1,7})")
_ROW_NUM = re.compile(rb"<(?:\w+:)?row\b[^>]*?\sr=\"([0-9]+)\"")
_WIDE_REF = re.compile(rb" r=\"([A-Z]{2,3})[0-9]")
_MERGE = re.compile(rb"<(?:\w+:)?mergeCell\b[^>]*?\sref=\"([A-Za-z0-9:$]+)\"")
_ERROR_CELL = re.compile(
    rb"<(?:\w+:)?c\b([^>]*?\st=\"e\"[^>]*?)(?:/>|>(.*?)</(?:\w+:)?c>)", re.DOTALL
)
_UNCACHED = re.compile(
    rb"<(?:\w+:)?c\b([^>]*?)>\s*<(?:\w+:)?f\b[^>]*?(?:/>|>([^<]*)</(?:\w+:)?f>)\s*"
    rb"(?:<(?:\w+:)?v\s*/>|<(?:\w+:)?v>\s*</(?:\w+:)?v>)?\s*</(?:\w+:)?c>"
)
_VALUE = re.compile(rb"<(?:\w+:)?v>([^<]*)</(?:\w+:)?v>")
_R_ATTR = re.compile(rb"\sr=\"([A-Z]{1,3})([0-9]{1,7})\"")
_SST_ITEM = re.compile(rb"<(?:\w+:)?si[\s>/]")


def column_number(letters: bytes | str) -> int:
    """Excel letters to a 1-based column number (A -> 1, XFD -> 16384)."""
    n = 0
    for ch in letters.encode() if isinstance(letters, str) else letters:
        n = n * 26 + ch - 64
    return n


def _parse_range(ref: bytes) -> tuple[int, int, int, int] | None:
    parts = [_REF.fullmatch(p.replace(b"$", b"")) for p in ref.upper().split(b":")]
    if not parts or not all(parts) or len(parts) > 2:
        return None
    (c0, r0), (c1, r1) = (parts[0].groups(), parts[-1].groups())
    return (int(r0) - 1, column_number(c0) - 1, int(r1) - 1, column_number(c1) - 1)


def inflate_chunks(zf: zipfile.ZipFile, info: zipfile.ZipInfo, budget: list[int]):
    """Inflate one member in chunks, charging every byte to the caps."""
    size = 0
    with zf.open(info) as fh:
        if info.compress_type == zipfile.ZIP_DEFLATED and hasattr(fh, "_decompressor"):
            # ISA-L inflates at twice zlib's speed; zipfile still bounds each read
            # (max_length) and checks the CRC.
            fh._decompressor = isal_zlib.decompressobj(-15)
        while chunk := fh.read(CHUNK):
            size += len(chunk)
            budget[0] += len(chunk)
            if size > MAX_MEMBER_BYTES:
                raise PackageRefused(
                    f"member {info.filename} inflates past {MAX_MEMBER_BYTES // 1024**2} MB"
                )
            if budget[0] > MAX_TOTAL_BYTES:
                raise PackageRefused(f"the package inflates past {MAX_TOTAL_BYTES // 1024**2} MB")
            yield chunk


def _small_xml(zf: zipfile.ZipFile, name: str, budget: list[int]) -> ElementTree.Element | None:
    try:
        info = zf.getinfo(name)
    except KeyError:
        return None
    data = b"".join(inflate_chunks(zf, info, budget))
    try:
        return ElementTree.fromstring(data)
    except ElementTree.ParseError:
        return None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _sheet_parts(zf: zipfile.ZipFile, budget: list[int]) -> dict[str, str]:
    """Sheet name -> worksheet member, from the workbook and its relationships."""
    workbook = next(
        (n for n in ("xl/workbook.xml", "xl/workbook.bin") if n in zf.NameToInfo), "xl/workbook.xml"
    )
    root = _small_xml(zf, workbook, budget)
    rels = _small_xml(zf, "xl/_rels/workbook.xml.rels", budget)
    if root is None or rels is None:
        return {}
    targets = {}
    for rel in rels:
        target = rel.get("Target") or ""
        target = (
            target.lstrip("/")
            if target.startswith("/")
            else posixpath.normpath(posixpath.join("xl", target))
        )
        targets[rel.get("Id")] = target
    out = {}
    for el in root.iter():
        if _local(el.tag) == "sheet":
            rid = next((v for k, v in el.attrib.items() if _local(k) == "id"), None)
            if rid in targets and el.get("name") is not None:
                out[el.get("name")] = targets[rid]
    return out


def _measure_sheet(facts: SheetFacts, chunks) -> None:
    """Count cells, rows and far columns; collect merges and error cells. A chunk is
    cut before its last cell start so no token straddles two passes."""
    tail = b""
    for chunk in chunks:
        data = tail + chunk
        # Cut after the last closed cell (or, in a run of empty styled cells, the last
        # self-closed element): never inside a tag, rarely inside an error cell.
        end = data.rfind(b"</c>")
        cut = end + 4 if end >= 0 else data.rfind(b"/>") + 2
        if cut <= 1:
            cut = 0 if len(data) < 16 * CHUNK else len(data)
        _measure_text(facts, data[:cut])
        tail = data[cut:]
    _measure_text(facts, tail)


def _measure_text(facts: SheetFacts, text: bytes) -> None:
    if not text:
        return
    if facts.cell_tag is None:  # "<c " or, in a prefixed package, "<x:c "
        m = re.search(rb"<(\w+:)?worksheet\b", text)
        facts.cell_tag = b"<" + (m.group(1) or b"" if m else b"") + b"c "
    facts.cells += text.count(facts.cell_tag)
    if facts.cells > MAX_CELLS:
        raise PackageRefused(f"sheet {facts.part} holds more than {MAX_CELLS:,} cells")
    # Rows come in order: the last row tag of the text holds the highest number so far.
    last = max(text.rfind(b"<row "), text.rfind(b":row "))
    if last >= 0 and (m := _ROW_NUM.match(text, text.rfind(b"<", 0, last + 1))):
        facts.max_row = max(facts.max_row, int(m.group(1)))
    if facts.cells:
        facts.max_col = max(facts.max_col, 26)
    for letters in set(_WIDE_REF.findall(text)):
        facts.max_col = max(facts.max_col, column_number(letters))
    if b"mergeCell" in text:
        for m in _MERGE.finditer(text):
            rng = _parse_range(m.group(1))
            if rng:
                facts.merges.append(rng)
    if b"<f" in text:
        for m in _UNCACHED.finditer(text):
            ref = _R_ATTR.search(m.group(1))
            if ref:
                key = (int(ref.group(2)) - 1, column_number(ref.group(1)) - 1)
                facts.formulas[key] = (
                    FORMULA_MARK + "=" + (m.group(2) or b"").decode("utf-8", "replace")
                )
    if b't="e"' in text:
        for m in _ERROR_CELL.finditer(text):
            ref = _R_ATTR.search(m.group(1))
            value = _VALUE.search(m.group(2) or b"")
            if ref:
                key = (int(ref.group(2)) - 1, column_number(ref.group(1)) - 1)
                facts.errors[key] = (
                    value.group(1).decode("utf-8", "replace").strip() if value else ""
                ) or "#VALUE!"


def _members(zf: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    infos = zf.infolist()
    if len(infos) > MAX_MEMBERS:
        raise PackageRefused(f"{len(infos):,} members in the package")
    return [info for info in infos if not info.is_dir()]


def inflate_all(path: Path) -> None:
    """Inflate every member of any zip package (.ods) under the same caps, so a bomb is
    refused on measured bytes before a reader sees it."""
    budget = [0]
    with zipfile.ZipFile(path) as zf:
        for info in _members(zf):
            for _ in inflate_chunks(zf, info, budget):
                pass


def measure(path: Path) -> Package:
    """Inflate and measure every member of an .xlsx/.xlsm (raises PackageRefused,
    zipfile.BadZipFile)."""
    budget = [0]
    with zipfile.ZipFile(path) as zf:
        infos = _members(zf)
        parts = _sheet_parts(zf, budget)
        by_part = {part: name for name, part in parts.items()}
        pkg = Package(sheets={})
        for info in infos:
            name = info.filename
            if name in by_part:
                facts = SheetFacts(part=name)
                _measure_sheet(facts, inflate_chunks(zf, info, budget))
                pkg.sheets[by_part[name]] = facts
            elif name.endswith("sharedStrings.xml"):
                pkg.shared_strings = name
                head = b""
                for chunk in inflate_chunks(zf, info, budget):
                    if len(head) < 4096:
                        head += chunk[:4096]
                    pkg.strings_measured += len(_SST_ITEM.findall(chunk))
                tag = re.search(rb"<(?:\w+:)?sst\b[^>]*>", head)
                if tag:
                    pkg.strings_declared = tuple(
                        int(n)
                        for n in re.findall(rb"\s(?:count|uniqueCount)=\"([0-9]+)\"", tag.group(0))
                    )
            else:
                for _ in inflate_chunks(zf, info, budget):
                    pass
        pkg.inflated_bytes = budget[0]
    return pkg


@dataclass
class Renumbered:
    rows: list[int]  # dense row i (0-based) -> Excel row number (1-based)
    cols: list[int]  # dense column j (0-based) -> absolute 0-based column


def repaired_copy(path: Path, pkg: Package, target: Path) -> dict[str, Renumbered]:
    """A copy the reader can take: true shared-string counts, error values it knows,
    and each over-wide sheet renumbered densely (its merges and error cells stay in `pkg`, in real
    coordinates). Returns the renumbering of each renumbered sheet."""
    wide = {pkg.sheets[n].part: n for n in pkg.wide_sheets()}
    parts_with_odd_errors = {
        f.part for f in pkg.sheets.values() if set(f.errors.values()) - READER_ERRORS
    }
    maps: dict[str, Renumbered] = {}
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == pkg.shared_strings and pkg.strings_wrong:
                data = _true_counts(data, pkg.strings_measured)
            elif info.filename in wide:
                data, maps[wide[info.filename]] = _renumber(data, pkg.sheets[wide[info.filename]])
            if info.filename in parts_with_odd_errors:
                data = _ODD_ERROR_VALUE.sub(
                    lambda m: (
                        m.group(0)
                        if m.group(2).decode() in READER_ERRORS
                        else b"<" + m.group(1) + b">#N/A</" + m.group(1) + b">"
                    ),
                    data,
                )
            zout.writestr(info, data)
    return maps


def _true_counts(data: bytes, measured: int) -> bytes:
    tag = re.search(rb"<(?:\w+:)?sst\b[^>]*>", data[:4096])
    if not tag:
        return data
    fixed = re.sub(
        rb"(\s(?:count|uniqueCount)=\")[0-9]+", rb"\g<1>" + str(measured).encode(), tag.group(0)
    )
    return data[: tag.start()] + fixed + data[tag.end() :]


_CELL_REF_ATTR = re.compile(rb"(<(?:\w+:)?c\b[^>]*?\sr=\")([A-Z]{1,3})([0-9]{1,7})\"")
_ROW_REF_ATTR = re.compile(rb"(<(?:\w+:)?row\b[^>]*?\sr=\")([0-9]+)\"")
_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\b[^>]*/>")
_MERGES = re.compile(rb"<(?:\w+:)?mergeCells\b.*?</(?:\w+:)?mergeCells>", re.DOTALL)


def _letters(n: int) -> bytes:
    out = b""
    while n:
        n, rem = divmod(n - 1, 26)
        out = bytes([65 + rem]) + out
    return out


def _renumber(data: bytes, facts: SheetFacts) -> tuple[bytes, Renumbered]:
    rows = sorted({int(r) for _, _, r in _CELL_REF_ATTR.findall(data)})
    cols = sorted({column_number(c) for _, c, _ in _CELL_REF_ATTR.findall(data)})
    if len(rows) * len(cols) > MAX_DENSE_CELLS:
        raise PackageRefused(
            f"sheet {facts.part} spreads {facts.cells:,} cells over "
            f"{len(rows):,} rows x {len(cols):,} columns"
        )
    row_at = {r: i + 1 for i, r in enumerate(rows)}
    col_at = {c: _letters(j + 1) for j, c in enumerate(cols)}
    data = _CELL_REF_ATTR.sub(
        lambda m: (
            m.group(1)
            + col_at[column_number(m.group(2))]
            + str(row_at[int(m.group(3))]).encode()
            + b'"'
        ),
        data,
    )
    data = _ROW_REF_ATTR.sub(
        lambda m: m.group(1) + str(row_at.get(int(m.group(2)), 1)).encode() + b'"', data
    )
    data = _DIMENSION.sub(b"", data, count=1)
    data = _MERGES.sub(b"", data)
    return data, Renumbered(rows=rows, cols=[c - 1 for c in cols])
