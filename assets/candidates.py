"""Cross-agency duplicate candidates: listed for review, never dropped.

A pair is a candidate when the two projects belong to different agencies, have the
same fiscal year, share a province (a nationwide project shares none), carry the
same numbers (ระยะที่ 2 is not ระยะที่ 3) and their compact names are equal or
have a rapidfuzz ratio of at least 95. The search is exact (tests pin it to
comparing every pair) and cheap per pair:

- ratio = 100·(1 − d/(la+lb)) with d the Indel distance, so ratio >= 95 means
  20·d <= la + lb, which also bounds the length difference (a length window).
- Each insertion or deletion changes one character's count by one, so d is at
  least the L1 distance between the two names' character counts, and between
  counts merged into bins. Within a (year, numbers, province) block, every pair
  in the length window is first compared on 8 coarse bins, the survivors on 32,
  with numpy; only what passes both is scored by rapidfuzz.
- After one agency's resubmission only pairs touching its projects are searched
  (`find_candidates_between`; the merge keeps the rest from the last review).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

import numpy as np
from rapidfuzz import fuzz, process

from stiplan.assets.text import name_keys

SIMILARITY_CUTOFF = 95.0
# Thai (U+0E00-U+0E7F) and Latin-1 (U+0080-U+00FF) swap places: a bijection, so the
# same equalities and the same ratio, but Thai names become one byte per character,
# rapidfuzz's fast path.
_NARROW = {cp: cp for cp in range(0x0E80)}
_NARROW.update({cp: cp - 0x0E00 + 0x80 for cp in range(0x0E00, 0x0E80)})
_NARROW.update({cp: cp - 0x80 + 0x0E00 for cp in range(0x80, 0x100)})


def find_candidates(projects: list[dict], provinces: Collection[str] | None = None
                    ) -> list[dict]:
    """projects: dicts with project_id, agency_code, fiscal_year, project_name,
    province_codes (tuple), nationwide. Every candidate pair once, as dicts sorted
    by (project_id_a, project_id_b). With `provinces`, only the pairs that share one
    of those provinces (a part of the search another process may do the rest of)."""
    projects = list(projects)
    return _search(projects, len(projects), provinces=provinces)


def find_candidates_between(changed: Iterable[dict], others: Iterable[dict],
                            provinces: Collection[str] | None = None) -> list[dict]:
    """The candidate pairs of find_candidates(changed + others) that involve at least
    one project of `changed` (pairs within `changed` included, pairs among `others`
    left out): what to redo when one agency's submission changed and the rest of the
    plan did not. A project of `others` whose project_id is also in `changed` is
    ignored (the changed version replaces it)."""
    changed = list(changed)
    ids = {p["project_id"] for p in changed}
    rest = [p for p in others if p["project_id"] not in ids]
    return _search(changed + rest, len(changed), provinces=provinces)


def _length_runs(members: list[int], narrow: list[str], spread: float = 1.1,
                 most: int = 64) -> list[list[int]]:
    """`members` (sorted by length) in runs of similar length, so that each run's length
    window stays narrow."""
    runs: list[list[int]] = []
    for j in members:
        if runs and len(narrow[j]) <= len(narrow[runs[-1][0]]) * spread and len(runs[-1]) < most:
            runs[-1].append(j)
        else:
            runs.append([j])
    return runs


_BINS = 32
_COARSE = 8  # bins of bins: _BINS // _COARSE fine bins each


def _histograms(narrow: list[str], length: np.ndarray, chunk: int = 8192) -> np.ndarray:
    """Per name, its characters counted into _BINS bins (by code point); a chunk of
    names at a time, so the code points of a whole plan are never held at once."""
    n = len(narrow)
    out = np.zeros((n, _BINS), dtype=np.int16)
    for start in range(0, n, chunk):
        part = narrow[start:start + chunk]
        codes = np.frombuffer("".join(part).encode("utf-32-le"), dtype=np.uint32) % _BINS
        owner = np.repeat(np.arange(len(part), dtype=np.int32), length[start:start + chunk])
        counts = np.bincount(owner * _BINS + codes.astype(np.int32), minlength=len(part) * _BINS)
        out[start:start + len(part)] = counts.reshape(len(part), _BINS)
    return out


def review_keys(name: object) -> tuple[str, tuple[str, ...]]:
    """What the review compares of a name: its compact key in the one-byte alphabet
    (`_NARROW`: equal exactly when the compact keys are) and the numbers in it."""
    key, numbers = name_keys(name)
    return key.translate(_NARROW), numbers


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


def _search(projects: list[dict], n_changed: int, stats: dict | None = None,
            provinces: Collection[str] | None = None) -> list[dict]:
    """Pairs touching the first n_changed projects (all of them for a whole review):
    each such project against the projects of its (year, numbers, province) blocks
    within the length window, through the count filter, then scored. `stats`
    (benchmarks) receives the number of pairs filtered and scored."""
    keyed: dict = {}
    wanted = {(p["fiscal_year"], code) for p in projects[:n_changed] if not p["nationwide"]
              for code in p["province_codes"] if provinces is None or code in provinces}
    members, narrow = [], []
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
        narrow.append(key)
        for code in codes:
            block = (year, nums, code)
            choices.setdefault(block, []).append(j)
            if i < n_changed:
                queries.setdefault(block, []).append(j)
    if not members:
        return []
    agency_ids: dict = {}
    agency = np.array([agency_ids.setdefault(projects[i]["agency_code"], len(agency_ids))
                       for i in members], dtype=np.int64)
    length = np.fromiter(map(len, narrow), dtype=np.int64, count=len(narrow))
    hist = _histograms(narrow, length)
    coarse = hist.reshape(len(hist), _COARSE, -1).sum(2, dtype=np.int16)
    # A pair of two queried projects is taken from its shorter side (then the lower
    # index) only, so it is filtered and scored once.
    queried = np.array([i < n_changed for i in members])
    whole = n_changed >= len(projects)
    left: list[np.ndarray] = []
    right: list[np.ndarray] = []
    filtered = 0
    for block, qs in queries.items():
        cs = np.array(sorted(choices[block], key=lambda j: len(narrow[j])), dtype=np.int64)
        lengths = length[cs]
        qs = sorted(qs, key=lambda j: len(narrow[j]))
        for bucket in _length_runs(qs, narrow):
            # |la − lb| <= (la + lb) / 20: lb within [19/21, 21/19] of la
            shortest = len(narrow[bucket[0]])
            lo = np.searchsorted(lengths, shortest if whole else shortest * 19 // 21 - 1,
                                 "left")
            hi = np.searchsorted(lengths, len(narrow[bucket[-1]]) * 21 // 19 + 1, "right")
            window = cs[lo:hi]
            if not len(window):
                continue
            q = np.array(bucket, dtype=np.int64)
            # Each insertion or deletion moves one character's count by one, so the
            # Indel distance is at least the L1 distance of the character counts, and
            # of counts merged into bins: most pairs stop at a few coarse bins, the
            # rest at finer ones.
            room = length[q][:, None] + length[window][None, :]
            filtered += room.size
            apart = np.abs(coarse[q][:, None, :] - coarse[window][None, :, :]).sum(2)
            later = ((length[window][None, :] > length[q][:, None])
                     | ((length[window][None, :] == length[q][:, None])
                        & (window[None, :] > q[:, None])))
            r, c = np.nonzero((20 * apart.astype(np.int32) <= room)
                              & (agency[q][:, None] != agency[window][None, :])
                              & (later | ~queried[window][None, :]))
            a, b = q[r], window[c]
            keep = 20 * np.abs(hist[a] - hist[b]).sum(1, dtype=np.int32) <= room[r, c]
            left.append(a[keep])
            right.append(b[keep])
    found: dict[tuple[str, str], dict] = {}
    if stats is not None:
        stats["filtered"] = filtered
        stats["scored"] = sum(map(len, left))
    if left:
        a_idx, b_idx = np.concatenate(left), np.concatenate(right)
        scores = process.cpdist([narrow[i] for i in a_idx], [narrow[i] for i in b_idx],
                                scorer=fuzz.ratio, score_cutoff=SIMILARITY_CUTOFF - 1,
                                dtype=np.float64, workers=-1)
        for k in np.flatnonzero(scores >= SIMILARITY_CUTOFF):
            _add_pair(found, projects, narrow, members, int(a_idx[k]), int(b_idx[k]),
                      float(scores[k]))
    return sorted(found.values(), key=lambda d: (d["project_id_a"], d["project_id_b"]))


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
