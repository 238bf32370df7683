"""One writer at a time on a warehouse, and tidying up after a writer that was killed.

`writer_lock` is an OS file lock (`flock`) on `warehouse/.work/writer.lock`. The
kernel releases it when its holder dies, even by `kill -9`, so a crash never
leaves the warehouse locked. `stiplan run` holds it from start to end; in the
Dagster UI the merge and the publish hold it while they write, and each output
folder while it takes a snapshot of the published plan and while it swaps the
folder it wrote from it (not while it writes the workbooks, which can take
minutes). A terminal run and a sensor run therefore never interleave.

The lock is re-entrant within a process: `stiplan run` executes the Dagster jobs
in its own process, and the assets it runs take the lock their process already
holds. (Two `flock`s on two open files of one process exclude each other, so
the process keeps one open file and a count.) Dagster's in-process executor
runs one step at a time, so a count per process is exclusion enough.

Whoever takes the lock first in a process tidies what a killed writer left
(`sweep`): temporary databases and files, half-built output folders, and an
output folder left aside between the two renames of its swap is put back.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from stiplan.schemas.warehouse import Paths

LOCK_NAME = "writer.lock"
DEFAULT_WAIT_S = 1800.0  # STIPLAN_LOCK_WAIT overrides; a big year's full run takes minutes
POLL_S = 0.2
SNAPSHOT = ".snapshot"  # the suffix of the outputs' private copies of the plan (outputs.py)
ABANDONED_AFTER_S = 86400.0  # a temporary file this old belongs to no live writer


class Busy(Exception):
    """Another process kept the warehouse's writer lock for longer than we would wait."""

    def __init__(self, path: Path, holder: str, waited: float):
        self.path, self.holder, self.waited = path, holder, waited
        super().__init__(
            f"the warehouse is busy: another writer ({holder}) still holds "
            f"{path} after {waited:.0f} s of waiting"
        )


_guard = threading.Lock()
_held: dict[Path, list] = {}  # lock path -> [fd, depth]


def lock_wait() -> float:
    """How long a writer waits for the lock: STIPLAN_LOCK_WAIT seconds, or 30 minutes."""
    try:
        return max(0.0, float(os.environ.get("STIPLAN_LOCK_WAIT", DEFAULT_WAIT_S)))
    except ValueError:
        return DEFAULT_WAIT_S


def lock_path(p: Paths) -> Path:
    return p.work / LOCK_NAME


def holder(path: Path) -> str:
    """Who holds (or last held) the lock, as its holder wrote it down."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        text = ""
    return text or "another process"


def holds(p: Paths) -> bool:
    """This process holds the writer lock of this warehouse."""
    with _guard:
        return lock_path(p) in _held


@contextmanager
def writer_lock(
    p: Paths, *, who: str, wait: float | None = None, on_wait: Callable[[str], None] | None = None
) -> Iterator[None]:
    """Hold the warehouse's writer lock for the block, waiting up to `wait` seconds
    (default `lock_wait()`) for another process to let go, else raise `Busy`.
    `on_wait(holder)` is called once when we have to wait. Re-entrant per process."""
    path = lock_path(p)
    with _guard:
        entry = _held.get(path)
        if entry is not None:
            entry[1] += 1
    if entry is None:
        fd = _acquire(path, who, lock_wait() if wait is None else wait, on_wait)
        with _guard:
            _held[path] = entry = [fd, 1]
        try:
            sweep(p)
        except BaseException:
            _release(path)
            raise
    try:
        yield
    finally:
        _release(path)


def _acquire(path: Path, who: str, wait: float, on_wait: Callable[[str], None] | None) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    started = time.monotonic()
    told = False
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                waited = time.monotonic() - started
                if waited >= wait:
                    raise Busy(path, holder(path), waited) from None
                if not told and on_wait is not None:
                    on_wait(holder(path))
                    told = True
                time.sleep(min(POLL_S, max(0.0, wait - waited)))
        note = (
            f"{who}, pid {os.getpid()} on {socket.gethostname()}, "
            f"since {datetime.now().astimezone().isoformat(timespec='seconds')}\n"
        )
        os.ftruncate(fd, 0)
        os.pwrite(fd, note.encode(), 0)
    except BaseException:
        os.close(fd)  # closing the file releases the lock if we had it
        raise
    return fd


def _release(path: Path) -> None:
    with _guard:
        entry = _held[path]
        entry[1] -= 1
        if entry[1]:
            return
        del _held[path]
    os.close(entry[0])  # releases the flock


# -- tidying up after a killed writer -----------------------------------------------


def restore_folder(folder: Path) -> None:
    """Undo what a kill in the middle of an output folder's swap left: the folder set
    aside (`.<name>.old`) goes back if the new one never took its place, else it goes.
    Call with the writer lock held."""
    old = folder.with_name(f".{folder.name}.old")
    if old.is_dir():
        if folder.exists():
            shutil.rmtree(old, ignore_errors=True)
        else:
            old.rename(folder)


def sweep(p: Paths) -> None:
    """Remove what killed writers left behind. Only a writer holding the lock writes
    the working database, the published plan, the output stamps and swaps output
    folders, so with the lock held their leftovers are abandoned. Parsed entries,
    archived copies, output folders being built and the plan snapshots they are
    built from are written without it (agency runs and output writers run in
    parallel): only those of dead processes, or very old ones, go."""
    for f in p.work.glob(f".{p.working_plan.name}.*.building*"):  # its .wal and .tmp/ too
        remove(f)
    for f in p.warehouse.glob(f".{p.plan.name}.*.publishing"):
        f.unlink(missing_ok=True)
    for f in (p.work / "outputs").glob(".*.tmp"):
        if not f.name.endswith(SNAPSHOT + ".tmp"):  # a live snapshot's spill: below
            remove(f)
    for f in p.merged.glob(".*.tmp"):  # shares and the review being kept (consolidate/merge.py)
        remove(f)
    now = time.time()
    if p.outputs.is_dir():
        for d in list(p.outputs.iterdir()):
            if not (d.name.startswith(".") and d.is_dir()):
                continue
            if d.name.endswith(".old"):
                restore_folder(p.outputs / d.name[1 : -len(".old")])
            elif d.name.endswith(".building") and _abandoned(d, now):
                shutil.rmtree(d, ignore_errors=True)
    for f in [
        *p.parsed.glob("v*/.*.tmp"),
        *p.archive.glob(".*.tmp"),
        *(p.work / "outputs").glob(f".*{SNAPSHOT}"),
    ]:
        if _abandoned(f, now):
            f.unlink(missing_ok=True)
    # DuckDB's spill folder (and log) beside a snapshot it opened: the snapshot's writer
    # names them, so they go when it is dead.
    for f in (p.work / "outputs").glob(f".*{SNAPSHOT}.*"):
        if _abandoned(f, now, f.name.rsplit(".", 1)[0]):
            remove(f)


def remove(f: Path) -> None:
    """A file, or a folder with what it holds."""
    if f.is_dir() and not f.is_symlink():
        shutil.rmtree(f, ignore_errors=True)
    else:
        f.unlink(missing_ok=True)


def _abandoned(f: Path, now: float, name: str | None = None) -> bool:
    """`.<name>.<pid>.<suffix>` (or `name`, for a file named after another): its
    writer is dead, or it is older than any write takes (or it names no writer)."""
    try:
        age = now - f.stat().st_mtime
    except OSError:
        return False
    if age > ABANDONED_AFTER_S:
        return True
    try:
        pid = int((name or f.name).rsplit(".", 2)[-2])
    except (IndexError, ValueError):
        return True
    return not pid_alive(pid)


def pid_alive(pid: int) -> bool:
    """A process of this id runs on this machine. A zombie does not: it has exited
    and closed its files, and where nothing reaps orphans (a container's first
    process may not) it keeps its id for ever."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            state = fh.read().rsplit(b")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True  # no /proc to ask: it answered the signal
    return state not in (b"Z", b"X")
