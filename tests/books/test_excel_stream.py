"""The fast workbook writer (assets/excel/stream.py, xlsx_style.Book): rows rendered by
DuckDB are the rows Python renders, the zip is valid and the same book gives the
same bytes, files are 0644, and an unchanged workbook is linked, not written again."""

from __future__ import annotations

import datetime as dt
import io
import itertools
import os
import stat
import zipfile
import zlib
from decimal import Decimal

import duckdb
import openpyxl
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stiplan.assets.books.folders import Manifest, Written
from stiplan.assets.excel.heights import text_width
from stiplan.assets.excel.stream import (
    Table,
    TableColumn,
    ZipWriter,
    crc32_combine,
    deflate,
    deflate_part,
    finish,
    render,
    rows_sql,
    runs,
)
from stiplan.assets.excel.style import (
    BULK_ROWS,
    COUNT,
    MILLION_BAHT,
    Book,
    Column,
    page_setup,
    put,
    write_table,
)

ODD_TEXT = [
    "กิ่งไม้ใบ" * 9,
    "=1+1",
    " leading space",
    'a & <b> _x0041_ "q"',
    None,
    "x\ny\n" + "ซ" * 60,
    "-ลบ",
    "@SUM(A1)",
    "+บวก",
    "ok\x01\x1fdrop",
    "trailing ",
    "",
    "\u00a0nbsp",
    "abc\uffff",
    "<r>rich?</r>",
    "ไม่มีอะไรแปลก",
]
NUMBERS = [
    1.5,
    1e-05,
    None,
    1e16,
    0.1,
    12345678.91,
    float("inf"),
    0.0,
    -2.25,
    7.0,
    3e-300,
    None,
    1.0,
    2.5,
    99.99,
    123456789012.5,
]
COLUMNS = [
    TableColumn(1, 2, None, 14, False),
    TableColumn(3, 4, 20.0, 14, True),
    TableColumn(5, 6, None, 14, True),
    TableColumn(7, 8, None, 14, False),
    TableColumn(9, 10, 8.0, 14, True),
]


def test_rows_rendered_by_duckdb_are_the_rows_python_renders():
    n = len(ODD_TEXT)
    values = [
        list(range(1, n + 1)),
        ODD_TEXT,
        ODD_TEXT[::-1],
        NUMBERS,
        ["สั้น", None, "ยาวมากกกกกกกกกกกกกก\nอีกบรรทัด", "", *ODD_TEXT[: n - 4]],
    ]
    python = render(Table(COLUMNS, values, 5, inline=True), {})
    con = duckdb.connect()
    con.execute("CREATE TABLE t (r INT, v0 BIGINT, v1 VARCHAR, v2 VARCHAR, v3 DOUBLE, v4 VARCHAR)")
    con.executemany(
        "INSERT INTO t VALUES (?, ?, ?, ?, ?, ?)",
        [[5 + i, *(c[i] for c in values)] for i in range(n)],
    )
    rows = con.execute(
        f"SELECT * EXCLUDE (k) FROM ({rows_sql('SELECT r AS k, * FROM t', COLUMNS, keep=['k'])}) "
        "ORDER BY k"
    ).fetchall()
    assert finish(rows, COLUMNS).decode() == python
    # and what it says: dropped characters, quoted formulas, heights from Thai widths
    assert "\x01" not in python and "\uffff" not in python and "okdrop" in python
    assert '<c r="B6" s="4" t="inlineStr"><is><t>=1+1</t>' in python
    assert "_x005F_x0041_" in python and "&amp; &lt;b&gt;" in python
    assert '<t xml:space="preserve"> leading space</t>' in python
    assert '<c r="B16" s="3"/>' in python  # "" is an empty cell
    assert text_width("กิ่งไม้ใบ") == 6  # ก ง ไ ม ใ บ: the marks take no room


def test_zip_members_compressed_apart_join_into_a_valid_zip():
    a, b, c = b"<x>" * 5000, os.urandom(3000), "ก".encode() * 7000
    assert crc32_combine(zlib.crc32(a), zlib.crc32(b), len(b)) == zlib.crc32(a + b)
    buf = io.BytesIO()
    zw = ZipWriter(buf)
    zw.add("whole.xml", a)
    zw.add_stream("parts.xml", [a, deflate_part(b), c, deflate_part(a), b""])
    zw.add("deflated.xml", deflate(c))
    zw.close()
    with zipfile.ZipFile(buf) as z:
        assert z.testzip() is None
        assert z.read("whole.xml") == a
        assert z.read("parts.xml") == a + b + c + a
        assert z.read("deflated.xml") == c
        assert all(i.date_time == (1980, 1, 1, 0, 0, 0) for i in z.infolist())


def _book(rows: int = 3, created=dt.datetime(2012, 1, 2, 3, 4, tzinfo=dt.UTC)) -> Book:
    book = Book("ทดสอบ", created)
    ws = book.add_sheet("ตาราง")
    put(ws, 1, 1, "หัวเรื่อง", bold=True, size=18)
    body = [
        (i, ODD_TEXT[(i - 1) % len(ODD_TEXT)], Decimal("1234.56") if i % 2 else 0.5)
        for i in range(1, rows + 1)
    ]
    write_table(
        ws,
        3,
        [
            Column("ลำดับ", COUNT, 7),
            Column("ชื่อ", None, 30, wrap=True),
            Column("งบ", MILLION_BAHT, 14),
        ],
        body,
        total=(None, "รวม", 1.0),
    )
    page_setup(ws)
    return book


@pytest.mark.parametrize("rows", [3, BULK_ROWS + 20])  # xlsxwriter's cells, then ours
def test_a_book_reads_back_as_written(tmp_path, rows):
    path = _book(rows).save(tmp_path / "b.xlsx")
    ws = openpyxl.load_workbook(path)["ตาราง"]
    got = [r for r in ws.iter_rows(min_row=4, max_row=3 + rows, values_only=True)]
    assert len(got) == rows
    for i, (n, text, amount) in enumerate(got, start=1):
        want = ODD_TEXT[(i - 1) % len(ODD_TEXT)]
        if want is not None:
            want = want.replace("\x01", "").replace("\x1f", "").replace("\uffff", "")
        assert n == i
        assert text == (want or None) or (text, want) == ("_x003C_r>rich?</r>", "<r>rich?</r>")
        assert amount == (1234.56 if i % 2 else 0.5)
        assert isinstance(amount, float)  # a Decimal is written as a number
    for row in ws.iter_rows(min_row=4, max_row=3 + rows):
        cell = row[1]
        if isinstance(cell.value, str) and cell.value[:1] in "=+-@" and cell.value:
            assert cell.data_type == "s" and cell.quotePrefix
        assert row[0].font.name == "TH Sarabun New"
        assert row[2].number_format == MILLION_BAHT
    assert ws.freeze_panes == "B4" and ws.print_title_rows == "$1:$3"
    assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0
    long = next(r for r in range(4, 4 + rows) if ws.cell(r, 2).value == "กิ่งไม้ใบ" * 9)
    assert ws.row_dimensions[long].height > ws.row_dimensions[long + 1].height  # wrapped
    with zipfile.ZipFile(path) as z:
        assert z.testzip() is None
        assert not any(b"<f>" in z.read(n) for n in z.namelist() if n.startswith("xl/work"))


def test_the_same_book_gives_the_same_bytes_and_files_are_0644(tmp_path):
    old = os.umask(0o077)  # a strict umask must not make handouts private
    try:
        a = _book(BULK_ROWS + 5).save(tmp_path / "a.xlsx")
        b = _book(BULK_ROWS + 5).save(tmp_path / "b.xlsx")
    finally:
        os.umask(old)
    assert a.read_bytes() == b.read_bytes()
    assert stat.S_IMODE(a.stat().st_mode) == 0o644
    other = _book(BULK_ROWS + 5, dt.datetime(2013, 1, 1, tzinfo=dt.UTC))
    assert other.fingerprint() != _book(BULK_ROWS + 5).fingerprint()
    assert _book(BULK_ROWS + 6).fingerprint() != _book(BULK_ROWS + 5).fingerprint()
    assert openpyxl.load_workbook(a).properties.created == dt.datetime(2012, 1, 2, 3, 4)


def test_an_unchanged_workbook_is_linked_a_changed_or_edited_one_is_not(tmp_path):
    old, new = tmp_path / "old", tmp_path / "new"
    book = _book()
    written = Written(
        [book.save(old / "x.xlsx"), book.save(old / "y.xlsx")],
        {"x.xlsx": book.fingerprint(), "y.xlsx": book.fingerprint()},
    )
    Manifest.of(old, written).save(tmp_path / "old.manifest.json")
    manifest = Manifest.load(tmp_path / "old.manifest.json", old)
    assert manifest.reuse("x.xlsx", book.fingerprint(), new / "x.xlsx")
    assert (new / "x.xlsx").stat().st_ino == (old / "x.xlsx").stat().st_ino
    assert not manifest.reuse("x.xlsx", "another", new / "x2.xlsx")  # content changed
    os.utime(old / "y.xlsx", ns=(1, 1))  # somebody edited it since
    assert not manifest.reuse("y.xlsx", book.fingerprint(), new / "y.xlsx")
    assert not manifest.reuse("z.xlsx", book.fingerprint(), new / "z.xlsx")
    assert not (new / "y.xlsx").exists() and not (new / "z.xlsx").exists()
    book.save(old / "x.xlsx")  # replaced by another file: its manifest no longer holds
    assert not manifest.reuse("x.xlsx", book.fingerprint(), new / "x3.xlsx")
    missing = Manifest.load(tmp_path / "none.json", old)
    assert not missing.reuse("y.xlsx", book.fingerprint(), new / "q")
    assert not list(tmp_path.glob("*.tmp"))


def test_shared_string_columns_render_alike_in_duckdb_and_python():
    from stiplan.assets.excel.stream import shared_strings_sql

    columns = [
        TableColumn(1, 2, None, 14, True, shared=True),
        TableColumn(3, 4, 12.0, 14, True, shared=True),
    ]
    texts = ["ก", "=1+1", "ok\x01", "ก", None, "<r>x</r>", "", " sp", "ยาว" * 20, "ข"]
    values = [texts, texts[::-1]]
    con = duckdb.connect()
    con.execute("CREATE TABLE t (r INT, v0 VARCHAR, v1 VARCHAR)")
    con.executemany(
        "INSERT INTO t VALUES (?, ?, ?)",
        [[5 + i, values[0][i], values[1][i]] for i in range(len(texts))],
    )
    con.execute(
        "CREATE TABLE sst AS "
        + shared_strings_sql("SELECT v0 AS s FROM t UNION ALL SELECT v1 FROM t")
    )
    shared = dict(con.execute("SELECT s, i FROM sst").fetchall())
    assert "ok\x01" not in shared and "<r>x</r>" not in shared and "" not in shared
    relation = (
        "SELECT t.*, a.i AS s0, b.i AS s1 FROM t LEFT JOIN sst a ON a.s = t.v0 "
        "LEFT JOIN sst b ON b.s = t.v1"
    )
    rows = con.execute(
        f"SELECT * EXCLUDE (k) FROM ({rows_sql(f'SELECT r AS k, * FROM ({relation})', columns, keep=['k'])}) "
        "ORDER BY k"
    ).fetchall()
    python = render(Table(columns, values, 5), shared)
    assert finish(rows, columns).decode() == python
    assert f'<c r="A5" s="1" t="s"><v>{shared["ก"]}</v></c>' in python


@settings(max_examples=200, deadline=None)
@given(
    keys=st.lists(
        st.tuples(st.sampled_from(["10", "11", None]), st.sampled_from(["A", None])), max_size=30
    ),
    batch=st.integers(1, 7),
)
def test_runs_are_groupby_over_batches(keys, batch):
    """Runs of equal keys (nulls equal to nulls) come whole and in order, however the
    rows are cut into batches."""
    table = pa.table(
        {"code": [k[0] for k in keys], "ag": [k[1] for k in keys], "i": range(len(keys))}
    )
    got = [
        (key, t.column("i").to_pylist()) for key, t in runs(table.to_batches(batch), ["code", "ag"])
    ]
    expected = [
        (key, [i for i, _ in group])
        for key, group in itertools.groupby(enumerate(keys), key=lambda x: x[1])
    ]
    assert got == expected
