"""The problem catalogue: complete entries, renderers that fill every placeholder, and
the stored texts unchanged."""

from __future__ import annotations

import pickle
import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stiplan.schemas.problems import (
    PLACEHOLDERS,
    PROBLEMS,
    SCOPES,
    SEVERITIES,
    Problem,
    ProblemType,
    describe,
)

CODES = sorted(PROBLEMS)
THAI = range(0x0E00, 0x0E80)


def _names(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


@pytest.mark.parametrize("code", CODES)
def test_every_code_has_all_its_fields(code):
    t = PROBLEMS[code]
    assert t.code == code
    assert t.scope in SCOPES
    assert t.severity in SEVERITIES
    assert t.what_th and t.what_en
    assert any(ord(c) in THAI for c in t.what_th)
    assert not any(ord(c) in THAI for c in t.what_en.replace("ทั่วประเทศ", ""))
    # what to do is given in both languages or in neither (a notice)
    assert bool(t.todo_th) == bool(t.todo_en)
    for text in (t.what_th, t.what_en, t.todo_th, t.todo_en):
        assert _names(text) <= set(PLACEHOLDERS), text
        assert ": " not in text or text in (t.todo_th, t.todo_en)  # "what" has no separator


def test_file_level_problems_are_scoped_to_the_file():
    for code in ("file_unreadable", "no_header", "agency_unknown", "several_years"):
        assert PROBLEMS[code].scope == "file"
    assert PROBLEMS["budget_negative"].scope == "cell"
    assert PROBLEMS["total_mismatch"].scope == "row"
    assert PROBLEMS["sheet_incomplete_header"].scope == "sheet"


def test_rendered_texts_are_the_stored_ones():
    """`row_problems.message_*` and `submissions.reason` keep today's wording."""
    p = Problem("Sheet1", 7, "D", "-5", "budget_negative")
    assert p.th() == "งบประมาณติดลบ: กรอกงบประมาณเป็นจำนวนบวก"
    assert p.en() == "Budget is negative: type a positive amount"
    assert p.severity == "error"
    assert describe("several_years", "2555, 2556") == (
        "Several fiscal years in one file: send one file per fiscal year (2555, 2556) / "
        "ไฟล์นี้มีหลายปีงบประมาณ: ส่งแยกไฟล์ละหนึ่งปีงบประมาณ"
    )
    assert describe("no_current_rows") == (
        "The current version of this submission has no accepted project / "
        "ไฟล์ฉบับปัจจุบันไม่มีโครงการที่รับได้เลย"
    )
    assert PROBLEMS["budget_unit_assumed"].en == (
        "The budget header states no unit: read as baht; write '(บาท)' or '(ล้านบาท)' in the header"
    )


@pytest.mark.parametrize("code", CODES)
def test_the_parts_make_the_message(code):
    """Readers take what happened and what to do as fields, never by splitting."""
    p = Problem.of(code, "detail")
    for lang in ("th", "en"):
        what, todo = p.what(lang), p.todo(lang)
        assert p.type.message(lang) == (f"{what}: {todo}" if todo else what)


def test_placeholders_are_filled_from_the_problem():
    t = ProblemType(
        "x", "cell", "error", "ค่า {value} ในคอลัมน์ {column}", "{value} in column {column}",
        "แก้แถว {row}", "fix row {row} of {sheet} ({detail})",
    )  # fmt: skip
    PROBLEMS["x"] = t
    try:
        p = Problem("S", 4, "D", "abc", "x", detail="why")
        assert p.en() == "abc in column D: fix row 4 of S (why)"
        assert p.th() == "ค่า abc ในคอลัมน์ D: แก้แถว 4"
        # a fact the problem does not have renders as nothing
        assert Problem.of("x").en() == " in column : fix row  of  ()"
    finally:
        del PROBLEMS["x"]


@given(
    code=st.sampled_from(CODES),
    detail=st.text(max_size=40),
    value=st.none() | st.text(max_size=40),
    column=st.none() | st.sampled_from(["", "A", "D", "AB"]),
    row=st.none() | st.integers(1, 1_048_576),
)
def test_any_problem_renders(code, detail, value, column, row):
    p = Problem("แผ่นงาน", row, column, value, code, detail=detail)
    extra = f" ({detail})" if detail else ""
    assert p.text() == f"{p.en()}{extra} / {p.th()}"
    assert p.severity in SEVERITIES


def test_problem_of_names_its_location():
    p = Problem.of("sheet_incomplete_header", sheet="S", value="budget")
    assert (p.sheet, p.row_number, p.column, p.value, p.code) == (
        "S",
        None,
        None,
        "budget",
        "sheet_incomplete_header",
    )
    assert Problem.of("file_unreadable", "bad zip", file="a.xlsx").file == "a.xlsx"


def test_a_problem_survives_the_parse_cache():
    p = Problem("S", 3, "B", "x", "name_missing", detail="d")
    assert pickle.loads(pickle.dumps(p)) == p
