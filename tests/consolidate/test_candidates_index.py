"""The bin-group index lists the pairs to score; these pin it to comparing every pair,
on random corpora (short, equal, near and far names; Thai, Latin and beyond; several
blocks, agencies and length classes) and at the edge of the ratio for every length."""

from __future__ import annotations

import bisect
import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_candidates import brute_force_rows, project

from stiplan.assets.consolidate.candidates import (
    _groups,
    _length_classes,
    find_candidates,
    find_candidates_between,
)
from stiplan.assets.ingest.text import compact_key

ALPHABETS = ["กขคงจนมาิีเ่้", "abcdefgxyz", "กขาab ", "ab", "中文กa", "กขคabc-."]
AGENCIES = ["NSTDA", "DSS", "TISTR"]
PROVINCES = ["TH-10", "TH-50", "TH-51"]


def edited(name: str, edits: list[tuple[int, int, str]]) -> str:
    """`name` after each (kind, where, character) edit: insert, delete or replace."""
    for kind, where, ch in edits:
        i = where % (len(name) + 1)
        name = (
            name[:i] + ch + name[i:]
            if kind == 0 or not name
            else name[:i] + name[i + 1 :]
            if kind == 1
            else name[:i] + ch + name[i + 1 :]
        )
    return name


@st.composite
def corpora(draw) -> list[dict]:
    alphabet = draw(st.sampled_from(ALPHABETS))
    chars = st.sampled_from(alphabet)
    bases = draw(
        st.lists(
            st.one_of(
                st.text(chars, max_size=4),
                st.text(chars, max_size=40),
                st.text(chars, min_size=60, max_size=160),
            ),
            min_size=1,
            max_size=4,
        )
    )
    edit = st.tuples(st.integers(0, 2), st.integers(0, 10_000), chars)
    projects = []
    for n in range(draw(st.integers(2, 30))):
        name = draw(st.sampled_from(bases))
        # equal copies, 1-6 edits, or as many as the length allows near the ratio's edge
        most = draw(st.sampled_from([0, 1, 3, 6, max(1, len(name) // 10)]))
        name = edited(name, draw(st.lists(edit, max_size=most)))
        projects.append(
            project(
                n,
                name,
                draw(st.sampled_from(AGENCIES)),
                draw(st.lists(st.sampled_from(PROVINCES), min_size=1, max_size=2, unique=True)),
                draw(st.sampled_from([2555, 2556])),
                n % 9 == 8 and draw(st.booleans()),
            )
        )
    return projects


@settings(
    max_examples=250,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(corpora(), st.data())
def test_index_equals_brute_force(projects, data):
    expected = brute_force_rows(projects)
    assert find_candidates(projects) == expected
    # after a resubmission: the pairs touching the changed projects, and only those
    changed = data.draw(st.lists(st.sampled_from(projects), unique_by=lambda p: p["project_id"]))
    ids = {p["project_id"] for p in changed}
    others = [p for p in projects if p["project_id"] not in ids]
    assert find_candidates_between(changed, others) == [
        r for r in expected if r["project_id_a"] in ids or r["project_id_b"] in ids
    ]
    # a review split by provinces finds the same pairs
    part = set(data.draw(st.lists(st.sampled_from(PROVINCES), unique=True)))
    halves = {
        (c["project_id_a"], c["project_id_b"]): c
        for provinces in (part, set(PROVINCES) - part)
        for c in find_candidates(projects, provinces)
    }
    assert [halves[k] for k in sorted(halves)] == expected


def test_every_length_at_the_edge_of_the_ratio():
    """For every length up to 240, a name and its copy with as many insertions as a
    ratio of 95 allows (found) and one more (not), across the length classes."""
    rng = random.Random(95)
    alphabet = "กขคงจฉชซญดตถทธนบปผพภมยรลวสหอฮะาิีึืุูเแโใไ่้๊๋abcdefghijk"
    projects = []
    for la in range(1, 241):
        base = "".join(rng.choice(alphabet) for _ in range(la))
        for extra in (2 * la // 19, 2 * la // 19 + 1):
            name = base
            for _ in range(extra):
                i = rng.randrange(len(name) + 1)
                name = name[:i] + rng.choice(alphabet) + name[i:]
            n = len(projects)
            projects += [project(n, base, "DSS", year=la), project(n + 1, name, "OPS", year=la)]
    expected = brute_force_rows(projects)
    edge = {
        r["project_name_a"] + "|" + r["project_name_b"] for r in expected if r["similarity"] < 96
    }
    assert len(edge) > 150  # the edge itself is reached at most lengths
    assert find_candidates(projects) == expected


def test_pairs_across_length_classes():
    """Pairs whose two names fall in neighbouring length classes, near both ends of
    each class, with the most edits the ratio allows."""
    rng = random.Random(19)
    alphabet = "กขคงจนมาิเ่abcxyz"
    ends = _length_classes(400).tolist()
    projects = []
    for end in ends[1:]:
        for la in range(max(1, end * 19 // 21 - 2), end + 1):
            base = "".join(rng.choice(alphabet) for _ in range(la))
            for _ in range(2):
                name = base
                budget = 2 * la // 19
                for _ in range(rng.randint(0, budget)):  # insertions reach the next class
                    i = rng.randrange(len(name) + 1)
                    name = name[:i] + rng.choice(alphabet) + name[i:]
                n = len(projects)
                projects += [project(n, base, "DSS", year=la), project(n + 1, name, "NIA", year=la)]
    expected = brute_force_rows(projects)

    def cls(name: str) -> int:
        return bisect.bisect_left(ends, len(compact_key(name)))

    assert sum(cls(r["project_name_a"]) != cls(r["project_name_b"]) for r in expected) > 30
    assert find_candidates(projects) == expected


def test_groups_leave_no_pair_out():
    """The pigeonhole the index rests on: in each class, the groups and radius cover the
    most edits any pair of the class may need."""
    ends = _length_classes(2000).tolist()
    for i, end in enumerate(ends):
        g, r = _groups(end)
        assert g * (r + 1) > end // 10  # 20·d <= la + lb <= 2·end
        if i + 1 < len(ends):  # a partner is never two classes up
            assert 21 * end // 19 <= ends[i + 1]
