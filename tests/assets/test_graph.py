"""The asset graph takes every path from the `stiplan` resource: materialised against a
temporary folder with no STIPLAN_* variable set, it reads that inbox and publishes to
that warehouse, and nowhere else."""

from __future__ import annotations

import dagster as dg
import duckdb
from workbooks import set_old_mtime, write_xlsx

YEAR = "ประจำปีงบประมาณ พ.ศ. 2555"
H = ["ลำดับ", "ชื่อโครงการ", "จังหวัด", "งบประมาณ (บาท)"]


def test_the_whole_graph_materialises_against_a_temporary_resource(
    paths, resources, monkeypatch, tmp_path
):
    from stiplan.definitions import defs

    monkeypatch.delenv("STIPLAN_INBOX", raising=False)
    monkeypatch.delenv("STIPLAN_WAREHOUSE", raising=False)
    monkeypatch.chdir(tmp_path / "inbox")  # the defaults (./inbox, ./warehouse) would be here
    set_old_mtime(
        write_xlsx(paths.inbox / "NIA_2555.xlsx", {"s": ([[YEAR], H], [[1, "โครงการ", "ตาก", 5]])})
    )
    graph = [*defs.assets, *defs.asset_checks]
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("fiscal_years", ["2555"])
        intake = dg.materialize(
            graph,
            instance=instance,
            resources=resources,
            partition_key="NIA|2555",
            selection=dg.AssetSelection.groups("intake")
            - dg.AssetSelection.assets("unrouted_files"),
        )
        assert intake.success
        rest = dg.materialize(
            graph,
            instance=instance,
            resources=resources,
            selection=dg.AssetSelection.groups("plan", "outputs")
            | dg.AssetSelection.assets("unrouted_files")
            | dg.AssetSelection.checks_for_assets("working_plan"),
        )
        assert rest.success
        books = next(
            m.materialization
            for m in rest.get_asset_materialization_events()
            if m.asset_key == dg.AssetKey("plan_books")
        )
    # the output asset links the files it wrote
    assert books.metadata["path"].value == str(paths.outputs / "planbook")
    book = paths.outputs / "planbook" / "แผนบูรณาการ_วทน_2555.xlsx"
    assert f"]({book.as_uri()})" in books.metadata["written"].value
    con = duckdb.connect(str(paths.plan), read_only=True)
    try:
        assert con.execute("SELECT agency_code, project_name FROM projects").fetchall() == [
            ("NIA", "โครงการ")
        ]
    finally:
        con.close()
    assert (paths.outputs / "planbook").is_dir()
    assert not (tmp_path / "inbox" / "warehouse").exists()
