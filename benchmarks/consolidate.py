"""Benchmark: `stiplan run` on 16 agency workbooks vs. a naive pandas script, per the
performance issue's "done when".

    .venv/bin/python benchmarks/consolidate.py [--rows 10000] [--agencies 16] [--out DIR]
        [--skip-naive] [--skip-outputs] [--skip-incremental] [--skip-demo] [--no-results]

1. Generates AGENCIES workbooks x ROWS project rows in the submission template
   (openpyxl write-only), cached in OUT/inbox-<A>x<R>/ with a manifest of the
   expected row count and exact budget total, and one agency's resubmission
   `<CODE>_2555_revised.xlsx` (about 1 % of its budgets changed, two projects
   dropped, two added), cached in OUT/revised-<R>/; re-runs skip generation.
2. Times, each in a child process (DAGSTER_HOME unset) with its output lines
   time-stamped as they arrive: `stiplan run --no-outputs` on a fresh warehouse
   (to the published plan); `stiplan run` on a fresh warehouse (the whole run);
   `stiplan run` again after the resubmission lands in that inbox (incremental);
   `stiplan run` on the demo year (`stiplan demo`) on a fresh warehouse; and the
   naive pandas + openpyxl consolidation. Peak memory: the sampled RSS and PSS of
   the whole process tree, and ru_maxrss of its largest process. Each published
   plan's `projects` count and budget sum are checked with duckdb (read-only).
3. Prints the issue's figures with the target beside each (PASS/FAIL), the phase
   split of every run (start-up+routing, reading, merge+audit+publish, outputs,
   report+exit, from its progress lines), and appends a dated section to
   benchmarks/results.md.

See benchmarks/README.md for what is measured and the caveats.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from decimal import Decimal
from pathlib import Path

from pythainlp.util.date import thai_abbr_months

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DATA = REPO / "schemas" / "data"
GENERATOR_VERSION = 3  # bump when the generated content changes (invalidates the cache)
FISCAL_YEAR = 2555
SEED = 2555
REVISED_DROPPED = 2  # projects the resubmission drops
REVISED_ADDED = 2  # and adds

TITLE = f"แผนบูรณาการงานด้านวิทยาศาสตร์ เทคโนโลยี และนวัตกรรมกับจังหวัด ประจำปีงบประมาณ พ.ศ. {FISCAL_YEAR}"
HEADER = [
    "ลำดับ",
    "ชื่อโครงการ",
    "จังหวัด",
    "งบประมาณ (บาท)",
    "ยุทธศาสตร์",
    "กลุ่มเป้าหมาย",
    "วันเริ่มต้น",
    "วันสิ้นสุด",
    "ผู้รับผิดชอบ",
    "โทรศัพท์",
    "หมายเหตุ",
]

# ----------------------------------------------------------------------------- vocabulary

ACTIONS = [
    "ถ่ายทอดเทคโนโลยี",
    "พัฒนา",
    "ส่งเสริม",
    "ยกระดับ",
    "เสริมสร้างศักยภาพด้าน",
    "วิจัยและพัฒนา",
    "สร้างเครือข่าย",
    "อบรมเชิงปฏิบัติการด้าน",
    "ประยุกต์ใช้",
    "เพิ่มขีดความสามารถด้าน",
    "สำรวจและจัดทำฐานข้อมูล",
    "สาธิตและเผยแพร่",
    "ปรับปรุงคุณภาพ",
    "ให้บริการคำปรึกษาด้าน",
    "ถ่ายทอดองค์ความรู้",
    "จัดตั้งศูนย์เรียนรู้",
    "ขยายผล",
    "ติดตั้งระบบ",
    "พัฒนาต้นแบบ",
    "ฝึกอบรมบุคลากรด้าน",
    "บูรณาการ",
    "เผยแพร่และประชาสัมพันธ์",
    "ประเมินและติดตามผล",
    "สนับสนุน",
]

# Each agency's own themes, so names mostly differ across agencies.
THEMES = {
    "OMIN": [
        "วิทยาศาสตร์เพื่อชุมชน",
        "นโยบายวิทยาศาสตร์สู่ภูมิภาค",
        "เทคโนโลยีเพื่อท้องถิ่น",
        "ศูนย์ประสานงานวิทยาศาสตร์จังหวัด",
        "ภูมิปัญญาท้องถิ่นกับวิทยาศาสตร์",
    ],
    "OPS": [
        "คลินิกเทคโนโลยี",
        "ศูนย์วิทยาศาสตร์เพื่อการศึกษา",
        "เครือข่ายวิทยาศาสตร์ระดับจังหวัด",
        "หมู่บ้านวิทยาศาสตร์",
        "ผู้ว่าราชการจังหวัดด้านวิทยาศาสตร์",
    ],
    "DSS": [
        "การทดสอบคุณภาพผลิตภัณฑ์ชุมชน",
        "มาตรฐานผลิตภัณฑ์ชุมชน",
        "ห้องปฏิบัติการทดสอบ",
        "เทคโนโลยีเซรามิก",
        "การวิเคราะห์คุณภาพน้ำบริโภค",
    ],
    "OAP": [
        "ความปลอดภัยทางรังสี",
        "การเฝ้าระวังกัมมันตภาพรังสีในสิ่งแวดล้อม",
        "การกำกับดูแลเครื่องกำเนิดรังสี",
        "การตรวจวัดรังสีในอาหาร",
        "นิวเคลียร์และรังสีศึกษา",
    ],
    "NIMT": [
        "มาตรวิทยาอุตสาหกรรม",
        "การสอบเทียบเครื่องมือวัด",
        "มาตรวิทยาเคมี",
        "ระบบการวัดแห่งชาติ",
        "เครื่องชั่งตวงวัดในตลาดสด",
    ],
    "TISTR": [
        "การแปรรูปผลผลิตทางการเกษตร",
        "จุลินทรีย์เพื่อการเกษตร",
        "ปุ๋ยชีวภาพ",
        "พลังงานทดแทนชีวมวล",
        "ผลิตภัณฑ์สมุนไพรแปรรูป",
    ],
    "GISTDA": [
        "ภูมิสารสนเทศเพื่อการบริหารจัดการพื้นที่",
        "ภาพถ่ายดาวเทียมเพื่อการเกษตร",
        "แผนที่ความเสี่ยงอุทกภัย",
        "ระบบติดตามไฟป่าและหมอกควัน",
        "ข้อมูลการใช้ประโยชน์ที่ดิน",
    ],
    "NSTDA": [
        "เทคโนโลยีชีวภาพ",
        "พันธุ์ข้าวทนน้ำท่วม",
        "วัสดุศาสตร์สำหรับอุตสาหกรรม",
        "อิเล็กทรอนิกส์และคอมพิวเตอร์",
        "นาโนเทคโนโลยี",
    ],
    "NSM": [
        "พิพิธภัณฑ์วิทยาศาสตร์เคลื่อนที่",
        "นิทรรศการวิทยาศาสตร์",
        "ค่ายวิทยาศาสตร์เยาวชน",
        "มหกรรมวิทยาศาสตร์",
        "สื่อการเรียนรู้วิทยาศาสตร์",
    ],
    "TINT": [
        "การฉายรังสีผลไม้",
        "เทคโนโลยีนิวเคลียร์เพื่อการเกษตร",
        "ไอโซโทปรังสีทางการแพทย์",
        "การปรับปรุงพันธุ์พืชด้วยรังสี",
        "การวิเคราะห์ด้วยเทคนิคนิวเคลียร์",
    ],
    "STI": [
        "ระบบนวัตกรรมจังหวัด",
        "นโยบายวิทยาศาสตร์ เทคโนโลยี และนวัตกรรม",
        "ดัชนีนวัตกรรม",
        "กำลังคนด้านวิทยาศาสตร์",
        "ยุทธศาสตร์นวัตกรรมภูมิภาค",
    ],
    "SLRI": [
        "แสงซินโครตรอน",
        "การวิเคราะห์วัสดุด้วยแสงซินโครตรอน",
        "เทคโนโลยีสุญญากาศ",
        "อัญมณีและเครื่องประดับ",
        "เทคโนโลยีเครื่องเร่งอนุภาค",
    ],
    "HAII": [
        "คลังข้อมูลน้ำ",
        "การบริหารจัดการน้ำชุมชน",
        "ระบบโทรมาตรเตือนภัย",
        "แผนที่น้ำชุมชน",
        "สารสนเทศทรัพยากรน้ำและการเกษตร",
    ],
    "NARIT": [
        "ดาราศาสตร์",
        "หอดูดาวเฉลิมพระเกียรติ",
        "ดาราศาสตร์ศึกษา",
        "กล้องโทรทรรศน์เพื่อโรงเรียน",
        "ท้องฟ้าจำลองเคลื่อนที่",
    ],
    "NIA": [
        "นวัตกรรมเชิงพาณิชย์",
        "ธุรกิจนวัตกรรม",
        "นวัตกรรมอาหาร",
        "เครือข่ายนวัตกรรมชุมชน",
        "นวัตกรรมเกษตรอินทรีย์",
    ],
    "TCELS": [
        "ชีววิทยาศาสตร์",
        "สมุนไพรไทยสู่มาตรฐานสากล",
        "การแพทย์แผนไทย",
        "ผลิตภัณฑ์ชีวภัณฑ์",
        "อุปกรณ์การแพทย์",
    ],
}
GENERIC_THEMES = ["วิทยาศาสตร์และเทคโนโลยี", "นวัตกรรมท้องถิ่น", "เทคโนโลยีสารสนเทศ"]

PURPOSES = [
    "เพื่อเพิ่มมูลค่าสินค้าเกษตร",
    "เพื่อความมั่นคงทางอาหาร",
    "เพื่อเศรษฐกิจฐานราก",
    "เพื่อการท่องเที่ยวเชิงสร้างสรรค์",
    "เพื่อลดต้นทุนการผลิต",
    "เพื่อคุณภาพชีวิตที่ดีขึ้น",
    "เพื่อการส่งออก",
    "เพื่อการพึ่งพาตนเอง",
    "เพื่อรองรับประชาคมอาเซียน",
    "เพื่อการอนุรักษ์สิ่งแวดล้อม",
    "เพื่อการจัดการภัยพิบัติ",
    "เพื่อสุขภาพชุมชน",
    "เพื่อการศึกษา",
    "เพื่อยกระดับผลิตภัณฑ์ OTOP",
    "เพื่ออุตสาหกรรมขนาดกลางและขนาดย่อม",
    "เพื่อการใช้พลังงานอย่างมีประสิทธิภาพ",
    "เพื่อการพัฒนาที่ยั่งยืน",
    "เพื่อเกษตรกรรายย่อย",
    "เพื่อความปลอดภัยของผู้บริโภค",
    "เพื่อการบริหารจัดการน้ำ",
    "เพื่อการเรียนรู้ตลอดชีวิต",
    "เพื่อเสริมสร้างความเข้มแข็งของชุมชน",
    "เพื่อการสร้างอาชีพ",
    "เพื่อการแข่งขันของจังหวัด",
    "",
]
TARGETS = [
    "สำหรับวิสาหกิจชุมชน",
    "สำหรับครูวิทยาศาสตร์",
    "สำหรับนักเรียนมัธยมศึกษา",
    "สำหรับกลุ่มเกษตรกร",
    "สำหรับผู้ประกอบการ SMEs",
    "สำหรับองค์กรปกครองส่วนท้องถิ่น",
    "สำหรับกลุ่มแม่บ้าน",
    "สำหรับโรงพยาบาลส่งเสริมสุขภาพตำบล",
    "สำหรับสหกรณ์การเกษตร",
    "สำหรับปราชญ์ชาวบ้าน",
    "สำหรับเยาวชน",
    "สำหรับอาสาสมัครสาธารณสุข",
    "สำหรับเจ้าหน้าที่ภาครัฐ",
    "สำหรับมหาวิทยาลัยในภูมิภาค",
    "สำหรับผู้สูงอายุ",
    "สำหรับกลุ่มประมงพื้นบ้าน",
    "สำหรับโรงเรียนขยายโอกาส",
    "",
]
QUALIFIERS = [
    "",
    "",
    "",
    "แบบมีส่วนร่วม",
    "เชิงพื้นที่",
    "ระยะที่ 2",
    "ระยะที่ 3",
    "ปีที่ 2",
    "(ต่อเนื่อง)",
    "นำร่อง",
    "แบบครบวงจร",
    "ในพื้นที่ชายแดน",
    "ในพื้นที่ลุ่มน้ำ",
]
# Joint projects that several agencies list (exact or near-identical names).
SHARED_NAMES = [
    "โครงการวิทยาศาสตร์และเทคโนโลยีเพื่อชุมชนพึ่งตนเอง",
    "โครงการหมู่บ้านแม่ไม้วิทยาศาสตร์และเทคโนโลยี",
    "โครงการพัฒนาระบบเตือนภัยพิบัติระดับจังหวัด",
    "โครงการถ่ายทอดเทคโนโลยีการแปรรูปข้าวหอมมะลิ",
    "โครงการยกระดับมาตรฐานผลิตภัณฑ์หนึ่งตำบลหนึ่งผลิตภัณฑ์ด้วยวิทยาศาสตร์",
    "โครงการส่งเสริมการเรียนรู้วิทยาศาสตร์ในโรงเรียนชายแดน",
    "โครงการศูนย์บริการวิทยาศาสตร์และเทคโนโลยีภูมิภาค",
    "โครงการเทคโนโลยีเพื่อการจัดการน้ำในไร่นา",
    "โครงการพัฒนากำลังคนด้านวิทยาศาสตร์ เทคโนโลยี และนวัตกรรมในจังหวัด",
    "โครงการสัปดาห์วิทยาศาสตร์ส่วนภูมิภาค",
    "โครงการนวัตกรรมเพื่อการท่องเที่ยวเชิงสุขภาพ",
    "โครงการเกษตรอัจฉริยะด้วยเซนเซอร์และข้อมูลดาวเทียม",
]
SHARED_PROVINCES = ["ขอนแก่น", "เชียงใหม่", "สงขลา", "นครราชสีมา", "อุบลราชธานี", "พิษณุโลก"]
STRATEGIES = [
    "ยุทธศาสตร์ที่ 1 การพัฒนาวิทยาศาสตร์ เทคโนโลยี และนวัตกรรมเพื่อเศรษฐกิจฐานราก",
    "ยุทธศาสตร์ที่ 2 การเพิ่มขีดความสามารถในการแข่งขันของภาคการผลิตและบริการ",
    "ยุทธศาสตร์ที่ 3 การพัฒนาคุณภาพชีวิตและสิ่งแวดล้อม",
    "ยุทธศาสตร์ที่ 4 การพัฒนากำลังคนและการสร้างความตระหนักด้านวิทยาศาสตร์",
]
TARGET_GROUPS = [
    "เกษตรกร 200 ราย",
    "วิสาหกิจชุมชน 30 กลุ่ม",
    "ครูและนักเรียน 500 คน",
    "ผู้ประกอบการ 50 ราย",
    "ประชาชนทั่วไป",
    "เจ้าหน้าที่ อปท. 80 คน",
    "เยาวชน 1,000 คน",
    "โรงเรียน 20 แห่ง",
    "กลุ่มแม่บ้าน 15 กลุ่ม",
    "ผู้สูงอายุ 300 คน",
    "",
]
FIRST_NAMES = [
    "นายสมชาย",
    "นางสาวสุภาพร",
    "นายวิชัย",
    "นางมาลี",
    "นายประเสริฐ",
    "นางสาวกนกวรรณ",
    "ดร.อนุชา",
    "นายธนากร",
    "นางสาวพิมพ์ชนก",
    "นางศิริพร",
    "ดร.วรวุฒิ",
    "นายณัฐพล",
]
LAST_NAMES = [
    "ใจดี",
    "สุขสวัสดิ์",
    "ศรีสมบูรณ์",
    "แก้วมณี",
    "ทองคำ",
    "วงศ์สวัสดิ์",
    "รุ่งเรือง",
    "บุญมา",
    "จันทร์เพ็ญ",
    "พรหมวงศ์",
    "สมบัติทอง",
    "ชัยมงคล",
]
REMARKS = [
    "ต่อเนื่องจากปี 2554",
    "ร่วมกับมหาวิทยาลัยในพื้นที่",
    "งบประมาณรวมค่าครุภัณฑ์",
    "รอการอนุมัติ",
    "ดำเนินการร่วมกับจังหวัด",
    "ใช้งบประมาณจากแผนบูรณาการ",
]
FY_START = dt.date(2011, 10, 1)  # FY 2555 BE = 1 Oct 2011 .. 30 Sep 2012


# ----------------------------------------------------------------------------- reference data


def _read_csv(path: Path) -> list[dict]:
    import csv

    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def load_reference() -> tuple[list[str], list[tuple[str, str]]]:
    """(province Thai names, [(agency code, label for the หน่วยงาน row)])."""
    provinces = [r["name_th"] for r in _read_csv(DATA / "provinces.csv")]
    agencies = [
        (r["code_en"], r["abbr_th"] or r["code_en"]) for r in _read_csv(DATA / "agencies.csv")
    ]
    return provinces, agencies


# ----------------------------------------------------------------------------- generation


def _norm(name: str) -> str:
    return " ".join(name.split()).casefold()


def _near_variant(name: str, rng: random.Random) -> str:
    """A near-identical spelling another agency might type for the same joint project."""
    kind = rng.randrange(4)
    if kind == 0:
        return name.removeprefix("โครงการ")
    if kind == 1:
        return name.replace("โครงการ", "โครงการ ", 1)
    if kind == 2:
        return name + " ฯ"
    return name.replace("และ", "และ ", 1)


def _thai_date(d: dt.date) -> str:
    return f"{d.day} {thai_abbr_months[d.month - 1]} {d.year + 543}"


def generate_rows(code: str, n: int, provinces: list[str], seed: int, extra: int = 0) -> list[list]:
    """n project rows for one agency: unique names, 1-3 valid provinces, satang budgets.

    With `extra`, that many more rows follow; the first n are the same either way."""
    rng = random.Random(f"{seed}-{code}")
    themes = THEMES.get(code, []) + GENERIC_THEMES[:1]
    seen: set[str] = set()
    # ~0.25 % joint projects, at most 25: the shared names give only about 40 distinct
    # forms, and each agency's names must stay unique
    n_shared = min(max(1, n // 400), 25) if n >= 50 else 0
    rows = []
    while len(rows) < n + extra:
        shared = len(rows) < n_shared
        if shared:
            name = rng.choice(SHARED_NAMES)
            if rng.random() < 0.5:
                name = _near_variant(name, rng)
            provs = rng.sample(SHARED_PROVINCES, rng.choice((1, 1, 2)))
        else:
            parts = [
                rng.choice(ACTIONS) + rng.choice(themes),
                rng.choice(PURPOSES),
                rng.choice(TARGETS),
                rng.choice(QUALIFIERS),
            ]
            name = " ".join(p for p in parts if p)
            if rng.random() < 0.5:
                name = "โครงการ" + name
            k = rng.choices((1, 2, 3), weights=(60, 25, 15))[0]
            provs = rng.sample(provinces, k)
        key = _norm(name)
        if key in seen:
            continue
        seen.add(key)
        if rng.random() < 0.1:
            provs = [("จ." if rng.random() < 0.5 else "จังหวัด") + p for p in provs]
        sep = rng.choices((", ", " / ", "\n", " ", ","), weights=(60, 10, 10, 10, 10))[0]
        province_cell = sep.join(provs)
        satang = int(rng.lognormvariate(14.0, 1.0)) + rng.randrange(100)  # ~1.2 M baht median
        budget = Decimal(satang) / 100
        start = FY_START + dt.timedelta(days=rng.randrange(0, 240))
        end = start + dt.timedelta(days=rng.randrange(30, 360))
        r = rng.random()
        if r < 0.9:
            start_cell, end_cell = start, end
        elif r < 0.95:
            start_cell, end_cell = _thai_date(start), _thai_date(end)
        else:
            start_cell, end_cell = start.isoformat(), end.isoformat()
        phone = (
            f"0 2{rng.randrange(100, 999)} {rng.randrange(1000, 9999)} ต่อ {rng.randrange(100, 999)}"
            if rng.random() < 0.6
            else f"08{rng.randrange(1, 10)}-{rng.randrange(100, 999)}-{rng.randrange(1000, 9999)}"
        )
        rows.append(
            [
                None,
                name,
                province_cell,
                budget,
                rng.choice(STRATEGIES),
                rng.choice(TARGET_GROUPS),
                start_cell,
                end_cell,
                f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                phone,
                rng.choice(REMARKS) if rng.random() < 0.15 else None,
            ]
        )
    return rows


def revised_rows(code: str, n: int, provinces: list[str], seed: int) -> list[list]:
    """The agency's n rows as it would resubmit them: about 1 % of the budgets revised
    (by -20 % .. +50 %), two projects dropped and two new ones added."""
    rows = generate_rows(code, n, provinces, seed, extra=REVISED_ADDED)
    base, added = rows[:n], rows[n:]
    rng = random.Random(f"{seed}-{code}-revised")
    dropped = set(rng.sample(range(n), min(REVISED_DROPPED, max(0, n - 1))))
    kept = [r for i, r in enumerate(base) if i not in dropped]
    for i in rng.sample(range(len(kept)), max(1, len(kept) // 100)):
        factor = Decimal(rng.choice(("0.8", "0.9", "1.1", "1.25", "1.5")))
        kept[i][3] = (kept[i][3] * factor).quantize(Decimal("0.01"))
    return kept + added


def write_workbook(args: tuple) -> dict:
    """Write one agency's submission; returns its expected figures (runs in a worker).

    args: (code, label, rows, provinces, path, seed[, revised])."""
    code, label, n, provinces, path, seed, *rest = args
    revised = bool(rest and rest[0])
    rows = (revised_rows if revised else generate_rows)(code, n, provinces, seed)
    return write_submission(path, label, rows)


def write_submission(path: Path, label: str, rows: list[list]) -> dict:
    """The template's title rows, header, rows grouped under strategy sections, totals."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    # Group by strategy under section headings, as agencies do.
    by_strategy: dict[str, list[list]] = {s: [] for s in STRATEGIES}
    for row in rows:
        by_strategy[row[4]].append(row)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("แผนงานโครงการ")
    ws.append([TITLE])
    ws.append([f"หน่วยงาน: {label}"])
    ws.append(HEADER)
    seq = 0
    total = Decimal(0)
    for strategy, group in by_strategy.items():
        if not group:
            continue
        ws.append([None, strategy])  # section heading: one cell, no budget, no province
        for row in group:
            seq += 1
            row[0] = seq
            total += row[3]
            out = list(row)
            out[3] = float(row[3])  # typed as a number, exactly as Excel would hold it
            for j in (6, 7):
                if isinstance(out[j], dt.date):
                    c = WriteOnlyCell(ws, value=out[j])
                    c.number_format = "d/m/yyyy"
                    out[j] = c
            ws.append(out)
    ws.append(["รวมทั้งสิ้น", None, None, float(total)])
    tmp = path.with_suffix(".tmp")
    wb.save(tmp)
    tmp.replace(path)
    return {"file": path.name, "rows": len(rows), "budget": str(total)}


def ensure_inbox(out: Path, n_rows: int, n_agencies: int) -> tuple[Path, dict, float | None]:
    """The generated inbox (cached): (folder, manifest, generation seconds or None if cached)."""
    inbox = out / f"inbox-{n_agencies}x{n_rows}"
    manifest_path = out / f"manifest-{n_agencies}x{n_rows}.json"
    if manifest_path.exists():
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        files_ok = all(
            (inbox / f["file"]).is_file() and (inbox / f["file"]).stat().st_size == f["size"]
            for f in manifest.get("files", [])
        )
        if manifest.get("version") == GENERATOR_VERSION and files_ok:
            return inbox, manifest, None
    provinces, agencies = load_reference()
    if n_agencies > len(agencies):
        sys.exit(f"--agencies: at most {len(agencies)} (agencies.csv)")
    if inbox.exists():
        shutil.rmtree(inbox)
    inbox.mkdir(parents=True)
    t0 = time.perf_counter()
    jobs = [
        (code, label, n_rows, provinces, inbox / f"{code}_{FISCAL_YEAR}.xlsx", SEED)
        for code, label in agencies[:n_agencies]
    ]
    with ProcessPoolExecutor(max_workers=min(os.cpu_count() or 1, len(jobs))) as pool:
        files = list(pool.map(write_workbook, jobs))
    seconds = time.perf_counter() - t0
    for f in files:
        f["size"] = (inbox / f["file"]).stat().st_size
    manifest = {
        "version": GENERATOR_VERSION,
        "rows_per_agency": n_rows,
        "agencies": n_agencies,
        "rows": sum(f["rows"] for f in files),
        "budget": str(sum((Decimal(f["budget"]) for f in files), Decimal(0))),
        "generation_seconds": round(seconds, 2),
        "files": files,
    }
    manifest_path.write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    return inbox, manifest, seconds


def revision_counts(n: int) -> tuple[int, int]:
    """(projects dropped, budgets revised) by `revised_rows` for n rows."""
    dropped = min(REVISED_DROPPED, max(0, n - 1))
    return dropped, max(1, (n - dropped) // 100)


def ensure_revised(out: Path, code: str, n_rows: int) -> tuple[Path, dict, float | None]:
    """One agency's resubmission `<CODE>_2555_revised.xlsx` (cached, outside the inbox):
    (file, its figures, generation seconds or None if cached)."""
    folder = out / f"revised-{n_rows}"
    path = folder / f"{code}_{FISCAL_YEAR}_revised.xlsx"
    manifest_path = folder / f"{code}.json"
    if manifest_path.exists():
        info = json.loads(manifest_path.read_text(encoding="utf-8"))
        if (
            info.get("version") == GENERATOR_VERSION
            and path.is_file()
            and path.stat().st_size == info.get("size")
        ):
            return path, info, None
    provinces, agencies = load_reference()
    label = dict(agencies)[code]
    folder.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    info = write_workbook((code, label, n_rows, provinces, path, SEED, True))
    seconds = time.perf_counter() - t0
    dropped, changed = revision_counts(n_rows)
    info.update(
        version=GENERATOR_VERSION,
        agency=code,
        size=path.stat().st_size,
        dropped=dropped,
        added=REVISED_ADDED,
        budgets_changed=changed,
        generation_seconds=round(seconds, 2),
    )
    manifest_path.write_text(json.dumps(info, ensure_ascii=False, indent=1), encoding="utf-8")
    return path, info, seconds


def prepare_demo(out: Path, stiplan: Path) -> tuple[Path, int, dict | None, str]:
    """`stiplan demo --inbox OUT/inbox-demo` on an emptied folder (not timed), and the
    plan it is written to produce: (inbox, its exit status, {"rows", "budget"} or None,
    what went wrong)."""
    inbox = out / "inbox-demo"
    if inbox.exists():
        shutil.rmtree(inbox)
    r = subprocess.run(
        [str(stiplan), "demo", "--inbox", str(inbox)], cwd=out, capture_output=True, text=True
    )
    if r.returncode != 0:
        return (
            inbox,
            r.returncode,
            None,
            f"stiplan demo exited {r.returncode}:\n{r.stdout}{r.stderr}",
        )
    e = subprocess.run(
        [
            sys.executable,
            "-c",
            "from stiplan.demo import PROJECTS, BUDGET_BAHT; print(PROJECTS, BUDGET_BAHT)",
        ],
        cwd=out,
        capture_output=True,
        text=True,
    )
    try:
        rows, budget = e.stdout.split()
        return inbox, 0, {"rows": int(rows), "budget": budget}, ""
    except ValueError:
        return (
            inbox,
            0,
            None,
            (
                "the demo's expected plan could not be read (not checked): "
                + (e.stderr.strip().splitlines() or ["?"])[-1]
            ),
        )


# ----------------------------------------------------------------------------- measuring

HAVE_SMAPS_ROLLUP = Path("/proc/self/smaps_rollup").exists()  # Linux 4.14+
PSS_EVERY = 5  # samples: PSS every 0.5 s


def _tree_memory_proc(root: int, with_pss: bool = True) -> tuple[int, int | None]:
    """Total RSS and, `with_pss`, PSS (bytes) of `root` and all its descendants, from
    /proc (PSS from smaps_rollup: shared pages divided among the processes sharing them;
    it costs the kernel a walk of the page tables, a few ms per sample)."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        ppid = int(stat.rpartition(b")")[2].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    page = os.sysconf("SC_PAGE_SIZE")
    rss, pss, todo = 0, 0, [root]
    while todo:
        pid = todo.pop()
        todo.extend(children.get(pid, ()))
        try:  # a process that exits meanwhile counts for neither
            with open(f"/proc/{pid}/statm", "rb") as fh:
                p_rss = int(fh.read().split()[1]) * page
            p_pss = 0
            if HAVE_SMAPS_ROLLUP and with_pss:
                with open(f"/proc/{pid}/smaps_rollup", "rb") as fh:
                    p_pss = next(
                        int(line.split()[1]) * 1024 for line in fh if line.startswith(b"Pss:")
                    )
        except (OSError, IndexError, ValueError, StopIteration):
            continue
        rss += p_rss
        pss += p_pss
    return rss, (pss if HAVE_SMAPS_ROLLUP and with_pss else None)


def _tree_memory_psutil(root: int, with_pss: bool = False) -> tuple[int, int | None]:
    import psutil

    try:
        proc = psutil.Process(root)
        procs = [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return 0, None
    total = 0
    for p in procs:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass
    return total, None


def _measure_main(argv: list[str]) -> int:
    """Hidden mode `--_measure JSON LOG -- CMD...`: run CMD, sample its tree, report.

    Run in its own process so that RUSAGE_CHILDREN covers CMD's tree only. CMD's
    output (stdout and stderr) comes through a pipe: each line is stamped with the
    seconds since CMD started as it arrives, written to LOG with the stamp and kept
    in JSON for the phase split."""
    import resource
    import threading

    json_out, log, cmd = argv[0], argv[1], argv[3:]
    if Path("/proc/self/statm").exists():
        sampler, how = _tree_memory_proc, "/proc"
    else:
        sampler, how = _tree_memory_psutil, "psutil"
    peak = {"rss": 0, "pss": 0, "samples": 0, "pss_samples": 0}
    lines: list[tuple[float, str]] = []
    done = threading.Event()
    t0 = time.perf_counter()
    try:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    except OSError as exc:
        error = f"could not start {cmd[0]}: {exc}"
        Path(log).write_text(error + "\n", encoding="utf-8")
        Path(json_out).write_text(
            json.dumps(
                {
                    "rc": -1,
                    "seconds": 0.0,
                    "maxrss_mb": 0.0,
                    "tree_peak_mb": 0.0,
                    "tree_pss_mb": None,
                    "samples": 0,
                    "sampler": how,
                    "lines": [(0.0, error)],
                }
            )
        )
        return 0

    def read() -> None:
        with open(log, "wb") as fh:
            for raw in proc.stdout:
                t = time.perf_counter() - t0
                fh.write(f"[+{t:8.2f} s] ".encode() + raw)
                lines.append((round(t, 3), raw.decode("utf-8", "replace").rstrip("\r\n")))

    def sample() -> None:
        while not done.is_set():
            # RSS every 0.1 s; PSS, dearer to read, every 0.5 s (about 1-2 % of a core)
            rss, pss = sampler(proc.pid, peak["samples"] % PSS_EVERY == 0)
            peak["rss"] = max(peak["rss"], rss)
            if pss is not None:
                peak["pss"] = max(peak["pss"], pss)
                peak["pss_samples"] += 1
            peak["samples"] += 1
            done.wait(0.1)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    rc = proc.wait()
    wall = time.perf_counter() - t0
    done.set()
    thread.join()
    reader.join(timeout=30)  # a descendant that outlives CMD may hold the pipe open
    if reader.is_alive():
        lines.append(
            (
                round(wall, 3),
                "(output still open 30 s after the exit: a "
                "descendant kept it; later lines not recorded)",
            )
        )
    maxrss_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB on Linux
    Path(json_out).write_text(
        json.dumps(
            {
                "rc": rc,
                "seconds": wall,
                "maxrss_mb": maxrss_kb / 1024,
                "tree_peak_mb": peak["rss"] / 2**20,
                "tree_pss_mb": peak["pss"] / 2**20 if peak["pss_samples"] else None,
                "samples": peak["samples"],
                "sampler": how,
                "lines": list(lines),
            },
            ensure_ascii=False,
        )
    )
    return 0


def measure(cmd: list[str], env: dict, cwd: Path, log: Path) -> dict:
    """Run CMD through the measuring wrapper; a wrapper failure is reported as exit -1."""
    result = cwd / ".measure.json"
    result.unlink(missing_ok=True)
    load1 = os.getloadavg()[0]  # other work on the machine skews the timings
    r = subprocess.run(
        [sys.executable, __file__, "--_measure", str(result), str(log), "--", *cmd],
        env=env,
        cwd=cwd,
    )
    try:
        m = json.loads(result.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        m = {
            "rc": -1,
            "seconds": 0.0,
            "maxrss_mb": 0.0,
            "tree_peak_mb": 0.0,
            "tree_pss_mb": None,
            "samples": 0,
            "sampler": "?",
            "lines": [(0.0, f"the measuring wrapper exited {r.returncode} without a result")],
        }
    return {**m, "load1": load1}


# `stiplan run`'s progress lines (pipelines/run.py), which start the phases, and the
# first line of its closing report.
MARKERS = (
    ("routing", re.compile(r"Routing the files")),
    ("reading", re.compile(r"Reading \d+ agenc")),
    ("merging", re.compile(r"Merging, auditing and publishing")),
    ("outputs", re.compile(r"Writing the (plan books|outputs)")),
    (
        "report",
        re.compile(
            r"New files:|Nothing new in the inbox|The plan was NOT published"
            r"|stiplan run failed|stiplan run: the warehouse"
        ),
    ),
)
RICH_TIME = re.compile(r"\[\d{1,2}:\d\d:\d\d\]\s*")  # rich's console.log time column
PHASES = ("start-up+routing", "reading", "merge+audit+publish", "outputs", "report+exit")


def find_marks(lines: list) -> dict[str, float]:
    """Seconds since start at which each marker line first arrived."""
    marks: dict[str, float] = {}
    for t, text in lines:
        text = RICH_TIME.sub("", text.strip(), count=1)
        for key, pattern in MARKERS:
            if key not in marks and pattern.match(text):
                marks[key] = t
    return marks


def phase_split(marks: dict[str, float], seconds: float) -> dict[str, float | None]:
    """Seconds per phase: each from its marker to the next one present (or the exit);
    None for a phase whose marker never came (skipped, or the run failed before)."""
    starts = [
        ("start-up+routing", 0.0),
        ("reading", marks.get("reading")),
        ("merge+audit+publish", marks.get("merging")),
        ("outputs", marks.get("outputs")),
        ("report+exit", marks.get("report")),
    ]
    present = [(k, t) for k, t in starts if t is not None]
    split: dict[str, float | None] = dict.fromkeys(PHASES)
    for (k, t), (_, t_next) in zip(present, [*present[1:], (None, seconds)], strict=True):
        split[k] = max(0.0, t_next - t)
    return split


def verify_plan(plan: Path, rows: int, budget: Decimal) -> dict:
    """The published plan's projects and budget against the expected figures."""
    if not plan.exists():
        return {"ok": False, "text": f"no published plan at {plan}"}
    try:
        import duckdb

        con = duckdb.connect(str(plan), read_only=True)
        try:
            n, total = con.execute(
                "SELECT count(*), coalesce(sum(budget_baht), 0) FROM projects"
            ).fetchone()
            outcomes = dict(
                con.execute("SELECT outcome, count(*) FROM source_rows GROUP BY outcome").fetchall()
            )
            statuses = dict(
                con.execute("SELECT status, count(*) FROM submissions GROUP BY status").fetchall()
            )
            candidates = con.execute("SELECT count(*) FROM duplicate_candidates").fetchone()[0]
        finally:
            con.close()
    except Exception as exc:  # noqa: BLE001 - the schema may be changing under us
        return {"ok": False, "text": f"could not read {plan}: {type(exc).__name__}: {exc}"}
    ok = n == rows and Decimal(total) == budget
    return {
        "ok": ok,
        "projects": n,
        "budget": str(total),
        "candidates": candidates,
        "text": f"published {n:,} projects, {Decimal(total):,.2f} baht: "
        f"{'matches' if ok else 'DIFFERS from'} the expected {rows:,}, "
        f"{budget:,.2f}; submissions {statuses}; source_rows outcomes "
        f"{outcomes}; {candidates:,} duplicate candidates",
    }


# Tables a resubmission's incremental merge patches or keeps, compared with a fresh
# run's on their content columns (times of arrival and registration differ by design).
AFRESH_TABLES = {
    "projects": "*",
    "project_provinces": "*",
    "duplicate_candidates": "project_id_a, project_id_b, similarity, reason",
    "source_rows": "*",
    "summary_by_province": "*",
}


def compare_afresh(stiplan: Path, inbox: Path, plan: Path, run_dir: Path) -> dict:
    """The same files give the same tables: `stiplan run --no-outputs` over `inbox` into a
    fresh warehouse (untimed), its tables against `plan`'s, row for row."""
    warehouse = run_dir / "warehouse-afresh"
    shutil.rmtree(warehouse, ignore_errors=True)
    done = subprocess.run(
        [str(stiplan), "run", "--no-outputs"],
        env=run_env(inbox, warehouse),
        cwd=run_dir,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        return {"ok": False, "text": f"the fresh run failed ({done.returncode})"}
    import duckdb

    con = duckdb.connect()
    con.execute(f"ATTACH '{plan}' AS kept (READ_ONLY)")
    con.execute(f"ATTACH '{warehouse / 'plan.duckdb'}' AS fresh (READ_ONLY)")
    differs = {}
    for table, columns in AFRESH_TABLES.items():
        a, b = (f"SELECT {columns} FROM {db}.{table}" for db in ("kept", "fresh"))
        n = con.execute(
            f"SELECT (SELECT count(*) FROM ({a} EXCEPT ALL {b})) "
            f"+ (SELECT count(*) FROM ({b} EXCEPT ALL {a}))"
        ).fetchone()[0]
        if n:
            differs[table] = n
    con.close()
    shutil.rmtree(warehouse, ignore_errors=True)
    text = (
        "the same tables as a fresh run over the same files"
        if not differs
        else "DIFFERS from a fresh run over the same files (rows apart: "
        + ", ".join(f"{t} {n:,}" for t, n in differs.items())
        + ")"
    )
    return {"ok": not differs, "text": text}


def run_env(inbox: Path, warehouse: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
    env.update(STIPLAN_INBOX=str(inbox), STIPLAN_WAREHOUSE=str(warehouse))
    return env


def run_stiplan(
    key: str,
    name: str,
    label: str,
    stiplan: Path,
    args: list[str],
    inbox: Path,
    run_dir: Path,
    log_name: str,
    expected: dict | None,
    fresh: bool,
    denominator: int | None,
) -> dict:
    """One timed `stiplan run` (a fresh warehouse, or the one left in run_dir)."""
    warehouse, cwd = run_dir / "warehouse", run_dir / "cwd"
    if fresh and warehouse.exists():
        shutil.rmtree(warehouse)
    cwd.mkdir(parents=True, exist_ok=True)
    log = run_dir / log_name
    print(
        f"\n{label}\n  {stiplan} run {' '.join(args)}  (STIPLAN_INBOX={inbox}, "
        f"STIPLAN_WAREHOUSE={warehouse}{' (fresh)' if fresh else ''}, DAGSTER_HOME unset)"
    )
    m = measure([str(stiplan), "run", *args], run_env(inbox, warehouse), cwd, log)
    marks = find_marks(m["lines"])
    split = phase_split(marks, m["seconds"])
    texts = [t for _, t in m["lines"]]
    if m["rc"] != 0:
        print(f"  FAILED: exit status {m['rc']} after {m['seconds']:.1f} s; last lines of {log}:")
        print("    " + "\n    ".join(texts[-15:] or ["(no output)"]))
    else:
        print("  " + "\n  ".join(texts[-4:]))
    verify = (
        verify_plan(warehouse / "plan.duckdb", expected["rows"], Decimal(expected["budget"]))
        if expected
        else None
    )
    if verify:
        print(f"  Check: {verify['text']}")
    if "--no-outputs" not in args and m["rc"] == 0:
        n_out = (
            sum(1 for f in (warehouse / "outputs").rglob("*") if f.is_file())
            if (warehouse / "outputs").is_dir()
            else 0
        )
        print(f"  Outputs: {n_out} files in {warehouse / 'outputs'}")
    startup = (
        f" (start-up to its first line {marks['routing']:.2f} s)" if "routing" in marks else ""
    )
    print(
        f"  {m['seconds']:.2f} s: "
        + ", ".join(
            f"{k} {v:.2f} s" + (startup if k == PHASES[0] else "")
            for k, v in split.items()
            if v is not None
        )
    )
    return {
        "key": key,
        "method": name,
        **m,
        "marks": marks,
        "phases": split,
        "verify": verify,
        "log": str(log),
        "rows_per_s": denominator / m["seconds"] if denominator and m["seconds"] else None,
    }


def link_or_copy(src: Path, dst: Path) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


# ----------------------------------------------------------------------------- naive method


def _naive_main(argv: list[str]) -> int:
    """Hidden mode `--_naive INBOX JSON`: the copy-paste consolidation in pandas."""
    import pandas as pd

    inbox, json_out = Path(argv[0]), argv[1]
    t0 = time.perf_counter()
    frames = [pd.read_excel(p, engine="openpyxl", header=2) for p in sorted(inbox.glob("*.xlsx"))]
    df = pd.concat(frames, ignore_index=True)
    name, prov, budget = "ชื่อโครงการ", "จังหวัด", "งบประมาณ (บาท)"
    df[budget] = pd.to_numeric(df[budget], errors="coerce")
    df = df.dropna(subset=[name, prov, budget])
    rows, total = len(df), float(df[budget].sum())
    split = df[prov].astype(str).str.split(r"\s*[,/\n]\s*", regex=True)
    df = df.assign(province=split, share=df[budget] / split.str.len()).explode("province")
    by_province = df.groupby("province")["share"].sum()
    Path(json_out).write_text(
        json.dumps(
            {
                "rows": rows,
                "total": total,
                "province_keys": int(by_province.size),
                "province_total": float(by_province.sum()),
                "inner_seconds": time.perf_counter() - t0,
            }
        )
    )
    return 0


# ----------------------------------------------------------------------------- report


def _versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    out = []
    for pkg in (
        "stiplan",
        "dagster",
        "pandas",
        "pandera",
        "duckdb",
        "pyarrow",
        "fastexcel",
        "python-calamine",
        "openpyxl",
        "rapidfuzz",
    ):
        try:
            out.append(f"{pkg} {version(pkg)}")
        except PackageNotFoundError:
            pass
    return ", ".join(out)


def _machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kb / 2**20:.1f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    nproc = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    return f"nproc {nproc}, {cpu}{mem}, {platform.system()} {platform.release()}"


def _code_version() -> str:
    """The commit under test (the checkout is edited while benchmarks run)."""

    def git(*a: str) -> str:
        r = subprocess.run(["git", "-C", str(REPO), *a], capture_output=True, text=True)
        return r.stdout.strip() if r.returncode == 0 else ""

    head = git("rev-parse", "--short", "HEAD")
    if not head:
        return "not a git checkout"
    dirty = git("status", "--porcelain", "--untracked-files=no")
    return head + (" with uncommitted changes" if dirty else "")


# ----------------------------------------------------------------------------- targets

# The performance issue's "done when", per rows per agency (16 agencies).
DONE_WHEN = {
    10_000: {"plan_x": 5.0, "whole_x": 2.0, "mem_mib": 1024},
    62_500: {"plan_x": 8.0, "whole_x": 3.0, "mem_mib": 1536},
}
INCREMENTAL_MAX = 0.20  # one agency's changed file: at most this share of a full whole run
DEMO_MAX_S = 5.0  # the demo year's whole run


def targets_for(rows: int, agencies: int) -> tuple[dict, str]:
    """The targets for this size, and a note when they are not the issue's size."""
    size = 62_500 if rows >= 62_500 else 10_000
    if agencies == 16 and rows in DONE_WHEN:
        return DONE_WHEN[rows], ""
    return DONE_WHEN[size], (
        f"the issue sets these targets for 16 × {size:,} rows; at "
        f"{agencies} × {rows:,} they are indicative only"
    )


def _ok(r: dict | None) -> bool:
    return bool(r) and r["rc"] == 0 and (r["verify"] is None or r["verify"]["ok"])


def _verdict(passed: bool, r: dict | None) -> str:
    if not _ok(r):
        return "FAIL (run failed)" if r and r["rc"] != 0 else "FAIL (wrong plan)"
    return "PASS" if passed else "FAIL"


def _memory(r: dict) -> tuple[float, str]:
    """The tree's peak for the target (PSS when sampled, else the RSS sum) and its text."""
    if r.get("tree_pss_mb") is not None:
        return r["tree_pss_mb"], (
            f"{r['tree_pss_mb']:,.0f} MiB PSS (RSS sum {r['tree_peak_mb']:,.0f})"
        )
    return r["tree_peak_mb"], f"{r['tree_peak_mb']:,.0f} MiB RSS sum"


def figures_table(res: dict[str, dict], targets: dict) -> list[str]:
    """One row per figure of the issue's "done when", target beside it."""
    plan, whole, inc = res.get("plan"), res.get("whole"), res.get("incremental")
    demo, naive = res.get("demo"), res.get("naive")
    naive_s = naive["seconds"] if naive and naive["rc"] == 0 else None
    lines = ["| figure | measured | target | result |", "|---|---|---|---|"]

    def speed(name: str, r: dict | None, times: float) -> None:
        if r is None:
            lines.append(f"| {name} | skipped | speed-up ≥ {times:g}× | n/a |")
        elif not _ok(r):
            lines.append(
                f"| {name} | exit status {r['rc']} after {r['seconds']:.2f} s | "
                f"speed-up ≥ {times:g}× | {_verdict(False, r)} |"
            )
        elif naive_s is None:
            lines.append(
                f"| {name} | {r['seconds']:.2f} s; no naive run to compare | "
                f"speed-up ≥ {times:g}× | n/a |"
            )
        else:
            x = naive_s / r["seconds"]
            lines.append(
                f"| {name} | {r['seconds']:.2f} s vs naive {naive_s:.2f} s: "
                f"speed-up {x:.2f}× | speed-up ≥ {times:g}× | "
                f"{_verdict(x >= times, r)} |"
            )

    def memory(name: str, r: dict | None) -> None:
        if r is None:
            return
        mib, text = _memory(r)
        lines.append(
            f"| {name} | {text} | ≤ {targets['mem_mib']:,} MiB | "
            f"{_verdict(mib <= targets['mem_mib'], r)} |"
        )

    speed(
        "to the published plan (`stiplan run --no-outputs`, fresh warehouse)",
        plan,
        targets["plan_x"],
    )
    speed("whole run with every output (`stiplan run`, fresh warehouse)", whole, targets["whole_x"])
    memory("peak memory of the process tree, to the published plan", plan)
    memory("peak memory of the process tree, whole run", whole)
    if inc is None:
        lines.append(
            f"| one agency's changed file after a full run (`stiplan run`) | skipped "
            f"| ≤ {INCREMENTAL_MAX:.0%} of the whole run | n/a |"
        )
    elif not _ok(whole):
        lines.append(
            f"| one agency's changed file after a full run (`stiplan run`) | "
            f"{inc['seconds']:.2f} s; the full whole run failed | "
            f"≤ {INCREMENTAL_MAX:.0%} of the whole run | {_verdict(False, inc)} |"
        )
    else:
        share = inc["seconds"] / whole["seconds"]
        lines.append(
            f"| one agency's changed file after a full run (`stiplan run`) | "
            f"{inc['seconds']:.2f} s = {share:.1%} of the whole run "
            f"({whole['seconds']:.2f} s) | ≤ {INCREMENTAL_MAX:.0%} of the whole run | "
            f"{_verdict(share <= INCREMENTAL_MAX, inc)} |"
        )
    if demo is None:
        lines.append(
            f"| demo year, whole run (`stiplan run`, fresh warehouse) | skipped | "
            f"≤ {DEMO_MAX_S:g} s | n/a |"
        )
    else:
        lines.append(
            f"| demo year, whole run (`stiplan run`, fresh warehouse) | "
            f"{demo['seconds']:.2f} s | ≤ {DEMO_MAX_S:g} s | "
            f"{_verdict(demo['seconds'] <= DEMO_MAX_S, demo)} |"
        )
    return lines


def phases_table(results: list[dict]) -> list[str]:
    lines = [
        "| scenario | exit | seconds | "
        + " | ".join(PHASES)
        + " | peak MiB tree PSS | peak MiB tree RSS sum | peak MiB largest process "
        "(ru_maxrss) | rows/s |",
        "|---|---:|---:|" + "---:|" * len(PHASES) + "---:|---:|---:|---:|",
    ]
    for r in results:
        ph = r.get("phases") or {}
        cells = [f"{ph[k]:.2f}" if ph.get(k) is not None else "–" for k in PHASES]
        pss = f"{r['tree_pss_mb']:,.0f}" if r.get("tree_pss_mb") is not None else "–"
        rate = f"{r['rows_per_s']:,.0f}" if r.get("rows_per_s") and r["rc"] == 0 else "–"
        lines.append(
            f"| {r['method']} | {r['rc']} | {r['seconds']:.2f} | "
            + " | ".join(cells)
            + f" | {pss} | {r['tree_peak_mb']:,.0f} | {r['maxrss_mb']:,.0f} | {rate} |"
        )
    return lines


# ----------------------------------------------------------------------------- main


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--_measure":
        return _measure_main(sys.argv[2:])
    if len(sys.argv) > 1 and sys.argv[1] == "--_naive":
        return _naive_main(sys.argv[2:])

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--rows",
        type=int,
        default=10_000,
        help="project rows per agency (62500 for the million-row case)",
    )
    ap.add_argument("--agencies", type=int, default=16, help="number of agency workbooks")
    ap.add_argument(
        "--out",
        type=Path,
        default=HERE / "out",
        help="working folder: cached workbooks, warehouses, logs [benchmarks/out]",
    )
    ap.add_argument(
        "--revise",
        metavar="CODE",
        default=None,
        help="agency whose revised file the incremental run reads [the first generated agency]",
    )
    ap.add_argument("--skip-naive", action="store_true", help="do not time the naive script")
    ap.add_argument(
        "--skip-outputs",
        action="store_true",
        help="do not time the whole run with outputs (nor, then, the incremental run)",
    )
    ap.add_argument(
        "--skip-incremental",
        action="store_true",
        help="do not time the run after one agency's revised file",
    )
    ap.add_argument("--skip-demo", action="store_true", help="do not time the demo year")
    ap.add_argument(
        "--no-results", action="store_true", help="do not append to benchmarks/results.md"
    )
    args = ap.parse_args()
    out = args.out.absolute()
    out.mkdir(parents=True, exist_ok=True)
    bindir = Path(sys.executable).parent
    stiplan = bindir / "stiplan"
    if not stiplan.exists():
        stiplan = Path(shutil.which("stiplan") or "stiplan")
    targets, targets_note = targets_for(args.rows, args.agencies)
    _, agencies = load_reference()
    generated = [code for code, _ in agencies[: args.agencies]]
    revise = (args.revise or (generated[0] if generated else "")).upper()
    if revise not in generated:
        sys.exit(
            f"--revise: {revise} is not one of the generated agencies ({', '.join(generated)})"
        )
    incremental = not (args.skip_outputs or args.skip_incremental)

    # 1. workbooks (never timed)
    inbox, manifest, gen_seconds = ensure_inbox(out, args.rows, args.agencies)
    total_rows = manifest["rows"]
    expected_budget = Decimal(manifest["budget"])
    size_mb = sum(f["size"] for f in manifest["files"]) / 2**20
    if gen_seconds is None:
        print(
            f"Workbooks: cached in {inbox} ({len(manifest['files'])} files, {size_mb:.1f} MB; "
            f"generated earlier in {manifest['generation_seconds']:.1f} s)"
        )
    else:
        print(
            f"Workbooks: generated {len(manifest['files'])} files, {size_mb:.1f} MB "
            f"in {gen_seconds:.1f} s -> {inbox}"
        )
    print(f"Expected: {total_rows:,} projects, {expected_budget:,.2f} baht")
    expected = {"rows": total_rows, "budget": manifest["budget"]}
    revised = None
    if incremental:
        revised_path, revised, rev_seconds = ensure_revised(out, revise, args.rows)
        original = next(f for f in manifest["files"] if f["file"] == f"{revise}_{FISCAL_YEAR}.xlsx")
        inc_expected = {
            "rows": total_rows - original["rows"] + revised["rows"],
            "budget": str(
                expected_budget - Decimal(original["budget"]) + Decimal(revised["budget"])
            ),
        }
        print(
            f"Resubmission: {revised_path.name} ({revised['budgets_changed']} budgets revised, "
            f"{revised['dropped']} projects dropped, {revised['added']} added: "
            f"{revised['rows']:,} projects, {Decimal(revised['budget']):,.2f} baht); "
            + (f"generated in {rev_seconds:.1f} s" if rev_seconds is not None else "cached")
        )

    code_version = _code_version()  # at the start: the code that was run
    res: dict[str, dict] = {}

    # 2. to the published plan, fresh warehouse
    res["plan"] = run_stiplan(
        "plan",
        "to the published plan (--no-outputs)",
        "stiplan run --no-outputs (to the published plan)",
        stiplan,
        ["--no-outputs"],
        inbox,
        out / "run-plan",
        "stiplan-run.log",
        expected,
        fresh=True,
        denominator=total_rows,
    )

    # 3. the whole run with every output, fresh warehouse, on its own copy of the inbox
    if not args.skip_outputs:
        whole_dir = out / "run-whole"
        if whole_dir.exists():
            shutil.rmtree(whole_dir)
        whole_inbox = whole_dir / "inbox"
        whole_inbox.mkdir(parents=True)
        for f in manifest["files"]:
            link_or_copy(inbox / f["file"], whole_inbox / f["file"])
        res["whole"] = run_stiplan(
            "whole",
            "whole run",
            "stiplan run (whole run with every output)",
            stiplan,
            [],
            whole_inbox,
            whole_dir,
            "stiplan-run.log",
            expected,
            fresh=True,
            denominator=total_rows,
        )

        # 4. one agency resubmits: its revised file lands in the same inbox
        if incremental:
            shutil.copyfile(revised_path, whole_inbox / revised_path.name)  # a new mtime
            res["incremental"] = run_stiplan(
                "incremental",
                f"after {revised_path.name}",
                f"stiplan run after {revised_path.name} (one agency's changed file)",
                stiplan,
                [],
                whole_inbox,
                whole_dir,
                "stiplan-run-incremental.log",
                inc_expected,
                fresh=False,
                denominator=None,
            )
            verify = res["incremental"]["verify"]
            if verify and res["incremental"]["rc"] == 0:
                same = compare_afresh(
                    stiplan, whole_inbox, whole_dir / "warehouse" / "plan.duckdb", whole_dir
                )
                print(f"  Check: {same['text']}")
                verify["ok"] = verify["ok"] and same["ok"]
                verify["text"] += f"; {same['text']}"
                # untimed: two other agencies resubmit at once (a patch of two shares, a
                # review searched ahead in parts at 10,000 rows each), checked the same way
                others = [c for c in generated if c != revise][:2]
                if len(others) == 2:
                    for code in others:
                        path, _, _ = ensure_revised(out, code, args.rows)
                        shutil.copyfile(path, whole_inbox / path.name)
                    done = subprocess.run(
                        [str(stiplan), "run", "--no-outputs"],
                        env=run_env(whole_inbox, whole_dir / "warehouse"),
                        cwd=whole_dir,
                        capture_output=True,
                        text=True,
                    )
                    both = (
                        compare_afresh(
                            stiplan, whole_inbox, whole_dir / "warehouse" / "plan.duckdb", whole_dir
                        )
                        if done.returncode == 0
                        else {"ok": False, "text": f"the run FAILED ({done.returncode})"}
                    )
                    at_once = f"after {' and '.join(others)} resubmitted at once: {both['text']}"
                    print(f"  Check, {at_once}")
                    verify["ok"] = verify["ok"] and both["ok"]
                    verify["text"] += f"; {at_once}"

    # 5. the demo year, whole run, fresh warehouse
    if not args.skip_demo:
        demo_inbox, demo_rc, demo_expected, error = prepare_demo(out, stiplan)
        if error:
            print(f"\nDemo year: {error}")
        if demo_rc != 0:
            res["demo"] = {
                "key": "demo",
                "method": "stiplan demo (could not write the year)",
                "rc": demo_rc,
                "seconds": 0.0,
                "maxrss_mb": 0.0,
                "tree_peak_mb": 0.0,
                "tree_pss_mb": None,
                "sampler": "?",
                "load1": os.getloadavg()[0],
                "lines": [],
                "phases": None,
                "verify": None,
                "rows_per_s": None,
            }
        else:
            res["demo"] = run_stiplan(
                "demo",
                "demo year",
                "stiplan run on the demo year (`stiplan demo`, whole run)",
                stiplan,
                [],
                demo_inbox,
                out / "run-demo",
                "stiplan-run.log",
                demo_expected,
                fresh=True,
                denominator=demo_expected["rows"] if demo_expected else None,
            )

    # 6. naive pandas
    naive = None
    if not args.skip_naive:
        naive_dir = out / "run-naive"
        if naive_dir.exists():
            shutil.rmtree(naive_dir)
        naive_dir.mkdir(parents=True)
        nlog = naive_dir / "naive.log"
        print("\nnaive pandas+openpyxl\n  pandas.read_excel(engine='openpyxl') + concat + groupby")
        m = measure(
            [sys.executable, __file__, "--_naive", str(inbox), str(naive_dir / "naive.json")],
            os.environ.copy(),
            naive_dir,
            nlog,
        )
        if m["rc"] == 0:
            naive = json.loads((naive_dir / "naive.json").read_text())
            print(
                f"  rows kept: {naive['rows']:,}  total (float): {naive['total']:,.2f}  "
                f"(diff vs exact: {naive['total'] - float(expected_budget):+.6f}); "
                f"province keys after naive split: {naive['province_keys']}"
            )
        else:
            print(f"  FAILED: exit status {m['rc']}; last lines of {nlog}:")
            print("    " + "\n    ".join(t for _, t in m["lines"][-15:]))
        print(f"  {m['seconds']:.2f} s")
        res["naive"] = {
            "key": "naive",
            "method": "naive pandas+openpyxl",
            **m,
            "phases": None,
            "verify": None,
            "rows_per_s": total_rows / m["seconds"] if m["seconds"] else None,
        }

    # 7. report
    results = list(res.values())
    figures = figures_table(res, targets)
    phases = phases_table(results)
    print(
        f"\n{args.agencies} agencies × {args.rows:,} rows ({total_rows:,} projects); "
        f"code: git {code_version}"
    )
    print("\n".join(figures))
    if targets_note:
        print(f"({targets_note})")
    print()
    print("\n".join(phases))
    sampler = results[0]["sampler"]
    now = dt.datetime.now().astimezone()
    section = [
        f"## {now:%Y-%m-%d %H:%M %Z} — {args.agencies} agencies × {args.rows:,} rows",
        "",
        f"- Machine: {_machine()}",
        f"- Python {platform.python_version()}; {_versions()}",
        f"- Code: git {code_version}",
        f"- Input: {len(manifest['files'])} workbooks, {size_mb:.1f} MB, {total_rows:,} project "
        f"rows (+ section and total rows), expected total {expected_budget:,.2f} baht; "
        + (
            f"generated in {gen_seconds:.1f} s"
            if gen_seconds is not None
            else f"cached (generated earlier in {manifest['generation_seconds']:.1f} s)"
        ),
    ]
    if revised and "incremental" in res:
        section.append(
            f"- Resubmission: `{revise}_{FISCAL_YEAR}_revised.xlsx` added to the "
            f"inbox after the whole run: {revised['budgets_changed']} budgets "
            f"revised, {revised['dropped']} projects dropped, {revised['added']} "
            "added"
        )
    section += [
        f"- Peak memory: the tree sampled every 0.1 s via {sampler} (PSS from smaps_rollup; "
        "the RSS sum counts shared pages once per process); ru_maxrss = RUSAGE_CHILDREN of a "
        "wrapper, i.e. the largest single process. Phases from the times `stiplan run`'s "
        "progress lines arrived",
        "- 1-min load average when each run started: "
        + ", ".join(f"{r['key']} {r['load1']:.2f}" for r in results)
        + f" (on {os.cpu_count()} CPUs; anything above ~0.1 means other work skewed the timings)",
        "",
        *figures,
        "",
    ]
    if targets_note:
        section += [f"({targets_note})", ""]
    section += [*phases, ""]
    for r in results:
        if r["rc"] != 0:
            section.append(f"- {r['method']}: exit status {r['rc']}; log {r.get('log', '')}")
        elif r.get("verify"):
            section.append(f"- {r['method']}: {r['verify']['text']}.")
    if naive:
        section.append(
            f"- naive: {naive['rows']:,} rows, total {naive['total']:,.2f} (float), "
            f"{naive['province_keys']} province keys after a naive split."
        )
    section.append("")
    if not args.no_results:
        path = HERE / "results.md"
        if not path.exists():
            path.write_text(
                "# Consolidation benchmark results\n\nAppended by "
                "`benchmarks/consolidate.py`; see README.md.\n\n",
                encoding="utf-8",
            )
        with path.open("a", encoding="utf-8") as fh:
            fh.write("\n".join(section) + "\n")
        print(f"\nAppended to {path}")
    runs = [r for k, r in res.items() if k != "naive"]
    return 0 if all(_ok(r) for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
