"""The planners' way: `dagster dev` running, files dropped into the inbox, nothing
else. The sensor's runs and the automation's runs must succeed and the published
plan must reach the expected content, seen through Dagster's GraphQL API."""

from __future__ import annotations

import json
import os
import shutil
import time
from decimal import Decimal
from pathlib import Path

import duckdb
from test_dagster import dagster_dev, graphql, leftovers
from workbooks import set_old_mtime, write_xlsx

from stiplan.schemas.reference import AGENCIES

REPO = Path(__file__).resolve().parents[2]
YEAR = "ประจำปีงบประมาณ พ.ศ. 2555"
H = ["ลำดับ", "ชื่อโครงการ", "จังหวัด", "งบประมาณ (บาท)"]
RUNS = """{ runsOrError { ... on Runs { results { runId status tags { key value } } } } }"""
BACKFILL = """mutation($params: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $params) {
    __typename ... on LaunchBackfillSuccess { backfillId } ... on PythonError { message } } }"""
BACKFILL_STATUS = """{ partitionBackfillOrError(backfillId: "%s") {
  ... on PartitionBackfill { status } } }"""
ENTRIES = """metadataEntries { label
  ... on IntMetadataEntry { intValue } ... on FloatMetadataEntry { floatValue }
  ... on MarkdownMetadataEntry { mdStr } ... on TextMetadataEntry { text }
  ... on TableMetadataEntry { table { records } } }"""
PARTITIONS = (
    "query($key: AssetKeyInput!) { assetNodeOrError(assetKey: $key) { ... on AssetNode {"
    " partitionKeysByDimension { name partitionKeys }"
    f" assetMaterializations {{ partition timestamp {ENTRIES} }} }} }} }}"
)


MATRIX = """query($key: AssetKeyInput!) { assetNodeOrError(assetKey: $key) { ... on AssetNode {
  partitionKeysByDimension { name partitionKeys }
  assetPartitionStatuses { ... on MultiPartitionStatuses { primaryDimensionName
    ranges { primaryDimStartKey primaryDimEndKey secondaryDim {
      ... on DefaultPartitionStatuses { materializedPartitions failedPartitions } } } } }
  assetChecksOrError { ... on AssetChecks { checks { name
    partitionStatuses { ... on AssetCheckMultiPartitionStatuses { primaryDimensionName
      ranges { primaryDimStartKey primaryDimEndKey secondaryDim {
        ... on AssetCheckDefaultPartitionStatuses { succeededPartitions failedPartitions }
      } } } } } } } } } }"""


def _cells(status: dict, dims: dict[str, list[str]], fields: tuple[str, str]) -> dict[str, str]:
    """A multi-partition status (ranges of the primary dimension, each with the secondary
    dimension's keys by status) as `agency|year` -> the field it is listed under."""
    primary = status["primaryDimensionName"]
    secondary = next(name for name in dims if name != primary)
    keys = dims[primary]
    cells = {}
    for r in status["ranges"]:
        span = keys[keys.index(r["primaryDimStartKey"]) : keys.index(r["primaryDimEndKey"]) + 1]
        for field in fields:
            for other in r["secondaryDim"][field]:
                for key in span:
                    parts = {primary: key, secondary: other}
                    cells["|".join(parts[d] for d in sorted(parts))] = field
    return cells


def _matrix(port: int) -> tuple[dict[str, str], dict[str, str]]:
    """`agency_submissions` partitions by status (materialised or failed), and its
    `current_submission` check's partitions (succeeded or failed), as the UI shows them."""
    node = graphql(port, MATRIX, {"key": {"path": ["agency_submissions"]}})["data"][
        "assetNodeOrError"
    ]
    dims = {d["name"]: d["partitionKeys"] for d in node["partitionKeysByDimension"]}
    asset = _cells(
        node["assetPartitionStatuses"], dims, ("materializedPartitions", "failedPartitions")
    )
    (check,) = [
        c for c in node["assetChecksOrError"]["checks"] if c["name"] == "current_submission"
    ]
    checks = _cells(check["partitionStatuses"], dims, ("succeededPartitions", "failedPartitions"))
    return asset, checks


def _entry(entry: dict):
    for field in ("intValue", "floatValue", "mdStr", "text"):
        if field in entry:
            return entry[field]
    if "table" in entry:
        return [json.loads(r) for r in entry["table"]["records"]]
    return None  # kinds this test does not read (schemas, paths)


def _latest(port: int, asset: str) -> tuple[dict, dict[str | None, dict]]:
    """The asset's partition keys by dimension, and each partition's latest metadata."""
    node = graphql(port, PARTITIONS, {"key": {"path": [asset]}})["data"]["assetNodeOrError"]
    latest: dict[str | None, dict] = {}
    for m in sorted(node["assetMaterializations"], key=lambda m: float(m["timestamp"])):
        latest[m["partition"]] = {e["label"]: _entry(e) for e in m["metadataEntries"]}
    dims = {d["name"]: d["partitionKeys"] for d in node["partitionKeysByDimension"]}
    return dims, latest


def _projects(plan: Path):
    if not plan.exists():
        return None
    try:
        con = duckdb.connect(str(plan), read_only=True)
    except duckdb.Error:
        return None
    try:
        return sorted(
            con.execute("SELECT agency_code, project_name, budget_baht FROM projects").fetchall()
        )
    finally:
        con.close()


def _alive(pid: int) -> bool:
    """Running, not a zombie waiting for its parent."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except (OSError, IndexError):
        return False


def _status(plan: Path, file_name: str) -> str | None:
    try:
        con = duckdb.connect(str(plan), read_only=True)
    except duckdb.Error:
        return None
    try:
        row = con.execute(
            "SELECT status FROM submissions WHERE file_name = ?", [file_name]
        ).fetchone()
        return row[0] if row else None
    except duckdb.Error:
        return None
    finally:
        con.close()


def _settled_runs(port: int, timeout: float = 120) -> list[dict]:
    """All runs, once none is queued or running any more."""
    deadline = time.time() + timeout
    while True:
        runs = graphql(port, RUNS)["data"]["runsOrError"]["results"]
        busy = [
            r
            for r in runs
            if r["status"] in ("QUEUED", "NOT_STARTED", "STARTING", "STARTED", "CANCELING")
        ]
        if not busy or time.time() > deadline:
            return runs
        time.sleep(1)


def test_dropping_files_under_dagster_dev_publishes_the_plan(tmp_path):
    inbox, warehouse, home = tmp_path / "inbox", tmp_path / "warehouse", tmp_path / "home"
    for d in (inbox, home):
        d.mkdir()
    shutil.copyfile(REPO / "pipelines" / "dagster.yaml", home / "dagster.yaml")
    env = dict(
        os.environ,
        DAGSTER_HOME=str(home),
        STIPLAN_INBOX=str(inbox),
        STIPLAN_WAREHOUSE=str(warehouse),
    )
    # Prepared outside the inbox: one file to write in slow chunks, one old copy.
    staging = tmp_path / "staging"
    staging.mkdir()
    chunked = write_xlsx(
        staging / "NSTDA_2555.xlsx",
        {"s": ([[YEAR], H], [[i, f"โครงการที่ {i}", "เชียงใหม่", 1000 + i] for i in range(1, 301)])},
    )
    old = write_xlsx(staging / "DSS_2555.xlsx", {"s": ([[YEAR], H], [[1, "โครงการวศ", "ตาก", 5]])})
    set_old_mtime(old)
    others = [a.code for a in AGENCIES if a.code not in ("NSTDA", "DSS")]
    for code in others:  # fourteen more, to be dropped at the same moment
        write_xlsx(
            staging / f"{code}_2555.xlsx",
            {"s": ([[YEAR], H], [[1, f"โครงการของ {code}", "น่าน", 100]])},
        )

    with dagster_dev(env, tmp_path) as port:
        deadline = time.time() + 120
        while time.time() < deadline:
            try:
                if graphql(port, "{ version }").get("data"):
                    break
            except OSError:
                time.sleep(1)
        data = chunked.read_bytes()
        with open(inbox / chunked.name, "wb") as fh:  # a slow copy: 6 chunks, 0.6 s apart
            step = len(data) // 6 + 1
            for i in range(0, len(data), step):
                fh.write(data[i : i + step])
                fh.flush()
                time.sleep(0.6)
        shutil.copy2(old, inbox / old.name)  # keeps its old modification time
        for code in others:
            shutil.copyfile(staging / f"{code}_2555.xlsx", inbox / f"{code}_2555.xlsx")

        expected = sorted(
            [("DSS", "โครงการวศ", Decimal("5.00"))]
            + [(code, f"โครงการของ {code}", Decimal("100.00")) for code in others]
            + [
                ("NSTDA", f"โครงการที่ {i}", Decimal(1000 + i).quantize(Decimal("0.01")))
                for i in range(1, 301)
            ]
        )
        deadline, got = time.time() + 180, None
        while time.time() < deadline:
            got = _projects(warehouse / "plan.duckdb")
            if got == expected:
                break
            time.sleep(1)
        assert got == expected

        # The automation then writes the outputs from the published plan.
        book = warehouse / "outputs" / "planbook" / "แผนบูรณาการ_วทน_2555.xlsx"
        extracts = warehouse / "outputs" / "provinces" / "2555"

        def outputs_written() -> bool:
            return book.exists() and len(list(extracts.glob("*.xlsx"))) == 77

        deadline = time.time() + 120
        while not outputs_written() and time.time() < deadline:
            time.sleep(1)
        assert outputs_written()
        runs = _settled_runs(port)
        tags = [{t["key"]: t["value"] for t in r["tags"]} for r in runs]
        assert runs and all(r["status"] == "SUCCESS" for r in runs), runs
        sensor_runs = [t for t in tags if t.get("dagster/sensor_name") == "inbox_sensor"]
        # every agency was read by the sensor's runs, neighbours in the list together
        read = [code for t in sensor_runs for code in t["stiplan/agency"].split(",")]
        assert sorted(read) == sorted(a.code for a in AGENCIES)
        assert any(t.get("dagster/sensor_name") == "plan_automation" for t in tags)

        # Re-reading all sixteen agencies is one run (a single-run backfill).
        launched = graphql(
            port,
            BACKFILL,
            {
                "params": {
                    "partitionNames": [f"{a.code}|2555" for a in AGENCIES],
                    "assetSelection": [
                        {"path": ["agency_intake"]},
                        {"path": ["agency_submissions"]},
                    ],
                }
            },
        )
        backfill_id = launched["data"]["launchPartitionBackfill"]["backfillId"]
        deadline, status = time.time() + 120, None
        while time.time() < deadline:
            status = graphql(port, BACKFILL_STATUS % backfill_id)["data"][
                "partitionBackfillOrError"
            ]["status"]
            if status in ("COMPLETED", "COMPLETED_SUCCESS", "FAILED", "CANCELED"):
                break
            time.sleep(1)
        assert status.startswith("COMPLETED"), status
        runs = _settled_runs(port)
        backfill_runs = [
            r for r in runs if {"key": "dagster/backfill", "value": backfill_id} in r["tags"]
        ]
        assert len(backfill_runs) == 1 and backfill_runs[0]["status"] == "SUCCESS"

        # A second fiscal year, a resubmission and a damaged resubmission named for its
        # agency; then the partition matrix and its metadata, over GraphQL, against the plan.
        write_xlsx(
            staging / "NSTDA_2556.xlsx",
            {"s": ([["ประจำปีงบประมาณ พ.ศ. 2556"], H], [[1, "โครงการปีใหม่", "ตาก", 70]])},
        )
        write_xlsx(
            staging / "NIA_2555_v2.xlsx",
            {"s": ([[YEAR], H], [[1, "โครงการของ NIA ฉบับแก้", "น่าน", 250]])},
        )
        (staging / "TCELS_2555_revised.xlsx").write_bytes(b"PK\x03\x04 damaged in transit")
        for name in ("NSTDA_2556.xlsx", "NIA_2555_v2.xlsx", "TCELS_2555_revised.xlsx"):
            shutil.copyfile(staging / name, inbox / name)

        def landed() -> bool:
            rows = _projects(warehouse / "plan.duckdb") or []
            names = {r[1] for r in rows}
            return (
                "โครงการปีใหม่" in names
                and "โครงการของ NIA ฉบับแก้" in names
                and (_status(warehouse / "plan.duckdb", "TCELS_2555_revised.xlsx") == "rejected")
            )

        deadline = time.time() + 120
        while not landed() and time.time() < deadline:
            time.sleep(1)
        assert landed()
        _settled_runs(port)
        dims, latest = _latest(port, "agency_submissions")
        assert dims["agency"] == [a.code for a in AGENCIES]
        assert sorted(dims["fiscal_year"]) == ["2555", "2556"]
        # the matrix: every agency for 2555, NSTDA alone for 2556; the others empty
        assert set(latest) == {f"{a.code}|2555" for a in AGENCIES} | {"NSTDA|2556"}
        con = duckdb.connect(str(warehouse / "plan.duckdb"), read_only=True)
        try:
            current = {
                f"{a}|{y}": (accepted, float(budget))
                for a, y, accepted, budget in con.execute(
                    """SELECT s.agency_code, s.fiscal_year, s.rows_accepted,
                              (SELECT coalesce(sum(budget_baht), 0) FROM projects p
                               WHERE p.submission_id = s.submission_id)
                       FROM submissions s WHERE s.status = 'current'"""
                ).fetchall()
            }
        finally:
            con.close()
        # each partition shows its current version's figures only (NIA: the resubmission)
        for key, meta in latest.items():
            assert (meta["rows_accepted"], meta["budget_accepted_baht"]) == current[key], key
        assert current["NIA|2555"] == (1, 250.0)
        # the damaged resubmission is shown under its agency and year
        assert "TCELS_2555_revised.xlsx" in latest["TCELS|2555"]["rejected_files"]
        # The matrices, as the UI draws them, against the warehouse's submission_status:
        # every agency-year with a file is materialised; the check is green for a current
        # version, red where the agency's latest file was rejected (TCELS's damaged
        # resubmission), empty where nothing was sent.
        asset, checks = _matrix(port)
        con = duckdb.connect(str(warehouse / "plan.duckdb"), read_only=True)
        try:
            status = {
                f"{a}|{y}": (received, rejected, s)
                for a, y, received, rejected, s in con.execute(
                    """SELECT agency_code, fiscal_year, files_received, files_rejected, status
                       FROM submission_status"""
                ).fetchall()
            }
        finally:
            con.close()
        assert len(status) == 32  # 16 agencies x 2 fiscal years
        assert asset == {k: "materializedPartitions" for k, v in status.items() if v[0]}
        assert checks == {
            k: "failedPartitions" if k == "TCELS|2555" else "succeededPartitions"
            for k, v in status.items()
            if v[0]
        }
        assert status["TCELS|2555"] == (2, 1, "current")  # the plan keeps the first version
        assert status["NSTDA|2556"][2] == "current" and status["OPS|2556"][2] == "not yet submitted"
        # every agency is listed for every fiscal year on the published plan
        _, plan = _latest(port, "published_plan")
        for year in (2555, 2556):
            status = plan[None][f"{year} submissions of the 16 agencies"]
            assert len(status) == 16

    # nothing started for this warehouse outlives dagster dev (a run left spinning would
    # slow every test after this one)
    time.sleep(0.5)
    assert [pid for pid in leftovers(str(warehouse)) if _alive(pid)] == []
    # The chunked file was taken once, whole: one submission, one arrival, its full hash.
    import hashlib

    con = duckdb.connect(str(warehouse / "plan.duckdb"), read_only=True)
    try:
        subs = con.execute(
            "SELECT submission_id, status FROM submissions WHERE file_name = 'NSTDA_2555.xlsx'"
        ).fetchall()
        arrivals = con.execute("SELECT count(*) FROM arrivals").fetchone()[0]
        total = con.execute("SELECT count(*) FROM submissions").fetchone()[0]
    finally:
        con.close()
    assert subs == [(hashlib.sha256(data).hexdigest(), "current")]
    assert arrivals == 19 and total == 19
    # The terminal of `make start` over all those runs: a line or two per run, not
    # Dagster's DEBUG record of every step (1,300 routine lines in 17 minutes before).
    printed = (tmp_path / "dagster-dev.log").read_text(errors="replace").splitlines()
    assert not [line for line in printed if " - DEBUG - " in line]
    assert len(printed) < 120, printed[:40]
