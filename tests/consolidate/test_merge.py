"""The merge on its own: the plan built from agency-year shares, kept or not, is the
same; one agency's change rebuilds its share alone."""

from __future__ import annotations

from decimal import Decimal

import duckdb
import pyarrow.parquet as pq
import pytest
from plans import build, corpus, dump, written

from stiplan.assets.consolidate.merge import SHARE_TABLES, build_tables
from stiplan.assets.ingest.cache import digest_of


def test_kept_shares_give_the_same_plan_as_building_everything(tmp_path):
    files, parsed = corpus()
    fresh = written(build(files, parsed), tmp_path / "fresh.duckdb")
    keep = tmp_path / "merged"
    first = written(build(files, parsed, keep=keep), tmp_path / "a.duckdb")
    loaded: list[str] = []
    again = written(build(files, parsed, keep=keep, loaded=loaded), tmp_path / "b.duckdb")
    assert fresh == first == again
    assert loaded == []  # every share read back: no parsed submission needed
    assert len(fresh["projects"]) == 3 * 8
    assert fresh["duplicate_candidates"]  # the joint project of three agencies
    budgets = {r[0]: r[4] for r in fresh["projects"]}
    assert all(isinstance(b, Decimal) for b in budgets.values())
    assert sum(budgets.values()) == 3 * (
        sum(Decimal(f"{1000 + i}.25") for i in range(6)) + 2 * Decimal("1000.50")
    )


def test_one_agency_resubmitting_rebuilds_its_share_alone(tmp_path):
    files, parsed = corpus()
    keep = tmp_path / "merged"
    build(files, parsed, keep=keep)
    before = {d.name: d.stat().st_ino for d in keep.iterdir()}
    files2, parsed2 = corpus(version=2)
    loaded: list[str] = []
    tables = build(files2, parsed2, keep=keep, loaded=loaded)
    assert sorted(loaded) == ["dss1".ljust(64, "0"), "dss2".ljust(64, "0")]
    after = {d.name: d.stat().st_ino for d in keep.iterdir()}
    kept = {n for n in before if n.startswith(("NSTDA", "TISTR"))}
    assert kept and all(after.get(n) == before[n] for n in kept)  # untouched
    assert not [n for n in after if n.startswith("DSS") and n in before]  # old DSS share gone
    assert written(tables, tmp_path / "a.duckdb") == written(
        build(files2, parsed2), tmp_path / "fresh.duckdb"
    )
    changes = dump(tmp_path / "a.duckdb")["submission_changes"]
    assert {c[3] for c in changes} == {"budget_changed"} and len(changes) == 7


@pytest.mark.parametrize("damage", ["truncate", "remove"])
def test_a_damaged_kept_share_is_built_again(tmp_path, damage):
    files, parsed = corpus()
    keep = tmp_path / "merged"
    expected = written(build(files, parsed, keep=keep), tmp_path / "a.duckdb")
    share = next(d for d in keep.iterdir() if d.name.startswith("DSS"))
    target = share / f"{SHARE_TABLES[0]}.parquet"
    if damage == "truncate":
        target.write_bytes(target.read_bytes()[:40])
    else:
        target.unlink()
    loaded: list[str] = []
    assert (
        written(build(files, parsed, keep=keep, loaded=loaded), tmp_path / "b.duckdb") == expected
    )
    assert loaded == ["dss1".ljust(64, "0")]


def test_the_review_after_one_agency_resubmits_searches_only_its_pairs(tmp_path, monkeypatch):
    import stiplan.assets.consolidate.merge as merge

    files, parsed = corpus()
    keep = tmp_path / "merged"
    build(files, parsed, keep=keep)
    searched: list[tuple[int, int]] = []
    real = merge.find_candidates_between

    def spy(changed, others, provinces=None):  # Arrow tables of the shares' projects
        searched.append((len(changed), len(others)))
        return real(changed, others, provinces)

    monkeypatch.setattr(merge, "find_candidates_between", spy)
    files2, parsed2 = corpus(version=2)
    # DSS renames its part of the joint project: its two pairs go, NSTDA-TISTR stays
    parsed2["dss2".ljust(64, "0")].rows[6].project_name = "โครงการศูนย์ข้อมูลน้ำบาดาล"
    parsed2["dss2".ljust(64, "0")].rows[6].name_key = "โครงการศูนย์ข้อมูลน้ำบาดาล"
    incremental = build(files2, parsed2, keep=keep)["duplicate_candidates"]
    # DSS's one renamed project against the others: the two unchanged agencies' 16 and
    # DSS's 7 whose review columns are as the last review read them (new budgets only),
    assert searched == [(1, 14)]  # of them, the 14 in its provinces (TH-50, TH-51)
    monkeypatch.undo()
    fresh = build(files2, parsed2)["duplicate_candidates"]
    assert incremental == fresh
    assert {(c["agency_code_a"], c["agency_code_b"]) for c in fresh} == {("NSTDA", "TISTR")}


def test_missing_shares_are_built_in_child_processes_from_the_parse_cache(tmp_path):
    from stiplan.assets.ingest.cache import store

    files, parsed = corpus(version=2)
    cache = tmp_path / "parsed"
    for sid, p in parsed.items():
        if not sid.startswith("tistr"):  # TISTR's is not kept: built by the run itself
            store(cache, sid, p)
    loaded: list[str] = []
    digests = {sid: digest_of(p) for sid, p in parsed.items()}
    tables = build_tables(
        files,
        [],
        digests,
        lambda sids: loaded.extend(sids) or {s: parsed[s] for s in sids},
        keep=tmp_path / "merged",
        parsed_dir=cache,
    )
    assert loaded == ["tistr1".ljust(64, "0")]
    assert written(tables, tmp_path / "a.duckdb") == written(
        build(files, parsed), tmp_path / "fresh.duckdb"
    )


def test_small_shares_share_a_child_and_big_ones_have_their_own(tmp_path, monkeypatch):
    import stiplan.assets.consolidate.merge as merge
    from stiplan.assets.ingest.cache import _path

    monkeypatch.setattr(merge, "SHARE_BATCH_BYTES", 1000)
    sizes = {"a": 900, "b": 50, "c": 40, "d": 30, "e": 2500, "f": 10}
    for sid, size in sizes.items():
        _path(tmp_path, sid).parent.mkdir(parents=True, exist_ok=True)
        _path(tmp_path, sid).write_bytes(b"x" * size)
    tasks = [(sid.upper(), 2555, [sid], tmp_path, tmp_path / sid) for sid in sizes]
    batches = merge._share_batches(tasks, tmp_path)
    assert sorted(t for b in batches for t in b) == sorted(tasks)  # each once
    assert len(batches) == 4  # 3,530 bytes: four children of about 1,000
    assert [t[0] for t in batches[0]] == ["E"]  # the biggest alone
    small = merge._share_batches(tasks[1:4], tmp_path)
    assert len(small) == 2  # still one per core
    assert merge._share_batches(tasks[:1], tmp_path) == [tasks[:1]]


@pytest.mark.parametrize("per_part", [125_000, 2])  # one part a core; one per 2 projects
def test_a_large_review_searched_ahead_in_two_children_gives_the_same_pairs(
    tmp_path, monkeypatch, per_part
):
    import stiplan.assets.consolidate.merge as merge
    import stiplan.assets.runtime.isolation as isolation

    files, parsed = corpus(version=2)
    keep = tmp_path / "merged"
    digests = {sid: digest_of(p) for sid, p in parsed.items()}
    merge.prepare_shares(keep, files, digests, None, lambda sids: {s: parsed[s] for s in sids})
    monkeypatch.setattr(merge, "SPLIT_REVIEW_PROJECTS", 0)
    monkeypatch.setattr(merge, "REVIEW_PART_PROJECTS", per_part)
    jobs: list[int] = []
    run = isolation.run_isolated
    monkeypatch.setattr(
        isolation,
        "run_isolated",
        lambda fn, tasks, **kw: jobs.append(len(tasks)) or run(fn, tasks, **kw),
    )
    merge.prepare_review(keep, files, digests)
    size = sum(pq.read_metadata(f).num_rows for f in keep.glob("*/projects.parquet"))
    assert jobs == [merge.REVIEW_PARTS if per_part > size else -(-size // per_part)]
    assert size > 8
    assert (keep / "candidates.json").is_file()

    def searched(*args, **kwargs):
        raise AssertionError("the merge searched pairs the children had kept")

    monkeypatch.setattr(merge, "find_candidates_between", searched)
    ahead = build(files, parsed, keep=keep)["duplicate_candidates"]
    monkeypatch.undo()
    assert ahead == build(files, parsed)["duplicate_candidates"]
    assert ahead  # the joint project of NSTDA and TISTR


def test_a_part_of_the_review_holds_exactly_the_projects_in_its_provinces(tmp_path):
    import stiplan.assets.consolidate.merge as merge

    files, parsed = corpus(version=2)
    keep = tmp_path / "merged"
    digests = {sid: digest_of(p) for sid, p in parsed.items()}
    merge.prepare_shares(keep, files, digests, None, lambda sids: {s: parsed[s] for s in sids})
    _, chains = merge.submission_statuses(files, digests)
    shares = list(merge.plan_shares(keep, chains, None).values())
    every = merge._review_rows(shares).to_pylist()  # an Arrow table: one row a project
    for part in ({"TH-50"}, {"TH-10", "TH-51"}, {"TH-99"}, set()):
        assert merge._review_rows(shares, frozenset(part)).to_pylist() == [
            r for r in every if set(r["province_codes"]) & part
        ]


def test_a_kept_share_damaged_inside_is_built_again_by_the_run(tmp_path, monkeypatch):
    """A kept share whose footer is intact but whose pages are not fails DuckDB's read:
    the merge builds every share again rather than failing every run after."""
    from workbooks import write_xlsx

    from stiplan.run import run_inbox

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    monkeypatch.setenv("STIPLAN_INBOX", str(inbox))
    monkeypatch.setenv("STIPLAN_WAREHOUSE", str(tmp_path / "warehouse"))
    year, head = ["ประจำปีงบประมาณ พ.ศ. 2555"], ["ลำดับ", "ชื่อโครงการ", "จังหวัด", "งบประมาณ (บาท)"]
    write_xlsx(
        inbox / "NSTDA_2555.xlsx",
        {
            "s": (
                [year, head],
                [[i, f"โครงการที่ {i} ของสวทช.", "ตาก", 100 + i] for i in range(1, 200)],
            )
        },
    )
    assert run_inbox(outputs=False).published
    [share] = (tmp_path / "warehouse" / ".work" / "merged").glob("NSTDA-*")
    target = share / "projects.parquet"
    data = bytearray(target.read_bytes())
    middle = len(data) // 3
    data[middle : middle + 64] = bytes(64)  # pages zeroed, footer kept
    target.write_bytes(bytes(data))
    write_xlsx(inbox / "DSS_2555.xlsx", {"s": ([year, head], [[1, "ข", "น่าน", 5]])})
    assert run_inbox(outputs=False).published
    con = duckdb.connect(str(tmp_path / "warehouse" / "plan.duckdb"), read_only=True)
    try:
        assert con.execute("SELECT count(*), sum(budget_baht) FROM projects").fetchone() == (
            200,
            Decimal(sum(100 + i for i in range(1, 200)) + 5),
        )
    finally:
        con.close()


def test_the_newest_version_is_current_and_a_rejected_file_never_supersedes():
    from plans import file, row, sid_of, submission

    files, parsed = corpus()
    nstda2 = sid_of("nstda2")
    parsed[nstda2] = submission("NSTDA", parsed[sid_of("nstda1")].rows[:2])
    files.append(file(nstda2, "NSTDA_2555_v2.xlsx", "NSTDA", 10))
    unreadable = sid_of("dss3")  # DSS's, but no sheet could be read
    parsed[unreadable] = submission("DSS", [], reason="no_header")
    files.append(file(unreadable, "DSS_2555_v3.xlsx", "DSS", 11))
    files.append(file(sid_of("anon"), "plan.xlsx", None, 12))  # routed to no agency
    empty = sid_of("tistr2")  # read, but every row rejected
    parsed[empty] = submission("TISTR", [row(5, "", outcome="rejected", reason="name_missing")])
    files.append(file(empty, "TISTR_2555_v2.xlsx", "TISTR", 13))
    got = {
        s["submission_id"][:6].rstrip("0"): (s["status"], s["reason_code"], s["supersedes"])
        for s in build(files, parsed)["submissions"]
    }
    assert got == {
        "nstda1": ("superseded", None, None),
        "dss1": ("current", None, None),
        "tistr1": ("superseded", None, None),
        "nstda2": ("current", None, sid_of("nstda1")),
        "dss3": ("rejected", "no_header", None),
        "anon": ("rejected", "agency_unknown", None),
        "tistr2": ("current", "no_current_rows", sid_of("tistr1")),
    }


def test_a_failed_write_leaves_the_previous_database_and_nothing_else(tmp_path):
    from stiplan.assets.consolidate.merge import write_database

    files, parsed = corpus()
    path = tmp_path / "plan.duckdb"
    before = written(build(files, parsed), path)
    broken = build(*corpus(version=2))
    del broken["row_problems"]  # fails after the first tables are in
    with pytest.raises(KeyError):
        write_database(path, broken)
    assert dump(path) == before
    assert sorted(f.name for f in tmp_path.iterdir()) == ["plan.duckdb"]


def test_a_project_rejected_in_the_new_version_is_rejected_not_removed():
    """The agency still lists it; the feedback must send them to its problem."""
    from plans import row, submission

    from stiplan.assets.consolidate.merge import chain_tables

    first = submission("DSS", [row(1, "โครงการคงอยู่"), row(2, "โครงการมีปัญหา"), row(3, "โครงการถอน")])
    second = submission(
        "DSS",
        [
            row(1, "โครงการคงอยู่"),
            row(2, "โครงการมีปัญหา", outcome="rejected", reason="budget_negative"),
        ],
    )
    changes = chain_tables("DSS", 2555, ["v1", "v2"], {"v1": first, "v2": second})[
        "submission_changes"
    ].to_pylist()
    assert sorted((c["project_name"], c["change"]) for c in changes) == [
        ("โครงการถอน", "removed"),
        ("โครงการมีปัญหา", "rejected"),
    ]


def test_a_new_files_share_is_built_as_it_is_routed_and_the_merge_loads_no_parse(
    tmp_path, monkeypatch
):
    """`stiplan run` builds a new file's agency-year share in the child that reads it
    (its registered versions, then it): the merge finds every share kept and loads no
    parsed submission, and the plan is the one a fresh warehouse gives."""
    from workbooks import write_xlsx

    import stiplan.assets.ingest.cache as cache
    import stiplan.assets.plan as plan
    from stiplan.run import run_inbox

    monkeypatch.setenv("STIPLAN_IN_PROCESS", "1")  # the children's work in this process
    year, head = ["ประจำปีงบประมาณ พ.ศ. 2555"], ["ลำดับ", "ชื่อโครงการ", "จังหวัด", "งบประมาณ (บาท)"]

    def submit(inbox, name, budget):
        rows = [[i, f"โครงการที่ {i}", "ตาก", budget + i] for i in range(1, 30)]
        write_xlsx(inbox / name, {"s": ([year, head], rows)})

    def run(warehouse):
        monkeypatch.setenv("STIPLAN_INBOX", str(tmp_path / "inbox"))
        monkeypatch.setenv("STIPLAN_WAREHOUSE", str(warehouse))
        assert run_inbox(outputs=False).published

    loaded: list[str] = []
    real = cache.parse_registered

    def spy(p, registry, files):
        loaded.extend(f["submission_id"] for f in files)
        return real(p, registry, files)

    monkeypatch.setattr(cache, "parse_registered", spy)
    monkeypatch.setattr(plan, "parse_registered", spy)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    submit(inbox, "NSTDA_2555.xlsx", 100)
    submit(inbox, "DSS_2555.xlsx", 200)
    run(tmp_path / "warehouse")
    submit(inbox, "NSTDA_2555_revised.xlsx", 300)  # a chain of two versions
    run(tmp_path / "warehouse")
    assert loaded == []
    shares = sorted(d.name.split("-")[0] for d in (tmp_path / "warehouse/.work/merged").iterdir())
    assert shares == ["DSS", "NSTDA", "candidates.json"]
    run(tmp_path / "fresh")  # every file at once
    kept, fresh = (dump(tmp_path / w / "plan.duckdb") for w in ("warehouse", "fresh"))
    for table in [*SHARE_TABLES, "duplicate_candidates"]:  # not the times files arrived
        assert kept[table] == fresh[table], table
    assert len(kept["submission_changes"]) == 29


def _kept_plan(tmp_path, files, parsed, path, aside=False):
    """The working plan written as the run writes it: from kept shares, told which."""
    from stiplan.assets.consolidate.merge import share_chains, write_database

    keep = tmp_path / "merged"
    digests = {sid: digest_of(p) for sid, p in parsed.items()}
    tables = build_tables(
        files, [], digests, lambda sids: {s: parsed[s] for s in sids}, keep=keep, aside=aside
    )
    write_database(path, tables, shares=share_chains(keep, files, digests))
    return tables


def _patches(path) -> int:
    import json

    return json.loads(path.with_name(path.name + ".shares").read_text("utf-8"))["patches"]


def _stored(path, table: str) -> list[tuple]:
    """A table's rows in the order they are stored."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(f"SELECT * FROM {table}").fetchall()
    finally:
        con.close()


def test_a_resubmission_patches_the_working_plan_to_the_same_tables_as_a_whole_write(
    tmp_path,
):
    from plans import file, row, sid_of, submission

    path = tmp_path / "plan.duckdb"
    _kept_plan(tmp_path, *corpus(), path)
    assert _patches(path) == 0
    files, parsed = corpus(version=2)  # DSS resubmits; a rejected file and a new agency
    parsed[sid_of("anon")] = submission("TISTR", [], reason="no_header")
    files.append(file(sid_of("anon"), "unknown.xlsx", None, 10))
    parsed[sid_of("nia1")] = submission("NIA", [row(5, "โครงการ NIA", provinces=("TH-50",))])
    files.append(file(sid_of("nia1"), "NIA_2555.xlsx", "NIA", 11))
    _kept_plan(tmp_path, files, parsed, path)
    assert _patches(path) == 1
    whole = tmp_path / "whole.duckdb"
    written(build(files, parsed), whole)
    assert dump(path) == dump(whole)
    # one submission's rows keep their order (the feedback lists its problems so)
    for table in ("row_problems", "source_rows", "submission_changes"):
        for sid in {r[0] for r in _stored(whole, table)}:
            assert [r for r in _stored(path, table) if r[0] == sid] == [
                r for r in _stored(whole, table) if r[0] == sid
            ]


def test_a_working_plan_changed_since_it_was_written_or_patched_often_is_written_whole(
    tmp_path,
):
    import os

    import stiplan.assets.consolidate.merge as merge

    path = tmp_path / "plan.duckdb"
    _kept_plan(tmp_path, *corpus(), path)
    files2, parsed2 = corpus(version=2)
    for n in range(1, merge.MOST_PATCHES + 2):  # back and forth between the versions
        _kept_plan(tmp_path, *(corpus() if n % 2 == 0 else (files2, parsed2)), path)
        assert _patches(path) == n % (merge.MOST_PATCHES + 1)
    st = os.stat(path)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1))  # written by something else
    _kept_plan(tmp_path, files2, parsed2, path)
    assert _patches(path) == 0
    assert dump(path) == written(build(files2, parsed2), tmp_path / "whole.duckdb")


def test_the_review_searched_aside_in_a_child_gives_the_same_pairs(tmp_path, monkeypatch):
    import os

    import stiplan.assets.consolidate.merge as merge

    files, parsed = corpus()
    path = tmp_path / "plan.duckdb"
    tables = _kept_plan(tmp_path, files, parsed, path, aside=True)
    assert isinstance(tables["duplicate_candidates"], merge.ReviewAside)
    expected = build(files, parsed)["duplicate_candidates"]
    assert expected and tables["duplicate_candidates"].result() == expected
    assert (
        dump(path)["duplicate_candidates"]
        == written(build(files, parsed), tmp_path / "whole.duckdb")["duplicate_candidates"]
    )
    # a child that fails leaves the search to this process
    (tmp_path / "merged" / "candidates.json").unlink()
    parent, real = os.getpid(), merge.review

    def failing_in_child(*args):
        if os.getpid() != parent:
            raise RuntimeError("the child fails")
        return real(*args)

    monkeypatch.setattr(merge, "review", failing_in_child)
    files2, parsed2 = corpus(version=2)
    tables = _kept_plan(tmp_path, files2, parsed2, path, aside=True)
    assert tables["duplicate_candidates"].result() == build(files2, parsed2)["duplicate_candidates"]


def test_a_resubmission_that_renames_a_project_into_a_pair_finds_it_and_keeps_the_rest(
    tmp_path,
):
    """Only the renamed project is searched; the pairs of DSS's unchanged projects
    stand as the last review found them."""
    files, parsed = corpus()
    keep = tmp_path / "merged"
    build(files, parsed, keep=keep)
    files2, parsed2 = corpus(version=2)
    renamed = parsed2["dss2".ljust(64, "0")].rows[0]
    renamed.project_name = renamed.name_key = "โครงการ NSTDA 0"  # NSTDA's, same province
    incremental = build(files2, parsed2, keep=keep)["duplicate_candidates"]
    assert incremental == build(files2, parsed2)["duplicate_candidates"]
    assert {(c["agency_code_a"], c["agency_code_b"], c["reason"]) for c in incremental} >= {
        ("DSS", "NSTDA", "same name"),
        ("DSS", "TISTR", "same name"),
    }
    assert sorted(d.name.split("-")[0] for d in keep.iterdir() if d.is_dir()) == [
        "DSS",
        "NSTDA",
        "TISTR",
    ]  # the share the last review read forgotten once this one is kept


@pytest.mark.parametrize("parts", [None, 1, 3])
@pytest.mark.parametrize("seed", range(4))
def test_reviews_after_random_resubmissions_equal_a_fresh_review(
    tmp_path, monkeypatch, seed, parts
):
    """Agencies resubmit in turn, renaming, moving, adding and dropping projects among
    names that pair; after each, the review the merge keeps up to date is the review
    of the plan searched afresh. With `parts`, the review is searched ahead in that
    many children, each over its share of the provinces, as a large resubmission's is
    (it once lost the kept pairs of projects outside the first part's provinces)."""
    import random

    import stiplan.assets.consolidate.merge as merge

    if parts is not None:
        monkeypatch.setattr(merge, "SPLIT_REVIEW_PROJECTS", 0)
        monkeypatch.setattr(merge, "REVIEW_PARTS", parts)
        monkeypatch.setattr(merge, "REVIEW_PART_PROJECTS", 10**9)

    from plans import file, row, sid_of, submission

    rng = random.Random(seed)
    stems = ["ศูนย์ข้อมูลน้ำ", "พัฒนาเกษตรอัจฉริยะ", "ถนนชนบท", "โรงเรียนดิจิทัล"]
    names = [f"โครงการ{s}{tail}" for s in stems for tail in ("", " ", "ฯ", " ระยะที่ 2")]
    codes = ["TH-10", "TH-50", "TH-51", "TH-57"]

    def rows_of(n: int) -> list:
        return [
            row(
                5 + i,
                rng.choice(names) + (f" {i}" if rng.random() < 0.3 else ""),
                provinces=rng.sample(codes, rng.randint(1, 2)),
                budget=f"{rng.randint(1, 9)}000.50",
                nationwide=rng.random() < 0.05,
            )
            for i in range(n)
        ]

    files, parsed = [], {}
    for k, agency in enumerate(["NSTDA", "DSS", "TISTR"]):
        sid = sid_of(f"{agency.lower()}0")
        parsed[sid] = submission(agency, rows_of(12))
        files.append(file(sid, f"{agency}_2555.xlsx", agency, k))
    keep = tmp_path / "merged"
    build(files, parsed, keep=keep)
    found = 0
    for turn in range(1, 5):
        agency = rng.choice(["NSTDA", "DSS", "TISTR"])
        latest = [f for f in files if f["agency_code"] == agency][-1]["submission_id"]
        rows = list(parsed[latest].rows)
        for i, r in enumerate(rows):  # as the agency edits its list
            change = rng.random()
            if change < 0.15:
                rows[i] = row(r.row_number, rng.choice(names), r.province_codes, str(r.budget))
            elif change < 0.25:
                rows[i] = row(r.row_number, r.project_name, [rng.choice(codes)], str(r.budget))
            elif change < 0.5:
                rows[i] = row(r.row_number, r.project_name, r.province_codes, "1.25")
        rows = [r for r in rows if rng.random() > 0.1] + rows_of(2)
        rows = [
            row(5 + i, r.project_name, r.province_codes, str(r.budget)) for i, r in enumerate(rows)
        ]
        sid = sid_of(f"{agency.lower()}{turn}")
        parsed[sid] = submission(agency, rows)
        files.append(file(sid, f"{agency}_2555_{turn}.xlsx", agency, 10 + turn))
        if parts is not None:
            digests = {s: digest_of(p) for s, p in parsed.items()}
            load = lambda sids: {s: parsed[s] for s in sids}  # noqa: E731
            merge.prepare_shares(keep, files, digests, None, load)
            merge.prepare_review(keep, files, digests)
        incremental = build(files, parsed, keep=keep)["duplicate_candidates"]
        assert incremental == build(files, parsed)["duplicate_candidates"]
        found += len(incremental)
    assert found  # pairs came and went
