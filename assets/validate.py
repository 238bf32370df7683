"""Give every row below a header exactly one outcome, in DESIGN.md's order:
total, section, rejected, duplicate, accepted."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from decimal import Decimal
from functools import lru_cache

import pandas as pd

from stiplan.assets.parse import RawRow, SheetTable, is_repeated_header
from stiplan.assets.provinces import ProvinceParse, parse_provinces
from stiplan.assets.text import clean_text, normalise_name, thai_to_arabic_digits
from stiplan.assets.totals import section_label, total_label
from stiplan.assets.values import AmountResult, is_blank, parse_amount, parse_date
from stiplan.assets.xlsx_package import FORMULA_MARK
from stiplan.schemas.submission import ROW_SCHEMA, WARNING_SCHEMA, failures

# What Excel shows in a cell whose formula failed (LibreOffice writes Err:5xx).
EXCEL_ERRORS = frozenset({"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A",
                          "#GETTING_DATA", "#SPILL!", "#CALC!", "#FIELD!", "#BLOCKED!",
                          "#CONNECT!", "#UNKNOWN!", "#BUSY!", "#EXTERNAL!", "#PYTHON!"})
_LIBRE_ERROR = re.compile(r"Err:[0-9]{3}")


def uncalculated(value: object) -> bool:
    """A formula saved without its result (put back, marked, by the reader)."""
    return isinstance(value, str) and value.startswith(FORMULA_MARK)


def _broken(value: object) -> str | None:
    """The state of a cell that shows no value: an Excel error or an unsaved formula."""
    if excel_error(value):
        return "error"
    if uncalculated(value):
        return "formula"
    return None


def excel_error(value: object) -> bool:
    """The cell shows an Excel error rather than a value."""
    if not isinstance(value, str) or not value or value[0] not in "#E \t":
        return False
    text = value.strip().upper()
    return text in EXCEL_ERRORS or bool(_LIBRE_ERROR.fullmatch(value.strip()))


TEXT_FIELDS = ("strategy", "target_group", "contact_name", "contact_phone", "remarks")


@dataclass
class Row:
    """A row's outcome and, for accepted and duplicate rows, its clean values."""

    sheet: str
    row_number: int
    outcome: str = "accepted"
    reason_code: str | None = None
    project_name: str | None = None
    name_key: str | None = None
    province_codes: tuple[str, ...] = ()
    nationwide: bool = False
    budget: Decimal | None = None  # baht, to the satang
    start_date: object = None
    end_date: object = None
    texts: dict[str, str | None] = field(default_factory=dict)
    duplicate_of: int | None = None  # index of the earlier row in the submission


@dataclass
class Problem:
    sheet: str | None
    row_number: int | None
    column: str  # Excel letter, "" when the problem has no column
    value: str | None
    code: str


def _names_no_province(value: str | None) -> bool:
    parsed = _province_cell(value)
    return not (parsed.codes or parsed.nationwide)


def _numbered(value: object) -> bool:
    text = clean_text(value).rstrip(".")
    return bool(text) and thai_to_arabic_digits(text).isdigit()


def _own_blank(r: RawRow, field_name: str) -> bool:
    """Blank in the row's own cell (a value merged down from above does not count)."""
    return field_name in r.merged or is_blank(r.values.get(field_name))


def classify_rows(table: SheetTable, raw: list[RawRow],
                  multiplier: int) -> tuple[list[Row], list[Problem]]:
    """Outcomes for one sheet's rows."""
    rows: list[Row] = []
    problems: list[Problem] = []
    candidates: list[tuple[int, RawRow]] = []
    headings: list[str] = []
    for r in raw:
        v = r.values
        row = Row(r.sheet, r.row_number)
        rows.append(row)
        province_blank = _own_blank(r, "provinces")
        labels = (v.get("seq"), v.get("project_name"), r.first_text)
        # A total has no province, not even one merged down from a project above, and
        # no running number of its own.
        if ((is_blank(v.get("provinces")) or total_label(v.get("provinces"), headings))
                and not _numbered(v.get("seq"))
                and any(total_label(x, headings) for x in labels if not is_blank(x))):
            row.outcome = "total"
        elif (province_blank and not _own_blank(r, "budget") and r.filled <= 3
              and section_label(r.first_text)):
            # A section heading that shows its subtotal on the same row.
            row.outcome = "total"
            headings.append(clean_text(r.first_text))
        elif r.filled == 1 and _own_blank(r, "budget") and (
                province_blank or _names_no_province(v.get("provinces"))):
            # A heading may sit in any column, the province one too ("ภาคเหนือ",
            # "ยุทธศาสตร์ที่ 1"); a lone province name is a project missing its cells.
            row.outcome = "section"
            headings.append(clean_text(r.first_text))
        elif is_repeated_header(r, table):
            row.outcome = "section"
        else:
            candidates.append((len(rows) - 1, r))

    records = []
    for _, r in candidates:
        records.append(_parse_cells(r.values, multiplier, "budget" in r.merged))
    frame = pd.DataFrame.from_records(
        [rec for rec, _ in records],
        columns=["name_state", "province_state", "budget_state", "start_state", "end_state"],
        index=range(len(records)),
    )
    for schema, severity in ((ROW_SCHEMA, "error"), (WARNING_SCHEMA, "warning")):
        for idx, field_name, code in failures(schema, frame):
            pos, r = candidates[idx]
            row = rows[pos]
            problems.append(Problem(r.sheet, r.row_number, table.letter(field_name),
                                    _as_text(r.values.get(field_name)), code))
            if severity == "error" and row.outcome != "rejected":
                row.outcome = "rejected"
                row.reason_code = code
    for (pos, r), (_, parsed) in zip(candidates, records, strict=True):
        row = rows[pos]
        if row.outcome == "rejected":
            continue
        for name in parsed["text_errors"]:
            problems.append(Problem(r.sheet, r.row_number, table.letter(name),
                                    _as_text(r.values.get(name)), "cell_error_text"))
        row.project_name = parsed["name"]
        row.name_key = normalise_name(parsed["name"])
        row.province_codes = parsed["codes"]
        row.nationwide = parsed["nationwide"]
        row.budget = parsed["budget"]
        row.start_date = parsed["start"]
        row.end_date = parsed["end"]
        row.texts = parsed["texts"]
    problems += _check_totals(table, raw, rows)
    return rows, problems


def _as_text(value) -> str | None:
    return None if value is None else str(value).removeprefix(FORMULA_MARK)


# District, subdistrict and village detail ("อ.เมือง", "ตำบลสุเทพ", "หมู่ 3", "บ้านแม่กำปอง",
# Bangkok's "เขตปทุมวัน" / "แขวงลุมพินี") says where in a province a project is; it is not
# an unknown province. One word after its prefix, up to a separator or a province prefix.
_DETAIL_PREFIX = r"(?:อำเภอ|ตำบล|หมู่ที่|หมู่บ้าน|หมู่|บ้าน|เขต|แขวง|อ\.|ต\.|ม\.)"
_DETAIL = re.compile(rf"(?<![^\s,;/()]){_DETAIL_PREFIX}\s*(?:(?!จ\s*\.|จังหวัด)[^\s,;/()])*")
_STARTS_WITH_DETAIL = re.compile(_DETAIL_PREFIX)


def _per_distinct_value(fn):
    """`fn` computed once per distinct cell value: a sheet repeats few distinct province,
    budget, date and text cells. An unhashable value is computed each time."""
    cached = lru_cache(maxsize=65536)(fn)

    def call(*args):
        try:
            return cached(*args)
        except TypeError:
            return fn(*args)

    return call


_amount = _per_distinct_value(parse_amount)
_date = _per_distinct_value(parse_date)
_clean_text = _per_distinct_value(clean_text)


def _parse_province_cell(value) -> ProvinceParse:
    """`parse_provinces`, except that district detail next to a named province is ignored
    (`ต.สุเทพ อ.เมือง จ.เชียงใหม่` is Chiang Mai) instead of rejecting the row."""
    parsed = parse_provinces(value)
    if not parsed.unknown or parsed.regions or parsed.nationwide:
        return parsed
    # Drop the detail first and read the rest, so a subdistrict named like another
    # province (ต.พิจิตร in Songkhla) does not add that province.
    rest = parse_provinces(_DETAIL.sub(" ", clean_text(value)))
    if rest.codes and not rest.unknown and not rest.regions:
        return rest
    # Detail glued to the province it names ("อำเภอเมืองเชียงใหม่"): keep that province.
    if parsed.codes and all(_STARTS_WITH_DETAIL.match(p) for p in parsed.unknown):
        return replace(parsed, unknown=())
    return parsed


def _parse_cells(v: dict[str, str | None], multiplier: int,
                 budget_merged: bool = False) -> tuple[dict, dict]:
    raw_name = v.get("project_name")
    broken = {f: _broken(v.get(f)) for f in ("project_name", "provinces", "budget",
                                             "start_date", "end_date")}
    name = None if broken["project_name"] else (clean_text(raw_name) or None)
    n_state = broken["project_name"] or ("ok" if name else "missing")
    prov_text = v.get("provinces")
    codes, nationwide = (), False
    if broken["provinces"]:
        p_state = broken["provinces"]
    elif is_blank(prov_text):
        p_state = "missing"
    else:
        parsed = _province_cell(prov_text)
        codes, nationwide = parsed.codes, parsed.nationwide
        if parsed.unknown:
            p_state = "unknown"
        elif parsed.regions:
            p_state = "region"
        elif not codes and not nationwide:
            p_state = "missing"
        else:
            p_state = "ok"
    amount = _amount(v.get("budget"), multiplier)
    if budget_merged:
        # One budget merged down over several projects: filling it in would count the
        # money once per row; only the top row keeps it.
        b_state, amount = "merged", AmountResult(None, "budget_missing")
    elif broken["budget"]:
        b_state = broken["budget"]
    elif amount.problem == "budget_missing":
        b_state = "missing"
    elif amount.problem == "budget_not_number":
        b_state = "not_number"
    elif amount.problem == "budget_negative":
        b_state = "negative"
    elif amount.value == 0:
        b_state = "zero"
    else:
        b_state = "ok"
    start = _date(v.get("start_date"))
    end = _date(v.get("end_date"))
    s_state = broken["start_date"] or ("invalid" if start.problem else "ok")
    e_state = broken["end_date"] or ("invalid" if end.problem else "ok")
    if e_state == "ok" and start.value and end.value and end.value < start.value:
        e_state = "before_start"
    record = {"name_state": n_state, "province_state": p_state, "budget_state": b_state,
              "start_state": s_state, "end_state": e_state}
    text_errors = [f for f in ("seq", *TEXT_FIELDS) if excel_error(v.get(f))]
    parsed_values = {
        "name": name, "codes": codes, "nationwide": nationwide, "budget": amount.value,
        "start": start.value, "end": end.value, "text_errors": text_errors,
        "texts": {f: (None if f in text_errors else _clean_text(_as_text(v.get(f))) or None)
                  for f in TEXT_FIELDS},
    }
    return record, parsed_values


def _check_totals(table: SheetTable, raw: list[RawRow], rows: list[Row]) -> list[Problem]:
    """A totals row should equal, as typed, the rows it closes: those since some boundary
    above it (the sheet's start, a section heading, an earlier total), which covers a
    grand total, a subtotal of its section and a total of several subtotals; or, for a
    total written at the top (a Budget Bureau habit), the rows from it down to some
    boundary below it."""
    running = Decimal(0)
    sums: list[Decimal] = []  # the running sum at each boundary, in sheet order
    totals: list[tuple[int, Decimal, RawRow]] = []  # (boundary index, value, row)
    for r, row in zip(raw, rows, strict=True):
        if row.outcome in ("accepted", "duplicate") and row.budget is not None:
            running += row.budget
        elif row.outcome in ("section", "total"):
            if row.outcome == "total":
                amount = parse_amount(r.values.get("budget"), table.multiplier or 1)
                if amount.value is not None:
                    totals.append((len(sums), amount.value, r))
            sums.append(running)
    bounds = [Decimal(0), *sums, running]  # with the sheet's start and end
    problems = []
    for k, value, r in totals:
        here = bounds[k + 1]
        above = any(here - b == value for b in bounds[: k + 1])
        below = any(b - here == value for b in bounds[k + 2:])
        if not (above or below):
            problems.append(Problem(r.sheet, r.row_number, table.letter("budget"),
                                    _as_text(r.values.get("budget")), "total_mismatch"))
    return problems


def mark_duplicates(rows: list[Row]) -> None:
    """Same normalised name and same province set as an earlier valid row of the
    same submission (nationwide counts as its own set): a duplicate of it."""
    first: dict[tuple, int] = {}
    for i, row in enumerate(rows):
        if row.outcome != "accepted":
            continue
        key = (row.name_key, "*" if row.nationwide else row.province_codes)
        if key in first:
            row.outcome = "duplicate"
            row.duplicate_of = first[key]
        else:
            first[key] = i



_province_cell = _per_distinct_value(_parse_province_cell)
