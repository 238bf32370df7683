"""The registry: the hash cache really skips re-hashing (counted, through real scans,
a real sensor tick and a real `stiplan run`), names of every kind are recorded
losslessly, odd extensions never reach the archive's paths, and an unreadable file
is routed by its name."""

from __future__ import annotations

import os
import sqlite3
import time
import unicodedata
from collections import Counter
from pathlib import Path

import dagster as dg
import pytest
from workbooks import write_xlsx

from stiplan.assets.ingest import registry as registry_module
from stiplan.assets.ingest.inbox import route_files
from stiplan.assets.ingest.registry import RACY_SECONDS, Registry, Route

YEAR = "ประจำปีงบประมาณ พ.ศ. 2555"
H = ["ลำดับ", "ชื่อโครงการ", "จังหวัด", "งบประมาณ (บาท)"]
CP874_NSTDA = b"\xca\xc7\xb7\xaa_2555.xlsx"  # สวทช_2555.xlsx as a Thai Windows zip names it


@pytest.fixture
def hashed(monkeypatch) -> Counter:
    """Counts every file stiplan hashes, by name bytes (the real hashing still runs)."""
    counts: Counter = Counter()
    real = registry_module.sha256_file

    def counting(path):
        counts[os.fsencode(Path(path).name)] += 1
        return real(path)

    monkeypatch.setattr(registry_module, "sha256_file", counting)
    return counts


def _past_racy_window() -> None:
    """Files just written are hashed again on the next scan (their stamp could still
    change within the file system's clock tick); wait until they are not."""
    time.sleep(RACY_SECONDS + 0.1)


def _raw_path(folder: Path, raw: bytes) -> Path:
    return Path(os.fsdecode(os.path.join(os.fsencode(folder), raw)))


def test_a_second_scan_of_unchanged_files_hashes_nothing(tmp_path, hashed):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for i in range(3):
        (inbox / f"f{i}.xlsx").write_bytes(b"x" * (i + 1))
    _raw_path(inbox, CP874_NSTDA).write_bytes(b"thai windows")
    _past_racy_window()
    registry = Registry(tmp_path / "archive" / "registry.sqlite")
    first = registry.scan(inbox)
    assert sum(hashed.values()) == 4 and set(hashed.values()) == {1}
    hashed.clear()
    second = registry.scan(inbox)
    assert hashed == Counter()
    assert [(f.name, f.submission_id) for f in second] == [(f.name, f.submission_id) for f in first]

    # A new modification time re-hashes that file only; so does a new size.
    os.utime(inbox / "f1.xlsx", ns=(10**18, 10**18))
    with open(inbox / "f2.xlsx", "ab") as fh:
        fh.write(b"more")
    _past_racy_window()
    third = {f.name: f.submission_id for f in registry.scan(inbox)}
    assert hashed == Counter({b"f1.xlsx": 1, b"f2.xlsx": 1})
    assert third["f2.xlsx"] != {f.name: f.submission_id for f in first}["f2.xlsx"]
    hashed.clear()
    registry.scan(inbox)
    assert hashed == Counter()


def test_same_size_and_mtime_but_new_bytes_is_hashed_again(tmp_path, hashed):
    """A zip extracted over an older one restores the entry's (2-second) time: the
    size and mtime can match while the bytes differ; the ctime and inode cannot."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    path = inbox / "NSTDA_2555.xlsx"
    path.write_bytes(b"version 1")
    os.utime(path, ns=(10**18, 10**18))
    _past_racy_window()
    registry = Registry(tmp_path / "registry.sqlite")
    (before,) = registry.scan(inbox)
    path.write_bytes(b"version 2")
    os.utime(path, ns=(10**18, 10**18))
    _past_racy_window()
    (after,) = registry.scan(inbox)
    assert hashed[b"NSTDA_2555.xlsx"] == 2
    assert (after.size, after.mtime_ns) == (before.size, before.mtime_ns)
    assert after.submission_id != before.submission_id


def test_a_file_changed_just_before_its_scan_is_not_trusted_to_the_cache(tmp_path, hashed):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "fresh.xlsx").write_bytes(b"just written")
    registry = Registry(tmp_path / "registry.sqlite")
    registry.scan(inbox)
    registry.scan(inbox)
    assert hashed[b"fresh.xlsx"] == 2  # still inside the racy window: hashed again
    _past_racy_window()
    registry.scan(inbox)
    registry.scan(inbox)
    assert hashed[b"fresh.xlsx"] == 3  # settled: cached from then on


def test_files_that_left_the_inbox_leave_the_cache(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "a.xlsx").write_bytes(b"a")
    _raw_path(inbox, CP874_NSTDA).write_bytes(b"b")
    _past_racy_window()
    registry = Registry(tmp_path / "registry.sqlite")
    registry.scan(inbox)
    (inbox / "a.xlsx").unlink()
    registry.scan(inbox)
    with sqlite3.connect(registry.path) as db:
        paths = [bytes(p) for (p,) in db.execute("SELECT path FROM inbox_hashes")]
    assert paths == [os.path.join(os.fsencode(inbox), CP874_NSTDA)]


ODD_NAMES = {
    CP874_NSTDA: "สวทช_2555.xlsx",
    b"R\xe9sum\xe9_2555.xlsx": "R%E9sum%E9_2555.xlsx",  # Latin-1: not Thai, escaped
    ("ก" * 80 + ".xlsx").encode(): "ก" * 80 + ".xlsx",  # 245 bytes
    b"two\nlines.xlsx": "two%0Alines.xlsx",
    b"-starts with a dash.xlsx": "-starts with a dash.xlsx",
    unicodedata.normalize("NFC", "กู้ภัย_Café.xlsx").encode(): unicodedata.normalize(
        "NFC", "กู้ภัย_Café.xlsx"
    ),
    unicodedata.normalize("NFD", "กู้ภัย_Café.xlsx").encode(): unicodedata.normalize(
        "NFD", "กู้ภัย_Café.xlsx"
    ),
    b"notes." + b"y" * 240: "notes." + "y" * 240,
    b"report.xl\nsx": "report.xl%0Asx",
}


def test_every_name_is_recorded_with_its_bytes_and_a_valid_display_form(tmp_path):
    inbox, archive = tmp_path / "inbox", tmp_path / "archive"
    inbox.mkdir()
    for raw in ODD_NAMES:
        _raw_path(inbox, raw).write_bytes(b"same bytes for every name")
    registry = Registry(archive / "registry.sqlite")
    files = registry.scan(inbox)
    assert {f.raw: f.name for f in files} == ODD_NAMES
    routes = {files[0].submission_id: Route(None, "file_type_unsupported")}
    assert registry.register(files, routes, archive) == len(ODD_NAMES)
    assert not any(registry.is_new(f) for f in files)
    arrivals = registry.arrivals()
    # NFC and NFD spellings are two names, so two arrivals; every name is kept whole.
    assert {bytes(a["file_name_raw"]): a["file_name"] for a in arrivals} == ODD_NAMES
    for a in arrivals:
        a["file_name"].encode("utf-8")  # no surrogate anywhere
    assert registry.register(files, routes, archive) == 0  # re-scanning adds nothing


@pytest.mark.parametrize(
    "raw,ext",
    [
        (b"notes." + b"y" * 240, ""),
        (b"report.xl\nsx", ""),
        (b"plan.XLSX", ".xlsx"),
        (b"\xca\xc7\xb7\xaa.\xe0\xb8\x81", ""),
        (b"archive.tar.gz", ".gz"),
    ],
)
def test_the_archive_names_files_by_hash_and_a_plain_extension(tmp_path, raw, ext):
    inbox, archive = tmp_path / "inbox", tmp_path / "archive"
    inbox.mkdir()
    _raw_path(inbox, raw).write_bytes(raw)
    registry = Registry(archive / "registry.sqlite")
    (f,) = registry.scan(inbox)
    assert f.ext == ext
    assert (
        registry.register([f], {f.submission_id: Route(None, "file_type_unsupported")}, archive)
        == 1
    )
    target = registry.archived(f.submission_id, archive)
    assert target.name == f.submission_id + ext and target.read_bytes() == raw
    (row,) = registry.files()
    assert bytes(row["file_name_raw"]) == raw and row["ext"] == ext


def test_an_odd_extension_is_rejected_with_a_readable_reason(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "plan.pdf").write_bytes(b"%PDF")
    _raw_path(inbox, b"report.xl\nsx").write_bytes(b"x")
    registry = Registry(tmp_path / "registry.sqlite")
    files = {f.name: f for f in registry.scan(inbox)}
    routes = route_files(files.values(), registry)
    assert routes[files["plan.pdf"].submission_id] == Route(None, "file_type_unsupported", "'.pdf'")
    assert routes[files["report.xl%0Asx"].submission_id] == Route(
        None, "file_type_unsupported", "'.xl%0Asx'"
    )


def test_unreadable_files_are_routed_by_a_name_that_names_agency_and_year(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    noise = os.urandom(4096)
    (inbox / "TCELS_2555_revised.xlsx").write_bytes(noise)
    (inbox / "NSTDA_2555_cut.xlsx").write_bytes(b"PK\x03\x04" + noise[:100])  # truncated zip
    (inbox / "NIA_revised.xlsx").write_bytes(noise[:2000])  # no year: stays unrouted
    (inbox / "corrupt.xlsx").write_bytes(noise[:3000])
    write_xlsx(_raw_path(inbox, CP874_NSTDA), {"s": ([H], [[1, "โครงการ ก", "ตาก", 1]])})
    registry = Registry(tmp_path / "registry.sqlite")
    files = {f.name: f for f in registry.scan(inbox)}
    routes = {name: route_files([f], registry)[f.submission_id] for name, f in files.items()}
    tcels = routes["TCELS_2555_revised.xlsx"]
    assert (tcels.agency_code, tcels.fiscal_year, tcels.route_code) == (
        "TCELS",
        2555,
        "file_unreadable",
    )
    assert (
        routes["NSTDA_2555_cut.xlsx"].agency_code,
        routes["NSTDA_2555_cut.xlsx"].route_code,
    ) == ("NSTDA", "file_unreadable")
    assert routes["NIA_revised.xlsx"] == Route(
        None, "file_unreadable", routes["NIA_revised.xlsx"].route_detail
    )
    assert routes["corrupt.xlsx"].agency_code is None
    # A workbook whose name is not UTF-8 is opened (the readers take text paths only)
    # and routed by the name's display form: agency and year are in the name only.
    assert routes["สวทช_2555.xlsx"] == Route("NSTDA", fiscal_year=2555)
    for route in routes.values():
        route.route_detail.encode("utf-8")


def test_a_registry_from_before_raw_names_is_migrated(tmp_path):
    path = tmp_path / "registry.sqlite"
    with sqlite3.connect(path) as db:
        db.executescript("""
            CREATE TABLE files (
                submission_id TEXT PRIMARY KEY, file_name TEXT NOT NULL, ext TEXT NOT NULL,
                size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, received_at TEXT NOT NULL,
                agency_code TEXT, route_code TEXT, route_detail TEXT, fiscal_year INTEGER);
            CREATE TABLE arrivals (
                submission_id TEXT NOT NULL, file_name TEXT NOT NULL, seen_at TEXT NOT NULL,
                PRIMARY KEY (submission_id, file_name));
            CREATE TABLE hash_cache (
                path TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,
                submission_id TEXT NOT NULL);
            INSERT INTO files VALUES ('ab', 'สวทช_2555.xlsx', '.xlsx', 1, 1, 't', 'NSTDA',
                                      NULL, '', 2555);
            INSERT INTO arrivals VALUES ('ab', 'สวทช_2555.xlsx', 't');
        """)
    registry = Registry(path)
    Registry(path)  # a second opening finds nothing left to do
    (row,) = registry.files()
    assert bytes(row["file_name_raw"]) == "สวทช_2555.xlsx".encode()
    (arrival,) = registry.arrivals()
    assert (arrival["file_name"], bytes(arrival["file_name_raw"])) == (
        "สวทช_2555.xlsx",
        "สวทช_2555.xlsx".encode(),
    )
    with sqlite3.connect(path) as db:
        tables = {t for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert "hash_cache" not in tables and "inbox_hashes" in tables


def test_stiplan_run_hashes_each_inbox_file_once_and_the_sensor_then_none(
    tmp_path, monkeypatch, hashed
):
    """`stiplan run` scans the inbox three times (the run itself, the agencies' intake,
    the unrouted record): the cache makes the last two a stat per file. A sensor tick
    afterwards finds every file taken: nothing hashed, nothing requested."""
    from stiplan.run import run_inbox
    from stiplan.sensors import inbox_sensor

    inbox, warehouse = tmp_path / "inbox", tmp_path / "warehouse"
    inbox.mkdir()
    monkeypatch.setenv("STIPLAN_INBOX", str(inbox))
    monkeypatch.setenv("STIPLAN_WAREHOUSE", str(warehouse))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))  # real SQLite storage
    write_xlsx(inbox / "NSTDA_2555.xlsx", {"s": ([[YEAR], H], [[1, "โครงการ ก", "ตาก", 1000]])})
    write_xlsx(
        _raw_path(inbox, b"DSS_2555_\xbe\xd2\xc2\xe3\xb9.xlsx"),  # cp874 พายใน
        {"s": ([[YEAR], H], [[1, "โครงการ ข", "ตาก", 2000]])},
    )
    (inbox / "TCELS_2555_revised.xlsx").write_bytes(os.urandom(2048))
    (inbox / "notes.pdf").write_bytes(b"%PDF-1.4")
    _past_racy_window()
    summary = run_inbox(outputs=False)
    assert summary.published and summary.new_files == 4
    assert hashed == Counter(
        {
            b"NSTDA_2555.xlsx": 1,
            b"DSS_2555_\xbe\xd2\xc2\xe3\xb9.xlsx": 1,
            b"TCELS_2555_revised.xlsx": 1,
            b"notes.pdf": 1,
        }
    )
    # Run tags and asset metadata went into Dagster's SQLite storage: names are text.
    instance = dg.DagsterInstance.get()
    intake = instance.fetch_materializations(dg.AssetKey("agency_intake"), limit=20).records
    listed = "".join(e.asset_materialization.metadata["files"].value for e in intake)
    assert "DSS_2555_พายใน.xlsx" in listed
    hashed.clear()
    assert run_inbox(outputs=False).nothing_new
    assert hashed == Counter()
    tick = inbox_sensor(dg.build_sensor_context(instance=instance, resources=_resources()))
    assert tick.run_requests == [] and hashed == Counter()


def test_the_sensor_requests_runs_for_names_that_are_not_utf8(tmp_path, monkeypatch):
    import json

    from stiplan.sensors import inbox_sensor

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    monkeypatch.setenv("STIPLAN_INBOX", str(inbox))
    monkeypatch.setenv("STIPLAN_WAREHOUSE", str(tmp_path / "warehouse"))
    write_xlsx(_raw_path(inbox, CP874_NSTDA), {"s": ([[YEAR], H], [[1, "โครงการ ก", "ตาก", 1]])})
    _raw_path(inbox, b"notes\n\xff.pdf").write_bytes(b"%PDF")
    with dg.instance_for_test() as instance:
        for raw in (CP874_NSTDA, b"notes\n\xff.pdf"):  # just written: settling
            os.utime(os.path.join(os.fsencode(inbox), raw))
        first = inbox_sensor(dg.build_sensor_context(instance=instance, resources=_resources()))
        assert first.run_requests == []
        first.cursor.encode("ascii")
        assert {os.fsencode(p) for p in json.loads(first.cursor)["pending"]} == {
            os.path.join(os.fsencode(inbox), raw) for raw in (CP874_NSTDA, b"notes\n\xff.pdf")
        }
        past = time.time() - 60
        cursor = json.dumps(
            {k: [*v[:2], past] for k, v in json.loads(first.cursor)["pending"].items()}
        )
        result = inbox_sensor(
            dg.build_sensor_context(instance=instance, cursor=cursor, resources=_resources())
        )
    by_key = {r.partition_key: r for r in result.run_requests}
    assert set(by_key) == {"NSTDA|2555", None}
    assert by_key["NSTDA|2555"].tags["stiplan/files"] == "สวทช_2555.xlsx"
    assert by_key["NSTDA|2555"].tags["stiplan/fiscal_years"] == "2555"
    assert by_key[None].tags["stiplan/files"] == "notes%0A%FF.pdf"


def _resources() -> dict:
    from stiplan.assets.resources import StiplanConfig

    return {"stiplan": StiplanConfig.from_environment()}
