"""Totals and subtotals rows: recognised by their leading label, checked against the
rows they close.

A totals label is `รวม`, `รวมทั้งสิ้น`, `ยอดรวม`, `Total`, `Grand total`, … alone or
followed by a count (`รวม 10 โครงการ`), words that say what is summed (`รวมงบประมาณ
ทั้งสิ้น`) or the name of the section it closes (`รวมยุทธศาสตร์ที่ 1`, `รวมภาคเหนือ`).
A name that merely starts with รวม (`รวมพลังวิทยาศาสตร์…`, `รวมกลุ่มเกษตรกร`) is not one.
"""

from __future__ import annotations

import re
from functools import lru_cache

from stiplan.assets.ingest.agencies import match_agency
from stiplan.assets.ingest.provinces import parse_provinces
from stiplan.assets.ingest.text import clean_text, header_key
from stiplan.schemas.reference import REGION_OR_CLUSTER_NAMES

_THAI_LEAD = re.compile(r"^(?:ผล|ยอด)?รวม(?:ยอด)?")
_ALONE = frozenset({"ทั้งสิ้น", "ทั้งหมด", "ยอดรวม", "ผลรวม", "รวม"})
_ENGLISH = re.compile(
    r"^(?:(?:grand\s*|sub-?\s*)?total\s*(?:$|[:：(\-–=0-9]|(?:of|for|budget|projects?|amount"
    r"|baht|thb|all|strategy|region|section|program)\b)|sub-?\s*total\b.*|sum\s*[:：=]?\s*$)",
    re.IGNORECASE,
)
# What may follow รวม (spaces removed): words that say what is summed ...
_SUMMED = (
    "ทั้งสิ้น",
    "ทั้งหมด",
    "ทั้งปี",
    "ทั้งโครงการ",
    "ทั้งแผน",
    "งบประมาณ",
    "งบ",
    "เป็นเงิน",
    "จำนวน",
    "ทุกโครงการ",
    "ทุกรายการ",
    "ทุกกิจกรรม",
    "ยอด",
    "โครงการทั้งหมด",
    "โครงการทั้งสิ้น",
    "สุทธิ",
    "ค่าใช้จ่าย",
)
# ... or the kind of section a subtotal closes.
_SECTION_KINDS = (
    "ยุทธศาสตร์",
    "แผนงาน",
    "ผลผลิต",
    "กลุ่มจังหวัด",
    "หมวด",
    "ส่วนที่",
    "ประเด็น",
    "มาตรการ",
    "ข้อที่",
    "ไตรมาส",
    "แผนที่",
)
_REGION = re.compile(r"^ภาค(?:เหนือ|กลาง|ใต้|ตะวันออก|ตะวันตก|อีสาน)")
_COUNT = re.compile(r"^[0-9๐-๙,]+(?:โครงการ|รายการ|กิจกรรม|project)?")
_ENDS_SUMMED = ("ทั้งสิ้น", "ทั้งหมด")


def total_label(value: object, headings: list[str] = ()) -> bool:
    """The cell is a totals or subtotals label (see the module's docstring). `headings`
    are the section headings seen above it on the sheet, so `รวม` + a heading's name
    counts too; so does รวม + an agency's or a province's name (`รวม สวทช.`)."""
    try:  # a sheet repeats its cells (every row's province cell is asked)
        return _total_label_cached(value, tuple(headings))
    except TypeError:  # an unhashable cell
        return _total_label(value, headings)


@lru_cache(maxsize=65536)
def _total_label_cached(value: object, headings: tuple[str, ...]) -> bool:
    return _total_label(value, headings)


@lru_cache(maxsize=65536)
def total_label_possible(value: str | None) -> bool:
    """False when `total_label(value, headings)` is False whatever the headings: the
    headings only matter once the text starts with รวม. Lets a sheet's project rows be
    told apart without asking about every row's headings."""
    try:
        text = clean_text(value).strip(" :：.-–*")
    except Exception:  # noqa: BLE001
        return False
    return bool(text) and (
        header_key(text) in _ALONE or bool(_ENGLISH.match(text)) or bool(_THAI_LEAD.match(text))
    )


def _total_label(value: object, headings) -> bool:
    try:
        text = clean_text(value).strip(" :：.-–*")
    except Exception:  # noqa: BLE001
        return False
    if not text:
        return False
    if header_key(text) in _ALONE or _ENGLISH.match(text):
        return True
    m = _THAI_LEAD.match(text)
    if not m:
        return False
    tail = text[m.end() :].strip(" :：.-–")
    rest = header_key(tail).strip(":：.-–()")
    if not rest or _COUNT.match(rest) or rest.endswith(_ENDS_SUMMED):
        return True
    if rest.startswith("โครงการ") and (rest == "โครงการ" or _COUNT.match(rest[7:])):
        return True
    if rest.startswith(_SUMMED) or rest.startswith(_SECTION_KINDS) or _REGION.match(rest):
        return True
    if rest.startswith(("(", "=")):
        return True
    if _names_agency_or_province(tail):
        return True
    keys = (header_key(h) for h in headings)
    return any(len(h) >= 4 and (h.startswith(rest) or rest.startswith(h)) for h in keys)


def _names_agency_or_province(text: str) -> bool:
    if match_agency(text):
        return True
    parsed = parse_provinces(text)
    return bool(parsed.codes) and not parsed.unknown and not parsed.nationwide


_NUMBERED_SECTION = re.compile(
    r"^(?:ประเด็นยุทธศาสตร์|ยุทธศาสตร์|แผนงาน|ผลผลิต|มาตรการ|กลยุทธ์|หมวด|ส่วน|ด้าน|strategy|"
    r"programme|program|output)\s*(?:ที่|no\.?)?\s*[0-9๐-๙]+(?![0-9๐-๙])",
    re.IGNORECASE,
)


def section_label(value: object) -> bool:
    """A numbered section heading (`ยุทธศาสตร์ที่ 1 …`, `แผนงานที่ 2`) or a region or
    cluster name: on a row with a figure and no province, the section's subtotal."""
    try:
        text = clean_text(value)
    except Exception:  # noqa: BLE001
        return False
    return bool(_NUMBERED_SECTION.match(text)) or text in REGION_OR_CLUSTER_NAMES
