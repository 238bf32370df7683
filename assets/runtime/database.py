"""Opening the plan databases the one safe way for readers, and making a new file
durable before it is swapped in."""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

# DuckDB's memory for the output writers' reading of a plan snapshot, in the run's
# process and in each worker: by default it keeps most of the machine's memory for a
# query (a million-row plan's province digests: 1.1 GB, beside two workers holding as
# much); within it, it spills. One value for every connection to a snapshot in a
# process: DuckDB refuses a second connection to a file with another.
SNAPSHOT_MEMORY_LIMIT = "320MB"

# The plan is written in the storage format of DuckDB 1.0, which every 1.x client and
# the BI tools built on 1.x drivers read; DuckDB 2's own format opens only in 2.x.
STORAGE_VERSION = "v1.0.0"


def read_snapshot(path: Path, **config) -> duckdb.DuckDBPyConnection:
    """A read-only connection to a plan snapshot for the output writers."""
    return duckdb.connect(
        str(path), read_only=True, config={"memory_limit": SNAPSHOT_MEMORY_LIMIT, **config}
    )


@contextmanager
def read_only(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """Read-only, so a reader never blocks a run's writer; closed on exit."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        yield con
    finally:
        con.close()


def file_identity(path: Path) -> list[int]:
    """The very file at `path` (device, inode, size, modification and change times):
    equal identities mean it was neither replaced nor written since. Raises OSError."""
    st = os.stat(path)
    return [st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns]


def fsync_file(path: Path) -> None:
    """Flush a file's bytes to the disk (before it replaces another by rename)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(path: Path) -> None:
    """Flush a folder's entries (after a rename in it), so the rename survives a crash."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
