"""Totals and subtotals rows: recognised by their leading label, checked against the
rows they close.

A totals label is `รวม`, `รวมทั้งสิ้น`, `ยอดรวม`, `Total`, `Grand total`, … alone or
followed by a count (`รวม 10 โครงการ`), words that say what is summed (`รวมงบประมาณ
ทั้งสิ้น`) or the name of the section it closes (`รวมยุทธศาสตร์ที่ 1`, `รวมภาคเหนือ`).
A name that merely starts with รวม (`รวมพลังวิทยาศาสตร์…`, `รวมกลุ่มเกษตรกร`) is not one.
"""

from __future__ import annotations

import re

from stiplan.assets.text import clean_text, header_key

_THAI_LEAD = re.compile(r"^(?:ผล|ยอด)?รวม(?:ยอด)?")
_ENGLISH = re.compile(
    r"^(?:grand\s*total|sub-?\s*total|total|sum)\s*"
    r"(?:$|[:：(\-–=0-9]|(?:of|for|budget|projects?|amount|baht|thb|all)\b)", re.IGNORECASE)
# What may follow รวม (spaces removed): words that say what is summed ...
_SUMMED = ("ทั้งสิ้น", "ทั้งหมด", "ทั้งปี", "ทั้ง", "งบประมาณ", "เงิน", "เป็นเงิน", "จำนวน",
           "ทุก", "ยอด", "โครงการทั้งหมด", "โครงการทั้งสิ้น", "สุทธิ")
# ... or the kind of section a subtotal closes.
_SECTION_KINDS = ("ยุทธศาสตร์", "แผนงาน", "ผลผลิต", "ภาค", "กลุ่มจังหวัด", "จังหวัด", "หมวด",
                  "ส่วนที่", "ประเด็น", "มาตรการ", "ด้าน", "ข้อที่", "หน่วยงาน", "เป้าหมาย", "ไตรมาส")
_COUNT = re.compile(r"^[0-9๐-๙,]+(?:โครงการ|รายการ|กิจกรรม|project)?")


def total_label(value: object, headings: list[str] = ()) -> bool:
    """The cell is a totals or subtotals label (see the module's docstring). `headings`
    are the section headings seen above it on the sheet, so `รวม` + a heading's name
    counts too."""
    try:
        text = clean_text(value).strip(" :：.-–*")
    except Exception:  # noqa: BLE001
        return False
    if not text:
        return False
    if _ENGLISH.match(text):
        return True
    m = _THAI_LEAD.match(text)
    if not m:
        return False
    rest = header_key(text[m.end():]).strip(":：.-–()")
    if not rest or _COUNT.match(rest):
        return True
    if rest.startswith("โครงการ") and (rest == "โครงการ" or _COUNT.match(rest[7:])):
        return True
    if rest.startswith(_SUMMED) or rest.startswith(_SECTION_KINDS):
        return True
    if rest.startswith("(") or rest.startswith("="):
        return True
    keys = (header_key(h) for h in headings)
    return any(len(h) >= 4 and (h.startswith(rest) or rest.startswith(h)) for h in keys)


_NUMBERED_SECTION = re.compile(
    r"^(?:ประเด็นยุทธศาสตร์|ยุทธศาสตร์|แผนงาน|ผลผลิต|มาตรการ|กลยุทธ์|หมวด|ส่วน|ด้าน|strategy|"
    r"programme|program|output)\s*(?:ที่|no\.?)?\s*[0-9๐-๙]+(?![0-9๐-๙])", re.IGNORECASE)


def section_label(value: object) -> bool:
    """A numbered section heading (`ยุทธศาสตร์ที่ 1 …`, `แผนงานที่ 2`) or a region or
    cluster name: on a row with a figure and no province, the section's subtotal."""
    from stiplan.schemas.reference import REGION_OR_CLUSTER_NAMES

    try:
        text = clean_text(value)
    except Exception:  # noqa: BLE001
        return False
    return bool(_NUMBERED_SECTION.match(text)) or text in REGION_OR_CLUSTER_NAMES
