"""The submission header vocabulary: which header texts name which field.

Headers are compared by `header_key` (all whitespace removed, casefolded), so a
line break inside a word or doubled spaces never stop a match. A header cell is
recognised by the field it names, with a year, a unit or other words around it
(`งบประมาณปี 2557 (บาท)`, `พื้นที่เป้าหมาย (จังหวัด)`, `ชื่อโครงการ/กิจกรรม`), by
rules per field rather than a list of spellings; words that change the meaning
(`ปีงบประมาณ` is a year, `กลุ่มจังหวัด` a cluster, `แหล่งงบประมาณ` a source) keep a
cell from being taken for the wrong field.
"""

from __future__ import annotations

import re

from stiplan.assets.ingest.text import header_key, thai_to_arabic_digits
from stiplan.schemas.fields import FIELDS, REQUIRED

__all__ = ["REQUIRED", "field_for_header", "is_unit_or_year"]

# field -> exact spellings (compared after header_key); the rules below catch variants.
_SYNONYMS: dict[str, tuple[str, ...]] = {f.name: f.spellings for f in FIELDS}
_LOOKUP: dict[str, str] = {
    header_key(s): field for field, names in _SYNONYMS.items() for s in names
}

# Noise around the field word: a unit or note in brackets, "หน่วย: …", a year
# ("ปี 2557", "พ.ศ. ๒๕๕๗", "FY2014", "2557"), stray punctuation.
_BRACKETS = re.compile(r"[(\[（][^)\]）]*[)\]）]")
_UNIT_TAIL = re.compile(r"(?:หน่วย(?!งาน)|unit)[:：]?.*$")
_YEAR = re.compile(r"(?:ปี(?!งบ)|พ\.?ศ\.?|ค\.?ศ\.?|fy|b\.?e\.?)?'?[0-9]{2,4}(?:[-–/][0-9]{2,4})?")
_FY_YEAR = re.compile(r"(?:ปีงบ(?:ประมาณ)?|fiscalyear|fy)(?:พ\.?ศ\.?|ค\.?ศ\.?)?'?[0-9]{2,4}")
_PUNCT = re.compile(r"^[\s.:：*\-–/]+|[\s.:：*\-–]+$")

# Parts of a project-name header joined with "/" or "และ": every part must be one.
_NAME_PARTS = frozenset(
    header_key(p)
    for p in (
        "ชื่อโครงการ",
        "โครงการ",
        "ชื่อกิจกรรม",
        "กิจกรรม",
        "แผนงาน",
        "ชื่อแผนงาน",
        "งาน",
        "กิจกรรมย่อย",
        "โครงการย่อย",
        "รายการ",
        "project",
        "projectname",
        "activity",
        "activities",
        "program",
        "programme",
    )
)
_BUDGET_BASES = (
    "งบประมาณ",
    "วงเงินงบประมาณ",
    "วงเงิน",
    "จำนวนเงิน",
    "budget",
    "amount",
    "งบ",
    "รวมงบประมาณ",
    "งบประมาณรวม",
    "เงินงบประมาณ",
)
# Words that make a budget-like header about something else.
_NOT_BUDGET = (
    "แหล่ง",
    "ประเภท",
    "เบิกจ่าย",
    "ใช้ไป",
    "คงเหลือ",
    "หมวด",
    "รหัส",
    "ผูกพัน",
    "ปีก่อน",
    "ปีที่แล้ว",
    "ปีที่ผ่านมา",
    "source",
    "type",
    "disburs",
    "spent",
    "remaining",
    "code",
    "previous",
    "lastyear",
    "ปีงบ",
)
_NOT_PROVINCE = (
    "กลุ่มจังหวัด",
    "cluster",
    "ภาค",
    "region",
    "อำเภอ",
    "ตำบล",
    "district",
    "รหัส",
    "code",
    "ไร่",
    "ตาราง",
    "rai",
    "sq",
    "ยุทธศาสตร์",
    "สอดคล้อง",
    "จำนวน",
    "strateg",
    "number",
    "แผนพัฒนา",
)
# Words after which a province word still names the province column ("… (จังหวัด/อำเภอ)").
_DETAIL_ONLY = ("อำเภอ", "ตำบล", "district")
_PROVINCE_WORDS = (
    "จังหวัด",
    "province",
    "พื้นที่ดำเนินการ",
    "พื้นที่เป้าหมาย",
    "พื้นที่โครงการ",
    "พื้นที่ดำเนินงาน",
    "สถานที่ดำเนินการ",
    "location",
)


def _strip_noise(key: str) -> tuple[str, str]:
    """(key without brackets, year and unit tail; the bracketed words, joined)."""
    inside = "".join(m[1:-1] for m in _BRACKETS.findall(key))
    base = _BRACKETS.sub("", key)
    base = _UNIT_TAIL.sub("", base)
    base = _FY_YEAR.sub("", thai_to_arabic_digits(base))
    base = _YEAR.sub("", base)
    return _PUNCT.sub("", base), inside


def _is_budget(base: str) -> bool:
    if any(w in base for w in _NOT_BUDGET):
        return False
    if "budget" in base:  # "Total budget", "Requested budget"
        return True
    return any(base.startswith(b) for b in _BUDGET_BASES) and (
        base in _BUDGET_BASES or not base.startswith("งบ") or base.startswith("งบประมาณ")
    )


_PROJECT_WORDS = frozenset(
    {"โครงการ", "ชื่อโครงการ", "project", "projectname", "nameofproject", "projects", "projecttitle"}
)
_NOT_NAME = (
    "งบประมาณ",
    "รหัส",
    "ผู้รับผิดชอบ",
    "ระยะเวลา",
    "จังหวัด",
    "พื้นที่",
    "budget",
    "code",
    "ภาษาอังกฤษ",
    "english",
    "วัตถุประสงค์",
    "เป้าหมาย",
    "จำนวน",
    "ลักษณะ",
)


def _is_project_name(base: str) -> bool:
    if any(w in base for w in _NOT_NAME):
        return False
    if base.startswith("ชื่อโครงการ"):
        return True
    parts = [p for p in re.split(r"/|และ|,|หรือ", base) if p]
    if len(parts) < 2:
        return False
    # "ผลผลิต/โครงการ", "โครงการ/กิจกรรมหลัก", "Name of Project/Activity": a project word
    # among short parts.
    return (
        any(p in _PROJECT_WORDS or p in _NAME_PARTS for p in parts)
        and any(p in _PROJECT_WORDS or p.endswith("project") for p in parts)
        and all(len(p) <= 20 for p in parts)
    )


def _is_provinces(base: str, inside: str) -> bool:
    text = base + "|" + inside
    vetoes = [w for w in _NOT_PROVINCE if w in text]
    if vetoes:
        # "จังหวัด/อำเภอ", "พื้นที่ดำเนินการ (จังหวัด/อำเภอ)" still name the province first;
        # a cluster, a strategy or a count never does.
        if any(w not in _DETAIL_ONLY for w in vetoes):
            return False
        return base.startswith("จังหวัด") or "จังหวัด" in inside
    if any(base.startswith(w) or base.endswith(w) for w in _PROVINCE_WORDS):
        return True
    return base.startswith("พื้นที่") and "จังหวัด" in inside


def field_for_header(text: str) -> str | None:
    """The field a header cell names, or None for an unknown extra column."""
    try:
        key = header_key(text)
    except Exception:  # noqa: BLE001 - a header we cannot read is an unknown column
        return None
    if not key:
        return None
    if key in _LOOKUP:
        return _LOOKUP[key]
    # "ปีงบประมาณ 2557" alone heads a fiscal-year column (under a budget group heading
    # it only qualifies the budget: parse._map_stacked skips it there).
    if key.startswith(("ปีงบ", "fiscalyear")):
        return "fiscal_year"
    base, inside = _strip_noise(key)
    if not base:
        return None
    if base.startswith(("ปีงบ", "fiscalyear")) or base in ("ปี", "fy"):
        return "fiscal_year"
    if base in _LOOKUP and _LOOKUP[base] != "fiscal_year":
        if _LOOKUP[base] == "provinces" and not _is_provinces(base, inside):
            return None  # พื้นที่ (ไร่) is an area in rai, not where the project is
        return _LOOKUP[base]
    if _is_budget(base):
        return "budget"
    if _is_project_name(base):
        return "project_name"
    if _is_provinces(base, inside):
        return "provinces"
    if "ยุทธศาสตร์" in base or base.startswith("strateg"):
        return "strategy"
    if "กลุ่มเป้าหมาย" in base or base.startswith("targetgroup"):
        return "target_group"
    if base.startswith(("ผู้รับผิดชอบ", "ผู้ประสานงาน", "contact")) and "โทร" not in base:
        return "contact_name"
    if base.startswith(("โทร", "เบอร์โทร", "phone", "tel")):
        return "contact_phone"
    return None


_PLAIN_YEAR = re.compile(
    r"(?:(?:ปีงบ(?:ประมาณ)?(?:พ\.?ศ\.?)?|ปี(?!งบ)|พ\.?ศ\.?|ค\.?ศ\.?|fy|b\.?e\.?)'?(?:[0-9]{4}|[0-9]{2})|(?:25|26)[0-9]{2}|(?:19|20)[0-9]{2})"
    r"(?:[-–/](?:[0-9]{4}|[0-9]{2}))?"
)


def is_unit_or_year(text: str) -> bool:
    """A sub-heading that only adds a unit or a year to the heading above it:
    `(บาท)`, `ล้านบาท`, `ปี 2557`, `พ.ศ. ๒๕๕๗ (ล้านบาท)`, `(1)` (a column number)."""
    try:
        key = thai_to_arabic_digits(header_key(text))
    except Exception:  # noqa: BLE001
        return False
    if not key or len(key) > 40:
        return False
    if re.fullmatch(r"[(\[][0-9]{1,2}[)\]]", key):  # a column number under the header
        return True
    rest = _PLAIN_YEAR.sub("", key)
    rest = re.sub(
        r"หน่วย|unit|ล้านบาท|พันบาท|บาท|baht|million|thousand|thb|ลบ\.?|[()\[\]:：.,\-–/]", "", rest
    )
    return rest == "" and key != rest
