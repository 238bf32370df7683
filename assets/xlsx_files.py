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
- `run(fn, tasks, n)` — the tasks in `n` fresh worker processes (`Workers`), each
  dying with its parent; in this process when `n` is 1.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib
import json
import os
import pickle
import selectors
import shutil
import stat
import struct
import subprocess
import sys
import traceback
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from stiplan.assets.xlsx_style import FILE_MODE, WRITER_VERSION

WORKERS_ENV = "STIPLAN_OUTPUT_WORKERS"


def _identity(st: os.stat_result) -> list[int]:
    return [st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns]


class Written(list):
    """The paths a writer wrote (a list, as before) and `fingerprints`: relative path
    -> fingerprint."""

    def __init__(self, paths: Iterable[Path] = (), fingerprints: dict[str, str] | None = None):
        super().__init__(paths)
        self.fingerprints = dict(fingerprints or {})


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
        return cls(folder, {rel: {"fingerprint": fingerprint,
                                  "file": _identity(os.stat(folder / rel))}
                            for rel, fingerprint in sorted(written.fingerprints.items())})

    def save(self, path: Path) -> None:
        """Write it to `path` atomically."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")  # lock.sweep's pattern
        tmp.write_text(json.dumps({"writer": WRITER_VERSION, "files": self.files},
                                  ensure_ascii=False, indent=0), encoding="utf-8")
        os.replace(tmp, path)

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


class Workers:
    """`n` worker processes running `fn(task)` for module-level functions: fresh
    interpreters (`python -m stiplan.assets.xlsx_files`) that import only the writers,
    not the program running this one (Dagster, pytest), and die with it.

    multiprocessing's pools were not used: every worker they start runs the parent's
    main module again, and a forked one counts the whole parent's memory as its own."""

    def __init__(self, n: int):
        self.procs = [subprocess.Popen([sys.executable, "-m", "stiplan.assets.xlsx_files"],
                                       stdin=subprocess.PIPE, stdout=subprocess.PIPE)
                      for _ in range(n)]

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        for p in self.procs:
            with contextlib.suppress(OSError):
                p.stdin.close()
        for p in self.procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()

    def map(self, fn: Callable[[Any], Any], tasks: Iterable[Any]) -> list[Any]:
        """`[fn(t) for t in tasks]`, each task to the next free worker. A task's
        exception is raised here (an OSError stays one: a full disk is reported as
        such)."""
        todo = list(enumerate(tasks))[::-1]
        results: dict[int, Any] = {}
        busy: dict[int, int] = {}  # worker -> task index
        sel = selectors.DefaultSelector()
        for w, p in enumerate(self.procs):
            sel.register(p.stdout, selectors.EVENT_READ, w)
        try:
            for w in range(len(self.procs)):
                if todo:
                    busy[w] = self._send(w, fn, todo.pop())
            while busy:
                for key, _ in sel.select():
                    w = key.data
                    ok, value = _read(self.procs[w].stdout)
                    if not ok:
                        raise value
                    results[busy.pop(w)] = value
                    if todo:
                        busy[w] = self._send(w, fn, todo.pop())
        finally:
            sel.close()
        return [results[i] for i in range(len(results))]

    def _send(self, w: int, fn, item: tuple[int, Any]) -> int:
        i, task = item
        _write(self.procs[w].stdin, (fn.__module__, fn.__qualname__, task))
        return i


def run(fn: Callable[[Any], Any], tasks: list[Any], n: int) -> list[Any]:
    """`[fn(t) for t in tasks]` in `n` worker processes (in this one when `n` is 1:
    `fn` may then keep nothing, as a worker's connections, in this process)."""
    if n <= 1:
        return [fn(t) for t in tasks]
    if not tasks:
        return []
    with Workers(min(n, len(tasks))) as w:
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


def _serve() -> None:
    """A worker: run tasks from stdin until it closes, answer on stdout."""
    try:  # killed by the kernel when the run dies: a kill -9 leaves no worker writing
        ctypes.CDLL(None, use_errno=True).prctl(1, 9)  # PR_SET_PDEATHSIG, SIGKILL
    except (OSError, AttributeError):
        pass
    if os.getppid() == 1:
        return
    inp, out = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # a stray print must not garble the answers
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


if __name__ == "__main__":
    _serve()
