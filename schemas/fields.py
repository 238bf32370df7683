"""The field catalogue: every column a submission may have, as data.

Each field has its Thai and English header as the ministry's template writes them,
the other exact spellings agencies use (compared after `header_key`: spaces and
case do not matter), whether a row needs it, its unit and how to fill it in. The
order is the template's column order; `agency` and `fiscal_year` are columns some
agencies add, not template columns.

Header matching (`assets/ingest/headers.py`) takes its exact spellings from here and
adds rules for the variants (a year, a unit, other words around the field's word);
the template, the feedback and the demo take their header texts from here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Field:
    name: str
    header_th: str  # as the template writes it (DESIGN.md)
    header_en: str
    synonyms_th: tuple[str, ...] = ()  # exact spellings that also name the field
    synonyms_en: tuple[str, ...] = ()
    required: bool = False  # a row without it is rejected; a header without it is no table
    unit: str | None = None
    how_th: str = ""  # how to fill it in, for the template's instructions
    how_en: str = ""
    in_template: bool = True

    @property
    def spellings(self) -> tuple[str, ...]:
        """Every exact text that names the field: its headers, then its synonyms."""
        return (self.header_th, self.header_en, *self.synonyms_th, *self.synonyms_en)


FIELDS: tuple[Field, ...] = (
    Field(
        "seq",
        header_th="ลำดับ",
        header_en="No.",
        synonyms_th=("ลำดับ", "ที่", "ลำดับที่", "ลำดับโครงการ", "ข้อ"),
        synonyms_en=("No.", "No", "#", "Seq", "Item"),
        how_th="เลขลำดับโครงการ 1, 2, 3 … (ไม่บังคับ)",
        how_en="Running number 1, 2, 3 … (optional)",
    ),
    Field(
        "project_name",
        header_th="ชื่อโครงการ",
        header_en="Project name",
        synonyms_th=(
            "ชื่อโครงการ",
            "โครงการ",
            "ชื่อกิจกรรม",
            "กิจกรรม",
            "แผนงาน/โครงการ",
            "รายการ",
            "ชื่อรายการ",
        ),
        synonyms_en=("Project", "Project name", "Project title", "Name of project"),
        required=True,
        how_th="ชื่อโครงการเต็ม หนึ่งโครงการต่อหนึ่งแถว ห้ามเว้นว่าง",
        how_en="Full project name, one project per row; never empty",
    ),
    Field(
        "provinces",
        header_th="จังหวัด",
        header_en="Province(s)",
        synonyms_th=("จังหวัด", "พื้นที่ดำเนินการ", "พื้นที่"),
        synonyms_en=("Province", "Provinces", "Province(s)", "Area", "Location", "Locations"),
        required=True,
        how_th="ชื่อจังหวัดที่ดำเนินการ เลือกจากรายการ หรือพิมพ์หลายจังหวัดคั่นด้วยจุลภาค เช่น เชียงใหม่, ลำพูน  ถ้าดำเนินการทั่วประเทศให้กรอก ทั่วประเทศ  ห้ามกรอกเป็นภาคหรือกลุ่มจังหวัด",
        how_en="Province(s) where the project runs: pick one from the list or type several separated by commas (เชียงใหม่, ลำพูน); nationwide: ทั่วประเทศ. A region or cluster is not accepted",
    ),
    Field(
        "budget",
        header_th="งบประมาณ (บาท)",
        header_en="Budget (baht)",
        # variants with a unit, a year or other words are found by rule (headers.py)
        synonyms_th=("งบประมาณ",),
        synonyms_en=("Budget",),
        required=True,
        unit="baht",
        how_th="งบประมาณเป็นบาท (ไม่ใช่ล้านบาท) ตัวเลขเท่านั้น ไม่ติดลบ เช่น 1250000",
        how_en="Budget in baht (not million baht), a number only, not negative, e.g. 1250000",
    ),
    Field(
        "strategy",
        header_th="ยุทธศาสตร์",
        header_en="Strategy",
        synonyms_th=("ยุทธศาสตร์",),
        synonyms_en=("Strategy",),
        how_th="เลือกยุทธศาสตร์จากรายการ หรือพิมพ์เอง",
        how_en="Pick a strategy from the list or type your own",
    ),
    Field(
        "target_group",
        header_th="กลุ่มเป้าหมาย",
        header_en="Target group",
        synonyms_th=("กลุ่มเป้าหมาย",),
        synonyms_en=("Target group", "Target groups", "Beneficiaries"),
        how_th="กลุ่มเป้าหมายของโครงการ เช่น เกษตรกร วิสาหกิจชุมชน นักเรียน",
        how_en="Who the project serves, e.g. farmers, community enterprises, students",
    ),
    Field(
        "start_date",
        header_th="วันเริ่มต้น",
        header_en="Start date",
        synonyms_th=("วันเริ่มต้น", "วันที่เริ่มต้น", "วันเริ่ม", "เริ่มต้น"),
        synonyms_en=("Start date", "Start"),
        how_th="วันที่ของ Excel เช่น 1/10/2554 หรือ 2011-10-01 (พ.ศ. หรือ ค.ศ. ก็ได้)",
        how_en="An Excel date such as 1/10/2554 or 2011-10-01 (Buddhist or Common Era)",
    ),
    Field(
        "end_date",
        header_th="วันสิ้นสุด",
        header_en="End date",
        synonyms_th=("วันสิ้นสุด", "วันที่สิ้นสุด", "สิ้นสุด"),
        synonyms_en=("End date", "End"),
        how_th="วันที่สิ้นสุด ต้องไม่ก่อนวันเริ่มต้น",
        how_en="End date; must not be before the start date",
    ),
    Field(
        "contact_name",
        header_th="ผู้รับผิดชอบ",
        header_en="Contact",
        synonyms_th=("ผู้รับผิดชอบ", "ผู้รับผิดชอบโครงการ", "ผู้ประสานงาน"),
        synonyms_en=("Contact", "Contact name", "Responsible person"),
        how_th="ชื่อผู้รับผิดชอบโครงการ",
        how_en="Name of the person responsible",
    ),
    Field(
        "contact_phone",
        header_th="โทรศัพท์",
        header_en="Phone",
        synonyms_th=("โทรศัพท์", "เบอร์โทรศัพท์", "เบอร์โทร", "หมายเลขโทรศัพท์"),
        synonyms_en=("Phone", "Telephone", "Tel"),
        how_th="หมายเลขโทรศัพท์ติดต่อ เช่น 02-333-3700 ต่อ 1234",
        how_en="Contact phone, e.g. 02-333-3700 ext. 1234",
    ),
    Field(
        "remarks",
        header_th="หมายเหตุ",
        header_en="Remarks",
        synonyms_th=("หมายเหตุ",),
        synonyms_en=("Remarks", "Remark", "Notes", "Note"),
        how_th="ข้อมูลเพิ่มเติม (ถ้ามี)",
        how_en="Anything else (optional)",
    ),
    Field(
        "agency",
        header_th="หน่วยงาน",
        header_en="Agency",
        synonyms_th=("หน่วยงาน", "ชื่อหน่วยงาน", "ส่วนราชการ"),
        synonyms_en=("Agency",),
        in_template=False,
    ),
    Field(
        "fiscal_year",
        header_th="ปีงบประมาณ",
        header_en="Fiscal year",
        synonyms_th=("ปีงบประมาณ", "ปีงบประมาณ พ.ศ.", "ปีงบ", "ปี"),
        synonyms_en=("Fiscal year", "FY"),
        in_template=False,
    ),
)

FIELD: dict[str, Field] = {f.name: f for f in FIELDS}
TEMPLATE_FIELDS: tuple[Field, ...] = tuple(f for f in FIELDS if f.in_template)
REQUIRED: tuple[str, ...] = tuple(f.name for f in FIELDS if f.required)
