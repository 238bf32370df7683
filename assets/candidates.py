"""Cross-agency duplicate candidates: listed for review, never dropped.

A pair is a candidate when the two projects belong to different agencies, have the
same fiscal year, share a province (a nationwide project shares none), carry the
same numbers (ระยะที่ 2 is not ระยะที่ 3) and their compact names are equal or
have a rapidfuzz ratio of at least 95.

Comparing every pair grows with the square of a province's projects, so the
search is indexed and exact (tests pin it to brute force):

- ratio = 100·(1 − d/(la+lb)) with d the Indel distance, so ratio >= 95 means
  d <= (la+lb) // 20, which also bounds the length difference.
- Character q-grams (multisets): take an optimal alignment of the longer name a
  with b; a q-gram of a survives unless it holds one of a's D deleted characters
  (q q-grams each) or spans one of b's I inserted characters (q − 1 each). With
  D − I = la − lb and D + I = d, at least la − q + 1 − (la − lb + (2q − 1)·d)/2
  q-grams are shared (`_required`).
- Prefix filter: order q-grams by rarity; two multisets sharing t elements share
  one among the first n − t + 1 of each. So each name is indexed under its rarest
  n − t + 1 q-grams only (t the least it must share with any name of a length it
  can match), per (fiscal year, numbers, province) block; names sharing a block and
  an indexed q-gram, of different agencies and compatible lengths, are scored.
- Names too short for the bound (t <= 0) are all indexed under one extra token, so
  they are scored against each other.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable

import numpy as np
from rapidfuzz import fuzz, process

from stiplan.assets.text import name_keys

SIMILARITY_CUTOFF = 95.0
Q = 3
# Thai (U+0E00-U+0E7F) and Latin-1 (U+0080-U+00FF) swap places: a bijection, so the
# same equalities and the same ratio, but Thai names become one byte per character,
# rapidfuzz's fast path (and a small alphabet for the q-gram codes).
_NARROW = {cp: cp for cp in range(0x0E80)}
_NARROW.update({cp: cp - 0x0E00 + 0x80 for cp in range(0x0E00, 0x0E80)})
_NARROW.update({cp: cp - 0x80 + 0x0E00 for cp in range(0x80, 0x100)})


def find_candidates(projects: list[dict]) -> list[dict]:
    """projects: dicts with project_id, agency_code, fiscal_year, project_name,
    province_codes (tuple), nationwide. Every candidate pair once, as dicts sorted
    by (project_id_a, project_id_b)."""
    return _search(list(projects), None)


def find_candidates_between(changed: Iterable[dict], others: Iterable[dict]) -> list[dict]:
    """The candidate pairs of find_candidates(changed + others) that involve at least
    one project of `changed` (pairs within `changed` included, pairs among `others`
    left out): what to redo when one agency's submission changed and the rest of the
    plan did not. A project of `others` whose project_id is also in `changed` is
    ignored (the changed version replaces it)."""
    changed = list(changed)
    ids = {p["project_id"] for p in changed}
    rest = [p for p in others if p["project_id"] not in ids]
    return _search_between(changed + rest, len(changed))


def _length_runs(members: list[int], narrow: list[str], spread: float = 1.1,
                 most: int = 512) -> list[list[int]]:
    """`members` (sorted by length) in runs of similar length, so that each run's length
    window stays narrow."""
    runs: list[list[int]] = []
    for j in members:
        if runs and len(narrow[j]) <= len(narrow[runs[-1][0]]) * spread and len(runs[-1]) < most:
            runs[-1].append(j)
        else:
            runs.append([j])
    return runs


def _keys(p: dict, keyed: dict) -> tuple[str, tuple[str, ...]]:
    """(compact key, numbers) of a project's name: given with it (`name_keys`, kept by
    the merge with each share) or computed once per distinct name."""
    given = p.get("name_keys")
    if given is not None:
        return given
    name = p["project_name"]
    try:
        return keyed[name]
    except KeyError:
        keyed[name] = name_keys(name)
        return keyed[name]
    except TypeError:  # an unhashable name: not worth caching
        return name_keys(name)


def _search_between(projects: list[dict], n_changed: int) -> list[dict]:
    """Pairs touching the first n_changed projects: each changed project scored against
    the projects of its (year, numbers, province) blocks within the length window.
    Few projects change at a time, so this grows with their number times a
    province's, never with the square of the plan."""
    keyed: dict = {}
    wanted = {(p["fiscal_year"], code) for p in projects[:n_changed] if not p["nationwide"]
              for code in p["province_codes"]}
    members, keys, narrow = [], [], []
    queries: dict[tuple, list[int]] = {}
    choices: dict[tuple, list[int]] = {}
    for i, p in enumerate(projects):
        if p["nationwide"] or not p["province_codes"]:
            continue
        year = p["fiscal_year"]
        codes = [c for c in set(p["province_codes"]) if (year, c) in wanted]
        if not codes:
            continue  # shares no block with a changed project
        key, nums = _keys(p, keyed)
        if not key:
            continue
        j = len(members)
        members.append(i)
        keys.append(key)
        narrow.append(key.translate(_NARROW))
        for code in codes:
            block = (year, nums, code)
            choices.setdefault(block, []).append(j)
            if i < n_changed:
                queries.setdefault(block, []).append(j)
    agency_ids: dict = {}
    agency = np.array([agency_ids.setdefault(projects[i]["agency_code"], len(agency_ids))
                       for i in members], dtype=np.int64)
    found: dict[tuple[str, str], dict] = {}
    for block, qs in queries.items():
        cs = np.array(sorted(choices[block], key=lambda j: len(narrow[j])), dtype=np.int64)
        lengths = [len(narrow[j]) for j in cs]
        qs = sorted(qs, key=lambda j: len(narrow[j]))
        for bucket in _length_runs(qs, narrow):
            # |la − lb| <= (la + lb) / 20: lb within [19/21, 21/19] of la
            lo = bisect.bisect_left(lengths, len(narrow[bucket[0]]) * 19 // 21 - 1)
            hi = bisect.bisect_right(lengths, len(narrow[bucket[-1]]) * 21 // 19 + 1)
            window = cs[lo:hi]
            if not len(window):
                continue
            scores = process.cdist([narrow[q] for q in bucket], [narrow[c] for c in window],
                                   scorer=fuzz.ratio, score_cutoff=SIMILARITY_CUTOFF - 1,
                                   dtype=np.float64, workers=-1)
            hit = ((scores >= SIMILARITY_CUTOFF)
                   & (agency[np.array(bucket)][:, None] != agency[window][None, :]))
            for r, c in zip(*np.nonzero(hit), strict=True):
                _add_pair(found, projects, keys, members, bucket[r], int(window[c]),
                          float(scores[r, c]))
    return sorted(found.values(), key=lambda d: (d["project_id_a"], d["project_id_b"]))


def _search(projects: list[dict], n_changed: int | None,
            stats: dict | None = None) -> list[dict]:
    """Candidates among `projects`; with n_changed, only pairs touching its first
    n_changed projects. `stats` (benchmarks) receives the number of pairs scored."""
    keyed: dict[object, tuple[str, tuple[str, ...]]] = {}
    blocks: dict[tuple, int] = {}
    agencies: dict[object, int] = {}
    members, narrow, numbers, keys = [], [], [], []
    groups: dict[tuple, int] = {}
    group: list[int] = []
    block_of: list[int] = []  # flattened (project, province) block ids
    n_blocks: list[int] = []
    for i, p in enumerate(projects):
        key, nums = _keys(p, keyed)
        if p["nationwide"] or not key or not p["province_codes"]:
            continue  # a nationwide project shares no province
        members.append(i)
        keys.append(key)
        narrow.append(key.translate(_NARROW))
        numbers.append(nums)
        year = p["fiscal_year"]
        group.append(groups.setdefault((year, nums), len(groups)))
        codes = set(p["province_codes"])
        for code in codes:
            block_of.append(blocks.setdefault((year, nums, code), len(blocks)))
        n_blocks.append(len(codes))
        agencies.setdefault(p["agency_code"], len(agencies))
    if not members:
        return []
    agency = np.array([agencies[projects[i]["agency_code"]] for i in members], dtype=np.int64)
    touched = None
    if n_changed is not None:
        touched = np.array([i < n_changed for i in members])
    pairs = _candidate_pairs(narrow, agency, np.array(group, dtype=np.int64),
                             np.array(block_of, dtype=np.int64),
                             np.array(n_blocks, dtype=np.int64), touched)
    if stats is not None:
        stats["scored"] = len(pairs)
    found: dict[tuple[str, str], dict] = {}
    if len(pairs):
        left = [narrow[i] for i in pairs[:, 0]]
        right = [narrow[i] for i in pairs[:, 1]]
        # A cutoff just below 95 lets rapidfuzz stop early; the score it returns above
        # the cutoff is the exact one, compared with 95 as brute force does.
        scores = process.cpdist(left, right, scorer=fuzz.ratio,
                                score_cutoff=SIMILARITY_CUTOFF - 1, dtype=np.float64,
                                workers=-1)
        for k in np.flatnonzero(scores >= SIMILARITY_CUTOFF):
            a, b = pairs[k]
            _add_pair(found, projects, keys, members, int(a), int(b), float(scores[k]))
    return sorted(found.values(), key=lambda d: (d["project_id_a"], d["project_id_b"]))


def _required(la: int, lb: int) -> int | None:
    """The least number of q-grams names of lengths la, lb share when their ratio
    is >= 95, or None when no such pair exists (lengths too far apart)."""
    d = (la + lb) // 20  # ratio >= 95  <=>  20·d <= la + lb
    delta = abs(la - lb)
    if delta > d:
        return None
    # floor of max − q + 1 − (delta + (2q − 1)·d)/2: rounded down, never up
    return max(la, lb) - Q + 1 - (delta + (2 * Q - 1) * d + 1) // 2


def _length_tables(lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Indexed by name length (filled for the lengths present): the least number of
    q-grams a name shares with any match (may be <= 0 for a short name), and the
    shortest and longest length of a name it can match."""
    size = int(lengths.max()) + 1
    least = np.zeros(size, dtype=np.int64)
    lo = np.zeros(size, dtype=np.int64)
    hi = np.zeros(size, dtype=np.int64)
    for la in map(int, np.unique(lengths)):
        # |la − lb| <= (la + lb) / 20 puts lb within [19/21, 21/19] of la
        window = range(max(1, la * 19 // 21 - 1), la * 21 // 19 + 2)
        feasible = [(lb, t) for lb in window if (t := _required(la, lb)) is not None]
        lo[la], hi[la] = feasible[0][0], feasible[-1][0]
        least[la] = min(t for _, t in feasible)
    return least, lo, hi


def _candidate_pairs(narrow: list[str], agency: np.ndarray, group: np.ndarray,
                     block_of: np.ndarray, n_blocks: np.ndarray,
                     touched: np.ndarray | None) -> np.ndarray:
    """(k, 2) array of member pairs (a < b) to score: same block, an indexed q-gram
    in common (or both short), different agencies, compatible lengths. `group`
    numbers the (fiscal year, numbers) of each name: blocks never straddle two."""
    n = len(narrow)
    lengths = np.fromiter(map(len, narrow), dtype=np.int64, count=n)
    least, lo, hi = _length_tables(lengths)
    codes, alphabet = _codes("".join(narrow))
    # q-gram codes (base-alphabet numbers) of every name, names concatenated
    n_grams = np.maximum(lengths - Q + 1, 0)
    starts = np.repeat(np.cumsum(lengths) - lengths, n_grams)
    starts += np.arange(len(starts)) - np.repeat(np.cumsum(n_grams) - n_grams, n_grams)
    grams = np.zeros(len(starts), dtype=np.int64)
    for j in range(Q):
        grams = grams * alphabet + codes[starts + j]
    del starts, codes
    owner = np.repeat(np.arange(n, dtype=np.int64), n_grams)
    if (int(group.max()) + 1) * alphabet ** Q >= 1 << 62:
        grams = np.unique(grams, return_inverse=True)[1].ravel()
        alphabet = int(grams.max()) + 1
        span = alphabet
    else:
        span = alphabet ** Q
    grams += group[owner] * span  # a q-gram per (fiscal year, numbers)
    uniq, inverse, counts = np.unique(grams, return_inverse=True, return_counts=True)
    inverse = inverse.ravel()
    del grams
    n_agencies = int(agency.max()) + 1
    by_agency, per_agency = np.unique(inverse * n_agencies + agency[owner], return_counts=True)
    by_agency //= n_agencies
    # A q-gram that only one agency uses can be in no cross-agency pair's overlap:
    # leaving it out keeps the bound and shortens the prefix (agencies have their own
    # words). The order: q-grams pairing the fewest names of different agencies first,
    # then the rarest, then by code.
    shared = np.bincount(by_agency, minlength=len(uniq))[inverse] >= 2
    same = np.bincount(by_agency, weights=per_agency.astype(np.float64) ** 2,
                       minlength=len(uniq))
    order = np.lexsort((uniq, counts, counts.astype(np.float64) ** 2 - same))
    rank = np.empty(len(uniq), dtype=np.int64)
    rank[order] = np.arange(len(uniq))
    n_ranks = len(uniq) + 1  # + the token of short names
    owner = owner[shared]
    n_shared = np.bincount(owner, minlength=n)
    # each name's shared q-grams rarest first; keep the first n − t + 1 (distinct ones)
    tokens = np.sort(owner * n_ranks + rank[inverse[shared]])
    del inverse, shared, owner
    t = least[lengths]
    indexed = np.where(t <= 0, n_shared, n_shared - t + 1)
    first = np.repeat(np.cumsum(n_shared) - n_shared, n_shared)
    keep = (np.arange(len(tokens)) - first) < np.repeat(indexed, n_shared)
    keep[1:] &= tokens[1:] != tokens[:-1]
    tokens = tokens[keep]
    short = np.flatnonzero(t <= 0)
    tokens = np.concatenate([tokens, short * n_ranks + (n_ranks - 1)])
    owner, token = np.divmod(tokens, n_ranks)
    # one posting per (indexed token, province block) of its name
    per = n_blocks[owner]
    block_start = np.cumsum(n_blocks) - n_blocks
    idx = np.repeat(block_start[owner] - (np.cumsum(per) - per), per) + np.arange(per.sum())
    owner = np.repeat(owner, per)
    posting = block_of[idx] * n_ranks + np.repeat(token, per)
    if touched is not None:  # only postings whose key some changed name holds matter
        posting_mask = np.isin(posting, np.unique(posting[touched[owner]]))
        posting, owner = posting[posting_mask], owner[posting_mask]
    order = np.lexsort((agency[owner], posting))
    posting, owner = posting[order], owner[order]
    return _cross_agency_pairs(posting, owner, agency, lengths, lo, hi, touched)


def _codes(text: str) -> tuple[np.ndarray, int]:
    """The characters of text as small integers, and the alphabet size."""
    try:
        return np.frombuffer(text.encode("latin-1"), dtype=np.uint8).astype(np.int64), 256
    except UnicodeEncodeError:
        raw = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
        uniq, dense = np.unique(raw, return_inverse=True)
        return dense.ravel().astype(np.int64), len(uniq)


def _cross_agency_pairs(posting: np.ndarray, owner: np.ndarray, agency: np.ndarray,
                        lengths: np.ndarray, lo: np.ndarray, hi: np.ndarray,
                        touched: np.ndarray | None) -> np.ndarray:
    """Pairs of postings with the same key and different agencies (sorted by key,
    then agency): each one pairs with the postings after its agency's run."""
    m = len(posting)
    if m < 2:
        return np.empty((0, 2), dtype=np.int64)
    new_group = np.ones(m, dtype=bool)
    new_group[1:] = posting[1:] != posting[:-1]
    new_run = new_group.copy()
    new_run[1:] |= agency[owner[1:]] != agency[owner[:-1]]
    group_end = _run_ends(new_group)
    run_end = _run_ends(new_run)
    count = group_end - run_end
    pairs_out = []
    # in slices, so that the pair arrays of a big corpus stay small
    chunk = 1 << 22
    total = np.cumsum(count)
    start = 0
    while start < m:
        stop = int(np.searchsorted(total, (total[start - 1] if start else 0) + chunk,
                                   side="right"))
        stop = max(stop, start + 1)
        c = count[start:stop]
        k = int(c.sum())
        if k:
            a = np.repeat(owner[start:stop], c)
            offset = np.arange(k) - np.repeat(np.cumsum(c) - c, c)
            b = owner[np.repeat(run_end[start:stop], c) + offset]
            la, lb = lengths[a], lengths[b]
            ok = (lb >= lo[la]) & (lb <= hi[la])
            if touched is not None:
                ok &= touched[a] | touched[b]
            a, b = a[ok], b[ok]
            pairs_out.append(np.unique(np.minimum(a, b) * len(lengths) + np.maximum(a, b)))
        start = stop
    if not pairs_out:
        return np.empty((0, 2), dtype=np.int64)
    codes = np.unique(np.concatenate(pairs_out))
    return np.stack(np.divmod(codes, len(lengths)), axis=1)


def _run_ends(new_run: np.ndarray) -> np.ndarray:
    """For each position, the index just past its run (runs start where new_run)."""
    starts = np.flatnonzero(new_run)
    ends = np.append(starts[1:], len(new_run))
    return np.repeat(ends, np.diff(np.append(starts, len(new_run))))


def _add_pair(found, projects, keys, members, a, b, score) -> None:
    pa, pb = projects[members[a]], projects[members[b]]
    if pa["project_id"] > pb["project_id"]:
        pa, pb = pb, pa
    pair = (pa["project_id"], pb["project_id"])
    if pair in found:
        return
    same = keys[a] == keys[b]
    found[pair] = {
        "project_id_a": pair[0], "project_id_b": pair[1],
        "similarity": 100.0 if same else round(score, 2),
        "reason": "same name" if same else "nearly the same name",
        "fiscal_year": pa["fiscal_year"],
        "agency_code_a": pa["agency_code"], "agency_code_b": pb["agency_code"],
        "project_name_a": pa["project_name"], "project_name_b": pb["project_name"],
    }
