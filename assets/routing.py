"""Route the inbox: each file to its agency, or to the unrouted record.

Hash first: bytes already registered keep their route, whatever their new name.
New bytes are identified in a child process (a hostile file cannot take the
sensor or a run down), and the answer is cached by hash.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path

from stiplan.assets.isolation import DEFAULT_TIMEOUT_S, Crashed, run_isolated
from stiplan.assets.registry import InboxFile, Registry, Route
from stiplan.assets.submission import PARSER_VERSION, route_file
from stiplan.assets.workbook import READABLE


def route_files(files: Iterable[InboxFile], registry: Registry,
                timeout: float = DEFAULT_TIMEOUT_S) -> dict[str, Route]:
    files = sorted(files, key=lambda f: (f.mtime_ns, f.name))
    ids = list(dict.fromkeys(f.submission_id for f in files))
    routes = registry.known_routes(ids, PARSER_VERSION)
    todo: dict[str, InboxFile] = {}
    for f in files:
        if f.submission_id in routes or f.submission_id in todo:
            continue
        if f.ext not in READABLE:
            routes[f.submission_id] = Route(None, "file_type_unsupported",
                                            f"'{f.ext or 'no extension'}'")
        else:
            todo[f.submission_id] = f
    found = run_isolated(route_file, [(f.path, f.name) for f in todo.values()], timeout=timeout)
    fresh: dict[str, Route] = {}
    for sid, ident in zip(todo, found, strict=True):
        if isinstance(ident, Crashed):
            # Not remembered: a crash may be the machine's, so identify again next time.
            routes[sid] = Route(None, "reader_crashed", ident.detail)
        elif ident.agency_code:
            fresh[sid] = Route(ident.agency_code, fiscal_year=ident.fiscal_year)
        else:
            fresh[sid] = Route(None, ident.reason_code, ident.detail)
    registry.remember_routes(fresh, PARSER_VERSION)
    routes.update(fresh)
    return routes


def scan_and_route(inbox: Path, registry: Registry, settled_only: bool = False
                   ) -> tuple[list[InboxFile], dict[str, Route]]:
    """Every inbox file and its route; with settled_only, files still being written
    are left for a later run."""
    files = registry.scan(inbox)
    if settled_only:
        now = time.time()
        files = [f for f in files if f.settled(now)]
    return files, route_files(files, registry)
