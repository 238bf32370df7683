"""One hostile file never takes a run down, and a crash is never final."""

from __future__ import annotations

import os
import time
from pathlib import Path

from stiplan.assets.ingest.registry import InboxFile, Registry, Route
from stiplan.assets.runtime.isolation import Crashed, run_isolated


def echo(x):
    return x * 2


def abort(_):
    os.abort()  # what the Rust readers do on some hostile workbooks (SIGABRT)


def hang(_):
    time.sleep(60)


def raises(_):
    raise ValueError("bad cell")


def test_a_crashing_child_is_reported_and_the_others_still_finish():
    results = run_isolated(
        _dispatch, [("echo", 1), ("abort", 2), ("echo", 3), ("raises", 4), ("hang", 5)], timeout=5
    )
    assert results[0] == 2 and results[2] == 6
    assert isinstance(results[1], Crashed) and "exit code" in results[1].detail
    assert isinstance(results[3], Crashed) and "bad cell" in results[3].detail
    assert isinstance(results[4], Crashed) and "longer than" in results[4].detail


def _dispatch(name, arg):
    return {"echo": echo, "abort": abort, "hang": hang, "raises": raises}[name](arg)


def test_a_file_recorded_after_a_crash_is_routed_again(tmp_path):
    inbox, archive = tmp_path / "inbox", tmp_path / "archive"
    inbox.mkdir()
    path = inbox / "NSTDA_2555.xlsx"
    path.write_bytes(b"workbook bytes")
    registry = Registry(archive / "registry.sqlite")
    (f,) = registry.scan(inbox)
    assert isinstance(f, InboxFile)
    registry.register(
        [f], {f.submission_id: Route(None, "reader_crashed", "exit code -6")}, archive
    )
    # the crash is not trusted: the file must be identified again
    assert registry.known_routes([f.submission_id], "v") == {}
    registry.register([f], {f.submission_id: Route("NSTDA", fiscal_year=2555)}, archive)
    (row,) = registry.files()
    assert (row["agency_code"], row["route_code"], row["fiscal_year"]) == ("NSTDA", None, 2555)
    assert registry.known_routes([f.submission_id], "v")[f.submission_id].agency_code == "NSTDA"
    # a content rejection, unlike a crash, is final
    other = inbox / "notes.txt"
    other.write_bytes(b"text")
    g = next(x for x in registry.scan(inbox) if x.name == "notes.txt")
    registry.register([g], {g.submission_id: Route(None, "file_type_unsupported")}, archive)
    assert registry.known_routes([g.submission_id], "v")[g.submission_id].route_code == (
        "file_type_unsupported"
    )
    assert Path(archive / (g.submission_id + ".txt")).exists()
