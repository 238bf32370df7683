"""A realistic sample inbox for fiscal year 2555 (`stiplan demo`).

Sixteen workbooks, one per agency, written the way agencies really send them: title rows or
none, Thai or English headers, budgets in baht or million baht (ล้านบาท), the agency named
in a title row, in a column or only in the file name, one legacy `.xls`, one file filled
from the official template, and the usual mistakes (rejected rows, duplicates within a
file, totals rows, section headings, a zero budget).

Once the mistakes are set aside, the plan is the FY 2555 headline of DESIGN.md: 637
projects worth exactly 567,359,000.00 baht. The numbers are planned, not hoped for: every
agency gets a fixed number of projects and a budget in whole thousands of baht, split
over its projects in whole units (1,000 baht where the file says ล้านบาท, so each cell is
an exact x.xxx; 100 baht elsewhere). Deterministic for a given seed, down to the bytes.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path

import openpyxl

from stiplan.assets.excel.edit import save_workbook, styled, use_styles
from stiplan.assets.excel.save import write_atomically
from stiplan.assets.ingest.text import normalise_name
from stiplan.schemas.fields import FIELD, TEMPLATE_FIELDS
from stiplan.schemas.reference import PROVINCES, REGION_TH, REGIONS, STRATEGIES, Province
from stiplan.template import PLAN_TITLE, write_template

FISCAL_YEAR = 2555
PROJECTS = 637
BUDGET_BAHT = Decimal("567359000.00")
YEAR_TITLE = f"{PLAN_TITLE} ประจำปีงบประมาณ พ.ศ. {FISCAL_YEAR}"
_SAVED_AT = dt.datetime(2011, 8, 15, 9, 0)  # the files' document dates: same seed, same bytes
_FY_START = dt.date(2011, 10, 1)
_FY_END = dt.date(2012, 9, 30)
MB = 1_000_000

# (agency, projects, budget in thousands of baht); OMIN takes what is left of the headline.
_PLAN: tuple[tuple[str, int, int], ...] = (
    ("NSTDA", 112, 131_250), ("DSS", 84, 72_480), ("TISTR", 66, 68_900),
    ("OPS", 56, 41_365), ("GISTDA", 40, 43_200), ("NSM", 36, 30_750),
    ("TINT", 30, 27_640), ("NIA", 28, 29_800), ("HAII", 27, 25_100),
    ("NARIT", 32, 22_470), ("OAP", 30, 17_950), ("NIMT", 24, 14_380),
    ("TCELS", 22, 16_840), ("SLRI", 20, 12_600), ("STI", 14, 6_350),
)  # fmt: skip
_OMIN_COUNT = PROJECTS - sum(n for _, n, _ in _PLAN)
_OMIN_K = int(BUDGET_BAHT) // 1000 - sum(k for _, _, k in _PLAN)
PLAN: dict[str, tuple[int, int]] = {c: (n, k * 1000) for c, n, k in _PLAN}
PLAN["OMIN"] = (_OMIN_COUNT, _OMIN_K * 1000)
assert _OMIN_COUNT == 16 and _OMIN_K == 6_284, "the headline no longer adds up"
assert sum(n for n, _ in PLAN.values()) == PROJECTS
assert sum(b for _, b in PLAN.values()) == BUDGET_BAHT

# Each agency's projects follow its mission.
THEMES: dict[str, tuple[str, ...]] = {
    "NSTDA": (
        "โครงการถ่ายทอดเทคโนโลยีการผลิตข้าวพันธุ์ทนน้ำท่วม",
        "โครงการส่งเสริมการใช้ชีวภัณฑ์ควบคุมศัตรูพืช",
        "โครงการโรงเรือนปลูกผักอัจฉริยะควบคุมด้วยเซนเซอร์",
        "โครงการระบบน้ำหยดพลังงานแสงอาทิตย์เพื่อเกษตรกร",
        "โครงการเพิ่มผลผลิตมันสำปะหลังด้วยท่อนพันธุ์สะอาด",
        "โครงการถ่ายทอดเทคโนโลยีการเลี้ยงโคนมและอาหารสัตว์",
        "โครงการยกระดับผลิตภัณฑ์ OTOP ด้วยเทคโนโลยีการแปรรูปอาหาร",
        "โครงการหมู่บ้านวิทยาศาสตร์และเทคโนโลยี",
        "โครงการสนับสนุนการพัฒนาเทคโนโลยีของอุตสาหกรรมไทย (ITAP)",
        "โครงการค่ายวิทยาศาสตร์สำหรับเยาวชนผู้มีความสามารถพิเศษ",
        "โครงการพัฒนาพันธุ์ข้าวหอมมะลิด้วยเครื่องหมายโมเลกุล",
        "โครงการผลิตปุ๋ยอินทรีย์คุณภาพสูงโดยชุมชน",
        "โครงการระบบเตือนภัยโรคและแมลงศัตรูข้าว",
        "โครงการผลิตไบโอดีเซลชุมชน",
        "โครงการยกระดับคุณภาพน้ำยางข้นและยางแผ่น",
    ),
    "DSS": (
        "โครงการตรวจวิเคราะห์คุณภาพผลิตภัณฑ์ OTOP เพื่อขอการรับรอง มผช.",
        "โครงการห้องปฏิบัติการเคลื่อนที่ตรวจคุณภาพน้ำบริโภค",
        "โครงการพัฒนาห้องปฏิบัติการทดสอบตามมาตรฐาน ISO/IEC 17025",
        "โครงการทดสอบความชำนาญห้องปฏิบัติการ",
        "โครงการถ่ายทอดเทคโนโลยีการผลิตเซรามิกและเครื่องปั้นดินเผา",
        "โครงการวิทยาศาสตร์และเทคโนโลยีเพื่อพัฒนาผลิตภัณฑ์ชุมชน",
        "โครงการตรวจสอบสารปนเปื้อนในอาหารและสินค้าเกษตร",
        "โครงการพัฒนาบรรจุภัณฑ์ผลิตภัณฑ์ชุมชน",
        "โครงการน้ำดื่มสะอาดเพื่อโรงเรียนในชนบท",
        "โครงการพัฒนาผ้าทอพื้นเมืองด้วยเทคโนโลยีสิ่งทอ",
        "โครงการบริการสอบเทียบเครื่องมือวิทยาศาสตร์",
        "โครงการตรวจวิเคราะห์โลหะหนักในดินและน้ำ",
    ),
    "TISTR": (
        "โครงการพัฒนาเครื่องสำอางจากสมุนไพรท้องถิ่น",
        "โครงการถ่ายทอดเทคโนโลยีการผลิตปุ๋ยชีวภาพ",
        "โครงการเพาะเลี้ยงเนื้อเยื่อพืชเศรษฐกิจ",
        "โครงการพัฒนาอาหารแปรรูปจากผลไม้ท้องถิ่น",
        "โครงการผลิตก๊าซชีวภาพจากของเสียฟาร์มสุกร",
        "โครงการศูนย์เครือข่ายถ่ายทอดเทคโนโลยีสู่ชนบท",
        "โครงการบรรจุภัณฑ์ยืดอายุผลิตภัณฑ์อาหาร",
        "โครงการเลี้ยงสาหร่ายสไปรูลินาเพื่อเศรษฐกิจชุมชน",
        "โครงการผลิตเห็ดเศรษฐกิจด้วยเทคโนโลยีสะอาด",
        "โครงการทดสอบมาตรฐานผลิตภัณฑ์ยางพารา",
    ),
    "OPS": (
        "โครงการวิทยาศาสตร์และเทคโนโลยีเพื่อการพัฒนาชุมชน",
        "โครงการวิทยาศาสตร์สัญจรเพื่อเยาวชน",
        "โครงการถ่ายทอดเทคโนโลยีสู่ชุมชนฐานราก",
        "โครงการพัฒนาศูนย์วิทยาศาสตร์เพื่อการศึกษาท้องถิ่น",
        "โครงการศูนย์ประสานงานวิทยาศาสตร์และเทคโนโลยีจังหวัด",
        "โครงการยกระดับผลิตภัณฑ์ชุมชนด้วยวิทยาศาสตร์และเทคโนโลยี",
        "โครงการมหกรรมวิทยาศาสตร์และเทคโนโลยีภูมิภาค",
        "โครงการคลินิกเทคโนโลยีเคลื่อนที่",
    ),
    "GISTDA": (
        "โครงการติดตามพื้นที่น้ำท่วมด้วยภาพถ่ายดาวเทียม",
        "โครงการแผนที่การใช้ประโยชน์ที่ดินจากภาพดาวเทียมธีออส",
        "โครงการระบบภูมิสารสนเทศเพื่อการบริหารจัดการจังหวัด",
        "โครงการเฝ้าระวังไฟป่าและหมอกควันด้วยดาวเทียม",
        "โครงการอบรมภูมิสารสนเทศสำหรับองค์กรปกครองส่วนท้องถิ่น",
        "โครงการประเมินผลผลิตข้าวด้วยข้อมูลดาวเทียม",
        "โครงการติดตามการกัดเซาะชายฝั่งด้วยภูมิสารสนเทศ",
    ),
    "NSM": (
        "โครงการนิทรรศการวิทยาศาสตร์สัญจร",
        "โครงการพิพิธภัณฑ์วิทยาศาสตร์เคลื่อนที่สู่โรงเรียน",
        "โครงการสัปดาห์วิทยาศาสตร์แห่งชาติส่วนภูมิภาค",
        "โครงการพัฒนาแหล่งเรียนรู้วิทยาศาสตร์ท้องถิ่น",
        "โครงการอบรมครูวิทยาศาสตร์ด้านกิจกรรมนอกห้องเรียน",
        "โครงการค่ายนักสื่อสารวิทยาศาสตร์รุ่นเยาว์",
    ),
    "OAP": (
        "โครงการตรวจสอบความปลอดภัยทางรังสีในสถานพยาบาล",
        "โครงการเฝ้าระวังกัมมันตภาพรังสีในสิ่งแวดล้อม",
        "โครงการอบรมเจ้าหน้าที่ความปลอดภัยทางรังสี",
        "โครงการกำกับดูแลการใช้วัสดุกัมมันตรังสีในโรงงานอุตสาหกรรม",
        "โครงการเตรียมความพร้อมรับเหตุฉุกเฉินทางรังสี",
        "โครงการสร้างความเข้าใจด้านพลังงานนิวเคลียร์แก่ประชาชน",
        "โครงการตรวจวัดก๊าซเรดอนในอาคารและน้ำบาดาล",
    ),
    "NIMT": (
        "โครงการสอบเทียบเครื่องชั่งในตลาดสดและสหกรณ์การเกษตร",
        "โครงการถ่ายทอดความรู้ด้านมาตรวิทยาแก่ภาคอุตสาหกรรม",
        "โครงการเครือข่ายห้องปฏิบัติการสอบเทียบภูมิภาค",
        "โครงการมาตรวิทยาเพื่อความเป็นธรรมทางการค้า",
        "โครงการสอบเทียบเครื่องมือแพทย์ในโรงพยาบาลชุมชน",
    ),
    "TINT": (
        "โครงการฉายรังสีผลไม้เพื่อการส่งออก",
        "โครงการควบคุมแมลงวันผลไม้ด้วยเทคนิคการปล่อยแมลงเป็นหมัน",
        "โครงการปรับปรุงพันธุ์พืชด้วยรังสี",
        "โครงการเทคนิคนิวเคลียร์เพื่อศึกษาแหล่งน้ำบาดาล",
        "โครงการฉายรังสีแหนมและอาหารหมักพื้นบ้าน",
        "โครงการตรวจวัดรังสีในสินค้าเกษตรส่งออก",
    ),
    "STI": (
        "โครงการจัดทำแผนวิทยาศาสตร์ เทคโนโลยีและนวัตกรรมระดับจังหวัด",
        "โครงการศึกษานโยบายนวัตกรรมเพื่อการพัฒนาเชิงพื้นที่",
        "โครงการระบบข้อมูลตัวชี้วัดวิทยาศาสตร์และเทคโนโลยีจังหวัด",
        "โครงการเวทีนโยบายวิทยาศาสตร์สำหรับผู้บริหารจังหวัด",
    ),
    "SLRI": (
        "โครงการบริการแสงซินโครตรอนแก่ภาคอุตสาหกรรม",
        "โครงการวิเคราะห์อัญมณีด้วยแสงซินโครตรอน",
        "โครงการค่ายวิทยาศาสตร์แสงซินโครตรอนสำหรับนักเรียน",
        "โครงการวิเคราะห์คุณภาพข้าวด้วยแสงซินโครตรอน",
        "โครงการถ่ายทอดเทคโนโลยีเคลือบผิวด้วยระบบสุญญากาศ",
    ),
    "HAII": (
        "โครงการบริหารจัดการน้ำชุมชนด้วยระบบภูมิสารสนเทศ",
        "โครงการสถานีโทรมาตรตรวจวัดสภาพอากาศอัตโนมัติ",
        "โครงการชุมชนต้นแบบการจัดการน้ำตามแนวพระราชดำริ",
        "โครงการระบบเตือนภัยน้ำท่วมและดินถล่ม",
        "โครงการแผนที่น้ำระดับตำบล",
    ),
    "NARIT": (
        "โครงการหอดูดาวเฉลิมพระเกียรติเพื่อประชาชน",
        "โครงการค่ายดาราศาสตร์สำหรับครูและนักเรียน",
        "โครงการกล้องโทรทรรศน์เพื่อโรงเรียน",
        "โครงการเผยแพร่ความรู้ปรากฏการณ์ทางดาราศาสตร์",
        "โครงการอบรมการสอนดาราศาสตร์ภาคปฏิบัติ",
        "โครงการดาราศาสตร์สัญจร",
        "โครงการท่องเที่ยวดาราศาสตร์ท้องฟ้ามืด",
    ),
    "NIA": (
        "โครงการนวัตกรรมอาหารไทยเพื่อการพาณิชย์",
        "โครงการส่งเสริมนวัตกรรมเกษตรอินทรีย์",
        "โครงการพัฒนาธุรกิจนวัตกรรมชีวภาพ",
        "โครงการนวัตกรรมการออกแบบผลิตภัณฑ์ชุมชน",
        "โครงการนวัตกรรมพลังงานทดแทนในชุมชน",
    ),
    "TCELS": (
        "โครงการพัฒนาผลิตภัณฑ์สมุนไพรไทยสู่มาตรฐานสากล",
        "โครงการส่งเสริมอุตสาหกรรมเครื่องมือแพทย์ในภูมิภาค",
        "โครงการบ่มเพาะธุรกิจชีววิทยาศาสตร์",
        "โครงการสปาและผลิตภัณฑ์สุขภาพจากสมุนไพร",
        "โครงการวิจัยทางคลินิกยาจากสมุนไพร",
    ),
    "OMIN": (
        "โครงการรัฐมนตรีพบประชาชนเผยแพร่วิทยาศาสตร์และเทคโนโลยี",
        "โครงการวิทยาศาสตร์และเทคโนโลยีฟื้นฟูพื้นที่ประสบอุทกภัย",
        "โครงการติดตามผลงานวิทยาศาสตร์และเทคโนโลยีในภูมิภาค",
        "โครงการประชุมสัญจรเครือข่ายวิทยาศาสตร์จังหวัด",
    ),
}

TARGETS: dict[str, tuple[str, ...]] = {
    "NSTDA": ("เกษตรกร", "วิสาหกิจชุมชน", "ผู้ประกอบการ SMEs", "นักเรียนและเยาวชน"),
    "DSS": ("ผู้ประกอบการ OTOP", "ห้องปฏิบัติการภาครัฐและเอกชน", "โรงเรียน", "วิสาหกิจชุมชน"),
    "TISTR": ("วิสาหกิจชุมชน", "เกษตรกร", "ผู้ประกอบการรายย่อย"),
    "OPS": ("ประชาชนทั่วไป", "นักเรียนและครู", "กลุ่มอาชีพในชุมชน"),
    "GISTDA": ("องค์กรปกครองส่วนท้องถิ่น", "หน่วยงานระดับจังหวัด", "เกษตรกร"),
    "NSM": ("นักเรียนและครู", "ประชาชนทั่วไป", "เยาวชน"),
    "OAP": ("สถานพยาบาล", "โรงงานอุตสาหกรรม", "เจ้าหน้าที่ความปลอดภัยทางรังสี", "ประชาชน"),
    "NIMT": ("ผู้ประกอบการ", "ห้องปฏิบัติการสอบเทียบ", "ตลาดสดและสหกรณ์", "โรงพยาบาล"),
    "TINT": ("เกษตรกรผู้ปลูกผลไม้", "ผู้ส่งออก", "ผู้ประกอบการอาหาร"),
    "STI": ("ผู้บริหารจังหวัด", "หน่วยงานระดับจังหวัด"),
    "SLRI": ("ผู้ประกอบการอุตสาหกรรม", "นักวิจัย", "นักเรียน"),
    "HAII": ("ชุมชนในพื้นที่เสี่ยงภัย", "องค์กรปกครองส่วนท้องถิ่น", "เกษตรกร"),
    "NARIT": ("นักเรียนและครู", "ประชาชนทั่วไป", "นักท่องเที่ยว"),
    "NIA": ("ผู้ประกอบการ", "วิสาหกิจชุมชน"),
    "TCELS": ("ผู้ประกอบการสมุนไพร", "โรงพยาบาล", "นักวิจัย"),
    "OMIN": ("ประชาชนทั่วไป", "ผู้ประสบอุทกภัย", "หน่วยงานในจังหวัด"),
}

# Strategies most of each agency's projects fall under (1-based into STRATEGIES).
_STRATEGY_MIX: dict[str, tuple[int, ...]] = {
    "NSTDA": (1, 2, 2, 4), "DSS": (2, 3, 3), "TISTR": (1, 2, 2), "OPS": (2, 4, 4),
    "GISTDA": (3, 5, 5), "NSM": (4,), "OAP": (3, 5), "NIMT": (1, 3), "TINT": (1, 2),
    "STI": (1,), "SLRI": (1, 3, 4), "HAII": (5,), "NARIT": (4,), "NIA": (1, 2),
    "TCELS": (1, 2), "OMIN": (2, 5),
}  # fmt: skip

# Where an agency's own centres are: picked a little more often.
_HOME: dict[str, tuple[str, ...]] = {
    "NARIT": ("TH-50", "TH-30", "TH-24", "TH-90"), "SLRI": ("TH-30",),
    "HAII": ("TH-10", "TH-13"), "NSTDA": ("TH-13", "TH-50", "TH-40", "TH-90"),
    "TINT": ("TH-26",), "OAP": ("TH-10",), "GISTDA": ("TH-20",),
}  # fmt: skip

_PHONE: dict[str, str] = {
    "NSTDA": "02-564-7000", "DSS": "02-201-7000", "TISTR": "02-577-9000",
    "OPS": "02-333-3700", "GISTDA": "02-141-4444", "NSM": "02-577-9999",
    "OAP": "02-596-7600", "NIMT": "02-577-5100", "TINT": "02-401-9889",
    "STI": "02-160-5432", "SLRI": "044-217-040", "HAII": "02-642-7132",
    "NARIT": "053-121-268", "NIA": "02-017-5555", "TCELS": "02-644-5499",
    "OMIN": "02-333-3738",
}  # fmt: skip
_MEN = ("สมชาย", "วิชัย", "ธนพล", "ประเสริฐ", "อนุชา", "สุรศักดิ์", "ชัยวัฒน์", "ปิยะ")
_WOMEN = ("สุภาพร", "กนกวรรณ", "ศิริพร", "นงลักษณ์", "พรทิพย์", "จิราภรณ์", "รัตนา", "วราภรณ์")
_LAST = (
    "ใจดี",
    "ศรีสุข",
    "วงศ์ไทย",
    "บุญมา",
    "แสงทอง",
    "พงษ์ศิริ",
    "ทองคำ",
    "สุวรรณรัตน์",
    "เกิดผล",
    "จันทร์หอม",
    "มีสุข",
    "รุ่งเรือง",
)
_THAI_DIGITS = str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙")
_BY_CODE = {p.code: p for p in PROVINCES}


@dataclass
class Project:
    name: str
    provinces: tuple[Province, ...]  # empty when nationwide
    baht: int
    strategy: str
    target: str
    start: dt.date
    end: dt.date
    contact: str
    phone: str

    @property
    def nationwide(self) -> bool:
        return not self.provinces


# ------------------------------------------------------------------------------ generation


def _split(total: int, n: int, unit: int, rng: random.Random) -> list[int]:
    """`total` baht over `n` projects in whole `unit`s, at least 50,000 baht each, skewed
    like real budgets (a few large projects, many small ones); the parts add up exactly."""
    units, floor = total // unit, 50_000 // unit
    assert units * unit == total and units >= n * floor
    weights = [rng.lognormvariate(0, 0.75) for _ in range(n)]
    spare = units - n * floor
    raw = [spare * w / sum(weights) for w in weights]
    parts = [int(r) for r in raw]
    by_fraction = sorted(range(n), key=lambda i: (raw[i] - parts[i], -i), reverse=True)
    for i in by_fraction[: spare - sum(parts)]:
        parts[i] += 1
    return [(floor + p) * unit for p in parts]


class _Deck:
    """Provinces dealt from a shuffled deck, so the plan reaches every region."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.cards: list[Province] = []

    def draw(self) -> Province:
        if not self.cards:
            self.cards = list(PROVINCES)
            self.rng.shuffle(self.cards)
        return self.cards.pop()


def _date_pair(rng: random.Random) -> tuple[dt.date, dt.date]:
    start_month = rng.choice((10, 10, 10, 11, 12, 1, 2, 3))
    start = dt.date(2011 if start_month >= 10 else 2012, start_month, rng.choice((1, 1, 15)))
    end_month = rng.randint(max(start.month + 3 if start.year == 2012 else 3, 3), 9)
    end = dt.date(2012, end_month + 1, 1) - dt.timedelta(days=1)
    return start, min(end, _FY_END)


def _contact(rng: random.Random) -> str:
    title = rng.choice(("นาย", "นาง", "นางสาว", "ดร.", "ดร."))
    first = rng.choice(_MEN if title == "นาย" else _WOMEN if title != "ดร." else _MEN + _WOMEN)
    return f"{title}{first} {rng.choice(_LAST)}"


def _projects(code: str, rng: random.Random, deck: _Deck, unit: int) -> list[Project]:
    n, total = PLAN[code]
    zero = 1 if code == "OMIN" else 0  # one project run on the regular budget: 0 baht
    amounts = _split(total, n - zero, unit, rng) + [0] * zero
    themes = list(THEMES[code])
    rng.shuffle(themes)
    seen: set[str] = set()
    out: list[Project] = []
    for i, baht in enumerate(amounts):
        theme = themes[i % len(themes)]
        roll = rng.random()
        if roll < 0.07:
            provinces: tuple[Province, ...] = ()
            where = ""
        else:
            home = _HOME.get(code)
            first = _BY_CODE[rng.choice(home)] if home and rng.random() < 0.2 else deck.draw()
            cluster = [
                p for p in PROVINCES if first.cluster_th and p.cluster_th == first.cluster_th
            ]
            if roll < 0.27 and len(cluster) > 1:
                others = [p for p in cluster if p is not first]
                provinces = (first, *rng.sample(others, rng.randint(1, min(3, len(others)))))
                where = " " + first.cluster_th
            else:
                provinces = (first,)
                where = (" " if first.code == "TH-10" else " จังหวัด") + first.name_th
        name = theme + where
        phase = 2
        while normalise_name(name) in seen:
            name, phase = f"{theme}{where} ระยะที่ {phase}", phase + 1
        seen.add(normalise_name(name))
        start, end = _date_pair(rng)
        strategy = STRATEGIES[rng.choice(_STRATEGY_MIX[code]) - 1]
        out.append(
            Project(
                name=name,
                provinces=provinces,
                baht=baht,
                strategy=strategy,
                target=rng.choice(TARGETS[code]),
                start=start,
                end=end,
                contact=_contact(rng),
                phone=f"{_PHONE[code]} ต่อ {rng.randint(1000, 9999)}",
            )
        )
    return out


# ------------------------------------------------------------------------------- rendering


def _thai_date(d: dt.date, full: bool = False) -> str:
    """`5 ม.ค. 2555` (or `5 มกราคม 2555`), as agencies type a date."""
    from pythainlp.util import thai_strftime

    return thai_strftime(dt.datetime(d.year, d.month, d.day), "%-d %B %Y" if full else "%-d %b %Y")


_DATES: dict[str, Callable[[dt.date], object]] = {
    "excel": lambda d: d,
    "iso": lambda d: d.isoformat(),
    "thai": _thai_date,
    "thai_full": lambda d: _thai_date(d, full=True),
    "be_slash": lambda d: f"{d.day}/{d.month}/{d.year + 543}",
}

_ALIAS = {"TH-10": "กทม.", "TH-30": "โคราช"}


def _province_text(provinces: tuple[Province, ...], style: str, nationwide: str) -> str:
    if not provinces:
        return nationwide
    if style == "english":
        return ", ".join(p.name_en for p in provinces)
    if style == "prefix":
        return ", ".join(_ALIAS.get(p.code) or f"จ.{p.name_th}" for p in provinces)
    if style == "alias":  # the short forms people type: กทม., โคราช
        return ", ".join(_ALIAS.get(p.code) or p.name_th for p in provinces)
    names = [p.name_th for p in provinces]
    sep = {"comma": ", ", "newline": "\n", "slash": "/", "space": " ", "semicolon": "; "}[style]
    return sep.join(names)


@dataclass
class Table:
    """Rows of one project table, as an agency would type them; keeps running totals of
    what stiplan compares a totals row with (accepted and duplicate rows, as typed)."""

    columns: list[tuple[str, str]]  # (field, header text as written)
    unit: int = 1  # baht per unit written: 1 or MB
    provinces: str = "comma"
    nationwide: str = "ทั่วประเทศ"
    dates: str = "excel"
    budgets: str = "number"  # number | text (1,234,500) | dash (1,234,500.-) | thai_some
    extra: Callable[[Project], dict[str, object]] | None = None
    rows: list[list[object]] = field(default_factory=list)
    seq: int = 0
    since_total: int = 0
    whole: int = 0
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def header(self) -> list[str]:
        return [h for _, h in self.columns]

    def _count(self, outcome: str) -> None:
        self.counts[outcome] = self.counts.get(outcome, 0) + 1

    def _emit(self, values: dict[str, object]) -> None:
        self.rows.append([values.get(f) for f, _ in self.columns])

    def money(self, baht: int) -> object:
        if self.unit == MB:
            number = Decimal(baht) / MB
            if self.budgets == "thai_some" and self.seq % 5 == 3:
                return f"{number:.3f}".translate(_THAI_DIGITS)
            return float(number)
        if self.budgets == "text":
            return f"{baht:,}"
        if self.budgets == "dash":
            return f"{baht:,}.-"
        return baht

    def _values(self, p: Project) -> dict[str, object]:
        self.seq += 1
        values = {
            "seq": self.seq,
            "name": p.name,
            "provinces": _province_text(p.provinces, self.provinces, self.nationwide),
            "budget": self.money(p.baht),
            "strategy": p.strategy,
            "target": p.target,
            "start": _DATES[self.dates](p.start),
            "end": _DATES[self.dates](p.end),
            "contact": p.contact,
            "phone": p.phone,
        }
        if self.extra:
            values.update(self.extra(p))
        return values

    def project(self, p: Project) -> None:
        self._emit(self._values(p))
        self.since_total += p.baht
        self.whole += p.baht
        self._count("accepted")

    def duplicate(self, p: Project, how: str) -> None:
        """The same project typed again further down (copied, re-sorted, re-spelled)."""
        if how == "reordered" and len(p.provinces) > 1:
            p = replace(p, provinces=tuple(reversed(p.provinces)))
        elif how == "spaced":
            p = replace(p, name=p.name.replace(" ", "  ", 1) + " ")
        values = self._values(p)
        if how == "prefixed":
            values["provinces"] = _province_text(p.provinces, "prefix", self.nationwide)
        self._emit(values)
        self.since_total += p.baht
        self.whole += p.baht
        self._count("duplicate")

    def rejected(self, p: Project, **cells: object) -> None:
        values = self._values(p)
        values.update(cells)
        self._emit(values)
        self._count("rejected")

    def section(self, text: str, where: str = "name") -> None:
        self._emit({where: text})
        self._count("section")

    def total(self, label: str, scope: str = "since", where: str = "name", off_by: int = 0) -> None:
        baht = (self.since_total if scope == "since" else self.whole) + off_by
        self._emit(
            {
                where: label,
                "budget": self.money(baht)
                if self.budgets != "thai_some"
                else float(Decimal(baht) / MB),
            }
        )
        self.since_total = 0
        self._count("total")


# The demo's column keys for the catalogue's fields (the rest keep the field's name).
_KEY = {
    "project_name": "name",
    "target_group": "target",
    "start_date": "start",
    "end_date": "end",
    "contact_name": "contact",
    "contact_phone": "phone",
}
# The template's Thai headers, as a careful agency copies them.
H_TH = [(_KEY.get(f.name, f.name), f.header_th) for f in TEMPLATE_FIELDS[:10]]
# English headers as an agency writes them: a synonym for the provinces, budgets in
# million baht.
_EN_AS_WRITTEN = {"provinces": "Province", "budget": "Budget (million baht)"}
H_EN = [
    (_KEY.get(name, name), _EN_AS_WRITTEN.get(name, FIELD[name].header_en))
    for name in (*(f.name for f in TEMPLATE_FIELDS[:8]), "remarks")
]


def _with_budget(columns: list[tuple[str, str]], header: str) -> list[tuple[str, str]]:
    return [(f, header if f == "budget" else h) for f, h in columns]


@dataclass
class SheetOut:
    name: str
    titles: list[str]
    table: Table | None
    notes: list[str] = field(default_factory=list)  # a sheet without a project table


@dataclass
class FileOut:
    name: str
    sheets: list[SheetOut]
    kind: str = "xlsx"  # xlsx | xls | template


def _multi(projects: list[Project]) -> Project:
    return next((p for p in projects if len(p.provinces) > 1), projects[0])


def _by_strategy(projects: list[Project]) -> list[tuple[str, list[Project]]]:
    groups: dict[str, list[Project]] = {}
    for p in sorted(projects, key=lambda p: STRATEGIES.index(p.strategy)):
        groups.setdefault(p.strategy, []).append(p)
    return list(groups.items())


def _region(p: Project) -> str:
    return p.provinces[0].region if p.provinces else "Nationwide"


# --------------------------------------------------------------------------- the agencies


def _nstda(ps: list[Project]) -> FileOut:
    main, continuing = ps[:-14], ps[-14:]
    t = Table(_with_budget(H_TH, "งบประมาณ\n(ล้านบาท)"), unit=MB, budgets="thai_some")
    dup = _multi(main)
    for i, (strategy, group) in enumerate(_by_strategy(main)):
        t.section(strategy)
        for j, p in enumerate(group):
            t.project(p)
            if i == 0 and j == min(2, len(group) - 1):
                t.rejected(
                    replace(p, name="โครงการต้นแบบเครื่องอบแห้งพลังงานแสงอาทิตย์", baht=850_000),
                    provinces=None,
                )
        if dup in group:
            t.duplicate(dup, "reordered")
        t.total("รวม")
    t.total("รวมทั้งสิ้น", scope="whole")
    t2 = Table(_with_budget(H_TH[:5], "งบประมาณ (ล้านบาท)"), unit=MB)
    for p in continuing:
        t2.project(p)
    t2.total("รวม")
    return FileOut(
        "NSTDA_2555.xlsx",
        [
            SheetOut(
                "คำชี้แจง",
                [],
                None,
                notes=[
                    "แผนงานโครงการของ สวทช. ที่ดำเนินการในจังหวัด ปีงบประมาณ 2555",
                    "แผ่นงาน 'แผนงาน สวทช.' = โครงการใหม่, 'โครงการต่อเนื่อง' = โครงการต่อเนื่องจากปี 2554",
                    "งบประมาณเป็นล้านบาท",
                ],
            ),
            SheetOut("แผนงาน สวทช.", [YEAR_TITLE, "หน่วยงาน: สวทช."], t),
            SheetOut("โครงการต่อเนื่อง", [], t2),
        ],
    )


def _dss(ps: list[Project]) -> FileOut:
    cols = [
        ("seq", "ที่"),
        ("name", "โครงการ/กิจกรรม"),
        ("provinces", "พื้นที่ดำเนินการ"),
        ("budget", "งบประมาณ (บาท)"),
        ("strategy", "ยุทธศาสตร์"),
        ("target", "กลุ่มเป้าหมาย"),
        ("start", "วันเริ่มต้น"),
        ("end", "วันสิ้นสุด"),
    ]
    t = Table(cols)
    for i, p in enumerate(ps):
        t.project(p)
        if i == 20:
            t.rejected(
                replace(p, name="โครงการตรวจคุณภาพน้ำบาดาลในพื้นที่ภัยแล้ง", baht=1_200_000),
                provinces="ภาคตะวันออกเฉียงเหนือ",
            )
        if i == 41:
            t.duplicate(ps[7], "copied")
    t.total("รวมทั้งสิ้น", scope="whole")
    return FileOut("แผนบูรณาการ_วศ_2555.xls", [SheetOut("Sheet1", [], t)], kind="xls")


def _tistr(ps: list[Project]) -> FileOut:
    t = Table(
        H_EN,
        unit=MB,
        provinces="english",
        nationwide="Nationwide",
        dates="iso",
        extra=lambda p: {"strategy": "S" + p.strategy.split(" ", 2)[1]},
    )
    for i, p in enumerate(ps):
        t.project(p)
        if i == 30:
            t.rejected(replace(p, name="โครงการโรงงานต้นแบบผลิตภัณฑ์ข้าวกล้องงอก"), budget="TBD")
    t.total("Grand total", scope="whole")
    return FileOut(
        "TISTR_FY2012_plan.xlsx",
        [
            SheetOut(
                "Projects",
                [
                    "Provincial Integration Plan for Science, Technology and Innovation, Fiscal Year 2012",
                    "Agency: Thailand Institute of Scientific and Technological Research",
                ],
                t,
            )
        ],
    )


def _ops(ps: list[Project]) -> FileOut:
    cols = [*H_TH, ("remarks", "หมายเหตุ")]
    t = Table(cols, provinces="alias", dates="thai")
    order = [*REGIONS, "Nationwide"]
    grouped = sorted(ps, key=lambda p: order.index(_region(p)))
    dup_source = next(p for p in grouped if len(p.provinces) == 1)
    region = None
    for p in grouped:
        if _region(p) != region:
            region = _region(p)
            t.section(REGION_TH.get(region, "โครงการดำเนินการทั่วประเทศ"))
        t.project(p)
        if p is dup_source:
            t.duplicate(p, "prefixed")
        if p is grouped[25]:
            t.rejected(
                replace(p, name="โครงการศูนย์เรียนรู้วิทยาศาสตร์ชุมชนต้นแบบ"),
                provinces=None,
                budget="รอการจัดสรร",
            )
    # The agency's own sum left out a late project: a totals mismatch (a warning only).
    t.total("รวม", scope="whole", off_by=-ps[-1].baht)
    return FileOut(
        "ops plan 2555.xlsx",
        [
            SheetOut(
                "แผน",
                [
                    f"{PLAN_TITLE} ประจำปีงบประมาณ พ.ศ. {str(FISCAL_YEAR).translate(_THAI_DIGITS)}",
                    "หน่วยงาน: สป.วท.",
                    "ข้อมูล ณ วันที่ 15 สิงหาคม 2554",
                ],
                t,
            )
        ],
    )


def _gistda(ps: list[Project]) -> FileOut:
    cols = [
        ("agency", "หน่วยงาน"),
        ("year", "ปีงบประมาณ"),
        ("name", "ชื่อโครงการ"),
        ("provinces", "จังหวัด"),
        ("budget", "งบประมาณ (บาท)"),
        ("start", "วันเริ่มต้น"),
        ("end", "วันสิ้นสุด"),
        ("remarks", "หมายเหตุ"),
    ]
    t = Table(cols, extra=lambda p: {"agency": "สทอภ.", "year": FISCAL_YEAR})
    for i, p in enumerate(ps):
        t.project(p)
        if i == 12:
            t.rejected(
                replace(p, name="โครงการสำรวจพื้นที่ป่าชายเลนด้วยอากาศยานไร้คนขับ"), start="31 ก.พ. 2555"
            )
        if i == 33:
            t.duplicate(ps[5], "spaced")
    return FileOut("แผนงานโครงการเชิงพื้นที่.xlsx", [SheetOut("Sheet1", [], t)])


def _nsm(ps: list[Project]) -> FileOut:
    cols = [
        ("seq", "ลำดับ"),
        ("name", "ชื่อ\nโครงการ"),
        ("provinces", "พื้นที่ดำเนินการ\n(จังหวัด)"),
        ("budget", "งบประมาณ\n(บาท)"),
        ("target", "กลุ่ม\nเป้าหมาย"),
        ("start", "วันเริ่มต้น"),
        ("end", "วันสิ้นสุด"),
    ]
    t = Table(cols, budgets="text", dates="be_slash")
    for i, p in enumerate(ps):
        t.project(p)
        if i == 17:
            t.rejected(replace(p, name="โครงการรถโมบายวิทยาศาสตร์ภาคเหนือ"), provinces="เชียงใหมม")
    t.total("รวม", scope="whole", where="seq")
    return FileOut(
        "อพวช_2555.xlsx",
        [
            SheetOut(
                "แผนงาน",
                [
                    "แผนงานโครงการบูรณาการกับจังหวัด ประจำปีงบประมาณ 2555",
                    "หน่วยงาน: องค์การพิพิธภัณฑ์วิทยาศาสตร์แห่งชาติ",
                ],
                t,
            )
        ],
    )


def _oap_extra(p: Project) -> dict[str, object]:
    return {
        "indicator": "จำนวนหน่วยงานที่ได้รับการตรวจสอบ",
        "unit_count": "แห่ง",
        "goal": 5 + p.baht // 100_000 % 20,
    }


def _oap(ps: list[Project]) -> FileOut:
    cols = [
        ("provinces", "จังหวัด"),
        ("name", "ชื่อโครงการ"),
        ("indicator", "ตัวชี้วัด"),
        ("unit_count", "หน่วยนับ"),
        ("goal", "ค่าเป้าหมาย"),
        ("budget", "งบประมาณ (บาท)"),
        ("strategy", "ยุทธศาสตร์"),
        ("start", "วันเริ่มต้น"),
        ("end", "วันสิ้นสุด"),
        ("contact", "ผู้รับผิดชอบ"),
    ]
    t = Table(cols, extra=_oap_extra, nationwide="ทุกจังหวัด")
    for i, p in enumerate(ps):
        t.project(p)
        if i == 9:
            t.rejected(replace(p, name="โครงการจัดเก็บกากกัมมันตรังสีจากสถานพยาบาล"), budget=-150_000)
    return FileOut(
        "OAP_2555.xlsx",
        [SheetOut("โครงการ ปส.", ["หน่วยงาน: สำนักงานปรมาณูเพื่อสันติ (ปส.)", YEAR_TITLE], t)],
    )


def _tint(ps: list[Project]) -> FileOut:
    t = Table(_with_budget(H_TH[:8], "งบประมาณ"), unit=MB)
    for i, (strategy, group) in enumerate(_by_strategy(ps)):
        t.section(strategy)
        for j, p in enumerate(group):
            t.project(p)
            if i == 0 and j == min(1, len(group) - 1):
                t.rejected(replace(p, name="โครงการศูนย์ฉายรังสีภาคใต้"), budget="-")
    t.total("รวมทั้งหมด", scope="whole")
    return FileOut(
        "สทน_2555.xlsx",
        [
            SheetOut(
                "แผน 2555",
                [
                    PLAN_TITLE,
                    "ประจำปีงบประมาณ พ.ศ. 2555",
                    "หน่วยงาน: สถาบันเทคโนโลยีนิวเคลียร์แห่งชาติ",
                    "(หน่วย : ล้านบาท)",
                ],
                t,
            )
        ],
    )


def _narit(ps: list[Project]) -> FileOut:
    t = Table([*H_TH, ("remarks", "หมายเหตุ")], dates="thai_full")
    for i, p in enumerate(ps):
        t.project(p)
        if i == 14:
            t.rejected(
                replace(p, name="โครงการอบรมนักดาราศาสตร์สมัครเล่น"),
                start=_thai_date(dt.date(2012, 6, 1), full=True),
                end=_thai_date(dt.date(2011, 12, 31), full=True),
            )
    t.section("หมายเหตุ: ข้อมูล ณ วันที่ 15 สิงหาคม 2554 อาจมีการปรับปรุงตามงบประมาณที่ได้รับจัดสรร")
    return FileOut(
        "narit-2555.xlsx",
        [
            SheetOut(
                "NARIT",
                [
                    "Agency: National Astronomical Research Institute of Thailand (Public Organization)",
                    YEAR_TITLE,
                ],
                t,
            )
        ],
    )


def _haii(ps: list[Project]) -> FileOut:
    t = Table(_with_budget(H_TH, "งบประมาณ (ล้านบาท)"), unit=MB, provinces="semicolon")
    for i, p in enumerate(ps):
        t.project(p)
        if i == 6:
            t.rejected(p, name=None)
    return FileOut("สสนก._2555.xlsx", [SheetOut("แผนงาน", ["ประจำปีงบประมาณ 2555"], t)])


def _nia(ps: list[Project]) -> FileOut:
    t = Table(
        [
            ("seq", "ลำดับ"),
            ("name", "ชื่อโครงการ"),
            ("provinces", "จังหวัด"),
            ("budget", "งบประมาณ (บาท)"),
            ("strategy", "ยุทธศาสตร์"),
            ("target", "กลุ่มเป้าหมาย"),
        ],
        budgets="dash",
        provinces="english",
        nationwide="ทั่วประเทศ",
    )
    for p in ps:
        t.project(p)
    t.total("รวม", scope="whole")
    t.section("หมายเหตุ: งบประมาณรวมค่าใช้จ่ายในการติดตามประเมินผล")
    return FileOut("NIA_2555.xlsx", [SheetOut("NIA", ["หน่วยงาน: สนช.", "ปีงบประมาณ 2555"], t)])


def _tcels(ps: list[Project]) -> FileOut:
    north = [p for p in ps if _region(p) in ("North", "Northeast")]
    rest = [p for p in ps if p not in north]
    sheets = []
    for name, group in (("ภาคเหนือ-ภาคอีสาน", north), ("ภาคกลาง-ภาคใต้", rest)):
        t = Table(H_TH[:7])
        for p in group:
            t.project(p)
        if name == "ภาคกลาง-ภาคใต้":
            t.rejected(
                replace(ps[0], name="โครงการเส้นทางสมุนไพรอันดามัน"), provinces="กลุ่มจังหวัดภาคใต้ฝั่งอันดามัน"
            )
        sheets.append(SheetOut(name, [YEAR_TITLE, "หน่วยงาน: ศลช."], t))
    return FileOut("TCELS_2555.xlsx", sheets)


def _slri(ps: list[Project]) -> FileOut:
    t = Table(_with_budget(H_TH[:8], "งบประมาณ (ล้านบาท)"), unit=MB, provinces="newline")
    for p in ps:
        t.project(p)
    return FileOut(
        "SLRI_2555.xlsx",
        [SheetOut("Sheet1", ["หน่วยงาน: สถาบันวิจัยแสงซินโครตรอน (องค์การมหาชน)", YEAR_TITLE], t)],
    )


def _sti(ps: list[Project]) -> FileOut:
    t = Table(_with_budget(H_EN[:5], "Budget (baht)"), provinces="slash", nationwide="Nationwide")
    for p in ps:
        t.project(p)
    return FileOut("STI_2555.xlsx", [SheetOut("Plan", ["Agency: สวทน.", "FY 2555"], t)])


def _omin(ps: list[Project]) -> FileOut:
    t = Table(
        [*H_TH[:6], ("remarks", "หมายเหตุ")],
        provinces="space",
        extra=lambda p: {"remarks": "ใช้งบประมาณปกติของสำนักงาน" if p.baht == 0 else None},
    )
    for p in ps:
        t.project(p)
    return FileOut("สำนักงานรัฐมนตรี_2555.xlsx", [SheetOut("Sheet1", [], t)])


def _nimt(ps: list[Project]) -> FileOut:
    t = Table(
        [
            ("seq", "ลำดับ"),
            ("name", "ชื่อโครงการ"),
            ("provinces", "จังหวัด"),
            ("budget", "งบประมาณ (บาท)"),
            ("strategy", "ยุทธศาสตร์"),
            ("target", "กลุ่มเป้าหมาย"),
            ("start", "วันเริ่มต้น"),
            ("end", "วันสิ้นสุด"),
            ("contact", "ผู้รับผิดชอบ"),
            ("phone", "โทรศัพท์"),
            ("remarks", "หมายเหตุ"),
        ]
    )
    for p in ps:
        t.project(p)
    return FileOut("NIMT_2555.xlsx", [SheetOut("โครงการ", [], t)], kind="template")


_WRITERS: dict[str, Callable[[list[Project]], FileOut]] = {
    "NSTDA": _nstda, "DSS": _dss, "TISTR": _tistr, "OPS": _ops, "GISTDA": _gistda,
    "NSM": _nsm, "OAP": _oap, "TINT": _tint, "NARIT": _narit, "HAII": _haii, "NIA": _nia,
    "TCELS": _tcels, "SLRI": _slri, "STI": _sti, "OMIN": _omin, "NIMT": _nimt,
}  # fmt: skip
_MB_AGENCIES = frozenset({"NSTDA", "TISTR", "TINT", "HAII", "SLRI"})


def build_demo(seed: int = 2555) -> list[tuple[str, FileOut]]:
    """Every agency's file, in memory: (agency code, file)."""
    deck = _Deck(random.Random(f"stiplan-demo-deck-{seed}"))
    out = []
    for code in PLAN:  # a fixed order: the deck is dealt the same way every time
        rng = random.Random(f"stiplan-demo-{seed}-{code}")
        unit = 1000 if code in _MB_AGENCIES else 100
        projects = _projects(code, rng, deck, unit)
        out.append((code, _WRITERS[code](projects)))
    return out


def expected_outcomes(seed: int = 2555) -> dict[str, int]:
    """Row outcomes the demo inbox is written to produce (current submissions)."""
    counts: dict[str, int] = {}
    for _, f in build_demo(seed):
        for sheet in f.sheets:
            if sheet.table:
                for k, v in sheet.table.counts.items():
                    counts[k] = counts.get(k, 0) + v
    return counts


# --------------------------------------------------------------------------------- writing


def _xlsx(path: Path, sheets: list[SheetOut]) -> Path:
    wb = use_styles(openpyxl.Workbook())
    wb.remove(wb.active)
    for s in sheets:
        ws = wb.create_sheet(s.name)
        for note in s.notes:
            ws.append([note])
        if s.table is None:
            ws.column_dimensions["A"].width = 90
            continue
        width = len(s.table.columns)
        for i, title in enumerate(s.titles, start=1):
            ws.append([title])
            styled(ws.cell(row=i, column=1), "banner")
            ws.merge_cells(start_row=i, start_column=1, end_row=i, end_column=width)
        ws.append(s.table.header)
        header_row = ws.max_row
        for row in s.table.rows:
            ws.append(row)
        for row in ws.iter_rows(min_row=header_row):
            for cell in row:
                if cell.row == header_row:
                    styled(cell, "header")
                elif isinstance(cell.value, dt.date):
                    styled(cell, "date")
                else:
                    styled(cell, "plain")
                    if (
                        isinstance(cell.value, int | float)
                        and s.table.columns[cell.column - 1][0] == "budget"
                    ):  # as the agency typed it: its own formats, not the plan's
                        cell.number_format = "#,##0.000" if s.table.unit == MB else "#,##0"
        for j, (f, _) in enumerate(s.table.columns, start=1):
            ws.column_dimensions[openpyxl.utils.get_column_letter(j)].width = {
                "name": 60,
                "provinces": 28,
                "strategy": 40,
                "target": 24,
            }.get(f, 14)
        ws.freeze_panes = ws.cell(row=header_row + 1, column=1).coordinate
    return save_workbook(wb, path, _SAVED_AT)


def _xls(path: Path, sheets: list[SheetOut]) -> Path:
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    date_style = xlwt.easyxf(num_format_str="D/M/YYYY")
    for s in sheets:
        sheet = book.add_sheet(s.name)
        top = [[t] for t in s.titles] + ([s.table.header] if s.table else [])
        for i, r in enumerate(top + (s.table.rows if s.table else [])):
            for j, v in enumerate(r):
                if isinstance(v, dt.date):
                    sheet.write(i, j, v, date_style)
                elif v is not None:
                    sheet.write(i, j, v)
    return write_atomically(path, book.save)


def _template(path: Path, code: str, sheet: SheetOut) -> Path:
    """The official template, filled in as a careful focal point would."""
    from stiplan.template import FIRST_ROW, PROJECT_SHEET

    write_template(code, FISCAL_YEAR, path)
    wb = openpyxl.load_workbook(path)
    ws = wb[PROJECT_SHEET]
    assert sheet.table is not None
    for i, row in enumerate(sheet.table.rows):
        for j, value in enumerate(row, start=1):
            ws.cell(row=FIRST_ROW + i, column=j, value=value)
    return save_workbook(wb, path, _SAVED_AT)


def _have_xlwt() -> bool:
    try:
        import xlwt  # noqa: F401
    except ImportError:
        return False
    return True


def write_demo(inbox: Path, seed: int = 2555) -> list[Path]:
    """Write the sample inbox (one workbook per agency) and return the paths written.

    Files already in `inbox` are left alone; the demo's own files are overwritten with the
    same bytes for the same seed."""
    inbox = Path(inbox)
    inbox.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for code, f in build_demo(seed):
        path = inbox / f.name
        if f.kind == "xls" and _have_xlwt():
            written.append(_xls(path, f.sheets))
        elif f.kind == "template":
            written.append(_template(path, code, f.sheets[0]))
        else:
            written.append(_xlsx(path.with_suffix(".xlsx"), f.sheets))
    return written
