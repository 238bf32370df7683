"""Route the inbox: each file to its agency, or to the unrouted record.

Hash first: bytes already registered keep their route, whatever their new name.
New bytes are identified in a child process (a hostile file cannot take the
sensor or a run down), and the answer is cached by hash. The sensor reads the top
of each sheet only; `stiplan run`, which reads every routed file whole anyway, has
the child read it once and keep the parse in the cache (`cache.route_and_store`).

Routing reads the display form of the name (assets/ingest/names.py), so a name in
code page 874 routes like its UTF-8 twin. A file that cannot be opened is still
routed by its name when the name names an agency and a fiscal year (DESIGN.md,
"The inbox"): the full parse then rejects it whole, and the agency hears why.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from stiplan.assets.ingest.agencies import agency_from_filename
from stiplan.assets.ingest.names import show, shown_ext
from stiplan.assets.ingest.registry import InboxFile, Registry, Route
from stiplan.assets.ingest.submission import PARSER_VERSION, route_file
from stiplan.assets.ingest.values import fiscal_year_from_filename
from stiplan.assets.ingest.workbook import READABLE
from stiplan.assets.runtime.faults import checkpoint
from stiplan.assets.runtime.isolation import DEFAULT_TIMEOUT_S, Crashed, run_isolated

# Identification failed because the bytes could not be opened as a workbook, not
# because of what they say: the name is all there is to route by.
UNOPENABLE = ("file_unreadable", "file_too_large", "reader_crashed")


def by_name(name: str, route: Route) -> Route:
    """`route` for a file that could not be opened, sent to the agency and fiscal year
    its (display) name names, with the reason kept; unchanged if the name names no
    agency or no year."""
    agency, year = agency_from_filename(name), fiscal_year_from_filename(name)
    if agency is None or year is None:
        return route
    return Route(agency, route.route_code, route.route_detail, year)


def _plain(ident) -> tuple[str | None, int | None, str | None, str]:
    """What routing needs of an `Identity`, as plain values: the child's answer then
    unpickles in the run without importing the readers and validators (pandas, Pandera:
    0.4 s, on the path of every run that reads a new file)."""
    return ident.agency_code, ident.fiscal_year, ident.reason_code, ident.detail or ""


def identify(path: Path, name: str) -> tuple[str | None, int | None, str | None, str]:
    """In a child: `route_file`, as plain values."""
    return _plain(route_file(path, name))


def identify_and_store(
    path: Path,
    name: str,
    cache_dir: Path,
    submission_id: str,
    run_pid: int,
    ahead: tuple[Path, dict, Callable] | None = None,
) -> tuple[str | None, int | None, str | None, str]:
    """In a child: `cache.route_and_store`, as plain values."""
    from stiplan.assets.ingest.cache import route_and_store

    return _plain(route_and_store(path, name, cache_dir, submission_id, run_pid, ahead))


def route_files(
    files: Iterable[InboxFile],
    registry: Registry,
    timeout: float = DEFAULT_TIMEOUT_S,
    cache_dir: Path | None = None,
    ahead: tuple[Path, dict, Callable] | None = None,
) -> dict[str, Route]:
    """The route of each file; with `cache_dir` (the parse cache), new files are read
    whole and their parses kept there, and with `ahead` their shares of the plan built
    (`cache.route_and_store`)."""
    files = sorted(files, key=lambda f: (f.mtime_ns, f.name, f.raw))
    ids = list(dict.fromkeys(f.submission_id for f in files))
    routes = registry.known_routes(ids, PARSER_VERSION)
    todo: dict[str, InboxFile] = {}
    for f in files:
        if f.submission_id in routes or f.submission_id in todo:
            continue
        if f.ext not in READABLE:
            shown = f.ext or shown_ext(f.name) or "no extension"
            routes[f.submission_id] = Route(None, "file_type_unsupported", f"'{shown}'")
        else:
            todo[f.submission_id] = f
    # A name that is not UTF-8 is opened from its bytes by the reader (workbook._openable).
    if cache_dir is None:
        found = run_isolated(identify, [(f.path, f.name) for f in todo.values()], timeout=timeout)
    else:
        found = run_isolated(
            identify_and_store,
            [(f.path, f.name, cache_dir, sid, os.getpid(), ahead) for sid, f in todo.items()],
            timeout=timeout,
        )
    fresh: dict[str, Route] = {}
    for (sid, f), ident in zip(todo.items(), found, strict=True):
        if isinstance(ident, Crashed):
            # Not remembered: a crash may be the machine's, so identify again next time.
            routes[sid] = by_name(f.name, Route(None, "reader_crashed", show(ident.detail)))
            continue
        agency, year, reason, detail = ident
        if agency:
            fresh[sid] = Route(agency, fiscal_year=year)
        else:
            route = Route(None, reason, show(detail))
            fresh[sid] = by_name(f.name, route) if reason in UNOPENABLE else route
    if cache_dir is not None and todo:
        checkpoint("parse")  # the children kept the parses; the routes are not yet kept
    registry.remember_routes(fresh, PARSER_VERSION)
    routes.update(fresh)
    return routes


def scan_and_route(
    inbox: Path, registry: Registry, settled_only: bool = False
) -> tuple[list[InboxFile], dict[str, Route]]:
    """Every inbox file and its route; with settled_only, files still being written
    are left for a later run. Files unchanged since they were last hashed cost a stat."""
    files = registry.scan(inbox)
    if settled_only:
        now = time.time()
        files = [f for f in files if f.settled(now)]
    return files, route_files(files, registry)
