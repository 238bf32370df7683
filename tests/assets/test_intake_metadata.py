"""What an agency's partition says in the Dagster UI: its current version of each fiscal
year, as the plan publishes it, never the sum of every file it ever sent."""

from __future__ import annotations

import dagster as dg
from workbooks import set_old_mtime, write_xlsx

H = ["ลำดับ", "ชื่อโครงการ", "จังหวัด", "งบประมาณ (บาท)"]


def _sheet(be: int, rows: list) -> dict:
    return {"s": ([[f"ประจำปีงบประมาณ พ.ศ. {be}"], H], rows)}


def _ingest(instance, run_config, partition: str) -> tuple[dict, str | None]:
    """The partition's metadata, and its run's stiplan/rejected tag."""
    from stiplan.definitions import defs

    result = defs.resolve_job_def("ingest_agencies").execute_in_process(
        instance=instance, partition_key=partition, run_config=run_config
    )
    assert result.success
    mat = next(
        m
        for m in result.get_asset_materialization_events()
        if m.asset_key == dg.AssetKey("agency_submissions")
    ).materialization
    tag = instance.get_run_by_id(result.run_id).tags.get("stiplan/rejected")
    return {k: getattr(v, "value", v) for k, v in mat.metadata.items()}, tag


def test_a_resubmission_replaces_the_figures_and_each_year_is_its_own_partition(paths):
    import time

    from stiplan.run import run_config

    config = run_config(paths, "agency_intake")
    inbox = paths.inbox
    first = write_xlsx(
        inbox / "NIA_2555.xlsx", _sheet(2555, [[1, "ก", "ตาก", 100], [2, "ข", "น่าน", 200]])
    )
    set_old_mtime(first)
    (inbox / "NIA_2556.xlsx").write_bytes(b"damaged")  # routed by its name, rejected
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("fiscal_years", ["2555", "2556"])
        meta, tag = _ingest(instance, config, "NIA|2555")
        assert (meta["rows_accepted"], meta["budget_accepted_baht"]) == (2, 300.0)
        assert meta["rejected_files"] == "none" and tag is None  # a clean run
        meta, tag = _ingest(instance, config, "NIA|2556")
        assert "NIA_2556.xlsx" in meta["rejected_files"] and meta["current_versions"] == 0
        assert meta["latest_rejected_file"].startswith("NIA_2556.xlsx: ")  # with its reason
        assert tag == "0 row(s), 1 file(s)"  # the run turned a file away, and says so
        time.sleep(0.01)
        write_xlsx(inbox / "NIA_2555_v2.xlsx", _sheet(2555, [[1, "ก", "ตาก", 150]]))
        write_xlsx(inbox / "NIA_2556_v2.xlsx", _sheet(2556, [[1, "ค", "ตาก", 7]]))
        meta_2555, _ = _ingest(instance, config, "NIA|2555")
        meta_2556, tag = _ingest(instance, config, "NIA|2556")
    # each partition: that year's current version only
    assert meta_2555["files_received"] == 2 and meta_2555["current_versions"] == 1
    assert (meta_2555["rows_accepted"], meta_2555["budget_accepted_baht"]) == (1, 150.0)
    table = meta_2555["current_by_fiscal_year"]
    assert "| 2555 | `NIA_2555_v2.xlsx` | 1 | 1 | 0 | 0 | 150.00 |" in table
    assert (meta_2556["rows_accepted"], meta_2556["budget_accepted_baht"]) == (1, 7.0)
    # the damaged 2556 file was answered by an accepted 2556 version
    assert meta_2556["rejected_files"] == "none" and tag is None


def _check_matrix(instance) -> dict[str, list[str]]:
    """The `current_submission` check's partitions by status, as Dagster's UI reads them."""
    from dagster._core.definitions.partitions.context import partition_loading_context
    from dagster._core.storage.asset_check_state import (
        AssetCheckState,
        bulk_update_asset_check_state,
    )

    from stiplan.assets.intake import current_submission_key
    from stiplan.assets.partitions import SUBMISSION_PARTITIONS

    with partition_loading_context(dynamic_partitions_store=instance):
        state = bulk_update_asset_check_state(
            instance,
            [(current_submission_key, SUBMISSION_PARTITIONS)],
            {current_submission_key: AssetCheckState.empty()},
        )[current_submission_key]
        return {
            status.value: sorted(subset.value.get_partition_keys())
            for status, subset in state.subsets.items()
            if not subset.is_empty
        }


def test_the_check_matrix_is_green_for_current_red_for_rejected_empty_for_none(paths):
    """In one range run (OMIN, OPS, DSS of 2555) and in one-partition runs alike: a current
    version passes, an agency-year whose latest file was rejected fails (a warning, the run
    stays a success), an agency-year with no file is not evaluated."""
    import time

    from stiplan.run import run_config

    config = run_config(paths, "agency_intake")
    inbox = paths.inbox
    for name, be in (("OMIN_2555.xlsx", 2555), ("DSS_2555.xlsx", 2555), ("NIA_2556.xlsx", 2556)):
        set_old_mtime(write_xlsx(inbox / name, _sheet(be, [[1, f"โครงการ {name}", "ตาก", 100]])))
    (inbox / "OPS_2555.xlsx").write_bytes(b"PK\x03\x04 damaged")  # routed by its name
    from stiplan.definitions import defs

    job = defs.resolve_job_def("ingest_agencies")
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("fiscal_years", ["2555", "2556"])
        result = job.execute_in_process(
            instance=instance,
            run_config=config,
            tags={
                "dagster/asset_partition_range_start": "OMIN|2555",
                "dagster/asset_partition_range_end": "DSS|2555",
            },
        )
        assert result.success
        _ingest(instance, config, "NIA|2556")
        assert _check_matrix(instance) == {
            "SUCCEEDED": ["DSS|2555", "NIA|2556", "OMIN|2555"],
            "FAILED": ["OPS|2555"],
        }
        # NIA's damaged resubmission turns its cell red; the plan keeps the earlier version
        time.sleep(0.01)
        (inbox / "NIA_2556_revised.xlsx").write_bytes(b"damaged")
        _ingest(instance, config, "NIA|2556")
        matrix = _check_matrix(instance)
        assert matrix["FAILED"] == ["NIA|2556", "OPS|2555"]
        # OPS answers with a good file: green
        time.sleep(0.01)
        write_xlsx(inbox / "OPS_2555_v2.xlsx", _sheet(2555, [[1, "ข", "น่าน", 5]]))
        _ingest(instance, config, "OPS|2555")
        matrix = _check_matrix(instance)
        assert matrix["FAILED"] == ["NIA|2556"]
        assert "OPS|2555" in matrix["SUCCEEDED"]
