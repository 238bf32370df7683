"""Stable project ids across versions, and exact province shares."""

from stiplan.assets.consolidate.project_ids import assign_ids, split_budget


def test_same_key_keeps_its_id_and_a_unique_name_carries_it_over():
    v1 = [("a", "TH-10"), ("b", "TH-50")]
    v2 = [("b", "TH-50"), ("a", "TH-11"), ("c", "TH-20")]  # a's province corrected
    ids1, ids2 = assign_ids("NSTDA", 2555, [v1, v2])
    assert ids2[0] == ids1[1]  # same key
    assert ids2[1] == ids1[0]  # same name, unique in both versions
    assert ids2[2] not in ids1


def test_a_name_no_longer_unique_gets_fresh_ids():
    v1 = [("a", "TH-10")]
    v2 = [("a", "TH-11"), ("a", "TH-12")]
    ids1, ids2 = assign_ids("NSTDA", 2555, [v1, v2])
    assert ids1[0] not in ids2 and len(set(ids2)) == 2


def test_a_new_row_never_takes_the_id_a_continuing_project_inherits():
    # v1 (a, p1); v2 moves it to (a, p2), keeping the id by name; v3 lists (a, p1)
    # again BEFORE (a, p2): the continuing (a, p2) keeps the id, (a, p1) is new.
    ids = assign_ids("HAII", 2555, [[("a", "p1")], [("a", "p2")], [("a", "p1"), ("a", "p2")]])
    assert ids[0][0] == ids[1][0] == ids[2][1]
    assert ids[2][0] != ids[2][1]


def test_ids_are_deterministic_and_scoped_by_agency_and_year():
    v = [("a", "TH-10")]
    assert assign_ids("NSTDA", 2555, [v]) == assign_ids("NSTDA", 2555, [v])
    assert assign_ids("NSTDA", 2555, [v]) != assign_ids("DSS", 2555, [v])
    assert assign_ids("NSTDA", 2555, [v]) != assign_ids("NSTDA", 2556, [v])


def test_split_gives_leftover_satang_to_the_first_provinces_in_code_order():
    shares = split_budget(100, ["TH-50", "TH-10", "TH-30"])  # 1.00 baht over 3
    assert shares == [("TH-10", 34), ("TH-30", 33), ("TH-50", 33)]
    assert sum(s for _, s in shares) == 100
