"""Cell-value parsing: each case names the bug it is there to catch."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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

MILLION = 1_000_000
D = dt.date


def amount(value, multiplier=1) -> str | None:
    """The parsed value as text, so the test also pins the 2-decimal exponent."""
    result = parse_amount(value, multiplier)
    assert result.problem is None, result
    return str(result.value)


# ----------------------------------------------------------------------------------- money


@pytest.mark.parametrize(
    ("value", "multiplier", "expected"),
    [
        # Float noise: Decimal(float) keeps the binary tail and rounds the wrong way.
        (2.675, 1, "2.68"),
        (1.005, 1, "1.01"),
        (0.1 + 0.2, 1, "0.30"),
        (0.1 + 0.2, MILLION, "300000.00"),
        (1.000000015, MILLION, "1000000.02"),  # float x*1e6 or Decimal(x) gives .01
        # Scale before rounding: rounding the ล้านบาท figure first gives 1230000.00.
        (1.2345675, MILLION, "1234567.50"),
        (0.567359125, MILLION, "567359.13"),
        ("1.2345675", MILLION, "1234567.50"),
        # Half-up, not banker's (half-even would give .12 / .64 / .12 / 0.00).
        (0.125, 1, "0.13"),
        ("0.125", 1, "0.13"),
        (Decimal("0.125"), 1, "0.13"),
        (3.141592645, MILLION, "3141592.65"),
        (1.234567125, MILLION, "1234567.13"),
        (0.000000005, MILLION, "0.01"),
        (Decimal("1.005"), 1, "1.01"),
        # Plain numbers keep two decimals.
        (1234, 1, "1234.00"),
        (2, MILLION, "2000000.00"),
        (1234.5, 1, "1234.50"),
        (Decimal("567359000"), 1, "567359000.00"),
        (0, 1, "0.00"),
        (0.0, MILLION, "0.00"),
        ("-0", 1, "0.00"),  # minus zero is zero, not negative
        (-0.0, 1, "0.00"),
        (Decimal("-0.001"), 1, "0.00"),
        (12345678901234.56, 1, "12345678901234.56"),
    ],
)
def test_amount_numbers_exact(value, multiplier, expected):
    assert amount(value, multiplier) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1234", "1234.00"),
        ("1,234", "1234.00"),
        ("1,234,567.89", "1234567.89"),
        (" 1,234 ", "1234.00"),
        ("1 234 567", "1234567.00"),  # stray spaces between groups
        ("1\u00a0234", "1234.00"),  # NBSP
        ("1,234\u200b", "1234.00"),  # zero-width space
        (".5", "0.50"),
        ("12.", "12.00"),
        ("+5", "5.00"),
        # Thai digits, with and without separators.
        ("๑๒๓๔", "1234.00"),
        ("๑,๒๓๔.๕๐", "1234.50"),
        ("๕๖๗,๓๕๙,๐๐๐", "567359000.00"),
        ("１２３", "123.00"),  # fullwidth digits
        # Unit words before or after.
        ("1,234 บาท", "1234.00"),
        ("1,234บาท", "1234.00"),
        ("บาท 1,234", "1234.00"),
        ("1,234 บ.", "1234.00"),
        ("1,234 Baht", "1234.00"),
        ("THB 1,234", "1234.00"),
        ("฿1,234.50", "1234.50"),
        ("500,000.-", "500000.00"),  # Thai whole-baht style
        ("500,000.- บาท", "500000.00"),
    ],
)
def test_amount_text(text, expected):
    assert amount(text) == expected


@pytest.mark.parametrize(
    ("text", "multiplier", "expected"),
    [
        ("1.5", MILLION, "1500000.00"),
        ("๑.๕", MILLION, "1500000.00"),
        ("1.5 ล้านบาท", MILLION, "1500000.00"),  # not scaled twice
        ("1.5 ล้านบาท", 1, "1500000.00"),  # the cell's own unit wins over a baht header
        ("2 ล้าน", 1, "2000000.00"),
        ("2 million baht", 1, "2000000.00"),
        ("2.5 ลบ.", 1, "2500000.00"),
        ("500,000 บาท", MILLION, "500000.00"),  # explicit baht in a ล้านบาท column
        ("1.2345675", None, "1.23"),  # no unit in the header: baht
    ],
)
def test_amount_units(text, multiplier, expected):
    assert amount(text, multiplier) == expected


@pytest.mark.parametrize(
    ("value", "multiplier", "expected"),
    [
        ("(1,234)", 1, "-1234.00"),
        ("(1,234.50) บาท", 1, "-1234.50"),
        ("(฿1,234)", 1, "-1234.00"),
        ("-1,234", 1, "-1234.00"),
        ("- 1,234", 1, "-1234.00"),
        ("\u22121,234", 1, "-1234.00"),  # U+2212 MINUS SIGN
        ("-๑๒", 1, "-12.00"),
        ("-฿1,234", 1, "-1234.00"),
        (-5, 1, "-5.00"),
        (-0.5, MILLION, "-500000.00"),
        ("(1.5)", MILLION, "-1500000.00"),
    ],
)
def test_amount_negative_keeps_value(value, multiplier, expected):
    result = parse_amount(value, multiplier)
    assert result.problem == "budget_negative"
    assert str(result.value) == expected


@pytest.mark.parametrize(
    "value",
    [None, "", "   ", "\u00a0", "\u200b", "\n", "-", "–", "—", " - ", "(-)", "บาท"],
)
def test_amount_missing(value):
    assert parse_amount(value) == AmountResult(None, "budget_missing")
    assert parse_amount(value, MILLION) == AmountResult(None, "budget_missing")


@pytest.mark.parametrize(
    "value",
    [
        True,
        False,
        float("nan"),
        float("inf"),
        float("-inf"),
        Decimal("NaN"),
        Decimal("Infinity"),
        "abc",
        "n/a",
        "ไม่มี",
        "1,2345",  # misplaced separator
        "1,5",  # European decimal comma: not silently 15
        "1.2.3",
        "12 ล้าน 5",
        "(1,234",
        "1,234)",
        "--5",
        "5-",
        "1e5",
        "#VALUE!",
        1e300,  # beyond DECIMAL(18,2)
        "99999999999999999",
        dt.date(2011, 10, 1),
        [1],
        object(),
    ],
)
def test_amount_not_number(value):
    assert parse_amount(value) == AmountResult(None, "budget_not_number")


def test_amount_limit_applies_after_scaling():
    assert parse_amount(10_000_000_000, MILLION).problem == "budget_not_number"
    assert amount(9_999_999_999, MILLION) == "9999999999000000.00"
    assert amount(9_999_999_999, 1) == "9999999999.00"


def test_amount_result_is_frozen():
    result = parse_amount(1)
    with pytest.raises(AttributeError):
        result.value = Decimal(2)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("งบประมาณ (ล้านบาท)", MILLION),
        ("งบประมาณ\n(ล้าน\nบาท)", MILLION),
        ("งบประมาณ(ลบ.)", MILLION),
        ("งบประมาณ (ลบ)", MILLION),
        ("Budget (million baht)", MILLION),
        ("Budget (Million Baht)", MILLION),
        ("Budget (MB)", MILLION),
        ("งบประมาณ (บาท)", 1),
        ("งบประมาณ\u00a0(บาท)", 1),
        ("Budget (baht)", 1),
        ("Budget (THB)", 1),
        ("งบประมาณ (พันบาท)", 1_000),
        ("งบประมาณ", None),
        ("Budget", None),
        ("", None),
        (None, None),
    ],
)
def test_unit_multiplier(header, expected):
    assert unit_multiplier(header) == expected


# ----------------------------------------------------------------------------------- dates

OCT_1_2011 = D(2011, 10, 1)


@pytest.mark.parametrize(
    "value",
    [
        # Date objects, CE and BE (a Thai-locale Excel can store year 2554).
        D(2011, 10, 1),
        D(2554, 10, 1),
        dt.datetime(2011, 10, 1, 8, 30),
        dt.datetime(2554, 10, 1, 0, 0),
        # Excel serials (fraction = time of day), CE and BE.
        40817,
        40817.0,
        40817.999,
        Decimal(40817),
        (D(2554, 10, 1) - D(1899, 12, 30)).days,
        # ISO text.
        "2011-10-01",
        "2554-10-01",
        "2011-10-01 00:00:00",
        "2554-10-01 08:30:00",
        "2011-10-01T00:00:00",
        "2011-10-01T08:30:00+07:00",
        "2011/10/01",
        # d/m/y text, 4- and 2-digit years.
        "1/10/2554",
        "01/10/2011",
        "01-10-2011",
        "1-10-2554",
        "1.10.54",
        "1/10/54",
        "1/10/11",
        "1/10/2554 0:00",
        "๑/๑๐/๒๕๕๔",
        # Thai month names and abbreviations.
        "1 ต.ค. 2554",
        "1 ต.ค.54",
        "1 ต.ค. 54",
        "1ต.ค.2554",
        "1 ตุลาคม 2554",
        "1 ตค 54",
        "1 ตค. 2554",
        "1 ต.ค. พ.ศ. 2554",
        "1 ตุลาคม พ.ศ.2554",
        "วันที่ 1 ตุลาคม 2554",
        "วันเสาร์ที่ 1 ตุลาคม พ.ศ. 2554",
        "๑ ต.ค. ๒๕๕๔",
        "๑ ตุลาคม ๕๔",
        "1\u00a0ต.ค.\u200b 2554",
        "1 ต.ค. ค.ศ. 2011",
        # English.
        "1 Oct 2011",
        "1 October 2011",
        "1-Oct-11",
        "01-OCT-2011",
        "1st October 2011",
        "October 1, 2011",
        "Oct. 1, 2011",
        "Oct 1 2011",
        "1 Oct 2554",
    ],
)
def test_date_forms(value):
    assert parse_date(value) == DateResult(OCT_1_2011, None)


@pytest.mark.parametrize(
    ("serial", "expected"),
    [
        (1, D(1900, 1, 1)),
        (2, D(1900, 1, 2)),
        (59, D(1900, 2, 28)),
        (61, D(1900, 3, 1)),  # the phantom 29 Feb 1900 shifts later serials by one
        (62, D(1900, 3, 2)),
        (367, D(1901, 1, 1)),
        (36526, D(2000, 1, 1)),
        (40969, D(2012, 3, 1)),
        (40968, D(2012, 2, 29)),
        (2958465, D(9999 - 543, 12, 31)),  # the last Excel day, then the BE rule
    ],
)
def test_excel_serial_and_1900_leap_bug(serial, expected):
    assert parse_date(serial) == DateResult(expected, None)
    assert parse_date(float(serial) + 0.5) == DateResult(expected, None)


@pytest.mark.parametrize("serial", [60, 60.5, 0, 0.5, -1, 2958466, 1e12])
def test_excel_serial_out_of_range_or_phantom(serial):
    assert parse_date(serial) == DateResult(None, "date_invalid")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # Leap days: the year must become CE before the date is built (2555 BE is not a
        # leap year in the Gregorian rule, 2012 CE is).
        ("29/2/2555", D(2012, 2, 29)),
        ("29 ก.พ. 2555", D(2012, 2, 29)),
        ("2555-02-29", D(2012, 2, 29)),
        ("29 ก.พ. 55", D(2012, 2, 29)),
        ("29 กุมภาพันธ์ 2555", D(2012, 2, 29)),
        # Day first, always (Thai convention).
        ("10/01/2011", D(2011, 1, 10)),
        ("10/1/54", D(2011, 1, 10)),
        # Two-digit years: 40-99 BE, 00-39 CE 20xx.
        ("1 ต.ค. 40", D(1997, 10, 1)),
        ("1 ต.ค. 99", D(2056, 10, 1)),
        ("1 ต.ค. 39", D(2039, 10, 1)),
        ("1 ต.ค. 00", D(2000, 10, 1)),
        ("1/10/12", D(2012, 10, 1)),
        ("30/9/55", D(2012, 9, 30)),
        ("1 ต.ค. พ.ศ. 12", D(1969, 10, 1)),  # explicit era wins over the rule
        # Every Thai month.
        ("15 ม.ค. 2555", D(2012, 1, 15)),
        ("15 มี.ค. 2555", D(2012, 3, 15)),
        ("15 เม.ย. 2555", D(2012, 4, 15)),
        ("15 พ.ค. 2555", D(2012, 5, 15)),
        ("15 มิ.ย. 2555", D(2012, 6, 15)),
        ("15 ก.ค. 2555", D(2012, 7, 15)),
        ("15 กรกฎาคม 2555", D(2012, 7, 15)),
        ("15 กรกฏาคม 2555", D(2012, 7, 15)),
        ("15 ส.ค. 2555", D(2012, 8, 15)),
        ("15 สิงหาคม 2554", D(2011, 8, 15)),
        ("30 ก.ย. 2555", D(2012, 9, 30)),
        ("30 กันยายน 2555", D(2012, 9, 30)),
        ("15 พ.ย. 2555", D(2012, 11, 15)),
        ("15 พฤศจิกายน 2555", D(2012, 11, 15)),
        ("31 ธ.ค. 2555", D(2012, 12, 31)),
        ("31 ธันวาคม 2555", D(2012, 12, 31)),
        ("1 มกราคม 2555", D(2012, 1, 1)),
        ("1 เมษายน 2555", D(2012, 4, 1)),
        ("1 พฤษภาคม 2555", D(2012, 5, 1)),
        ("1 มิถุนายน 2555", D(2012, 6, 1)),
        ("1 มีนาคม 2555", D(2012, 3, 1)),
        ("5 Sept 2012", D(2012, 9, 5)),
        ("May 5, 2012", D(2012, 5, 5)),
        # BE in an Excel date cell.
        (D(2555, 9, 30), D(2012, 9, 30)),
        (dt.datetime(2555, 2, 28, 23, 59), D(2012, 2, 28)),
        # Years below 2400 are CE.
        ("2399-01-01", D(2399, 1, 1)),
        ("1/1/2400", D(1857, 1, 1)),
    ],
)
def test_date_values(value, expected):
    assert parse_date(value) == DateResult(expected, None)


@pytest.mark.parametrize(
    "value",
    [
        "31/2/2554",
        "29/2/2554",  # 2011 is not a leap year
        "32/1/2555",
        "0/1/2555",
        "1/13/2555",
        "10/13/2011",  # m/d/y is not read
        "2011-13-01",
        "31 เม.ย. 2555",
        "1 ตค. 2554 foo",
        "1 foo 2554",
        "1 ต.ค.",
        "ต.ค. 2554",
        "2554",
        "hello",
        "1/10",
        "1/10-2554",  # mixed separators
        True,
        False,
        float("inf"),
        dt.time(8, 30),
        D(2556, 2, 29),  # BE 2556 has a 29 Feb in Gregorian, 2013 does not
        [2011, 10, 1],
        object(),
    ],
)
def test_date_invalid(value):
    assert parse_date(value) == DateResult(None, "date_invalid")


@pytest.mark.parametrize("value", [None, "", "  ", "\u00a0", "\u200b", "-", "–", "—", float("nan")])
def test_date_empty(value):
    assert parse_date(value) == DateResult(None, None)


class _IsoOnly:
    """A reader's own date type that only offers isoformat()."""

    def __init__(self, text: str) -> None:
        self.text = text

    def isoformat(self) -> str:
        return self.text


class _Broken:
    def isoformat(self):
        raise RuntimeError("boom")


def test_date_isoformat_objects():
    assert parse_date(_IsoOnly("2554-10-01T00:00:00")) == DateResult(OCT_1_2011, None)
    assert parse_date(_Broken()) == DateResult(None, "date_invalid")


# ---------------------------------------------------------------------------- fiscal years


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ประจำปีงบประมาณ พ.ศ. 2555", 2555),
        ("ประจําปีงบประมาณ พ.ศ. 2555", 2555),  # decomposed sara am
        ("แผนบูรณาการงานด้านวิทยาศาสตร์ฯ ประจำปีงบประมาณ พ.ศ. ๒๕๕๕", 2555),
        ("ปีงบประมาณ 2555", 2555),
        ("ปีงบประมาณ2555", 2555),
        ("ปีงบประมาณ: 2555", 2555),
        ("ปีงบ 2555", 2555),
        ("ปีงบฯ 2555", 2555),
        ("ปีงบ 55", 2555),
        ("ปีงบประมาณ ๒๕๕๕", 2555),
        ("พ.ศ. 2555", 2555),
        ("พ.ศ.๒๕๕๕", 2555),
        ("พ.ศ.2555", 2555),
        ("fiscal year 2012", 2555),
        ("Fiscal Year 2555", 2555),
        ("FY2012", 2555),
        ("FY 2012", 2555),
        ("FY 2555", 2555),
        ("FY12", 2555),
        ("Plan FY2012 (as of 15 Aug 2011)", 2555),
        ("ปีงบประมาณ พ.ศ. 2555 ข้อมูล ณ วันที่ 15 สิงหาคม 2554", 2555),
        ("ข้อมูล ณ วันที่ 15 ส.ค. พ.ศ. 2554 แผนปีงบประมาณ พ.ศ. 2555", 2555),
        ("ข้อมูล ณ วันที่ 15 สิงหาคม พ.ศ. 2554 แผนงาน พ.ศ. 2555", 2555),
        # Not a fiscal-year phrase: other years are not it.
        ("ข้อมูล ณ วันที่ 15 สิงหาคม 2554", None),
        ("ข้อมูล ณ วันที่ 15 สิงหาคม พ.ศ. 2554", None),  # a พ.ศ. that dates something
        ("ข้อมูล ณ วันที่ 15 ส.ค. พ.ศ. 2554", None),
        ("แผนปี 2555", None),
        ("ปี 2555", None),
        ("2555", None),
        ("โครงการ 2555", None),
        ("แผนบูรณาการงานด้านวิทยาศาสตร์ เทคโนโลยี และนวัตกรรมกับจังหวัด", None),
        ("หน่วยงาน: สวทช.", None),
        # Ranges and disagreements are not one year.
        ("ปีงบประมาณ 2555-2559", None),
        ("ปีงบประมาณ พ.ศ. 2555 – 2559", None),
        ("ปีงบประมาณ 2555 และปีงบประมาณ 2556", None),
        ("ปีงบประมาณ 2555 (ปีงบประมาณ 2555)", 2555),
        # Implausible years.
        ("ปีงบประมาณ 3555", None),
        ("ปีงบประมาณ 1500", None),
        ("", None),
        (None, None),
    ],
)
def test_fiscal_year_from_text(text, expected):
    assert fiscal_year_from_text(text) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (2555, 2555),
        (2555.0, 2555),
        (Decimal("2555"), 2555),
        ("2555", 2555),
        (" 2555 ", 2555),
        ("2555.0", 2555),
        ("๒๕๕๕", 2555),
        ("พ.ศ. 2555", 2555),
        ("พ.ศ.๒๕๕๕", 2555),
        ("ค.ศ. 2012", 2555),
        ("ปีงบประมาณ 2555", 2555),
        (2012, 2555),
        ("2012", 2555),
        ("FY2012", 2555),
        (2500, 2500),
        (2700, 2700),
        (1957, 2500),
        (2157, 2700),
        (2555.5, None),
        (55, None),
        ("55", None),
        (1956, None),
        (2158, None),
        (2499, None),
        (2701, None),
        (0, None),
        (True, None),
        (None, None),
        ("", None),
        ("-", None),
        ("ไม่ระบุ", None),
        (float("nan"), None),
        (float("inf"), None),
        (D(2012, 1, 1), None),
    ],
)
def test_fiscal_year_value(value, expected):
    assert fiscal_year_value(value) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("NSTDA_2555.xlsx", 2555),
        ("แผนบูรณาการ_วศ_2555.xlsx", 2555),
        ("สวทช_2555.xlsx", 2555),
        ("สวทช-๒๕๕๕.xls", 2555),
        ("NSTDA 2555.xlsx", 2555),
        ("NSTDA.2555.ods", 2555),
        ("NSTDA_2012.xlsx", 2555),
        ("NSTDA_2555 (1).xlsx", 2555),
        ("/inbox/NSTDA_2555.xlsx", 2555),
        ("C:\\inbox\\NSTDA_2555.xlsx", 2555),
        ("NSTDA_2555_2012.xlsx", 2555),  # the same year in both eras agrees
        ("NSTDA_2555_2556.xlsx", None),  # parts disagree
        ("NSTDA.xlsx", None),
        ("NSTDA_FY2555.xlsx", None),  # a part must be exactly the year
        ("NSTDA_25555.xlsx", None),
        ("NSTDA_1989.xlsx", None),
        ("NSTDA_2499.xlsx", None),
        ("NSTDA_0001.xlsx", None),
        ("plan2555.xlsx", None),
        ("", None),
    ],
)
def test_fiscal_year_from_filename(name, expected):
    assert fiscal_year_from_filename(name) == expected


# ----------------------------------------------------------------------------------- blank


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, True),
        ("", True),
        ("   ", True),
        ("\t\n\r", True),
        ("\u00a0", True),
        ("\u200b", True),
        ("\ufeff", True),
        ("\u200b \u00a0\u2060\u00ad", True),
        ("\u3000", True),
        (float("nan"), True),  # how pandas marks an empty cell
        ("-", False),
        ("0", False),
        ("x", False),
        (" a ", False),
        (0, False),
        (0.0, False),
        (False, False),
        (D(2011, 10, 1), False),
        ([1], False),
    ],
)
def test_is_blank(value, expected):
    assert is_blank(value) is expected


# ------------------------------------------------------------------------------ never raise


_HOSTILE = [
    object(),
    [1, 2],
    {"a": 1},
    b"2555",
    complex(1, 2),
    Decimal("sNaN"),
    "x" * 100_000,
    "1" * 5000,
    "ปีงบประมาณ " * 1000,
    _Broken(),
    dt.time(1, 2),
    dt.timedelta(days=1),
]


@pytest.mark.parametrize("value", _HOSTILE)
def test_nothing_raises(value):
    assert parse_amount(value).value is None
    assert parse_amount(value, MILLION).problem is not None
    assert parse_date(value).value is None
    assert fiscal_year_value(value) is None
    assert fiscal_year_from_text(value) is None
    assert fiscal_year_from_filename(value) is None
    assert unit_multiplier(value) is None
    assert isinstance(is_blank(value), bool)


def test_pandas_and_numpy_scalars():
    # fastexcel/pandas hand over numpy floats, Timestamps and NA markers, not Python types.
    np = pytest.importorskip("numpy")
    pd = pytest.importorskip("pandas")
    assert amount(np.float64(2.675)) == "2.68"  # repr(np.float64) is "np.float64(2.675)"
    assert amount(np.float64(1.2345675), MILLION) == "1234567.50"
    assert amount(np.int64(1234)) == "1234.00"
    assert parse_amount(np.bool_(True)).problem == "budget_not_number"
    assert parse_amount(pd.NA) == AmountResult(None, "budget_missing")
    assert parse_date(pd.Timestamp(2011, 10, 1, 8)) == DateResult(OCT_1_2011, None)
    assert parse_date(np.datetime64("2011-10-01T00:00:00.000000000")).value == OCT_1_2011
    assert parse_date(np.float64(40817.0)).value == OCT_1_2011
    for missing in (pd.NA, pd.NaT, np.nan, np.datetime64("NaT")):
        assert is_blank(missing)
        assert parse_date(missing) == DateResult(None, None)
    assert fiscal_year_value(np.int64(2555)) == 2555
    assert fiscal_year_value(np.float64(2012.0)) == 2555


@settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    text=st.from_regex(r"-?[0-9]{1,19}(\.[0-9]{1,6})?", fullmatch=True),
    multiplier=st.sampled_from([1, 1000, 1_000_000, 1_000_000_000]),
)
def test_a_plain_number_cell_skips_cleaning_and_means_the_same(text, multiplier, monkeypatch):
    import re

    import stiplan.assets.ingest.values as values

    fast = values.parse_amount(text, multiplier)
    monkeypatch.setattr(values, "_PLAIN_NUMBER", re.compile(r"(?!)"))  # the general path
    slow = values.parse_amount(text, multiplier)
    assert (fast.value, fast.problem) == (slow.value, slow.problem)
    assert str(fast.value) == str(slow.value)
