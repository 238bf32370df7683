"""Imported once by the readers' fork server (assets/runtime/isolation.py): read a small
workbook there, as a run's router does (route, parse, keep the parse, build the
agency's share of the plan ahead: `cache.route_and_store`), so every child forked
from it starts with the reader's and the merge's lazy imports, compiled patterns and
reference lookups done, instead of paying for them once per file (a quarter of a
small file's cost). Then it freezes that heap for the collector (`gc.freeze`)."""

from __future__ import annotations

import atexit
import gc
import os
import tempfile
from pathlib import Path


def _warm() -> None:
    import openpyxl

    from stiplan.assets.consolidate.ahead import keep_share_ahead
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
        ahead = (folder / "merged", {}, keep_share_ahead)
        route_and_store(path, path.name, folder / "parsed", sha256_file(path), 0, ahead)


# The tests' injected faults (assets/runtime/faults.py) are for a run's own files:
# the warm-up's are none of them.
_FAULTS = {k: os.environ.pop(k) for k in ("STIPLAN_KILL_AT", "STIPLAN_FAIL_AT") if k in os.environ}
try:
    _warm()
except Exception:  # noqa: BLE001, S110 - a cold child is slower, never wrong
    pass
finally:
    os.environ.update(_FAULTS)
# What the server holds now (modules, patterns, tables) lives as long as every child:
# out of the collector's sight, a child's full collections do not walk it again.
gc.collect()
gc.freeze()
# ...but the server's own shutdown frees it as usual (the children leave by os._exit):
# objects left frozen make DuckDB's bindings report leaks on stderr at exit.
atexit.register(gc.unfreeze)
