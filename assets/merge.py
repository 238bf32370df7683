"""Merge every submission into the working plan database.

The working database is rebuilt whole from the registry and the parsed
submissions on every merge. That makes a merge deterministic: the same files
give the same tables, bit for bit, which is what idempotence needs.
"""

from __future__ import annotations

import os
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import duckdb
import pandas as pd

from stiplan.assets.candidates import find_candidates
from stiplan.assets.database import fsync_dir, fsync_file
from stiplan.assets.faults import checkpoint
from stiplan.assets.identity import assign_ids, province_key, split_budget
from stiplan.assets.routing import UNOPENABLE
from stiplan.assets.submission import ParsedSubmission
from stiplan.schemas.reasons import REASONS, describe
from stiplan.schemas.reference import AGENCIES, PROVINCES
from stiplan.schemas.warehouse import SUMMARIES, TABLES

SATANG = Decimal("0.01")


def _satang(d: Decimal) -> int:
    return int((d / SATANG).to_integral_value())


def _baht(satang: int) -> str:
    sign = "-" if satang < 0 else ""
    whole, cents = divmod(abs(satang), 100)
    return f"{sign}{whole}.{cents:02d}"


def build_tables(files: list[dict], arrivals: list[dict],
                 parsed: dict[str, ParsedSubmission]) -> dict[str, list[dict]]:
    """All contract tables as lists of records (pure; no database)."""
    submissions, chains = _submissions(files, parsed)
    source_rows: list[dict] = []
    problems: list[dict] = []
    projects: list[dict] = []
    shares: list[dict] = []
    changes: list[dict] = []
    for (agency, year), chain in sorted(chains.items()):
        versions = [parsed[sid] for sid in chain]
        keys = [[(r.name_key, province_key(r.province_codes, r.nationwide))
                 for r in v.rows if r.outcome == "accepted"] for v in versions]
        ids = assign_ids(agency, year, keys)
        accepted = [{pid: r for pid, r in zip(version_ids, [r for r in v.rows
                                                             if r.outcome == "accepted"],
                                               strict=True)}
                    for v, version_ids in zip(versions, ids, strict=True)]
        for pos in range(1, len(chain)):
            changes += _changes(chain[pos - 1], chain[pos], accepted[pos - 1], accepted[pos])
        for pos, (sid, version, version_ids) in enumerate(zip(chain, versions, ids, strict=True)):
            current = pos == len(chain) - 1
            row_ids: list[str | None] = []
            it = iter(version_ids)
            for r in version.rows:
                if r.outcome == "accepted":
                    row_ids.append(next(it))
                elif r.outcome == "duplicate":
                    row_ids.append(row_ids[r.duplicate_of])
                else:
                    row_ids.append(None)
            for r, pid in zip(version.rows, row_ids, strict=True):
                source_rows.append({
                    "submission_id": sid, "sheet": r.sheet, "row_number": r.row_number,
                    "outcome": r.outcome,
                    "reason": describe(r.reason_code) if r.reason_code else None,
                    "reason_code": r.reason_code, "project_id": pid})
                if current and r.outcome == "accepted":
                    projects.append(_project(pid, agency, year, sid, r))
                    if not r.nationwide:
                        for code, share in split_budget(_satang(r.budget), list(r.province_codes)):
                            shares.append({"project_id": pid, "province_code": code,
                                           "budget_share_baht": _baht(share)})
            for p in version.problems:
                reason = REASONS[p.code]
                problems.append({
                    "submission_id": sid, "sheet": p.sheet, "row_number": p.row_number,
                    "column": p.column or None, "value": p.value, "code": p.code,
                    "severity": reason.severity, "message_th": reason.th,
                    "message_en": reason.en})
    candidates = find_candidates(projects)
    for p in projects:
        del p["province_codes"]
    return {
        "agencies": [{"code": a.code, "abbr_th": a.abbr_th or None, "name_th": a.name_th,
                      "name_en": a.name_en} for a in AGENCIES],
        "provinces": [{"code": p.code, "name_th": p.name_th, "name_en": p.name_en,
                       "region": p.region, "region_th": p.region_th, "region_4": p.region_4,
                       "cluster_th": p.cluster_th, "cluster_en": p.cluster_en}
                      for p in PROVINCES],
        "submissions": submissions,
        "arrivals": [{k: a[k] for k in ("submission_id", "file_name", "seen_at")}
                     for a in arrivals],
        "source_rows": source_rows,
        "row_problems": problems,
        "projects": projects,
        "project_provinces": shares,
        "duplicate_candidates": candidates,
        "submission_changes": changes,
    }


def _changes(prev_sid: str, sid: str, before: dict, after: dict) -> list[dict]:
    """What a resubmission changed against the version it superseded."""
    out = []
    for pid in sorted(before.keys() | after.keys()):
        b, a = before.get(pid), after.get(pid)
        if b is None:
            change = "added"
        elif a is None:
            change = "removed"
        elif b.budget != a.budget:
            change = "budget_changed"
        elif (b.province_codes, b.nationwide) != (a.province_codes, a.nationwide):
            change = "provinces_changed"
        elif b.project_name != a.project_name:
            change = "renamed"
        else:
            continue
        out.append({
            "submission_id": sid, "previous_submission_id": prev_sid, "project_id": pid,
            "change": change, "project_name": (a or b).project_name,
            "budget_before": _baht(_satang(b.budget)) if b else None,
            "budget_after": _baht(_satang(a.budget)) if a else None,
            "provinces_before": province_key(b.province_codes, b.nationwide) if b else None,
            "provinces_after": province_key(a.province_codes, a.nationwide) if a else None,
        })
    return out


def _project(pid: str, agency: str, year: int, sid: str, r) -> dict:
    return {
        "project_id": pid, "fiscal_year": year, "agency_code": agency,
        "project_name": r.project_name, "budget_baht": _baht(_satang(r.budget)),
        "nationwide": r.nationwide, "strategy": r.texts.get("strategy"),
        "target_group": r.texts.get("target_group"), "start_date": r.start_date,
        "end_date": r.end_date, "contact_name": r.texts.get("contact_name"),
        "contact_phone": r.texts.get("contact_phone"), "remarks": r.texts.get("remarks"),
        "submission_id": sid, "sheet": r.sheet, "row_number": r.row_number,
        "province_codes": r.province_codes,
    }


def _submissions(files: list[dict], parsed: dict[str, ParsedSubmission]):
    """Submission rows, and per (agency, year) the chain of versions taken, oldest first.
    Newer = first seen later; within one intake, later mtime, then name (the registry's
    order). A rejected file never supersedes."""
    subs = []
    chains: dict[tuple[str, int], list[str]] = defaultdict(list)
    for f in files:  # registry order: received_at, mtime_ns, file_name
        sid = f["submission_id"]
        p = parsed.get(sid)
        row = {"submission_id": sid, "file_name": f["file_name"],
               "received_at": f["received_at"], "agency_code": f["agency_code"],
               "fiscal_year": None, "status": "rejected", "reason": None, "reason_code": None,
               "rows_read": 0, "rows_accepted": 0, "rows_rejected": 0, "rows_duplicate": 0,
               "supersedes": None}
        if f["agency_code"] is None or p is None:
            code = f["route_code"] or "file_unreadable"
            row["reason_code"], row["reason"] = code, describe(code, f["route_detail"] or "")
        elif p.rejected:
            ident = p.identity
            row["agency_code"] = ident.agency_code or f["agency_code"]
            row["fiscal_year"] = ident.fiscal_year
            if row["fiscal_year"] is None and ident.reason_code in UNOPENABLE:
                row["fiscal_year"] = f["fiscal_year"]  # routed by its name (assets/routing.py)
            row["reason_code"] = ident.reason_code
            row["reason"] = describe(ident.reason_code, ident.detail)
        else:
            key = (p.identity.agency_code, p.identity.fiscal_year)
            row["agency_code"], row["fiscal_year"] = key
            row["status"] = "current"
            counts = defaultdict(int)
            for r in p.rows:
                counts[r.outcome] += 1
            row.update(rows_read=len(p.rows), rows_accepted=counts["accepted"],
                       rows_rejected=counts["rejected"], rows_duplicate=counts["duplicate"])
            if chains[key]:
                row["supersedes"] = chains[key][-1]
            chains[key].append(sid)
        subs.append(row)
    superseded = {sid for chain in chains.values() for sid in chain[:-1]}
    for row in subs:
        if row["submission_id"] in superseded:
            row["status"] = "superseded"
        elif row["status"] == "current" and row["rows_accepted"] == 0:
            row["reason_code"] = "no_current_rows"
            row["reason"] = describe("no_current_rows")
    return subs, chains


def _frame(records: list[dict], table: str) -> pd.DataFrame:
    """Text for every value: DuckDB casts it to the contract's type exactly (no
    float ever touches a budget)."""
    cols = [name for name, _ in TABLES[table]]
    data = {c: [None if r[c] is None else _text(r[c]) for r in records] for c in cols}
    return pd.DataFrame({c: pd.Series(v, dtype="object") for c, v in data.items()})


def _text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def write_database(path: Path, tables: dict[str, list[dict]]) -> None:
    """Write all tables into a fresh DuckDB file, then swap it in whole: a kill at any
    moment leaves `path` as it was or complete. The temporary file (and its WAL) is
    removed on failure; one a kill left behind is removed by the next writer
    (`stiplan.assets.lock.sweep`)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.building")
    wal = tmp.with_name(tmp.name + ".wal")
    for leftover in (tmp, wal):  # never let DuckDB replay a stale log into a new file
        leftover.unlink(missing_ok=True)
    try:
        con = duckdb.connect(str(tmp))
        try:
            for name, columns in TABLES.items():
                ddl = ", ".join(f'"{c}" {t}' for c, t in columns)
                con.execute(f"CREATE TABLE {name} ({ddl})")
                frame = _frame(tables[name], name)  # noqa: F841 - read by DuckDB below
                select = ", ".join(f'CAST("{c}" AS {t})' for c, t in columns)
                con.execute(f"INSERT INTO {name} SELECT {select} FROM frame")
                checkpoint("merge")
            _summaries(con)
            con.execute("CHECKPOINT")
        finally:
            con.close()
        fsync_file(tmp)
        os.replace(tmp, path)
    except BaseException:
        for leftover in (tmp, wal):
            leftover.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def _summaries(con: duckdb.DuckDBPyConnection) -> None:
    from stiplan.assets.summaries import SUBMISSION_STATUS_SQL, SUMMARY_SQL

    for name in SUMMARIES:
        con.execute(f"CREATE TABLE {name} AS {SUMMARY_SQL[name]}")
    con.execute(f"CREATE TABLE submission_status AS {SUBMISSION_STATUS_SQL}")
