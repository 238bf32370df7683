"""Cross-agency duplicate candidates: listed for review, never dropped.

A pair is a candidate when the two projects belong to different agencies, have the
same fiscal year, share a province (a nationwide project shares none), carry the
same numbers (ระยะที่ 2 is not ระยะที่ 3) and their compact names are equal or
have a rapidfuzz ratio of at least 95. The search is exact (tests pin it to
comparing every pair) and lists only a small share of a block's pairs:

- ratio = 100·(1 − d/(la+lb)) with d the Indel distance, so ratio >= 95 means
  20·d <= la + lb, which also bounds the length difference.
- Each insertion or deletion changes one character's count by one, so the L1
  distance between two names' character counts (or counts of merged bins) is at
  most d. Deal the bins into g groups with g·(r + 1) > d: the edits cannot move
  every group by more than r, so in one group the counts are within r of each
  other. With r = 1: equal, or equal once one bin of one name is lowered by one.
- So each name keys, per group, a hash of its counts there (salted with the
  (year, numbers, province) block, its length class and the group), and probes
  with those keys and the keys lowered by each bin it holds; a sort join lists the
  pairs whose probe meets a key (`_Index`). The allowed d grows with the length:
  names fall in length classes, each with enough groups for its longest pairs, and
  a name near the top of its class also keys and probes in the next one.
- Listed pairs are checked on lengths, agencies and counts (coarse, then every
  bin) with numpy; only what passes is scored by rapidfuzz.
- After one agency's resubmission only pairs touching its projects are searched
  (`find_candidates_between`; the merge keeps the rest from the last review). The
  few changed names then also probe with each bin raised by one, so the many others
  only key (b lowered by one bin meets a exactly when a raised by it meets b).
- The merge gives the projects as Arrow tables, read a column at a time
  (`ReviewRows`): no dict per project.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from rapidfuzz import fuzz, process

from stiplan.assets.ingest.text import (
    _DIGIT_RUN,
    _HAS_INVISIBLE,
    _compact,
    clean_text,
    name_keys,
    thai_to_arabic_digits,
)

SIMILARITY_CUTOFF = 95.0
# Thai (U+0E00-U+0E7F) and Latin-1 (U+0080-U+00FF) swap places: a bijection, so the
# same equalities and the same ratio, but Thai names become one byte per character,
# rapidfuzz's fast path.
_NARROW = {cp: cp for cp in range(0x0E80)}
_NARROW.update({cp: cp - 0x0E00 + 0x80 for cp in range(0x0E00, 0x0E80)})
_NARROW.update({cp: cp - 0x80 + 0x0E00 for cp in range(0x80, 0x100)})


def find_candidates(projects: list[dict], provinces: Collection[str] | None = None) -> list[dict]:
    """projects: dicts with project_id, agency_code, fiscal_year, project_name,
    province_codes (tuple), nationwide. Every candidate pair once, as dicts sorted
    by (project_id_a, project_id_b). With `provinces`, only the pairs that share one
    of those provinces (a part of the search another process may do the rest of)."""
    projects = list(projects)
    return _search(projects, len(projects), provinces=provinces)


def find_candidates_between(
    changed: Iterable[dict] | pa.Table,
    others: Iterable[dict] | pa.Table,
    provinces: Collection[str] | None = None,
) -> list[dict]:
    """The candidate pairs of find_candidates(changed + others) that involve at least
    one project of `changed` (pairs within `changed` included, pairs among `others`
    left out): what to redo when one agency's submission changed and the rest of the
    plan did not. A project of `others` whose project_id is also in `changed` is
    ignored (the changed version replaces it). Both may be Arrow tables of the
    `REVIEW_COLUMNS` (the merge's shares), read a column at a time."""
    if isinstance(changed, pa.Table) and isinstance(others, pa.Table):
        ids = changed.column("project_id")
        rest = others.filter(pc.invert(pc.is_in(others.column("project_id"), value_set=ids)))
        both = pa.concat_tables([changed, rest.cast(changed.schema)])
        return _search(ReviewRows.of_table(both), changed.num_rows, provinces=provinces)
    changed = list(changed)
    ids = {p["project_id"] for p in changed}
    rest = [p for p in others if p["project_id"] not in ids]
    return _search(changed + rest, len(changed), provinces=provinces)


# The columns of an Arrow table of projects the review reads (`ReviewRows.of_table`).
REVIEW_COLUMNS = (
    "project_id",
    "agency_code",
    "fiscal_year",
    "project_name",
    "nationwide",
    "province_codes",
    "review_key",
    "name_numbers",
)


def _ids(values: Sequence) -> tuple[np.ndarray, list]:
    """A small integer per distinct value (in order of first appearance), and the values."""
    seen: dict = {}
    ids = np.fromiter((seen.setdefault(v, len(seen)) for v in values), np.int64, len(values))
    return ids, list(seen)


def _encoded(column: pa.ChunkedArray | pa.Array) -> tuple[np.ndarray, list]:
    """`_ids` of an Arrow column, by Arrow (a null is a value of its own)."""
    enc = pc.dictionary_encode(column, null_encoding="encode")
    if isinstance(enc, pa.ChunkedArray):
        enc = enc.unify_dictionaries().combine_chunks() if enc.num_chunks else enc.combine_chunks()
    return enc.indices.to_numpy(zero_copy_only=False).astype(np.int64), enc.dictionary.to_pylist()


@dataclass
class ReviewRows:
    """The projects of a search, column by column: what the search reads of each (the
    merge's shares give them so, without a dict per project). Each non-nationwide
    project's distinct provinces are listed as (parent, code) pairs."""

    ids: list  # project_id of every project
    names: Sequence  # project_name (a list, or an Arrow column read only for the pairs)
    agency: np.ndarray  # agency_code, as a small integer per code (`agencies`)
    agencies: list
    year: np.ndarray  # fiscal_year, as a small integer per year (`years`)
    years: list
    numbers: np.ndarray  # the numbers in the name, as a small integer per tuple
    keys: list[str]  # the name's compact key in the one-byte alphabet
    parent: np.ndarray  # (parent, code): a project and one of its provinces
    code: np.ndarray
    codes: list[str]  # code -> province code

    def __len__(self) -> int:
        return len(self.ids)

    def record(self, i: int) -> dict:
        name = self.names[i]
        return {
            "project_id": self.ids[i],
            "fiscal_year": self.years[self.year[i]],
            "agency_code": self.agencies[self.agency[i]],
            "project_name": name.as_py() if isinstance(name, pa.Scalar) else name,
        }

    @classmethod
    def of_dicts(cls, projects: list[dict]) -> ReviewRows:
        keyed: dict = {}
        pairs = [_keys(p, keyed) for p in projects]
        agency, agencies = _ids([p["agency_code"] for p in projects])
        year, years = _ids([p["fiscal_year"] for p in projects])
        numbers, _ = _ids([nums for _, nums in pairs])
        parent, code = [], []
        code_ids: dict = {}
        for i, p in enumerate(projects):
            if not p["nationwide"]:
                for c in dict.fromkeys(p["province_codes"] or ()):
                    parent.append(i)
                    code.append(code_ids.setdefault(c, len(code_ids)))
        return cls(
            ids=[p["project_id"] for p in projects],
            names=[p["project_name"] for p in projects],
            agency=agency,
            agencies=agencies,
            year=year,
            years=years,
            numbers=numbers,
            keys=[key for key, _ in pairs],
            parent=np.array(parent, dtype=np.int64),
            code=np.array(code, dtype=np.int64),
            codes=list(code_ids),
        )

    @classmethod
    def of_table(cls, table: pa.Table) -> ReviewRows:
        """From an Arrow table of the `REVIEW_COLUMNS`, by Arrow and numpy."""
        agency, agencies = _encoded(table.column("agency_code"))
        year, years = _encoded(table.column("fiscal_year"))
        # a tuple of numbers as one text: numbers are runs of digits, never empty
        numbers, _ = _encoded(pc.binary_join(table.column("name_numbers"), "\x1f"))
        lists = table.column("province_codes").combine_chunks()
        nationwide = table.column("nationwide").to_numpy(zero_copy_only=False)
        parent = pc.list_parent_indices(lists).to_numpy(zero_copy_only=False).astype(np.int64)
        code, codes = _encoded(pc.list_flatten(lists))
        local = ~nationwide[parent].astype(bool)
        parent, code = parent[local], code[local]
        if len(parent):  # each province of a project once, in its order
            pair = parent * (len(codes) + 1) + code
            _, first = np.unique(pair, return_index=True)
            first.sort()
            parent, code = parent[first], code[first]
        return cls(
            ids=table.column("project_id").to_pylist(),
            names=table.column("project_name").combine_chunks(),
            agency=agency,
            agencies=agencies,
            year=year,
            years=years,
            numbers=numbers,
            keys=table.column("review_key").to_pylist(),
            parent=parent,
            code=code,
            codes=codes,
        )


# Character bins: one per code point of the one-byte alphabet (`_NARROW`), 64 more for
# anything beyond it. Each insertion or deletion moves one bin's count by one.
_NB = 256 + 64
_COARSE = 16  # the bins summed by their code modulo 16: a first, cheap bound
# Per bin a random multiplier below 2**31: a set of bins' counts hashes to their weighted
# sum, exact in float64 (a name would need 2**22 characters to reach 2**53); lowering one
# bin's count by one lowers the hash by the bin's multiplier.
_WEIGHT = np.random.default_rng(2555).integers(1, 2**31, size=_NB, dtype=np.int64)
_CHUNK = 1 << 14  # block members hashed and joined at a time (whole blocks)
_MOST_PAIRS = 1 << 18  # index pairs listed at a time


def _bins(text: str) -> np.ndarray:
    """The bin of every character of `text`."""
    try:
        return np.frombuffer(text.encode("latin-1"), dtype=np.uint8).astype(np.int64)
    except UnicodeEncodeError:
        codes = _code_points(text)
        return np.where(codes < 256, codes, 256 + codes % 64).astype(np.int64)


def _bin_counts(
    narrow: list[str], lookup: np.ndarray | None = None, chunk: int = 4096
) -> np.ndarray:
    """Per name, its characters counted into _NB bins, or with `lookup` into the bins it
    maps them to (any merging of bins keeps the bound); a chunk of names at a time, so
    the code points of many names are never held at once."""
    n = len(narrow)
    width = _NB if lookup is None else int(lookup.max()) + 1
    length = np.fromiter(map(len, narrow), dtype=np.int64, count=n)
    out = np.zeros((n, width), dtype=np.int16 if length.max(initial=0) < 2**15 else np.int32)
    for start in range(0, n, chunk):
        part = narrow[start : start + chunk]
        codes = _bins("".join(part))
        if lookup is not None:
            codes = lookup[codes]
        owner = np.repeat(np.arange(len(part), dtype=np.int64), length[start : start + chunk])
        counts = np.bincount(owner * width + codes, minlength=len(part) * width)
        out[start : start + len(part)] = counts.reshape(len(part), width)
    return out


def _length_classes(longest: int) -> np.ndarray:
    """The upper ends of the length classes, the first 9: a name pairs only with names
    of its own class or the next (lb <= la·21/19 never reaches two classes up), and a
    pair whose longer name is of class c is within hi_c // 10 edits (20·d <= la + lb)."""
    ends = [9]
    while ends[-1] < longest:
        end = ends[-1]
        ends.append(max(21 * end // 19, (5 * end + 3) // 4))
    return np.array(ends, dtype=np.int64)


def _groups(end: int) -> tuple[int, int]:
    """The number of bin groups and the radius for a class ending at `end`: pairs are
    within hi // 10 edits, so with g groups, one of them is within the radius r
    when g·(r + 1) > hi // 10 (the edits would not suffice to move every group further)."""
    budget = end // 10
    return (1, 0) if budget == 0 else (budget // 2 + 1, 1)


def _grouping(frequency: np.ndarray, g: int) -> np.ndarray:
    """The group of every bin: bins dealt, most frequent first, to the group holding the
    fewest characters so far, so the groups weigh alike."""
    load = np.zeros(g)
    out = np.zeros(len(frequency), dtype=np.int64)
    for b in np.argsort(-frequency, kind="stable").tolist():
        j = int(np.argmin(load))
        out[b] = j
        load[j] += frequency[b]
    return out


def _salt(block: np.ndarray, cls: int, g: int) -> np.ndarray:
    """A random-looking 64-bit value per (block, class, group): block x g (splitmix64)."""
    x = (
        (block.astype(np.uint64)[:, None] << np.uint64(20))
        + np.uint64(cls << 10)
        + np.arange(g, dtype=np.uint64)[None, :]
    )
    with np.errstate(over="ignore"):
        x = x + np.uint64(0x9E3779B97F4A7C15)
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def review_keys(name: object) -> tuple[str, tuple[str, ...]]:
    """What the review compares of a name: its compact key in the one-byte alphabet
    (`_NARROW`: equal exactly when the compact keys are) and the numbers in it."""
    key, numbers = name_keys(name)
    return key.translate(_NARROW), numbers


# A share's names are joined by _SEP and their characters looked up in tables, in numpy:
# every step of `review_keys` but NFC maps one character at a time (clean_text's removals
# and sara am are only needed for names not yet clean, which validate never accepts).
_SEP = "\x00"  # a starter no character composes with; case fold and compaction keep it
_MULTI = -2  # a character whose case fold is several characters
_WHITESPACE = re.compile(r"\s")  # clean_text's whitespace


def _unclean(ch: str) -> bool:
    """Whether clean_text may change a text holding `ch`, whatever its neighbours (NFC and
    the spaces themselves are checked on the whole text)."""
    return bool(_HAS_INVISIBLE.match(ch) or ch == "\u0e4d" or (ch != " " and _WHITESPACE.match(ch)))


def _key_code(ch: str) -> int:
    """What `review_keys` makes of a character of an already case-folded text: -1 when
    compaction drops it, else its code point in the one-byte alphabet."""
    return -1 if _compact(ch) == "" else _NARROW.get(ord(ch), ord(ch))


def _folded_key_code(ch: str) -> int:
    folded = ch.casefold()
    return _key_code(folded) if len(folded) == 1 else _MULTI


def _is_digit(ch: str) -> bool:
    return bool(_DIGIT_RUN.fullmatch(ch))


_TABLE_TYPES = {
    _unclean: np.bool_,
    _key_code: np.int32,
    _folded_key_code: np.int32,
    _is_digit: np.bool_,
}


@functools.cache
def _table(f: Callable[[str], object]) -> np.ndarray:
    """f of every code point below U+0E80 (ASCII, Latin, Thai), made on first use."""
    return np.array([f(chr(cp)) for cp in range(0x0E80)], dtype=_TABLE_TYPES[f])


def _lookup(f: Callable[[str], object], codes: np.ndarray) -> np.ndarray:
    """f of every code point: from its table, or for characters beyond it, f itself once
    per distinct character."""
    table = _table(f)
    out = table.take(codes, mode="clip")
    beyond = codes >= len(table)
    if beyond.any():
        seen = np.unique(codes[beyond])
        found = np.array([f(chr(cp)) for cp in seen.tolist()], dtype=table.dtype)
        out[beyond] = found[np.searchsorted(seen, codes[beyond])]
    return out


def _code_points(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)


def _unclean_names(names: list[str], joined: str, codes: np.ndarray, sep: np.ndarray) -> list[int]:
    """The positions of the joined names that clean_text would change (`sep`: where the
    separators are)."""
    space = codes == ord(" ")
    blank = space | sep
    bad = _lookup(_unclean, codes)
    bad[1:] |= space[1:] & blank[:-1]  # a space next to another or at either end of a name
    bad[:-1] |= space[:-1] & blank[1:]
    bad[:1] |= space[:1]
    bad[-1:] |= space[-1:]
    found = set(np.cumsum(sep)[bad].tolist()) if bad.any() else set()
    # NFC of names joined by a starter that composes with nothing: each name's own
    if not unicodedata.is_normalized("NFC", joined):
        found.update(
            i for i, name in enumerate(names) if not unicodedata.is_normalized("NFC", name)
        )
    return sorted(found)


def review_keys_of(names: list[str]) -> list[tuple[str, tuple[str, ...]]]:
    """`review_keys` of every name, many names at once (equal, name by name: see
    tests/test_share_columns.py); what the merge keeps with each share's projects."""
    try:
        joined = _SEP.join(names)
        if not names or joined.count(_SEP) != len(names) - 1:
            raise ValueError("no names, or one holding the separator")
        codes = _code_points(joined)
        sep = codes == ord(_SEP)
        unclean = _unclean_names(names, joined, codes, sep)
        if unclean:  # validate accepts clean names only: this is for other callers
            texts = list(names)
            for i in unclean:
                texts[i] = clean_text(texts[i])
            joined = _SEP.join(texts)
            codes = _code_points(joined)
            sep = codes == ord(_SEP)
    except (TypeError, ValueError):  # not text, a lone surrogate, or the above
        return [review_keys(n) for n in names]
    keys = _lookup(_folded_key_code, codes)
    if (keys == _MULTI).any():  # ß, İ, ŉ…: fold the text itself
        keys = _lookup(_key_code, _code_points(joined.casefold()))
    keys = keys[keys >= 0]
    # Thai and Latin names are one byte a character in the one-byte alphabet
    compact = (
        keys.astype(np.uint8).tobytes().decode("latin-1")
        if keys.max(initial=0) < 256
        else keys.view(np.uint32).tobytes().decode("utf-32-le")
    ).split(_SEP)
    return list(zip(compact, _numbers(joined, codes, sep, len(names)), strict=True))


def _numbers(joined: str, codes: np.ndarray, sep: np.ndarray, n: int) -> list[tuple[str, ...]]:
    """The numbers in each of the n joined names: its runs of digits, Thai ones converted
    (text._numbers). Found from the positions of the digits alone: few names hold any."""
    numbers: list[tuple[str, ...]] = [()] * n
    digits = np.flatnonzero(_lookup(_is_digit, codes))
    if not len(digits):
        return numbers
    first = np.diff(digits, prepend=-2) != 1  # a run starts where a digit follows none
    starts, ends = digits[first], digits[np.append(first[1:], True)] + 1
    owners = np.searchsorted(np.flatnonzero(sep), starts)
    for owner, start, end in zip(owners.tolist(), starts.tolist(), ends.tolist(), strict=True):
        run = joined[start:end]
        numbers[owner] += (run if run.isascii() else thai_to_arabic_digits(run),)
    return numbers


def _keys(p: dict, keyed: dict) -> tuple[str, tuple[str, ...]]:
    """`review_keys` of a project's name: given with it (the merge keeps them with each
    share) or computed once per distinct name."""
    given = p.get("review_keys")
    if given is not None:
        return given
    name = p["project_name"]
    try:
        return keyed[name]
    except KeyError:
        keyed[name] = review_keys(name)
        return keyed[name]
    except TypeError:  # an unhashable name: not worth caching
        return review_keys(name)


def _search(
    projects: list[dict] | ReviewRows,
    n_changed: int,
    stats: dict | None = None,
    provinces: Collection[str] | None = None,
) -> list[dict]:
    """Pairs touching the first n_changed projects (all of them for a whole review):
    the pairs the bin-group index lists within each (year, numbers, province) block,
    through the count bounds, then scored. `stats` (benchmarks) receives the number of
    pairs the index listed, the number checked on counts and the number scored."""
    rows = projects if isinstance(projects, ReviewRows) else ReviewRows.of_dicts(projects)
    # the (year, province) places of the changed projects (within `provinces`)
    parent, code = rows.parent, rows.code
    place = rows.year[parent] * (len(rows.codes) + 1) + code
    asking = parent < n_changed
    if provinces is not None:
        inside = np.array([c in provinces for c in rows.codes], dtype=bool)
        asking &= inside[code]
    wanted = np.unique(place[asking])
    # every project with a name in one of them: a member, in one block per such province
    named = np.fromiter(map(len, rows.keys), np.int64, len(rows)) > 0
    keep = np.isin(place, wanted) & named[parent]
    parent, code = parent[keep], code[keep]
    members_at = np.unique(parent)
    member = np.searchsorted(members_at, parent)
    _, block = np.unique(
        (place[keep] * (int(rows.numbers.max(initial=0)) + 1) + rows.numbers[parent]),
        return_inverse=True,
    )
    block = block.reshape(-1).astype(np.int64)
    members = members_at.tolist()
    narrow = [rows.keys[i] for i in members]
    counts = {"listed": 0, "filtered": 0, "scored": 0}
    if stats is not None:
        stats.update(counts)
    if not members:
        return []
    index = _Index(rows.agency[members_at], members_at, narrow, n_changed)
    # only blocks holding a changed project are searched
    asked = np.zeros(int(block.max()) + 1, dtype=bool)
    asked[block[index.queried[member]]] = True
    keep = asked[block]
    order = np.argsort(block[keep], kind="stable")
    member, block = member[keep][order], block[keep][order]
    left: list[np.ndarray] = []
    right: list[np.ndarray] = []
    # whole blocks, about _CHUNK members at a time
    ends = np.flatnonzero(np.diff(block)) + 1
    bounds = [0]
    for end in ends.tolist():
        if end - bounds[-1] >= _CHUNK:
            bounds.append(end)
    if bounds[-1] != len(block):
        bounds.append(len(block))
    for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
        a, b = index.pairs(member[lo:hi], block[lo:hi], counts)
        left.append(a)
        right.append(b)
    found: dict[tuple[str, str], dict] = {}
    if not left:  # no block holds a changed project with a name
        return []
    a_idx, b_idx = np.concatenate(left), np.concatenate(right)
    # the same pair may be listed from both ends, several groups or blocks: once each
    pair = np.unique(np.minimum(a_idx, b_idx) * len(members) + np.maximum(a_idx, b_idx))
    a_idx, b_idx = pair // len(members), pair % len(members)
    counts["scored"] = len(pair)
    if stats is not None:
        stats.update(counts)
    if len(pair):
        scores = process.cpdist(
            [narrow[i] for i in a_idx],
            [narrow[i] for i in b_idx],
            scorer=fuzz.ratio,
            score_cutoff=SIMILARITY_CUTOFF - 1,
            dtype=np.float64,
            workers=-1,
        )
        for k in np.flatnonzero(scores >= SIMILARITY_CUTOFF).tolist():
            a, b = int(a_idx[k]), int(b_idx[k])
            _add_pair(
                found,
                rows.record(members[a]),
                rows.record(members[b]),
                narrow[a] == narrow[b],
                float(scores[k]),
            )
    return sorted(found.values(), key=lambda d: (d["project_id_a"], d["project_id_b"]))


class _Index:
    """The bin-group index of a search's names.

    A pair within d edits has bin counts within L1 distance d. Names fall in length
    classes; the bins are dealt into g groups per class such that g·(r + 1) exceeds the
    edits any pair of the class allows, so for every candidate pair one group's counts
    are within L1 distance r (0 or 1): equal, or equal once one bin of one of the two
    names is lowered by one. A name's key per group hashes its counts there (with the
    block, the class and the group); its probes are those keys and, for r = 1, the key
    lowered by each bin present. Listed pairs are probe-key matches; a name near the top
    of its class also keys and probes in the next class, where its longer partners are."""

    def __init__(
        self, agency: np.ndarray, members: np.ndarray, narrow: list[str], n_changed: int
    ) -> None:
        self.narrow = narrow
        self.queried = members < n_changed
        self.agency = agency  # of each member, as a small integer
        self.length = np.fromiter(map(len, narrow), dtype=np.int64, count=len(narrow))
        self.ends = _length_classes(int(self.length.max()))
        self.cls = np.searchsorted(self.ends, self.length, "left")
        # the longest partner a name allows reaches the next class (none is beyond the last)
        self.reaches = (21 * self.length // 19 > self.ends[self.cls]) & (
            self.cls < len(self.ends) - 1
        )
        # The bins met in (a sample of) the names, each its own, most frequent first; all
        # others merged into one: fewer bins to count, the same bound. Any grouping of
        # them is exact, an even one selective.
        sample = narrow[:: max(1, len(narrow) // 50_000)]
        frequency = np.zeros(_NB, dtype=np.int64)
        for start in range(0, len(sample), 4096):
            frequency += np.bincount(_bins("".join(sample[start : start + 4096])), minlength=_NB)
        met = np.argsort(-frequency, kind="stable")[
            : min(int(np.count_nonzero(frequency)), _NB - 1)
        ]
        self.lookup = np.full(_NB, len(met), dtype=np.int64)
        self.lookup[met] = np.arange(len(met))
        width = -(-(len(met) + 1) // _COARSE) * _COARSE  # whole coarse bins
        self.frequency = np.zeros(width, dtype=np.int64)
        self.frequency[: len(met)] = frequency[met]
        self.weight = _WEIGHT[:width]
        self._groupings: dict[int, np.ndarray] = {}

    def grouping(self, g: int) -> np.ndarray:
        if g not in self._groupings:
            self._groupings[g] = _grouping(self.frequency, g)
        return self._groupings[g]

    def pairs(
        self, member: np.ndarray, block: np.ndarray, counts: dict
    ) -> tuple[np.ndarray, np.ndarray]:
        """The pairs (member indices) of these whole blocks that the index lists and the
        count bounds keep, touching a changed project."""
        names, at = np.unique(member, return_inverse=True)
        hist = _bin_counts([self.narrow[j] for j in names], self.lookup)
        if hist.shape[1] < len(self.frequency):
            hist = np.pad(hist, ((0, 0), (0, len(self.frequency) - hist.shape[1])))
        cls = self.cls[names]
        # a name's own class for each block it is in; the next one as well near the top
        up = self.reaches[names][at]
        e_at = np.concatenate([at, at[up]])
        e_block = np.concatenate([block, block[up]])
        e_cls = np.concatenate([cls[at], cls[at][up] + 1])
        e_up = np.concatenate([np.zeros(len(at), dtype=bool), np.ones(int(up.sum()), bool)])
        flat = np.flatnonzero(hist)
        present_row, present_bin = np.divmod(flat, hist.shape[1])
        weight = hist.ravel()[flat] * self.weight[present_bin].astype(np.float64)
        first = np.searchsorted(present_row, np.arange(len(names) + 1))
        asked = self.queried[names]
        coarse = hist.reshape(len(hist), -1, _COARSE).sum(1, dtype=hist.dtype)
        length, agency = self.length[names], self.agency[names]
        left: list[np.ndarray] = []
        right: list[np.ndarray] = []
        for c in np.unique(e_cls).tolist():  # keys of one class never meet another's
            sel = np.flatnonzero(e_cls == c)
            g, radius = _groups(int(self.ends[c]))
            grouping = self.grouping(g)
            row = e_at[sel]
            # per name of the class and group, its counts there hashed (only this class's
            # names: a plan's name lengths make several classes, each with its own g)
            in_class, at_row = np.unique(row, return_inverse=True)
            m = first[in_class + 1] - first[in_class]
            entry = np.repeat(first[in_class] - np.cumsum(m) + m, m) + np.arange(int(m.sum()))
            sums = np.bincount(
                np.repeat(np.arange(len(in_class)), m) * g + grouping[present_bin[entry]],
                weights=weight[entry],
                minlength=len(in_class) * g,
            )
            del entry
            hashed = sums.astype(np.int64).view(np.uint64).reshape(len(in_class), g)
            key = hashed[at_row.reshape(-1)] + _salt(e_block[sel], c, g)
            keyed = np.repeat(row, g)
            changed = asked[row]
            n = first[row + 1] - first[row]  # the bins each name holds
            # A few changed names among many others (one agency's resubmission): instead
            # of every other name probing with each bin it holds lowered by one (to meet
            # a changed name's key), the changed names probe with every bin raised by one
            # (to meet theirs): b - e_x = a exactly when a + e_x = b. The others then
            # only key, and every probe is a changed name's.
            raised = bool(radius) and 0 < int(changed.sum()) * len(grouping) < int(
                n[~changed].sum()
            )
            plain = changed if raised else ~e_up[sel]
            lowering = np.flatnonzero(changed) if raised else np.arange(len(sel))
            probes = [key[plain].ravel()]
            probing = [keyed.reshape(-1, g)[plain].ravel()]
            if radius:  # each bin present lowered by one, in its group's key
                m = n[lowering]
                which = np.repeat(lowering, m)
                at_bin = (
                    np.arange(int(m.sum()))
                    - np.repeat(np.cumsum(m) - m, m)
                    + np.repeat(first[row[lowering]], m)
                )
                b = present_bin[at_bin]
                del at_bin
                probes.append(key[which, grouping[b]] - self.weight[b].astype(np.uint64))
                probing.append(row[which])
                del which, b
            if raised:  # each bin, present or not, raised by one
                which = np.repeat(lowering, len(grouping))
                b = np.tile(np.arange(len(grouping)), len(lowering))
                probes.append(key[which, grouping[b]] + self.weight[b].astype(np.uint64))
                probing.append(row[which])
                del which, b
            key = key.ravel()
            probe, prober = np.concatenate(probes), np.concatenate(probing)
            del probes, probing
            # changed names' probes against every key; the others' against changed names'
            mine = asked[prober]
            for by, theirs in ((mine, None), (~mine, asked[keyed])):
                if not by.any():
                    continue
                k, kd = (key, keyed) if theirs is None else (key[theirs], keyed[theirs])
                for a, b in _join(probe[by], prober[by], k, kd):
                    counts["listed"] += len(a)
                    a, b = self._bounded(a, b, length, agency, hist, coarse, counts)
                    left.append(names[a])
                    right.append(names[b])
        if not left:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        return np.concatenate(left), np.concatenate(right)

    @staticmethod
    def _bounded(
        a: np.ndarray,
        b: np.ndarray,
        length: np.ndarray,
        agency: np.ndarray,
        hist: np.ndarray,
        coarse: np.ndarray,
        counts: dict,
    ) -> tuple[np.ndarray, np.ndarray]:
        """The listed pairs (rows of `hist`) of two names of different agencies whose
        lengths and bin counts allow a ratio of 95: 20·d <= la + lb, d at least the
        length difference and the L1 distance of the counts, coarse or fine."""
        la, lb = length[a], length[b]
        room = la + lb
        keep = np.flatnonzero((agency[a] != agency[b]) & (20 * np.abs(la - lb) <= room))
        a, b, room = a[keep], b[keep], room[keep]
        counts["filtered"] += len(a)
        keep = 20 * np.abs(coarse[a] - coarse[b]).sum(1, dtype=np.int32) <= room
        a, b, room = a[keep], b[keep], room[keep]
        fine = np.zeros(len(a), dtype=bool)
        for s in range(0, len(a), 1 << 16):
            part = slice(s, s + (1 << 16))
            apart = np.abs(hist[a[part]] - hist[b[part]]).sum(1, dtype=np.int32)
            fine[part] = 20 * apart <= room[part]
        return a[fine], b[fine]


def _join(probe: np.ndarray, prober: np.ndarray, key: np.ndarray, keyed: np.ndarray):
    """(prober, keyed) of every probe equal to a key, at most about _MOST_PAIRS at a time."""
    # most probes match no key: a table of the keys' low bits turns them away first
    bits = max(16, int(len(key)).bit_length() + 3)
    mask = np.uint64((1 << bits) - 1)
    table = np.zeros(1 << bits, dtype=bool)
    table[(key & mask).astype(np.int64)] = True
    maybe = np.flatnonzero(table[(probe & mask).astype(np.int64)])
    probe, prober = probe[maybe], prober[maybe]
    order = np.argsort(probe)  # sorted probes: the binary searches go one way
    probe, prober = probe[order], prober[order]
    order = np.argsort(key)
    key, keyed = key[order], keyed[order]
    lo = np.searchsorted(key, probe, "left")
    n = np.searchsorted(key, probe, "right") - lo
    hit = np.flatnonzero(n)
    lo, n, prober = lo[hit], n[hit], prober[hit]
    total = np.cumsum(n)
    start = 0
    while start < len(n):
        base = int(total[start - 1]) if start else 0
        stop = max(start + 1, int(np.searchsorted(total, base + _MOST_PAIRS, "right")))
        cnt = n[start:stop]
        at = (
            np.arange(int(cnt.sum()))
            - np.repeat(np.cumsum(cnt) - cnt, cnt)
            + np.repeat(lo[start:stop], cnt)
        )
        yield np.repeat(prober[start:stop], cnt), keyed[at]
        start = stop


def _add_pair(found: dict, pa: dict, pb: dict, same: bool, score: float) -> None:
    """Record the pair of projects pa and pb (project_id, fiscal_year, agency_code and
    project_name of each) once; `same`: their compact names are equal."""
    if pa["project_id"] > pb["project_id"]:
        pa, pb = pb, pa
    pair = (pa["project_id"], pb["project_id"])
    if pair in found:
        return
    found[pair] = {
        "project_id_a": pair[0],
        "project_id_b": pair[1],
        "similarity": 100.0 if same else round(score, 2),
        "reason": "same name" if same else "nearly the same name",
        "fiscal_year": pa["fiscal_year"],
        "agency_code_a": pa["agency_code"],
        "agency_code_b": pb["agency_code"],
        "project_name_a": pa["project_name"],
        "project_name_b": pb["project_name"],
    }
