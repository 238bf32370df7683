"""Routing: which agency and fiscal year a file belongs to.

A pure function of the file name and the top of each sheet (title rows, header,
first data rows), so the inbox sensor can route a file without parsing it whole.
Title rows and columns win over the file name; a disagreement is a warning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from stiplan.assets.ingest.agencies import agency_from_filename, match_agency
from stiplan.assets.ingest.parse import find_table, title_texts
from stiplan.assets.ingest.text import clean_text, header_key
from stiplan.assets.ingest.validate import excel_error
from stiplan.assets.ingest.values import (
    fiscal_year_from_filename,
    fiscal_year_from_text,
    fiscal_year_value,
    is_blank,
)
from stiplan.assets.ingest.workbook import Sheet
from stiplan.schemas.problems import Problem

ROUTING_ROWS = 60  # rows read per sheet to route a file

_AGENCY_LABEL = re.compile(
    r"^(?:หน่วยงานที่รับผิดชอบ|หน่วยงานรับผิดชอบ|หน่วยงานเจ้าของโครงการ|หน่วยงานเจ้าของงบประมาณ"
    r"|หน่วยงานที่ดำเนินการ|หน่วยงานดำเนินการ|ส่วนราชการ\s*/\s*หน่วยงาน|ชื่อส่วนราชการ"
    r"|ชื่อหน่วยงาน|หน่วยงาน|ส่วนราชการ|(?:responsible|implementing)\s+agency|agency\s+name"
    r"|agency|organi[sz]ation)\s*[:：.…_]*\s*(.+?)[\s.…_]*$",
    re.IGNORECASE,
)
# A title naming the agency may add the ministry it belongs to, before or after.
_MINISTRY_NAME = (
    r"(?:กระทรวงวิทยาศาสตร์และเทคโนโลยี|กระทรวงวิทยาศาสตร์\s*ฯ|กระทรวง\s*วท\.?"
    r"|ministry\s+of\s+science\s+and\s+technology)"
)
_MINISTRY = re.compile(rf"\s*[,\-–/]?\s*{_MINISTRY_NAME}\s*$", re.IGNORECASE)
_MINISTRY_FIRST = re.compile(rf"^\s*{_MINISTRY_NAME}\s*[,\-–/]?\s*", re.IGNORECASE)
# "<Thai name> / <English name>": both must name the same agency.
_BILINGUAL = re.compile(r"\s+/\s+")


@dataclass
class Identity:
    agency_code: str | None = None
    fiscal_year: int | None = None
    problem: Problem | None = None  # set when the file must be rejected whole
    warnings: list[Problem] = field(default_factory=list)  # file-level, the file is kept

    @property
    def reason_code(self) -> str | None:
        return self.problem.code if self.problem else None

    @property
    def detail(self) -> str:
        return self.problem.detail if self.problem else ""

    def reject(self, code: str, detail: str = "") -> Identity:
        self.problem = Problem.of(code, detail)
        return self

    @property
    def routable(self) -> bool:
        return self.agency_code is not None


def _title_agency(text: str) -> str | None:
    """The agency a title row names: `หน่วยงาน: …` (any name, code or abbreviation), or a
    row that is, as a whole, the agency's full name, with or without `(องค์การมหาชน)`, its
    abbreviation in brackets, the ministry's name before or after it, or the same name
    in Thai and English (`… / …`). A bare code or abbreviation alone is not taken from a
    title (it may be anything)."""
    m = _AGENCY_LABEL.match(text)
    if m:
        return _agency_named(m.group(1), bare=True)
    return _agency_named(text, bare=False)


def _agency_named(text: str, bare: bool) -> str | None:
    parts = _BILINGUAL.split(text) if " / " in text else [text]
    codes = set()
    for part in parts:
        code = None
        # OPS's own names end with the ministry's: try the whole value first.
        for name in (
            part,
            _MINISTRY.sub("", part),
            _MINISTRY_FIRST.sub("", part),
            _MINISTRY_FIRST.sub("", _MINISTRY.sub("", part)),
        ):
            code = match_agency(name)
            if code is not None and (bare or len(header_key(name)) > 8):
                break
            code = None
        if code is None:
            return None
        codes.add(code)
    return codes.pop() if len(codes) == 1 else None


FIELD_LABELS = {
    "project_name": "ชื่อโครงการ / Project name",
    "provinces": "จังหวัด / Province",
    "budget": "งบประมาณ (บาท) / Budget (baht)",
}


def _no_header_detail(sheets: list[Sheet], partial: list[tuple[str, list[str]]]) -> str:
    if partial:
        name, missing = partial[0]
        return f"sheet '{name}' has a project header but no column " + ", ".join(
            FIELD_LABELS[m] for m in missing
        )
    return "no sheet has a header with the columns " + ", ".join(FIELD_LABELS.values())


def identify(file_name: str, sheets: list[Sheet]) -> Identity:
    """Agency and fiscal year of a submission, from the file name and whatever
    rows of each sheet are given (routing passes the top rows only; the full read
    passes everything, so agency and year columns are checked throughout)."""
    ident = Identity()
    found = [find_table(s) for s in sheets]
    tables = [t for t, _ in found if t is not None]
    partial = [
        (s.name, missing)
        for s, (t, missing) in zip(sheets, found, strict=True)
        if t is None and missing
    ]
    title_agencies: set[str] = set()
    title_years: set[int] = set()
    col_agencies: dict[str, str | None] = {}
    col_years: dict[str, int | None] = {}
    titles = [t for table in tables for t in table.titles]
    if not tables:  # still read the top of header-less sheets: it may name the agency
        titles = [t for s in sheets for t in title_texts(s, range(min(s.height, 10)))]
    for text in titles:
        code = _title_agency(text)
        if code:
            title_agencies.add(code)
        year = fiscal_year_from_text(text)
        if year:
            title_years.add(year)
    named = agency_from_filename(file_name)
    if not tables:
        # Not a project table: say so first (and name what is missing), rather than
        # send the sender round to fix an agency line on a file that cannot be read.
        agencies = title_agencies or ({named} if named else set())
        ident.agency_code = agencies.pop() if len(agencies) == 1 else None
        named_year = fiscal_year_from_filename(file_name)
        years = title_years or ({named_year} if named_year else set())
        ident.fiscal_year = years.pop() if len(years) == 1 else None  # for the status matrix
        return ident.reject("no_header", _no_header_detail(sheets, partial))
    for table in tables:
        cells = table.sheet.cells
        for name, bucket, parse in (
            ("agency", col_agencies, match_agency),
            ("fiscal_year", col_years, fiscal_year_value),
        ):
            pos = table.fields.get(name)
            if pos is None:
                continue
            for v in cells[pos][table.first_data :]:
                # A cell showing an Excel error (#N/A from a VLOOKUP) names nothing.
                if not is_blank(v) and not excel_error(v):
                    text = clean_text(v)
                    bucket.setdefault(text, parse(text))

    # Agency: title rows, then the agency column, then the file name.
    found_agencies = set(title_agencies)
    unknown_values = [v for v, code in col_agencies.items() if code is None]
    found_agencies |= {c for c in col_agencies.values() if c}
    if len(found_agencies) > 1 or (found_agencies and unknown_values):
        return ident.reject(
            "several_agencies", ", ".join(sorted(found_agencies) + unknown_values[:5])
        )
    if unknown_values and not found_agencies:
        return ident.reject(
            "agency_unknown",
            "agency column holds " + ", ".join(repr(v) for v in unknown_values[:5]),
        )
    if found_agencies:
        ident.agency_code = found_agencies.pop()
        if named and named != ident.agency_code:
            ident.warnings.append(
                Problem.of("filename_agency_differs", value=f"{file_name}: {named}")
            )
    elif named:
        ident.agency_code = named
    else:
        return ident.reject(
            "agency_unknown",
            "no 'หน่วยงาน:' title row, agency column or agency code in the file name",
        )

    # Fiscal year: the title rows' ปีงบประมาณ/พ.ศ. phrase, the year column, the file name.
    years = set(title_years)
    bad_years = [v for v, y in col_years.items() if y is None]
    years |= {y for y in col_years.values() if y}
    if len(years) > 1 or (years and bad_years):
        return ident.reject(
            "several_years", ", ".join([str(y) for y in sorted(years)] + bad_years[:5])
        )
    named_year = fiscal_year_from_filename(file_name)
    if years:
        ident.fiscal_year = years.pop()
        if named_year and named_year != ident.fiscal_year:
            ident.warnings.append(
                Problem.of("filename_year_differs", value=f"{file_name}: {named_year}")
            )
    elif named_year:
        ident.fiscal_year = named_year
    else:
        ident.reject("year_unknown")
    return ident
