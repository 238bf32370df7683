"""Cross-agency duplicate candidates: listed for review, never dropped."""

from __future__ import annotations

from collections import defaultdict

from rapidfuzz import fuzz, process

from stiplan.assets.text import compact_key, numbers_in

SIMILARITY_CUTOFF = 95.0
CHUNK = 2000


def find_candidates(projects: list[dict]) -> list[dict]:
    """projects: dicts with project_id, agency_code, fiscal_year, project_name,
    province_codes (tuple), nationwide. Pairs of different agencies of one fiscal
    year that share a province and whose compact names are equal or nearly so."""
    groups: dict[tuple[int, str], list[int]] = defaultdict(list)
    keys = [compact_key(p["project_name"]) for p in projects]
    numbers = [numbers_in(p["project_name"]) for p in projects]
    for i, p in enumerate(projects):
        if p["nationwide"]:
            continue  # a nationwide project shares no province
        for code in p["province_codes"]:
            groups[(p["fiscal_year"], code)].append(i)
    found: dict[tuple[str, str], dict] = {}
    for members in groups.values():
        if len({projects[i]["agency_code"] for i in members}) < 2:
            continue
        names = [keys[i] for i in members]
        for start in range(0, len(names), CHUNK):
            # cdist runs in C++ on both cores; chunks bound the score matrix's memory.
            scores = process.cdist(names[start:start + CHUNK], names, scorer=fuzz.ratio,
                                   score_cutoff=SIMILARITY_CUTOFF, workers=-1)
            for a_off, b_pos in zip(*scores.nonzero(), strict=True):
                a_pos = start + a_off
                if a_pos < b_pos:
                    _add_pair(found, projects, keys, numbers, members[a_pos], members[b_pos],
                              float(scores[a_off, b_pos]))
    return sorted(found.values(), key=lambda d: (d["project_id_a"], d["project_id_b"]))


def _add_pair(found, projects, keys, numbers, a, b, score) -> None:
    pa, pb = projects[a], projects[b]
    if pa["agency_code"] == pb["agency_code"] or numbers[a] != numbers[b] or not keys[a]:
        return  # same agency, or names that differ in a number (ระยะที่ 2 / 3): not candidates
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
