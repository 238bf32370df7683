"""Writing a folder of workbooks: only what changed, on both cores.

- `Written` — what a writer returns: the paths it wrote, and each workbook's
  fingerprint (`Book.fingerprint`: what it shows and the writer's version).
- `Manifest` — a folder's workbooks: their fingerprints and the identity of their
  files (device, inode, size, mtime), kept apart from the folder (outputs hold
  nothing but the handouts: `warehouse/.work/outputs/<folder>.manifest.json`). A
  file is trusted only while it is the very file described, so a manifest left
  behind by a kill, or a file somebody edited, costs a rewrite, never a wrong file.
- `Manifest.reuse(rel, fingerprint, dest)` — when the folder holds `rel` with this
  fingerprint, hard-link it to `dest` (copy where links are refused) instead of
  writing it again.
- `Manifest.parts(rel, keys)` — of a workbook that changed, the parts of its big
  lists that did not (`stream.Deflated` with a key: what they were rendered from),
  read from the folder's `rel` as they are, compressed: a new file from one agency
  renders that agency's rows again, the rest is copied.
- `Pool(n)` — `n` worker processes (forked, or fresh interpreters), each dying with
  its parent, shared by the threads of this process; `pool()` starts the one every
  writer of the process uses (`active`) while the outputs are written.
- `run(fn, tasks, n)` — the tasks in the active pool, else in `n` workers started for
  them; in this process when `n` is 1.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import importlib
import json
import os
import pickle
import queue
import shutil
import signal
import stat
import struct
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from stiplan.assets.excel.save import FILE_MODE, write_bytes
from stiplan.assets.excel.stream import Deflated
from stiplan.assets.excel.style import WRITER_VERSION

WORKERS_ENV = "STIPLAN_OUTPUT_WORKERS"
START_ENV = "STIPLAN_OUTPUT_START"  # fork (the default where there is one) or spawn


def _identity(st: os.stat_result) -> list[int]:
    return [st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns]


class Written(list):
    """The paths a writer wrote (a list, as before), `fingerprints`: relative path ->
    fingerprint, and `parts`: relative path -> where its keyed parts are in the file
    (`Book.placed`)."""

    def __init__(
        self,
        paths: Iterable[Path] = (),
        fingerprints: dict[str, str] | None = None,
        parts: dict[str, dict] | None = None,
    ):
        super().__init__(paths)
        self.fingerprints = dict(fingerprints or {})
        self.parts = {rel: placed for rel, placed in (parts or {}).items() if placed}


class Manifest:
    """The workbooks of one output folder and their fingerprints."""

    def __init__(self, folder: Path | None = None, files: dict | None = None):
        self.folder = folder
        self.files: dict[str, dict[str, Any]] = files or {}

    @classmethod
    def load(cls, path: Path, folder: Path) -> Manifest:
        """The manifest saved at `path` for `folder` (empty when there is none)."""
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cls(folder)
        if not isinstance(data, dict) or data.get("writer") != WRITER_VERSION:
            return cls(folder)
        return cls(folder, data.get("files") or {})

    @classmethod
    def of(cls, folder: Path, written: Written) -> Manifest:
        """The manifest of what a writer just wrote into `folder`."""
        files = {}
        for rel, fingerprint in sorted(written.fingerprints.items()):
            files[rel] = {"fingerprint": fingerprint, "file": _identity(os.stat(folder / rel))}
            if written.parts.get(rel):
                files[rel]["parts"] = {k: list(v) for k, v in written.parts[rel].items()}
        return cls(folder, files)

    def save(self, path: Path) -> None:
        """Write it to `path` atomically."""
        data = {"writer": WRITER_VERSION, "files": self.files}
        write_bytes(path, json.dumps(data, ensure_ascii=False, indent=0).encode("utf-8"))

    def placed(self, rel: str) -> dict:
        """Where the keyed parts of the folder's `rel` are (for a file linked as it is:
        the new folder's manifest says the same of it)."""
        return dict((self.files.get(rel) or {}).get("parts") or {})

    def parts(self, rel: str, keys: Iterable[str]) -> dict[str, Deflated]:
        """The parts of `keys` that the folder's `rel` holds, read from it as they are
        (compressed). None from a file that is not the very one described."""
        entry = self.files.get(rel) or {}
        placed = entry.get("parts") or {}
        want = [k for k in dict.fromkeys(keys) if k in placed]
        if self.folder is None or not want:
            return {}
        out = {}
        try:
            with open(self.folder / rel, "rb") as fh:
                fd = fh.fileno()
                if _identity(os.fstat(fd)) != entry.get("file"):
                    return {}  # edited or replaced: its parts are not the ones described
                for k in want:
                    at, n, crc, size = placed[k]
                    data = os.pread(fd, n, at)
                    if len(data) != n:
                        return {}
                    out[k] = Deflated(data, crc, size, k)
        except (OSError, ValueError, TypeError):
            return {}
        return out

    def reuse(self, rel: str, fingerprint: str, dest: Path) -> bool:
        """Link (or copy) the folder's `rel` to `dest` if it is what a workbook of this
        fingerprint would be. False when it must be written."""
        entry = self.files.get(rel)
        if self.folder is None or not entry or entry.get("fingerprint") != fingerprint:
            return False
        src = self.folder / rel
        try:
            st = os.stat(src)
        except OSError:
            return False
        if _identity(st) != entry.get("file") or stat.S_IMODE(st.st_mode) != FILE_MODE:
            return False  # edited, replaced, or written with the wrong mode
        dest.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(src, dest)
            if _identity(os.stat(dest)) == entry["file"]:
                return True
            dest.unlink()  # the folder was swapped meanwhile: not the file described
            return False
        except FileNotFoundError:
            return False
        except OSError:
            pass
        try:  # a file system without hard links
            shutil.copy2(src, dest)
            os.chmod(dest, FILE_MODE)
            if _identity(os.stat(src)) == entry["file"]:
                return True
        except OSError:
            pass
        dest.unlink(missing_ok=True)
        return False


def workers() -> int:
    """Processes that write outputs: STIPLAN_OUTPUT_WORKERS, else one per core (at most
    two: the machine stiplan runs on has two, and each holds a slice of the rows)."""
    try:
        return max(1, int(os.environ[WORKERS_ENV]))
    except (KeyError, ValueError):
        return max(1, min(2, os.cpu_count() or 1))


def forking() -> bool:
    """Whether workers are forked from this process (cheap: nothing to import again)
    rather than started as fresh interpreters: STIPLAN_OUTPUT_START=fork|spawn, else
    fork where there is one."""
    how = os.environ.get(START_ENV, "").strip().lower()
    if how in ("spawn", "fresh"):
        return False
    return hasattr(os, "fork") and sys.platform.startswith("linux")


class Pool:
    """`n` worker processes running `fn(task)` for module-level functions, shared by
    every thread of this process that calls `map` (or `submit`): the three output
    folders of a step are written together, on as many processes.

    A worker is forked from this process when it starts (`forking`): it has every
    module, the plan as read (`planbook.cached_plan`) and the styles already, so it
    costs milliseconds, not the second of imports a fresh interpreter takes. It is
    forked before the threads that write begin (the caller's business: create the
    pool first), keeps none of this process's files but its pipes, never collects
    the objects it inherited and leaves by `os._exit`, so nothing of the parent's
    (Dagster's run, its logs, the writer lock) is touched or flushed twice. Else,
    or where there is no fork, fresh interpreters (`python -m
    stiplan.assets.books.folders`) that import only the writers. Either dies with this
    process (the thread that made the pool: make it where it lives as long).

    multiprocessing's pools were not used: every worker they spawn runs the parent's
    main module again, and their forks keep the parent's open files."""

    def __init__(self, n: int, fork: bool | None = None):
        self.n = max(1, n)
        self.fork = forking() if fork is None else fork
        self.jobs: queue.SimpleQueue = queue.SimpleQueue()
        self.workers: list[_Worker] = []
        try:
            for _ in range(self.n):
                self.workers.append(_Worker.forked() if self.fork else _Worker.fresh())
        except BaseException:
            self.close()
            raise
        self.threads = [
            threading.Thread(
                target=self._feed, args=(w,), daemon=True, name=f"output-worker-{w.pid}"
            )
            for w in self.workers
        ]
        for t in self.threads:
            t.start()

    def __enter__(self) -> Pool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def submit(self, fn: Callable[[Any], Any], task: Any) -> Future:
        """`fn(task)` in the next free worker."""
        future: Future = Future()
        self.jobs.put((fn, task, future))
        return future

    def map(self, fn: Callable[[Any], Any], tasks: Iterable[Any]) -> list[Any]:
        """`[fn(t) for t in tasks]`, each task to the next free worker. A task's
        exception is raised here (an OSError stays one: a full disk is reported as
        such)."""
        futures = [self.submit(fn, t) for t in tasks]
        try:
            return [f.result() for f in futures]
        finally:
            for f in futures:
                f.cancel()  # those not started yet: an error is raised anyway

    def _feed(self, w: _Worker) -> None:
        while True:
            job = self.jobs.get()
            if job is None:
                return
            fn, task, future = job
            if not future.set_running_or_notify_cancel():
                continue
            if w.dead:
                future.set_exception(RuntimeError("an output worker died (its error is above)"))
                continue
            try:
                _write(w.send, (fn.__module__, fn.__qualname__, task))
                ok, value = _read(w.answers)
            except Exception as exc:  # noqa: BLE001 - a pipe broken by a dead worker
                ok, value = False, RuntimeError(f"an output worker died ({exc})")
            if not ok and isinstance(value, RuntimeError) and "worker died" in str(value):
                w.dead = True
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)
            if w.dead and not all(o.dead for o in self.workers):
                return  # the others take the tasks left; the last one fails them

    def close(self) -> None:
        for _ in getattr(self, "threads", ()):
            self.jobs.put(None)
        for t in getattr(self, "threads", ()):
            t.join()
        for w in self.workers:
            w.stop()


class _Worker:
    """One worker process: its id, the pipe its tasks go down, the one its answers
    come back by."""

    def __init__(self, pid: int, send, answers, popen=None):
        self.pid, self.send, self.answers, self.popen = pid, send, answers, popen
        self.dead = False

    @classmethod
    def fresh(cls) -> _Worker:
        p = subprocess.Popen(
            [sys.executable, "-m", "stiplan.assets.books.folders"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        return cls(p.pid, p.stdin, p.stdout, p)

    @classmethod
    def forked(cls) -> _Worker:
        tasks_r, tasks_w = os.pipe()
        answers_r, answers_w = os.pipe()
        for fh in (sys.stdout, sys.stderr):  # nothing buffered is written twice
            with contextlib.suppress(Exception):
                fh.flush()
        pid = os.fork()
        if pid == 0:  # the worker
            code = 1
            try:
                gc.freeze()  # what it inherited is never collected (nor closed) here
                _only_fds(tasks_r, answers_w)
                for sig in (signal.SIGINT, signal.SIGTERM):
                    signal.signal(sig, signal.SIG_DFL)
                sys.stdout = sys.stderr
                _serve(os.fdopen(tasks_r, "rb"), os.fdopen(answers_w, "wb"))
                code = 0
            finally:
                os._exit(code)
        os.close(tasks_r)
        os.close(answers_w)
        return cls(pid, os.fdopen(tasks_w, "wb"), os.fdopen(answers_r, "rb"))

    def stop(self) -> None:
        """Tell it to finish (its task pipe closes), then wait for it."""
        with contextlib.suppress(OSError):
            self.send.close()
        if self.popen is not None:
            try:
                self.popen.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
            return
        with contextlib.suppress(OSError):
            self.answers.close()
        deadline = time.monotonic() + 30
        while True:
            try:
                done, _ = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:
                return
            if done:
                return
            if time.monotonic() > deadline:
                with contextlib.suppress(OSError):
                    os.kill(self.pid, signal.SIGKILL)
                with contextlib.suppress(ChildProcessError):
                    os.waitpid(self.pid, 0)
                return
            time.sleep(0.005)


def _only_fds(*keep: int) -> None:
    """Close every file this (forked) process inherited but `keep` and stdio: the
    writer lock's, Dagster's, the other workers' pipes (a worker must see its task
    pipe close when the parent closes it)."""
    try:
        fds = [int(f) for f in os.listdir("/proc/self/fd")]
    except OSError:
        fds = list(range(3, 1024))
    for fd in fds:
        if fd > 2 and fd not in keep:
            with contextlib.suppress(OSError):
                os.close(fd)


_ACTIVE: list[Pool] = []  # the pool of the step writing the outputs, if any
_ACTIVE_GUARD = threading.Lock()


@contextlib.contextmanager
def pool(n: int | None = None, fork: bool | None = None) -> Iterator[Pool]:
    """Start `n` workers (default `workers()`; forked or not, see `Pool`) now, and let
    every writer of this process use them until the block ends (`active`, `run`)."""
    with Pool(workers() if n is None else n, fork) as p:
        with _ACTIVE_GUARD:
            _ACTIVE.append(p)
        try:
            yield p
        finally:
            with _ACTIVE_GUARD:
                _ACTIVE.remove(p)


def active() -> Pool | None:
    """The workers started for the outputs being written (`pool`), if any."""
    with _ACTIVE_GUARD:
        return _ACTIVE[-1] if _ACTIVE else None


def run(fn: Callable[[Any], Any], tasks: list[Any], n: int) -> list[Any]:
    """`[fn(t) for t in tasks]` in worker processes: those of the `active` pool when
    there is one, else `n` started for these tasks (in this process when `n` is 1:
    `fn` may then keep nothing, as a worker's connections, in this process)."""
    if not tasks:
        return []
    shared = active()
    if shared is not None:
        return shared.map(fn, tasks)
    if n <= 1:
        return [fn(t) for t in tasks]
    with Pool(min(n, len(tasks))) as w:
        return w.map(fn, tasks)


def _write(fh, obj) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    fh.write(struct.pack("<Q", len(data)) + data)
    fh.flush()


def _read(fh):
    head = fh.read(8)
    if len(head) < 8:
        return False, RuntimeError("an output worker died (its error is above)")
    (size,) = struct.unpack("<Q", head)
    return pickle.loads(fh.read(size))


def _serve(inp=None, out=None) -> None:
    """A worker: run tasks from `inp` (stdin) until it closes, answer on `out` (stdout)."""
    try:  # killed by the kernel when the run dies: a kill -9 leaves no worker writing
        ctypes.CDLL(None, use_errno=True).prctl(1, 9)  # PR_SET_PDEATHSIG, SIGKILL
    except (OSError, AttributeError):
        pass
    if os.getppid() == 1:
        return
    if inp is None:
        inp, out = sys.stdin.buffer, sys.stdout.buffer
        sys.stdout = sys.stderr  # a stray print must not garble the answers
    _forget_parent()
    while True:
        head = inp.read(8)
        if len(head) < 8:
            return
        (size,) = struct.unpack("<Q", head)
        module, name, task = pickle.loads(inp.read(size))
        try:
            answer = (True, getattr(importlib.import_module(module), name)(task))
        except Exception as exc:  # raised again in the run
            exc.add_note("in an output worker:\n" + "".join(traceback.format_exception(exc)))
            answer = (False, exc)
        try:
            _write(out, answer)
        except Exception as exc:  # an answer that does not pickle
            _write(out, (False, RuntimeError(f"{type(exc).__name__}: {exc}")))
        del answer, task
        trim()


def trim() -> None:
    """Give the memory freed back to the system (glibc keeps it otherwise: a worker
    that rendered a big batch would hold it while it writes the next)."""
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError):
        pass


_INHERITED: list = []  # kept, never used nor closed, in a forked worker


def _forget_parent() -> None:
    """A forked worker uses nothing of its parent's that is not its own: it starts
    its own DuckDB connections (the parent's, if any, are kept aside, unclosed)."""
    planbook = sys.modules.get("stiplan.assets.books.planbook")
    if planbook is not None and planbook._WORKER:
        _INHERITED.append(planbook._WORKER)
        planbook._WORKER = {}


if __name__ == "__main__":
    _serve()
