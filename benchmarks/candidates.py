"""Benchmark: the cross-agency duplicate-candidate search, indexed vs. the former search.

    .venv/bin/python benchmarks/candidates.py [--sizes 10000,40000,160000,1000000]
                                              [--old-max 160000] [--seed 2555] [--quarter]

Builds a synthetic plan of SIZE projects (16 agencies; Thai names from the word
lists of benchmarks/consolidate.py; 1-3 of the 77 province codes each; ~0.25 %
joint projects listed by 2-3 agencies, half of the copies slightly misspelt) and
times the search of `find_candidates` (the bin-group index), with --quarter also its
part for every 4th province (what one review child searches), and, up to --old-max
projects, the former search (every pair of a block within a length window, through
count bounds). The review keys are computed beforehand, as the merge keeps them with each
share. Printed: seconds, pairs found, pairs the index listed, pairs checked on
counts and pairs scored by rapidfuzz. Where both ran, their pairs must be equal (exit
status 1 otherwise).
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import time
from collections import defaultdict
from collections.abc import Collection
from pathlib import Path

import numpy as np
from rapidfuzz import fuzz, process

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import consolidate as vocab  # noqa: E402  (word lists only)

from stiplan.assets.consolidate import candidates  # noqa: E402

PROVINCES = [
    r["iso_code"]
    for r in csv.DictReader(
        (HERE.parent / "schemas" / "data" / "provinces.csv").open(encoding="utf-8")
    )
]
AGENCIES = list(vocab.THEMES)
FISCAL_YEAR = 2555


def _typo(name: str, rng: random.Random) -> str:
    """One character dropped, doubled or changed: a misspelling."""
    i = rng.randrange(len(name))
    return rng.choice(
        [name[:i] + name[i + 1 :], name[:i] + name[i] + name[i:], name[:i] + "ก" + name[i + 1 :]]
    )


def corpus(size: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    per_agency = size // len(AGENCIES)
    projects: list[dict] = []
    seen: dict[str, set[str]] = {code: set() for code in AGENCIES}

    def name_for(code: str) -> str:
        themes = vocab.THEMES[code] + vocab.GENERIC_THEMES[:1]
        while True:
            parts = [
                rng.choice(vocab.ACTIONS) + rng.choice(themes),
                rng.choice(vocab.PURPOSES),
                rng.choice(vocab.TARGETS),
                rng.choice(vocab.QUALIFIERS),
            ]
            name = " ".join(p for p in parts if p)
            if rng.random() < 0.5:
                name = "โครงการ" + name
            if name not in seen[code]:
                seen[code].add(name)
                return name

    def add(code: str, name: str, provinces: tuple[str, ...]) -> None:
        projects.append(
            {
                "project_id": f"{code}-{FISCAL_YEAR}-{len(projects):07d}",
                "agency_code": code,
                "fiscal_year": FISCAL_YEAR,
                "project_name": name,
                "province_codes": provinces,
                "nationwide": False,
            }
        )

    # joint projects: ~0.25 % of all rows, each listed by 2-3 agencies
    for _ in range(max(1, size // 1000)):
        owners = rng.sample(AGENCIES, rng.choice((2, 2, 3)))
        name = name_for(owners[0])
        provinces = tuple(sorted(rng.sample(PROVINCES, rng.choice((1, 1, 2)))))
        for code in owners:
            copy = name
            if rng.random() < 0.5:
                copy = vocab._near_variant(name, rng) if rng.random() < 0.5 else _typo(name, rng)
            add(code, copy, provinces)
    counts = defaultdict(int)
    for p in projects:
        counts[p["agency_code"]] += 1
    for code in AGENCIES:
        for _ in range(per_agency - counts[code]):
            k = rng.choices((1, 2, 3), weights=(60, 25, 15))[0]
            add(code, name_for(code), tuple(sorted(rng.sample(PROVINCES, k))))
    return projects


# ----------------------------------------------------------------------------- the former search

# The search the index replaced (as of commit 7bc78bb): every query against every choice of
# its (year, numbers, province) block within a length window, through character-count
# bounds on 8 then 32 bins, then scored. Kept to time against and to check the pairs.


def _length_runs(
    members: list[int], narrow: list[str], spread: float = 1.1, most: int = 64
) -> list[list[int]]:
    """`members` (sorted by length) in runs of similar length, so that each run's length
    window stays narrow."""
    runs: list[list[int]] = []
    for j in members:
        if runs and len(narrow[j]) <= len(narrow[runs[-1][0]]) * spread and len(runs[-1]) < most:
            runs[-1].append(j)
        else:
            runs.append([j])
    return runs


_FORMER_BINS = 32
_FORMER_COARSE = 8  # bins of bins: _FORMER_BINS // _FORMER_COARSE fine bins each


def _histograms(narrow: list[str], length: np.ndarray, chunk: int = 8192) -> np.ndarray:
    """Per name, its characters counted into _FORMER_BINS bins (by code point); a chunk of
    names at a time, so the code points of a whole plan are never held at once."""
    n = len(narrow)
    out = np.zeros((n, _FORMER_BINS), dtype=np.int16)
    for start in range(0, n, chunk):
        part = narrow[start : start + chunk]
        codes = np.frombuffer("".join(part).encode("utf-32-le"), dtype=np.uint32) % _FORMER_BINS
        owner = np.repeat(np.arange(len(part), dtype=np.int32), length[start : start + chunk])
        counts = np.bincount(
            owner * _FORMER_BINS + codes.astype(np.int32), minlength=len(part) * _FORMER_BINS
        )
        out[start : start + len(part)] = counts.reshape(len(part), _FORMER_BINS)
    return out


def former_search(
    projects: list[dict],
    n_changed: int,
    stats: dict | None = None,
    provinces: Collection[str] | None = None,
) -> list[dict]:
    """Pairs touching the first n_changed projects (all of them for a whole review):
    each such project against the projects of its (year, numbers, province) blocks
    within the length window, through the count filter, then scored. `stats`
    (benchmarks) receives the number of pairs filtered and scored."""
    keyed: dict = {}
    wanted = {
        (p["fiscal_year"], code)
        for p in projects[:n_changed]
        if not p["nationwide"]
        for code in p["province_codes"]
        if provinces is None or code in provinces
    }
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
        key, nums = candidates._keys(p, keyed)
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
    agency = np.array(
        [agency_ids.setdefault(projects[i]["agency_code"], len(agency_ids)) for i in members],
        dtype=np.int64,
    )
    length = np.fromiter(map(len, narrow), dtype=np.int64, count=len(narrow))
    hist = _histograms(narrow, length)
    coarse = hist.reshape(len(hist), _FORMER_COARSE, -1).sum(2, dtype=np.int16)
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
            lo = np.searchsorted(lengths, shortest if whole else shortest * 19 // 21 - 1, "left")
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
            later = (length[window][None, :] > length[q][:, None]) | (
                (length[window][None, :] == length[q][:, None]) & (window[None, :] > q[:, None])
            )
            r, c = np.nonzero(
                (20 * apart.astype(np.int32) <= room)
                & (agency[q][:, None] != agency[window][None, :])
                & (later | ~queried[window][None, :])
            )
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
        scores = process.cpdist(
            [narrow[i] for i in a_idx],
            [narrow[i] for i in b_idx],
            scorer=fuzz.ratio,
            score_cutoff=candidates.SIMILARITY_CUTOFF - 1,
            dtype=np.float64,
            workers=-1,
        )
        for k in np.flatnonzero(scores >= candidates.SIMILARITY_CUTOFF):
            a, b = int(a_idx[k]), int(b_idx[k])
            candidates._add_pair(
                found,
                projects[members[a]],
                projects[members[b]],
                narrow[a] == narrow[b],
                float(scores[k]),
            )
    return sorted(found.values(), key=lambda d: (d["project_id_a"], d["project_id_b"]))


# ----------------------------------------------------------------------------- main


def _timed(
    search, projects, n_changed, stats=None, provinces=None
) -> tuple[float, set[tuple[str, str]], dict]:
    stats = {}
    t0 = time.perf_counter()
    found = search(projects, n_changed, stats, provinces)
    seconds = time.perf_counter() - t0
    return seconds, {(c["project_id_a"], c["project_id_b"]) for c in found}, stats


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--sizes",
        default="10000,40000,160000,1000000",
        help="comma-separated corpus sizes (projects)",
    )
    ap.add_argument(
        "--old-max", type=int, default=160_000, help="largest size the former search is timed on"
    )
    ap.add_argument("--seed", type=int, default=2555)
    ap.add_argument(
        "--quarter",
        action="store_true",
        help="also time the search of every 4th province (a review child's part)",
    )
    args = ap.parse_args()
    ok = True
    print(
        f"{'projects':>10} {'method':>8} {'seconds':>8} {'pairs':>8} {'listed':>14} "
        f"{'count-checked':>14} {'scored':>10}"
    )

    def row(size, method, seconds, pairs, stats, note=""):
        print(
            f"{size:>10,} {method:>8} {seconds:>8.2f} {len(pairs):>8,} "
            f"{stats.get('listed', 0):>14,} {stats['filtered']:>14,} {stats['scored']:>10,}"
            f"  {note}",
            flush=True,
        )

    for size in (int(s) for s in args.sizes.split(",")):
        projects = corpus(size, args.seed)
        # the merge gives every project its review keys (review_keys_of, share by share)
        for p, keys in zip(
            projects, candidates.review_keys_of([p["project_name"] for p in projects]), strict=True
        ):
            p["review_keys"] = keys
        seconds, new_pairs, stats = _timed(candidates._search, projects, len(projects))
        row(len(projects), "index", seconds, new_pairs, stats)
        if args.quarter:
            quarter = set(PROVINCES[::4])
            seconds, part, stats = _timed(
                candidates._search, projects, len(projects), None, quarter
            )
            where = {p["project_id"]: set(p["province_codes"]) & quarter for p in projects}
            expected = {(a, b) for a, b in new_pairs if where[a] & where[b]}
            ok &= part == expected
            row(
                len(projects),
                "quarter",
                seconds,
                part,
                stats,
                f"{len(quarter)} of {len(PROVINCES)} provinces; "
                + ("same pairs" if part == expected else "PAIRS DIFFER"),
            )
        if size <= args.old_max:
            seconds, old_pairs, stats = _timed(former_search, projects, len(projects))
            same = old_pairs == new_pairs
            ok &= same
            row(
                len(projects),
                "former",
                seconds,
                old_pairs,
                stats,
                "same pairs" if same else "PAIRS DIFFER",
            )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
