"""Benchmark: the cross-agency duplicate-candidate search, indexed vs. brute force.

    .venv/bin/python benchmarks/candidates.py [--sizes 10000,40000,160000,1000000]
                                              [--old-max 160000] [--seed 2555]

Builds a synthetic plan of SIZE projects (16 agencies; Thai names from the word
lists of benchmarks/consolidate.py; 1-3 of the 77 province codes each; ~0.25 %
joint projects listed by 2-3 agencies, half of the copies slightly misspelt) and
times `find_candidates` (the indexed search) and, up to --old-max projects, the
former search (every pair of a province within a length window, with the former
per-character compact_key), printing seconds, pairs found and pairs scored.
Where both ran, their pairs must be equal (exit status 1 otherwise).
"""

from __future__ import annotations

import argparse
import bisect
import csv
import random
import sys
import time
import unicodedata
from collections import defaultdict
from pathlib import Path

from rapidfuzz import fuzz, process

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import consolidate as vocab  # noqa: E402  (word lists only)

from stiplan.assets import candidates  # noqa: E402
from stiplan.assets.text import clean_text, normalise_name, thai_to_arabic_digits  # noqa: E402

PROVINCES = [r["iso_code"] for r in csv.DictReader(
    (HERE.parent / "schemas" / "data" / "provinces.csv").open(encoding="utf-8"))]
AGENCIES = list(vocab.THEMES)
FISCAL_YEAR = 2555


def _typo(name: str, rng: random.Random) -> str:
    """One character dropped, doubled or changed: a misspelling."""
    i = rng.randrange(len(name))
    return rng.choice([name[:i] + name[i + 1:], name[:i] + name[i] + name[i:],
                       name[:i] + "ก" + name[i + 1:]])


def corpus(size: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    per_agency = size // len(AGENCIES)
    projects: list[dict] = []
    seen: dict[str, set[str]] = {code: set() for code in AGENCIES}

    def name_for(code: str) -> str:
        themes = vocab.THEMES[code] + vocab.GENERIC_THEMES[:1]
        while True:
            parts = [rng.choice(vocab.ACTIONS) + rng.choice(themes), rng.choice(vocab.PURPOSES),
                     rng.choice(vocab.TARGETS), rng.choice(vocab.QUALIFIERS)]
            name = " ".join(p for p in parts if p)
            if rng.random() < 0.5:
                name = "โครงการ" + name
            if name not in seen[code]:
                seen[code].add(name)
                return name

    def add(code: str, name: str, provinces: tuple[str, ...]) -> None:
        projects.append({
            "project_id": f"{code}-{FISCAL_YEAR}-{len(projects):07d}", "agency_code": code,
            "fiscal_year": FISCAL_YEAR, "project_name": name,
            "province_codes": provinces, "nationwide": False})

    # joint projects: ~0.25 % of all rows, each listed by 2-3 agencies
    for _ in range(max(1, size // 1000)):
        owners = rng.sample(AGENCIES, rng.choice((2, 2, 3)))
        name = name_for(owners[0])
        provinces = tuple(sorted(rng.sample(PROVINCES, rng.choice((1, 1, 2)))))
        for code in owners:
            copy = name
            if rng.random() < 0.5:
                copy = (vocab._near_variant(name, rng) if rng.random() < 0.5
                        else _typo(name, rng))
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

def _old_compact_key(value: object) -> str:
    return "".join(ch for ch in normalise_name(value)
                   if not (ch.isspace() or ch == "ฯ" or unicodedata.category(ch)[0] in "PS"))


def _old_numbers_in(value: object) -> tuple[str, ...]:
    import re
    return tuple(re.findall(r"[0-9]+", thai_to_arabic_digits(clean_text(value))))


_OLD_NARROW = {cp: cp - 0x0E00 + 0x80 for cp in range(0x0E00, 0x0E80)}


def old_find_candidates(projects: list[dict], stats: dict) -> set[tuple[str, str]]:
    """The former search (as of the commit before the index), pairs only."""
    keys = [_old_compact_key(p["project_name"]) for p in projects]
    narrow = [k.translate(_OLD_NARROW) for k in keys]
    numbers = [_old_numbers_in(p["project_name"]) for p in projects]
    groups: dict = defaultdict(lambda: defaultdict(list))
    for i, p in enumerate(projects):
        if p["nationwide"] or not keys[i]:
            continue
        for code in p["province_codes"]:
            groups[(p["fiscal_year"], code)][p["agency_code"]].append(i)
    found: set[tuple[str, str]] = set()
    scored = 0
    for by_agency in groups.values():
        agencies = sorted(by_agency)
        for pos, agency in enumerate(agencies[:-1]):
            others = sorted((i for a in agencies[pos + 1:] for i in by_agency[a]),
                            key=lambda i: len(narrow[i]))
            other_lens = [len(narrow[i]) for i in others]
            members = sorted(by_agency[agency], key=lambda i: len(narrow[i]))
            buckets: list[list[int]] = []
            for i in members:
                if buckets and (len(narrow[i]) <= len(narrow[buckets[-1][0]]) * 1.1
                                and len(buckets[-1]) < 1024):
                    buckets[-1].append(i)
                else:
                    buckets.append([i])
            for queries in buckets:
                lo = bisect.bisect_left(other_lens, len(narrow[queries[0]]) * 0.9)
                hi = bisect.bisect_right(other_lens, len(narrow[queries[-1]]) / 0.9)
                if lo >= hi:
                    continue
                choices = others[lo:hi]
                scored += len(queries) * len(choices)
                scores = process.cdist([narrow[i] for i in queries],
                                       [narrow[i] for i in choices], scorer=fuzz.ratio,
                                       score_cutoff=95.0, workers=-1)
                for q, c in zip(*scores.nonzero(), strict=True):
                    a, b = queries[q], choices[c]
                    if numbers[a] == numbers[b]:
                        found.add(tuple(sorted((projects[a]["project_id"],
                                                projects[b]["project_id"]))))
    stats["scored"] = scored
    return found


# ----------------------------------------------------------------------------- main

def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="10000,40000,160000,1000000",
                    help="comma-separated corpus sizes (projects)")
    ap.add_argument("--old-max", type=int, default=160_000,
                    help="largest size the former search is timed on")
    ap.add_argument("--seed", type=int, default=2555)
    args = ap.parse_args()
    ok = True
    print(f"{'projects':>10} {'method':>8} {'seconds':>8} {'pairs':>8} {'scored':>14} "
          f"{'count-filtered':>15}")
    for size in (int(s) for s in args.sizes.split(",")):
        projects = corpus(size, args.seed)
        stats: dict = {}
        t0 = time.perf_counter()
        new = candidates._search(projects, len(projects), stats)
        seconds = time.perf_counter() - t0
        new_pairs = {(c["project_id_a"], c["project_id_b"]) for c in new}
        print(f"{len(projects):>10,} {'stiplan':>8} {seconds:>8.2f} {len(new_pairs):>8,} "
              f"{stats['scored']:>14,} {stats['filtered']:>15,}", flush=True)
        if size <= args.old_max:
            old_stats: dict = {}
            t0 = time.perf_counter()
            old_pairs = old_find_candidates(projects, old_stats)
            seconds = time.perf_counter() - t0
            same = old_pairs == new_pairs
            ok &= same
            print(f"{len(projects):>10,} {'former':>8} {seconds:>8.2f} {len(old_pairs):>8,} "
                  f"{old_stats['scored']:>14,}  {'same pairs' if same else 'PAIRS DIFFER'}",
                  flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
