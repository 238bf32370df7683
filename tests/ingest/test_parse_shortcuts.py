"""The shortcuts that make reading a large sheet fast give exactly what the plain rules
give: each is checked against the rule it stands in for."""

from __future__ import annotations

import re
import unicodedata

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from stiplan.assets.ingest import provinces, values
from stiplan.assets.ingest.headers import field_for_header
from stiplan.assets.ingest.package import FORMULA_MARK
from stiplan.assets.ingest.parse import _filled, _filled_flags
from stiplan.assets.ingest.text import (
    _HAS_INVISIBLE,
    _INVISIBLE,
    _SARA_AM,
    clean_text,
    normalise_clean,
)
from stiplan.assets.ingest.totals import total_label, total_label_possible
from stiplan.assets.ingest.validate import _is_number
from stiplan.schemas.rows import ROW_SCHEMA, WARNING_SCHEMA, failures, row_failures

# Characters that make cleaning interesting: spaces of every kind, invisible ones, Thai with
# decomposed sara am and tone marks, a combining accent, digits, Latin.
_TRICKY = (
    "  \t\n\u00a0\u2000\u3000\u200b\u200d\ufeff\u00ad\u180e"
    "\u0e01\u0e32\u0e33\u0e48\u0e49\u0e4d\u0e38\u0301\u0e51\u0e52a Z9.,-#E" + FORMULA_MARK
)
tricky_text = st.text(alphabet=_TRICKY, max_size=12)


def _clean_text_as_written(value: object) -> str:
    """clean_text before its shortcuts: the regex collapse, no ASCII path."""
    if value is None:
        return ""
    text = str(value)
    if _HAS_INVISIBLE.search(text):
        text = text.translate(_INVISIBLE)
    text = unicodedata.normalize("NFC", text)
    if "\u0e4d" in text:
        text = _SARA_AM.sub(lambda m: (m.group(1) or m.group(2) or "") + "\u0e33", text)
    return re.sub(r"\s+", " ", text).strip()


@settings(max_examples=600, deadline=None)
@given(tricky_text)
def test_clean_text_is_the_rule_it_stands_for(text):
    assert clean_text(text) == _clean_text_as_written(text)


def test_split_and_join_collapse_the_same_whitespace_as_the_regex():
    every_space = [chr(c) for c in range(0x110000) if re.fullmatch(r"\s", chr(c))]
    assert every_space == [chr(c) for c in range(0x110000) if chr(c).isspace()]
    assert max(every_space) < "\u3001"  # values._BLANK_LEAD and parse._UNSURE_LEAD rely on it


@settings(max_examples=600, deadline=None)
@given(tricky_text)
def test_the_key_of_a_clean_name_is_its_normalised_name(text):
    assert normalise_clean(clean_text(text)) == clean_text(clean_text(text)).casefold()


@settings(max_examples=600, deadline=None)
@given(tricky_text)
def test_blank_and_filled_decided_by_the_first_character_agree_with_the_rules(text):
    stripped = text.strip()
    blank = not stripped or (
        bool(_HAS_INVISIBLE.search(text)) and not text.translate(_INVISIBLE).strip()
    )
    assert values.is_blank(text) == blank
    assert _filled_flags([text, None]) == [_filled(text), False]


@settings(max_examples=400, deadline=None)
@given(
    text=st.from_regex(r"-?[0-9]{1,20}(\.[0-9]{1,8})?", fullmatch=True),
    multiplier=st.sampled_from([1, 10, 1000, 1_000_000, 1_000_000_000, 7]),
)
def test_a_plain_amount_is_the_general_rule(text, multiplier):
    general = values._parse_amount_general(text, multiplier)
    assert values.amount(text, multiplier) == (general.value, general.problem)
    assert str(values.amount(text, multiplier)[0]) == str(general.value)
    assert values.parse_amount(text, multiplier) == general


@settings(max_examples=300, deadline=None)
@given(st.dates(), st.booleans(), st.booleans())
def test_a_date_as_the_reader_writes_it_is_read_as_any_date_text(day, time, pad):
    text = f"{day.year:04d}-{day.month:0{2 if pad else 1}d}-{day.day:02d}"
    text += " 00:00:00" if time else ""
    assert values.parse_date(text) == values._date_text(text)


_PROVINCE_PIECES = [
    "เชียงใหม่",
    "จ.ลำพูน",
    "กรุงเทพ ฯ",
    "ภาคเหนือ",
    "ทั่วประเทศ",
    "ไม่ทราบ",
    "Nakhon Ratchasima",
    "nan",
    "และ",
    " ",
    "",
    "-",
    "(ชลบุรี)",
    "อ.เมือง",
    "ขอนแก่น ",
    "ภูเก็ต/เลย",
    "จังหวัด",
    "กลุ่มจังหวัดภาคเหนือตอนบน 1",
    "ตาก;",
]


@settings(max_examples=400, deadline=None)
@given(
    st.lists(st.sampled_from(_PROVINCE_PIECES), max_size=5),
    st.lists(st.sampled_from([",", ", ", " ,", ",,", " "]), min_size=5, max_size=5),
)
def test_a_province_cell_read_by_comma_separated_parts_is_read_whole(pieces, seps):
    text = clean_text("".join(p + s for p, s in zip(pieces, seps, strict=False)))
    assert provinces._parse_clean(text) == provinces._parse_text(text)


_LABELS = [
    "รวม",
    "รวมทั้งสิ้น",
    "รวมยุทธศาสตร์ที่ 1",
    "Total",
    "sub-total",
    "sum",
    "ยอดรวม",
    "รวมพลังวิทยาศาสตร์",
    "เชียงใหม่",
    "โครงการ A",
    "ยุทธศาสตร์",
    "ทั้งหมด",
    "รวม สวทช.",
    "ผลรวม 10 โครงการ",
    "",
    None,
    "Grand total:",
    "ภาคเหนือ",
]


@settings(max_examples=400, deadline=None)
@given(
    st.sampled_from(_LABELS) | tricky_text,
    st.lists(st.sampled_from(["ยุทธศาสตร์ที่ 1", "ภาคเหนือ", "พลังวิทยาศาสตร์", "x"]), max_size=3),
)
def test_a_cell_that_cannot_be_a_total_label_is_none_whatever_the_headings(value, headings):
    if not total_label_possible(value):
        assert not total_label(value, headings)


@settings(max_examples=300, deadline=None)
@given(st.from_regex(r"-?[0-9]{1,20}(\.[0-9]{1,8})?", fullmatch=True))
def test_a_number_names_no_field(text):
    # validate._outcomes takes a row whose budget is a number for no repeated header.
    assert _is_number(text)
    assert field_for_header(text) is None


_STATES = {
    "name_state": ["ok", "missing", "error", "formula"],
    "province_state": ["ok", "missing", "unknown", "region", "error", "formula"],
    "budget_state": ["ok", "zero", "missing", "not_number", "negative", "merged", "error"],
    "start_state": ["ok", "invalid", "error", "a state no rule names"],
    "end_state": ["ok", "invalid", "before_start", "formula"],
}


@settings(max_examples=60, deadline=None)
@given(
    st.integers(0, 300).flatmap(
        lambda n: st.fixed_dictionaries(
            {
                column: st.lists(st.sampled_from(states), min_size=n, max_size=n)
                for column, states in _STATES.items()
            }
        )
    )
)
def test_validating_each_combination_of_states_once_finds_what_validating_every_row_does(states):
    n = len(states["name_state"])
    frame = pd.DataFrame.from_records(
        [dict(zip(states, row, strict=True)) for row in zip(*states.values(), strict=True)],
        columns=list(states),
        index=range(n),
    )
    for schema in (ROW_SCHEMA, WARNING_SCHEMA):
        assert row_failures(schema, states) == failures(schema, frame)
