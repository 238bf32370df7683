"""Feedback workbooks for the agencies' focal points: what is wrong, where, and what to do.

One workbook per submission, read from the published plan and the archive:

- problems found: a copy of the agency's own workbook with each offending cell
  filled (red: error, yellow: warning) and commented (Thai, then English), behind a
  first sheet `ปัญหา (Problems)` that lists every problem (sheet, row, column, value as
  typed, reason, what to do, severity) with a link to the cell;
- a resubmission: also a sheet `เปลี่ยนแปลง (Changes)` against the version it replaced;
- no problem: a short receipt (projects accepted, total budget, thank you);
- a file rejected whole: one sheet saying what is wrong and what to do.

Files go to `<out_dir>/<AGENCY>/<year>_<file stem>_<id8>_feedback.xlsx` (`unrouted/` when
the agency is unknown). The stem is the safe form of the file's display name
(`names.safe_component`: no separator or control character, no leading dash or dot,
at most STEM_BYTES bytes of whole characters), so a 255-byte Thai name or one with a
newline still gives a short, valid path; the id prefix keeps cut names apart. The
content is a function of the plan and the archive only (no clock): writing twice gives
the same bytes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import importlib
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import openpyxl
from openpyxl.cell.cell import MergedCell
from openpyxl.comments import Comment
from openpyxl.utils import column_index_from_string, get_column_letter, quote_sheetname
from openpyxl.workbook import Workbook
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.merge import MergedCellRange
from openpyxl.worksheet.worksheet import Worksheet

from stiplan.assets.books import folders as xlsx_files
from stiplan.assets.excel.edit import fill, save_workbook, styled, use_styles
from stiplan.assets.excel.heights import fit_height, line_count, row_height, text_width
from stiplan.assets.excel.style import WRITER_VERSION
from stiplan.assets.excel.styles import ERROR_FILL, FILLS, FONT_SIZE, STYLES, WARNING_FILL
from stiplan.assets.ingest.names import safe_component, show
from stiplan.assets.ingest.text import thai_sort_key
from stiplan.assets.runtime.database import read_snapshot
from stiplan.schemas.fields import FIELD
from stiplan.schemas.problems import PROBLEMS, Problem

ERROR_RGB = "FF" + ERROR_FILL  # as openpyxl reads a fill back (with its alpha)
WARNING_RGB = "FF" + WARNING_FILL
PROBLEMS_SHEET = "ปัญหา (Problems)"
CHANGES_SHEET = "เปลี่ยนแปลง (Changes)"
RECEIPT_SHEET = "ได้รับแล้ว (Received)"
REJECTED_SHEET = "ไม่รับไฟล์ (Rejected)"
SUMMARY_LABEL = "สรุปผล (Summary)"
COMMENT_AUTHOR = "stiplan"
THAI_TIME = dt.timezone(dt.timedelta(hours=7), "ICT")  # Thailand keeps no summer time
OPENPYXL_TYPES = (".xlsx", ".xlsm")
CALAMINE_TYPES = (".xls", ".ods")

SEVERITY_LABEL = {"error": "ข้อผิดพลาด (Error)", "warning": "คำเตือน (Warning)"}
STATUS_LABEL = {
    "current": "ฉบับปัจจุบัน (current)",
    "superseded": "ถูกแทนที่ด้วยฉบับที่ส่งภายหลัง (superseded by a later version)",
    "rejected": "ไม่รับทั้งไฟล์ (rejected)",
}
CHANGE_LABEL = {
    "added": "เพิ่มโครงการ (added)",
    "removed": "ไม่มีในฉบับนี้ (removed)",
    "rejected": "ไม่รับในฉบับนี้ (rejected in this version: see the problems)",
    "budget_changed": "เปลี่ยนงบประมาณ (budget changed)",
    "provinces_changed": "เปลี่ยนจังหวัด (provinces changed)",
    "renamed": "เปลี่ยนชื่อ (renamed)",
}
CHANGE_ORDER = ("budget_changed", "provinces_changed", "renamed", "added", "rejected", "removed")
OUTCOME_LABEL = (
    ("accepted", "รับ", "accepted"),
    ("duplicate", "ซ้ำ", "duplicate"),
    ("rejected", "ไม่รับ", "rejected"),
    ("section", "หัวข้อ/หมายเหตุ", "heading"),
    ("total", "แถวรวม", "total"),
)
COMMENT_WIDTH = 54  # a comment box of 320 px holds the text of a column this wide
# Bytes of the file stem in a feedback file's name: with the year, the id and the
# suffix the name stays under 200 bytes, far from the 255-byte limit of one name
# (and room for the temporary name it is written under first).
STEM_BYTES = 120


def _sort_key(p: Problem, sheet_order: dict[str, int]) -> tuple:
    sheet_pos = -1 if p.sheet is None else sheet_order.get(p.sheet, len(sheet_order))
    col = column_index_from_string(p.column) if p.column else 0
    return (sheet_pos, p.sheet or "", p.row_number or 0, col, p.code, p.value or "")


@dataclass
class Submission:
    submission_id: str
    file_name: str
    received_at: dt.datetime
    agency_code: str | None
    fiscal_year: int | None
    status: str
    reason: str | None
    reason_code: str | None
    rows_read: int
    rows_accepted: int
    rows_rejected: int
    rows_duplicate: int
    supersedes: str | None
    problems: list[Problem] = field(default_factory=list)
    outcomes: dict[str, int] = field(default_factory=dict)
    changes: list[dict] = field(default_factory=list)
    total_budget: Decimal | None = None
    superseded_by: str | None = None


@dataclass
class Plan:
    submissions: dict[str, Submission]
    agencies: dict[str, tuple[str, str]]  # code -> (Thai name, English name)
    provinces: dict[str, str]  # code -> Thai name


# --------------------------------------------------------------------------- entry point


def write_feedback(
    plan: Path, archive: Path, out_dir: Path, previous: xlsx_files.Manifest | None = None
) -> xlsx_files.Written:
    """Write one feedback workbook per submission of `plan`; returns their paths, in
    submission_id order (and their fingerprints). One the folder of `previous` holds,
    unchanged, is linked from there (a new file from one agency changes the feedback
    on that file and on the one it replaces, no other). While the outputs' workers
    are started (`xlsx_files.active`), they share the rest, about as many rows each."""
    data = _load(Path(plan))
    files = _archive_index(Path(archive))
    out_dir = Path(out_dir)
    manifest = previous or xlsx_files.Manifest()
    sids = sorted(data.submissions)
    targets = {sid: _target(out_dir, data.submissions[sid]) for sid in sids}
    prints = {
        targets[sid].relative_to(out_dir).as_posix(): _fingerprint(data, sid, files.get(sid))
        for sid in sids
    }
    todo = [
        sid
        for sid in sids
        if not manifest.reuse(
            rel := targets[sid].relative_to(out_dir).as_posix(), prints[rel], targets[sid]
        )
    ]
    shared = xlsx_files.active()
    if shared is None or len(todo) < 2:
        _write_some((data, files, out_dir, todo))
        return xlsx_files.Written([targets[sid] for sid in sids], prints)
    shares: list[list[str]] = [[] for _ in range(min(shared.n, len(todo)))]
    load = [0] * len(shares)
    for sid in sorted(todo, key=lambda s: -_cost(data.submissions[s])):
        i = load.index(min(load))
        shares[i].append(sid)
        load[i] += _cost(data.submissions[sid])
    shared.map(
        _write_some,
        [(data, {s: files[s] for s in share if s in files}, out_dir, share) for share in shares],
    )
    return xlsx_files.Written([targets[sid] for sid in sids], prints)


# The modules whose code shapes a feedback workbook: their source is in its fingerprint
# (with the writer's version and openpyxl's), so a change to them writes it again.
_SHAPED_BY = (
    "stiplan.assets.books.feedback",
    "stiplan.assets.excel.edit",
    "stiplan.assets.excel.styles",
    "stiplan.assets.excel.heights",
    "stiplan.assets.ingest.names",
    "stiplan.schemas.fields",
    "stiplan.schemas.problems",
)


@functools.lru_cache(maxsize=1)
def _code_digest() -> str:
    h = hashlib.sha256(repr((WRITER_VERSION, openpyxl.__version__)).encode())
    for name in _SHAPED_BY:
        h.update(Path(importlib.import_module(name).__file__).read_bytes())
    return h.hexdigest()


def _canonical(value):
    """`value` in an order that does not depend on how it was read: `_load` reads the
    problems, outcomes and changes in no particular order (the workbooks sort them),
    so their order is no part of a fingerprint."""
    if dataclasses.is_dataclass(value):
        return (type(value).__name__, _canonical(dataclasses.asdict(value)))
    if isinstance(value, dict):
        return tuple(sorted(((k, _canonical(v)) for k, v in value.items()), key=repr))
    if isinstance(value, list | tuple):
        return tuple(sorted((_canonical(v) for v in value), key=repr))
    return value


def _fingerprint(data: Plan, sid: str, source: Path | None) -> str:
    """What a submission's feedback is made of: the submission, the ones it replaced
    and was replaced by (their rows are compared, their names shown), the reference's
    names, its archived file (named by the hash of its content) and the code."""
    sub = data.submissions[sid]
    near = [data.submissions.get(k or "") for k in (sub.supersedes, sub.superseded_by)]
    what = (
        _code_digest(),
        _canonical(sub),
        [_canonical(n) for n in near],
        sorted(data.agencies.items()),
        sorted(data.provinces.items()),
        source.name if source else None,
    )
    return hashlib.sha256(repr(what).encode("utf-8", "surrogatepass")).hexdigest()


def _cost(sub: Submission) -> int:
    """About how long a submission's feedback takes to write: a copy of the agency's
    workbook (its rows) when it has problems, a page otherwise."""
    return sub.rows_read + 20 if sub.problems else 10


def _target(out_dir: Path, sub: Submission) -> Path:
    return feedback_path(
        out_dir, sub.agency_code, sub.fiscal_year, sub.file_name, sub.submission_id
    )


def _write_some(task: tuple) -> list[Path]:
    """The feedback of some submissions (`task`: the plan as read, the archived files,
    the folder, their ids), in a worker or not."""
    data, files, out_dir, sids = task
    written = []
    for sid in sids:
        sub = data.submissions[sid]
        target = _target(out_dir, sub)
        wb = _build(sub, data, files.get(sid))
        _save(wb, target, sub.received_at)
        written.append(target)
    return written


def feedback_path(
    out_dir: Path,
    agency_code: str | None,
    fiscal_year: int | None,
    file_name: str,
    submission_id: str,
) -> Path:
    """Where a submission's feedback goes: derived from the agency code, the year, a
    short safe form of the file name and the id, never from the raw name."""
    folder = safe_component(agency_code, 40) if agency_code else "unrouted"
    year = str(int(fiscal_year)) if fiscal_year is not None else "unknown-year"
    name = show(file_name)
    stem = safe_component(name[: len(name) - len(Path(name).suffix)], STEM_BYTES)
    return out_dir / folder / f"{year}_{stem}_{submission_id[:8]}_feedback.xlsx"


# --------------------------------------------------------------------------- reading


def _load(plan: Path) -> Plan:
    con = read_snapshot(plan)
    try:

        def rows(sql: str) -> list[tuple]:
            return con.execute(sql).fetchall()

        subs: dict[str, Submission] = {}
        for r in rows("""SELECT submission_id, file_name, received_at, agency_code, fiscal_year,
                                status, reason, reason_code, rows_read, rows_accepted,
                                rows_rejected, rows_duplicate, supersedes
                         FROM submissions"""):
            sub = Submission(*r[:8], *(int(n or 0) for n in r[8:12]), r[12])
            subs[sub.submission_id] = sub
        for sub in subs.values():
            if sub.supersedes in subs:
                subs[sub.supersedes].superseded_by = sub.submission_id
        for (
            sid,
            *rest,
        ) in rows("""SELECT submission_id, sheet, row_number, column_letter, value, code
                                  FROM row_problems"""):
            if sid in subs:
                subs[sid].problems.append(Problem(*rest))
        for sid, outcome, n in rows("""SELECT submission_id, outcome, count(*) FROM source_rows
                                       GROUP BY ALL"""):
            if sid in subs:
                subs[sid].outcomes[outcome] = int(n)
        for sid, total in rows("""SELECT submission_id, sum(budget_baht) FROM projects
                                  GROUP BY ALL"""):
            if sid in subs:
                subs[sid].total_budget = total
        for r in rows("""SELECT submission_id, previous_submission_id, project_id, change,
                                project_name, budget_before, budget_after, provinces_before,
                                provinces_after FROM submission_changes"""):
            if r[0] in subs:
                subs[r[0]].changes.append(
                    dict(
                        zip(
                            (
                                "submission_id",
                                "previous_submission_id",
                                "project_id",
                                "change",
                                "project_name",
                                "budget_before",
                                "budget_after",
                                "provinces_before",
                                "provinces_after",
                            ),
                            r,
                            strict=True,
                        )
                    )
                )
        agencies = {
            c: (th, en) for c, th, en in rows("SELECT code, name_th, name_en FROM agencies")
        }
        provinces = dict(rows("SELECT code, name_th FROM provinces"))
    finally:
        con.close()
    return Plan(subs, agencies, provinces)


def _archive_index(archive: Path) -> dict[str, Path]:
    """submission_id -> archived file (`<id><original extension>`)."""
    index: dict[str, Path] = {}
    if archive.is_dir():
        for p in sorted(archive.iterdir()):
            sid = p.name.split(".", 1)[0]
            if len(sid) == 64 and p.is_file():
                index.setdefault(sid, p)
    return index


# --------------------------------------------------------------------------- building


def _build(sub: Submission, data: Plan, source: Path | None) -> Workbook:
    if sub.status == "rejected":
        return _rejected_workbook(sub, data)
    if not sub.problems:
        wb = _receipt_workbook(sub, data)
    else:
        wb, note = _agency_copy(source)
        _mark_cells(wb, sub.problems)
        _problems_sheet(wb, sub, data, note)
    if sub.supersedes:
        _changes_sheet(wb, sub, data)
    wb.active = 0
    for i, ws in enumerate(wb.worksheets):
        ws.sheet_view.tabSelected = i == 0
    return wb


def _agency_copy(path: Path | None) -> tuple[Workbook, str | None]:
    """The agency's workbook, to mark up; and a note when it is not a faithful copy."""
    kind = path.suffix.lower() if path else ""
    if path is not None and kind in OPENPYXL_TYPES:
        try:
            return use_styles(openpyxl.load_workbook(path, keep_vba=False)), None
        except Exception:  # noqa: BLE001 - fall back to the values, read by calamine
            pass
    if path is not None and kind in OPENPYXL_TYPES + CALAMINE_TYPES:
        try:
            wb = _rebuild_with_calamine(path)
            return wb, (
                f"สำเนานี้สร้างใหม่จากไฟล์ {kind} ของท่าน (เฉพาะค่าในช่อง ไม่รวมรูปแบบ): "
                f"แก้ไขในไฟล์ต้นฉบับแล้วส่งใหม่ / This copy was rebuilt from your {kind} "
                "file (cell values only, no formatting): correct your original file "
                "and send it again"
            )
        except Exception:  # noqa: BLE001 - list the problems even without a copy
            pass
    wb = use_styles(Workbook())
    wb.remove(wb.active)
    return wb, (
        "ไม่สามารถเปิดไฟล์ต้นฉบับเพื่อทำสำเนาได้: ดูรายการปัญหาด้านล่าง / The original "
        "file could not be copied: see the list below"
    )


def _rebuild_with_calamine(path: Path) -> Workbook:
    """A new workbook with the values of every sheet at their original positions."""
    from python_calamine import CalamineWorkbook

    source = CalamineWorkbook.from_path(str(path))
    wb = use_styles(Workbook())
    wb.remove(wb.active)
    try:
        for meta in source.sheets_metadata:
            ws = wb.create_sheet(meta.name)
            if "Visible" not in str(meta.visible):
                ws.sheet_state = "hidden"
            try:
                sheet = source.get_sheet_by_name(meta.name)
                values = sheet.to_python()
                start = sheet.start or (0, 0)
                merged = sheet.merged_cell_ranges or []
            except Exception:  # noqa: BLE001 - a chart sheet or an odd one: keep it empty
                continue
            r0, c0 = start
            widths: dict[int, int] = defaultdict(int)
            for i, row in enumerate(values):
                filled = [(j, v) for j, v in enumerate(row) if v is not None and v != ""]
                for j, value in filled:
                    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
                        value = int(value)
                    cell = ws.cell(row=r0 + i + 1, column=c0 + j + 1)
                    _put(cell, value)
                    styled(cell, "plain")
                    if len(filled) > 1:  # a lone title cell may spill over; a table sets widths
                        widths[c0 + j + 1] = max(widths[c0 + j + 1], _text_width(value))
                if filled:
                    ws.row_dimensions[r0 + i + 1].height = row_height(1)
            # The source's formatting is gone: give the values room to be read.
            for col, width in widths.items():
                ws.column_dimensions[get_column_letter(col)].width = min(max(width + 2, 8), 60)
            _page_setup(ws)
            for (ra, ca), (rb, cb) in merged:
                if (ra, ca) != (rb, cb):
                    ws.merge_cells(
                        start_row=ra + 1, start_column=ca + 1, end_row=rb + 1, end_column=cb + 1
                    )
    finally:
        source.close()
    return wb


def _mark_cells(wb: Workbook, problems: list[Problem]) -> None:
    by_cell: dict[tuple[str, str], list[Problem]] = defaultdict(list)
    for p in problems:
        if p.sheet and p.row_number and p.column and p.sheet in wb.sheetnames:
            by_cell[(p.sheet, f"{p.column}{p.row_number}")].append(p)
    fills = {sev: fill(rgb) for sev, rgb in FILLS.items()}  # the agency's own look stays
    for (sheet, ref), found in sorted(by_cell.items()):
        ws = wb[sheet]
        if not isinstance(ws, Worksheet):
            continue
        cell = ws[ref]
        if isinstance(cell, MergedCell):  # a comment lives on a merged range's first cell
            for rng in ws.merged_cells.ranges:
                if ref in rng:
                    cell = ws.cell(row=rng.min_row, column=rng.min_col)
                    break
        found.sort(key=lambda p: (p.severity != "error", p.code))
        cell.fill = fills["error" if any(p.severity == "error" for p in found) else "warning"]
        text = "\n\n".join(
            f"[{SEVERITY_LABEL.get(p.severity, p.severity)}]\n{p.th()}\n{p.en()}" for p in found
        )
        if cell.comment is not None and cell.comment.author != COMMENT_AUTHOR:
            text += f"\n\n(ความเห็นเดิม / original comment)\n{cell.comment.text}"
        comment = Comment(text, COMMENT_AUTHOR)
        comment.width = 320
        comment.height = 24 + 20 * line_count(text, COMMENT_WIDTH)
        cell.comment = comment
        if ws.sheet_state != "visible":  # a marked cell must be seen
            ws.sheet_state = "visible"


# --------------------------------------------------------------------------- our sheets


def _problems_sheet(wb: Workbook, sub: Submission, data: Plan, note: str | None) -> None:
    order = {name: i for i, name in enumerate(wb.sheetnames)}
    ws = wb.create_sheet(_free_title(wb, PROBLEMS_SHEET), 0)
    errors = sum(p.severity == "error" for p in sub.problems)
    warnings = len(sub.problems) - errors
    lines = [
        ("ผลการตรวจไฟล์ที่ส่ง / Feedback on your submission", "title"),
        *_identity_lines(sub, data),
        (
            f"อ่าน {sub.rows_read:,} แถว: รับ {sub.rows_accepted:,}, ไม่รับ {sub.rows_rejected:,}, "
            f"ซ้ำ {sub.rows_duplicate:,} / Rows read {sub.rows_read:,}: accepted "
            f"{sub.rows_accepted:,}, rejected {sub.rows_rejected:,}, duplicate "
            f"{sub.rows_duplicate:,}",
            "bold",
        ),
        (f"{SUMMARY_LABEL}: {_outcome_summary(sub)}", "bold"),
        (
            f"พบ {len(sub.problems):,} ปัญหา: ข้อผิดพลาด {errors:,}, คำเตือน {warnings:,} / "
            f"{len(sub.problems):,} problem(s): {errors:,} error(s), {warnings:,} warning(s)",
            None,
        ),
        (
            "แก้ไขช่องที่ระบายสีแดงในแผ่นงานของท่าน (แถวนั้นไม่ได้รับเข้าแผน) และตรวจช่องสีเหลือง "
            "แล้วส่งไฟล์ทั้งไฟล์อีกครั้ง / Correct the red cells in your sheets (those rows were "
            "not taken into the plan), check the yellow ones, then send the whole file again.",
            None,
        ),
    ]
    if sub.reason:
        lines.append((f"หมายเหตุ / Note: {sub.reason}", None))
    if note:
        lines.append((note, None))
    widths = [16, 7, 11, 22, 34, 38, 46, 18]
    _set_widths(ws, widths)
    row = _write_lines(ws, lines, len(widths))
    header = [
        "แผ่นงาน\n(Sheet)",
        "แถว\n(Row)",
        "คอลัมน์\n(Column)",
        "ค่าที่กรอก\n(Value as typed)",
        "ปัญหา\n(Reason, Thai)",
        "Reason (English)",
        "วิธีแก้\n(What to do)",
        "ระดับ\n(Severity)",
    ]
    header_row = row + 1
    _table_header(ws, header_row, header, widths)
    for i, p in enumerate(sorted(sub.problems, key=lambda p: _sort_key(p, order))):
        r = header_row + 1 + i
        what_th, todo_th = p.what("th"), p.todo("th")
        what_en, todo_en = p.what("en"), p.todo("en")
        todo = "\n".join(t for t in (todo_th, todo_en) if t)
        values = [
            p.sheet if p.sheet is not None else "(ทั้งไฟล์ / whole file)",
            p.row_number,
            p.column,
            p.value,
            what_th,
            what_en,
            todo,
            SEVERITY_LABEL.get(p.severity, p.severity),
        ]
        for j, v in enumerate(values, start=1):
            cell = ws.cell(row=r, column=j)
            _put(cell, v)
            styled(cell, "number" if j in (2, 3) else "cell")
        styled(ws.cell(row=r, column=8), "error" if p.severity == "error" else "warning")
        if p.sheet in wb.sheetnames and p.row_number:
            target = ws.cell(row=r, column=3 if p.column else 2)
            ref = f"{p.column or 'A'}{p.row_number}"
            target.hyperlink = Hyperlink(
                ref=target.coordinate,
                location=f"{quote_sheetname(p.sheet)}!{ref}",
                tooltip="ไปที่ช่องนี้ / Go to the cell",
            )
            styled(target, "link")
        _fit_row(ws, r, values, widths)
    last = header_row + max(len(sub.problems), 1)
    ws.auto_filter.ref = f"A{header_row}:{get_column_letter(len(widths))}{last}"
    ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
    _page_setup(ws, title_rows=f"{header_row}:{header_row}")


def _changes_sheet(wb: Workbook, sub: Submission, data: Plan) -> None:
    ws = wb.create_sheet(_free_title(wb, CHANGES_SHEET), 1)
    prev = data.submissions.get(sub.supersedes or "")
    prev_text = (
        f"{show(prev.file_name)} (ได้รับ / received {_when(prev.received_at)})"
        if prev
        else (sub.supersedes or "")
    )
    lines = [
        ("การเปลี่ยนแปลงเทียบกับฉบับก่อนหน้า / Changes against the previous version", "title"),
        (
            f"ฉบับนี้ / This version: {show(sub.file_name)} (ได้รับ / received "
            f"{_when(sub.received_at)})",
            None,
        ),
        (f"ฉบับก่อนหน้า / Previous version: {prev_text}", None),
        (
            "เทียบเฉพาะโครงการที่รับเข้าแผน; งบประมาณเป็นบาท / Only accepted projects are "
            "compared; budgets in baht",
            None,
        ),
    ]
    if not sub.changes:
        lines.append(("ไม่มีการเปลี่ยนแปลงในโครงการที่รับ / No change to the accepted projects", "bold"))
    widths = [26, 46, 18, 18, 18, 30, 30]
    _set_widths(ws, widths)
    row = _write_lines(ws, lines, len(widths))
    header_row = row + 1
    _table_header(
        ws,
        header_row,
        [
            "การเปลี่ยนแปลง\n(Change)",
            f"{FIELD['project_name'].header_th}\n(Project)",
            "งบประมาณเดิม\n(Budget before)",
            "งบประมาณใหม่\n(Budget after)",
            "ผลต่าง\n(Difference)",
            "จังหวัดเดิม\n(Provinces before)",
            "จังหวัดใหม่\n(Provinces after)",
        ],
        widths,
    )
    changes = sorted(
        sub.changes,
        key=lambda c: (
            CHANGE_ORDER.index(c["change"]) if c["change"] in CHANGE_ORDER else len(CHANGE_ORDER),
            thai_sort_key(c["project_name"] or ""),
            c["project_id"] or "",
        ),
    )
    for i, c in enumerate(changes):
        r = header_row + 1 + i
        before, after = c["budget_before"], c["budget_after"]
        diff = (after or Decimal(0)) - (before or Decimal(0))
        values = [
            CHANGE_LABEL.get(c["change"], c["change"]),
            c["project_name"],
            before,
            after,
            diff,
            _province_names(c["provinces_before"], data),
            _province_names(c["provinces_after"], data),
        ]
        for j, v in enumerate(values, start=1):
            cell = ws.cell(row=r, column=j)
            _put(cell, v)
            styled(cell, "money" if j in (3, 4, 5) else "cell")
        _fit_row(ws, r, values, widths)
    ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
    _page_setup(ws, title_rows=f"{header_row}:{header_row}")


def _receipt_workbook(sub: Submission, data: Plan) -> Workbook:
    wb = use_styles(Workbook())
    ws = wb.active
    ws.title = RECEIPT_SHEET
    lines = [
        ("ได้รับไฟล์ของท่านแล้ว / Your submission was received", "title"),
        *_identity_lines(sub, data),
        (
            f"รับโครงการเข้าแผน {sub.rows_accepted:,} โครงการ / {sub.rows_accepted:,} project(s) "
            "accepted",
            "bold",
        ),
    ]
    if sub.status == "superseded":
        lines.append(
            (
                "งบประมาณรวมดูได้ในผลตรวจของฉบับที่ส่งภายหลัง / For the total budget, see "
                "the feedback on the later version",
                None,
            )
        )
    else:
        total = sub.total_budget or Decimal("0.00")
        lines.append((f"งบประมาณรวม {total:,.2f} บาท / Total budget {total:,.2f} baht", "bold"))
    lines.append((f"{SUMMARY_LABEL}: {_outcome_summary(sub)}", None))
    if sub.reason:
        lines.append((f"หมายเหตุ / Note: {sub.reason}", None))
    lines += [
        ("ไม่พบปัญหาในไฟล์นี้ ขอบคุณที่ส่งข้อมูล / No problem was found in this file. Thank you.", "bold"),
        (f"รหัสอ้างอิง / Reference: {sub.submission_id}", "small"),
    ]
    _write_lines(ws, lines, 1)
    ws.column_dimensions["A"].width = 110
    _page_setup(ws)
    return wb


def _rejected_workbook(sub: Submission, data: Plan) -> Workbook:
    wb = use_styles(Workbook())
    ws = wb.active
    ws.title = REJECTED_SHEET
    code = sub.reason_code if sub.reason_code in PROBLEMS else "file_unreadable"
    r = PROBLEMS[code]
    what_th, todo_th, what_en, todo_en = r.what_th, r.todo_th, r.what_en, r.todo_en
    lines = [
        ("ไม่สามารถรับไฟล์นี้ได้ / This file could not be accepted", "title"),
        *_identity_lines(sub, data),
        ("ไม่มีแถวใดของไฟล์นี้ถูกนำเข้าแผน / No row of this file was taken into the plan", "bold"),
        ("", None),
        ("ปัญหา (What is wrong)", "heading"),
        (what_th, "bold"),
        (what_en, None),
        ("", None),
        ("วิธีแก้ (What to do)", "heading"),
        (todo_th or what_th, "bold"),
        (todo_en or what_en, None),
        ("แก้ไขแล้วส่งไฟล์ทั้งไฟล์อีกครั้ง / Then send the whole file again", None),
        ("", None),
        (f"รายละเอียดจากระบบ / Details: {sub.reason or r.en}", "small"),
        (f"รหัสเหตุผล / Reason code: {code}", "small"),
        (f"รหัสอ้างอิง / Reference: {sub.submission_id}", "small"),
    ]
    _write_lines(ws, lines, 1)
    ws.column_dimensions["A"].width = 110
    _page_setup(ws)
    return wb


# --------------------------------------------------------------------------- helpers


def _identity_lines(sub: Submission, data: Plan) -> list[tuple[str, str | None]]:
    if sub.agency_code:
        th, en = data.agencies.get(sub.agency_code, ("", ""))
        agency = f"{sub.agency_code} {th} ({en})" if th else sub.agency_code
    else:
        agency = "ระบุไม่ได้ (unknown)"
    year = str(sub.fiscal_year) if sub.fiscal_year is not None else "ระบุไม่ได้ (unknown)"
    lines = [
        (f"ไฟล์ / File: {show(sub.file_name)}", "bold"),
        (f"ได้รับเมื่อ / Received: {_when(sub.received_at)}", None),
        (f"หน่วยงาน / Agency: {agency}", None),
        (f"ปีงบประมาณ (พ.ศ.) / Fiscal year (BE): {year}", None),
        (f"สถานะ / Status: {STATUS_LABEL.get(sub.status, sub.status)}", None),
    ]
    later = data.submissions.get(sub.superseded_by or "")
    if sub.status == "superseded" and later is not None:
        lines.append(
            (
                f"ฉบับที่ใช้แทน / Replaced by: {show(later.file_name)} (ได้รับ / received "
                f"{_when(later.received_at)})",
                None,
            )
        )
    return lines


def _outcome_summary(sub: Submission) -> str:
    parts = [f"{th} {sub.outcomes.get(key, 0):,} ({en})" for key, th, en in OUTCOME_LABEL]
    return ", ".join(parts)


def _when(value) -> str:
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.astimezone(THAI_TIME).strftime("%Y-%m-%d %H:%M:%S") + " (เวลาไทย / ICT)"
    return "" if value is None else str(value)


def _province_names(key: str | None, data: Plan) -> str | None:
    if key is None:
        return None
    if key == "*":
        return "ทั่วประเทศ (nationwide)"
    return ", ".join(data.provinces.get(c, c) for c in key.split(",") if c)


def _free_title(wb: Workbook, title: str) -> str:
    name, n = title, 2
    while name in wb.sheetnames:
        name = f"{title[:27]} {n}"
        n += 1
    return name


def _put(cell, value) -> None:
    """Write a value; text is always text, never a formula (=, +, -, @)."""
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"


# the kinds of line of `_write_lines`, as named styles
_LINE_STYLE = {
    "title": "title",
    "heading": "heading",
    "bold": "strong",
    "small": "note",
    None: "line",
}


def _write_lines(ws: Worksheet, lines: list[tuple[str, str | None]], span: int) -> int:
    """Write text lines from A1 down (each merged over `span` columns); returns the last row."""
    for r, (text, kind) in enumerate(lines, start=1):
        cell = ws.cell(row=r, column=1)
        _put(cell, text)
        styled(cell, _LINE_STYLE[kind])
        if span > 1:
            _merge_row(ws, r, span)
        width = (
            sum(ws.column_dimensions[get_column_letter(c)].width or 13 for c in range(1, span + 1))
            if span > 1
            else 110
        )
        ws.row_dimensions[r].height = fit_height(text, STYLES[_LINE_STYLE[kind]].size, width)
    return len(lines)


def _merge_row(ws: Worksheet, row: int, span: int) -> None:
    """`ws.merge_cells` of columns 1..span of `row`. openpyxl then copies the first
    cell's border to the merged cells' edges and its protection to them all, hashing
    every style of the workbook for each cell (5 ms a merge in an agency's copy): when
    that cell has no border and the default protection, the copy changes no cell's
    style, and the merged cells are made as openpyxl makes them, without it."""
    start = ws.cell(row=row, column=1)
    sides = (getattr(start.border, name) for name in ("top", "left", "right", "bottom"))
    if start._style.protectionId or any(s is not None and s.style is not None for s in sides):
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=span)
        return
    merged = MergedCellRange(ws, f"A{row}:{get_column_letter(span)}{row}")
    ws.merged_cells.add(merged)
    for r, c in list(merged.cells)[1:]:  # all but the first, as `_clean_merge_range`
        ws._cells[r, c] = MergedCell(ws, row=r, column=c)


def _table_header(ws: Worksheet, row: int, titles: list[str], widths: list[int]) -> None:
    for j, title in enumerate(titles[: len(widths)], start=1):
        cell = ws.cell(row=row, column=j)
        _put(cell, title)
        styled(cell, "header")
    _fit_row(ws, row, titles, widths, FONT_SIZE * 1.1)  # bold glyphs are wider


def _set_widths(ws: Worksheet, widths: list[int]) -> None:
    for j, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(j)].width = width


def _fit_row(
    ws: Worksheet, row: int, values: list, widths: list[int], size: float = FONT_SIZE
) -> None:
    ws.row_dimensions[row].height = max(
        fit_height(_display(v), size, w) for v, w in zip(values, widths, strict=True)
    )


def _text_width(value) -> int:
    return max((text_width(part) for part in _display(value).split("\n")), default=0)


def _display(value) -> str:
    if value is None:
        return ""
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def _page_setup(ws: Worksheet, title_rows: str | None = None) -> None:
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.5
    if title_rows:
        ws.print_title_rows = title_rows


# --------------------------------------------------------------------------- saving


def _save(wb: Workbook, target: Path, received_at) -> None:
    """No clock in the bytes: the document dates are the submission's receipt time, so
    the same plan gives the same file."""
    save_workbook(wb, target, received_at)
