"""The one save (assets/excel/save.py, edit.save_workbook, Book.save): the same content
gives the same bytes whichever writer made it, a file is replaced whole or not at all,
and what is handed out is 0644."""

from __future__ import annotations

import datetime as dt
import os
import stat

import openpyxl
import pytest

from stiplan.assets.excel.edit import save_workbook, styled, use_styles
from stiplan.assets.excel.save import FILE_MODE, write_atomically, write_bytes
from stiplan.assets.excel.style import Book, Column, put, write_table

WHEN = dt.datetime(2011, 10, 1, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=7)))


def _openpyxl_book():
    wb = use_styles(openpyxl.Workbook())
    ws = wb.active
    styled(ws.cell(row=1, column=1, value="แผนบูรณาการ"), "title")
    styled(ws.cell(row=2, column=1, value=1_250_000.5), "money")
    return wb


def _xlsxwriter_book():
    book = Book("แผน", created=WHEN)
    ws = book.add_sheet("สรุป")
    put(ws, 1, 1, "แผนบูรณาการ", bold=True, size=18)
    write_table(ws, 3, [Column("ชื่อ", wrap=True, width=30)], [["กิ่งไม้"], ["ใบไม้"]])
    return book


@pytest.fixture
def loose_umask():
    old = os.umask(0o077)  # what mkstemp and a strict umask would give: 0600
    yield
    os.umask(old)


def test_openpyxl_workbooks_with_the_same_content_give_the_same_bytes(tmp_path, loose_umask):
    a = save_workbook(_openpyxl_book(), tmp_path / "a.xlsx", WHEN)
    b = save_workbook(_openpyxl_book(), tmp_path / "b.xlsx", WHEN)
    assert a.read_bytes() == b.read_bytes()
    assert stat.S_IMODE(a.stat().st_mode) == FILE_MODE == 0o644
    props = openpyxl.load_workbook(a).properties
    assert props.created == props.modified == dt.datetime(2011, 10, 1, 2, 30)  # UTC, no clock
    c = save_workbook(_openpyxl_book(), tmp_path / "c.xlsx", WHEN + dt.timedelta(days=1))
    assert c.read_bytes() != a.read_bytes()  # the date is the content's own


def test_xlsxwriter_books_with_the_same_content_give_the_same_bytes(tmp_path, loose_umask):
    a = _xlsxwriter_book().save(tmp_path / "a.xlsx")
    b = _xlsxwriter_book().save(tmp_path / "b.xlsx")
    assert a.read_bytes() == b.read_bytes()
    assert stat.S_IMODE(a.stat().st_mode) == 0o644


def test_a_failed_write_leaves_the_old_file_and_no_temporary_one(tmp_path):
    path = write_bytes(tmp_path / "out" / "book.xlsx", b"old")

    def half(fh):
        fh.write(b"half a workb")
        raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        write_atomically(path, half)
    assert path.read_bytes() == b"old"
    assert [p.name for p in path.parent.iterdir()] == ["book.xlsx"]


def test_the_temporary_file_is_one_lock_sweep_removes(tmp_path):
    seen = []

    def look(fh):
        seen.extend(p.name for p in tmp_path.iterdir())
        fh.write(b"x")

    write_atomically(tmp_path / "stamp.sha256", look, durable=True)
    (tmp,) = seen
    assert tmp.startswith(".stamp.sha256.") and tmp.endswith(".tmp")  # `.*.tmp`
