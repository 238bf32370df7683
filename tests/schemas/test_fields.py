"""The field catalogue: complete entries, and header matching finds every header and
synonym it lists, however it is spaced or cased."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stiplan.assets.ingest.headers import field_for_header
from stiplan.schemas.fields import FIELD, FIELDS, REQUIRED, TEMPLATE_FIELDS

THAI = range(0x0E00, 0x0E80)
SPELLINGS = [(f.name, s) for f in FIELDS for s in f.spellings]


@pytest.mark.parametrize("field", FIELDS, ids=lambda f: f.name)
def test_every_field_has_thai_and_english_headers(field):
    assert any(ord(c) in THAI for c in field.header_th)
    assert field.header_en.isascii() and field.header_en
    assert all(any(ord(c) in THAI for c in s) for s in field.synonyms_th)
    assert all(s.isascii() for s in field.synonyms_en)
    if field.in_template:
        assert field.how_th and field.how_en


def test_the_catalogue_is_one_list_of_unique_fields():
    assert len(FIELD) == len(FIELDS)
    assert REQUIRED == ("project_name", "provinces", "budget")
    assert [f.name for f in TEMPLATE_FIELDS][:4] == ["seq", "project_name", "provinces", "budget"]
    assert FIELD["budget"].unit == "baht"
    assert {"agency", "fiscal_year"} <= FIELD.keys() - {f.name for f in TEMPLATE_FIELDS}


@pytest.mark.parametrize(("name", "text"), SPELLINGS)
def test_header_matching_finds_every_header_and_synonym(name, text):
    assert field_for_header(text) == name


@given(
    pair=st.sampled_from(SPELLINGS),
    gaps=st.lists(st.sampled_from([" ", "  ", "\n", "\t"]), max_size=4),
    upper=st.booleans(),
    data=st.data(),
)
def test_spacing_and_case_never_stop_a_match(pair, gaps, upper, data):
    name, text = pair
    chars = list(text.upper() if upper else text)
    for gap in gaps:
        chars.insert(data.draw(st.integers(0, len(chars))), gap)
    assert field_for_header("".join(chars)) == name


def test_the_template_writes_the_catalogue_headers():
    from stiplan.template import COLUMNS, HEADER

    assert HEADER == tuple(f.header_th for f in TEMPLATE_FIELDS)
    assert [(c[0], c[2], c[4], c[5], c[6]) for c in COLUMNS] == [
        (f.name, f.header_en, f.required, f.how_th, f.how_en) for f in TEMPLATE_FIELDS
    ]
