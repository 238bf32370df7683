"""What to run for an inbox scan: the one planner of work, used by the inbox sensor and
by `stiplan run` alike.

Pure: it takes the routed files and the agency-years to read again, and gives the
runs to request. Partitions are agency × fiscal year; each run reads, for one fiscal
year, a block of agencies that sit next to each other in the agency list (a Dagster
partition range), so only the partitions that received something are materialised,
in as few runs as that allows: files for OPS and TCELS make two one-partition runs,
not a range over the 13 agencies between them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from stiplan.assets.ingest.registry import InboxFile, Route
from stiplan.schemas.reference import AGENCIES

AGENCY_ORDER = [a.code for a in AGENCIES]


def _partitions():
    """assets/partitions.py, imported on first use: it imports Dagster, which `stiplan
    run` imports in a thread while its children read the new files, not before."""
    from stiplan.assets import partitions

    return partitions


@dataclass(frozen=True)
class IngestRun:
    """Read these agencies (consecutive in `AGENCY_ORDER`) for one fiscal year in one run."""

    agencies: tuple[str, ...]
    fiscal_year: str  # a partition key: "2555", or "unknown"
    files: tuple[InboxFile, ...] = ()  # the new files routed to them

    @property
    def first(self) -> str:
        """The first partition of the run's range (`OPS|2555`)."""
        return _partitions().submission_key(self.agencies[0], self.fiscal_year)

    @property
    def last(self) -> str:
        return _partitions().submission_key(self.agencies[-1], self.fiscal_year)

    @property
    def partitions(self) -> list[str]:
        submission_key = _partitions().submission_key
        return [submission_key(a, self.fiscal_year) for a in self.agencies]

    @property
    def key(self) -> str:
        """Names the run by what it takes, so the same files never start two runs."""
        return (
            run_key(self.files) if self.files else f"{'+'.join(self.agencies)}@{self.fiscal_year}"
        )


@dataclass(frozen=True)
class Work:
    ingest: list[IngestRun] = field(default_factory=list)
    unrouted: tuple[InboxFile, ...] = ()  # new files no agency could be found for

    @property
    def agencies(self) -> list[str]:
        """Every agency read, once, in the agency list's order."""
        read = {a for run in self.ingest for a in run.agencies}
        return [a for a in AGENCY_ORDER if a in read]

    @property
    def fiscal_years(self) -> list[str]:
        return sorted({run.fiscal_year for run in self.ingest})

    def __bool__(self) -> bool:
        return bool(self.ingest or self.unrouted)


def run_key(files: Iterable[InboxFile]) -> str:
    parts = sorted(f"{f.submission_id}:{f.raw.hex()}" for f in files)
    return hashlib.sha256("\n".join(parts).encode("ascii")).hexdigest()[:16]


def plan_work(
    new: Iterable[InboxFile],
    routes: Mapping[str, Route],
    again: Iterable[tuple[str, object]] = (),
    bridges: Iterable[tuple[str, object]] = (),
) -> Work:
    """The runs that take `new` files (routed by `routes`, keyed by submission id) and
    read the (agency, fiscal year) pairs of `again` once more (files registered but not
    yet published, or everything when a planner asks for it).

    `bridges` are agency-years that already hold files: read again, they cost little and
    change nothing, so a block may run through them to join the agencies on either side
    (a folder copied in again, minus the few files already sent, is one run, not one per
    gap). A block never runs through an agency-year that holds nothing: its partition
    would turn green for a plan never sent."""
    route_place, year_key = _partitions().route_place, _partitions().year_key
    by_place: dict[tuple[str, str], list[InboxFile]] = {}
    unrouted = []
    for f in new:
        route = routes[f.submission_id]
        if route.agency_code is None:
            unrouted.append(f)
        else:
            by_place.setdefault(route_place(route), []).append(f)
    touched = set(by_place) | {(agency, year_key(year)) for agency, year in again}
    held = {(agency, year_key(year)) for agency, year in bridges}
    runs = []
    for year in sorted({y for _, y in touched}):
        blocks: list[list[str]] = []
        gap: list[str] | None = None  # held agency-years right after the last block
        for code in AGENCY_ORDER:
            if (code, year) in touched:
                if gap is not None:
                    blocks[-1].extend([*gap, code])
                else:
                    blocks.append([code])
                gap = []
            elif (code, year) in held and gap is not None:
                gap.append(code)
            else:
                gap = None  # nothing here: the next touched agency starts a block
        for block in blocks:
            files = tuple(f for code in block for f in by_place.get((code, year), []))
            runs.append(IngestRun(agencies=tuple(block), fiscal_year=year, files=files))
    return Work(ingest=runs, unrouted=tuple(unrouted))
