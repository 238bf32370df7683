"""The readers' warm-up: a small workbook read as a run's router reads one (route it,
parse it, keep the parse, and with `share_ahead` build the agency's share of the plan
ahead: `cache.route_and_store`), so that every child forked from the process that
ran it starts with the reader's and the merge's lazy imports, compiled patterns and
reference lookups done, instead of paying for them once per file (a quarter of a
small file's cost). The readers' fork server runs it when it starts
(pipelines/warmup.py, which can hand it the merge's share builder)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path


def warm(share_ahead: Callable | None = None) -> None:
    """Read the sample workbook in this process (`share_ahead`: as a run's `ahead`)."""
    import openpyxl

    from stiplan.assets.ingest.cache import route_and_store
    from stiplan.assets.ingest.registry import sha256_file
    from stiplan.assets.ingest.submission import route_file

    with tempfile.TemporaryDirectory(prefix="stiplan-warmup-") as folder:
        path = Path(folder) / "NSTDA_2555.xlsx"
        wb = openpyxl.Workbook()
        ws = wb.active
        for row in (
            ["หน่วยงาน: สวทช."],
            ["แผนงาน ประจำปีงบประมาณ พ.ศ. 2555"],
            [
                "ลำดับ",
                "ชื่อโครงการ",
                "จังหวัด",
                "งบประมาณ (บาท)",
                "วันเริ่มต้น",
                "วันสิ้นสุด",
                "ยุทธศาสตร์",
                "กลุ่มเป้าหมาย",
                "ผู้รับผิดชอบ",
                "โทรศัพท์",
            ],
            [
                1,
                "โครงการเกษตรอัจฉริยะ",
                "จ.เชียงใหม่, ลำพูน",
                1500000.5,
                "1 ต.ค. 2554",
                "2012-09-30",
                "ยุทธศาสตร์ที่ 1",
                "เกษตรกร",
                "นายสมชาย",
                "02-123-4567",
            ],
            [2, "โครงการศูนย์บ่มเพาะ", "ทั่วประเทศ", "2.5 ล้านบาท", None, None],
            [3, "โครงการ", "ไม่ทราบ", "abc"],
            [None, "รวม", None, 1500000.5],
        ):
            ws.append(row)
        wb.save(path)
        route_file(path, path.name)  # the sensor's way
        folder = Path(folder)
        ahead = (folder / "merged", {}, share_ahead) if share_ahead else None
        route_and_store(path, path.name, folder / "parsed", sha256_file(path), os.getpid(), ahead)
