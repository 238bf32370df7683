"""What to run for an inbox scan: the one planner of work, used by the inbox sensor and
by `stiplan run` alike.

Pure: it takes the routed files and the agencies to read again, and gives the runs
to request. Each run reads a block of agencies that sit next to each other in the
agency list (a Dagster partition range), so only the partitions that received
something are materialised, in as few runs as that allows: files for OPS and TCELS
make two one-partition runs, not a range over the 13 agencies between them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from stiplan.assets.ingest.registry import InboxFile, Route
from stiplan.schemas.reference import AGENCIES

AGENCY_ORDER = [a.code for a in AGENCIES]


@dataclass(frozen=True)
class IngestRun:
    """Read these agencies (consecutive in `AGENCY_ORDER`) in one run."""

    agencies: tuple[str, ...]
    files: tuple[InboxFile, ...] = ()  # the new files routed to them
    fiscal_years: tuple[str, ...] = ()  # as routing saw them ("?" when unknown)

    @property
    def first(self) -> str:
        return self.agencies[0]

    @property
    def last(self) -> str:
        return self.agencies[-1]

    @property
    def key(self) -> str:
        """Names the run by what it takes, so the same files never start two runs."""
        return run_key(self.files) if self.files else "+".join(self.agencies)


@dataclass(frozen=True)
class Work:
    ingest: list[IngestRun] = field(default_factory=list)
    unrouted: tuple[InboxFile, ...] = ()  # new files no agency could be found for

    @property
    def agencies(self) -> list[str]:
        return [a for run in self.ingest for a in run.agencies]

    def __bool__(self) -> bool:
        return bool(self.ingest or self.unrouted)


def run_key(files: Iterable[InboxFile]) -> str:
    parts = sorted(f"{f.submission_id}:{f.raw.hex()}" for f in files)
    return hashlib.sha256("\n".join(parts).encode("ascii")).hexdigest()[:16]


def plan_work(
    new: Iterable[InboxFile], routes: Mapping[str, Route], again: Iterable[str] = ()
) -> Work:
    """The runs that take `new` files (routed by `routes`, keyed by submission id) and
    read the agencies of `again` once more (files registered but not yet published,
    or every agency when a planner asks for it)."""
    new = list(new)
    by_agency: dict[str, list[InboxFile]] = {}
    unrouted = []
    for f in new:
        agency = routes[f.submission_id].agency_code
        if agency is None:
            unrouted.append(f)
        else:
            by_agency.setdefault(agency, []).append(f)
    touched = set(by_agency) | set(again)
    blocks: list[list[str]] = []
    for index, code in enumerate(AGENCY_ORDER):
        if code not in touched:
            continue
        if blocks and AGENCY_ORDER.index(blocks[-1][-1]) == index - 1:
            blocks[-1].append(code)
        else:
            blocks.append([code])
    runs = []
    for block in blocks:
        files = tuple(f for code in block for f in by_agency.get(code, []))
        years = sorted({str(routes[f.submission_id].fiscal_year or "?") for f in files})
        runs.append(IngestRun(agencies=tuple(block), files=files, fiscal_years=tuple(years)))
    return Work(ingest=runs, unrouted=tuple(unrouted))
