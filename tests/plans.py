"""Parsed submissions built in memory, and the working database the real merge writes
from them (`build_tables` + `write_database`): the plan stage tested without reading a
single workbook."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import duckdb

from stiplan.assets.consolidate.merge import build_tables, write_database
from stiplan.assets.ingest.cache import digest_of
from stiplan.assets.ingest.route import Identity
from stiplan.assets.ingest.submission import ParsedSubmission
from stiplan.assets.ingest.validate import Problem, Row
from stiplan.schemas.warehouse import TABLES

WHEN = dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC)
AGENCIES = ["NSTDA", "DSS", "TISTR"]
STRATEGY = "ยุทธศาสตร์ที่ 1"


def row(
    n: int,
    name: str,
    provinces=("TH-50",),
    budget="1000.50",
    outcome="accepted",
    reason=None,
    nationwide=False,
    strategy: str | None = STRATEGY,
    duplicate_of: int | None = None,
) -> Row:
    return Row(
        "Sheet1",
        n,
        outcome=outcome,
        reason_code=reason,
        project_name=name,
        name_key=name.casefold(),
        province_codes=tuple(provinces),
        nationwide=nationwide,
        budget=Decimal(budget) if outcome in ("accepted", "duplicate") else None,
        start_date=dt.date(2011, 10, 1),
        end_date=None,
        texts={"strategy": strategy, "remarks": None},
        duplicate_of=duplicate_of,
    )


def submission(
    agency: str, rows: list[Row], year: int = 2555, reason: str | None = None
) -> ParsedSubmission:
    return ParsedSubmission(
        Identity(agency, year).reject(reason) if reason else Identity(agency, year),
        rows=rows,
        problems=[
            Problem("Sheet1", r.row_number, "C", "?", r.reason_code)
            for r in rows
            if r.outcome == "rejected"
        ],
    )


def file(sid: str, name: str, agency: str | None, minute: int, year: int = 2555) -> dict:
    """A registry record of a file received `minute` minutes after WHEN."""
    return {
        "submission_id": sid,
        "file_name": name,
        "agency_code": agency,
        "received_at": (WHEN + dt.timedelta(minutes=minute)).isoformat(),
        "route_code": None if agency else "agency_unknown",
        "route_detail": None,
        "fiscal_year": year,
    }


def sid_of(text: str) -> str:
    return text.ljust(64, "0")


def corpus(version: int = 1) -> tuple[list[dict], dict[str, ParsedSubmission]]:
    """Three agencies, FY 2555: six projects each in one of Chiang Mai, Bangkok and
    Lamphun, a joint project in two provinces, a rejected row and a nationwide project.
    With version=2, DSS sends a second version in which its local budgets changed."""
    parsed, files = {}, []
    for k, agency in enumerate(AGENCIES):
        rows = [
            row(
                5 + i,
                f"โครงการ {agency} {i}",
                provinces=[("TH-50", "TH-10", "TH-51")[i % 3]],
                budget=f"{1000 + i}.25",
            )
            for i in range(6)
        ]
        rows.append(row(11, "โครงการพัฒนาเกษตรอัจฉริยะร่วม", provinces=("TH-50", "TH-51")))
        rows.append(row(12, "", outcome="rejected", reason="name_missing"))
        rows.append(row(13, "ทั่วประเทศ", nationwide=True, provinces=()))
        sid = sid_of(f"{agency.lower()}1")
        parsed[sid] = submission(agency, rows)
        files.append(file(sid, f"{agency}_2555.xlsx", agency, k))
    if version == 2:
        rows = [
            row(r.row_number, r.project_name, r.province_codes, str(r.budget + 1))
            if r.outcome == "accepted" and not r.nationwide
            else r
            for r in parsed[sid_of("dss1")].rows
        ]
        sid = sid_of("dss2")
        parsed[sid] = submission("DSS", rows)
        files.append(file(sid, "DSS_2555_revised.xlsx", "DSS", 9))
    return files, parsed


def build(files, parsed, keep: Path | None = None, loaded: list | None = None) -> dict:
    """The merge's tables; `loaded` collects the submissions it had to read."""

    def load(sids):
        if loaded is not None:
            loaded.extend(sids)
        return {s: parsed[s] for s in sids}

    digests = {sid: digest_of(p) for sid, p in parsed.items()}
    return build_tables(files, [], digests, load, keep=keep)


def dump(path: Path) -> dict[str, list[tuple]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in TABLES}
    finally:
        con.close()


def written(tables: dict, path: Path) -> dict[str, list[tuple]]:
    write_database(path, tables)
    return dump(path)


def write_plan(path: Path, files, parsed) -> Path:
    """The working database the merge writes from these submissions."""
    write_database(path, build(files, parsed))
    return path
