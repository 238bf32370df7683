"""Parsed submissions cached by content hash and parser version.

The same bytes always parse the same way, so a partition re-run only reads the
workbooks it has not read before. An entry is written aside and renamed into
place, so a kill leaves it whole or absent; an entry that cannot be read back
(a crash of the machine itself, a Python upgrade) is a cache miss, never an error.

Beside each entry sits its digest (`<id>.json`): what the merge and the agency
metadata need of a submission without its rows, so that an agency whose files did
not change costs the merge a few bytes, not its whole parsed workbook.
"""

from __future__ import annotations

import json
import os
import pickle
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from decimal import Decimal
from itertools import starmap
from operator import attrgetter
from pathlib import Path
from typing import TYPE_CHECKING

from stiplan.assets.ingest.submission import PARSER_VERSION, ParsedSubmission, read_submission
from stiplan.assets.runtime.faults import checkpoint
from stiplan.assets.runtime.isolation import Crashed, run_isolated

if TYPE_CHECKING:
    from stiplan.assets.ingest.route import Identity

PREVIEW_ROWS = 20  # rejected rows a digest keeps for the agency's metadata


@dataclass(frozen=True)
class Digest:
    """A parsed submission without its rows."""

    agency_code: str | None
    fiscal_year: int | None
    reason_code: str | None
    detail: str
    outcomes: dict[str, int] = field(default_factory=dict)
    budget_accepted: str = "0"  # exact baht, as text
    rejected_preview: list[tuple[str, int, str]] = field(default_factory=list)

    @property
    def rejected(self) -> bool:
        return self.reason_code is not None

    @property
    def rows_read(self) -> int:
        return sum(self.outcomes.values())


def digest_of(parsed: ParsedSubmission) -> Digest:
    ident = parsed.identity
    outcomes = Counter(r.outcome for r in parsed.rows)
    budget = sum((r.budget for r in parsed.rows if r.outcome == "accepted"), Decimal(0))
    preview = [
        (r.sheet, r.row_number, r.reason_code) for r in parsed.rows if r.outcome == "rejected"
    ][:PREVIEW_ROWS]
    return Digest(
        ident.agency_code,
        ident.fiscal_year,
        ident.reason_code,
        ident.detail,
        dict(sorted(outcomes.items())),
        str(budget),
        preview,
    )


def _path(cache_dir: Path, submission_id: str, suffix: str = ".pkl") -> Path:
    return cache_dir / f"v{PARSER_VERSION}" / f"{submission_id}{suffix}"


def _write(path: Path, data: bytes, run_pid: int | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")  # see lock.sweep
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
        checkpoint("parse-write", run_pid)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


# An entry keeps the rows a column per field, not as 10,000 row objects: pickle then
# writes each field's name once, not once per row, and a budget as its text. Half the
# bytes, half the time to write (in every reader's child) and less to read back.
_SAME = 1  # a name key equal to the project name (most rows: Thai text has no case)


def _packed(parsed: ParsedSubmission) -> tuple:
    from stiplan.assets.ingest.validate import TEXT_FIELDS, Row

    names = tuple(f.name for f in fields(Row))
    rows = parsed.rows
    # zip(*rows) transposes them; no rows give no columns, so the names are zipped loosely
    columns = {n: [] for n in names}
    columns.update(
        zip(names, map(list, zip(*map(attrgetter(*names), rows), strict=True)), strict=False)
    )
    columns["name_key"] = [
        _SAME if key is not None and key == name else key
        for key, name in zip(columns["name_key"], columns["project_name"], strict=True)
    ]
    columns["budget"] = [None if b is None else str(b) for b in columns["budget"]]
    columns["texts"] = [
        tuple(t.values()) if len(t) == len(TEXT_FIELDS) and tuple(t) == TEXT_FIELDS else t
        for t in columns["texts"]
    ]
    return names, tuple(columns.values()), parsed.identity, parsed.problems, parsed.sheets_read


def _unpacked(entry: tuple) -> ParsedSubmission | None:
    from stiplan.assets.ingest.validate import TEXT_FIELDS, Row

    names, columns, identity, problems, sheets_read = entry
    if names != tuple(f.name for f in fields(Row)):
        return None  # written for other rows: read the workbook again
    by_name = dict(zip(names, columns, strict=True))
    by_name["name_key"] = [
        name if key.__class__ is int else key
        for key, name in zip(by_name["name_key"], by_name["project_name"], strict=True)
    ]
    by_name["budget"] = [None if b is None else Decimal(b) for b in by_name["budget"]]
    by_name["texts"] = [
        dict(zip(TEXT_FIELDS, t, strict=True)) if t.__class__ is tuple else t
        for t in by_name["texts"]
    ]
    rows = list(starmap(Row, zip(*by_name.values(), strict=True)))
    return ParsedSubmission(identity, rows, problems, sheets_read)


def load(cache_dir: Path, submission_id: str) -> ParsedSubmission | None:
    path = _path(cache_dir, submission_id)
    try:
        with open(path, "rb") as fh:
            return _unpacked(pickle.load(fh))
    except FileNotFoundError:
        return None
    except Exception:  # noqa: BLE001 - truncated or unreadable: read the workbook again
        path.unlink(missing_ok=True)
        return None


def parsed_size(cache_dir: Path, submission_id: str) -> int:
    """The bytes of a kept parse (0 when none is kept): a measure of its rows."""
    try:
        return _path(cache_dir, submission_id).stat().st_size
    except OSError:
        return 0


def load_digest(cache_dir: Path, submission_id: str) -> Digest | None:
    try:
        data = json.loads(_path(cache_dir, submission_id, ".json").read_text("utf-8"))
        data["rejected_preview"] = [tuple(x) for x in data["rejected_preview"]]
        return Digest(**data)
    except (OSError, ValueError, TypeError, KeyError):
        return None


def store(
    cache_dir: Path, submission_id: str, parsed: ParsedSubmission, run_pid: int | None = None
) -> Digest:
    """The entry first, its digest second: a digest never stands without its entry."""
    _write(
        _path(cache_dir, submission_id),
        pickle.dumps(_packed(parsed), protocol=pickle.HIGHEST_PROTOCOL),
        run_pid,
    )
    digest = digest_of(parsed)
    _store_digest(cache_dir, submission_id, digest)
    return digest


def _store_digest(cache_dir: Path, submission_id: str, digest: Digest) -> None:
    _write(
        _path(cache_dir, submission_id, ".json"),
        json.dumps(asdict(digest), ensure_ascii=False, sort_keys=True).encode(),
    )


def _crashed(detail: str) -> ParsedSubmission:
    from stiplan.assets.ingest.route import Identity

    return ParsedSubmission(Identity().reject("reader_crashed", detail))


def read_and_store(
    path: Path, file_name: str, cache_dir: Path, submission_id: str, run_pid: int
) -> Digest:
    """In the reader's child: read the workbook and keep the result, handing back only
    its digest (a parsed workbook is never pickled across to the parent)."""
    from stiplan.assets.ingest.validate import collector_paused

    with collector_paused():
        return _read_and_store(path, file_name, cache_dir, submission_id, run_pid)


def _read_and_store(
    path: Path, file_name: str, cache_dir: Path, submission_id: str, run_pid: int
) -> Digest:
    # The parse dies with this frame, before the collector is back: it never walks it.
    return store(cache_dir, submission_id, read_submission(path, file_name), run_pid)


def chains_of(files: list[dict], digests: dict[str, Digest]) -> dict[tuple[str, int], list[str]]:
    """Per (agency, fiscal year), the versions the plan takes, oldest first: the routed
    files (in the registry's order) whose parse did not reject them whole."""
    chains: dict[tuple[str, int], list[str]] = {}
    for f in files:
        d = digests.get(f["submission_id"])
        if f["agency_code"] is not None and d is not None and not d.rejected:
            chains.setdefault((d.agency_code, d.fiscal_year), []).append(f["submission_id"])
    return chains


def kept_chains(p, registry) -> dict[tuple[str, int], list[str]]:
    """`chains_of` the registered files, from the digests kept (no workbook is read)."""
    files = registry.files()
    digests = {f["submission_id"]: load_digest(p.parsed, f["submission_id"]) for f in files}
    return chains_of(files, {k: v for k, v in digests.items() if v is not None})


def route_and_store(
    path: Path,
    file_name: str,
    cache_dir: Path,
    submission_id: str,
    run_pid: int,
    ahead: tuple[Path, dict, Callable] | None = None,
) -> Identity:
    """In the router's child, for a run that reads every routed file anyway: read the
    workbook once, route it from the top of its sheets (as `route_file` would), and
    keep the whole parse of a routed file for the intake. The parse is kept only if
    the file still has the bytes its id was hashed from (it may be mid-copy).

    With `ahead` (the merge's folder of kept shares, `kept_chains` and the function
    that builds a share, `consolidate.ahead.keep_share_ahead`), also build and keep the agency-year share the file will most likely make, its registered versions
    then this one, while its parse is in memory: the merge then finds it kept (a guess
    that turns out wrong, e.g. two new versions at once, is a share nobody reads).

    The collector is held off meanwhile (see `validate.collector_paused`): once back, it
    would walk every row of the parse, which dies with `_route_and_store`'s frame."""
    from stiplan.assets.ingest.validate import collector_paused

    with collector_paused():
        return _route_and_store(path, file_name, cache_dir, submission_id, run_pid, ahead)


def _route_and_store(
    path: Path,
    file_name: str,
    cache_dir: Path,
    submission_id: str,
    run_pid: int,
    ahead: tuple[Path, dict, Callable] | None,
) -> Identity:
    from stiplan.assets.ingest.registry import sha256_file
    from stiplan.assets.ingest.route import Identity
    from stiplan.assets.ingest.submission import parse_sheets, route_sheets
    from stiplan.assets.ingest.workbook import UnreadableFile, read_workbook

    try:
        sheets = read_workbook(path)
    except UnreadableFile as exc:
        route = Identity(problem=exc.problem)
        parsed = ParsedSubmission(route)
    else:
        route = route_sheets(file_name, sheets)
        parsed = parse_sheets(file_name, sheets) if route.agency_code else None
    if parsed is not None and sha256_file(path) == submission_id:
        digest = store(cache_dir, submission_id, parsed, run_pid)
        if ahead is not None and not digest.rejected:
            _share_ahead(ahead, cache_dir, submission_id, digest, parsed)
    return route


def _share_ahead(
    ahead: tuple[Path, dict, Callable],
    cache_dir: Path,
    sid: str,
    digest: Digest,
    parsed: ParsedSubmission,
) -> None:
    root, chains, keep_share = ahead
    key = (digest.agency_code, digest.fiscal_year)
    try:
        keep_share(root, *key, [*chains.get(key, []), sid], cache_dir, {sid: parsed})
    except Exception:  # noqa: BLE001, S110 - only a head start: the merge builds it anyway
        pass


def _parse(cache_dir: Path, todo: list[tuple[str, Path, str]]) -> dict[str, Digest]:
    out = {}
    results = run_isolated(
        read_and_store, [(path, name, cache_dir, sid, os.getpid()) for sid, path, name in todo]
    )
    for (sid, _, _), digest in zip(todo, results, strict=True):
        if isinstance(digest, Crashed):
            # Not cached: a crash may be the machine's (memory), so try again next run.
            digest = digest_of(_crashed(digest.detail))
        else:
            checkpoint("parse")
        out[sid] = digest
    return out


def _through_cache(cache_dir: Path, jobs: list[tuple[str, Path, str]], cached):
    """(what `cached(sid)` found for each job, the digests of the rest, read now)."""
    found, todo = {}, []
    for sid, path, name in jobs:
        hit = cached(sid)
        if hit is not None:
            found[sid] = hit
        else:
            todo.append((sid, path, name))
    return found, _parse(cache_dir, todo)


def parse_all(cache_dir: Path, jobs: list[tuple[str, Path, str]]) -> dict[str, ParsedSubmission]:
    """(submission_id, archived path, file name) -> parsed, reading only what is not cached."""
    out, read = _through_cache(cache_dir, jobs, lambda sid: load(cache_dir, sid))
    for sid, digest in read.items():
        parsed = load(cache_dir, sid)
        out[sid] = (
            parsed
            if parsed is not None
            else _crashed(
                "the reader's result could not be kept"
                if digest.reason_code is None
                else digest.detail
            )
        )
    return out


def digest_all(cache_dir: Path, jobs: list[tuple[str, Path, str]]) -> dict[str, Digest]:
    """Like `parse_all`, but only the digests: a cached submission's rows are not loaded."""

    def cached(sid: str) -> Digest | None:
        digest = load_digest(cache_dir, sid)
        if digest is None and (parsed := load(cache_dir, sid)) is not None:
            digest = digest_of(parsed)  # an entry from before digests, or a kill between
            _store_digest(cache_dir, sid, digest)
        return digest

    out, read = _through_cache(cache_dir, jobs, cached)
    out.update(read)
    return out


def _jobs(p, registry, files: list[dict]) -> list[tuple[str, Path, str]]:
    return [
        (f["submission_id"], registry.archived(f["submission_id"], p.archive), f["file_name"])
        for f in files
    ]


def parse_registered(p, registry, files: list[dict]) -> dict[str, ParsedSubmission]:
    """Parse registered files (rows of `Registry.files`) from their archived bytes."""
    return parse_all(p.parsed, _jobs(p, registry, files))


def digest_registered(p, registry, files: list[dict]) -> dict[str, Digest]:
    """The digests of registered files, parsing those not read before."""
    return digest_all(p.parsed, _jobs(p, registry, files))
