"""The submission header vocabulary: which header texts name which field.

Headers are compared by `header_key` (all whitespace removed, casefolded), so a
line break inside a word or doubled spaces never stop a match.
"""

from __future__ import annotations

import re

from stiplan.assets.text import header_key

REQUIRED = ("project_name", "provinces", "budget")

# field -> header spellings (compared after header_key)
_SYNONYMS: dict[str, tuple[str, ...]] = {
    "seq": ("ลำดับ", "ที่", "ลำดับที่", "No.", "No", "#", "Seq", "Item"),
    "project_name": ("ชื่อโครงการ", "โครงการ", "ชื่อโครงการ/กิจกรรม", "โครงการ/กิจกรรม",
                     "Project", "Project name", "Project title"),
    "provinces": ("จังหวัด", "พื้นที่ดำเนินการ", "พื้นที่ดำเนินการ (จังหวัด)", "จังหวัดที่ดำเนินการ",
                  "พื้นที่ดำเนินการ/จังหวัด", "Province", "Provinces", "Province(s)", "Area"),
    "strategy": ("ยุทธศาสตร์", "Strategy"),
    "target_group": ("กลุ่มเป้าหมาย", "Target group", "Target groups"),
    "start_date": ("วันเริ่มต้น", "วันที่เริ่มต้น", "วันเริ่ม", "เริ่มต้น", "Start date", "Start"),
    "end_date": ("วันสิ้นสุด", "วันที่สิ้นสุด", "สิ้นสุด", "End date", "End"),
    "contact_name": ("ผู้รับผิดชอบ", "ผู้รับผิดชอบโครงการ", "Contact", "Contact name",
                     "Responsible person"),
    "contact_phone": ("โทรศัพท์", "เบอร์โทรศัพท์", "เบอร์โทร", "Phone", "Telephone", "Tel"),
    "remarks": ("หมายเหตุ", "Remarks", "Remark", "Notes", "Note"),
    "agency": ("หน่วยงาน", "ชื่อหน่วยงาน", "Agency"),
    "fiscal_year": ("ปีงบประมาณ", "ปีงบประมาณ พ.ศ.", "ปีงบ", "Fiscal year", "FY"),
}

# Budget headers carry their unit: "งบประมาณ (บาท)", "Budget (million baht)".
_BUDGET_BASES = ("งบประมาณ", "budget", "วงเงิน", "วงเงินงบประมาณ", "งบประมาณที่เสนอขอ",
                 "งบประมาณที่ได้รับ", "amount")
_UNIT_PART = re.compile(r"\(.*?\)|หน่วย:?.*$|unit:?.*$")

_LOOKUP: dict[str, str] = {header_key(s): field for field, names in _SYNONYMS.items()
                           for s in names}


def field_for_header(text: str) -> str | None:
    """The field a header cell names, or None for an unknown extra column."""
    key = header_key(text)
    if not key:
        return None
    if key in _LOOKUP:
        return _LOOKUP[key]
    base = _UNIT_PART.sub("", key)
    if base in {header_key(b) for b in _BUDGET_BASES}:
        return "budget"
    if base in _LOOKUP and _LOOKUP[base] != "budget":
        return _LOOKUP[base]
    return None
