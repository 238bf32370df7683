"""The one row-height rule (assets/excel/heights.py) on Thai text: vowels and tone marks
above and below a consonant take no room on a line, whichever path measures it."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from stiplan.assets.excel.heights import (
    BASE_SIZE,
    LINE_HEIGHT,
    fit_height,
    line_count,
    row_height,
    text_width,
)
from stiplan.assets.excel.stream import TableColumn, utf8_wrapped_lines, wrapped_lines

MARKED = "กิ่งไม้ใบน้ำที่นี่"  # 18 code points, 10 of them marks above or below
BARE = "กงมใบนำทนน"  # the same letters without the marks


def test_marks_take_no_room():
    assert len(MARKED) == 18
    assert text_width(MARKED) == len(BARE) == 11 - 1
    assert text_width("ปู่") == 1 and text_width("e\u0301") == 1  # a combining accent too
    assert text_width("โครงการ") == 7  # a leading vowel does take room


def test_a_wrapped_row_is_as_tall_as_its_letters_not_its_code_points():
    width = 12  # about ten 14-point Thai letters a line
    long = MARKED * 3
    assert line_count(long, width) == line_count("ก" * text_width(long), width) == 3
    assert line_count(long, None) == 1  # unwrapped: one line a paragraph
    assert line_count(f"{MARKED}\n{MARKED}", None) == 2
    assert fit_height(long, BASE_SIZE, width) == row_height(3) == round(3 * 14 * LINE_HEIGHT, 1)
    assert fit_height(long, 20, width) > fit_height(long, BASE_SIZE, width)  # bigger font
    assert fit_height(12_345, BASE_SIZE, 5) == row_height(1)  # numbers never wrap


def test_the_streaming_writer_measures_as_the_rule_does():
    column = TableColumn(style=1, quote_style=2, wrap_width=12, size=BASE_SIZE, text=True)
    texts = [MARKED * 3, "", "เชียงใหม่\nลำพูน", "x" * 40, MARKED + "\u0e4d\u0e32"]
    fast = wrapped_lines(texts, column)
    assert isinstance(fast, np.ndarray)
    assert fast.tolist() == [line_count(t, 12) for t in texts]


_TEXTS = st.lists(
    st.text(
        alphabet=st.sampled_from(list("ก้ิ่ำ \n\nab\u0301\u0e4d") + ["\U0001f600", "é"]),
        max_size=40,
    ),
    max_size=12,
)


@settings(max_examples=300, deadline=None)
@given(texts=_TEXTS, width=st.sampled_from([3.0, 8.0, 12.0, 50.0]))
def test_every_vectorised_measure_is_the_rule(texts, width):
    """Python lists and Arrow buffers (sliced too) give `line_count` of each text:
    empty texts, texts that start or end with a newline, blank lines, marks, astral
    characters."""
    column = TableColumn(style=1, quote_style=2, wrap_width=width, size=BASE_SIZE, text=True)
    expected = [line_count(t, width) for t in texts]
    assert wrapped_lines(texts, column).tolist() == expected
    arrow = pa.array(["pad", *texts], pa.string()).slice(1)
    assert utf8_wrapped_lines(arrow, column).tolist() == expected
