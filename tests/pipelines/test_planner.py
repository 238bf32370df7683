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


def _routes(files: dict, year: int | None = 2555) -> tuple[list[InboxFile], dict[str, Route]]:
    """name -> agency, or name -> (agency, fiscal year)."""
    made = [_file(name) for name in files]
    place = {n: v if isinstance(v, tuple) else (v, year) for n, v in files.items()}
    return made, {
        f.submission_id: Route(*place[f.name][:1], fiscal_year=place[f.name][1]) for f in made
    }


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
    assert [(run.first, run.last) for run in work.ingest] == [
        ("OPS|2555", "DSS|2555"),
        ("TCELS|2555", "TCELS|2555"),
    ]


def test_each_fiscal_year_is_planned_apart():
    files, routes = _routes(
        {
            "a.xlsx": ("OPS", 2555),
            "b.xlsx": ("DSS", 2556),
            "c.xlsx": ("OPS", 2556),
            "d.xlsx": ("NIA", None),
        }
    )
    work = plan_work(files, routes)
    assert [(run.fiscal_year, run.agencies) for run in work.ingest] == [
        ("2555", ("OPS",)),
        ("2556", ("OPS", "DSS")),
        ("unknown", ("NIA",)),
    ]
    assert work.fiscal_years == ["2555", "2556", "unknown"]


def test_agencies_to_read_again_join_the_blocks():
    files, routes = _routes({"a.xlsx": "OMIN"})
    work = plan_work(files, routes, again={("DSS", 2555)})
    assert [run.agencies for run in work.ingest] == [("OMIN",), ("DSS",)]
    every = {(code, 2555) for code in AGENCY_ORDER}
    assert plan_work([], {}, again=every).agencies == AGENCY_ORDER
    assert len(plan_work([], {}, again=every).ingest) == 1
    assert not plan_work([], {})


def test_a_block_runs_through_agency_years_that_hold_files_never_through_empty_ones():
    """A folder copied in again minus the files already sent is one run: the block runs
    through OPS (holding a file for 2555) but not through an agency-year holding nothing,
    and never through the same agency of another year."""
    order = AGENCY_ORDER
    files, routes = _routes({"a.xlsx": order[0], "b.xlsx": order[2], "c.xlsx": order[5]})
    held = {(order[1], 2555), (order[3], 2555), (order[4], 2556)}
    work = plan_work(files, routes, bridges=held)
    # order[1] bridges 0 and 2; order[4] holds nothing for 2555: 5 starts a block
    assert [run.agencies for run in work.ingest] == [
        (order[0], order[1], order[2]),
        (order[5],),
    ]
    assert [[f.name for f in run.files] for run in work.ingest] == [
        ["a.xlsx", "b.xlsx"],
        ["c.xlsx"],
    ]
    # held agency-years at the ends of a block are not read for nothing
    files, routes = _routes({"a.xlsx": order[2]})
    assert [r.agencies for r in plan_work(files, routes, bridges=held).ingest] == [(order[2],)]
    # everything held: one run over the whole list
    files, routes = _routes({"a.xlsx": order[0], "z.xlsx": order[-1]})
    every = {(code, 2555) for code in order}
    assert [r.agencies for r in plan_work(files, routes, bridges=every).ingest] == [tuple(order)]


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


def _materialised_partitions(instance: dg.DagsterInstance) -> list[str | None]:
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
        assert _materialised_partitions(instance) == ["OPS|2555", "TCELS|2555"]


def test_the_sensor_requests_exactly_the_two_partitions(two_far_apart, resources):
    from stiplan.sensors import inbox_sensor

    with dg.instance_for_test() as instance:
        result = inbox_sensor(dg.build_sensor_context(instance=instance, resources=resources))
    keys = sorted(r.partition_key for r in result.run_requests)
    assert keys == ["OPS|2555", "TCELS|2555"]
    # the fiscal year's partitions are asked for with the runs (the daemon adds them first)
    [add] = result.dynamic_partitions_requests
    assert (add.partitions_def_name, list(add.partition_keys)) == ("fiscal_years", ["2555"])
    assert not any("dagster/asset_partition_range_start" in r.tags for r in result.run_requests)


def test_stiplan_run_all_reads_every_agency_year_again(two_far_apart, monkeypatch, tmp_path):
    from stiplan.run import run_inbox

    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    assert run_inbox(outputs=False, paths=two_far_apart).published
    again = run_inbox(outputs=False, paths=two_far_apart, force=True)
    assert again.agencies == ["OPS", "TCELS"] and again.published
    with dg.DagsterInstance.get() as instance:
        assert _materialised_partitions(instance) == ["OPS|2555"] * 2 + ["TCELS|2555"] * 2
