"""The named styles (assets/excel/styles.py) look the same in a workbook written by
xlsxwriter (the plan book, the extracts) and in one written by openpyxl (the feedback,
the template, the demo)."""

from __future__ import annotations

import openpyxl
import pytest

from stiplan.assets.excel.edit import save_workbook, style_name, styled, use_styles
from stiplan.assets.excel.style import Book, put
from stiplan.assets.excel.styles import FONT_NAME, STYLES

NAMES = list(STYLES)


def _look(cell) -> tuple:
    f, fill, a = cell.font, cell.fill, cell.alignment
    rgb = fill.fgColor.rgb[-6:] if fill.fill_type == "solid" else None
    color = f.color.rgb[-6:] if f.color is not None and isinstance(f.color.rgb, str) else None
    return (
        f.name,
        float(f.sz),
        bool(f.b),
        bool(f.i),
        color,
        rgb,
        getattr(cell.border.left, "style", None),
        bool(a.wrap_text),
        a.horizontal,
        a.vertical or "bottom",  # Excel's default
        f.u,
        cell.number_format,
    )


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    folder = tmp_path_factory.mktemp("styles")
    book = Book("named styles")
    ws = book.add_sheet("xlsxwriter")
    for row, name in enumerate(NAMES, start=1):
        put(ws, row, 1, name, style=STYLES[name])
    wb = use_styles(openpyxl.Workbook())
    for row, name in enumerate(NAMES, start=1):
        styled(wb.active.cell(row=row, column=1, value=name), name)
    return (
        openpyxl.load_workbook(book.save(folder / "xlsxwriter.xlsx")),
        openpyxl.load_workbook(save_workbook(wb, folder / "openpyxl.xlsx")),
    )


def test_every_named_style_is_registered_in_an_openpyxl_workbook(written):
    _, by_openpyxl = written
    assert {style_name(n) for n in NAMES} <= set(by_openpyxl.style_names)
    ws = by_openpyxl.active
    assert [ws.cell(row=r, column=1).style for r in range(1, len(NAMES) + 1)] == [
        style_name(n) for n in NAMES
    ]


@pytest.mark.parametrize("name", NAMES)
def test_a_named_style_looks_the_same_written_either_way(written, name):
    by_xlsxwriter, by_openpyxl = written
    row = NAMES.index(name) + 1
    a = by_xlsxwriter.active.cell(row=row, column=1)
    b = by_openpyxl.active.cell(row=row, column=1)
    assert _look(a) == _look(b)
    assert a.font.name == FONT_NAME
    style = STYLES[name]
    assert (bool(a.font.b), float(a.font.sz), a.number_format) == (
        style.bold,
        float(style.size),
        style.fmt or "General",
    )


def test_registering_again_keeps_the_styles_a_workbook_has(tmp_path):
    wb = use_styles(openpyxl.Workbook())
    path = save_workbook(wb, tmp_path / "once.xlsx")
    again = use_styles(openpyxl.load_workbook(path))  # an agency's copy of the template
    assert again.style_names.count(style_name("header")) == 1
