"""Cell values of submission workbooks: budgets, dates, fiscal years, blanks.

Pure functions over what an Excel reader yields (None, str, int, float, bool, date,
datetime, Decimal, pandas/numpy scalars). None of them raises: an unreadable value comes
back as a result with a reason code from `schemas/problems.py`, so one bad cell never stops
a workbook.

Two-digit years (``1 ต.ค. 54``, ``FY12``): 40-99 are Buddhist era (2540-2599 BE, i.e.
1997-2056 CE) and 00-39 are CE 2000-2039: both readings land in 1997-2056, so Thai
government data of the 2000s-2030s is read right whichever era the agency meant; an explicit
era (พ.ศ. / ค.ศ.) overrides the rule. Four-digit years
>= 2400 are Buddhist era everywhere (text, Excel dates, serials).
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
import os
import re
import unicodedata
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext

# The invisible characters that only break matching, and the look before translating
# (translate() is slow on Thai text): the same set as clean_text drops.
from stiplan.assets.ingest.text import _HAS_INVISIBLE, _INVISIBLE

__all__ = [
    "AmountResult",
    "DateResult",
    "fiscal_year_from_filename",
    "fiscal_year_from_text",
    "fiscal_year_value",
    "is_blank",
    "parse_amount",
    "parse_date",
    "unit_multiplier",
]


@dataclass(frozen=True)
class AmountResult:
    value: Decimal | None  # baht, quantized to 0.01; also set when negative
    problem: str | None  # "budget_missing" | "budget_not_number" | "budget_negative" | None


@dataclass(frozen=True)
class DateResult:
    value: dt.date | None  # Gregorian (CE) date
    problem: str | None  # "date_invalid" | None; an empty cell is (None, None)


# ---------------------------------------------------------------------------- text helpers

# Decomposed sara am (nikhahit + sara aa, a tone mark possibly typed in between).
_SARA_AM = re.compile("\u0e4d([\u0e48-\u0e4b]?)\u0e32")
_DASHES = frozenset("-\u2010\u2011\u2012\u2013\u2014\u2015\u2212")  # "-" "–" "—" "−" ...
_PANDAS_MISSING = ("NAType", "NaTType")


def _clean(text: str) -> str:
    """NFC, invisible chars dropped, sara am joined, every decimal digit (๐-๙, fullwidth) to
    ASCII so patterns can use [0-9], whitespace (NBSP, newlines) collapsed, trimmed."""
    if _HAS_INVISIBLE.search(text):
        text = text.translate(_INVISIBLE)
    text = unicodedata.normalize("NFC", text)
    text = _SARA_AM.sub(lambda m: m.group(1) + "\u0e33", text)
    text = "".join(str(unicodedata.decimal(c)) if c.isdecimal() else c for c in text)
    return " ".join(text.split())


def _is_dash(text: str) -> bool:
    return bool(text) and all(c in _DASHES for c in text)


# What a blank string may start with: nothing, whitespace (str.isspace: all of it lies below
# U+3001) or an invisible char.
_BLANK_LEAD = frozenset(
    ["", *(chr(c) for c in range(0x3001) if chr(c).isspace()), *map(chr, _INVISIBLE)]
)


def is_blank(value: object) -> bool:
    """None, "" and strings of only whitespace/invisible chars; also NaN/NaT/pd.NA, which is
    how pandas marks an empty cell (Excel itself cannot store a NaN). "-" is not blank."""
    if value is None:
        return True
    if value.__class__ is str and value[:1] not in _BLANK_LEAD:
        return False  # starts with a visible character: most cells, decided without a scan
    if isinstance(value, str):
        if not value.strip():
            return True
        return bool(_HAS_INVISIBLE.search(value)) and not value.translate(_INVISIBLE).strip()
    if type(value).__name__ in _PANDAS_MISSING:
        return True
    try:
        return bool(value != value)  # NaN and NaT are the only values unequal to themselves
    except Exception:
        return False


# ---------------------------------------------------------------------------------- money

_MISSING = "budget_missing"
_NOT_NUMBER = "budget_not_number"
_NEGATIVE = "budget_negative"
_SATANG = Decimal("0.01")
# projects.budget_baht is DECIMAL(18,2): anything larger would fail the load, not the row.
_LIMIT = Decimal(10) ** 16

# Unit words tolerated before/after a number in a cell (casefolded), longest first so
# "ล้านบาท" wins over "บาท" and "ลบ." over "บ.". An explicit unit in the cell wins over
# the header's: "1.5 ล้านบาท" is 1,500,000 baht whatever column it is in.
_CELL_UNITS = sorted(
    [(u, 1_000_000) for u in ("ล้านบาท", "ล้าน", "ลบ.", "million baht", "million")]
    + [(u, 1) for u in ("บาท", "บ.", "baht", "thb", "฿")],
    key=lambda item: -len(item[0]),
)
# Thousands separators must sit in groups of three: "1,5" may be a European 1.5, and
# reading it as 15 would silently change a budget.
_NUMBER = re.compile(r"(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]*)?|\.[0-9]+")


def _strip_units(text: str, units: list[int]) -> str:
    changed = True
    while changed and text:
        changed = False
        for word, mult in _CELL_UNITS:
            if text.startswith(word):
                text, changed = text[len(word) :].strip(), True
            elif text.endswith(word):
                text, changed = text[: -len(word)].strip(), True
            if changed:
                units.append(mult)
                break
    return text


_PLAIN_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")


def _amount_text(text: str) -> tuple[Decimal | None, int | None, str | None]:
    """(number as typed, unit from the cell or None, problem)."""
    units: list[int] = []
    s = _strip_units(_clean(text).casefold(), units)
    negative = False
    if s.startswith("(") and s.endswith(")"):  # accounting negative: (1,234)
        negative, s = True, _strip_units(s[1:-1].strip(), units)
    if not s or _is_dash(s):
        return None, None, _MISSING
    if s[0] in _DASHES or s[0] == "+":  # "-1,234", "−1,234" (U+2212), "- ฿1,234"
        negative = negative or s[0] != "+"
        s = _strip_units(s[1:].strip(), units)
    if s.endswith(".-"):  # Thai "500,000.-": whole baht, nothing after the point
        s = s[:-2]
    s = "".join(s.split())  # stray spaces inside: "1 234 567"
    if not _NUMBER.fullmatch(s):
        return None, None, _NOT_NUMBER
    number = Decimal(s.replace(",", ""))
    return (-number if negative else number), (max(units) if units else None), None


def parse_amount(value: object, multiplier: int = 1) -> AmountResult:
    """A budget cell in baht. `multiplier` is the header's unit (see `unit_multiplier`;
    None counts as baht). Scale first, then round half-up to the satang, once."""
    return AmountResult(*amount(value, multiplier))


def amount(value: object, multiplier: int = 1) -> tuple[Decimal | None, str | None]:
    """`parse_amount`'s value and problem, without the result object: a sheet's column of
    budgets asks for thousands."""
    try:
        multiplier = 1 if multiplier is None else int(multiplier)
        if value.__class__ is str and (plain := _plain_amount(value, multiplier)) is not None:
            return plain
        result = _parse_amount_general(value, multiplier)
        return result.value, result.problem
    except Exception:  # a cell never raises; whatever it was, it is not a usable number
        return None, _NOT_NUMBER


# A number cell as the reader gives it, with few enough decimals that scaling it by a power
# of ten and rounding to the satang changes no digit: done on the text, no Decimal context.
_PLAIN_AMOUNT = re.compile(r"(-?)([0-9]+)(?:\.([0-9]+))?")
_TENS = {10**k: k for k in range(19)}  # multiplier -> its number of zeros
_TO_SATANG = {None: ".00", 1: "0", 2: ""}  # baht cell -> what makes it two decimals


def _plain_amount(text: str, multiplier: int) -> tuple[Decimal, str | None] | None:
    """`amount` of a plain number cell when that needs no rounding and is not zero (whose
    sign has its own rule); None otherwise."""
    m = _PLAIN_AMOUNT.fullmatch(text)
    if m is None:
        return None
    sign, whole, fraction = m.groups()
    if multiplier == 1:
        pad = _TO_SATANG.get(None if fraction is None else len(fraction))
        if pad is None:
            return None  # would round
        baht = Decimal(text + pad)
    else:
        zeros = _TENS.get(multiplier)
        fraction = fraction or ""
        if zeros is None or len(fraction) > zeros + 2:
            return None
        satang = whole + fraction.ljust(zeros + 2, "0")
        baht = Decimal(f"{sign}{satang[:-2]}.{satang[-2:]}")
    if not baht or not -_LIMIT < baht < _LIMIT:
        return None
    return baht, (_NEGATIVE if sign else None)


def _parse_amount_general(value: object, multiplier: int) -> AmountResult:
    if value is None or type(value).__name__ in _PANDAS_MISSING:
        return AmountResult(None, _MISSING)
    if isinstance(value, bool) or type(value).__name__ == "bool_":  # True is not 1 baht
        return AmountResult(None, _NOT_NUMBER)
    if isinstance(value, str) and _PLAIN_NUMBER.fullmatch(value):
        number = Decimal(value)  # what the reader gives for a number cell: no cleaning
    elif isinstance(value, str):
        number, unit, problem = _amount_text(value)
        if problem:
            return AmountResult(None, problem)
        multiplier = unit or multiplier
    elif isinstance(value, Decimal):
        number = value
    elif isinstance(value, numbers.Integral):
        number = Decimal(int(value))
    elif isinstance(value, numbers.Real):
        # repr is the shortest text that round-trips: what Excel showed, without the
        # binary tail Decimal(float) would keep (Decimal(2.675) is 2.67499999...).
        number = Decimal(repr(float(value)))
    else:
        return AmountResult(None, _NOT_NUMBER)
    if not number.is_finite():
        return AmountResult(None, _NOT_NUMBER)
    with localcontext() as ctx:
        # Enough precision that the product is exact: the only rounding is the quantize.
        ctx.prec = max(28, len(number.as_tuple().digits) + len(str(multiplier)) + 2)
        baht = number * multiplier
        if abs(baht) >= _LIMIT:  # checked before quantizing too: quantize raises on a huge value
            return AmountResult(None, _NOT_NUMBER)
        baht = baht.quantize(_SATANG, rounding=ROUND_HALF_UP)
        if abs(baht) >= _LIMIT:  # 9999999999999999.995 rounds up to 17 digits
            return AmountResult(None, _NOT_NUMBER)
    if baht == 0:
        return AmountResult(abs(baht), None)  # "-0" is zero, not negative
    return AmountResult(baht, _NEGATIVE if baht < 0 else None)


_HEADER_UNITS = [  # checked in order: "ล้านบาท" and "พันบาท" both contain "บาท"
    (1_000_000_000, re.compile(r"พันล้าน|billion")),
    (1_000_000, re.compile(r"ล้าน|million|ลบ\.|\(ลบ\)|\bmb\b|\bmthb\b|\bmil\b")),
    (1_000, re.compile(r"พันบาท|thousand")),
    (1, re.compile(r"บาท|baht|thb|฿|\(บ\.?\)")),
]


def unit_multiplier(header_text: str) -> int | None:
    """Baht per unit stated in a budget header: ล้านบาท/million → 1,000,000, บาท/baht → 1,
    None when the header names no unit (the caller assumes baht and warns)."""
    try:
        s = "".join(_clean(header_text).casefold().split())  # "(ล้าน⏎บาท)"
    except Exception:
        return None
    return next((mult for mult, pattern in _HEADER_UNITS if pattern.search(s)), None)


# ---------------------------------------------------------------------------------- dates

_INVALID = DateResult(None, "date_invalid")
_EMPTY = DateResult(None, None)
_MONTHS = {
    **dict.fromkeys(("มกราคม", "มค"), 1),
    **dict.fromkeys(("กุมภาพันธ์", "กุมภาพันธุ์", "กพ"), 2),
    **dict.fromkeys(("มีนาคม", "มีค"), 3),
    **dict.fromkeys(("เมษายน", "เมย"), 4),
    **dict.fromkeys(("พฤษภาคม", "พค"), 5),
    **dict.fromkeys(("มิถุนายน", "มิย"), 6),
    **dict.fromkeys(("กรกฎาคม", "กรกฏาคม", "กค"), 7),  # ฏ is a common misspelling
    **dict.fromkeys(("สิงหาคม", "สค"), 8),
    **dict.fromkeys(("กันยายน", "กย"), 9),
    **dict.fromkeys(("ตุลาคม", "ตค"), 10),
    **dict.fromkeys(("พฤศจิกายน", "พย"), 11),
    **dict.fromkeys(("ธันวาคม", "ธค"), 12),
}
_EN_MONTHS = "january february march april may june july august september october november december"
for _i, _name in enumerate(_EN_MONTHS.split(), start=1):
    _MONTHS[_name] = _MONTHS[_name[:3]] = _i
_MONTHS["sept"] = 9
_ERA_SUFFIXES = (("พศ", "be"), ("คศ", "ce"), ("be", "be"), ("ad", "ce"), ("ce", "ce"))

_TIME = (  # optional time of day, ignored: "2011-10-01 00:00:00", "T08:30+07:00", "9.30 น."
    r"(?:[ t][0-9]{1,2}[:.][0-9]{2}(?:[:.][0-9]{2}(?:\.[0-9]+)?)?"
    r"\s*(?:z|[+-][0-9]{2}:?[0-9]{2}|am|pm|น\.?)?)?"
)
_Y4 = r"([0-9]{4})"
_Y = r"([0-9]{4}|[0-9]{2})"
_YMD = re.compile(rf"{_Y4}([-/.])([0-9]{{1,2}})\2([0-9]{{1,2}}){_TIME}")
_DMY = re.compile(rf"([0-9]{{1,2}})([-/.])([0-9]{{1,2}})\2{_Y}{_TIME}")  # Thai order: d/m/y
_D_MON_Y = re.compile(
    rf"(?:วัน\S*?ที่\s*)?([0-9]{{1,2}})(?:st|nd|rd|th)?[\s\-/.,]*([^\W\d_][^0-9]*?)[\s\-/.,]*{_Y}"
)
_MON_D_Y = re.compile(rf"([a-z]+)\.?\s*([0-9]{{1,2}})(?:st|nd|rd|th)?\s*,?\s*{_Y}")


def _month(token: str) -> tuple[int | None, str | None]:
    """Month number and era ("be"/"ce"/None) of "ต.ค.", "ตุลาคม", "Oct.", "ต.ค. พ.ศ."."""
    key = re.sub(r"[\s.,\-/]", "", token.casefold())
    era = None
    for suffix, name in _ERA_SUFFIXES:
        if key.endswith(suffix) and key[: -len(suffix)] in _MONTHS:
            key, era = key[: -len(suffix)], name
            break
    return _MONTHS.get(key), era


def _year_ce(digits: str, era: str | None = None) -> int:
    year = int(digits)
    if len(digits) == 2:
        if era is None:
            era = "be" if year >= 40 else "ce"
        year += 2500 if era == "be" else 2000
    return year - 543 if year >= 2400 else year


def _make(year: int, month: int, day: int) -> DateResult:
    try:  # convert the year before building the date: 29 Feb 2555 BE is 29 Feb 2012
        return DateResult(dt.date(year, month, day), None)
    except (ValueError, OverflowError):
        return _INVALID


def _from_serial(number: float) -> DateResult:
    if not (math.isfinite(number) and 1 <= number < 2958466):  # 1900-01-01 .. 9999-12-31
        return _INVALID
    serial = int(number)  # the fraction is the time of day
    if serial == 60:  # 1900-02-29: exists only in Lotus/Excel's leap-year bug
        return _INVALID
    # Serials after the phantom day are one ahead of a true day count from 1899-12-31.
    base = dt.date(1899, 12, 31) if serial < 60 else dt.date(1899, 12, 30)
    day = base + dt.timedelta(days=serial)
    return _make(day.year - 543 if day.year >= 2400 else day.year, day.month, day.day)


def _date_text(text: str) -> DateResult:
    s = _clean(text).casefold()
    if not s or _is_dash(s):
        return _EMPTY
    if m := _YMD.fullmatch(s):
        return _make(_year_ce(m[1]), int(m[3]), int(m[4]))
    if m := _DMY.fullmatch(s):
        return _make(_year_ce(m[4]), int(m[3]), int(m[1]))
    if m := _D_MON_Y.fullmatch(s):
        month, era = _month(m[2])
        day, year = m[1], m[3]
    elif m := _MON_D_Y.fullmatch(s):
        month, era = _month(m[1])
        day, year = m[2], m[3]
    else:
        return _INVALID
    return _make(_year_ce(year, era), month, int(day)) if month else _INVALID


# A date cell as the reader gives it ("2012-01-06 00:00:00"): what `_YMD` reads, without
# cleaning text that has nothing to clean.
_READER_DATE = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?: [0-9]{2}:[0-9]{2}:[0-9]{2})?")


def parse_date(value: object) -> DateResult:
    """A date cell as a CE date: Excel dates and serials, ISO, d/m/y, Thai and English text;
    Buddhist-era years (>= 2400, or two-digit 40-99) are converted."""
    try:
        if value.__class__ is str and (m := _READER_DATE.fullmatch(value)):
            return _make(_year_ce(m[1]), int(m[2]), int(m[3]))
        if is_blank(value):
            return _EMPTY
        if isinstance(value, bool) or type(value).__name__ == "bool_":
            return _INVALID
        if isinstance(value, dt.datetime):
            value = value.date()
        if isinstance(value, dt.date):
            if value.year >= 2400:  # BE typed into an Excel date cell
                return _make(value.year - 543, value.month, value.day)
            return DateResult(value, None)
        if isinstance(value, numbers.Real | Decimal):
            return _from_serial(float(value))
        if not isinstance(value, str):
            iso = getattr(value, "isoformat", None)
            value = iso() if callable(iso) else str(value)  # numpy datetime64 has no isoformat
            if not isinstance(value, str):
                return _INVALID
        return _date_text(value)
    except Exception:
        return _INVALID


# --------------------------------------------------------------------------- fiscal years

_ERA = r"(?:พ\.?\s?ศ\.?|ค\.?\s?ศ\.?|b\.\s?e\.|a\.\s?d\.)"
_SINGLE = r"(?![0-9])(?!\s*[-\u2013\u2014/]\s*[0-9])"  # "2555-2559" is a range, not a year
# "FY" is not the end of an English word ("...ify 2012"), but Thai runs words together:
# "แผนปฏิบัติราชการFY2555" is a fiscal year.
_FY_PHRASE = re.compile(
    rf"(?:ปี\s?งบ(?:\s?ประมาณ)?ฯ?|fiscal\s?year|(?<![a-z0-9_])fy)\s*[:\-]?\s*(?:{_ERA}\s*)?'?"
    rf"([0-9]{{4}}|[0-9]{{2}}){_SINGLE}"
)
_ERA_PHRASE = re.compile(rf"(?:พ\.?\s?ศ\.?|b\.\s?e\.)\s*([0-9]{{4}}){_SINGLE}")
_LAST_WORD = re.compile(r"([^0-9\s]+)\s*$")


def _plausible_be(year: int, ce_low: int = 1957, ce_high: int = 2157) -> int | None:
    if 2500 <= year <= 2700:
        return year
    return year + 543 if ce_low <= year <= ce_high else None


def _phrase_year(digits: str) -> int | None:
    if len(digits) == 2:
        return _plausible_be(_year_ce(digits))
    return _plausible_be(int(digits))


def _in_a_date(text: str, start: int) -> bool:
    # "15 สิงหาคม พ.ศ. 2554": a พ.ศ. right after a month name dates something, not the plan.
    m = _LAST_WORD.search(text, 0, start)
    return bool(m) and _month(m[1])[0] is not None


def fiscal_year_from_text(text: str) -> int | None:
    """BE fiscal year of a title, only from a ปีงบประมาณ / ปีงบ / FY / fiscal year phrase or,
    failing that, a พ.ศ. phrase that is not part of a date. Phrases that disagree → None."""
    try:
        s = _clean(text).casefold()
        for pattern in (_FY_PHRASE, _ERA_PHRASE):
            years = {
                year
                for m in pattern.finditer(s)
                if (pattern is _FY_PHRASE or not _in_a_date(s, m.start()))
                and (year := _phrase_year(m[1])) is not None
            }
            if years:
                return years.pop() if len(years) == 1 else None
    except Exception:
        pass
    return None


_YEAR_CELL = re.compile(rf"(?:{_ERA}\s*)?([0-9]{{4}})(?:\.0+)?")


def fiscal_year_value(value: object) -> int | None:
    """BE fiscal year of a fiscal-year column cell: 2555, 2555.0, "๒๕๕๕", "พ.ศ. 2555",
    2012 → 2555, "FY2012". None unless a plausible year (BE 2500-2700 or CE 1957-2157)."""
    try:
        if isinstance(value, bool) or value is None:
            return None
        if isinstance(value, numbers.Real | Decimal):
            number = float(value)
            if not math.isfinite(number) or number != int(number):
                return None
            return _plausible_be(int(number))
        if isinstance(value, str):
            s = _clean(value).casefold()
            if m := _YEAR_CELL.fullmatch(s):
                return _plausible_be(int(m[1]))
            return fiscal_year_from_text(s)
    except Exception:
        pass
    return None


_NAME_PARTS = re.compile(r"[_\-.\s\u2013\u2014]+")


def fiscal_year_from_filename(file_name: str) -> int | None:
    """BE year from a file name part that is exactly a 4-digit year (BE 2500-2700 or CE
    1990-2100): NSTDA_2555.xlsx, สวทช-๒๕๕๕.xls. None if no part is one or parts disagree."""
    try:
        name = re.split(r"[\\/]", os.fspath(file_name))[-1]
        years = {
            year
            for part in _NAME_PARTS.split(_clean(name))
            if re.fullmatch(r"[0-9]{4}", part)
            and (year := _plausible_be(int(part), 1990, 2100)) is not None
        }
        return years.pop() if len(years) == 1 else None
    except Exception:
        return None
