"""The cross-agency candidate search prunes for speed; it must find exactly what
comparing every pair would find."""

from __future__ import annotations

import random

from rapidfuzz import fuzz

from stiplan.assets.candidates import find_candidates
from stiplan.assets.text import compact_key, numbers_in

WORDS = ["โครงการ", "พัฒนา", "เกษตร", "อัจฉริยะ", "น้ำ", "ชุมชน", "วิทยาศาสตร์", "เทคโนโลยี",
         "ถ่ายทอด", "ระบบ", "เตือนภัย", "ครู", "นักเรียน", "Smart", "ระยะที่ 2", "ปี 2555"]
AGENCIES = ["NSTDA", "DSS", "TISTR", "OPS"]
PROVINCES = ["TH-10", "TH-50", "TH-51", "TH-30"]


def brute_force(projects):
    out = set()
    for i, a in enumerate(projects):
        for b in projects[i + 1:]:
            if (a["agency_code"] == b["agency_code"] or a["fiscal_year"] != b["fiscal_year"]
                    or a["nationwide"] or b["nationwide"]
                    or not set(a["province_codes"]) & set(b["province_codes"])
                    or numbers_in(a["project_name"]) != numbers_in(b["project_name"])):
                continue
            ka, kb = compact_key(a["project_name"]), compact_key(b["project_name"])
            if ka and fuzz.ratio(ka, kb) >= 95:
                out.add(tuple(sorted((a["project_id"], b["project_id"]))))
    return out


def mutate(name: str, rng: random.Random) -> str:
    """A near copy: a character dropped, doubled or changed, or spacing."""
    i = rng.randrange(len(name))
    return rng.choice([name[:i] + name[i + 1:], name[:i] + name[i] + name[i:],
                       name[:i] + "ก" + name[i + 1:], name.replace(" ", ""), " " + name])


def test_pruned_search_equals_brute_force():
    rng = random.Random(7)
    projects = []
    for n in range(600):
        if projects and rng.random() < 0.4:
            base = rng.choice(projects)["project_name"]
            name = mutate(base, rng)
        else:
            name = " ".join(rng.sample(WORDS, rng.randint(2, 8)))
        projects.append({
            "project_id": f"p{n:04d}", "agency_code": rng.choice(AGENCIES),
            "fiscal_year": rng.choice([2555, 2556]), "project_name": name,
            "nationwide": rng.random() < 0.05,
            "province_codes": tuple(sorted(rng.sample(PROVINCES, rng.randint(1, 2))))})
    expected = brute_force(projects)
    found = {(c["project_id_a"], c["project_id_b"]) for c in find_candidates(projects)}
    assert len(expected) > 50  # the corpus really holds near pairs of every kind
    assert found == expected
