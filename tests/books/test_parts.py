"""A workbook that changed is written from the parts of its lists that did not: an
agency's rows, rendered and compressed once, are copied from the file before (the
folder's manifest says where they are) and only the changed agency's rows are rendered
again. The file is byte for byte the one a fresh write gives."""

import shutil
import zipfile
from pathlib import Path

import duckdb
import openpyxl
import pytest
from test_planbook import build_plan, query

from stiplan.assets.books import extracts, planbook
from stiplan.assets.books.extracts import write_province_extracts
from stiplan.assets.books.folders import Manifest
from stiplan.assets.books.planbook import write_planbooks

YEAR = 2555


@pytest.fixture(scope="module")
def plan(tmp_path_factory) -> Path:
    return build_plan(tmp_path_factory)


def _agencies(plan: Path) -> list[tuple[str, int]]:
    return query(
        plan,
        "SELECT agency_code, count(*) FROM projects WHERE fiscal_year = ? GROUP BY 1 ORDER BY 1",
        YEAR,
    )


def _edited(plan: Path, tmp_path: Path, sql: str, *params) -> Path:
    copy = tmp_path / "edited.duckdb"
    shutil.copyfile(plan, copy)
    con = duckdb.connect(str(copy))
    try:
        con.execute(sql, list(params))
    finally:
        con.close()
    return copy


def _renamed(plan: Path, tmp_path: Path, agency: str) -> Path:
    """One project of `agency` (in some province) renamed: the same rows, in the same
    places."""
    return _edited(
        plan,
        tmp_path,
        "UPDATE projects SET project_name = project_name || ' (แก้ไข)' WHERE project_id = "
        "(SELECT min(project_id) FROM projects JOIN project_provinces USING (project_id) "
        "WHERE fiscal_year = ? AND agency_code = ?)",
        YEAR,
        agency,
    )


def _same_files(a: list[Path], b: list[Path]) -> None:
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        assert x.read_bytes() == y.read_bytes(), x.name
        with zipfile.ZipFile(x) as z:
            assert z.testzip() is None


def test_a_plan_book_renders_the_changed_agencys_rows_only(plan, tmp_path, monkeypatch):
    agencies = _agencies(plan)
    assert len(agencies) >= 2  # several blocks, so there is something to copy
    agency, n = agencies[1]
    first = write_planbooks(plan, tmp_path / "first")
    rendered: list[tuple[int, int]] = []
    real = planbook.project_list_parts

    def counted(con, data, body, run, ord_table):
        rendered.extend((a, b) for a, b, _ in run)
        return real(con, data, body, run, ord_table)

    monkeypatch.setattr(planbook, "project_list_parts", counted)
    changed = _renamed(plan, tmp_path, agency)
    again = write_planbooks(changed, tmp_path / "again", Manifest.of(tmp_path / "first", first))
    assert sum(b - a for a, b in rendered) == n  # the one agency's block
    rendered.clear()
    fresh = write_planbooks(changed, tmp_path / "fresh")
    assert sum(b - a for a, b in rendered) == query(changed, "SELECT count(*) FROM projects")[0][0]
    _same_files(again, fresh)
    names = [
        r[2] for r in openpyxl.load_workbook(again[0])["รายการโครงการ"].iter_rows(values_only=True)
    ]
    assert sum(1 for v in names if isinstance(v, str) and v.endswith("(แก้ไข)")) == 1


def test_rows_that_moved_are_rendered_again(plan, tmp_path, monkeypatch):
    """A project dropped from the first agency moves every later row up one: their
    numbers (ลำดับ, the row) change, so all are rendered; the file is still the fresh one."""
    first_agency = _agencies(plan)[0][0]
    first = write_planbooks(plan, tmp_path / "first")
    gone = (
        f"(SELECT min(project_id) FROM projects WHERE fiscal_year = {YEAR} "
        f"AND agency_code = '{first_agency}')"
    )
    changed = _edited(
        plan,
        tmp_path,
        f"DELETE FROM project_provinces WHERE project_id = {gone}; "
        f"DELETE FROM projects WHERE project_id = {gone}",
    )
    again = write_planbooks(changed, tmp_path / "again", Manifest.of(tmp_path / "first", first))
    _same_files(again, write_planbooks(changed, tmp_path / "fresh"))


def test_an_edited_file_gives_no_parts(plan, tmp_path):
    first = write_planbooks(plan, tmp_path / "first")
    manifest = Manifest.of(tmp_path / "first", first)
    rel = first[0].name
    keys = list(manifest.placed(rel))
    assert keys and len(manifest.parts(rel, keys)) == len(keys)
    first[0].write_bytes(first[0].read_bytes())  # the same bytes, another file
    assert manifest.parts(rel, keys) == {}


def test_extracts_render_the_changed_agencys_parts_only(plan, tmp_path, monkeypatch):
    agency, _ = _agencies(plan)[1]
    first = write_province_extracts(plan, tmp_path / "first")
    asked: list[dict] = []
    real = extracts.render_parts

    def counted(con, data, year, want, columns):
        asked.append(want)
        return real(con, data, year, want, columns)

    monkeypatch.setattr(extracts, "render_parts", counted)
    changed = _renamed(plan, tmp_path, agency)
    again = write_province_extracts(
        changed, tmp_path / "again", Manifest.of(tmp_path / "first", first)
    )
    (want,) = [w for w in asked if w]
    # the renamed project's provinces, each its agency's part only
    (provinces,) = query(
        changed,
        "SELECT list(DISTINCT province_code ORDER BY province_code) FROM project_provinces "
        "WHERE project_id = (SELECT project_id FROM projects WHERE project_name LIKE '%(แก้ไข)')",
    )[0]
    assert sorted(want) == provinces
    assert all(list(w) == [agency] for w in want.values())
    _same_files(again, write_province_extracts(changed, tmp_path / "fresh"))
