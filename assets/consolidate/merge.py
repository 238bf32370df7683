"""Merge every submission into the working plan database.

The plan is built from one share per agency and fiscal year: the chain of that
agency's versions for the year (`chain_tables`). A share depends only on the
chain's files, so it is kept (`warehouse/.work/merged/`, Parquet) and a merge
after one agency resubmits rebuilds that agency's share alone; the others are
read back as they were. The working database is then written from the shares:
whole, or, after a few shares changed, as a patch of the last one (their rows
replaced, the plan's own tables and the summaries written again). Either way the
same files give the same tables, row for row, whatever was kept: that is what
idempotence needs. The duplicate review is kept too (`candidates.json`) and redone
only for the projects a change touched, in a child beside the write.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import json
import os
import shutil
import signal
from collections import defaultdict
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from stiplan.assets.consolidate.candidates import (
    REVIEW_COLUMNS,
    find_candidates_between,
    review_keys_of,
)
from stiplan.assets.consolidate.project_ids import assign_ids, province_key, split_budgets
from stiplan.assets.ingest.cache import Digest
from stiplan.assets.ingest.inbox import UNOPENABLE
from stiplan.assets.ingest.submission import PARSER_VERSION, ParsedSubmission
from stiplan.assets.runtime.database import (
    STORAGE_VERSION,
    fsync_dir,
    fsync_file,
)
from stiplan.assets.runtime.faults import checkpoint
from stiplan.schemas.problems import describe
from stiplan.schemas.reference import AGENCIES, PROVINCES
from stiplan.schemas.warehouse import SUMMARIES, TABLES

MERGE_VERSION = "5"  # bump when a share's contents change, so kept shares are rebuilt
SATANG = Decimal("0.01")
# DuckDB's memory while it writes the working plan: past it, the rows it inserts are
# written to the file and the rest spilled, so a million-row merge stays near 700 MB
# (1.3 GB without) for about a second more.
MERGE_MEMORY_LIMIT = "512MB"
# The tables each agency-year share holds; the rest are the plan's own.
SHARE_TABLES = (
    "source_rows",
    "row_problems",
    "projects",
    "project_provinces",
    "submission_changes",
)
_ARROW = {
    "VARCHAR": pa.string(),
    "INTEGER": pa.int32(),
    "BOOLEAN": pa.bool_(),
    "DATE": pa.date32(),
    "DOUBLE": pa.float64(),
    "DECIMAL(18,2)": pa.decimal128(18, 2),
}
# the projects of a share carry, for the duplicate review, their provinces and their
# name's keys (computed once, when the share is built)
_REVIEW_FIELDS = (
    ("province_codes", pa.list_(pa.string())),
    ("review_key", pa.string()),
    ("name_numbers", pa.list_(pa.string())),
)


def _satang(d: Decimal) -> int:
    return int((d / SATANG).to_integral_value())


def _schema(table: str) -> pa.Schema:
    fields = [pa.field(c, _ARROW[t]) for c, t in TABLES[table]]
    if table == "projects":
        fields += [pa.field(*f) for f in _REVIEW_FIELDS]
    return pa.schema(fields)


# ----------------------------------------------------------------- money as satang columns

_MONEY = _ARROW["DECIMAL(18,2)"]
_MAX_SATANG = 10**18  # DECIMAL(18,2) holds 18 digits of satang


def _decimal_column(satang: Sequence[int | None]) -> pa.Array:
    """Satang as a DECIMAL(18,2) column, built from the integers themselves: the unscaled
    value of a two-place decimal is its number of satang, so neither a Decimal nor a
    float is made. Arrow keeps a value as 128-bit two's complement, low word first."""
    valid = [v is not None for v in satang]
    values = np.array(satang if all(valid) else [v or 0 for v in satang], dtype=np.int64)
    if len(values) and (values.max() >= _MAX_SATANG or values.min() <= -_MAX_SATANG):
        raise pa.ArrowInvalid("a budget does not fit DECIMAL(18,2)")
    words = np.empty(2 * len(values), dtype=np.int64)
    words[0::2], words[1::2] = values, values >> 63  # the high word only carries the sign
    validity = None if all(valid) else pa.array(valid, pa.bool_()).buffers()[1]
    return pa.Array.from_buffers(_MONEY, len(values), [validity, pa.py_buffer(words)])


def _budget_satang(budgets: list[Decimal]) -> np.ndarray:
    """`_satang` of every budget. Arrow converts Decimals of at most two places exactly,
    or refuses; a refused list (more places, too large, a None or a NaN) goes through
    `_satang` one by one, which rounds or raises as it always did."""
    try:
        money = pa.array(budgets, _MONEY)
    except (pa.ArrowException, TypeError, ValueError):
        money = None
    if money is None or money.null_count:
        return np.array([_satang(b) for b in budgets], dtype=np.int64)
    # the low words: every DECIMAL(18,2) value fits one, sign included
    return np.frombuffer(money.buffers()[1], dtype=np.int64)[0::2][: len(money)].copy()


def _name_keys(names: list[str]) -> tuple[list[str], list[tuple[str, ...]]]:
    """The review keys of the projects' names, each distinct name keyed once."""
    distinct = list(dict.fromkeys(names))
    pairs = review_keys_of(distinct)
    if len(distinct) < len(names):
        keyed = dict(zip(distinct, pairs, strict=True))
        pairs = [keyed[n] for n in names]
    return [key for key, _ in pairs], [numbers for _, numbers in pairs]


# ----------------------------------------------------------------- one agency-year share


class _Columns:
    """A table collected as one list per column (satang for the money columns),
    turned into Arrow arrays at the end."""

    def __init__(self, table: str):
        self.schema = _schema(table)
        self.columns: dict[str, list] = {f.name: [] for f in self.schema}

    def extend(self, **columns: Sequence) -> None:
        """Append equally long columns, every column of the table given."""
        lengths = {len(v) for v in columns.values()}
        if columns.keys() != self.columns.keys() or len(lengths) > 1:
            raise ValueError(f"columns {sorted(columns)} of lengths {lengths}")
        for name, values in columns.items():
            self.columns[name].extend(values)

    def table(self) -> pa.Table:
        return pa.Table.from_arrays(
            [
                _decimal_column(self.columns[f.name])
                if f.type == _MONEY
                else pa.array(self.columns[f.name], type=f.type)
                for f in self.schema
            ],
            schema=self.schema,
        )


def chain_tables(
    agency: str, year: int, chain: list[str], parsed: dict[str, ParsedSubmission]
) -> dict[str, pa.Table]:
    """The share of one agency and fiscal year: every row of every version in `chain`
    (oldest first) with its outcome, the problems, the current version's projects and
    province shares, and what each resubmission changed (pure; no files).
    Built column by column: a share holds tens of thousands of rows."""
    source_rows, problems = _Columns("source_rows"), _Columns("row_problems")
    projects, shares = _Columns("projects"), _Columns("project_provinces")
    changes = _Columns("submission_changes")
    versions = [parsed[sid] for sid in chain]
    accepted_rows = [[r for r in v.rows if r.outcome == "accepted"] for v in versions]
    ids = assign_ids(
        agency,
        year,
        [
            [(r.name_key, province_key(r.province_codes, r.nationwide)) for r in rows]
            for rows in accepted_rows
        ],
    )
    accepted = (
        [
            dict(zip(version_ids, rows, strict=True))  # by id, for what changed
            for rows, version_ids in zip(accepted_rows, ids, strict=True)
        ]
        if len(chain) > 1
        else []
    )
    for pos in range(1, len(chain)):
        # a project whose row the new version has but rejects is not gone: it is rejected
        rejected = {r.name_key for r in versions[pos].rows if r.outcome == "rejected"}
        _changes(changes, chain[pos - 1], chain[pos], accepted[pos - 1], accepted[pos], rejected)
    reasons: dict[str, str] = {}
    for sid, version, version_ids in zip(chain, versions, ids, strict=True):
        _source_rows(source_rows, sid, version.rows, version_ids, reasons)
        _problems(problems, sid, version.problems)
    if chain:
        _projects(projects, shares, agency, year, chain[-1], accepted_rows[-1], ids[-1])
    return {
        "source_rows": source_rows.table(),
        "row_problems": problems.table(),
        "projects": projects.table(),
        "project_provinces": shares.table(),
        "submission_changes": changes.table(),
    }


def _source_rows(
    out: _Columns, sid: str, rows: list, version_ids: list[str], reasons: dict[str, str]
) -> None:
    """Every row of one version with its outcome; `reasons` memoises the descriptions."""
    row_ids: list[str | None] = []
    it = iter(version_ids)
    for r in rows:  # a duplicate takes the id of the earlier row it repeats
        row_ids.append(
            next(it)
            if r.outcome == "accepted"
            else row_ids[r.duplicate_of]
            if r.outcome == "duplicate"
            else None
        )
    codes = [r.reason_code for r in rows]
    for code in set(codes) - reasons.keys() - {None, ""}:
        reasons[code] = describe(code)
    out.extend(
        submission_id=[sid] * len(rows),
        sheet=[r.sheet for r in rows],
        row_number=[r.row_number for r in rows],
        outcome=[r.outcome for r in rows],
        reason=[reasons[c] if c else None for c in codes],
        reason_code=codes,
        project_id=row_ids,
    )


def _problems(out: _Columns, sid: str, problems: list) -> None:
    out.extend(
        submission_id=[sid] * len(problems),
        sheet=[p.sheet for p in problems],
        row_number=[p.row_number for p in problems],
        column_letter=[p.column or None for p in problems],
        value=[p.value for p in problems],
        code=[p.code for p in problems],
        severity=[p.severity for p in problems],
        message_th=[p.th() for p in problems],
        message_en=[p.en() for p in problems],
    )


def _projects(
    projects: _Columns,
    shares: _Columns,
    agency: str,
    year: int,
    sid: str,
    rows: list,
    ids: list[str],
) -> None:
    """The current version's accepted rows as projects, and their province shares."""
    satang = _budget_satang([r.budget for r in rows])
    texts = {
        f: [r.texts.get(f) for r in rows]
        for f in ("strategy", "target_group", "contact_name", "contact_phone", "remarks")
    }
    names = [r.project_name for r in rows]
    review_key, name_numbers = _name_keys(names)
    projects.extend(
        project_id=ids,
        fiscal_year=[year] * len(rows),
        agency_code=[agency] * len(rows),
        project_name=names,
        budget_baht=satang.tolist(),
        nationwide=[r.nationwide for r in rows],
        **texts,
        start_date=[r.start_date for r in rows],
        end_date=[r.end_date for r in rows],
        submission_id=[sid] * len(rows),
        sheet=[r.sheet for r in rows],
        row_number=[r.row_number for r in rows],
        province_codes=[r.province_codes for r in rows],
        review_key=review_key,
        name_numbers=name_numbers,
    )
    local = [i for i, r in enumerate(rows) if not r.nationwide]
    owner, codes, share = split_budgets(satang[local], [rows[i].province_codes for i in local])
    shares.extend(
        project_id=[ids[local[i]] for i in owner.tolist()],
        province_code=codes,
        budget_share_baht=share,
    )


def _changes(
    out: _Columns, prev_sid: str, sid: str, before: dict, after: dict, rejected: set = frozenset()
) -> None:
    """What a resubmission changed against the version it superseded; `rejected`, the
    names of the new version's rejected rows (a project there is rejected, not removed)."""
    found = []
    for pid in sorted(before.keys() | after.keys()):
        b, a = before.get(pid), after.get(pid)
        if b is None:
            change = "added"
        elif a is None:
            change = "rejected" if b.name_key in rejected else "removed"
        elif b.budget != a.budget:
            change = "budget_changed"
        elif (b.province_codes, b.nationwide) != (a.province_codes, a.nationwide):
            change = "provinces_changed"
        elif b.project_name != a.project_name:
            change = "renamed"
        else:
            continue
        found.append((pid, change, b, a))
    out.extend(
        submission_id=[sid] * len(found),
        previous_submission_id=[prev_sid] * len(found),
        project_id=[pid for pid, _, _, _ in found],
        change=[change for _, change, _, _ in found],
        project_name=[(a or b).project_name for _, _, b, a in found],
        budget_before=[_satang(b.budget) if b else None for _, _, b, _ in found],
        budget_after=[_satang(a.budget) if a else None for _, _, _, a in found],
        provinces_before=[
            province_key(b.province_codes, b.nationwide) if b else None for _, _, b, _ in found
        ],
        provinces_after=[
            province_key(a.province_codes, a.nationwide) if a else None for _, _, _, a in found
        ],
    )


# ----------------------------------------------------------------- kept shares


def _share_dir(root: Path, agency: str, year: int, chain: list[str]) -> Path:
    key = hashlib.sha256(
        "\x1f".join([MERGE_VERSION, PARSER_VERSION, agency, str(year), *chain]).encode()
    ).hexdigest()[:24]
    return root / f"{agency}-{year}-{key}"


def _load_share(folder: Path) -> dict[str, pa.Table] | None:
    try:
        return {t: pq.read_table(folder / f"{t}.parquet", schema=_schema(t)) for t in SHARE_TABLES}
    except (OSError, pa.ArrowException):
        return None  # absent or damaged: built again


def _store_share(folder: Path, tables: dict[str, pa.Table]) -> None:
    """Written aside and renamed into place: whole or absent."""
    tmp = folder.with_name(f".{folder.name}.{os.getpid()}.tmp")  # see lock.sweep
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        for t in SHARE_TABLES:
            # snappy: a third less time to write and to read back than zstd, for
            # shares 1.7x the size (2 MB per 10,000 projects)
            pq.write_table(tables[t], tmp / f"{t}.parquet", compression="snappy")
        shutil.rmtree(folder, ignore_errors=True)
        os.rename(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


class Share(dict):
    """One agency-year share's tables, with the name it is kept under; a kept share
    read lazily has `folder` and only the tables asked for (`projects_of`)."""

    name: str = ""
    folder: Path | None = None


def projects_of(share: Share, columns: Sequence[str]) -> pa.Table:
    """These columns of a share's projects, from memory or from its kept file."""
    if "projects" in share or share.folder is None:
        return share["projects"].select(list(columns))
    return pq.read_table(share.folder / "projects.parquet", columns=list(columns))


class KeptTable(list):
    """A share table as the Parquet files of the kept shares, in plan order: DuckDB
    reads them itself, so the merge never holds the plan's rows (`write_database`)."""


def _kept(root: Path, name: str) -> Share:
    share = Share()
    share.name, share.folder = name, root / name
    return share


def _intact(folder: Path) -> bool:
    """Whether a kept share's files are all there with the schema of today's shares
    (a damaged or foreign file is caught here, before DuckDB reads it)."""
    try:
        return all(pq.read_schema(folder / f"{t}.parquet").equals(_schema(t)) for t in SHARE_TABLES)
    except (OSError, pa.ArrowException):
        return False


def _lean_arrow() -> None:
    """Arrow's default allocator (mimalloc) keeps what the Parquet reader and the
    DuckDB write free: about 200 MB more at the peak of a 160,000-project merge than
    the system allocator. Called at the start of the merge's child processes."""
    pa.set_memory_pool(pa.system_memory_pool())


def keep_share(
    root: Path,
    agency: str,
    year: int,
    chain: list[str],
    parsed_dir: Path,
    parsed: dict[str, ParsedSubmission],
) -> None:
    """Build and keep the share of this chain unless it is kept: from the parsed
    submissions given, the others from the parse cache (none kept there: nothing done)."""
    from stiplan.assets.ingest.cache import load

    folder = _share_dir(root, agency, year, chain)
    if folder.is_dir() and _intact(folder):
        return
    versions = {sid: parsed.get(sid) or load(parsed_dir, sid) for sid in chain}
    if all(v is not None for v in versions.values()):
        _store_share(folder, chain_tables(agency, year, chain, versions))


def build_share(agency: str, year: int, chain: list[str], parsed_dir: Path, folder: Path) -> bool:
    """In a child process: build and keep one share from the parsed submissions kept in
    `parsed_dir`; False when one is not there (the run then builds it itself)."""
    from stiplan.assets.ingest.cache import load

    _lean_arrow()
    parsed = {sid: load(parsed_dir, sid) for sid in chain}
    if any(v is None for v in parsed.values()):
        return False
    _store_share(folder, chain_tables(agency, year, chain, parsed))
    return True


def build_shares(tasks: list[tuple]) -> list[bool]:
    """In a child process: `build_share` of each task, one after another."""
    return [build_share(*task) for task in tasks]


# Parsed bytes (the parse cache's) below which shares are built in one child together:
# starting a child costs more than building a small share (a real fiscal year's are).
SHARE_BATCH_BYTES = 2_000_000


def _share_batches(tasks: list[tuple], parsed_dir: Path, workers: int = 2) -> list[list[tuple]]:
    """The tasks of `build_share` in batches, one child each: as many as keep every
    batch near SHARE_BATCH_BYTES of parsed input, at least one per core, the biggest
    first into the least filled (so the children end together)."""
    from stiplan.assets.ingest.cache import parsed_size

    sizes = [sum(parsed_size(parsed_dir, sid) for sid in task[2]) for task in tasks]
    n = min(len(tasks), max(workers, -(-sum(sizes) // SHARE_BATCH_BYTES)))
    batches: list[list[tuple]] = [[] for _ in range(n)]
    filled = [0] * n
    for size, task in sorted(zip(sizes, tasks, strict=True), key=lambda x: -x[0]):
        i = filled.index(min(filled))
        batches[i].append(task)
        filled[i] += size
    return [b for b in batches if b]


def plan_shares(
    root: Path | None,
    chains: dict[tuple[str, int], list[str]],
    load_parsed: Callable[[list[str]], dict[str, ParsedSubmission]],
    parsed_dir: Path | None = None,
    read: bool = True,
) -> dict[tuple[str, int], Share]:
    """Every chain's share: kept ones read back, the others built (from the parsed
    submissions `load_parsed` gives) and kept. With `root` None nothing is kept. With
    `parsed_dir` (the parse cache), several missing shares are built in child processes,
    two at a time (small ones several to a child). With `read` False, shares are only
    built and kept, not returned."""
    out: dict[tuple[str, int], Share] = {}
    folders = {key: _share_dir(root or Path("."), *key, chain) for key, chain in chains.items()}
    if root and parsed_dir is not None:
        missing = [key for key, folder in folders.items() if not folder.is_dir()]
        if len(missing) > 1:
            from stiplan.assets.runtime.isolation import run_isolated

            tasks = [(*key, chains[key], parsed_dir, folders[key]) for key in sorted(missing)]
            run_isolated(build_shares, [(b,) for b in _share_batches(tasks, parsed_dir)])
    if not read:
        for (agency, year), chain in sorted(chains.items()):
            folder = folders[(agency, year)]
            if not folder.is_dir() or not _intact(folder):
                _store_share(folder, chain_tables(agency, year, chain, load_parsed(chain)))
        if root:
            _forget_other_shares(root, {f.name for f in folders.values()})
        return out
    for (agency, year), chain in sorted(chains.items()):
        folder = folders[(agency, year)]
        tables = _load_share(folder) if root else None
        if tables is None:  # not kept, damaged, or its child failed: built here
            tables = chain_tables(agency, year, chain, load_parsed(chain))
            if root:
                _store_share(folder, tables)
        share = out[(agency, year)] = Share(tables)
        share.name = folder.name
    if root:
        _forget_other_shares(root, {s.name for s in out.values()})
    return out


def _forget_other_shares(root: Path, used: set[str]) -> None:
    """Remove the kept shares of chains no longer in the plan, but those the last
    review read: the review compares a changed share's projects with them
    (`_review_pairs`), and forgets them once it is kept (`_store_review`)."""
    if root.is_dir():
        last = _load_review(root)
        keep = used | {_CANDIDATES} | (last[0] if last else set())
        for old in root.iterdir():
            if not old.name.startswith(".") and old.name not in keep:
                shutil.rmtree(old, ignore_errors=True)


# ----------------------------------------------------------------- the duplicate review

_CANDIDATES = "candidates.json"  # the last review: its pairs and the shares it read


def review(root: Path | None, shares: dict[object, Share]) -> list[dict]:
    """The cross-agency duplicate candidates of the plan. A pair depends only on its
    two projects, so pairs between shares the last review read stand as they were;
    only pairs touching a new or changed share are searched."""
    pairs = _review_pairs(_load_review(root) if root else None, list(shares.values()))
    if root:
        _store_review(root, sorted(s.name for s in shares.values()), pairs)
    return pairs


def _review_pairs(
    last: tuple[set[str], list[dict]] | None,
    shares: list[Share],
    provinces: frozenset[str] | None = None,
    kept: bool = True,
) -> list[dict]:
    """The pairs of `shares`: those of the `last` review between projects it read as
    they are now (with `kept`), and those searched now touching the others; with
    `provinces`, searched among those provinces only.

    A pair depends only on its two projects' review columns, so a project of a new or
    changed share that the last review read exactly so (the same id, name, provinces,
    keys: an agency's resubmission changes few of its names) keeps its pairs with
    every such project; only the others are searched, and in the blocks of their own
    provinces alone (one agency's revised file: a few projects instead of 10,000)."""
    kept_names, kept_pairs = last if last is not None else (set(), [])
    same = [s for s in shares if s.name in kept_names]
    changed = [s for s in shares if s.name not in kept_names]
    # The part that keeps the pairs needs every project read before, whatever its
    # provinces: a kept pair of one outside this part's provinces is kept here or
    # nowhere (no part searches it again). Without pairs to keep (a fresh plan), each
    # part reads only its own provinces' projects.
    whole = kept and bool(kept_pairs)
    read_before, fresh = _split_changed(changed, kept_names, None if whole else provinces)
    pairs = []
    if kept and kept_pairs and (same or read_before):
        named = pa.array(
            sorted({p[k] for p in kept_pairs for k in ("project_id_a", "project_id_b")}),
            pa.string(),
        )
        present: set[str] = set()
        for ids in [
            *(projects_of(s, ["project_id"]).column("project_id") for s in same),
            *(t.column("project_id") for t in read_before),
        ]:  # which of the pairs' projects are still there, as the last review read them
            present.update(pc.filter(ids, pc.is_in(ids, value_set=named)).to_pylist())
        pairs = [
            p for p in kept_pairs if p["project_id_a"] in present and p["project_id_b"] in present
        ]
    # (filtered to this part's provinces here only if the split read them all)
    searched = _within(fresh, provinces if whole else None) if fresh else None
    if searched is not None and searched.num_rows:
        # the others in the provinces of the projects searched: no other can pair
        codes = pc.filter(searched.column("province_codes"), pc.invert(searched["nationwide"]))
        where = frozenset(pc.unique(pc.list_flatten(codes)).to_pylist())
        others = [_review_rows(same, where), _within(read_before, where)]
        pairs += find_candidates_between(searched, pa.concat_tables(others), provinces)
    pairs.sort(key=lambda d: (d["project_id_a"], d["project_id_b"]))
    return pairs


def _split_changed(
    changed: list[Share], kept_names: set[str], provinces: frozenset[str] | None
) -> tuple[list[pa.Table], list[pa.Table]]:
    """The review columns of the changed shares' projects (with `provinces`, those in
    one of them: a part of the review holds no others), in two: those the last review
    read exactly so (in the share of the same agency and year it read), and the
    others."""
    before = {_agency_year(n): n for n in kept_names}
    read_before: list[pa.Table] = []
    fresh: list[pa.Table] = []
    for share in changed:
        t = _review_rows([share], provinces)
        previous = before.get(_agency_year(share.name))
        old = None
        if previous is not None and share.folder is not None:
            try:
                old = projects_of(_kept(share.folder.parent, previous), _REVIEW_COLUMNS)
            except (OSError, pa.ArrowException):
                old = None  # gone or damaged: every project is searched
        if old is None or not old.num_rows:
            fresh.append(t)
            continue
        seen = set(_review_tuples(old.cast(t.schema)))
        known = pa.array([row in seen for row in _review_tuples(t)], pa.bool_())
        read_before.append(t.filter(known))
        fresh.append(t.filter(pc.invert(known)))
    return read_before, fresh


def _agency_year(name: str) -> str:
    """The agency and fiscal year of a kept share's name (`_share_dir`)."""
    return name.rsplit("-", 1)[0]


def _review_tuples(t: pa.Table) -> list[tuple]:
    """Each project's review columns as one hashable value."""
    columns = [
        [tuple(v) if isinstance(v, list) else v for v in t.column(c).to_pylist()]
        for c in _REVIEW_COLUMNS
    ]
    return list(zip(*columns, strict=True))


def _within(tables: list[pa.Table], provinces: frozenset[str] | None = None) -> pa.Table:
    """These tables of review columns as one, with `provinces` only the projects in one
    of them (`_review_rows`)."""
    return _review_rows([_in_memory(t) for t in tables], provinces)


def _in_memory(projects: pa.Table) -> Share:
    return Share(projects=projects)


class ReviewAside:
    """`review(root, shares)` searched in a forked child while this process writes the
    shares' tables, so the two share both cores; in `parts` children, each searching
    every n-th province (`_review_part_of`), if asked. One is enough for what is left
    to the merge (`prepare_review` searches a large review ahead): after one agency's
    resubmission, 0.5 CPU-s of review beside 1 of patching the plan. Each child sends
    its pairs back through a pipe; `result` puts them together and keeps them as the
    last review, or searches here if a child failed. A thread would not do: the
    review's many small numpy steps and DuckDB's scans of Arrow contend for the GIL,
    and the two together took longer than one after the other."""

    def __init__(self, root: Path, shares: dict[object, Share], parts: int = 1):
        self.root, self.shares = root, shares
        self.names = sorted(s.name for s in shares.values())
        last = _load_review(root)
        self.children = [
            _fork(_review_part_of, last, list(shares.values()), k, parts) for k in range(parts)
        ]
        self.pairs: list[dict] | None = None

    def result(self) -> list[dict]:
        if self.pairs is None:
            parts = [_collect(child) for child in self.children]
            self.children = []
            if all(part is not None for part in parts):
                found = {(p["project_id_a"], p["project_id_b"]): p for part in parts for p in part}
                self.pairs = [found[k] for k in sorted(found)]
                _store_review(self.root, self.names, self.pairs)
            else:
                self.pairs = review(self.root, self.shares)
        return self.pairs

    def stop(self) -> None:
        """End the children still searching (the write failed)."""
        for pid, fd in filter(None, self.children):
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
            os.close(fd)
            os.waitpid(pid, 0)
        self.children = []


def _review_part_of(
    last: tuple[set[str], list[dict]] | None, shares: list[Share], part: int, parts: int
) -> list[dict]:
    """The review's pairs among every `parts`-th province (the kept pairs with the first
    part)."""
    provinces = frozenset(p.code for i, p in enumerate(PROVINCES) if i % parts == part)
    return _review_pairs(last, shares, provinces, kept=part == 0)


def _fork(fn: Callable, *args) -> tuple[int, int] | None:
    """fn(*args) in a forked child: its pid and the pipe its result (JSON) comes back
    through; None where there are no children (then the caller does the work itself).
    Fork, not the fork server: the child shares this process's imports and what it has
    read, and needs nothing sent. It dies with this process (a kill of the merge) and
    never returns into the caller's code."""
    if os.environ.get("STIPLAN_IN_PROCESS") == "1" or not hasattr(os, "fork"):
        return None
    parent = os.getpid()
    read, write = os.pipe()
    pid = os.fork()
    if pid:
        os.close(write)
        return pid, read
    code = 1
    try:
        os.close(read)
        _die_with(parent)
        with os.fdopen(write, "wb") as out:
            out.write(json.dumps(fn(*args), ensure_ascii=False).encode())
        code = 0
    finally:
        os._exit(code)


def _collect(child: tuple[int, int] | None):
    """What a `_fork` child sent, once it ended well; None if it failed."""
    if child is None:
        return None
    pid, fd = child
    with os.fdopen(fd, "rb") as got:  # read all before waiting: a full pipe blocks it
        data = got.read()
    _, status = os.waitpid(pid, 0)
    try:
        return json.loads(data) if status == 0 else None
    except ValueError:
        return None


def _die_with(parent: int) -> None:
    """Have the kernel kill this process when its parent dies (Linux), and leave now
    if it is dead already."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:
        os._exit(1)


# A review that searches at least this many projects of new or changed shares is
# searched ahead of the merge in children, two at a time, each taking every n-th
# province: a part holds only its provinces' projects, so more parts than cores keep
# each child small. n is REVIEW_PARTS (one per core), or one part per
# REVIEW_PART_PROJECTS projects searched when that is more (a million projects: 8
# parts, about 300 MB a child); each part reads every share's names, so no more.
# A smaller review is searched by the merge, in a child beside its write
# (`ReviewAside`): a large one there would hold its memory beside DuckDB's (a fresh
# 16 x 10,000 plan peaked at 1,074 MiB instead of 720).
SPLIT_REVIEW_PROJECTS = 20_000
REVIEW_PARTS = 2
REVIEW_PART_PROJECTS = 125_000
_REVIEW_COLUMNS = REVIEW_COLUMNS


def prepare_review(root: Path, files: list[dict], digests: dict[str, Digest]) -> None:
    """Search the duplicate review ahead of the merge when it is large, on both
    cores, and keep it as the last review: the merge then finds every pair kept. The
    shares must be kept already (`prepare_shares`). A failed part leaves the review
    to the merge."""
    from stiplan.assets.runtime.isolation import Crashed, run_isolated

    _, chains = submission_statuses(files, digests)
    names = sorted(_share_dir(root, *key, chain).name for key, chain in chains.items())
    last = _load_review(root)
    changed = [n for n in names if last is None or n not in last[0]]
    try:
        size = sum(pq.read_metadata(root / n / "projects.parquet").num_rows for n in changed)
    except OSError:
        return
    if size < SPLIT_REVIEW_PROJECTS:
        return
    n = min(len(PROVINCES), max(REVIEW_PARTS, -(-size // REVIEW_PART_PROJECTS)))
    parts = run_isolated(_review_part, [(root, names, k, n) for k in range(n)])
    if any(isinstance(part, Crashed) for part in parts):
        return
    pairs = {(p["project_id_a"], p["project_id_b"]): p for part in parts for p in part}
    _store_review(root, names, [pairs[k] for k in sorted(pairs)])


def _review_part(root: Path, names: list[str], part: int, parts: int) -> list[dict]:
    """In a child: the review's pairs among every `parts`-th province (the kept pairs
    with the first part)."""
    _lean_arrow()
    shares = [_kept(root, name) for name in names]  # each read as it is searched
    return _review_part_of(_load_review(root), shares, part, parts)


def _load_review(root: Path) -> tuple[set[str], list[dict]] | None:
    try:
        data = json.loads((root / _CANDIDATES).read_text("utf-8"))
        return set(data["shares"]), list(data["pairs"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _store_review(root: Path, names: list[str], pairs: list[dict]) -> None:
    """Keep the review of the shares `names`, then forget the shares it no longer
    needs (those an earlier review read, kept to compare with: `_review_pairs`)."""
    root.mkdir(parents=True, exist_ok=True)
    path = root / _CANDIDATES
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")  # see lock.sweep
    try:
        tmp.write_text(
            json.dumps(
                {"version": MERGE_VERSION, "shares": names, "pairs": pairs}, ensure_ascii=False
            ),
            "utf-8",
        )
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _forget_other_shares(root, set(names))


# ----------------------------------------------------------------- the whole plan


def prepare_shares(
    root: Path,
    files: list[dict],
    digests: dict[str, Digest],
    parsed_dir: Path | None,
    load_parsed: Callable[[list[str]], dict[str, ParsedSubmission]],
) -> None:
    """Build and keep every share the plan needs that is not kept yet, holding none."""
    _, chains = submission_statuses(files, digests)
    plan_shares(root, chains, load_parsed, parsed_dir, read=False)


def write_working_plan(p, digests: dict[str, Digest], run_pid: int | None = None) -> dict:
    """Merge every registered submission into the working database `p.working_plan`
    and say what it holds. Run in a child of the run, so the run itself never holds
    the plan (its memory would stay with it while the outputs are written)."""
    from stiplan.assets.ingest.cache import parse_registered
    from stiplan.assets.ingest.registry import Registry

    _lean_arrow()
    registry = Registry(p.registry)
    files = registry.files()
    by_id = {f["submission_id"]: f for f in files}

    def merge() -> dict:
        shares = share_chains(p.merged, files, digests)
        tables = build_tables(
            files,
            registry.arrivals(),
            digests,
            keep=p.merged,
            load_parsed=lambda sids: parse_registered(p, registry, [by_id[s] for s in sids]),
            aside=True,
        )
        try:
            write_database(p.working_plan, tables, run_pid, shares)
        finally:  # a failed write never leaves the review reading shares a retry removes
            tables["duplicate_candidates"].stop()
        return tables

    try:
        tables = merge()
    # A kept share damaged past what `_intact` sees (DuckDB's read, or Arrow's in the
    # review, fails on its pages): build all again, once.
    except (duckdb.Error, OSError, pa.ArrowException):
        shutil.rmtree(p.merged, ignore_errors=True)
        _contents_path(p.working_plan).unlink(missing_ok=True)  # and the plan whole
        tables = merge()
    con = duckdb.connect(str(p.working_plan), read_only=True)
    try:
        projects, total = con.execute(
            "SELECT count(*), coalesce(sum(budget_baht), 0) FROM projects"
        ).fetchone()
        rows_read = con.execute("SELECT count(*) FROM source_rows").fetchone()[0]
    finally:
        con.close()
    return {
        "projects": projects,
        "submissions": len(tables["submissions"]),
        "rows_read": rows_read,
        "budget_total_baht": str(Decimal(total)),
    }


def share_chains(root: Path, files: list[dict], digests: dict[str, Digest]) -> dict[str, list[str]]:
    """The name each share of the plan is kept under, with its chain of submissions:
    what the working plan written from them holds (`write_database`)."""
    _, chains = submission_statuses(files, digests)
    return {_share_dir(root, *key, chain).name: chain for key, chain in chains.items()}


def build_tables(
    files: list[dict],
    arrivals: list[dict],
    digests: dict[str, Digest],
    load_parsed: Callable[[list[str]], dict[str, ParsedSubmission]],
    keep: Path | None = None,
    parsed_dir: Path | None = None,
    aside: bool = False,
) -> dict[str, pa.Table | list[dict]]:
    """All contract tables: the plan's own as lists of records, the shares' as Arrow.
    With `aside` (and `keep`), the duplicate review is a `ReviewAside`: searched in a
    child while the caller writes the shares' tables."""
    submissions, chains = submission_statuses(files, digests)
    tables: dict[str, pa.Table | KeptTable | list[dict]]
    if keep is not None:  # the shares stay in their files, read by DuckDB and the review
        plan_shares(keep, chains, load_parsed, parsed_dir, read=False)
        names = [_share_dir(keep, *key, chain).name for key, chain in sorted(chains.items())]
        tables = {t: KeptTable(keep / n / f"{t}.parquet" for n in names) for t in SHARE_TABLES}
        kept = {n: _kept(keep, n) for n in names}
        tables["duplicate_candidates"] = ReviewAside(keep, kept) if aside else review(keep, kept)
    else:
        shares = plan_shares(keep, chains, load_parsed, parsed_dir)
        tables = {
            t: pa.concat_tables([s[t] for s in shares.values()])
            if shares
            else _schema(t).empty_table()
            for t in SHARE_TABLES
        }
        tables["duplicate_candidates"] = review(keep, shares)
        tables["projects"] = tables["projects"].drop_columns([f for f, _ in _REVIEW_FIELDS])
    tables.update(
        {
            "agencies": [
                {
                    "code": a.code,
                    "abbr_th": a.abbr_th or None,
                    "name_th": a.name_th,
                    "name_en": a.name_en,
                }
                for a in AGENCIES
            ],
            "provinces": [
                {
                    "code": p.code,
                    "name_th": p.name_th,
                    "name_en": p.name_en,
                    "region": p.region,
                    "region_th": p.region_th,
                    "region_4": p.region_4,
                    "cluster_th": p.cluster_th,
                    "cluster_en": p.cluster_en,
                }
                for p in PROVINCES
            ],
            "submissions": submissions,
            "arrivals": [
                {k: a[k] for k in ("submission_id", "file_name", "seen_at")} for a in arrivals
            ],
        }
    )
    return tables


def _review_rows(shares: list[Share], provinces: frozenset[str] | None = None) -> pa.Table:
    """The projects the review compares, as one Arrow table (the search reads it a
    column at a time); with `provinces`, only those in one of them (no other can pair
    there), so a part of the review holds only its part's rows."""
    tables = []
    for s in shares:
        t = projects_of(s, _REVIEW_COLUMNS)
        if provinces is not None:
            codes = t.column("province_codes")
            inside = pc.is_in(
                pc.list_flatten(codes), value_set=pa.array(sorted(provinces), pa.string())
            )
            t = t.take(pc.unique(pc.filter(pc.list_parent_indices(codes), inside)))
        tables.append(t)
    schema = pa.schema([_schema("projects").field(c) for c in _REVIEW_COLUMNS])
    return pa.concat_tables([t.cast(schema) for t in tables]) if tables else schema.empty_table()


def submission_statuses(files: list[dict], digests: dict[str, Digest]):
    """Submission rows, and per (agency, year) the chain of versions taken, oldest first.
    Newer = first seen later; within one intake, later mtime, then name (the registry's
    order). A rejected file never supersedes."""
    subs = []
    chains: dict[tuple[str, int], list[str]] = defaultdict(list)
    for f in files:  # registry order: received_at, mtime_ns, file_name
        sid = f["submission_id"]
        d = digests.get(sid)
        row = {
            "submission_id": sid,
            "file_name": f["file_name"],
            "received_at": f["received_at"],
            "agency_code": f["agency_code"],
            "fiscal_year": None,
            "status": "rejected",
            "reason": None,
            "reason_code": None,
            "rows_read": 0,
            "rows_accepted": 0,
            "rows_rejected": 0,
            "rows_duplicate": 0,
            "supersedes": None,
        }
        if f["agency_code"] is None or d is None:
            code = f["route_code"] or "file_unreadable"
            row["reason_code"], row["reason"] = code, describe(code, f["route_detail"] or "")
        elif d.rejected:
            row["agency_code"] = d.agency_code or f["agency_code"]
            row["fiscal_year"] = d.fiscal_year
            if row["fiscal_year"] is None and d.reason_code in UNOPENABLE:
                row["fiscal_year"] = f["fiscal_year"]  # routed by its name (assets/ingest/inbox.py)
            row["reason_code"] = d.reason_code
            row["reason"] = describe(d.reason_code, d.detail)
        else:
            key = (d.agency_code, d.fiscal_year)
            row["agency_code"], row["fiscal_year"] = key
            row["status"] = "current"
            n = d.outcomes
            row.update(
                rows_read=d.rows_read,
                rows_accepted=n.get("accepted", 0),
                rows_rejected=n.get("rejected", 0),
                rows_duplicate=n.get("duplicate", 0),
            )
            if chains[key]:
                row["supersedes"] = chains[key][-1]
            chains[key].append(sid)
        subs.append(row)
    superseded = {sid for chain in chains.values() for sid in chain[:-1]}
    for row in subs:
        if row["submission_id"] in superseded:
            row["status"] = "superseded"
        elif row["status"] == "current" and row["rows_accepted"] == 0:
            row["reason_code"] = "no_current_rows"
            row["reason"] = describe("no_current_rows")
    return subs, chains


def _frame(records: list[dict], table: str) -> pa.Table:
    """Text for every value: DuckDB casts it to the contract's type exactly (no
    float ever touches a budget). Arrow, as the shares are: the merge needs no pandas."""
    cols = [name for name, _ in TABLES[table]]
    return pa.table(
        {
            c: pa.array([None if r[c] is None else _text(r[c]) for r in records], pa.string())
            for c in cols
        }
    )


def _text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


# A working plan patched this many times in a row is written whole again: each patch
# leaves the deleted rows' blocks to be reused, so the file would only grow.
MOST_PATCHES = 8


def write_database(
    path: Path,
    tables: dict[str, pa.Table | list[dict]],
    run_pid: int | None = None,
    shares: dict[str, list[str]] | None = None,
) -> None:
    """Write all tables into a DuckDB file, then swap it in whole: a kill at any
    moment leaves `path` as it was or complete. The temporary file (and its WAL) is
    removed on failure; one a kill left behind is removed by the next writer
    (`stiplan.assets.runtime.lock.sweep`).

    With `shares` (each kept share's name and chain, the shares' tables `KeptTable`s)
    the file is, when it can be, a patch of the one at `path`: a copy of it with the
    rows of the shares no longer in the plan deleted and those of the new ones
    inserted, the plan's own tables and the summaries written again. After one
    agency's resubmission that writes one share of sixteen (0.4 s instead of 2 s at
    160,000 projects). The tables hold the same rows as a whole write (the tests
    compare both); only the order rows are stored in differs, and no reader relies on
    it beyond one submission's rows, which stay together in their share's order."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.building")
    wal = tmp.with_name(tmp.name + ".wal")
    spill = tmp.with_name(tmp.name + ".tmp")  # DuckDB's, beyond its memory limit
    for leftover in (tmp, wal):  # never let DuckDB replay a stale log into a new file
        leftover.unlink(missing_ok=True)
    before = _patchable(path, shares)
    try:
        if before is not None:
            shutil.copyfile(path, tmp)
        con = duckdb.connect(
            str(tmp),
            config={
                "memory_limit": MERGE_MEMORY_LIMIT,
                "temp_directory": str(spill),
                "storage_compatibility_version": STORAGE_VERSION,
            },
        )
        try:
            if before is None:
                _write_whole(con, tables, run_pid)
            else:
                _patch(con, tables, before["shares"], shares, run_pid)
            _summaries(con)
            for name, data in tables.items():  # last: the review is searched meanwhile
                if isinstance(data, ReviewAside):
                    _insert(con, name, data.result())
            con.execute("CHECKPOINT")
        finally:
            con.close()
        fsync_file(tmp)
        os.replace(tmp, path)
    except BaseException:
        for leftover in (tmp, wal):
            leftover.unlink(missing_ok=True)
        raise
    finally:
        shutil.rmtree(spill, ignore_errors=True)
    fsync_dir(path.parent)
    if shares is not None:
        patches = 0 if before is None else before["patches"] + 1
        _store_contents(path, shares, patches)


def _select(name: str) -> str:
    return ", ".join(f'CAST("{c}" AS {t})' for c, t in TABLES[name])


def _insert(con: duckdb.DuckDBPyConnection, name: str, data) -> None:
    """Insert a table's rows: kept Parquet files, an Arrow table or records (those of
    a review searched aside are inserted last, by `write_database`)."""
    if isinstance(data, ReviewAside):
        return
    if isinstance(data, KeptTable):
        if data:
            con.execute(
                f"INSERT INTO {name} SELECT {_select(name)} FROM read_parquet($files)",
                {"files": [str(f) for f in data]},
            )
        return
    # Arrow shares are typed already; records go through text, cast exactly
    frame = data if isinstance(data, pa.Table) else _frame(data, name)  # noqa: F841
    con.execute(f"INSERT INTO {name} SELECT {_select(name)} FROM frame")


def _write_whole(con: duckdb.DuckDBPyConnection, tables: dict, run_pid: int | None) -> None:
    for name, columns in TABLES.items():
        ddl = ", ".join(f'"{c}" {t}' for c, t in columns)
        con.execute(f"CREATE TABLE {name} ({ddl})")
        _insert(con, name, tables[name])
        checkpoint("merge", run_pid)


def _patch(
    con: duckdb.DuckDBPyConnection,
    tables: dict,
    before: dict[str, list[str]],
    shares: dict[str, list[str]],
    run_pid: int | None,
) -> None:
    """Turn a copy of the working plan holding the shares `before` into the plan of
    `shares`. A share's rows are those of its chain's submissions (a project's
    provinces, those of its project)."""
    gone = [sid for name, chain in before.items() if name not in shares for sid in chain]
    con.execute("BEGIN")
    con.execute(
        """DELETE FROM project_provinces WHERE project_id IN
           (SELECT project_id FROM projects WHERE submission_id IN (SELECT unnest($gone)))""",
        {"gone": gone},
    )
    for name in TABLES:
        if name in SHARE_TABLES and name != "project_provinces":
            con.execute(
                f"DELETE FROM {name} WHERE submission_id IN (SELECT unnest($gone))",
                {"gone": gone},
            )
        elif name not in SHARE_TABLES:
            con.execute(f"DELETE FROM {name}")
    for name in TABLES:
        data = tables[name]
        if name in SHARE_TABLES:
            data = KeptTable(f for f in data if f.parent.name not in before)
        _insert(con, name, data)
        checkpoint("merge", run_pid)
    for name in [*SUMMARIES, "submission_status"]:
        con.execute(f"DROP TABLE {name}")
    con.execute("COMMIT")


def _contents_path(path: Path) -> Path:
    """What the working plan at `path` holds: its shares, beside it."""
    return path.with_name(path.name + ".shares")


def _contents_version() -> str:
    return f"{MERGE_VERSION}/{STORAGE_VERSION}/{duckdb.__version__}"


def _written(path: Path) -> list[int]:
    """The working plan as written: its size and modification time, which a copy of
    the warehouse keeps (`cp -a`, a backup restored whole) and any write changes."""
    st = os.stat(path)
    return [st.st_size, st.st_mtime_ns]


def _store_contents(path: Path, shares: dict[str, list[str]], patches: int) -> None:
    target = _contents_path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.building.shares")  # see lock.sweep
    tmp.write_text(
        json.dumps(
            {
                "version": _contents_version(),
                "written": _written(path),
                "patches": patches,
                "shares": shares,
            }
        ),
        "utf-8",
    )
    os.replace(tmp, target)


def _patchable(path: Path, shares: dict[str, list[str]] | None) -> dict | None:
    """What the working plan at `path` holds, when a patch of it is the way to write
    the plan of `shares`: it is the very file written with those contents, from this
    version, patched fewer than MOST_PATCHES times, and it shares at least half of its
    shares with the new plan (else a whole write costs no more)."""
    if shares is None:
        return None
    try:
        before = json.loads(_contents_path(path).read_text("utf-8"))
        if (
            before["version"] != _contents_version()
            or before["written"] != _written(path)
            or before["patches"] >= MOST_PATCHES
        ):
            return None
        kept = set(before["shares"]) & set(shares)
        if 2 * len(kept) < len(shares):
            return None
        return {"patches": int(before["patches"]), "shares": dict(before["shares"])}
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _summaries(con: duckdb.DuckDBPyConnection) -> None:
    from stiplan.assets.consolidate.summaries import (
        AREA_SHARES_SQL,
        SUBMISSION_STATUS_SQL,
        SUMMARY_SQL,
    )

    for sql in AREA_SHARES_SQL:
        con.execute(sql)
    for name in SUMMARIES:
        con.execute(f"CREATE TABLE {name} AS {SUMMARY_SQL[name]}")
    con.execute("DROP TABLE area_shares")
    con.execute("DROP TABLE area_provinces")
    con.execute(f"CREATE TABLE submission_status AS {SUBMISSION_STATUS_SQL}")
