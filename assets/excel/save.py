"""The one way stiplan saves a file it hands out: reproducible and atomic.

- `write_atomically(path, write)` — `write(fh)` fills a temporary file beside `path`
  (`.<name>.<random>.tmp`, the pattern `lock.sweep` removes after a kill), made mode
  0644 (outputs are read by everyone, not the 0600 `mkstemp` gives), then renamed over
  `path`: a reader never opens half a file.
- `Members` — a zip's members as a writer makes them (xlsxwriter, openpyxl), kept in
  order, uncompressed, for `pack` to write with fixed timestamps.
- `pack(fh, members, level)` — the members as a zip whose bytes depend on nothing but
  the members (`stream.ZipWriter`).
- `fixed_time(when)` — a workbook's document date: `when` in UTC to the second, or a
  fixed one when there is none (never the clock).
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import BinaryIO

FILE_MODE = 0o644
NO_DATE = dt.datetime(2000, 1, 1)  # a workbook's date when it has none of its own


def write_atomically(
    path: Path, write: Callable[[BinaryIO], None], *, durable: bool = False
) -> Path:
    """Write `path` through `write(fh)`, atomically, mode 0644; `durable` also syncs
    it to disk before the rename (stamps that say what is already written)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name[:80]}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, FILE_MODE)
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            if durable:
                fh.flush()
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_bytes(path: Path, data: bytes, *, durable: bool = False) -> Path:
    return write_atomically(path, lambda fh: fh.write(data), durable=durable)


class Members:
    """Stands in for the `zipfile.ZipFile` a workbook writer writes into: the members
    are kept as they come (names in order, data uncompressed), so `pack` compresses
    them once, with fixed timestamps."""

    compression = zipfile.ZIP_DEFLATED

    def __init__(self):
        self.members: list[tuple[str, bytes]] = []

    def writestr(self, info: zipfile.ZipInfo | str, data: bytes | str) -> None:
        name = info.filename if isinstance(info, zipfile.ZipInfo) else info
        self.members.append((name, data.encode("utf-8") if isinstance(data, str) else data))

    def write(self, filename: str, arcname: str) -> None:  # openpyxl's worksheets
        self.writestr(arcname, Path(filename).read_bytes())

    def namelist(self) -> list[str]:
        return [name for name, _ in self.members]

    def close(self) -> None:
        pass


def pack(fh: BinaryIO, members: Iterable[tuple[str, bytes]], level: int = 6) -> None:
    # imported here: the stamps save through this module without the writers' imports
    from stiplan.assets.excel.stream import ZipWriter

    zw = ZipWriter(fh)
    for name, data in members:
        zw.add(name, data, level=level)
    zw.close()


def fixed_time(when: dt.datetime | None) -> dt.datetime:
    if not isinstance(when, dt.datetime):
        return NO_DATE
    if when.tzinfo is not None:
        when = when.astimezone(dt.UTC).replace(tzinfo=None)
    return when.replace(microsecond=0)
