"""The record of every file received: by hash, with its first sighting and every
name it arrived under. SQLite, because the sensor and several partition runs may
touch it at once, and it must survive every run (the warehouse's archive holds it).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS files (
    submission_id TEXT PRIMARY KEY, file_name TEXT NOT NULL, ext TEXT NOT NULL,
    size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, received_at TEXT NOT NULL,
    agency_code TEXT, route_code TEXT, route_detail TEXT, fiscal_year INTEGER);
CREATE TABLE IF NOT EXISTS arrivals (
    submission_id TEXT NOT NULL, file_name TEXT NOT NULL, seen_at TEXT NOT NULL,
    PRIMARY KEY (submission_id, file_name));
CREATE TABLE IF NOT EXISTS hash_cache (
    path TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,
    submission_id TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS routes (
    submission_id TEXT PRIMARY KEY, version TEXT NOT NULL, agency_code TEXT,
    route_code TEXT, route_detail TEXT, fiscal_year INTEGER);
"""


# A file is read only once it has not changed for this long (a copy in progress
# keeps changing); the sensor and the intake it triggers share the rule.
SETTLE_SECONDS = 2.0


@dataclass(frozen=True)
class InboxFile:
    path: Path
    name: str
    size: int
    mtime_ns: int
    submission_id: str  # lowercase hex SHA-256 of the bytes

    @property
    def ext(self) -> str:
        return self.path.suffix.lower()

    def settled(self, now: float) -> bool:
        return now - self.mtime_ns / 1e9 >= SETTLE_SECONDS


@dataclass(frozen=True)
class Route:
    agency_code: str | None
    route_code: str | None = None
    route_detail: str = ""
    fiscal_year: int | None = None  # as routing saw it; the full parse has the last word


def is_submission(path: Path) -> bool:
    """Every regular file directly in the inbox, but lock files and hidden files."""
    name = path.name
    if name.startswith((".", "~$")) or name == "README.md":
        return False
    return path.is_file() and not path.is_symlink()


def list_inbox(inbox: Path) -> list[Path]:
    if not inbox.is_dir():
        return []
    return sorted(p for p in inbox.iterdir() if is_submission(p))


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def now_utc() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


class Registry:
    def __init__(self, path: Path):
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.executescript(_SCHEMA)

    @contextmanager
    def _connect(self):
        db = sqlite3.connect(self.path, timeout=60, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA busy_timeout=60000")
            yield db
        finally:
            db.close()

    # -- scanning ---------------------------------------------------------------
    def scan(self, inbox: Path) -> list[InboxFile]:
        """Stat and hash every inbox file; a (path, size, mtime) cache skips re-hashing."""
        return self.scan_paths(list_inbox(inbox))

    def scan_paths(self, paths: list[Path]) -> list[InboxFile]:
        files = []
        with self._connect() as db:
            cache = {row[0]: row[1:] for row in db.execute(
                "SELECT path, size, mtime_ns, submission_id FROM hash_cache")}
            for path in paths:
                try:
                    st = path.stat()
                    hit = cache.get(str(path))
                    if hit and hit[0] == st.st_size and hit[1] == st.st_mtime_ns:
                        digest = hit[2]
                    else:
                        digest = sha256_file(path)
                except OSError:
                    # Removed while we looked (an editor's temporary file) or not
                    # readable yet: never a reason to stop the scan; seen next time.
                    continue
                    db.execute("INSERT OR REPLACE INTO hash_cache VALUES (?, ?, ?, ?)",
                               (str(path), st.st_size, st.st_mtime_ns, digest))
                files.append(InboxFile(path, path.name, st.st_size, st.st_mtime_ns, digest))
        return files

    def already_taken(self, path: Path, size: int, mtime_ns: int) -> bool:
        """This exact file (same path, size, mtime) was hashed and its arrival recorded:
        the sensor need not look at it again."""
        with self._connect() as db:
            return db.execute(
                "SELECT 1 FROM hash_cache h JOIN arrivals a USING (submission_id) "
                "WHERE h.path = ? AND h.size = ? AND h.mtime_ns = ? AND a.file_name = ?",
                (str(path), size, mtime_ns, path.name)).fetchone() is not None

    # -- routing ----------------------------------------------------------------
    def known_routes(self, ids: list[str], version: str) -> dict[str, Route]:
        """Routes already decided: a registered file keeps the route it was taken
        under (a copy with another name is the same submission); otherwise a cached
        identification of these exact bytes by this parser version."""
        out: dict[str, Route] = {}
        with self._connect() as db:
            for sid in ids:
                # A crashed identification is retried, so a file is never stuck unrouted
                # because the reader (or the machine) failed once.
                row = db.execute("SELECT agency_code, route_code, route_detail, fiscal_year "
                                 "FROM files WHERE submission_id = ? AND NOT (agency_code IS NULL "
                                 "AND route_code = 'reader_crashed')", (sid,)).fetchone()
                if row is None:
                    row = db.execute("SELECT agency_code, route_code, route_detail, fiscal_year "
                                     "FROM routes WHERE submission_id = ? AND version = ?",
                                     (sid, version)).fetchone()
                if row is not None:
                    out[sid] = Route(row[0], row[1], row[2] or "", row[3])
        return out

    def remember_routes(self, routes: dict[str, Route], version: str) -> None:
        with self._connect() as db:
            db.executemany("INSERT OR REPLACE INTO routes VALUES (?, ?, ?, ?, ?, ?)",
                           [(sid, version, r.agency_code, r.route_code, r.route_detail,
                             r.fiscal_year) for sid, r in routes.items()])

    # -- intake -----------------------------------------------------------------
    def is_new(self, f: InboxFile) -> bool:
        with self._connect() as db:
            return db.execute("SELECT 1 FROM arrivals WHERE submission_id = ? AND file_name = ?",
                              (f.submission_id, f.name)).fetchone() is None

    def register(self, files: list[InboxFile], routes: dict[str, Route], archive: Path) -> int:
        """Archive and record files; all files first seen in one call share one
        `received_at`, so newer-than is decided by mtime then name among them.
        Returns the count of new arrivals."""
        stamp = now_utc()
        archive.mkdir(parents=True, exist_ok=True)
        added = 0
        # Within one batch, the earliest (mtime, name) copy of some bytes names the submission.
        ordered = sorted(files, key=lambda f: (f.mtime_ns, f.name))
        with self._connect() as db:
            for f in ordered:
                target = archive / (f.submission_id + f.ext)
                if not any(archive.glob(f.submission_id + ".*")) and not target.exists():
                    try:
                        _copy_atomic(f.path, target)
                    except OSError:
                        continue  # gone or unreadable now: taken on a later scan
                route = routes[f.submission_id]
                db.execute(
                    "INSERT OR IGNORE INTO files VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (f.submission_id, f.name, f.ext, f.size, f.mtime_ns, stamp,
                     route.agency_code, route.route_code, route.route_detail, route.fiscal_year))
                # A file first recorded after a crash takes the route found since.
                db.execute("UPDATE files SET agency_code = ?, route_code = ?, route_detail = ?, "
                           "fiscal_year = ? WHERE submission_id = ? AND agency_code IS NULL "
                           "AND route_code = 'reader_crashed' AND ? IS NOT 'reader_crashed'",
                           (route.agency_code, route.route_code, route.route_detail,
                            route.fiscal_year, f.submission_id, route.route_code))
                cur = db.execute("INSERT OR IGNORE INTO arrivals VALUES (?, ?, ?)",
                                 (f.submission_id, f.name, stamp))
                added += cur.rowcount
        return added

    def archived(self, submission_id: str, archive: Path) -> Path:
        with self._connect() as db:
            (ext,) = db.execute("SELECT ext FROM files WHERE submission_id = ?",
                                (submission_id,)).fetchone()
        return archive / (submission_id + ext)

    def files(self, agency_code: str | None = "*") -> list[dict]:
        """Registered files; agency_code None for unrouted ones, "*" for all."""
        with self._connect() as db:
            db.row_factory = sqlite3.Row
            if agency_code == "*":
                rows = db.execute("SELECT * FROM files ORDER BY received_at, mtime_ns, file_name")
            elif agency_code is None:
                rows = db.execute("SELECT * FROM files WHERE agency_code IS NULL "
                                  "ORDER BY received_at, mtime_ns, file_name")
            else:
                rows = db.execute("SELECT * FROM files WHERE agency_code = ? "
                                  "ORDER BY received_at, mtime_ns, file_name", (agency_code,))
            return [dict(r) for r in rows]

    def arrivals(self) -> list[dict]:
        with self._connect() as db:
            db.row_factory = sqlite3.Row
            return [dict(r) for r in db.execute(
                "SELECT * FROM arrivals ORDER BY seen_at, submission_id, file_name")]


def _copy_atomic(src: Path, dst: Path) -> None:
    tmp = dst.with_name(f".{dst.name}.{os.getpid()}.tmp")
    shutil.copyfile(src, tmp)
    os.replace(tmp, dst)
