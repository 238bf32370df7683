"""The table-driven compact_key / numbers_in / clean_text equal their former
per-character definitions (kept here as the reference)."""

from __future__ import annotations

import re
import unicodedata

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from stiplan.assets.ingest.text import (
    _INVISIBLE,
    _SARA_AM,
    _SPACES,
    _is_missing,
    clean_text,
    compact_key,
    name_keys,
    normalise_name,
    numbers_in,
    thai_to_arabic_digits,
)


def ref_clean_text(value: object) -> str:
    if _is_missing(value):
        return ""
    text = unicodedata.normalize("NFC", str(value).translate(_INVISIBLE))
    if "\u0e4d" in text:
        text = _SARA_AM.sub(lambda m: (m.group(1) or m.group(2) or "") + "\u0e33", text)
    return _SPACES.sub(" ", text).strip()


def ref_compact_key(value: object) -> str:
    return "".join(
        ch
        for ch in normalise_name(value)
        if not (ch.isspace() or ch == "ฯ" or unicodedata.category(ch)[0] in "PS")
    )


def ref_numbers_in(value: object) -> tuple[str, ...]:
    return tuple(re.findall(r"[0-9]+", thai_to_arabic_digits(clean_text(value))))


SETTINGS = settings(
    max_examples=600, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
# Thai, Thai digits, ASCII, Latin-1, punctuation and symbols of every block, spaces,
# invisible characters, decomposed sara am, and anything else.
PIECES = st.sampled_from(
    [
        "โครงการ",
        "กรุงเทพฯ",
        "ฯลฯ",
        "๒๕๕๕",
        "๑",
        "ระยะที่ 2",
        "น\u0e4d\u0e49\u0e32",
        "\u0e32\u0e4d",
        "Smart-Farm",
        "“Phase 1”",
        "(ต่อเนื่อง)",
        " ",
        "\u00a0",
        "\u3000",
        "\t\n",
        "\u200b",
        "\u00ad",
        "\u180e",
        "ÀÉÎ",
        "ß",
        "µ",
        "×÷",
        "€",
        "…",
        "–—",
        "₿",
        "©®",
        "😀",
        "𝟘𝟙",
        "_",
        "~",
        "\u0e5b",
        "\u0e4f",
        "\u0e3f",
        "٣",
        "²",
        "Ⅻ",
        "·",
        "'",
        "0",
        "99",
    ]
)
TEXT = st.one_of(
    st.lists(PIECES, max_size=12).map("".join),
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=40),
)


@SETTINGS
@given(TEXT)
@example("โครงการ ก.ข.ค. (ระยะที่ 2) – กรุงเทพฯ")
@example("1๒ 3")
@example("\U0001f600 ฯ \U000e0020")
def test_keys_equal_the_reference(text):
    assert clean_text(text) == ref_clean_text(text)
    assert compact_key(text) == ref_compact_key(text)
    assert numbers_in(text) == ref_numbers_in(text)
    assert name_keys(text) == (ref_compact_key(text), ref_numbers_in(text))


def test_keys_of_non_text_values():
    for value in (None, float("nan"), 2555, 12.5, b"x"):
        assert compact_key(value) == ref_compact_key(value)
        assert numbers_in(value) == ref_numbers_in(value)
        assert name_keys(value) == (compact_key(value), numbers_in(value))
