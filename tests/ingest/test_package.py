"""The package check before a reader sees a workbook (assets/ingest/package.py): a
member that inflates too far, or whose bytes do not match their checksum, is refused
with a reason, whichever inflater does the work."""

from __future__ import annotations

import struct
import zipfile

import pytest

from stiplan.assets.ingest import package
from stiplan.assets.ingest.workbook import UnreadableFile, read_workbook
from tests.workbooks import write_xlsx

TOP = [["ลำดับ", "ชื่อโครงการ", "จังหวัด", "งบประมาณ (บาท)"]]


def _workbook(tmp_path, rows=20):
    data = [[i, f"โครงการที่ {i}", "เชียงใหม่", 1000 * i] for i in range(1, rows + 1)]
    return write_xlsx(tmp_path / "NIA_2555.xlsx", {"แผน": (TOP, data)}, merge_titles=False)


def _repacked(src, dst, extra: bytes = b""):
    """The same workbook, its sheet grown by `extra` (an XML comment) and deflated."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename.startswith("xl/worksheets/"):
                data = data.replace(b"<sheetData>", b"<!--" + extra + b"--><sheetData>", 1)
            zout.writestr(info.filename, data)
    return dst


def test_a_sheet_inflating_past_the_cap_is_refused_as_too_large(tmp_path, monkeypatch):
    monkeypatch.setattr(package, "MAX_MEMBER_BYTES", 1 << 20)
    bomb = _repacked(_workbook(tmp_path), tmp_path / "bomb.xlsx", b" " * (2 << 20))
    assert bomb.stat().st_size < 64 * 1024  # two megabytes of spaces deflate to little
    with pytest.raises(UnreadableFile) as caught:
        read_workbook(bomb)
    assert caught.value.code == "file_too_large"
    assert "inflates past 1 MB" in caught.value.detail


def test_the_package_cap_counts_every_member(tmp_path, monkeypatch):
    src = _repacked(_workbook(tmp_path), tmp_path / "big.xlsx", b" " * (3 << 20))
    monkeypatch.setattr(package, "MAX_TOTAL_BYTES", 2 << 20)
    with pytest.raises(UnreadableFile) as caught:
        read_workbook(src)
    assert caught.value.code == "file_too_large"
    assert "the package inflates past 2 MB" in caught.value.detail


def _sheet_member(path):
    with zipfile.ZipFile(path) as zf:
        return next(i for i in zf.infolist() if i.filename.startswith("xl/worksheets/"))


def test_a_member_whose_bytes_do_not_match_their_checksum_is_unreadable(tmp_path):
    path = _repacked(_workbook(tmp_path), tmp_path / "crc.xlsx")
    info = _sheet_member(path)
    data = bytearray(path.read_bytes())
    # The CRC-32 sits at offset 14 of the local header and 16 of the central entry.
    central = _central_entries(data, info.filename)
    assert len(central) == 1
    for at in (info.header_offset + 14, *central):
        data[at : at + 4] = struct.pack("<I", info.CRC ^ 0xFFFFFFFF)
    path.write_bytes(bytes(data))
    with pytest.raises(UnreadableFile) as caught:
        read_workbook(path)
    assert caught.value.code == "file_unreadable"
    assert "CRC" in caught.value.detail


def _central_entries(data: bytearray, name: str) -> list[int]:
    """Offsets of the CRC fields of `name`'s central directory entries."""
    out, at = [], data.find(b"PK\x01\x02")
    while at >= 0:
        n, m, k = struct.unpack("<3H", data[at + 28 : at + 34])
        if data[at + 46 : at + 46 + n].decode() == name:
            out.append(at + 16)
        at = data.find(b"PK\x01\x02", at + 46 + n + m + k)
    return out


def test_damaged_deflate_data_is_unreadable(tmp_path):
    path = _repacked(_workbook(tmp_path, rows=400), tmp_path / "torn.xlsx")
    info = _sheet_member(path)
    data = bytearray(path.read_bytes())
    n, m = struct.unpack("<2H", data[info.header_offset + 26 : info.header_offset + 30])
    start = info.header_offset + 30 + n + m
    middle = start + info.compress_size // 2
    data[middle : middle + 64] = bytes(64 * [0xFF])
    path.write_bytes(bytes(data))
    with pytest.raises(UnreadableFile) as caught:
        read_workbook(path)
    assert caught.value.code == "file_unreadable"


def test_the_fast_inflater_gives_zipfiles_bytes(tmp_path):
    path = _repacked(_workbook(tmp_path, rows=2000), tmp_path / "same.xlsx", b"x" * 1_500_000)
    info = _sheet_member(path)
    with zipfile.ZipFile(path) as zf:
        expected = zf.read(info)
        got = b"".join(package.inflate_chunks(zf, info, [0]))
    assert got == expected
    assert len(got) > package.CHUNK  # several reads, each bounded
