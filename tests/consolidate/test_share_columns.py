"""A share built column by column (assets/consolidate/merge.py) equals the row-by-row definitions it
replaced: the review keys of all names at once, money straight from satang, the province
shares of many budgets at once, and whole shares against the row-by-row build."""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stiplan.assets.consolidate.candidates import review_keys, review_keys_of
from stiplan.assets.consolidate.merge import (
    _budget_satang,
    _decimal_column,
    _name_keys,
    _satang,
    _schema,
    chain_tables,
)
from stiplan.assets.consolidate.project_ids import (
    assign_ids,
    province_key,
    split_budget,
    split_budgets,
)
from stiplan.assets.ingest.route import Identity
from stiplan.assets.ingest.submission import ParsedSubmission
from stiplan.assets.ingest.validate import Problem, Row
from stiplan.schemas.problems import PROBLEMS as REASONS
from stiplan.schemas.problems import describe

SCALE = int(os.environ.get("STIPLAN_HYPOTHESIS_SCALE", "1"))
MONEY = pa.decimal128(18, 2)


def props(n: int = 150) -> settings:
    return settings(
        max_examples=n * SCALE,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


# ----------------------------------------------------------------- review keys

# what names are made of, and what clean_text, case folding and compaction act on
PIECES = (
    "โครงการ",
    "พัฒนา",
    "ระยะที่ ",
    "กรุงเทพฯ",
    "น้ำ",
    "ISO/IEC",
    "Smart-Farm",
    "ß",
    "İ",
    "Ǆ",
    "ŉ",
    " ",
    "  ",
    "\u00a0",
    "\n",
    "\t",
    "\u3000",
    "\u200b",
    "\ufeff",
    "\u00ad",
    "\u200e",
    "\u0e4d\u0e32",
    "\u0e32\u0e4d",
    "\u0e4d",
    "\u0e4d\u0e48\u0e32",
    "\u0301",
    "e\u0301",
    "\u212b",
    "๒๕๕๕",
    "2555",
    "๑2",
    "(",
    ")",
    "“",
    "”",
    "–",
    "…",
    "😀",
    "中文",
    "\x00",
    ".",
)
names = st.one_of(
    st.lists(st.sampled_from(PIECES), max_size=8).map("".join),
    st.text(max_size=12),
    st.text(st.characters(max_codepoint=0x0E7F), max_size=12),
)


@props(300)
@given(st.lists(names, max_size=8))
def test_review_keys_of_all_names_at_once_equal_each_names(batch):
    assert review_keys_of(batch) == [review_keys(n) for n in batch]


def test_review_keys_of_every_character_below_u0e80_alone_and_among_others():
    chars = [chr(cp) for cp in range(0x0E80)]
    for batch in (chars, [f"ก{c}a {c}1" for c in chars], [f"{c} โครงการ๑" for c in chars]):
        assert review_keys_of(batch) == [review_keys(n) for n in batch]


def test_review_keys_of_what_is_not_a_clean_name():
    batch = ["  โครงการ  น้ำ ", None, "a\x00b", "x\ud800", "ระยะที่ ๒", "Ünïcödé"]
    assert review_keys_of(batch) == [review_keys(n) for n in batch]
    assert review_keys_of([]) == []


def test_name_keys_key_each_name_and_give_its_numbers():
    keys, numbers = _name_keys(["ระยะที่ 2", "ระยะที่ ๓", "ระยะที่ 2"])
    assert keys == [review_keys("ระยะที่ 2")[0], review_keys("ระยะที่ ๓")[0], review_keys("ระยะที่ 2")[0]]
    assert numbers == [("2",), ("3",), ("2",)]


# ----------------------------------------------------------------- money

satang = st.integers(-(10**18) + 1, 10**18 - 1)


@props()
@given(st.lists(st.one_of(st.none(), satang, st.integers(-(10**6), 10**6)), max_size=20))
def test_a_decimal_column_from_satang_is_exact(values):
    expected = pa.array([None if v is None else Decimal(v).scaleb(-2) for v in values], MONEY)
    column = _decimal_column(values)
    assert column.type == MONEY and column.equals(expected)
    assert column.to_pylist() == expected.to_pylist()


@pytest.mark.parametrize("value", [10**18, -(10**18), 2**63 - 1])
def test_a_decimal_column_refuses_what_decimal_18_2_cannot_hold(value):
    with pytest.raises(pa.ArrowInvalid):
        _decimal_column([1, value])


budgets = st.one_of(
    st.decimals(min_value=-(10**15), max_value=10**15, places=2, allow_nan=False),
    st.decimals(min_value=-(10**6), max_value=10**6, places=4, allow_nan=False),
    st.sampled_from(
        [
            Decimal("0"),
            Decimal("-0.00"),
            Decimal("1E+3"),
            Decimal("0.005"),
            Decimal("0.015"),
            Decimal("1.000"),
            Decimal("9999999999999999.99"),
        ]
    ),
)


@props()
@given(st.lists(budgets, max_size=12))
def test_budget_satang_equal_satang_of_each_budget(values):
    assert _budget_satang(values).tolist() == [_satang(b) for b in values]


@pytest.mark.parametrize("bad", [None, Decimal("NaN")])
def test_budget_satang_fails_where_satang_fails(bad):
    with pytest.raises((TypeError, ArithmeticError, ValueError)):
        _budget_satang([Decimal("1.00"), bad])


# ----------------------------------------------------------------- province shares

codes = st.lists(
    st.sampled_from(["TH-10", "TH-50", "TH-51", "TH-11", "TH-96"]), min_size=1, max_size=5
).map(tuple)


@props()
@given(st.lists(st.tuples(st.integers(-(10**9), 10**15), codes), max_size=10))
def test_split_budgets_equal_split_budget_of_each(items):
    import numpy as np

    owner, province, share = split_budgets(
        np.array([b for b, _ in items], dtype=np.int64), [c for _, c in items]
    )
    expected = [
        (i, code, s) for i, (b, c) in enumerate(items) for code, s in split_budget(b, list(c))
    ]
    assert list(zip(owner.tolist(), province, share, strict=True)) == expected


def test_split_budgets_over_no_province_fails_as_split_budget_does():
    import numpy as np

    with pytest.raises(ZeroDivisionError):
        split_budget(100, [])
    with pytest.raises(ZeroDivisionError):
        split_budgets(np.array([100, 5]), [("TH-10",), ()])


# ----------------------------------------------------------------- whole shares


def _row_by_row(agency, year, chain, parsed):
    """The share as it was built before, one row at a time: the reference."""
    out = {
        t: []
        for t in (
            "source_rows",
            "row_problems",
            "projects",
            "project_provinces",
            "submission_changes",
        )
    }
    versions = [parsed[sid] for sid in chain]
    acc = [[r for r in v.rows if r.outcome == "accepted"] for v in versions]
    ids = assign_ids(
        agency,
        year,
        [
            [(r.name_key, province_key(r.province_codes, r.nationwide)) for r in rows]
            for rows in acc
        ],
    )
    by_id = [dict(zip(i, rows, strict=True)) for rows, i in zip(acc, ids, strict=True)]
    money = lambda d: Decimal(_satang(d)).scaleb(-2)  # noqa: E731
    for pos in range(1, len(chain)):
        before, after = by_id[pos - 1], by_id[pos]
        rejected = {r.name_key for r in versions[pos].rows if r.outcome == "rejected"}
        for pid in sorted(before.keys() | after.keys()):
            b, a = before.get(pid), after.get(pid)
            change = (
                "added"
                if b is None
                else ("rejected" if b.name_key in rejected else "removed")
                if a is None
                else "budget_changed"
                if b.budget != a.budget
                else "provinces_changed"
                if (b.province_codes, b.nationwide) != (a.province_codes, a.nationwide)
                else "renamed"
                if b.project_name != a.project_name
                else None
            )
            if change:
                out["submission_changes"].append(
                    (
                        chain[pos],
                        chain[pos - 1],
                        pid,
                        change,
                        (a or b).project_name,
                        money(b.budget) if b else None,
                        money(a.budget) if a else None,
                        province_key(b.province_codes, b.nationwide) if b else None,
                        province_key(a.province_codes, a.nationwide) if a else None,
                    )
                )
    for pos, (sid, version, version_ids) in enumerate(zip(chain, versions, ids, strict=True)):
        row_ids, it = [], iter(version_ids)
        for r in version.rows:
            pid = (
                next(it)
                if r.outcome == "accepted"
                else row_ids[r.duplicate_of]
                if r.outcome == "duplicate"
                else None
            )
            row_ids.append(pid)
            code = r.reason_code
            out["source_rows"].append(
                (sid, r.sheet, r.row_number, r.outcome, describe(code) if code else None, code, pid)
            )
            if pos == len(chain) - 1 and r.outcome == "accepted":
                t = r.texts
                key, numbers = review_keys(r.project_name)
                out["projects"].append(
                    (
                        pid,
                        year,
                        agency,
                        r.project_name,
                        money(r.budget),
                        r.nationwide,
                        t.get("strategy"),
                        t.get("target_group"),
                        r.start_date,
                        r.end_date,
                        t.get("contact_name"),
                        t.get("contact_phone"),
                        t.get("remarks"),
                        sid,
                        r.sheet,
                        r.row_number,
                        list(r.province_codes),
                        key,
                        list(numbers),
                    )
                )
                if not r.nationwide:
                    for c, s in split_budget(_satang(r.budget), list(r.province_codes)):
                        out["project_provinces"].append((pid, c, Decimal(s).scaleb(-2)))
        for p in version.problems:
            reason = REASONS[p.code]
            out["row_problems"].append(
                (
                    sid,
                    p.sheet,
                    p.row_number,
                    p.column or None,
                    p.value,
                    p.code,
                    reason.severity,
                    reason.th,
                    reason.en,
                )
            )
    tables = {}
    for t, rows in out.items():
        schema = _schema(t)
        cols = list(zip(*rows, strict=True)) or [() for _ in schema.names]
        tables[t] = pa.Table.from_arrays(
            [pa.array(c, type=f.type) for c, f in zip(cols, schema, strict=True)], schema=schema
        )
    return tables


NAMES = ["โครงการ ก", "โครงการ ข ระยะที่ 2", "ทั่วประเทศ", "โครงการ ก ", "Smart Farm ๒"]
PROVINCES = [("TH-10",), ("TH-50", "TH-10"), ("TH-51", "TH-50", "TH-11"), ()]


@st.composite
def versions(draw):
    rows, problems = [], []
    for n in range(draw(st.integers(0, 12))):
        outcome = draw(st.sampled_from(["accepted"] * 4 + ["rejected", "duplicate", "total"]))
        earlier = [i for i, r in enumerate(rows) if r.outcome == "accepted"]
        if outcome == "duplicate" and earlier:
            src = rows[draw(st.sampled_from(earlier))]
            rows.append(
                Row(
                    src.sheet,
                    n + 5,
                    "duplicate",
                    None,
                    src.project_name,
                    src.name_key,
                    src.province_codes,
                    src.nationwide,
                    src.budget,
                    src.start_date,
                    src.end_date,
                    dict(src.texts),
                    rows.index(src),
                )
            )
            continue
        if outcome in ("rejected", "duplicate"):
            code = draw(st.sampled_from(sorted(REASONS)))
            rows.append(Row("Sheet1", n + 5, "rejected", code))
            problems.append(
                Problem(
                    "Sheet1",
                    n + 5,
                    draw(st.sampled_from(["", "C"])),
                    draw(st.sampled_from([None, "-"])),
                    code,
                )
            )
            continue
        if outcome == "total":
            rows.append(Row("Sheet1", n + 5, "total"))
            continue
        name, provinces = draw(st.sampled_from(NAMES)), draw(st.sampled_from(PROVINCES))
        rows.append(
            Row(
                "Sheet1",
                n + 5,
                "accepted",
                None,
                name,
                name.strip().casefold(),
                provinces,
                not provinces,
                draw(
                    st.sampled_from(
                        [Decimal("1000.50"), Decimal("0.01"), Decimal("100"), Decimal("1234567.89")]
                    )
                ),
                dt.date(2011, 10, 1),
                draw(st.sampled_from([None, dt.date(2012, 9, 30)])),
                draw(st.sampled_from([{}, {"strategy": "ยุทธศาสตร์ที่ 1", "remarks": None}])),
            )
        )
    return ParsedSubmission(Identity("DSS", 2555), rows=rows, problems=problems)


@props(100)
@given(st.lists(versions(), max_size=4))
def test_a_share_built_column_by_column_equals_the_row_by_row_build(chain_versions):
    chain = [f"dss{k}".ljust(64, "0") for k in range(len(chain_versions))]
    parsed = dict(zip(chain, chain_versions, strict=True))
    got, expected = (
        chain_tables("DSS", 2555, chain, parsed),
        _row_by_row("DSS", 2555, chain, parsed),
    )
    for table, want in expected.items():
        assert got[table].schema == want.schema
        assert got[table].to_pylist() == want.to_pylist(), table
