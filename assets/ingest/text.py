"""Pure text normalisation for Thai/English cells (no I/O, no pandas).

pythainlp's `util.normalize` is not used for cleaning: its `remove_zw` keeps U+200D, U+FEFF,
U+2060 and soft hyphens, it leaves a reversed `าํ`, NBSP and newlines alone, and it also
deletes repeated vowels, which is more than the data contract allows.
"""

from __future__ import annotations

import functools
import re
import unicodedata

# Invisible characters that only break equality; LRM/RLM and the Mongolian vowel separator
# are included for the same reason (values.is_blank drops the same set).
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\ufeff\u2060\u00ad\u200e\u200f\u180e"))
# translate() raises and swallows a KeyError for every character missing from its table, so
# a search first (almost no cell holds one) makes clean_text several times faster.
_HAS_INVISIBLE = re.compile("[" + "".join(map(chr, _INVISIBLE)) + "]")

# Nikhahit (U+0E4D) + sara aa, in either order, optionally with a tone mark typed in between
# (`นํ้า`): the decomposed sara am. The tone mark belongs before ำ in the composed form.
_SARA_AM = re.compile("\u0e4d([\u0e48-\u0e4b]?)\u0e32|\u0e32([\u0e48-\u0e4b]?)\u0e4d")

# Python's \s covers NBSP, the U+2000 spaces, U+3000, tabs and newlines.
_SPACES = re.compile(r"\s+")
# Runs of ASCII or Thai digits: converting the runs alone equals converting the whole text
# first (translate() over a Thai name with a 10-entry table misses on nearly every char).
_DIGIT_RUN = re.compile("[0-9\u0e50-\u0e59]+")


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
    if value.__class__ is str:  # nearly every cell: skip the missing-value checks
        text = value
        if text.isascii():  # nothing invisible, nothing to compose, no sara am
            return " ".join(text.split())
    elif _is_missing(value):
        return ""
    else:
        text = str(value)
    # Invisible chars go first: one between a letter and its accent must not stop NFC.
    if _HAS_INVISIBLE.search(text):
        text = text.translate(_INVISIBLE)
    text = unicodedata.normalize("NFC", text)
    if "\u0e4d" in text:
        text = _SARA_AM.sub(lambda m: (m.group(1) or m.group(2) or "") + "\u0e33", text)
    # str.split() and the regex \s agree on what whitespace is (both Py_UNICODE_ISSPACE):
    # splitting and joining is the same collapse and trim, without the regex engine.
    return " ".join(text.split())


def normalise_name(value: object) -> str:
    """DESIGN.md "Normalised name": clean_text, then casefold (keys, not display)."""
    return clean_text(value).casefold()


def normalise_clean(text: str) -> str:
    """`normalise_name` of a text that is already `clean_text`'s output. Such a text has no
    invisible character and its whitespace collapsed; cleaning it again changes nothing
    unless it still holds a nikhahit or joining a sara am left it out of NFC order."""
    if "\u0e4d" not in text and unicodedata.is_normalized("NFC", text):
        return text.casefold()
    return clean_text(text).casefold()


def _drop_for_compact(ch: str) -> bool:
    return ch.isspace() or ch == "ฯ" or unicodedata.category(ch)[0] in "PS"


# compact_key's table: every code point maps to itself or to None (dropped), so translate()
# never misses (a miss costs an exception). Filled for U+0000-U+0E7F (ASCII, Latin, Thai)
# at import; any other character is classified the first time it is seen.
_COMPACT = {cp: None if _drop_for_compact(chr(cp)) else cp for cp in range(0x0E80)}
_BEYOND_COMPACT = re.compile(r"[^\x00-\u0e7f]")


def _compact(name: str) -> str:
    if _BEYOND_COMPACT.search(name):
        for ch in set(name):
            if ord(ch) not in _COMPACT:
                _COMPACT[ord(ch)] = None if _drop_for_compact(ch) else ord(ch)
    return name.translate(_COMPACT)


def compact_key(value: object) -> str:
    """Normalised name without spaces, ฯ and punctuation/symbols: near-duplicate key."""
    return _compact(normalise_name(value))


def name_keys(value: object) -> tuple[str, tuple[str, ...]]:
    """(compact_key(value), numbers_in(value)), cleaning the text once."""
    text = clean_text(value)
    return _compact(text.casefold()), _numbers(text)


def header_key(value: object) -> str:
    """Header match key: a line break may fall inside a word, so all whitespace goes
    first, before the halves of a decomposed sara am or accent are joined (joining
    first would pair them differently depending on where the break fell)."""
    if _is_missing(value):
        return ""
    return clean_text(_SPACES.sub("", str(value))).casefold()


def thai_to_arabic_digits(s: str) -> str:
    """๐–๙ → 0–9 (pandas' to_numeric does not accept Thai digits)."""
    return _pythainlp_digits()(s) if s else ""


@functools.cache
def _pythainlp_digits():
    # imported on first use: pythainlp's package import costs every process ~0.2 s
    from pythainlp.util import thai_digit_to_arabic_digit

    return thai_digit_to_arabic_digit


def numbers_in(s: object) -> tuple[str, ...]:
    """Digit runs, Thai digits converted: tells ระยะที่ 2 from ระยะที่ 3."""
    return _numbers(clean_text(s))


def _numbers(text: str) -> tuple[str, ...]:
    return tuple(
        run if run.isascii() else thai_to_arabic_digits(run) for run in _DIGIT_RUN.findall(text)
    )


# Thai dictionary order, pythainlp's rule (`pythainlp.util.collate`): tone marks are set
# aside (the first one breaks ties) and a leading vowel เ แ โ ใ ไ sorts after the
# consonant it precedes, wherever it stands. pythainlp offers only the sorted list, so the
# rule is its key, written out (tests/excel check it against `collate`), which also spares
# every process pythainlp's import.
_TONE = re.compile("[\u0e47-\u0e4c]")
_LEAD_VOWEL = re.compile("([\u0e40-\u0e44])([\u0e01-\u0e2e])")


def thai_sort_key(text: str) -> tuple[str, str]:
    """The key of `text` in Thai dictionary order; texts the rule ties on keep code-point
    order, so every sort of the same names gives the same list. The one order of the plan
    book, the extracts, the template's dropdown and the demo."""
    tone = _TONE.search(text)
    return _LEAD_VOWEL.sub(r"\2\1", _TONE.sub("", text)) + (tone.group() if tone else ""), text
