"""Property-based tests of the pure cell parsers (DESIGN.md: "any input gives a value or
a reason code, never an exception").

Each parser is fed arbitrary values (any text, Thai letters and digits, invisible and
combining characters, huge and odd numbers, dates at the edges) and structure-aware ones
built from the reference data (budgets with separators and units, Thai dates, province
lists, fiscal-year titles, agency names), so the properties reach the deep branches and not
only the "not a number" exit. The semantic properties state what a parse must give back.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
import signal
import unicodedata
from decimal import ROUND_HALF_UP, Decimal

from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from stiplan.assets.ingest.agencies import agency_from_filename, match_agency
from stiplan.assets.ingest.headers import REQUIRED, field_for_header
from stiplan.assets.ingest.parse import find_table
from stiplan.assets.ingest.provinces import ProvinceParse, parse_provinces
from stiplan.assets.ingest.route import Identity, identify
from stiplan.assets.ingest.text import (
    clean_text,
    compact_key,
    header_key,
    normalise_name,
    numbers_in,
)
from stiplan.assets.ingest.validate import _parse_province_cell
from stiplan.assets.ingest.values import (
    AmountResult,
    DateResult,
    fiscal_year_from_filename,
    fiscal_year_from_text,
    fiscal_year_value,
    is_blank,
    parse_amount,
    parse_date,
    unit_multiplier,
)
from stiplan.assets.ingest.workbook import Sheet
from stiplan.schemas.problems import PROBLEMS as REASONS
from stiplan.schemas.reference import (
    AGENCIES,
    AGENCY_BY_CODE,
    PROVINCE_ALIASES,
    PROVINCE_BY_CODE,
    REGION_OR_CLUSTER_NAMES,
)

# STIPLAN_HYPOTHESIS_SCALE=20 runs every property 20 times longer (a deeper search by hand).
SCALE = int(os.environ.get("STIPLAN_HYPOTHESIS_SCALE", "1"))


def props(n: int = 150) -> settings:
    return settings(
        max_examples=n * SCALE,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


SATANG = Decimal("0.01")
MILLION = 1_000_000
THAI_DIGITS = "๐๑๒๓๔๕๖๗๘๙"
TO_THAI_DIGITS = str.maketrans("0123456789", THAI_DIGITS)
ZERO_WIDTH = ("\u200b", "\u200c", "\u200d", "\ufeff", "\u2060", "\u00ad")
SPACES = (" ", "\u00a0", "\n", "\r\n", "\t", "\u3000", "\u2003", "  ", " \n ")
NOISE = (
    *ZERO_WIDTH,
    *SPACES,
    "\u180e",
    "\u200e",
    "\u200f",
    "\u0e4d\u0e32",
    "\u0e32\u0e4d",
    "\u0e4d",
    "\u0e32",
    "\u0e48",
    "\u0e49",
    "\u0301",
    "\u0308",
    "\u0316",
    "\u0345",
)
THAI_MONTHS = (  # (full name, abbreviation), January first
    ("มกราคม", "ม.ค."), ("กุมภาพันธ์", "ก.พ."), ("มีนาคม", "มี.ค."), ("เมษายน", "เม.ย."),
    ("พฤษภาคม", "พ.ค."), ("มิถุนายน", "มิ.ย."), ("กรกฎาคม", "ก.ค."), ("สิงหาคม", "ส.ค."),
    ("กันยายน", "ก.ย."), ("ตุลาคม", "ต.ค."), ("พฤศจิกายน", "พ.ย."), ("ธันวาคม", "ธ.ค."),
)  # fmt: skip
EN_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
CELL_UNITS = (  # (unit text, baht per unit), as a cell may carry it
    ("บาท", 1), (" บาท", 1), ("บ.", 1), (" Baht", 1), (" THB", 1),
    ("ล้านบาท", MILLION), (" ล้านบาท", MILLION), (" ลบ.", MILLION), (" million baht", MILLION),
    (" ล้าน", MILLION),
)  # fmt: skip
EXCEL_ERRORS = (
    "#REF!",
    "#N/A",
    "#DIV/0!",
    "#VALUE!",
    "#NAME?",
    "#NUM!",
    "#NULL!",
    "#SPILL!",
    "#####",
    "=SUM(D5:D9)",
    "#REF!#REF!",
)
FIELDS = {
    "seq",
    "project_name",
    "provinces",
    "budget",
    "strategy",
    "target_group",
    "start_date",
    "end_date",
    "contact_name",
    "contact_phone",
    "remarks",
    "agency",
    "fiscal_year",
}
# DESIGN.md's header table (the contract) and the synonyms it names.
DESIGN_HEADERS = {
    "seq": ("ลำดับ", "ที่", "No."),
    "project_name": ("ชื่อโครงการ", "โครงการ", "Project", "Project name", "ชื่อโครงการ/กิจกรรม"),
    "provinces": ("จังหวัด", "พื้นที่ดำเนินการ", "Province", "Provinces", "จังหวัดที่ดำเนินการ"),
    "budget": ("งบประมาณ (บาท)", "งบประมาณ (ล้านบาท)", "Budget (baht)",
               "Budget (million baht)"),
    "strategy": ("ยุทธศาสตร์", "Strategy"),
    "target_group": ("กลุ่มเป้าหมาย", "Target group"),
    "start_date": ("วันเริ่มต้น", "Start date"),
    "end_date": ("วันสิ้นสุด", "End date"),
    "contact_name": ("ผู้รับผิดชอบ", "Contact"),
    "contact_phone": ("โทรศัพท์", "Phone"),
    "remarks": ("หมายเหตุ", "Remarks"),
    "agency": ("หน่วยงาน", "Agency"),
    "fiscal_year": ("ปีงบประมาณ", "Fiscal year"),
}  # fmt: skip


def agency_names(a) -> list[str]:
    """Every spelling the reference data gives an agency (abbreviations without dot too)."""
    names = [a.code, a.name_th, a.name_en, *a.aliases]
    if a.abbr_th:
        names += [a.abbr_th, a.abbr_th.removesuffix(".")]
    return [n for n in names if n]


AGENCY_SPELLINGS = [(n, a.code) for a in AGENCIES for n in agency_names(a)]
AGENCY_KEYS = {a.code: {header_key(n) for n in agency_names(a)} for a in AGENCIES}
THAI_PROVINCE_SPELLINGS = [(n, c) for n, c in PROVINCE_ALIASES if "\u0e00" <= n[0] <= "\u0e7f"]

VOCABULARY = sorted({
    *(n for n, _ in PROVINCE_ALIASES), *REGION_OR_CLUSTER_NAMES, *(n for n, _ in AGENCY_SPELLINGS),
    *(m for pair in THAI_MONTHS for m in pair), *EN_MONTHS, *(u.strip() for u, _ in CELL_UNITS),
    *(s for names in DESIGN_HEADERS.values() for s in names), *EXCEL_ERRORS,
    "ประจำปีงบประมาณ", "ปีงบประมาณ", "ปีงบ", "พ.ศ.", "ค.ศ.", "FY", "Fiscal Year", "หน่วยงาน:",
    "จ.", "จังหวัด", "ทั่วประเทศ", "ทุกจังหวัด", "รวม", "วันที่", "ข้อมูล ณ วันที่", "฿", ".-",
    "(", ")", "-", "−", "/", ",", ";", ":", ".", "2555", "2012", "๒๕๕๕", "54", "1,234,567.50",
    "อ.เมือง", "ต.สุเทพ", "หน่วย", "(บาท)", "(ล้านบาท)", "องค์การมหาชน", "ฯ", "nan", "NaN",
})  # fmt: skip

# ------------------------------------------------------------------------------ strategies

thai_chars = st.characters(min_codepoint=0x0E00, max_codepoint=0x0E7F)
any_chars = st.characters(codec="utf-8")  # every code point but the surrogates
fragments = st.one_of(
    thai_chars,
    any_chars,
    st.sampled_from(NOISE),
    st.sampled_from("0123456789" + THAI_DIGITS + ",.-()/:;+฿'\"#!"),
    st.sampled_from(VOCABULARY),
)
soup = st.lists(fragments, max_size=25).map("".join)  # words, digits and noise mixed
long_text = st.builds(
    lambda s, n: s * n, st.text(any_chars, min_size=1, max_size=6), st.integers(200, 3000)
)


def with_noise(text_strategy):
    """The text with invisible, space or combining characters spliced in anywhere."""

    @st.composite
    def build(draw):
        text = draw(text_strategy)
        for _ in range(draw(st.integers(0, 4))):
            i = draw(st.integers(0, len(text)))
            text = text[:i] + draw(st.sampled_from(NOISE)) + text[i:]
        return text

    return build()


@st.composite
def amount_texts(draw):
    """(cell text, header multiplier, expected AmountResult) for a formatted Decimal."""
    whole = draw(st.integers(0, 10**13) | st.integers(0, 10**4))
    places = draw(st.integers(0, 4))
    frac = draw(st.integers(0, 10**places - 1)) if places else 0
    number = Decimal(whole) + Decimal(frac).scaleb(-places)
    sep = draw(st.sampled_from([",", "", " "]))
    text = f"{whole:,}".replace(",", sep)
    text += f".{frac:0{places}d}" if places else draw(st.sampled_from(["", ".", ".-", ".00"]))
    if draw(st.booleans()):
        text = text.translate(TO_THAI_DIGITS)
    unit, unit_mult = draw(st.sampled_from([("", None), *CELL_UNITS]))
    header = draw(st.sampled_from([None, 1, MILLION]))
    sign = draw(st.sampled_from(["", "", "-", "−", "+", "()"]))
    currency = draw(st.sampled_from(["", "", "฿", "฿ "]))
    if sign == "()":
        text = currency + "(" + text + ")" + unit
    else:
        text = currency + sign + text + unit
    text = draw(st.sampled_from(["", " ", "\u00a0", "\u200b", "\n"])) + text
    text += draw(st.sampled_from(["", " ", "\u00a0", "\ufeff", "\n"]))
    baht = number * (unit_mult or (1 if currency else None) or header or 1)
    negative = sign in ("-", "−", "()")
    q = baht.quantize(SATANG, rounding=ROUND_HALF_UP)
    if q >= 10**16:
        expected = AmountResult(None, "budget_not_number")
    elif q == 0:
        expected = AmountResult(Decimal("0.00"), None)
    else:
        expected = AmountResult(-q, "budget_negative") if negative else AmountResult(q, None)
    return text, header, expected


LATEST = dt.date(2156, 12, 31)  # BE 2699


@st.composite
def date_texts(draw):
    """(text, CE date) for a real date written as ISO, d/m/y, Thai or English text."""
    d = draw(st.dates(min_value=dt.date(1858, 1, 1), max_value=LATEST))
    be, ce = d.year + 543, d.year
    year = str(draw(st.sampled_from([be, ce])))  # >= 2400 is BE, a CE year here is < 2400
    day = draw(st.sampled_from([str(d.day), f"{d.day:02d}"]))
    month = draw(st.sampled_from([str(d.month), f"{d.month:02d}"]))
    full, abbr = THAI_MONTHS[d.month - 1]
    sep = draw(st.sampled_from(["-", "/", "."]))
    form = draw(st.sampled_from(["iso", "dmy", "thai", "thai_era", "en_dmy", "en_mdy", "yy"]))
    if form == "iso":
        text = f"{year}{sep}{month}{sep}{day}" + draw(
            st.sampled_from(["", " 00:00:00", "T08:30:00"])
        )
    elif form == "dmy":
        text = f"{day}{sep}{month}{sep}{year}"
    elif form == "thai":
        mon = draw(st.sampled_from([full, abbr, abbr.replace(".", ""), abbr.replace(".", ". ")]))
        gap = draw(st.sampled_from([" ", "", "  ", "\u00a0"]))
        pre = draw(st.sampled_from(["", "วันที่ ", "วันที่"]))
        text = f"{pre}{day}{gap}{mon}{gap}{year}"
    elif form == "thai_era":
        era, y = draw(st.sampled_from([("พ.ศ.", be), ("พ.ศ", be), ("ค.ศ.", ce)]))
        text = f"{day} {draw(st.sampled_from([full, abbr]))} {era} {y}"
    elif form == "en_dmy":
        text = f"{day} {EN_MONTHS[d.month - 1]} {year}"
    elif form == "en_mdy":
        text = f"{EN_MONTHS[d.month - 1]} {day}, {year}"
    else:  # two-digit years: 40-99 BE, 00-39 CE; an explicit era says which
        options = []
        if 2540 <= be <= 2599:
            options += [f"{day} {abbr} {be - 2500:02d}", f"{day}/{month}/{be - 2500:02d}"]
        if 2000 <= ce <= 2039:
            options += [f"{day} {abbr} {ce - 2000:02d}", f"{day}/{month}/{ce - 2000:02d}"]
        if 2500 <= be <= 2599:
            options.append(f"{day} {abbr} พ.ศ. {be - 2500:02d}")
        if 2000 <= ce <= 2099:
            options.append(f"{day} {abbr} ค.ศ. {ce - 2000:02d}")
        assume(options)
        text = draw(st.sampled_from(options))
    if draw(st.booleans()):
        text = text.translate(TO_THAI_DIGITS)
    return draw(st.sampled_from(["", " ", "\u200b"])) + text + draw(st.sampled_from(["", " "])), d


@st.composite
def fiscal_titles(draw):
    """(title, BE year) for a "ประจำปีงบประมาณ พ.ศ. <year>" title and its variants."""
    be = draw(st.integers(2500, 2700))
    written = draw(st.sampled_from([be, be - 543])) if 1957 <= be - 543 <= 2157 else be
    if written < 2400:
        phrase = draw(
            st.sampled_from(["ปีงบประมาณ ค.ศ. ", "Fiscal Year ", "FY", "FY ", "ปีงบประมาณ "])
        )
    else:
        phrase = draw(
            st.sampled_from(
                [
                    "ประจำปีงบประมาณ พ.ศ. ",
                    "ปีงบประมาณ พ.ศ.",
                    "ปีงบประมาณ ",
                    "ปีงบ ",
                    "ปีงบฯ ",
                    "ปีงบประมาณ พศ ",
                    "ปีงบประมาณ พ. ศ. ",
                    "พ.ศ. ",
                    "fiscal year B.E. ",
                ]
            )
        )
    text = str(written)
    if draw(st.booleans()):
        text = text.translate(TO_THAI_DIGITS)
    prefix = draw(
        st.sampled_from(
            ["", "แผนปฏิบัติราชการ", "แผนบูรณาการงานด้านวิทยาศาสตร์ ", "โครงการ ", "(", "หน่วย: บาท "]
        )
    )
    suffix = draw(
        st.sampled_from(
            [
                "",
                " ",
                ")",
                " ของกรมวิทยาศาสตร์บริการ",
                " (ข้อมูล ณ วันที่ 15 สิงหาคม 2554)",
                " ข้อมูล ณ วันที่ 15 สิงหาคม พ.ศ. 2554",
                " หน่วย: ล้านบาท",
                " ฉบับที่ 2",
            ]
        )
    )
    if phrase == "พ.ศ. " and "พ.ศ." in suffix:
        suffix = ""  # two bare พ.ศ. phrases: only one may name the year
    return prefix + phrase + text + suffix, be


@st.composite
def province_lists(draw):
    """(cell, codes) for province names and aliases joined in random order."""
    picks = draw(
        st.lists(
            st.sampled_from(PROVINCE_ALIASES), min_size=1, max_size=6, unique_by=lambda p: p[0]
        )
    )
    sep = draw(st.sampled_from([", ", ",", ";", "; ", "/", " / ", "\n", " ,\n"]))
    parts = []
    for name, _ in picks:
        if "\u0e00" <= name[0] <= "\u0e7f" and not name.startswith(("จ.", "จังหวัด")):
            name = draw(st.sampled_from(["", "", "จ.", "จ. ", "จังหวัด", "จังหวัด "])) + name
        parts.append(name)
    return sep.join(parts), tuple(sorted({code for _, code in picks}))


@st.composite
def agency_spellings(draw):
    """(spelling of an agency with case, space and zero-width noise, code)."""
    name, code = draw(st.sampled_from(AGENCY_SPELLINGS))
    name = "".join(c.upper() if draw(st.booleans()) else c.lower() for c in name)
    for _ in range(draw(st.integers(0, 3))):
        i = draw(st.integers(0, len(name)))
        name = name[:i] + draw(st.sampled_from([*ZERO_WIDTH, " ", "\u00a0", "\n"])) + name[i:]
    return name, code


texts = st.one_of(
    soup,
    st.text(any_chars, max_size=30),
    st.text(thai_chars, max_size=30),
    with_noise(soup),
    long_text,
    st.sampled_from(EXCEL_ERRORS),
    amount_texts().map(lambda t: t[0]),
    date_texts().map(lambda t: t[0]),
    fiscal_titles().map(lambda t: t[0]),
    province_lists().map(lambda t: t[0]),
    st.sampled_from(AGENCY_SPELLINGS).map(lambda t: t[0]),
    st.builds(lambda a, b: a + b, soup, amount_texts().map(lambda t: t[0])),
    st.builds(lambda a, b: a + " " + b, province_lists().map(lambda t: t[0]), soup),
)


class Odd:
    """An object whose str() and comparisons raise."""

    def __str__(self):
        raise RuntimeError("no text")

    def __eq__(self, other):
        raise RuntimeError("no comparison")

    __ne__ = __eq__
    __hash__ = object.__hash__


def _scalars():
    import numpy as np
    import pandas as pd

    return [
        np.float64("nan"),
        np.float32("nan"),
        np.float32(1.5),
        np.int64(2555),
        np.bool_(True),
        np.datetime64("2012-10-01"),
        np.datetime64("NaT"),
        pd.NA,
        pd.NaT,
        pd.Timestamp("2011-10-01"),
        np.array([1, 2]),
        Odd(),
    ]


numbers_ = st.one_of(
    st.integers(),
    st.integers(-(10**60), 10**60),
    st.sampled_from([2**63, -(2**63), 10**16, 10**16 - 1, -(10**16), 10**400, 0, 2555, 2012]),
    st.floats(),
    st.floats(allow_subnormal=True, min_value=-1e-300, max_value=1e-300),
    st.sampled_from(
        [
            math.nan,
            math.inf,
            -math.inf,
            -0.0,
            5e-324,
            1.7976931348623157e308,
            2.675,
            1e16,
            9999999999999999.0,
            40817.5,
            2958465.9,
            60.0,
        ]
    ),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.decimals(places=2, min_value=-(10**17), max_value=10**17),
    st.sampled_from(
        [
            Decimal("NaN"),
            Decimal("-NaN"),
            Decimal("sNaN"),
            Decimal("-sNaN"),
            Decimal("Infinity"),
            Decimal("-Infinity"),
            Decimal("1E+999999"),
            Decimal("1E-999999"),
            Decimal("-0"),
            Decimal("1E+999999999"),
            Decimal("9E-999999999"),
            Decimal("9999999999999999.995"),
            Decimal("0.005"),
            Decimal("-0.004"),
        ]
    ),
    st.fractions(),
    st.complex_numbers(),
    st.booleans(),
    st.none(),
)
dates_ = st.one_of(
    st.dates(),
    st.datetimes(),
    st.dates(min_value=dt.date(2400, 1, 1)),
    st.sampled_from(
        [
            dt.date.max,
            dt.date.min,
            dt.datetime.max,
            dt.datetime.min,
            dt.date(9999, 12, 31),
            dt.date(2400, 2, 29),
            dt.date(2555, 10, 1),
        ]
    ),
    st.times(),
    st.timedeltas(),
)
values = st.one_of(
    texts,
    numbers_,
    dates_,
    st.sampled_from(_scalars()),
    st.binary(max_size=10),
    st.lists(st.integers(), max_size=2),
)


def few_brackets(value) -> bool:
    """match_agency peels trailing bracket groups in exponential time (see
    test_many_bracket_groups_do_not_hang_agency_matching): keep its inputs to a few."""
    return not isinstance(value, str) or value.count(")") + value.count("\uff09") <= 8


def assert_reason(code):
    assert code is None or code in REASONS, code


# ------------------------------------------------------------- never raises, right types


@props(400)
@given(values, st.sampled_from([1, MILLION, 1000, 10**9, None]))
@example("9999999999999999.995", 1)
@example(Decimal("9999999999999999.995"), 1)
@example(Decimal("1E-999999999"), MILLION)
def test_parse_amount_gives_a_decimal_to_the_satang_or_a_reason(value, multiplier):
    result = parse_amount(value, multiplier)
    assert isinstance(result, AmountResult)
    assert_reason(result.problem)
    if result.value is None:
        assert result.problem in ("budget_missing", "budget_not_number")
    else:
        assert type(result.value) is Decimal
        assert result.value.as_tuple().exponent == -2  # quantized to the satang
        # projects.budget_baht is DECIMAL(18,2): 16 digits before the point at most.
        assert abs(result.value) < 10**16
        assert (result.value < 0) == (result.problem == "budget_negative")
        assert result.problem in (None, "budget_negative")


@props(400)
@given(values)
def test_parse_date_gives_a_date_or_a_reason(value):
    result = parse_date(value)
    assert isinstance(result, DateResult)
    assert result.problem in (None, "date_invalid")
    assert_reason(result.problem)
    assert result.value is None or type(result.value) is dt.date
    assert not (result.value and result.problem)


@props(300)
@given(values)
def test_year_parsers_give_a_plausible_be_year_or_none(value):
    for parse in (fiscal_year_value, fiscal_year_from_text, fiscal_year_from_filename):
        year = parse(value)
        assert year is None or (type(year) is int and 2500 <= year <= 2700), (parse, year)


@props(300)
@given(values)
def test_unit_multiplier_and_is_blank_never_raise(value):
    assert unit_multiplier(value) in (None, 1, 1000, MILLION, 10**9)
    assert type(is_blank(value)) is bool


@props(300)
@given(values)
def test_text_functions_give_text(value):
    for fn in (clean_text, normalise_name, compact_key, header_key):
        try:
            out = fn(value)
        except RuntimeError:  # only `Odd`, whose str() raises, may: no text to clean
            assert isinstance(value, Odd)
            return
        assert type(out) is str
    assert not re.search(r"\s", header_key(value))
    digits = numbers_in(value)
    assert type(digits) is tuple and all(re.fullmatch(r"[0-9]+", d) for d in digits)


@props(300)
@given(values)
def test_province_cells_give_known_codes(value):
    for parse in (parse_provinces, _parse_province_cell):
        try:
            result = parse(value)
        except RuntimeError:
            assert isinstance(value, Odd)
            return
        assert isinstance(result, ProvinceParse)
        assert set(result.codes) <= PROVINCE_BY_CODE.keys()
        assert list(result.codes) == sorted(set(result.codes))
        assert not (result.nationwide and result.codes)
        assert all(type(p) is str and p for p in result.unknown + result.regions)


@props(300)
@given(values.filter(few_brackets))
def test_agency_matchers_give_a_known_code_or_none(value):
    for match in (match_agency, agency_from_filename):
        if match is agency_from_filename and isinstance(value, str) and len(value) > 255:
            continue  # no file name is longer (NAME_MAX); the cost grows with parts cubed
        try:
            code = match(value)
        except RuntimeError:
            assert isinstance(value, Odd)
            return
        assert code is None or code in AGENCY_BY_CODE


@props(300)
@given(texts)
def test_field_for_header_names_a_known_field_or_none(text):
    assert field_for_header(text) in FIELDS | {None}


# ------------------------------------------------------------------- blanks and text keys


@props(300)
@given(st.one_of(st.lists(st.sampled_from([*NOISE, "a", "ก"]), max_size=6).map("".join), texts))
@example("\u180e")
def test_blank_and_clean_text_agree_on_strings(text):
    assert is_blank(text) == (clean_text(text) == "")


@props(200)
@given(st.one_of(numbers_, st.sampled_from(_scalars())))
@example(Decimal("NaN"))
def test_a_blank_number_cleans_to_no_text(value):
    # A NaN cell is empty, not the text "nan" (also Nan province's English name).
    if is_blank(value):
        assert clean_text(value) == ""
        assert parse_provinces(value).empty


@props(300)
@given(texts)
@example("e\u200b\u0301")
@example("\u0e4d\u200b\u0e32")
def test_clean_text_and_normalise_name_are_idempotent(text):
    assert clean_text(clean_text(text)) == clean_text(text)
    assert normalise_name(normalise_name(text)) == normalise_name(text)
    assert header_key(header_key(text)) == header_key(text)


@st.composite
def invisible_variants(draw):
    """(text, the same text with zero-width characters, NFD/NFC and other spaces)."""
    text = draw(texts)
    variant = unicodedata.normalize(draw(st.sampled_from(["NFC", "NFD"])), text)
    variant = re.sub(r"\s+", lambda _: draw(st.sampled_from(SPACES)), variant)
    for _ in range(draw(st.integers(0, 4))):
        i = draw(st.integers(0, len(variant)))
        variant = variant[:i] + draw(st.sampled_from(ZERO_WIDTH)) + variant[i:]
    return text, (
        draw(st.sampled_from(["", *SPACES])) + variant + draw(st.sampled_from(["", *SPACES]))
    )


@props(300)
@given(invisible_variants())
@example(("é", "e\u200b\u0301"))
def test_normalise_name_ignores_invisibles_normal_form_and_spacing(pair):
    text, variant = pair
    assert normalise_name(variant) == normalise_name(text)
    assert header_key(variant) == header_key(text)


@st.composite
def spaced_variants(draw):
    text = draw(texts)
    variant = text
    for _ in range(draw(st.integers(0, 5))):
        i = draw(st.integers(0, len(variant)))
        variant = variant[:i] + draw(st.sampled_from(SPACES)) + variant[i:]
    return text, variant


@props(300)
@given(spaced_variants())
@example(("e\u0301", "e \u0301"))
@example(("น\u0e4d\u0e32", "น\u0e4d\n\u0e32"))
def test_header_key_ignores_where_whitespace_falls(pair):
    text, variant = pair
    assert header_key(variant) == header_key(text)


# ---------------------------------------------------------------------------------- money


@props(400)
@given(amount_texts())
@example(("1,234.565 ล้านบาท", 1, AmountResult(Decimal("1234565000.00"), None)))
@example(("๑,๒๓๔.๕๖๕", 1, AmountResult(Decimal("1234.57"), None)))
@example(("(500,000.-)", MILLION, AmountResult(Decimal("-500000000000.00"), "budget_negative")))
def test_a_formatted_amount_reads_back_scaled_and_rounded_half_up(case):
    text, header, expected = case
    assert parse_amount(text, header) == expected


@props(200)
@given(
    st.decimals(min_value=0, max_value=10**13, places=4),
    st.sampled_from([1, MILLION]),
    st.sampled_from(["decimal", "float", "text"]),
)
def test_a_number_cell_is_scaled_then_rounded_once(number, multiplier, kind):
    baht = number * multiplier
    assume(baht < 10**16 and len(number.normalize().as_tuple().digits) <= 15)
    cell = {"decimal": number, "float": float(number), "text": format(number, "f")}[kind]
    expected = baht.quantize(SATANG, rounding=ROUND_HALF_UP)
    assert parse_amount(cell, multiplier) == AmountResult(expected, None)


# ---------------------------------------------------------------------------------- dates


@props(400)
@given(date_texts())
@example(("1 ต.ค. 2554", dt.date(2011, 10, 1)))
@example(("29 ก.พ. 2555", dt.date(2012, 2, 29)))
@example(("๒๕๕๔-๑๐-๐๑", dt.date(2011, 10, 1)))
def test_a_written_date_reads_back_as_its_ce_date(case):
    text, expected = case
    assert parse_date(text) == DateResult(expected, None)


@props(200)
@given(st.one_of(st.dates(), st.datetimes()))
def test_an_excel_date_keeps_its_day_and_a_be_year_is_converted(value):
    day = value.date() if isinstance(value, dt.datetime) else value
    result = parse_date(value)
    if day.year < 2400:
        assert result == DateResult(day, None)
    else:
        try:
            expected = DateResult(day.replace(year=day.year - 543), None)
        except ValueError:  # 29 February of a BE leap year whose CE year is not one
            expected = DateResult(None, "date_invalid")
        assert result == expected


@props(200)
@given(
    st.dates(min_value=dt.date(1900, 3, 1), max_value=dt.date(2399, 12, 31)),
    st.floats(0, 0.999, exclude_max=True),
)
def test_an_excel_serial_is_its_day(day, time_of_day):
    serial = (day - dt.date(1899, 12, 30)).days
    assert parse_date(serial) == DateResult(day, None)
    assert parse_date(serial + time_of_day) == DateResult(day, None)


# --------------------------------------------------------------------------- fiscal years


@props(300)
@given(fiscal_titles())
@example(("ประจำปีงบประมาณ พ.ศ. ๒๕๕๕", 2555))
@example(("ประจำปีงบประมาณ พ.ศ. 2555 (ข้อมูล ณ วันที่ 15 สิงหาคม 2554)", 2555))
def test_a_fiscal_year_title_gives_its_be_year(case):
    title, year = case
    assert fiscal_year_from_text(title) == year


@props(200)
@given(st.integers(2500, 2700), st.sampled_from(["int", "float", "str", "thai", "era", "ce"]))
def test_a_fiscal_year_cell_gives_its_be_year(year, kind):
    if kind == "ce":
        assume(1957 <= year - 543 <= 2157)
    cell = {
        "int": year,
        "float": float(year),
        "str": f" {year} ",
        "thai": str(year).translate(TO_THAI_DIGITS),
        "era": f"พ.ศ. {year}",
        "ce": year - 543,
    }[kind]
    assert fiscal_year_value(cell) == year


@props(300)
@given(
    st.sampled_from(AGENCIES),
    st.integers(2500, 2700),
    st.sampled_from(["code", "abbr", "abbr_dot"]),
    st.sampled_from(
        [
            "{a}_{y}.xlsx",
            "{a}-{y}.xls",
            "แผนบูรณาการ_{a}_{y}.xlsx",
            "{y}_{a}.ods",
            "{a} {y}.xlsm",
            "inbox/{a}_{y}.xlsx",
        ]
    ),
    st.booleans(),
    st.booleans(),
)
def test_a_file_name_names_its_agency_and_year(agency, year, which, pattern, ce, thai):
    name = {
        "code": agency.code,
        "abbr": agency.abbr_th.removesuffix("."),
        "abbr_dot": agency.abbr_th,
    }[which]
    assume(name)
    written = year - 543 if ce and 1990 <= year - 543 <= 2100 else year
    y = str(written).translate(TO_THAI_DIGITS) if thai else str(written)
    file_name = pattern.format(a=name, y=y)
    assert agency_from_filename(file_name) == agency.code
    assert fiscal_year_from_filename(file_name) == year


# ------------------------------------------------------------------------------- agencies


@props(300)
@given(agency_spellings())
def test_every_agency_spelling_matches_its_agency(case):
    name, code = case
    assert match_agency(name) == code


@props(200)
@given(st.sampled_from([a for a in AGENCIES if a.abbr_th]), st.booleans(), st.booleans())
def test_name_with_its_abbreviation_in_brackets_matches(agency, dot, reverse):
    abbr = agency.abbr_th if dot else agency.abbr_th.removesuffix(".")
    text = f"{abbr} ({agency.name_th})" if reverse else f"{agency.name_th} ({abbr})"
    assert match_agency(text) == agency.code


thai_letters = st.text(st.characters(min_codepoint=0x0E01, max_codepoint=0x0E2E), max_size=4)


@props(300)
@given(st.sampled_from(AGENCY_SPELLINGS), thai_letters, thai_letters)
@example(("มว", "NIMT"), "กร", "ิทยาศาสตร์บริการ")
def test_a_name_inside_a_longer_word_is_not_that_agency(spelling, before, after):
    name, code = spelling
    assume(before or after)
    text = before + name.removesuffix(".") + after
    if header_key(text) not in AGENCY_KEYS[code]:
        assert match_agency(text) != code


def test_many_bracket_groups_do_not_hang_agency_matching():
    def timeout(*_):
        raise TimeoutError("match_agency is still running")

    previous = signal.signal(signal.SIGALRM, timeout)
    signal.setitimer(signal.ITIMER_REAL, 2.0)
    try:  # a title row "หน่วยงาน: ..." or an agency-column cell, as typed
        assert match_agency("ก" + "(ข)" * 30) is None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# ------------------------------------------------------------------------------ provinces


@props(300)
@given(province_lists())
@example(("กทม., โคราช", ("TH-10", "TH-30")))
def test_a_list_of_provinces_gives_exactly_their_codes(case):
    cell, codes = case
    result = parse_provinces(cell)
    assert result == ProvinceParse(codes=codes)
    assert _parse_province_cell(cell) == ProvinceParse(codes=codes)


@props(200)
@given(
    st.sampled_from(THAI_PROVINCE_SPELLINGS),
    st.sampled_from(["จ.", "จ. ", "จังหวัด", "จังหวัด ", "จ .", ""]),
    st.sampled_from(["", " ", "\u00a0", "\u200b"]),
)
def test_a_province_prefix_is_read_through(spelling, prefix, pad):
    name, code = spelling
    assert parse_provinces(pad + prefix + name + pad).codes == (code,)


# --------------------------------------------------------------------------------- headers

HEADER_NOISE = ("(ปี 2557)", "(บาท)", "(ระบุ)", "(พ.ศ. 2555)", "(๒๕๕๗)", "(ล้านบาท)")
YEAR_NOISE = ("ปี 2557", "พ.ศ. 2557", "FY2014", "2557", "ปี ๒๕๕๗", "ปี 2557-2559")


@st.composite
def design_headers(draw):
    """(header, field): a DESIGN.md spelling with a note, a year or a unit around it, as
    DESIGN.md and columns.py say a header may carry (`งบประมาณปี 2557 (บาท)`)."""
    field = draw(st.sampled_from(sorted(DESIGN_HEADERS)))
    spelling = draw(st.sampled_from(DESIGN_HEADERS[field]))
    if not spelling.startswith("หน่วยงาน"):  # see test_agency_header_with_a_note
        gap = draw(st.sampled_from(["", " ", "\n"]))
        before, after = draw(
            st.sampled_from(
                [
                    ("", ""),
                    ("", gap + draw(st.sampled_from(HEADER_NOISE))),
                    ("", gap + draw(st.sampled_from(YEAR_NOISE))),
                    (draw(st.sampled_from(YEAR_NOISE)) + gap, ""),
                    ("", gap + "หน่วย: " + draw(st.sampled_from(["บาท", "ล้านบาท"]))),
                    ("", draw(st.sampled_from([" *", ":", " :"]))),
                ]
            )
        )
        spelling = before + spelling + after
    spelling = "".join(c.upper() if draw(st.booleans()) else c for c in spelling)
    for _ in range(draw(st.integers(0, 3))):
        i = draw(st.integers(0, len(spelling)))
        spelling = spelling[:i] + draw(st.sampled_from([*SPACES, *ZERO_WIDTH])) + spelling[i:]
    return spelling, field


@props(300)
@given(design_headers())
@example(("ชื่อ\nโครงการ", "project_name"))
def test_a_header_spelling_with_a_bracketed_note_names_its_field(case):
    text, field = case
    assert field_for_header(text) == field


@props(100)
@given(
    st.sampled_from(["งบประมาณ", "Budget", "วงเงิน", "งบประมาณที่ได้รับ"]),
    st.sampled_from(
        [
            ("(บาท)", 1),
            ("(ล้านบาท)", MILLION),
            ("(ล้าน\nบาท)", MILLION),
            ("(พันบาท)", 1000),
            ("(baht)", 1),
            ("(million baht)", MILLION),
            ("หน่วย: ล้านบาท", MILLION),
        ]
    ),
    st.sampled_from(["", " ", "\n"]),
)
def test_a_budget_header_gives_its_unit(base, unit, gap):
    text = base + gap + unit[0]
    assert field_for_header(text) == "budget"
    assert unit_multiplier(text) == unit[1]


@props(30)
@given(
    st.sampled_from(["หน่วยงาน", "ชื่อหน่วยงาน"]), st.sampled_from([*HEADER_NOISE, *YEAR_NOISE, ":"])
)
def test_agency_header_with_a_note(spelling, note):
    assert field_for_header(f"{spelling} {note}") == "agency"


# -------------------------------------------------------------------------------- routing

REQUIRED_HEADERS = {f: DESIGN_HEADERS[f] for f in REQUIRED}
short_soup = st.lists(fragments, max_size=6).map("".join)
cells_ = st.one_of(
    st.none(),
    st.none(),
    short_soup,
    st.sampled_from(EXCEL_ERRORS),
    province_lists().map(lambda t: t[0]),
    st.sampled_from([s for names in DESIGN_HEADERS.values() for s in names]),
    fiscal_titles().map(lambda t: t[0]),
    agency_spellings().map(lambda t: "หน่วยงาน: " + t[0]),
).filter(few_brackets)


@st.composite
def sheets(draw, cell=cells_):
    n_rows, n_cols = draw(st.integers(0, 8)), draw(st.integers(0, 6))
    grid = [[draw(cell) for _ in range(n_cols)] for _ in range(n_rows)]
    if n_rows and n_cols >= 3 and draw(st.booleans()):  # a real header row somewhere
        row = draw(st.integers(0, n_rows - 1))
        order = draw(st.permutations(range(n_cols)))
        for pos, field in zip(order, REQUIRED, strict=False):
            grid[row][pos] = draw(st.sampled_from(REQUIRED_HEADERS[field]))
    columns = sorted(
        draw(st.lists(st.integers(0, 16383), min_size=n_cols, max_size=n_cols, unique=True))
    )
    row_numbers = None
    if draw(st.booleans()):  # a sheet read from its used range: rows not numbered from 1
        gaps = draw(st.lists(st.integers(1, 3), min_size=n_rows, max_size=n_rows))
        start = draw(st.integers(0, 20))
        row_numbers = [start + sum(gaps[: i + 1]) for i in range(n_rows)]
    merged = []
    for _ in range(draw(st.integers(0, 3))):  # merged ranges, some reaching past the grid
        r0 = draw(st.integers(0, 30))
        c0 = draw(st.sampled_from(columns) if columns else st.integers(0, 10))
        merged.append((r0, c0, r0 + draw(st.integers(0, 6)), c0 + draw(st.integers(0, 4))))
    return Sheet(
        name=draw(short_soup),
        hidden=draw(st.booleans()),
        columns=columns,
        cells=[[grid[i][j] for i in range(n_rows)] for j in range(n_cols)],
        row_numbers=row_numbers,
        merged=merged,
    )


file_names = st.one_of(
    short_soup,
    st.text(any_chars, max_size=20),
    st.builds(
        lambda a, y: f"{a[0]}_{y}.xlsx", st.sampled_from(AGENCY_SPELLINGS), st.integers(2400, 2800)
    ),
).filter(few_brackets)


def assert_identity(ident):
    assert isinstance(ident, Identity)
    assert_reason(ident.reason_code)
    assert ident.agency_code is None or ident.agency_code in AGENCY_BY_CODE
    assert ident.fiscal_year is None or 2500 <= ident.fiscal_year <= 2700
    assert all(w.code in REASONS for w in ident.warnings)
    if ident.reason_code is None:  # a file that is not rejected has its agency and year
        assert ident.agency_code and ident.fiscal_year


@props(250)
@given(file_names, st.lists(sheets(), max_size=3))
def test_identify_routes_or_rejects_any_grid(file_name, sheet_list):
    for sheet in sheet_list:
        table, missing = find_table(sheet)
        assert set(missing) <= set(REQUIRED)
        assert table is None or set(REQUIRED) <= table.fields.keys()
    assert_identity(identify(file_name, sheet_list))


MINISTRY_KEYS = (
    header_key("กระทรวงวิทยาศาสตร์และเทคโนโลยี"),
    header_key("Ministry of Science and Technology"),
)


def ends_with_ministry(name: str) -> bool:
    return header_key(name).endswith(MINISTRY_KEYS)


def test_an_agency_name_that_ends_with_the_ministry_routes_from_a_title():
    names = [(n, c) for n, c in AGENCY_SPELLINGS if ends_with_ministry(n)]
    header = ["ชื่อโครงการ", "จังหวัด", "งบประมาณ (บาท)"]
    routed = {}
    for name, _ in names:
        rows = [[f"หน่วยงาน: {name}", None, None], ["ประจำปีงบประมาณ พ.ศ. 2555", None, None], header]
        sheet = Sheet("Sheet1", False, [0, 1, 2], [[r[j] for r in rows] for j in range(3)])
        routed[name] = identify("", [sheet]).agency_code
    assert routed == dict(names)


@props(150)
@given(st.data(), agency_spellings(), fiscal_titles(), file_names)
def test_a_titled_table_routes_to_its_agency_and_year(data, agency, title, file_name):
    name, code = agency
    fy_text, year = title
    assume(not match_agency(fy_text))  # the year title must not itself name an agency
    header = [data.draw(st.sampled_from(REQUIRED_HEADERS[f])) for f in REQUIRED]
    order = data.draw(st.permutations(range(3)))
    rows = [[f"หน่วยงาน: {name}", None, None], [fy_text, None, None], [header[i] for i in order]]
    for _ in range(data.draw(st.integers(0, 3))):
        project = data.draw(st.sampled_from(["โครงการ ก", "โครงการวิจัย", "Project X"]))
        cells = [project, data.draw(province_lists())[0], data.draw(amount_texts())[0]]
        rows.append([cells[i] for i in order])
    sheet = Sheet("Sheet1", False, [0, 1, 2], [[r[j] for r in rows] for j in range(3)])
    ident = identify(file_name, [sheet])
    assert_identity(ident)
    assert (ident.agency_code, ident.fiscal_year, ident.reason_code) == (code, year, None)
