"""The cross-agency candidate search prunes for speed; it must find exactly what
comparing every pair would find."""

from __future__ import annotations

import random

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rapidfuzz import fuzz
from rapidfuzz.distance import Indel

from stiplan.assets.consolidate.candidates import (
    _COARSE,
    _bin_counts,
    find_candidates,
    find_candidates_between,
)
from stiplan.assets.ingest.text import compact_key, numbers_in

WORDS = [
    "โครงการ",
    "พัฒนา",
    "เกษตร",
    "อัจฉริยะ",
    "น้ำ",
    "ชุมชน",
    "วิทยาศาสตร์",
    "เทคโนโลยี",
    "ถ่ายทอด",
    "ระบบ",
    "เตือนภัย",
    "ครู",
    "นักเรียน",
    "Smart",
    "ระยะที่ 2",
    "ปี 2555",
]
AGENCIES = ["NSTDA", "DSS", "TISTR", "OPS"]
PROVINCES = ["TH-10", "TH-50", "TH-51", "TH-30"]


def brute_force(projects):
    out = set()
    for i, a in enumerate(projects):
        for b in projects[i + 1 :]:
            if (
                a["agency_code"] == b["agency_code"]
                or a["fiscal_year"] != b["fiscal_year"]
                or a["nationwide"]
                or b["nationwide"]
                or not set(a["province_codes"]) & set(b["province_codes"])
                or numbers_in(a["project_name"]) != numbers_in(b["project_name"])
            ):
                continue
            ka, kb = compact_key(a["project_name"]), compact_key(b["project_name"])
            if ka and fuzz.ratio(ka, kb) >= 95:
                out.add(tuple(sorted((a["project_id"], b["project_id"]))))
    return out


def mutate(name: str, rng: random.Random) -> str:
    """A near copy: a character dropped, doubled or changed, or spacing."""
    i = rng.randrange(len(name))
    return rng.choice(
        [
            name[:i] + name[i + 1 :],
            name[:i] + name[i] + name[i:],
            name[:i] + "ก" + name[i + 1 :],
            name.replace(" ", ""),
            " " + name,
        ]
    )


def test_pruned_search_equals_brute_force():
    rng = random.Random(7)
    projects = []
    for n in range(600):
        if projects and rng.random() < 0.4:
            base = rng.choice(projects)["project_name"]
            name = mutate(base, rng)
        else:
            name = " ".join(rng.sample(WORDS, rng.randint(2, 8)))
        projects.append(
            {
                "project_id": f"p{n:04d}",
                "agency_code": rng.choice(AGENCIES),
                "fiscal_year": rng.choice([2555, 2556]),
                "project_name": name,
                "nationwide": rng.random() < 0.05,
                "province_codes": tuple(sorted(rng.sample(PROVINCES, rng.randint(1, 2)))),
            }
        )
    expected = brute_force(projects)
    found = {(c["project_id_a"], c["project_id_b"]) for c in find_candidates(projects)}
    assert len(expected) > 50  # the corpus really holds near pairs of every kind
    assert found == expected


# --- more pins to brute force ----------------------------------------------------------------


def brute_force_rows(projects):
    """Every candidate row, by comparing every pair (the specification)."""
    rows = {}
    keys = [compact_key(p["project_name"]) for p in projects]
    numbers = [numbers_in(p["project_name"]) for p in projects]
    for i, a in enumerate(projects):
        for j in range(i + 1, len(projects)):
            b, ka, kb = projects[j], keys[i], keys[j]
            if (
                a["agency_code"] == b["agency_code"]
                or a["fiscal_year"] != b["fiscal_year"]
                or a["nationwide"]
                or b["nationwide"]
                or not ka
                or not set(a["province_codes"]) & set(b["province_codes"])
                or numbers[i] != numbers[j]
            ):
                continue
            score = fuzz.ratio(ka, kb)
            if score < 95:
                continue
            pa, pb = sorted((a, b), key=lambda p: p["project_id"])
            rows[(pa["project_id"], pb["project_id"])] = {
                "project_id_a": pa["project_id"],
                "project_id_b": pb["project_id"],
                "similarity": 100.0 if ka == kb else round(score, 2),
                "reason": "same name" if ka == kb else "nearly the same name",
                "fiscal_year": pa["fiscal_year"],
                "agency_code_a": pa["agency_code"],
                "agency_code_b": pb["agency_code"],
                "project_name_a": pa["project_name"],
                "project_name_b": pb["project_name"],
            }
    return [rows[k] for k in sorted(rows)]


def project(n, name, agency, provinces=("TH-10",), year=2555, nationwide=False):
    return {
        "project_id": f"p{n:05d}",
        "agency_code": agency,
        "fiscal_year": year,
        "project_name": name,
        "province_codes": tuple(provinces),
        "nationwide": nationwide,
    }


LATIN = ["smart", "farm", "water", "sensor", "network", "phase", "school", "data", "iot"]


def typo(name: str, rng: random.Random, alphabet: str) -> str:
    i = rng.randrange(len(name) + 1)
    j = min(i, len(name) - 1)
    return rng.choice(
        [
            name[:i] + name[i + 1 :],
            name[:i] + rng.choice(alphabet) + name[i:],
            name[:j] + rng.choice(alphabet) + name[j + 1 :],
        ]
    )


def test_big_corpus_of_near_duplicates_equals_brute_force():
    rng = random.Random(2555)
    projects = []
    for n in range(1500):
        if projects and rng.random() < 0.5:  # a near copy, 1-4 edits away
            name = rng.choice(projects)["project_name"]
            for _ in range(rng.randint(1, 4)):
                name = typo(name, rng, "กขาิ่ aeo1")
        else:
            words = WORDS + LATIN
            name = " ".join(rng.choice(words) for _ in range(rng.randint(1, 9)))
        projects.append(
            project(
                n,
                name,
                rng.choice(AGENCIES + ["NIA", "HAII"]),
                rng.sample(PROVINCES, rng.randint(1, 3)),
                rng.choice([2555, 2556]),
                rng.random() < 0.03,
            )
        )
    expected = brute_force_rows(projects)
    assert len(expected) > 150
    assert sum(r["reason"] == "nearly the same name" for r in expected) > 100
    assert find_candidates(projects) == expected


def test_short_names_below_the_filter_length():
    names = [
        "ก",
        "ก",
        "ข",
        "กข",
        "กข",
        "ab",
        "ab",
        "a",
        "abc",
        "abc",
        "abd",
        "x1",
        "x1",
        "ฯ",
        ".",
        "๑",
        "1",
    ]
    projects = [project(n, name, AGENCIES[n % 4]) for n, name in enumerate(names)]
    expected = brute_force_rows(projects)
    assert {(r["project_name_a"], r["project_name_b"]) for r in expected} >= {
        ("ก", "ก"),
        ("กข", "กข"),
        ("ab", "ab"),
        ("abc", "abc"),
        ("x1", "x1"),
    }
    assert find_candidates(projects) == expected


def test_names_differing_only_in_numbers_are_not_candidates():
    projects = [
        project(0, "โครงการพัฒนาระบบเตือนภัยพิบัติ ระยะที่ 2", "DSS"),
        project(1, "โครงการพัฒนาระบบเตือนภัยพิบัติ ระยะที่ 3", "OPS"),
        project(2, "โครงการพัฒนาระบบเตือนภัยพิบัติ ระยะที่ ๒", "NIA"),
        project(3, "โครงการพัฒนาระบบเตือนภัยพิบัต ระยะที่ 2", "HAII"),
        project(4, "โครงการพัฒนาระบบเตือนภัยพิบัติ ระยะที่ 21", "TISTR"),
    ]
    found = {(c["project_id_a"], c["project_id_b"]) for c in find_candidates(projects)}
    assert found == {("p00000", "p00002"), ("p00000", "p00003"), ("p00002", "p00003")}
    assert find_candidates(projects) == brute_force_rows(projects)


def test_repeated_qgrams():
    rng = random.Random(3)
    bases = [
        "กกกกกกกกกกกกกกกกกกกกกกกกกกกกกก",
        "abababababababababababababababab",
        "นานานานานานานานานานานานานานานานา",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    ]
    projects = []
    for n in range(200):
        name = rng.choice(bases)
        for _ in range(rng.randint(0, 3)):
            name = typo(name, rng, "กนาab")
        projects.append(project(n, name, rng.choice(AGENCIES)))
    expected = brute_force_rows(projects)
    assert len(expected) > 100
    assert find_candidates(projects) == expected


def test_boundary_ratio_exactly_95_and_just_below():
    a20, a30 = "abcdefghijklmnopqrst", "กขฃคฅฆงจฉชซฌญฎฏฐฑฒณดตถทธนบปผฝพ"
    a40 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmn"
    a40 = a40.lower().replace("a", "1").replace("b", "2")  # compact keys are casefolded
    a50 = "abcdefghijklmnopqrstuvwxyz0123456789กขฃคฅฆงจฉชซฌญฎ"
    exact = [
        (a20, a20[:7] + "z" + a20[8:]),  # 1 substitution: indel 2 over 40
        (a40, a40[:5] + "ๆ" + a40[6:30] + "ๆ" + a40[31:]),
    ]  # indel 4 over 80
    below = [
        (a30, a30[:4] + a30[5:20] + "ห" + a30[21:]),  # indel 3 over 59
        (a50, a50[:5] + a50[6:12] + "ๆ" + a50[12:20] + a50[21:35] + a50[36:44] + "ๆ" + a50[44:]),
    ]  # 3 deletions and 2 insertions, spread: indel 5 over 99
    for x, y in exact:
        assert fuzz.ratio(compact_key(x), compact_key(y)) == 95.0
    for x, y in below:
        assert 94.9 < fuzz.ratio(compact_key(x), compact_key(y)) < 95.0
    projects = []
    for x, y in exact + below:
        projects += [project(len(projects), x, "DSS"), project(len(projects) + 1, y, "OPS")]
    found = find_candidates(projects)
    assert [(c["project_name_a"], c["project_name_b"], c["similarity"]) for c in found] == [
        (x, y, 95.0) for x, y in exact
    ]
    assert found == brute_force_rows(projects)


@settings(
    max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(st.data())
def test_index_equals_brute_force_on_small_random_corpora(data):
    alphabet = data.draw(st.sampled_from(["กขา่ิ ", "ab1 .", "กขab ฯ๑1", "นาน้ำ"]))
    bases = data.draw(st.lists(st.text(alphabet, min_size=0, max_size=70), min_size=1, max_size=4))
    projects = []
    for n in range(data.draw(st.integers(2, 25))):
        name = data.draw(st.sampled_from(bases))
        for _ in range(data.draw(st.integers(0, 4))):
            i = data.draw(st.integers(0, len(name)))
            op = data.draw(st.sampled_from(["insert", "delete", "replace"]))
            ch = data.draw(st.sampled_from(alphabet))
            name = (
                name[:i] + ch + name[i:]
                if op == "insert"
                else name[:i] + name[i + 1 :]
                if op == "delete"
                else name[:i] + ch + name[i + 1 :]
            )
        projects.append(
            project(
                n,
                name,
                data.draw(st.sampled_from(AGENCIES[:3])),
                data.draw(
                    st.lists(st.sampled_from(PROVINCES[:3]), min_size=1, max_size=2, unique=True)
                ),
                data.draw(st.sampled_from([2555, 2556])),
                data.draw(st.booleans()) and n % 7 == 0,
            )
        )
    assert find_candidates(projects) == brute_force_rows(projects)
    # the review split by provinces between processes finds the same pairs
    part = set(data.draw(st.lists(st.sampled_from(PROVINCES[:3]), unique=True)))
    halves = {
        (c["project_id_a"], c["project_id_b"]): c
        for provinces in (part, set(PROVINCES[:3]) - part)
        for c in find_candidates(projects, provinces)
    }
    assert [halves[k] for k in sorted(halves)] == find_candidates(projects)


@settings(max_examples=300, deadline=None, database=None)
@given(st.text("กขคab1", min_size=1, max_size=60), st.data())
def test_count_bound_holds(a, data):
    """The filter the search relies on: the Indel distance is at least the L1
    distance of the binned character counts, coarse or fine, whatever the edits."""
    b = a
    for _ in range(data.draw(st.integers(0, 8))):
        i = data.draw(st.integers(0, len(b)))
        ch = data.draw(st.sampled_from("กขคab1ง"))
        b = data.draw(st.sampled_from([b[:i] + ch + b[i:], b[:i] + b[i + 1 :]]))
    narrow = [a, b or "x"]
    hist = _bin_counts(narrow)
    coarse = hist.reshape(2, -1, _COARSE).sum(1)
    d = Indel.distance(*narrow)
    assert int(np.abs(hist[0] - hist[1]).sum()) <= d
    assert int(np.abs(coarse[0] - coarse[1]).sum()) <= d


def test_between_equals_brute_force_touching_the_changed_projects():
    rng = random.Random(11)
    projects = []
    for n in range(700):
        if projects and rng.random() < 0.4:
            name = mutate(rng.choice(projects)["project_name"], rng)
        else:
            name = " ".join(rng.sample(WORDS, rng.randint(2, 8)))
        projects.append(
            project(n, name, rng.choice(AGENCIES), rng.sample(PROVINCES, rng.randint(1, 2)))
        )
    changed = [p for p in projects if p["agency_code"] == "DSS"]
    others = [p for p in projects if p["agency_code"] != "DSS"]
    ids = {p["project_id"] for p in changed}
    expected = [
        r
        for r in brute_force_rows(projects)
        if r["project_id_a"] in ids or r["project_id_b"] in ids
    ]
    assert 20 < len(expected) < len(brute_force_rows(projects))
    assert find_candidates_between(changed, others) == expected
    # the old version of a changed project, still among the others, is replaced
    stale = dict(changed[0], project_name="ชื่อเดิม")
    assert find_candidates_between(changed, others + [stale]) == expected
    # a few changed projects of several agencies, pairs among them included
    few = projects[:40]
    few_ids = {p["project_id"] for p in few}
    expected = [
        r
        for r in brute_force_rows(projects)
        if r["project_id_a"] in few_ids or r["project_id_b"] in few_ids
    ]
    assert find_candidates_between(few, projects[40:]) == expected
    assert find_candidates_between([], projects) == []
    assert find_candidates_between(projects, []) == find_candidates(projects)


def test_a_few_changed_projects_as_arrow_tables_give_the_brute_force_pairs():
    """The merge passes the shares' projects as Arrow tables; a few changed projects
    among many others probe with raised keys instead of the others probing with
    lowered ones. Same pairs as the brute force, either way."""
    import pyarrow as pa

    from stiplan.assets.consolidate.candidates import REVIEW_COLUMNS, review_keys_of

    rng = random.Random(12)
    projects = []
    for n in range(900):
        if projects and rng.random() < 0.4:
            name = mutate(rng.choice(projects)["project_name"], rng)
        else:
            name = " ".join(rng.sample(WORDS, rng.randint(3, 8)))
        projects.append(
            project(n, name, rng.choice(AGENCIES), rng.sample(PROVINCES, rng.randint(1, 2)))
        )

    def table(rows):
        keys = review_keys_of([p["project_name"] for p in rows])
        return pa.table(
            {
                **{c: [p[c] for p in rows] for c in REVIEW_COLUMNS[:5]},
                "province_codes": [list(p["province_codes"]) for p in rows],
                "review_key": [k for k, _ in keys],
                "name_numbers": [list(nums) for _, nums in keys],
            }
        )

    for changed in (projects[:12], [p for p in projects if p["agency_code"] == "OPS"]):
        ids = {p["project_id"] for p in changed}
        others = [p for p in projects if p["project_id"] not in ids]
        expected = [
            r
            for r in brute_force_rows(projects)
            if r["project_id_a"] in ids or r["project_id_b"] in ids
        ]
        assert expected
        assert find_candidates_between(changed, others) == expected
        assert find_candidates_between(table(changed), table(others)) == expected
