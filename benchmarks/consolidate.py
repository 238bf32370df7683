"""Benchmark: consolidate 16 agency workbooks with `stiplan run` vs. naive pandas.

    .venv/bin/python benchmarks/consolidate.py [--rows 10000] [--agencies 16] [--out DIR]

1. Generates AGENCIES workbooks x ROWS project rows in the submission template
   (openpyxl write-only), cached in OUT/inbox-<A>x<R>/ with a manifest of the
   expected row count and exact budget total; re-runs skip generation.
2. Runs `stiplan run` on them in a child process (fresh warehouse, DAGSTER_HOME
   unset): wall seconds, rows/s, peak memory (ru_maxrss of the largest single
   process of the tree, and the sampled total RSS of the whole tree), then
   checks the published `projects` count and budget sum with duckdb (read-only).
3. Runs a naive pandas + openpyxl consolidation of the same files, also in a
   child process, measured the same way.
4. Prints a table and appends a dated section to benchmarks/results.md.

See benchmarks/README.md for what is measured and the caveats.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from decimal import Decimal
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DATA = REPO / "schemas" / "data"
GENERATOR_VERSION = 3  # bump when the generated content changes (invalidates the cache)
FISCAL_YEAR = 2555
SEED = 2555

TITLE = ("แผนบูรณาการงานด้านวิทยาศาสตร์ เทคโนโลยี และนวัตกรรมกับจังหวัด "
         f"ประจำปีงบประมาณ พ.ศ. {FISCAL_YEAR}")
HEADER = ["ลำดับ", "ชื่อโครงการ", "จังหวัด", "งบประมาณ (บาท)", "ยุทธศาสตร์", "กลุ่มเป้าหมาย",
          "วันเริ่มต้น", "วันสิ้นสุด", "ผู้รับผิดชอบ", "โทรศัพท์", "หมายเหตุ"]

# ----------------------------------------------------------------------------- vocabulary

ACTIONS = [
    "ถ่ายทอดเทคโนโลยี", "พัฒนา", "ส่งเสริม", "ยกระดับ", "เสริมสร้างศักยภาพด้าน",
    "วิจัยและพัฒนา", "สร้างเครือข่าย", "อบรมเชิงปฏิบัติการด้าน", "ประยุกต์ใช้",
    "เพิ่มขีดความสามารถด้าน", "สำรวจและจัดทำฐานข้อมูล", "สาธิตและเผยแพร่", "ปรับปรุงคุณภาพ",
    "ให้บริการคำปรึกษาด้าน", "ถ่ายทอดองค์ความรู้", "จัดตั้งศูนย์เรียนรู้", "ขยายผล",
    "ติดตั้งระบบ", "พัฒนาต้นแบบ", "ฝึกอบรมบุคลากรด้าน", "บูรณาการ", "เผยแพร่และประชาสัมพันธ์",
    "ประเมินและติดตามผล", "สนับสนุน",
]

# Each agency's own themes, so names mostly differ across agencies.
THEMES = {
    "OMIN": ["วิทยาศาสตร์เพื่อชุมชน", "นโยบายวิทยาศาสตร์สู่ภูมิภาค", "เทคโนโลยีเพื่อท้องถิ่น",
             "ศูนย์ประสานงานวิทยาศาสตร์จังหวัด", "ภูมิปัญญาท้องถิ่นกับวิทยาศาสตร์"],
    "OPS": ["คลินิกเทคโนโลยี", "ศูนย์วิทยาศาสตร์เพื่อการศึกษา", "เครือข่ายวิทยาศาสตร์ระดับจังหวัด",
            "หมู่บ้านวิทยาศาสตร์", "ผู้ว่าราชการจังหวัดด้านวิทยาศาสตร์"],
    "DSS": ["การทดสอบคุณภาพผลิตภัณฑ์ชุมชน", "มาตรฐานผลิตภัณฑ์ชุมชน", "ห้องปฏิบัติการทดสอบ",
            "เทคโนโลยีเซรามิก", "การวิเคราะห์คุณภาพน้ำบริโภค"],
    "OAP": ["ความปลอดภัยทางรังสี", "การเฝ้าระวังกัมมันตภาพรังสีในสิ่งแวดล้อม",
            "การกำกับดูแลเครื่องกำเนิดรังสี", "การตรวจวัดรังสีในอาหาร", "นิวเคลียร์และรังสีศึกษา"],
    "NIMT": ["มาตรวิทยาอุตสาหกรรม", "การสอบเทียบเครื่องมือวัด", "มาตรวิทยาเคมี",
             "ระบบการวัดแห่งชาติ", "เครื่องชั่งตวงวัดในตลาดสด"],
    "TISTR": ["การแปรรูปผลผลิตทางการเกษตร", "จุลินทรีย์เพื่อการเกษตร", "ปุ๋ยชีวภาพ",
              "พลังงานทดแทนชีวมวล", "ผลิตภัณฑ์สมุนไพรแปรรูป"],
    "GISTDA": ["ภูมิสารสนเทศเพื่อการบริหารจัดการพื้นที่", "ภาพถ่ายดาวเทียมเพื่อการเกษตร",
               "แผนที่ความเสี่ยงอุทกภัย", "ระบบติดตามไฟป่าและหมอกควัน", "ข้อมูลการใช้ประโยชน์ที่ดิน"],
    "NSTDA": ["เทคโนโลยีชีวภาพ", "พันธุ์ข้าวทนน้ำท่วม", "วัสดุศาสตร์สำหรับอุตสาหกรรม",
              "อิเล็กทรอนิกส์และคอมพิวเตอร์", "นาโนเทคโนโลยี"],
    "NSM": ["พิพิธภัณฑ์วิทยาศาสตร์เคลื่อนที่", "นิทรรศการวิทยาศาสตร์", "ค่ายวิทยาศาสตร์เยาวชน",
            "มหกรรมวิทยาศาสตร์", "สื่อการเรียนรู้วิทยาศาสตร์"],
    "TINT": ["การฉายรังสีผลไม้", "เทคโนโลยีนิวเคลียร์เพื่อการเกษตร", "ไอโซโทปรังสีทางการแพทย์",
             "การปรับปรุงพันธุ์พืชด้วยรังสี", "การวิเคราะห์ด้วยเทคนิคนิวเคลียร์"],
    "STI": ["ระบบนวัตกรรมจังหวัด", "นโยบายวิทยาศาสตร์ เทคโนโลยี และนวัตกรรม", "ดัชนีนวัตกรรม",
            "กำลังคนด้านวิทยาศาสตร์", "ยุทธศาสตร์นวัตกรรมภูมิภาค"],
    "SLRI": ["แสงซินโครตรอน", "การวิเคราะห์วัสดุด้วยแสงซินโครตรอน", "เทคโนโลยีสุญญากาศ",
             "อัญมณีและเครื่องประดับ", "เทคโนโลยีเครื่องเร่งอนุภาค"],
    "HAII": ["คลังข้อมูลน้ำ", "การบริหารจัดการน้ำชุมชน", "ระบบโทรมาตรเตือนภัย",
             "แผนที่น้ำชุมชน", "สารสนเทศทรัพยากรน้ำและการเกษตร"],
    "NARIT": ["ดาราศาสตร์", "หอดูดาวเฉลิมพระเกียรติ", "ดาราศาสตร์ศึกษา",
              "กล้องโทรทรรศน์เพื่อโรงเรียน", "ท้องฟ้าจำลองเคลื่อนที่"],
    "NIA": ["นวัตกรรมเชิงพาณิชย์", "ธุรกิจนวัตกรรม", "นวัตกรรมอาหาร",
            "เครือข่ายนวัตกรรมชุมชน", "นวัตกรรมเกษตรอินทรีย์"],
    "TCELS": ["ชีววิทยาศาสตร์", "สมุนไพรไทยสู่มาตรฐานสากล", "การแพทย์แผนไทย",
              "ผลิตภัณฑ์ชีวภัณฑ์", "อุปกรณ์การแพทย์"],
}
GENERIC_THEMES = ["วิทยาศาสตร์และเทคโนโลยี", "นวัตกรรมท้องถิ่น", "เทคโนโลยีสารสนเทศ"]

PURPOSES = [
    "เพื่อเพิ่มมูลค่าสินค้าเกษตร", "เพื่อความมั่นคงทางอาหาร", "เพื่อเศรษฐกิจฐานราก",
    "เพื่อการท่องเที่ยวเชิงสร้างสรรค์", "เพื่อลดต้นทุนการผลิต", "เพื่อคุณภาพชีวิตที่ดีขึ้น",
    "เพื่อการส่งออก", "เพื่อการพึ่งพาตนเอง", "เพื่อรองรับประชาคมอาเซียน",
    "เพื่อการอนุรักษ์สิ่งแวดล้อม", "เพื่อการจัดการภัยพิบัติ", "เพื่อสุขภาพชุมชน",
    "เพื่อการศึกษา", "เพื่อยกระดับผลิตภัณฑ์ OTOP", "เพื่ออุตสาหกรรมขนาดกลางและขนาดย่อม",
    "เพื่อการใช้พลังงานอย่างมีประสิทธิภาพ", "เพื่อการพัฒนาที่ยั่งยืน", "เพื่อเกษตรกรรายย่อย",
    "เพื่อความปลอดภัยของผู้บริโภค", "เพื่อการบริหารจัดการน้ำ", "เพื่อการเรียนรู้ตลอดชีวิต",
    "เพื่อเสริมสร้างความเข้มแข็งของชุมชน", "เพื่อการสร้างอาชีพ", "เพื่อการแข่งขันของจังหวัด",
    "",
]
TARGETS = [
    "สำหรับวิสาหกิจชุมชน", "สำหรับครูวิทยาศาสตร์", "สำหรับนักเรียนมัธยมศึกษา",
    "สำหรับกลุ่มเกษตรกร", "สำหรับผู้ประกอบการ SMEs", "สำหรับองค์กรปกครองส่วนท้องถิ่น",
    "สำหรับกลุ่มแม่บ้าน", "สำหรับโรงพยาบาลส่งเสริมสุขภาพตำบล", "สำหรับสหกรณ์การเกษตร",
    "สำหรับปราชญ์ชาวบ้าน", "สำหรับเยาวชน", "สำหรับอาสาสมัครสาธารณสุข",
    "สำหรับเจ้าหน้าที่ภาครัฐ", "สำหรับมหาวิทยาลัยในภูมิภาค", "สำหรับผู้สูงอายุ",
    "สำหรับกลุ่มประมงพื้นบ้าน", "สำหรับโรงเรียนขยายโอกาส", "",
]
QUALIFIERS = [
    "", "", "", "แบบมีส่วนร่วม", "เชิงพื้นที่", "ระยะที่ 2", "ระยะที่ 3", "ปีที่ 2",
    "(ต่อเนื่อง)", "นำร่อง", "แบบครบวงจร", "ในพื้นที่ชายแดน", "ในพื้นที่ลุ่มน้ำ",
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
    "เกษตรกร 200 ราย", "วิสาหกิจชุมชน 30 กลุ่ม", "ครูและนักเรียน 500 คน", "ผู้ประกอบการ 50 ราย",
    "ประชาชนทั่วไป", "เจ้าหน้าที่ อปท. 80 คน", "เยาวชน 1,000 คน", "โรงเรียน 20 แห่ง",
    "กลุ่มแม่บ้าน 15 กลุ่ม", "ผู้สูงอายุ 300 คน", "",
]
FIRST_NAMES = ["นายสมชาย", "นางสาวสุภาพร", "นายวิชัย", "นางมาลี", "นายประเสริฐ", "นางสาวกนกวรรณ",
               "ดร.อนุชา", "นายธนากร", "นางสาวพิมพ์ชนก", "นางศิริพร", "ดร.วรวุฒิ", "นายณัฐพล"]
LAST_NAMES = ["ใจดี", "สุขสวัสดิ์", "ศรีสมบูรณ์", "แก้วมณี", "ทองคำ", "วงศ์สวัสดิ์", "รุ่งเรือง",
              "บุญมา", "จันทร์เพ็ญ", "พรหมวงศ์", "สมบัติทอง", "ชัยมงคล"]
REMARKS = ["ต่อเนื่องจากปี 2554", "ร่วมกับมหาวิทยาลัยในพื้นที่", "งบประมาณรวมค่าครุภัณฑ์",
           "รอการอนุมัติ", "ดำเนินการร่วมกับจังหวัด", "ใช้งบประมาณจากแผนบูรณาการ"]
THAI_MONTHS = ["ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.", "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.",
               "พ.ย.", "ธ.ค."]
FY_START = dt.date(2011, 10, 1)  # FY 2555 BE = 1 Oct 2011 .. 30 Sep 2012


# ----------------------------------------------------------------------------- reference data

def _read_csv(path: Path) -> list[dict]:
    import csv

    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def load_reference() -> tuple[list[str], list[tuple[str, str]]]:
    """(province Thai names, [(agency code, label for the หน่วยงาน row)])."""
    provinces = [r["name_th"] for r in _read_csv(DATA / "provinces.csv")]
    agencies = [(r["code_en"], r["abbr_th"] or r["code_en"])
                for r in _read_csv(DATA / "agencies.csv")]
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
    return f"{d.day} {THAI_MONTHS[d.month - 1]} {d.year + 543}"


def generate_rows(code: str, n: int, provinces: list[str], seed: int) -> list[list]:
    """n project rows for one agency: unique names, 1-3 valid provinces, satang budgets."""
    rng = random.Random(f"{seed}-{code}")
    themes = THEMES.get(code, []) + GENERIC_THEMES[:1]
    seen: set[str] = set()
    n_shared = max(1, n // 400) if n >= 50 else 0  # ~0.25 % joint projects
    rows = []
    while len(rows) < n:
        shared = len(rows) < n_shared
        if shared:
            name = rng.choice(SHARED_NAMES)
            if rng.random() < 0.5:
                name = _near_variant(name, rng)
            provs = rng.sample(SHARED_PROVINCES, rng.choice((1, 1, 2)))
        else:
            parts = [rng.choice(ACTIONS) + rng.choice(themes), rng.choice(PURPOSES),
                     rng.choice(TARGETS), rng.choice(QUALIFIERS)]
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
        phone = (f"0 2{rng.randrange(100, 999)} {rng.randrange(1000, 9999)} ต่อ {rng.randrange(100, 999)}"
                 if rng.random() < 0.6 else
                 f"08{rng.randrange(1, 10)}-{rng.randrange(100, 999)}-{rng.randrange(1000, 9999)}")
        rows.append([
            None, name, province_cell, budget, rng.choice(STRATEGIES), rng.choice(TARGET_GROUPS),
            start_cell, end_cell, f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}", phone,
            rng.choice(REMARKS) if rng.random() < 0.15 else None,
        ])
    return rows


def write_workbook(args: tuple) -> dict:
    """Write one agency's submission; returns its expected figures (runs in a worker)."""
    code, label, n, provinces, path, seed = args
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    rows = generate_rows(code, n, provinces, seed)
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
        files_ok = all((inbox / f["file"]).is_file() and (inbox / f["file"]).stat().st_size
                       == f["size"] for f in manifest.get("files", []))
        if manifest.get("version") == GENERATOR_VERSION and files_ok:
            return inbox, manifest, None
    provinces, agencies = load_reference()
    if n_agencies > len(agencies):
        sys.exit(f"--agencies: at most {len(agencies)} (agencies.csv)")
    if inbox.exists():
        shutil.rmtree(inbox)
    inbox.mkdir(parents=True)
    t0 = time.perf_counter()
    jobs = [(code, label, n_rows, provinces, inbox / f"{code}_{FISCAL_YEAR}.xlsx", SEED)
            for code, label in agencies[:n_agencies]]
    with ProcessPoolExecutor(max_workers=min(os.cpu_count() or 1, len(jobs))) as pool:
        files = list(pool.map(write_workbook, jobs))
    seconds = time.perf_counter() - t0
    for f in files:
        f["size"] = (inbox / f["file"]).stat().st_size
    manifest = {
        "version": GENERATOR_VERSION, "rows_per_agency": n_rows, "agencies": n_agencies,
        "rows": sum(f["rows"] for f in files),
        "budget": str(sum((Decimal(f["budget"]) for f in files), Decimal(0))),
        "generation_seconds": round(seconds, 2), "files": files,
    }
    manifest_path.write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    return inbox, manifest, seconds


# ----------------------------------------------------------------------------- measuring

def _tree_rss_proc(root: int) -> int:
    """Total RSS (bytes) of `root` and all its descendants, from /proc."""
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
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        todo.extend(children.get(pid, ()))
        try:
            with open(f"/proc/{pid}/statm", "rb") as fh:
                total += int(fh.read().split()[1]) * page
        except (OSError, IndexError, ValueError):
            pass
    return total


def _tree_rss_psutil(root: int) -> int:
    import psutil

    try:
        proc = psutil.Process(root)
        procs = [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return 0
    total = 0
    for p in procs:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass
    return total


def _measure_main(argv: list[str]) -> int:
    """Hidden mode `--_measure JSON LOG -- CMD...`: run CMD, sample its tree, report.

    Run in its own process so that RUSAGE_CHILDREN covers CMD's tree only."""
    import resource
    import threading

    json_out, log, cmd = argv[0], argv[1], argv[3:]
    try:
        import psutil  # noqa: F401

        sampler, how = _tree_rss_psutil, "psutil"
    except ImportError:
        sampler, how = _tree_rss_proc, "/proc"
    peak = {"bytes": 0, "samples": 0}
    done = threading.Event()
    with open(log, "wb") as fh:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT)

        def sample() -> None:
            while not done.is_set():
                peak["bytes"] = max(peak["bytes"], sampler(proc.pid))
                peak["samples"] += 1
                done.wait(0.1)

        thread = threading.Thread(target=sample, daemon=True)
        thread.start()
        rc = proc.wait()
        wall = time.perf_counter() - t0
        done.set()
        thread.join()
    maxrss_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB on Linux
    Path(json_out).write_text(json.dumps({
        "rc": rc, "seconds": wall, "maxrss_mb": maxrss_kb / 1024,
        "tree_peak_mb": peak["bytes"] / 2**20, "samples": peak["samples"], "sampler": how,
    }))
    return 0


def measure(cmd: list[str], env: dict, cwd: Path, log: Path) -> dict:
    result = cwd / ".measure.json"
    load1 = os.getloadavg()[0]  # other work on the machine skews the timings
    subprocess.run([sys.executable, __file__, "--_measure", str(result), str(log), "--", *cmd],
                   env=env, cwd=cwd, check=True)
    return {**json.loads(result.read_text()), "load1": load1}


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
    Path(json_out).write_text(json.dumps({
        "rows": rows, "total": total,
        "province_keys": int(by_province.size), "province_total": float(by_province.sum()),
        "inner_seconds": time.perf_counter() - t0,
    }))
    return 0


# ----------------------------------------------------------------------------- report

def _versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    out = []
    for pkg in ("stiplan", "dagster", "pandas", "pandera", "duckdb", "pyarrow", "fastexcel",
                "python-calamine", "openpyxl", "rapidfuzz"):
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


def _table(results: list[dict]) -> list[str]:
    lines = ["| method | seconds | rows/s | peak MB (tree, sampled) | peak MB (largest process, ru_maxrss) |",
             "|---|---:|---:|---:|---:|"]
    for r in results:
        lines.append(f"| {r['method']} | {r['seconds']:.2f} | {r['rows_per_s']:,.0f} | "
                     f"{r['tree_peak_mb']:,.0f} | {r['maxrss_mb']:,.0f} |")
    return lines


# ----------------------------------------------------------------------------- main

def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--_measure":
        return _measure_main(sys.argv[2:])
    if len(sys.argv) > 1 and sys.argv[1] == "--_naive":
        return _naive_main(sys.argv[2:])

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=10_000, help="project rows per agency")
    ap.add_argument("--agencies", type=int, default=16, help="number of agency workbooks")
    ap.add_argument("--out", type=Path, default=HERE / "out",
                    help="working folder: cached workbooks, warehouse, logs [benchmarks/out]")
    ap.add_argument("--skip-naive", action="store_true", help="only time stiplan run")
    ap.add_argument("--no-results", action="store_true",
                    help="do not append to benchmarks/results.md")
    args = ap.parse_args()
    out = args.out.absolute()
    out.mkdir(parents=True, exist_ok=True)
    bindir = Path(sys.executable).parent
    stiplan = bindir / "stiplan"
    if not stiplan.exists():
        stiplan = Path(shutil.which("stiplan") or "stiplan")

    # 1. workbooks
    inbox, manifest, gen_seconds = ensure_inbox(out, args.rows, args.agencies)
    total_rows = manifest["rows"]
    expected_budget = Decimal(manifest["budget"])
    size_mb = sum(f["size"] for f in manifest["files"]) / 2**20
    if gen_seconds is None:
        print(f"Workbooks: cached in {inbox} ({len(manifest['files'])} files, {size_mb:.1f} MB; "
              f"generated earlier in {manifest['generation_seconds']:.1f} s)")
    else:
        print(f"Workbooks: generated {len(manifest['files'])} files, {size_mb:.1f} MB "
              f"in {gen_seconds:.1f} s -> {inbox}")
    print(f"Expected: {total_rows:,} projects, {expected_budget:,.2f} baht")

    results: list[dict] = []
    code_version = _code_version()  # at the start: the code that was run

    # 2. stiplan run
    run_dir = out / "run-stiplan"
    if run_dir.exists():
        shutil.rmtree(run_dir)
    (run_dir / "cwd").mkdir(parents=True)
    warehouse = run_dir / "warehouse"
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
    env.update(STIPLAN_INBOX=str(inbox), STIPLAN_WAREHOUSE=str(warehouse))
    log = run_dir / "stiplan-run.log"
    print(f"\nRunning: {stiplan} run  (STIPLAN_WAREHOUSE={warehouse}, DAGSTER_HOME unset)")
    m = measure([str(stiplan), "run", "--no-outputs"], env, run_dir / "cwd", log)
    tail = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-12:]
    print("  " + "\n  ".join(tail))
    verify = {}
    if m["rc"] != 0:
        print(f"  stiplan run exited {m['rc']}; log: {log}")
    plan = warehouse / "plan.duckdb"
    if plan.exists():
        import duckdb

        con = duckdb.connect(str(plan), read_only=True)
        try:
            n, budget = con.execute(
                "SELECT count(*), coalesce(sum(budget_baht), 0) FROM projects").fetchone()
            outcomes = dict(con.execute(
                "SELECT outcome, count(*) FROM source_rows GROUP BY outcome").fetchall())
            candidates = con.execute("SELECT count(*) FROM duplicate_candidates").fetchone()[0]
        finally:
            con.close()
        ok = n == total_rows and Decimal(budget) == expected_budget
        verify = {"projects": n, "budget": Decimal(budget), "ok": ok}
        print(f"  Published projects: {n:,}  budget_baht sum: {Decimal(budget):,.2f}  "
              f"-> {'MATCHES' if ok else 'DIFFERS FROM'} expected "
              f"({total_rows:,}, {expected_budget:,.2f})")
        print(f"  source_rows outcomes: {outcomes}; duplicate_candidates: {candidates:,}")
        verify.update(outcomes=outcomes, candidates=candidates)
    else:
        print(f"  No published plan at {plan}")
    results.append({"method": "stiplan run", **m, "rows_per_s": total_rows / m["seconds"]})

    # 3. naive pandas
    naive = None
    if not args.skip_naive:
        naive_dir = out / "run-naive"
        if naive_dir.exists():
            shutil.rmtree(naive_dir)
        naive_dir.mkdir(parents=True)
        nlog = naive_dir / "naive.log"
        print("\nRunning: naive pandas.read_excel(engine='openpyxl') + concat + groupby")
        m = measure([sys.executable, __file__, "--_naive", str(inbox),
                     str(naive_dir / "naive.json")], os.environ.copy(), naive_dir, nlog)
        if m["rc"] == 0:
            naive = json.loads((naive_dir / "naive.json").read_text())
            print(f"  rows kept: {naive['rows']:,}  total (float): {naive['total']:,.2f}  "
                  f"(diff vs exact: {naive['total'] - float(expected_budget):+.6f}); "
                  f"province keys after naive split: {naive['province_keys']}")
        else:
            print(f"  naive consolidation exited {m['rc']}; log: {nlog}")
        results.append({"method": "naive pandas+openpyxl", **m,
                        "rows_per_s": total_rows / m["seconds"]})

    # 4. report
    print()
    table = _table(results)
    print("\n".join(table))
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
        + (f"generated in {gen_seconds:.1f} s" if gen_seconds is not None else
           f"cached (generated earlier in {manifest['generation_seconds']:.1f} s)"),
        f"- Peak memory: tree total sampled every 0.1 s via {sampler}; ru_maxrss = "
        "RUSAGE_CHILDREN of a wrapper, i.e. the largest single process",
        "- 1-min load average when each method started: "
        + ", ".join(f"{r['method']} {r['load1']:.2f}" for r in results)
        + f" (on {os.cpu_count()} CPUs; anything above ~0.1 means other work skewed the timings)",
        "",
        *table,
        "",
    ]
    if verify:
        section.append(
            f"- stiplan published {verify['projects']:,} projects, "
            f"{verify['budget']:,.2f} baht: {'matches' if verify['ok'] else 'DIFFERS from'} "
            f"the generated data; source_rows outcomes {verify['outcomes']}; "
            f"{verify['candidates']:,} duplicate candidates.")
    else:
        section.append(f"- stiplan run exited {results[0]['rc']}; no plan published.")
    if naive:
        section.append(f"- naive: {naive['rows']:,} rows, total {naive['total']:,.2f} (float), "
                       f"{naive['province_keys']} province keys after a naive split.")
    section.append("")
    if not args.no_results:
        res = HERE / "results.md"
        if not res.exists():
            res.write_text("# Consolidation benchmark results\n\nAppended by "
                           "`benchmarks/consolidate.py`; see README.md.\n\n", encoding="utf-8")
        with res.open("a", encoding="utf-8") as fh:
            fh.write("\n".join(section) + "\n")
        print(f"\nAppended to {res}")
    return 0 if results[0]["rc"] == 0 and verify.get("ok") else 1


if __name__ == "__main__":
    sys.exit(main())
