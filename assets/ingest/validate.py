"""Give every row below a header exactly one outcome, in DESIGN.md's order:
total, section, rejected, duplicate, accepted."""

from __future__ import annotations

import gc
import re
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from decimal import Decimal
from functools import lru_cache, partial
from itertools import starmap
from operator import and_

from stiplan.assets.ingest.package import FORMULA_MARK
from stiplan.assets.ingest.parse import DataRows, RawRow, SheetTable, is_repeated_header
from stiplan.assets.ingest.provinces import ProvinceParse, parse_provinces
from stiplan.assets.ingest.strategies import parse_strategy
from stiplan.assets.ingest.text import clean_text, normalise_clean, thai_to_arabic_digits
from stiplan.assets.ingest.totals import section_label, total_label, total_label_possible
from stiplan.assets.ingest.values import amount, is_blank, parse_amount, parse_date
from stiplan.schemas.problems import Problem
from stiplan.schemas.rows import ROW_SCHEMA, WARNING_SCHEMA, row_failures

# What Excel shows in a cell whose formula failed (LibreOffice writes Err:5xx).
EXCEL_ERRORS = frozenset(
    {
        "#NULL!",
        "#DIV/0!",
        "#VALUE!",
        "#REF!",
        "#NAME?",
        "#NUM!",
        "#N/A",
        "#GETTING_DATA",
        "#SPILL!",
        "#CALC!",
        "#FIELD!",
        "#BLOCKED!",
        "#CONNECT!",
        "#UNKNOWN!",
        "#BUSY!",
        "#EXTERNAL!",
        "#PYTHON!",
    }
)
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


def _texts_row(strategy, target_group, contact_name, contact_phone, remarks) -> dict:
    """A row's texts by field: a dict display, several times faster than dict(zip(...))
    over a sheet's rows."""
    return {
        "strategy": strategy,
        "target_group": target_group,
        "contact_name": contact_name,
        "contact_phone": contact_phone,
        "remarks": remarks,
    }


assert tuple(_texts_row(*TEXT_FIELDS)) == TEXT_FIELDS  # the same fields, in the same order


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


def _names_no_province(value: str | None) -> bool:
    parsed = _province_cell(value)
    return not (parsed.codes or parsed.nationwide)


def _numbered(value: object) -> bool:
    text = clean_text(value).rstrip(".")
    return bool(text) and thai_to_arabic_digits(text).isdigit()


def _own_blank(r: RawRow, field_name: str) -> bool:
    """Blank in the row's own cell (a value merged down from above does not count)."""
    return field_name in r.merged or is_blank(r.values.get(field_name))


@contextmanager
def collector_paused():
    """A sheet's rows become tens of thousands of new objects, and each time the cyclic
    collector's thresholds are passed it walks the whole heap (in a reader child forked
    from the fork server, copying every page it touches): for a large sheet that is more
    time than the classification itself. The rows hold no reference cycles, so nothing
    is lost by holding it off; what little cyclic garbage there is (Pandera's error) is
    collected later."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def classify_rows(
    table: SheetTable, raw: DataRows, multiplier: int
) -> tuple[list[Row], list[Problem]]:
    """Outcomes for one sheet's rows."""
    with collector_paused():
        return _classify_rows(table, raw, multiplier)


def _classify_rows(
    table: SheetTable, raw: DataRows, multiplier: int
) -> tuple[list[Row], list[Problem]]:
    outcomes = _outcomes(table, raw)
    candidates = [k for k, outcome in enumerate(outcomes) if outcome is None]
    states, parsed = _parse_columns(raw, candidates, multiplier)
    problems: list[Problem] = []
    reasons: dict[int, str] = {}  # candidate -> the reason it is rejected for
    letters = {name: table.letter(name) for name in table.fields}
    for schema, severity in ((ROW_SCHEMA, "error"), (WARNING_SCHEMA, "warning")):
        for idx, field_name, code in row_failures(schema, states):
            k = candidates[idx]
            problems.append(
                Problem(
                    raw.sheet,
                    raw.row_numbers[k],
                    letters.get(field_name, ""),
                    _as_text(_cell(raw, field_name, k)),
                    code,
                )
            )
            if severity == "error":
                reasons.setdefault(idx, code)
    sheet, numbers = raw.sheet, raw.row_numbers
    rows = [
        None if outcome is None else Row(sheet, numbers[k], outcome)
        for k, outcome in enumerate(outcomes)
    ]
    for idx, (k, name, codes, nationwide, budget, start, end, texts) in enumerate(
        zip(
            candidates,
            parsed.names,
            parsed.codes,
            parsed.nationwide,
            parsed.budgets,
            parsed.starts,
            parsed.ends,
            parsed.texts,
            strict=True,
        )
    ):
        if idx in reasons:
            rows[k] = Row(sheet, numbers[k], "rejected", reasons[idx])
            continue
        for field_name in parsed.text_errors.get(idx, ()):
            problems.append(
                Problem(
                    sheet,
                    numbers[k],
                    letters.get(field_name, ""),
                    _as_text(_cell(raw, field_name, k)),
                    "cell_error_text",
                )
            )
        rows[k] = Row(
            sheet,
            numbers[k],
            "accepted",
            None,
            name,
            normalise_clean(name),
            codes,
            nationwide,
            budget,
            start,
            end,
            texts,
        )
    problems += _check_totals(table, raw, rows)
    return rows, problems


def _cell(raw: DataRows, field_name: str, k: int):
    cells = raw.values.get(field_name)
    return None if cells is None else cells[k]


def _outcomes(table: SheetTable, raw: DataRows) -> list[str | None]:
    """Each row's outcome when it is a total or a section, None for a project row. A row
    whose province cell is neither blank nor a total label, whose budget is a number (so
    no repeated header) and which has more than three cells, or two or three of its own
    province included, can be neither (see `_outcome`): only the others are looked at
    one by one, in order, since a heading changes what a later total label means."""
    province = _each_distinct(_plain_province, raw.column("provinces"))
    number = list(map(_is_number, raw.column("budget")))
    merged = raw.merged.get("provinces", frozenset())
    out: list[str | None] = [None] * len(raw)
    headings: list[str] = []
    for k, (plain, filled) in enumerate(zip(map(and_, province, number), raw.filled, strict=True)):
        if not (plain and (filled > 3 or (filled != 1 and k not in merged))):
            out[k] = _outcome(raw.row(k), table, headings)
    return out


def _plain_province(value) -> bool:
    return not is_blank(value) and not total_label_possible(value)


def _is_number(value) -> bool:
    """A number as the reader gives it: it names no field (see test_validate_columns)."""
    return value.__class__ is str and _NUMBER_TEXT.fullmatch(value) is not None


_NUMBER_TEXT = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")


def _outcome(r: RawRow, table: SheetTable, headings: list[str]) -> str | None:
    """One row's outcome when it is a total or a section (a section heading is added to
    `headings`), None for a project row."""
    v = r.values
    province_blank = _own_blank(r, "provinces")
    labels = (v.get("seq"), v.get("project_name"), r.first_text)
    # A total has no province, not even one merged down from a project above, and
    # no running number of its own.
    if (
        (is_blank(v.get("provinces")) or total_label(v.get("provinces"), headings))
        and not _numbered(v.get("seq"))
        and any(total_label(x, headings) for x in labels if not is_blank(x))
    ):
        return "total"
    if (
        province_blank
        and not _own_blank(r, "budget")
        and r.filled <= 3
        and section_label(r.first_text)
    ):
        # A section heading that shows its subtotal on the same row.
        headings.append(clean_text(r.first_text))
        return "total"
    if (
        r.filled == 1
        and _own_blank(r, "budget")
        and (province_blank or _names_no_province(v.get("provinces")))
    ):
        # A heading may sit in any column, the province one too ("ภาคเหนือ",
        # "ยุทธศาสตร์ที่ 1"); a lone province name is a project missing its cells.
        headings.append(clean_text(r.first_text))
        return "section"
    if is_repeated_header(r, table):
        return "section"
    return None


def _each_distinct(fn, cells: list) -> list:
    """`fn` of every cell, computed once per distinct cell: a column repeats its
    provinces, dates and texts. Only text cells (and None) are looked up by value:
    equal numbers of different types (1, 1.0, True) are not the same cell. A column of
    mostly distinct cells (names, budgets) is not worth the lookups."""
    if not set(map(type, cells)) <= _TEXT_TYPES:
        return [fn(v) for v in cells]
    distinct = set(cells)
    if 2 * len(distinct) > len(cells):
        return list(map(fn, cells))
    return list(map({v: fn(v) for v in distinct}.__getitem__, cells))


_TEXT_TYPES = frozenset({str, type(None)})


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


@dataclass
class _Parsed:
    """The parsed values of the candidate rows, one list per field."""

    names: list[str | None]
    codes: list[tuple[str, ...]]
    nationwide: list[bool]
    budgets: list[Decimal | None]
    starts: list
    ends: list
    texts: list[dict[str, str | None]]
    text_errors: dict[int, list[str]]  # row -> text fields showing an Excel error


def _parse_columns(
    raw: DataRows, rows: list[int], multiplier: int
) -> tuple[dict[str, list[str]], _Parsed]:
    """The state of each of the rows' cells (what the schemas check) and their parsed
    values, a column at a time: a pure function of one cell runs once per distinct cell
    of the column."""

    def cells(field_name: str) -> list:
        column = raw.values.get(field_name)
        return [None] * len(rows) if column is None else [column[k] for k in rows]

    name_cells = cells("project_name")
    broken = list(map(_broken_cell, name_cells))
    names = [
        None if b else (clean_text(v) or None) for v, b in zip(name_cells, broken, strict=True)
    ]
    name_states = [
        b or ("ok" if name else "missing") for b, name in zip(broken, names, strict=True)
    ]
    provinces = _each_distinct(_province_state, cells("provinces"))
    amounts = _each_distinct(partial(_budget_state, multiplier=multiplier), cells("budget"))
    merged = raw.merged.get("budget")
    if merged:
        # One budget merged down over several projects: filling it in would count the
        # money once per row; only the top row keeps it.
        amounts = [
            ("merged", None) if k in merged else a for k, a in zip(rows, amounts, strict=True)
        ]
    starts = _each_distinct(_date_state, cells("start_date"))
    ends = _each_distinct(_date_state, cells("end_date"))
    start_values = [value for _, value in starts]
    end_values = [value for _, value in ends]
    end_states = [
        e_state if e_state != "ok" or not (start and end and end < start) else "before_start"
        for start, (e_state, end) in zip(start_values, ends, strict=True)
    ]
    text_cells = {f: _each_distinct(_text_cell, cells(f)) for f in TEXT_FIELDS if f != "strategy"}
    # Every citation of a ministry strategy is one strategy (S2 = ยุทธศาสตร์ที่ 2): parsed
    # once per distinct cell, as the other columns.
    strategies = _each_distinct(_strategy_cell, cells("strategy"))
    text_cells["strategy"] = [label for label, _ in strategies]
    text_cells = {f: text_cells[f] for f in TEXT_FIELDS}  # the fields' order, for _texts_row
    errors: dict[int, list[str]] = {}
    for idx, error in enumerate(map(excel_error, cells("seq"))):
        if error:
            errors.setdefault(idx, []).append("seq")
    for f in TEXT_FIELDS:
        if any(text is _ERROR_TEXT for text in text_cells[f]):
            for idx, text in enumerate(text_cells[f]):
                if text is _ERROR_TEXT:
                    errors.setdefault(idx, []).append(f)
            text_cells[f] = [None if text is _ERROR_TEXT else text for text in text_cells[f]]
    texts = list(starmap(_texts_row, zip(*text_cells.values(), strict=True)))
    states = {
        "name_state": name_states,
        "province_state": [state for state, _, _ in provinces],
        "budget_state": [state for state, _ in amounts],
        "start_state": [state for state, _ in starts],
        "end_state": end_states,
        "strategy_state": [state for _, state in strategies],
    }
    return states, _Parsed(
        names,
        [codes for _, codes, _ in provinces],
        [nw for _, _, nw in provinces],
        [value for _, value in amounts],
        start_values,
        end_values,
        texts,
        errors,
    )


def _broken_cell(value: object) -> str | None:
    """`_broken`, deciding a text cell by its first character where it can."""
    if value.__class__ is str and value[:1] not in _BROKEN_LEAD:
        return None
    return _broken(value)


# What an Excel error ("#REF!", " #N/A", "Err:502") or an unsaved formula starts with.
_BROKEN_LEAD = frozenset("#E \t" + FORMULA_MARK[0])


def _province_state(value: object) -> tuple[str, tuple[str, ...], bool]:
    broken = _broken_cell(value)
    if broken:
        return broken, (), False
    if is_blank(value):
        return "missing", (), False
    parsed = _province_cell(value)
    codes, nationwide = parsed.codes, parsed.nationwide
    if parsed.unknown:
        return "unknown", codes, nationwide
    if parsed.regions:
        return "region", codes, nationwide
    if not codes and not nationwide:
        return "missing", codes, nationwide
    return "ok", codes, nationwide


def _budget_state(value: object, multiplier: int) -> tuple[str, Decimal | None]:
    baht, problem = amount(value, multiplier)
    broken = _broken_cell(value)
    if broken:
        return broken, baht
    if problem == "budget_missing":
        return "missing", baht
    if problem == "budget_not_number":
        return "not_number", baht
    if problem == "budget_negative":
        return "negative", baht
    if baht == 0:
        return "zero", baht
    return "ok", baht


def _date_state(value: object) -> tuple[str, object]:
    parsed = parse_date(value)
    return _broken_cell(value) or ("invalid" if parsed.problem else "ok"), parsed.value


_ERROR_TEXT = object()  # what `_text_cell` gives for a cell showing an Excel error


def _text_cell(value: object):
    """The cell's clean text, None when blank, `_ERROR_TEXT` for an Excel error."""
    if value.__class__ is str and value[:1] not in _BROKEN_LEAD:
        return clean_text(value) or None
    if excel_error(value):
        return _ERROR_TEXT
    return clean_text(_as_text(value)) or None


def _strategy_cell(value: object) -> tuple[object, str]:
    """`_text_cell`, a citation of a ministry strategy made its reference label, and the
    strategy's state (`strategies.parse_strategy`)."""
    text = _text_cell(value)
    if text.__class__ is not str:
        return text, "ok"
    return parse_strategy(text)


def _check_totals(table: SheetTable, raw: DataRows, rows: list[Row]) -> list[Problem]:
    """A totals row should equal, as typed, the rows it closes: those since some boundary
    above it (the sheet's start, a section heading, an earlier total), which covers a
    grand total, a subtotal of its section and a total of several subtotals; or, for a
    total written at the top (a Budget Bureau habit), the rows from it down to some
    boundary below it."""
    running = Decimal(0)
    sums: list[Decimal] = []  # the running sum at each boundary, in sheet order
    totals: list[tuple[int, Decimal, int]] = []  # (boundary index, value, row)
    cells = raw.column("budget")
    for k, row in enumerate(rows):
        if row.outcome in ("accepted", "duplicate") and row.budget is not None:
            running += row.budget
        elif row.outcome in ("section", "total"):
            if row.outcome == "total":
                amount = parse_amount(cells[k], table.multiplier or 1)
                if amount.value is not None:
                    totals.append((len(sums), amount.value, k))
            sums.append(running)
    bounds = [Decimal(0), *sums, running]  # with the sheet's start and end
    problems = []
    for b, value, k in totals:
        here = bounds[b + 1]
        above = any(here - x == value for x in bounds[: b + 1])
        below = any(x - here == value for x in bounds[b + 2 :])
        if not (above or below):
            problems.append(
                Problem(
                    raw.sheet,
                    raw.row_numbers[k],
                    table.letter("budget"),
                    _as_text(cells[k]),
                    "total_mismatch",
                )
            )
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
