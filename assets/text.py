"""Pure text normalisation for Thai/English cells (no I/O, no pandas).

pythainlp's `util.normalize` is not used for cleaning: its `remove_zw` keeps U+200D, U+FEFF,
U+2060 and soft hyphens, it leaves a reversed `าํ`, NBSP and newlines alone, and it also
deletes repeated vowels, which is more than the data contract allows.
"""

from __future__ import annotations

import re
import unicodedata

from pythainlp.util import thai_digit_to_arabic_digit

# Invisible characters that only break equality; LRM/RLM and the Mongolian vowel separator
# are included for the same reason (values.is_blank drops the same set).
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\ufeff\u2060\u00ad\u200e\u200f\u180e"))

# Nikhahit (U+0E4D) + sara aa, in either order, optionally with a tone mark typed in between
# (`นํ้า`): the decomposed sara am. The tone mark belongs before ำ in the composed form.
_SARA_AM = re.compile("\u0e4d([\u0e48-\u0e4b]?)\u0e32|\u0e32([\u0e48-\u0e4b]?)\u0e4d")

# Python's \s covers NBSP, the U+2000 spaces, U+3000, tabs and newlines.
_SPACES = re.compile(r"\s+")
_ASCII_DIGIT_RUN = re.compile(r"[0-9]+")


def _is_missing(value: object) -> bool:
    # Empty cells arrive as None, NaN, pd.NA or NaT; never let them become the text "nan"
    # (which is also the English name of Nan province). Checked without importing pandas.
    if value is None:
        return True
    if isinstance(value, str):
        return False
    if type(value).__name__ in ("NAType", "NaTType"):
        return True
    try:  # NaN (float, Decimal, numpy) is the only value unequal to itself
        return bool(value != value)
    except Exception:
        return False


def clean_text(value: object) -> str:
    """Display form: NFC, invisible chars removed, sara am joined, whitespace collapsed."""
    if _is_missing(value):
        return ""
    # Invisible chars go first: one between a letter and its accent must not stop NFC.
    text = unicodedata.normalize("NFC", str(value).translate(_INVISIBLE))
    if "\u0e4d" in text:
        text = _SARA_AM.sub(lambda m: (m.group(1) or m.group(2) or "") + "\u0e33", text)
    return _SPACES.sub(" ", text).strip()


def normalise_name(value: object) -> str:
    """DESIGN.md "Normalised name": clean_text, then casefold (keys, not display)."""
    return clean_text(value).casefold()


def _drop_for_compact(ch: str) -> bool:
    return ch.isspace() or ch == "ฯ" or unicodedata.category(ch)[0] in "PS"


def compact_key(value: object) -> str:
    """Normalised name without spaces, ฯ and punctuation/symbols: near-duplicate key."""
    return "".join(ch for ch in normalise_name(value) if not _drop_for_compact(ch))


def header_key(value: object) -> str:
    """Header match key: a line break may fall inside a word, so drop all whitespace (and
    clean again: the two halves of a decomposed sara am or accent may now be adjacent)."""
    text = clean_text(value)
    squeezed = _SPACES.sub("", text)
    return (clean_text(squeezed) if squeezed != text else text).casefold()


def thai_to_arabic_digits(s: str) -> str:
    """๐–๙ → 0–9 (pandas' to_numeric does not accept Thai digits)."""
    return thai_digit_to_arabic_digit(s) if s else ""


def numbers_in(s: object) -> tuple[str, ...]:
    """Digit runs, Thai digits converted: tells ระยะที่ 2 from ระยะที่ 3."""
    return tuple(_ASCII_DIGIT_RUN.findall(thai_to_arabic_digits(clean_text(s))))
