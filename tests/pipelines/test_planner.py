"""The one planner of work: the inbox sensor and `stiplan run` ask it which agency
partitions to materialise, and only those are."""

from __future__ import annotations

import dagster as dg
import pytest
from workbooks import set_old_mtime, write_xlsx

from stiplan.assets.ingest.registry import InboxFile, Route
from stiplan.planner import AGENCY_ORDER, plan_work

YEAR = "ประจำปีงบประมาณ พ.ศ. 2555"
H = ["ลำดับ", "ชื่อโครงการ", "จังหวัด", "งบประมาณ (บาท)"]


def _file(name: str) -> InboxFile:
    from pathlib import Path

    return InboxFile(Path(name), name, 1, 0, submission_id=name.encode().hex().ljust(64, "0"))


def _routes(files: dict[str, str | None]) -> tuple[list[InboxFile], dict[str, Route]]:
    made = [_file(name) for name in files]
    return made, {f.submission_id: Route(files[f.name], fiscal_year=2555) for f in made}


def test_neighbours_share_a_run_and_agencies_far_apart_do_not():
    assert AGENCY_ORDER.index("OPS") + 1 < AGENCY_ORDER.index("TCELS")
    files, routes = _routes({"a.xlsx": "OPS", "b.xlsx": "TCELS", "c.xlsx": "DSS", "d.xlsx": None})
    work = plan_work(files, routes)
    assert [run.agencies for run in work.ingest] == [("OPS", "DSS"), ("TCELS",)]
    assert [f.name for f in work.unrouted] == ["d.xlsx"]
    assert [[f.name for f in run.files] for run in work.ingest] == [
        ["a.xlsx", "c.xlsx"],
        ["b.xlsx"],
    ]
    assert work.agencies == ["OPS", "DSS", "TCELS"]


def test_agencies_to_read_again_join_the_blocks():
    files, routes = _routes({"a.xlsx": "OMIN"})
    work = plan_work(files, routes, again={"DSS"})
    assert [run.agencies for run in work.ingest] == [("OMIN",), ("DSS",)]
    assert plan_work([], {}, again=AGENCY_ORDER).agencies == AGENCY_ORDER
    assert len(plan_work([], {}, again=AGENCY_ORDER).ingest) == 1
    assert not plan_work([], {})


def test_the_same_files_give_the_same_run_key_whatever_their_order():
    files, routes = _routes({"a.xlsx": "NIA", "b.xlsx": "NIA"})
    one = plan_work(files, routes).ingest[0]
    other = plan_work(list(reversed(files)), routes).ingest[0]
    assert one.key == other.key and len(one.key) == 16


@pytest.fixture
def two_far_apart(paths):
    for code in ("OPS", "TCELS"):
        path = write_xlsx(
            paths.inbox / f"{code}_2555.xlsx",
            {"s": ([[YEAR], H], [[1, f"โครงการ {code}", "ตาก", 1]])},
        )
        set_old_mtime(path)
    return paths


def _materialised_partitions(instance: dg.DagsterInstance) -> list[str]:
    records = instance.fetch_materializations(dg.AssetKey("agency_intake"), limit=100).records
    return sorted(r.partition_key for r in records)


def test_stiplan_run_materialises_exactly_the_two_partitions(two_far_apart, monkeypatch, tmp_path):
    from stiplan.run import run_inbox

    monkeypatch.delenv("STIPLAN_INBOX", raising=False)
    monkeypatch.delenv("STIPLAN_WAREHOUSE", raising=False)
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    summary = run_inbox(outputs=False, paths=two_far_apart)
    assert summary.published and summary.agencies == ["OPS", "TCELS"]
    with dg.DagsterInstance.get() as instance:
        assert _materialised_partitions(instance) == ["OPS", "TCELS"]


def test_the_sensor_requests_exactly_the_two_partitions(two_far_apart, resources):
    from stiplan.sensors import inbox_sensor

    with dg.instance_for_test() as instance:
        result = inbox_sensor(dg.build_sensor_context(instance=instance, resources=resources))
    keys = sorted(r.partition_key for r in result.run_requests)
    assert keys == ["OPS", "TCELS"]
    assert not any("dagster/asset_partition_range_start" in r.tags for r in result.run_requests)
