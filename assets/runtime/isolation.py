"""Run per-file work in child processes, so no single workbook can take a run down.

The Rust readers abort the process (SIGABRT, uncatchable) on some hostile files,
and openpyxl can grind for minutes; a child with a memory cap and a deadline
turns either into an ordinary "unreadable" result. Two children at a time also
use both cores of the plan office's machine.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import resource
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from multiprocessing.connection import wait
from typing import Any

MEMORY_LIMIT_BYTES = 6 * 1024**3
DEFAULT_TIMEOUT_S = 300.0


@dataclass
class Crashed:
    """The child died or overran: the file is to blame, not the run."""

    detail: str


def _child(conn, fn: Callable[..., Any], args: tuple) -> None:
    try:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT_BYTES, MEMORY_LIMIT_BYTES))
    except (ValueError, OSError):
        pass
    try:
        conn.send(("ok", fn(*args)))
    except BaseException as exc:  # noqa: BLE001 - reported back, never raised in the parent
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


def _context():
    # forkserver: children start from a clean, single-threaded server, not from a
    # copy of a multi-threaded Dagster process. The server reads a small workbook
    # first (pipelines/warmup.py), so no child pays the reader's start-up costs;
    # it leaves out what no reader uses (assets/runtime/lean.py).
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(
        [
            "stiplan.assets.runtime.lean",
            "stiplan.assets.ingest.submission",
            "stiplan.assets.ingest.cache",
            "stiplan.assets.ingest.inbox",
            "stiplan.assets.consolidate.merge",
            "stiplan.warmup",
        ]
    )
    return ctx


def start_readers() -> None:
    """Start the fork server now, in the background of whatever the caller does next
    (a run imports Dagster meanwhile); the first file read need not wait for it."""
    if os.environ.get("STIPLAN_IN_PROCESS") == "1":
        return
    from multiprocessing import forkserver

    _context()
    forkserver.ensure_running()


def stop_readers() -> None:
    """End the fork server once no more files are read (its warm heap is memory the
    outputs can use); a later read starts it again."""
    import signal
    from multiprocessing import forkserver

    server = forkserver._forkserver  # private API: skipped should it change
    pid, stop = getattr(server, "_forkserver_pid", None), getattr(server, "_stop", None)
    if pid is None or stop is None:
        return
    with contextlib.suppress(OSError):  # killed: tearing down its heap takes ~0.3 s
        os.kill(pid, signal.SIGKILL)
    stop()  # reaps it and forgets it


def run_isolated(
    fn: Callable[..., Any],
    jobs: Sequence[tuple],
    workers: int | None = None,
    timeout: float = DEFAULT_TIMEOUT_S,
) -> list[Any]:
    """fn(*args) for each args in `jobs`, each in its own child; results in order.

    A child that raises gives a Crashed with the error; one that dies or runs
    past `timeout` gives a Crashed too. fn must be importable (module level).
    """
    if os.environ.get("STIPLAN_IN_PROCESS") == "1":  # debugging aid: no children
        return [fn(*args) for args in jobs]
    ctx = _context()
    workers = workers or max(1, min(2, os.cpu_count() or 1))
    results: list[Any] = [None] * len(jobs)
    pending = list(enumerate(jobs))
    running: dict[int, tuple[Any, Any, float]] = {}
    while pending or running:
        while pending and len(running) < workers:
            i, args = pending.pop(0)
            parent, child = ctx.Pipe(duplex=False)
            proc = ctx.Process(target=_child, args=(child, fn, args), daemon=True)
            proc.start()
            child.close()
            running[i] = (proc, parent, time.monotonic())
        # sleep until a child answers or ends (or a deadline passes), not a fixed tick:
        # the next file starts the moment a core is free
        wait(
            [c for _, c, _ in running.values()] + [p.sentinel for p, _, _ in running.values()],
            timeout=max(
                0.0, min(started + timeout for _, _, started in running.values()) - time.monotonic()
            )
            + 0.01,
        )
        for i, (proc, conn, started) in list(running.items()):
            outcome = None
            if conn.poll(0):
                try:
                    kind, value = conn.recv()
                    outcome = value if kind == "ok" else Crashed(value)
                except (EOFError, OSError):
                    proc.join(5)
                    outcome = Crashed(f"reader stopped (exit code {proc.exitcode})")
            elif not proc.is_alive() and not conn.poll(0):
                outcome = Crashed(f"reader stopped (exit code {proc.exitcode})")
            elif time.monotonic() - started > timeout:
                proc.kill()
                outcome = Crashed(f"reading took longer than {timeout:.0f} s")
            if outcome is not None:
                proc.join(5)
                conn.close()
                results[i] = outcome
                del running[i]
    return results
