"""The one row-height rule of every workbook stiplan writes.

Neither Excel nor xlsxwriter nor openpyxl sizes a row for TH Sarabun New's vowels and
tone marks above and below the line, and Excel never grows a merged or written-by-code
row by itself: so each writer asks here how tall a row must be.

- `text_width(text)` — the characters of `text` that take room on a line (Thai vowels
  and tone marks above or below a consonant, like every combining mark, take none).
- `line_count(value, wrap_width, size)` — the lines a value takes, wrapped within a
  column `wrap_width` units wide when given.
- `row_height(lines, size)` — points for that many lines of a `size`-point Thai font.
- `fit_height(value, size, wrap_width)` — both at once.
"""

from __future__ import annotations

import math
import re
import unicodedata
from functools import lru_cache
from typing import Any

LINE_HEIGHT = 1.55  # row height in points per point of font size, per line of text
CHAR_WIDTH = 1.1  # column-width units per Thai character at 14 pt
BASE_SIZE = 14


def takes_no_room(c: int) -> bool:
    """Whether the character at code point `c` (below U+10000) is a mark on another."""
    return not 0xD800 <= c <= 0xDFFF and (
        bool(unicodedata.combining(chr(c))) or unicodedata.category(chr(c)) == "Mn"
    )


MARK_POINTS = tuple(c for c in range(0x300, 0x10000) if takes_no_room(c))
_MARKS = re.compile("[" + "".join(re.escape(chr(c)) for c in MARK_POINTS) + "]")


@lru_cache(maxsize=1 << 16)
def text_width(text: str) -> int:
    """How many characters of `text` take room on a line."""
    return len(text) - len(_MARKS.findall(text))


def per_line(wrap_width: float, size: float = BASE_SIZE) -> float:
    """Characters of a `size`-point Thai font on one line of a column `wrap_width` wide."""
    return max(1.0, (wrap_width - 1) / (CHAR_WIDTH * size / BASE_SIZE))


def line_count(value: Any, wrap_width: float | None, size: float = BASE_SIZE) -> int:
    """Lines `value` takes in a `size`-point Thai font, wrapped within `wrap_width`
    column units when given."""
    if not isinstance(value, str):
        return 1
    parts = value.split("\n")
    if not wrap_width:
        return len(parts)
    n = per_line(wrap_width, size)
    return sum(max(1, math.ceil(text_width(p) / n)) for p in parts)


def row_height(lines: int, size: float = BASE_SIZE) -> float:
    return round(lines * size * LINE_HEIGHT, 1)


def fit_height(value: Any, size: float = BASE_SIZE, wrap_width: float | None = None) -> float:
    """Points a row needs for `value` (see `line_count`)."""
    return row_height(line_count(value, wrap_width, size), size)
