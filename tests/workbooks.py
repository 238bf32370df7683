"""Writing real submission workbooks for tests (openpyxl for .xlsx, xlwt for .xls)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import openpyxl

HEADER_TH = ["ลำดับ", "ชื่อโครงการ", "จังหวัด", "งบประมาณ (บาท)", "ยุทธศาสตร์"]


def write_xlsx(
    path: Path,
    sheets: dict[str, tuple[list[list], list[list]]],
    merge_titles: bool = True,
    hidden: tuple[str, ...] = (),
) -> Path:
    """sheets: name -> (rows above and including the header, data rows)."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, (top, rows) in sheets.items():
        ws = wb.create_sheet(name)
        for r in top + rows:
            ws.append(r)
        if merge_titles:
            width = max((len(r) for r in top), default=1)
            for i, r in enumerate(top[:-1], start=1):
                if len([v for v in r if v is not None]) == 1 and width > 1:
                    ws.merge_cells(start_row=i, start_column=1, end_row=i, end_column=width)
        if name in hidden:
            ws.sheet_state = "hidden"
    wb.save(path)
    return path


def write_xls(path: Path, top: list[list], rows: list[list]) -> Path:
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("Sheet1")
    for i, r in enumerate(top + rows):
        for j, v in enumerate(r):
            if v is not None:
                sheet.write(i, j, v)
    book.save(str(path))
    return path


def set_old_mtime(path: Path, days: int = 400) -> None:
    """Copies and saved attachments keep old modification times."""
    t = time.time() - days * 86400
    os.utime(path, (t, t))


def write_two_agencies(inbox: Path) -> None:
    """NSTDA's two projects (one in two provinces) and DSS's one, FY 2555, settled (a run
    Dagster starts unattended leaves files changed in the last seconds for later)."""
    year, head = ["ประจำปีงบประมาณ พ.ศ. 2555"], ["ลำดับ", "ชื่อโครงการ", "จังหวัด", "งบประมาณ (บาท)"]
    write_xlsx(
        inbox / "NSTDA_2555.xlsx",
        {
            "s": (
                [year, head],
                [[1, "โครงการหนึ่ง", "เชียงใหม่", 1000], [2, "โครงการสอง", "ลำพูน, ลำปาง", 2001]],
            )
        },
    )
    write_xlsx(inbox / "DSS_2555.xlsx", {"s": ([year, head], [[1, "โครงการสาม", "ตาก", 5]])})
    for f in ("NSTDA_2555.xlsx", "DSS_2555.xlsx"):
        set_old_mtime(inbox / f, days=1)
