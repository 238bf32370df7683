"""The record of every file received: by hash, with its first sighting and every
name it arrived under. SQLite, because the sensor and several partition runs may
touch it at once, and it must survive every run (the warehouse's archive holds it).

Names are kept twice (`assets/ingest/names.py`): `file_name` is the display form (valid
Unicode, what the warehouse and people see), `file_name_raw` the exact bytes (what
tells two arrivals apart). Inbox hashes are cached by path bytes, size, mtime,
inode and ctime, so a scan of unchanged files is one stat per file.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from stiplan.assets.ingest.names import display_name, file_ext, raw_name
from stiplan.assets.runtime.faults import checkpoint
from stiplan.schemas.problems import Problem

_SCHEMA = """
CREATE TABLE IF NOT EXISTS files (
    submission_id TEXT PRIMARY KEY, file_name TEXT NOT NULL, ext TEXT NOT NULL,
    size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, received_at TEXT NOT NULL,
    agency_code TEXT, route_code TEXT, route_detail TEXT, fiscal_year INTEGER,
    file_name_raw BLOB);
CREATE TABLE IF NOT EXISTS arrivals (
    submission_id TEXT NOT NULL, file_name TEXT NOT NULL, seen_at TEXT NOT NULL,
    file_name_raw BLOB NOT NULL, PRIMARY KEY (submission_id, file_name_raw));
CREATE TABLE IF NOT EXISTS inbox_hashes (
    path BLOB PRIMARY KEY, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,
    ino INTEGER NOT NULL, ctime_ns INTEGER NOT NULL, submission_id TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS routes (
    submission_id TEXT PRIMARY KEY, version TEXT NOT NULL, agency_code TEXT,
    route_code TEXT, route_detail TEXT, fiscal_year INTEGER);
"""

# Registries written before names were kept as bytes: `file_name` was the name as
# Python decoded it (always valid UTF-8 there, or the insert failed), so its raw
# bytes are its UTF-8 encoding. `hash_cache` was never filled (a bug): dropped.
_MIGRATE_ARRIVALS = """
CREATE TABLE arrivals_new (
    submission_id TEXT NOT NULL, file_name TEXT NOT NULL, seen_at TEXT NOT NULL,
    file_name_raw BLOB NOT NULL, PRIMARY KEY (submission_id, file_name_raw));
INSERT OR IGNORE INTO arrivals_new
    SELECT submission_id, file_name, seen_at, CAST(file_name AS BLOB) FROM arrivals;
DROP TABLE arrivals;
ALTER TABLE arrivals_new RENAME TO arrivals;
"""


# A file is read only once it has not changed for this long (a copy in progress
# keeps changing); the sensor and the intake it triggers share the rule.
SETTLE_SECONDS = 2.0

# A hash is cached only for a file last changed this long before hashing began: a
# write within the file system's clock tick of our read could otherwise leave size,
# mtime and ctime as they were ("racy" files, as git calls them); those are hashed
# again on the next scan, and cached from then on.
RACY_SECONDS = 1.0


@dataclass(frozen=True)
class InboxFile:
    path: Path
    name: str  # display form (assets/ingest/names.py): what is stored, shown and routed by
    size: int
    mtime_ns: int
    submission_id: str  # lowercase hex SHA-256 of the bytes

    @property
    def raw(self) -> bytes:
        """The name's exact bytes."""
        return raw_name(self.path.name)

    @property
    def ext(self) -> str:
        """Lower-case extension with its dot, or "" when absent or odd (names.file_ext)."""
        return file_ext(self.path.name)

    def settled(self, now: float) -> bool:
        return now - self.mtime_ns / 1e9 >= SETTLE_SECONDS


@dataclass(frozen=True)
class Route:
    agency_code: str | None
    route_code: str | None = None
    route_detail: str = ""
    fiscal_year: int | None = None  # as routing saw it; the full parse has the last word

    @property
    def problem(self) -> Problem | None:
        """Why the file cannot be routed (the columns keep its code and detail)."""
        return Problem.of(self.route_code, self.route_detail) if self.route_code else None


def is_submission(path: Path) -> bool:
    """Every regular file directly in the inbox, but lock files and hidden files."""
    name = path.name
    if name.startswith((".", "~$")) or name == "README.md":
        return False
    return path.is_file() and not path.is_symlink()


def list_inbox(inbox: Path) -> list[Path]:
    if not inbox.is_dir():
        return []
    return sorted((p for p in inbox.iterdir() if is_submission(p)), key=raw_name)


def sha256_file(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def now_utc() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def _stamp(st: os.stat_result) -> tuple[int, int, int, int]:
    """What the hash cache compares: a file with the same stamp has the same bytes."""
    return (st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns)


class Registry:
    def __init__(self, path: Path):
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.executescript(_SCHEMA)
            _migrate(db)

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
        """Stat and hash every inbox file; the hash cache skips re-hashing unchanged
        files, and forgets the files that have left this inbox."""
        listed = list_inbox(inbox)
        files = self.scan_paths(listed)
        folder = raw_name(inbox.absolute())
        keep = {raw_name(p.absolute()) for p in listed}
        with self._connect() as db:
            gone = [
                (key,)
                for (key,) in db.execute("SELECT path FROM inbox_hashes")
                if os.path.dirname(key) == folder and key not in keep
            ]
            db.executemany("DELETE FROM inbox_hashes WHERE path = ?", gone)
        return files

    def scan_paths(self, paths: list[Path]) -> list[InboxFile]:
        files = []
        fresh = []
        with self._connect() as db:
            for path in paths:
                key = raw_name(path.absolute())
                try:
                    st = path.stat()
                    row = db.execute(
                        "SELECT size, mtime_ns, ino, ctime_ns, submission_id "
                        "FROM inbox_hashes WHERE path = ?",
                        (key,),
                    ).fetchone()
                    if row is not None and tuple(row[:4]) == _stamp(st):
                        digest = row[4]
                    else:
                        started = time.time()
                        digest = sha256_file(path)
                        after = path.stat()
                        last_change = max(after.st_mtime_ns, after.st_ctime_ns) / 1e9
                        if _stamp(after) == _stamp(st) and last_change < started - RACY_SECONDS:
                            fresh.append((key, *_stamp(st), digest))
                except OSError:
                    # Removed while we looked (an editor's temporary file) or not
                    # readable yet: never a reason to stop the scan; seen next time.
                    continue
                files.append(
                    InboxFile(path, display_name(path.name), st.st_size, st.st_mtime_ns, digest)
                )
            db.executemany("INSERT OR REPLACE INTO inbox_hashes VALUES (?, ?, ?, ?, ?, ?)", fresh)
        return files

    def taken(self, stats: dict[Path, os.stat_result]) -> set[Path]:
        """The files among `stats` that are exactly as hashed (same path and stamp) and
        whose arrival under that name is recorded: the sensor need not look at them."""
        out = set()
        with self._connect() as db:
            for path, st in stats.items():
                row = db.execute(
                    "SELECT h.size, h.mtime_ns, h.ino, h.ctime_ns FROM inbox_hashes h "
                    "JOIN arrivals a ON a.submission_id = h.submission_id "
                    "AND a.file_name_raw = ? WHERE h.path = ?",
                    (raw_name(path.name), raw_name(path.absolute())),
                ).fetchone()
                if row is not None and tuple(row) == _stamp(st):
                    out.add(path)
        return out

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
                row = db.execute(
                    "SELECT agency_code, route_code, route_detail, fiscal_year "
                    "FROM files WHERE submission_id = ? AND NOT (agency_code IS NULL "
                    "AND route_code = 'reader_crashed')",
                    (sid,),
                ).fetchone()
                if row is None:
                    row = db.execute(
                        "SELECT agency_code, route_code, route_detail, fiscal_year "
                        "FROM routes WHERE submission_id = ? AND version = ?",
                        (sid, version),
                    ).fetchone()
                if row is not None:
                    out[sid] = Route(row[0], row[1], row[2] or "", row[3])
        return out

    def remember_routes(self, routes: dict[str, Route], version: str) -> None:
        with self._connect() as db:
            db.executemany(
                "INSERT OR REPLACE INTO routes VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (sid, version, r.agency_code, r.route_code, r.route_detail, r.fiscal_year)
                    for sid, r in routes.items()
                ],
            )

    # -- intake -----------------------------------------------------------------
    def is_new(self, f: InboxFile) -> bool:
        """These bytes have not arrived under this exact name (bytes) before."""
        with self._connect() as db:
            return (
                db.execute(
                    "SELECT 1 FROM arrivals WHERE submission_id = ? AND file_name_raw = ?",
                    (f.submission_id, f.raw),
                ).fetchone()
                is None
            )

    def register(self, files: list[InboxFile], routes: dict[str, Route], archive: Path) -> int:
        """Archive and record files; all files first seen in one call share one
        `received_at`, so newer-than is decided by mtime then name among them.
        Returns the count of new arrivals."""
        stamp = now_utc()
        archive.mkdir(parents=True, exist_ok=True)
        added = 0
        # Within one batch, the earliest (mtime, name) copy of some bytes names the submission.
        ordered = sorted(files, key=lambda f: (f.mtime_ns, f.name, f.raw))
        copied = []
        for f in ordered:
            # <hash><ext>: never the inbox name, and the extension is short and plain.
            target = archive / (f.submission_id + f.ext)
            if not any(archive.glob(f.submission_id + ".*")) and not target.exists():
                try:
                    _copy_atomic(f.path, target)
                except OSError:
                    continue  # gone or unreadable now: taken on a later scan
            copied.append(f)
        with self._connect() as db:
            # One transaction: a kill leaves the whole batch recorded (one received_at)
            # or none of it, so the next run orders the same files the same way.
            db.execute("BEGIN IMMEDIATE")
            try:
                for f in copied:
                    route = routes[f.submission_id]
                    db.execute(
                        "INSERT OR IGNORE INTO files (submission_id, file_name, ext, size, "
                        "mtime_ns, received_at, agency_code, route_code, route_detail, "
                        "fiscal_year, file_name_raw) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (
                            f.submission_id,
                            f.name,
                            f.ext,
                            f.size,
                            f.mtime_ns,
                            stamp,
                            route.agency_code,
                            route.route_code,
                            route.route_detail,
                            route.fiscal_year,
                            f.raw,
                        ),
                    )
                    # A file first recorded after a crash takes the route found since.
                    db.execute(
                        "UPDATE files SET agency_code = ?, route_code = ?, route_detail = ?, "
                        "fiscal_year = ? WHERE submission_id = ? AND agency_code IS NULL "
                        "AND route_code = 'reader_crashed' AND ? IS NOT 'reader_crashed'",
                        (
                            route.agency_code,
                            route.route_code,
                            route.route_detail,
                            route.fiscal_year,
                            f.submission_id,
                            route.route_code,
                        ),
                    )
                    cur = db.execute(
                        "INSERT OR IGNORE INTO arrivals (submission_id, file_name, "
                        "seen_at, file_name_raw) VALUES (?, ?, ?, ?)",
                        (f.submission_id, f.name, stamp, f.raw),
                    )
                    added += cur.rowcount
                    checkpoint("intake-register")
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return added

    def archived(self, submission_id: str, archive: Path) -> Path:
        with self._connect() as db:
            (ext,) = db.execute(
                "SELECT ext FROM files WHERE submission_id = ?", (submission_id,)
            ).fetchone()
        return archive / (submission_id + ext)

    def files(self, agency_code: str | None = "*") -> list[dict]:
        """Registered files; agency_code None for unrouted ones, "*" for all."""
        order = " ORDER BY received_at, mtime_ns, file_name, file_name_raw"
        with self._connect() as db:
            db.row_factory = sqlite3.Row
            if agency_code == "*":
                rows = db.execute("SELECT * FROM files" + order)
            elif agency_code is None:
                rows = db.execute("SELECT * FROM files WHERE agency_code IS NULL" + order)
            else:
                rows = db.execute(
                    "SELECT * FROM files WHERE agency_code = ?" + order, (agency_code,)
                )
            return [dict(r) for r in rows]

    def arrivals(self) -> list[dict]:
        with self._connect() as db:
            db.row_factory = sqlite3.Row
            return [
                dict(r)
                for r in db.execute(
                    "SELECT * FROM arrivals ORDER BY seen_at, submission_id, file_name, "
                    "file_name_raw"
                )
            ]


def _columns(db: sqlite3.Connection, table: str) -> set[str]:
    return {row[1] for row in db.execute(f"PRAGMA table_info({table})")}


def _migrate(db: sqlite3.Connection) -> None:
    """Bring a registry written by an older stiplan up to this schema, once."""

    def stale() -> bool:
        return (
            "file_name_raw" not in _columns(db, "files")
            or "file_name_raw" not in _columns(db, "arrivals")
            or bool(_columns(db, "hash_cache"))
        )

    if not stale():
        return
    db.execute("BEGIN IMMEDIATE")  # one process migrates; the others wait, then see it done
    try:
        if "file_name_raw" not in _columns(db, "files"):
            db.execute("ALTER TABLE files ADD COLUMN file_name_raw BLOB")
            db.execute(
                "UPDATE files SET file_name_raw = CAST(file_name AS BLOB) "
                "WHERE file_name_raw IS NULL"
            )
        if "file_name_raw" not in _columns(db, "arrivals"):
            for statement in _MIGRATE_ARRIVALS.split(";"):
                if statement.strip():
                    db.execute(statement)
        db.execute("DROP TABLE IF EXISTS hash_cache")
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise


def _copy_atomic(src: Path, dst: Path) -> None:
    tmp = dst.with_name(f".{dst.name}.{os.getpid()}.tmp")
    shutil.copyfile(src, tmp)
    os.replace(tmp, dst)
