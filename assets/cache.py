"""Parsed submissions cached by content hash and parser version.

The same bytes always parse the same way, so a partition re-run only reads the
workbooks it has not read before. An entry is written aside and renamed into
place, so a kill leaves it whole or absent; an entry that cannot be read back
(a crash of the machine itself, a Python upgrade) is a cache miss, never an error.
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path

from stiplan.assets.faults import checkpoint
from stiplan.assets.identify import Identity
from stiplan.assets.isolation import Crashed, run_isolated
from stiplan.assets.submission import PARSER_VERSION, ParsedSubmission, read_submission


def _path(cache_dir: Path, submission_id: str) -> Path:
    return cache_dir / f"v{PARSER_VERSION}" / f"{submission_id}.pkl"


def load(cache_dir: Path, submission_id: str) -> ParsedSubmission | None:
    path = _path(cache_dir, submission_id)
    try:
        with open(path, "rb") as fh:
            parsed = pickle.load(fh)
    except FileNotFoundError:
        return None
    except Exception:  # noqa: BLE001 - truncated or unreadable: read the workbook again
        path.unlink(missing_ok=True)
        return None
    return parsed if isinstance(parsed, ParsedSubmission) else None


def store(cache_dir: Path, submission_id: str, parsed: ParsedSubmission) -> None:
    path = _path(cache_dir, submission_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")  # see lock.sweep
    try:
        with open(tmp, "wb") as fh:
            pickle.dump(parsed, fh, protocol=pickle.HIGHEST_PROTOCOL)
        checkpoint("parse-write")
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def parse_all(cache_dir: Path, jobs: list[tuple[str, Path, str]]) -> dict[str, ParsedSubmission]:
    """(submission_id, archived path, file name) -> parsed, reading only what is not cached."""
    out: dict[str, ParsedSubmission] = {}
    todo = []
    for sid, path, name in jobs:
        cached = load(cache_dir, sid)
        if cached is not None:
            out[sid] = cached
        else:
            todo.append((sid, path, name))
    results = run_isolated(read_submission, [(path, name) for _, path, name in todo])
    for (sid, _, _), parsed in zip(todo, results, strict=True):
        if isinstance(parsed, Crashed):
            # Not cached: a crash may be the machine's (memory), so try again next run.
            parsed = ParsedSubmission(Identity(reason_code="reader_crashed", detail=parsed.detail))
        else:
            store(cache_dir, sid, parsed)
            checkpoint("parse")
        out[sid] = parsed
    return out


def parse_registered(p, registry, files: list[dict]) -> dict[str, ParsedSubmission]:
    """Parse registered files (rows of `Registry.files`) from their archived bytes."""
    return parse_all(p.parsed, [(f["submission_id"],
                                 registry.archived(f["submission_id"], p.archive),
                                 f["file_name"]) for f in files])
