"""The inbox sensor and the plan's automation, on real files and a real instance."""

from __future__ import annotations

import json
import os
import shutil
import time

import dagster as dg
import pytest
from workbooks import set_old_mtime, write_xlsx

from stiplan.assets.plan import BATCH_TAG
from stiplan.sensors import PLAN_CHECKS, SETTLE_SECONDS, inbox_sensor, settle

YEAR = "ประจำปีงบประมาณ พ.ศ. 2555"
H = ["ลำดับ", "ชื่อโครงการ", "จังหวัด", "งบประมาณ (บาท)"]


def test_settle_waits_until_a_file_stops_changing():
    ready, pending = settle({}, {"a": (10, int(99.5e9))}, now=100.0)
    assert ready == [] and pending == {"a": [10, int(99.5e9), 100.0]}
    # still growing: the clock restarts
    grown = (20, int(101.9e9))
    ready, pending = settle(pending, {"a": grown}, now=102.0)
    assert ready == [] and pending["a"] == [*grown, 102.0]
    ready, pending = settle(pending, {"a": grown}, now=102.0 + SETTLE_SECONDS - 0.1)
    assert ready == []
    ready, pending = settle(pending, {"a": grown}, now=102.0 + SETTLE_SECONDS)
    assert ready == ["a"] and pending == {}
    # a finished copy whose last write is long past is ready at first sight
    ready, pending = settle({}, {"b": (5, int(10e9))}, now=100.0)
    assert ready == ["b"] and pending == {}
    # a file that left the inbox leaves the cursor too: it stays bounded
    _, pending = settle({"gone": [1, 1, 0.0]}, {}, now=5.0)
    assert pending == {}


@pytest.fixture
def inbox(paths, monkeypatch):
    """No STIPLAN_* variable: every run and tick gets its folders from the resource."""
    monkeypatch.delenv("STIPLAN_INBOX", raising=False)
    monkeypatch.delenv("STIPLAN_WAREHOUSE", raising=False)
    return paths.inbox


@pytest.fixture
def run_config(paths) -> dict:
    from stiplan.run import run_config

    return run_config(paths)


def _settled_cursor(inbox) -> str:
    """A cursor that has watched every inbox file unchanged for long enough."""
    past = time.time() - 10 * SETTLE_SECONDS
    return json.dumps(
        {str(p): [p.stat().st_size, p.stat().st_mtime_ns, past] for p in inbox.iterdir()}
    )


def _tick(instance, resources, cursor=None) -> dg.SensorResult:
    return inbox_sensor(
        dg.build_sensor_context(instance=instance, cursor=cursor, resources=resources)
    )


def test_sensor_requests_one_run_per_agency_and_records_unrouted(inbox, resources):
    write_xlsx(inbox / "NSTDA_2555.xlsx", {"s": ([[YEAR], H], [[1, "ก", "ตาก", 1]])})
    write_xlsx(inbox / "DSS_2555.xlsx", {"s": ([[YEAR], H], [[1, "ข", "ตาก", 1]])})
    (inbox / "notes.pdf").write_bytes(b"%PDF")
    (inbox / "~$NSTDA_2555.xlsx").write_bytes(b"lock")
    (inbox / ".~lock.DSS_2555.xlsx#").write_bytes(b"lock")
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("fiscal_years", ["2555"])
        for p in inbox.iterdir():  # just written: a first sighting starts the settle clock
            os.utime(p)
        first = _tick(instance, resources)
        assert first.run_requests == []
        assert set(json.loads(first.cursor)["pending"]) == {
            str(inbox / n) for n in ("NSTDA_2555.xlsx", "DSS_2555.xlsx", "notes.pdf")
        }
        result = _tick(instance, resources, _settled_cursor(inbox))
        by_key = {r.partition_key: r for r in result.run_requests}
        assert set(by_key) == {"NSTDA|2555", "DSS|2555", None}
        # NSTDA and DSS are apart in the agency list: two runs, a batch; both hold the
        # merge and the publish (the plan shows in progress), the last to read does them
        for key in ("NSTDA|2555", "DSS|2555"):
            assert by_key[key].asset_selection == [
                dg.AssetKey("agency_intake"),
                dg.AssetKey("agency_submissions"),
                dg.AssetKey("working_plan"),
                dg.AssetKey("published_plan"),
            ]
            assert {k.name for k in by_key[key].asset_check_keys} == {
                "current_submission",
                *(k.name for k in PLAN_CHECKS),
            }
            assert by_key[key].tags["stiplan/batch"] == "2 runs, one publish"
        batch = {by_key[k].tags[BATCH_TAG] for k in ("NSTDA|2555", "DSS|2555")}
        assert len(batch) == 1 and all(batch)
        assert by_key[None].asset_selection == [dg.AssetKey("unrouted_files")]
        assert by_key["DSS|2555"].tags["stiplan/agency"] == "DSS"
        state = json.loads(result.cursor)
        assert state["pending"] == {} and len(state["requested"]) == 3


def test_sensor_forgets_files_once_taken_and_sees_copies_with_old_times(
    inbox, resources, run_config
):
    from stiplan.definitions import defs

    path = write_xlsx(inbox / "NSTDA_2555.xlsx", {"s": ([[YEAR], H], [[1, "ก", "ตาก", 1]])})
    set_old_mtime(path)  # settled, so the sensor's run takes it
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("fiscal_years", ["2555"])
        request = _tick(instance, resources, _settled_cursor(inbox)).run_requests[0]
        job = defs.resolve_job_def("ingest_agencies")
        assert job.execute_in_process(
            instance=instance, run_config=run_config, partition_key=request.partition_key
        ).success
        # taken: nothing to settle, nothing to request
        again = _tick(instance, resources, _settled_cursor(inbox))
        assert again.run_requests == []
        assert json.loads(again.cursor) == {"pending": {}, "requested": {}, "held_since": None}
        # a byte-identical copy with an old modification time is a new arrival
        copy = inbox / "copy of NSTDA.xlsx"
        shutil.copyfile(path, copy)
        set_old_mtime(copy)
        result = _tick(instance, resources, _settled_cursor(inbox))
        assert [r.partition_key for r in result.run_requests] == ["NSTDA|2555"]
        assert "copy of NSTDA.xlsx" in result.run_requests[0].tags["stiplan/files"]


def test_a_batch_runs_through_agencies_that_already_sent_their_file(inbox, resources, run_config):
    """OPS sent its file earlier; OMIN's and DSS's arrive together. OMIN, OPS and DSS sit
    side by side in the agency list: one run, which merges and publishes itself."""
    from stiplan.definitions import defs

    set_old_mtime(write_xlsx(inbox / "OPS_2555.xlsx", {"s": ([[YEAR], H], [[1, "ก", "ตาก", 1]])}))
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("fiscal_years", ["2555"])
        job = defs.resolve_job_def("ingest_agencies")
        assert job.execute_in_process(
            instance=instance, run_config=run_config, partition_key="OPS|2555"
        ).success
        for name, project in (("OMIN_2555.xlsx", "ข"), ("DSS_2555.xlsx", "ค")):
            set_old_mtime(write_xlsx(inbox / name, {"s": ([[YEAR], H], [[1, project, "ตาก", 1]])}))
        (run,) = _tick(instance, resources, _settled_cursor(inbox)).run_requests
        assert run.tags["dagster/asset_partition_range_start"] == "OMIN|2555"
        assert run.tags["dagster/asset_partition_range_end"] == "DSS|2555"
        assert run.tags["stiplan/agency"] == "OMIN,OPS,DSS"
        assert dg.AssetKey("published_plan") in run.asset_selection
        assert "stiplan/batch" not in run.tags


def test_automation_merges_and_publishes_after_a_partition_changes(inbox, run_config):
    from stiplan.definitions import defs

    set_old_mtime(write_xlsx(inbox / "NSTDA_2555.xlsx", {"s": ([[YEAR], H], [[1, "ก", "ตาก", 1]])}))
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("fiscal_years", ["2555"])
        baseline = dg.evaluate_automation_conditions(defs=defs, instance=instance)
        assert (
            defs.resolve_job_def("ingest_agencies")
            .execute_in_process(
                instance=instance, partition_key="NSTDA|2555", run_config=run_config
            )
            .success
        )
        result = dg.evaluate_automation_conditions(
            defs=defs, instance=instance, cursor=baseline.cursor
        )
        requested = {r.key.to_user_string() for r in result.results if r.true_subset.size}
        # merge, its checks, the publish and the outputs, in one run; never the intake
        assert requested == {
            "working_plan",
            "published_plan",
            "working_plan:conservation",
            "working_plan:reconciliation",
            "working_plan:reference_codes",
            "working_plan:unique_project_id",
            "working_plan:totals_match",
            "working_plan:no_zero_budgets",
            "working_plan:strategies_are_the_ministrys",
            "plan_books",
            "agency_feedback",
            "province_extracts",
        }
        # nothing changed since: nothing is requested again
        after = dg.evaluate_automation_conditions(
            defs=defs, instance=instance, cursor=result.cursor
        )
        assert after.total_requested == 0


def test_unattended_intake_leaves_a_file_still_being_written(inbox, paths):
    from stiplan.definitions import defs
    from stiplan.run import run_config

    done = write_xlsx(inbox / "NSTDA_2555.xlsx", {"s": ([[YEAR], H], [[1, "ก", "ตาก", 1]])})
    set_old_mtime(done)
    fresh = write_xlsx(inbox / "NSTDA_2555_v2.xlsx", {"s": ([[YEAR], H], [[1, "ข", "ตาก", 2]])})
    # Still being written: its last write is a moment ago whatever the machine's load
    # (a time slightly ahead keeps it "fresh" for the whole test).
    os.utime(fresh, (time.time() + 60, time.time() + 60))
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("fiscal_years", ["2555"])
        result = defs.resolve_job_def("ingest_agencies").execute_in_process(
            instance=instance, partition_key="NSTDA|2555", run_config=run_config(paths)
        )
        mat = next(
            m
            for m in result.get_asset_materialization_events()
            if m.asset_key == dg.AssetKey("agency_intake")
        ).materialization
        assert mat.metadata["inbox_files"].value == 1  # the fresh file waits
        cli = defs.resolve_job_def("ingest_agencies").execute_in_process(
            instance=instance,
            partition_key="NSTDA|2555",
            run_config=run_config(paths, "agency_intake"),
        )
        mat = next(
            m
            for m in cli.get_asset_materialization_events()
            if m.asset_key == dg.AssetKey("agency_intake")
        ).materialization
        assert mat.metadata["inbox_files"].value == 2  # `stiplan run` takes everything


def test_a_file_whose_run_has_not_registered_it_is_not_requested_again(inbox, resources):
    """Its run is still queued when the next tick meets it beside a new neighbour's file:
    only the new file is asked for."""
    first = write_xlsx(inbox / "OPS_2555.xlsx", {"s": ([[YEAR], H], [[1, "ก", "ตาก", 1]])})
    set_old_mtime(first)
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("fiscal_years", ["2555"])
        one = _tick(instance, resources)
        assert [r.partition_key for r in one.run_requests] == ["OPS|2555"]
        second = write_xlsx(inbox / "DSS_2555.xlsx", {"s": ([[YEAR], H], [[1, "ข", "ตาก", 1]])})
        set_old_mtime(second)  # DSS sits next to OPS in the agency list
        two = _tick(instance, resources, one.cursor)
        assert [r.partition_key for r in two.run_requests] == ["DSS|2555"]
        assert "OPS_2555.xlsx" not in two.run_requests[0].tags["stiplan/files"]
        # a changed file is new bytes: asked for again
        write_xlsx(first, {"s": ([[YEAR], H], [[1, "ก", "ตาก", 2]])})
        set_old_mtime(first)
        three = _tick(instance, resources, two.cursor)
        assert [r.partition_key for r in three.run_requests] == ["OPS|2555"]


def test_the_interval_said_is_the_interval_the_daemon_keeps():
    """Dagster's sensor daemon loops every MIN_INTERVAL_LOOP_TIME seconds: a shorter
    interval would be shown in the UI and the README but never kept."""
    from pathlib import Path

    from dagster._daemon.sensor import MIN_INTERVAL_LOOP_TIME

    assert inbox_sensor.minimum_interval_seconds >= MIN_INTERVAL_LOOP_TIME
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    assert f"ticks it every {inbox_sensor.minimum_interval_seconds} s" in readme


def test_files_dropped_together_are_taken_together(inbox, resources):
    """One file is ready while another is still being copied: the ready one waits, and
    both are asked for in the same tick once the copy is done."""
    from stiplan.sensors import HOLD_MAX_SECONDS, hold_for_batch

    done = write_xlsx(inbox / "OPS_2555.xlsx", {"s": ([[YEAR], H], [[1, "ก", "ตาก", 1]])})
    set_old_mtime(done)
    copying = write_xlsx(inbox / "DSS_2555.xlsx", {"s": ([[YEAR], H], [[1, "ข", "ตาก", 1]])})
    # still being written, however slow the machine (a time ahead keeps it fresh)
    os.utime(copying, (time.time() + 60, time.time() + 60))
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("fiscal_years", ["2555"])
        one = _tick(instance, resources)
        assert one.run_requests == []
        assert json.loads(one.cursor)["held_since"] is not None
        # the copy is done (nothing changed for the settle time)
        state = json.loads(one.cursor)
        past = time.time() - 10 * SETTLE_SECONDS
        state["pending"] = {k: [*v[:2], past] for k, v in state["pending"].items()}
        two = _tick(instance, resources, json.dumps(state))
        assert [r.tags["stiplan/agency"] for r in two.run_requests] == ["OPS,DSS"]
        # one run: it merges, audits and publishes itself, drop to plan in one go
        (run,) = two.run_requests
        assert [k.to_user_string() for k in run.asset_selection] == [
            "agency_intake",
            "agency_submissions",
            "working_plan",
            "published_plan",
        ]
        assert {k.name for k in run.asset_check_keys} == {
            "current_submission",  # the submission matrix
            "conservation",
            "reconciliation",
            "reference_codes",
            "unique_project_id",
        }
        assert "stiplan/batch" not in run.tags
        assert json.loads(two.cursor)["held_since"] is None
    # a batch never waits for ever for its slowest copy
    assert hold_for_batch(["a"], {"b": [1, 1, 0.0]}, 100.0, 100.0 + HOLD_MAX_SECONDS) == (
        ["a"],
        None,
    )
    assert hold_for_batch(["a"], {}, None, 5.0) == (["a"], None)


def test_only_the_last_run_of_a_batch_merges_and_publishes(inbox, resources, run_config):
    """A batch's runs all hold the merge and the publish (the UI shows the plan in
    progress meanwhile); a run that finds another of its batch still reading skips
    them, and the one that finds none does them: one publish for the batch."""
    from stiplan.definitions import defs

    write_xlsx(inbox / "NSTDA_2555.xlsx", {"s": ([[YEAR], H], [[1, "ก", "ตาก", 1]])})
    job = defs.resolve_job_def("ingest_agencies")
    plan_job = defs.resolve_job_def("build_plan")
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("fiscal_years", ["2555"])
        assert job.execute_in_process(
            instance=instance, run_config=run_config, partition_key="NSTDA|2555"
        ).success
        other = instance.create_run_for_job(
            plan_job, tags={BATCH_TAG: "b1"}, status=dg.DagsterRunStatus.STARTED
        )

        def merge(batch: str):
            result = plan_job.execute_in_process(
                instance=instance, run_config=run_config, tags={BATCH_TAG: batch}
            )
            assert result.success  # still green when it leaves the merge to another run
            return {m.asset_key.path[-1] for m in result.get_asset_materialization_events()}

        assert merge("b1") == {"unrouted_files"}  # the other run is still reading
        assert not (inbox.parent / "warehouse" / "plan.duckdb").exists()
        instance.report_run_canceled(other)  # done (however it ended)
        assert merge("b1") >= {"working_plan", "published_plan"}
        assert (inbox.parent / "warehouse" / "plan.duckdb").exists()
        # a run of another batch, or of none, never waits for this one
        instance.create_run_for_job(
            plan_job, tags={BATCH_TAG: "b2"}, status=dg.DagsterRunStatus.STARTED
        )
        assert merge("b3") >= {"working_plan", "published_plan"}
