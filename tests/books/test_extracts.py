"""Province extracts: every workbook of every province and fiscal year, checked figure by
figure against `projects` / `project_provinces` of the published plan (computed here,
independently of stiplan's code). The plan is the one test_planbook.py builds through
the real pipeline."""

from __future__ import annotations

import datetime as dt
import stat
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from pythainlp.util import collate
from test_planbook import (
    FONT,
    FORMULA_LIKE,
    MB,
    NO_CLUSTER,
    TOTAL,
    Truth,
    approx,
    build_plan,
    mb,
    pct,
    query,
    table,
)

from stiplan.assets.books.extracts import write_province_extracts
from stiplan.assets.excel.style import thai_date

SHEETS = ["สรุป", "โครงการในจังหวัด", "กลุ่มจังหวัด", "โครงการทั่วประเทศ"]


@pytest.fixture(scope="module")
def plan(tmp_path_factory) -> Path:
    return build_plan(tmp_path_factory)


@pytest.fixture(scope="module")
def out(plan, tmp_path_factory) -> tuple[Path, list[Path]]:
    root = tmp_path_factory.mktemp("provinces")
    return root, write_province_extracts(plan, root)


@pytest.fixture(scope="module")
def truths(plan) -> dict[int, Truth]:
    return {y: Truth(plan, y) for y in (2555, 2556)}


def facts(ws) -> dict[str, object]:
    """The headline of the สรุป sheet: label (column B) -> value (column D)."""
    return {r[1]: r[3] for r in ws.iter_rows(min_row=5, max_row=10, values_only=True)}


def test_one_workbook_per_province_and_year(out, plan):
    root, paths = out
    provinces = query(plan, "SELECT code, name_th FROM provinces")
    assert len(provinces) == 77
    expected = {f"{y}/{code}_{name}.xlsx" for y in (2555, 2556) for code, name in provinces}
    assert {p.relative_to(root).as_posix() for p in paths} == expected
    assert all(p.is_file() for p in paths)
    assert len(paths) == len(set(paths)) == 154


def _check_province(path: Path, code: str, t: Truth) -> tuple[Decimal, int]:
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == SHEETS
    _, name, region, cluster = t.provinces[code]
    mine = {pid: t.projects[pid] for pid, shares in t.shares.items() if code in shares}
    share = sum((t.shares[pid][code] for pid in mine), Decimal(0))
    full = sum((r[3] for r in mine.values()), Decimal(0))
    nation = sum((r[3] for r in t.nationwide), Decimal(0))

    # สรุป: headline and the totals per agency
    ws = wb["สรุป"]
    assert name in ws["A1"].value and str(t.year) in ws["A2"].value
    assert (cluster or NO_CLUSTER) in ws["A2"].value and region in ws["A2"].value
    f = facts(ws)
    assert f["จำนวนโครงการในจังหวัด"] == len(mine)
    assert f["งบประมาณส่วนของจังหวัด (ประมาณการ)"] == approx(mb(share))
    assert f["งบประมาณทั้งโครงการของโครงการเหล่านี้"] == approx(mb(full))
    assert f["จำนวนหน่วยงาน"] == len({r[1] for r in mine.values()})
    assert f["โครงการทั่วประเทศ (ไม่นับรวมในยอดของจังหวัด)"] == len(t.nationwide)
    assert f["งบประมาณโครงการทั่วประเทศ (ไม่นับรวม)"] == approx(mb(nation))
    assert ws["D6"].number_format == MB
    header, body, total = table(ws)
    share_col = next(h for h in header if h.startswith("ส่วนของจังหวัด"))
    assert "ประมาณการ" in share_col
    per_agency: dict[str, list] = {}
    for pid, r in mine.items():
        a = per_agency.setdefault(t.agencies[r[1]][0], [0, Decimal(0), Decimal(0)])
        a[0] += 1
        a[1] += t.shares[pid][code]
        a[2] += r[3]
    assert {
        d["ชื่อย่อ"]: (d["จำนวนโครงการ"], d[share_col], d["งบประมาณทั้งโครงการ (ล้านบาท)"]) for d in body
    } == {k: (n, approx(mb(s)), approx(mb(b))) for k, (n, s, b) in per_agency.items()}
    assert total["จำนวนโครงการ"] == len(mine)
    assert total[share_col] == approx(mb(share))
    if not mine:
        text = [c for row in ws.iter_rows(values_only=True) for c in row if c]
        assert "ไม่มีโครงการในจังหวัดนี้ในปีงบประมาณนี้" in text

    # โครงการในจังหวัด: the projects, their share here and their other provinces
    header, body, total = table(wb["โครงการในจังหวัด"])
    share_col = next(h for h in header if h.startswith("ส่วนของจังหวัด"))
    assert len(body) == len(mine)
    got = {(d["ไฟล์ต้นฉบับ"], d["แผ่นงาน"], d["แถว"]): d for d in body}
    for pid, (
        _,
        agency,
        pname,
        budget,
        _,
        strategy,
        start,
        end,
        file,
        sheet,
        row,
        contact,
        phone,
    ) in mine.items():
        d = got[(file, sheet, row)]
        others = collate(t.provinces[c][1] for c in t.shares[pid] if c != code)
        assert (d["หน่วยงาน"], d["ชื่อโครงการ"], d["ยุทธศาสตร์"]) == (
            t.agencies[agency][0],
            pname,
            strategy,
        )
        assert d["งบประมาณทั้งโครงการ (ล้านบาท)"] == approx(mb(budget))
        assert d[share_col] == approx(mb(t.shares[pid][code]))
        assert d["จำนวนจังหวัด"] == len(t.shares[pid])
        assert d["จังหวัดอื่นของโครงการ"] == (", ".join(others) or "-")
        assert (d["วันเริ่มต้น"], d["วันสิ้นสุด"]) == (thai_date(start), thai_date(end))
        assert (d["ผู้รับผิดชอบ"], d["โทรศัพท์"]) == (contact, phone)
    assert total[share_col] == approx(mb(share))
    assert total["งบประมาณทั้งโครงการ (ล้านบาท)"] == approx(mb(full))

    # กลุ่มจังหวัด: every province of the cluster, in Thai order, for context
    ws = wb["กลุ่มจังหวัด"]
    header, body, total = table(ws)
    budget_col = next(h for h in header if h.startswith("งบประมาณ"))
    members = [c for c, p in t.provinces.items() if cluster and p[3] == cluster] or [code]
    assert [d["จังหวัด"] for d in body] == collate(t.provinces[c][1] for c in members)
    in_cluster = Decimal(0)
    ids = set()
    for d in body:
        c = d["รหัส"]
        pids = [pid for pid, shares in t.shares.items() if c in shares]
        b = sum((t.shares[pid][c] for pid in pids), Decimal(0))
        assert d["จำนวนโครงการ"] == len(pids)
        assert d[budget_col] == approx(mb(b))
        in_cluster += b
        ids.update(pids)
    for d in body:
        c = d["รหัส"]
        b = sum((s[c] for s in t.shares.values() if c in s), Decimal(0))
        assert d["สัดส่วนในกลุ่ม (%)"] == pytest.approx(pct(b, in_cluster), abs=1e-9)
    assert total[budget_col] == approx(mb(in_cluster))
    assert total["จำนวนโครงการ"] == len(ids)
    mine_row = ws.cell(row=4 + [d["รหัส"] for d in body].index(code) + 1, column=2)
    assert mine_row.font.bold  # this province stands out
    assert "ประมาณการ" in ws["A1"].value

    # โครงการทั่วประเทศ: context only
    header, body, total = table(wb["โครงการทั่วประเทศ"])
    assert sorted((d["ชื่อโครงการ"], d["งบประมาณ (ล้านบาท)"]) for d in body) == sorted(
        (r[2], approx(mb(r[3]))) for r in t.nationwide
    )
    assert total["งบประมาณ (ล้านบาท)"] == approx(mb(nation))
    assert "ไม่นับรวม" in wb["โครงการทั่วประเทศ"]["A3"].value
    return share, len(mine)


def test_every_figure_of_every_province(out, truths, plan):
    root, _ = out
    for year, t in truths.items():
        shares = Decimal(0)
        with_projects = 0
        for code, name, *_ in t.provinces.values():
            share, n = _check_province(root / str(year) / f"{code}_{name}.xlsx", code, t)
            shares += share
            with_projects += n > 0
        # conservation: the provinces' shares plus nationwide make the plan's total
        assert shares + sum(r[3] for r in t.nationwide) == t.total
        assert with_projects == len({c for s in t.shares.values() for c in s})
    assert with_projects == 1  # 2556: only ตาก


def test_figures_by_hand(out):
    root, _ = out
    phrae = openpyxl.load_workbook(root / "2555" / "TH-54_แพร่.xlsx")
    f = facts(phrae["สรุป"])
    # NSTDA's 2,500,000.01 over 3 provinces: แพร่ (TH-54) gets 833,333.34; DSS's 250,000
    assert f["จำนวนโครงการในจังหวัด"] == 2
    assert f["งบประมาณส่วนของจังหวัด (ประมาณการ)"] == approx(1.08333334)
    assert f["งบประมาณทั้งโครงการของโครงการเหล่านี้"] == approx(2.75000001)
    _, body, _ = table(phrae["โครงการในจังหวัด"])
    assert [d["จังหวัดอื่นของโครงการ"] for d in body] == ["-", "เชียงราย, ลำพูน"]
    assert [d["หน่วยงาน"] for d in body] == ["วศ.", "สวทช."]  # the ministry's order
    krabi = openpyxl.load_workbook(root / "2555" / "TH-81_กระบี่.xlsx")
    assert facts(krabi["สรุป"])["จำนวนโครงการในจังหวัด"] == 0
    assert table(krabi["โครงการในจังหวัด"])[1] == []
    # nationwide projects are listed but never added into the province's total
    assert len(table(krabi["โครงการทั่วประเทศ"])[1]) == 2
    assert facts(krabi["สรุป"])["งบประมาณส่วนของจังหวัด (ประมาณการ)"] == 0


def test_bangkok_is_in_no_cluster(out):
    root, _ = out
    wb = openpyxl.load_workbook(root / "2555" / "TH-10_กรุงเทพมหานคร.xlsx")
    ws = wb["กลุ่มจังหวัด"]
    _, body, _ = table(ws)
    assert [d["จังหวัด"] for d in body] == ["กรุงเทพมหานคร"]
    assert NO_CLUSTER in ws["A1"].value
    text = [c for row in ws.iter_rows(values_only=True) for c in row if isinstance(c, str)]
    assert "จังหวัดกรุงเทพมหานครไม่อยู่ในกลุ่มจังหวัดใด" in text


def test_formula_like_names_stay_text(out):
    root, _ = out
    seen = set()
    for name in ("TH-50_เชียงใหม่", "TH-57_เชียงราย", "TH-40_ขอนแก่น", "TH-10_กรุงเทพมหานคร"):
        path = root / "2555" / f"{name}.xlsx"
        ws = openpyxl.load_workbook(path)["โครงการในจังหวัด"]
        for row in ws.iter_rows():
            for cell in row:
                if cell.value in FORMULA_LIKE:
                    assert cell.data_type == "s" and cell.quotePrefix
                    seen.add(cell.value)
        with zipfile.ZipFile(path) as z:
            assert not any(
                b"<f>" in z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/")
            )
    assert seen == set(FORMULA_LIKE)


def test_font_and_number_formats(out):
    root, _ = out
    for name in ("TH-54_แพร่", "TH-81_กระบี่"):
        wb = openpyxl.load_workbook(root / "2555" / f"{name}.xlsx")
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for cell in row:
                    if cell.value is not None:
                        assert cell.font.name == FONT, (name, ws.title, cell.coordinate)
                    if isinstance(cell.value, float) and "ล้านบาท" in str(
                        ws.cell(row=4, column=cell.column).value or ""
                    ):
                        assert cell.number_format == MB, (ws.title, cell.coordinate)
            if ws.title != "สรุป":
                assert ws.freeze_panes and ws.print_title_rows


def test_writing_twice_gives_identical_workbooks(plan, out, tmp_path):
    root, paths = out
    again = write_province_extracts(plan, tmp_path)
    assert [p.relative_to(tmp_path) for p in again] == [p.relative_to(root) for p in paths]
    for a, b in zip(paths, again, strict=True):
        with zipfile.ZipFile(a) as za, zipfile.ZipFile(b) as zb:
            assert za.namelist() == zb.namelist()
            for n in za.namelist():
                assert za.read(n) == zb.read(n), (a.name, n)
        assert a.read_bytes() == b.read_bytes()  # the dates are the plan's
    # and the cell values, read back
    wa = openpyxl.load_workbook(paths[0])
    wb = openpyxl.load_workbook(again[0])
    for ws in wa.worksheets:
        assert list(ws.iter_rows(values_only=True)) == list(
            wb[ws.title].iter_rows(values_only=True)
        )
    assert TOTAL in [c for r in wa["สรุป"].iter_rows(values_only=True) for c in r]


def test_only_changed_extracts_are_written_again(plan, out, tmp_path):
    from test_planbook import changed_plan

    from stiplan.assets.books.folders import Manifest

    root, paths = out
    same = write_province_extracts(plan, tmp_path / "same", previous=Manifest.of(root, paths))
    for a, b in zip(paths, same, strict=True):  # unchanged: links to the files before
        assert a.stat().st_ino == b.stat().st_ino
        assert stat.S_IMODE(b.stat().st_mode) == 0o644
    changed = write_province_extracts(
        changed_plan(plan, tmp_path),
        tmp_path / "changed",
        previous=Manifest.of(tmp_path / "same", same),
    )
    rewritten = [
        b.relative_to(tmp_path / "changed").as_posix()
        for a, b in zip(same, changed, strict=True)
        if a.stat().st_ino != b.stat().st_ino
    ]
    assert rewritten == ["2556/TH-63_ตาก.xlsx"]  # the one extract with 2556's project
    _, body, _ = table(
        openpyxl.load_workbook(tmp_path / "changed" / rewritten[0])["โครงการในจังหวัด"]
    )
    assert [d["ชื่อโครงการ"] for d in body] == ["โครงการปีหน้า (แก้ไข)"]


def test_an_extract_is_as_of_the_files_its_projects_came_from(out, plan):
    root, _ = out
    (tak,) = query(plan, "SELECT max(received_at) FROM submissions WHERE fiscal_year = 2556")[0]
    local = tak.astimezone(dt.timezone(dt.timedelta(hours=7)))

    def note(path: Path) -> str:
        ws = openpyxl.load_workbook(path)["สรุป"]
        return next(
            c
            for r in ws.iter_rows(values_only=True)
            for c in r
            if isinstance(c, str) and c.startswith("ข้อมูล ณ")
        )

    assert note(root / "2556" / "TH-63_ตาก.xlsx").startswith(
        f"ข้อมูล ณ {thai_date(local, time=True)}"
    )
    # no project of any file in it (nor in its cluster, nor nationwide): no date, so a
    # file arriving for another province never changes it
    assert note(root / "2556" / "TH-81_กระบี่.xlsx").startswith("ข้อมูล ณ -")


def test_worker_processes_write_the_same_bytes(plan, out, tmp_path, monkeypatch):
    """A big plan is written by two worker processes: the files are the ones one
    process writes."""
    from stiplan.assets.books import extracts

    root, paths = out
    monkeypatch.setattr(extracts, "PARALLEL_ROWS", 0)
    monkeypatch.setenv("STIPLAN_OUTPUT_WORKERS", "2")
    again = write_province_extracts(plan, tmp_path)
    assert [p.relative_to(tmp_path) for p in again] == [p.relative_to(root) for p in paths]
    for a, b in zip(paths, again, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name


def test_a_rebuild_of_the_folder_links_what_did_not_change(plan, tmp_path):
    """The outputs asset's swap (build privately, swap in whole, stamp) given the
    current folder to reuse from: a second rebuild from the same plan writes nothing,
    every file of the new folder is the old one."""
    import shutil

    from stiplan.assets.books.folders import Manifest
    from stiplan.assets.outputs import _manifest, _rebuild, _stamped, plan_fingerprint
    from stiplan.schemas.warehouse import Paths

    p = Paths(tmp_path / "inbox", tmp_path / "warehouse")
    p.warehouse.mkdir()
    shutil.copyfile(plan, p.plan)
    folder = p.outputs / "provinces"

    def write(snap, out):  # as the asset calls it
        return write_province_extracts(snap, out, Manifest.load(_manifest(p, "provinces"), folder))

    first, _, swapped = _rebuild(p, folder, write, "a", None)
    assert swapped and _stamped(p, "provinces") == plan_fingerprint(p.plan)
    inodes = {f.relative_to(folder): f.stat().st_ino for f in first}
    second, _, swapped = _rebuild(p, folder, write, "b", None)
    assert swapped and len(second) == len(first) == 154
    assert {f.relative_to(folder): f.stat().st_ino for f in second} == inodes
    assert not [f for f in folder.iterdir() if f.is_file()]  # nothing but the handouts
    assert _manifest(p, "provinces").is_file()
