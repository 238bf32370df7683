"""Cross-agency duplicate candidates: listed for review, never dropped."""

from __future__ import annotations

import bisect
from collections import defaultdict

from rapidfuzz import fuzz, process

from stiplan.assets.text import compact_key, numbers_in

SIMILARITY_CUTOFF = 95.0
CHUNK = 1024
# ratio >= 95 means indel <= 5% of both lengths, so the shorter name is at least
# 0.905 of the longer: no need to score pairs further apart in length.
LENGTH_RATIO = 0.9
BUCKET_SPREAD = 1.1
# Thai code points (U+0E00-U+0E7F) relabelled into one byte: the same equalities,
# so the same ratio, but rapidfuzz takes its fast byte-table path.
_NARROW = {cp: cp - 0x0E00 + 0x80 for cp in range(0x0E00, 0x0E80)}


def find_candidates(projects: list[dict]) -> list[dict]:
    """projects: dicts with project_id, agency_code, fiscal_year, project_name,
    province_codes (tuple), nationwide. Pairs of different agencies of one fiscal
    year that share a province and whose compact names are equal or nearly so
    (rapidfuzz ratio >= 95); names that differ in a number are different projects."""
    keys = [compact_key(p["project_name"]) for p in projects]
    narrow = [k.translate(_NARROW) for k in keys]
    numbers = [numbers_in(p["project_name"]) for p in projects]
    groups: dict[tuple[int, str], dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for i, p in enumerate(projects):
        if p["nationwide"] or not keys[i]:
            continue  # a nationwide project shares no province
        for code in p["province_codes"]:
            groups[(p["fiscal_year"], code)][p["agency_code"]].append(i)
    found: dict[tuple[str, str], dict] = {}
    for by_agency in groups.values():
        agencies = sorted(by_agency)
        for pos, agency in enumerate(agencies[:-1]):
            # each cross-agency pair once: this agency against the ones after it
            others = sorted((i for a in agencies[pos + 1:] for i in by_agency[a]),
                            key=lambda i: len(narrow[i]))
            other_lens = [len(narrow[i]) for i in others]
            for queries in _length_buckets(by_agency[agency], narrow):
                lo = bisect.bisect_left(other_lens, len(narrow[queries[0]]) * LENGTH_RATIO)
                hi = bisect.bisect_right(other_lens, len(narrow[queries[-1]]) / LENGTH_RATIO)
                if lo >= hi:
                    continue
                choices = others[lo:hi]
                scores = process.cdist([narrow[i] for i in queries],
                                       [narrow[i] for i in choices], scorer=fuzz.ratio,
                                       score_cutoff=SIMILARITY_CUTOFF, workers=-1)
                for q, c in zip(*scores.nonzero(), strict=True):
                    _add_pair(found, projects, keys, numbers, queries[q], choices[c],
                              float(scores[q, c]))
    return sorted(found.values(), key=lambda d: (d["project_id_a"], d["project_id_b"]))


def _length_buckets(members: list[int], narrow: list[str]) -> list[list[int]]:
    """Members in runs of similar length (within BUCKET_SPREAD), so that each run's
    length window stays narrow and prunes most of the other agencies' names."""
    members = sorted(members, key=lambda i: len(narrow[i]))
    buckets: list[list[int]] = []
    for i in members:
        if buckets and (len(narrow[i]) <= len(narrow[buckets[-1][0]]) * BUCKET_SPREAD
                        and len(buckets[-1]) < CHUNK):
            buckets[-1].append(i)
        else:
            buckets.append([i])
    return buckets


def _add_pair(found, projects, keys, numbers, a, b, score) -> None:
    pa, pb = projects[a], projects[b]
    if numbers[a] != numbers[b]:
        return  # ระยะที่ 2 / ระยะที่ 3: different projects
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
