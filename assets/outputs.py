"""What people take away, written from the published plan after every publish:
the plan book per fiscal year, feedback to every agency, one extract per province.

Each folder is written from a snapshot of the published plan into a private
folder, swapped in whole, then stamped with the content fingerprint (SHA-256) of
the plan it was written from (`warehouse/.work/outputs/<folder>.sha256`, written
last). A folder whose stamp is not the published plan's was interrupted (a kill,
a full disk) or written from an older plan, and the next `stiplan run` writes it
again.

The three folders are three assets of one step (`output_folders`, a multi-asset:
one asset or any two can still be asked for) that writes them together, from one
snapshot: a thread per folder, and one pool of worker processes for the pieces
they hand out (the extracts' batches of provinces, the feedback, a long project
list's slices), forked at the start of the step, so both cores are busy at every
plan size. A very big plan's folders are written one after the other, on the same
workers (`TOGETHER_ROWS`: memory).

The plan books and extracts are given the current folder to reuse from: a workbook
whose content did not change (its fingerprint is in the folder's manifest,
`warehouse/.work/outputs/<folder>.manifest.json`, saved with the swap) is
hard-linked into the new folder rather than written again; of one that changed, the
parts of its big lists that did not (an agency's rows) are copied from it, compressed,
and only the rest is rendered (`Manifest.parts`).
"""

import contextlib
import os
import shutil
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import dagster as dg

from stiplan.assets.books.stamps import (  # noqa: F401 - the stamps' API, used here and by runs
    OUTPUT_FOLDERS,
    _manifest,
    _stamped,
    _write_stamp,
    plan_fingerprint,
    stale_outputs,
)
from stiplan.assets.ingest.names import md_cell
from stiplan.assets.plan import published_plan
from stiplan.assets.resources import StiplanConfig
from stiplan.assets.runtime.faults import checkpoint
from stiplan.assets.runtime.lock import SNAPSHOT, remove, restore_folder, writer_lock
from stiplan.schemas.warehouse import Paths

if TYPE_CHECKING:  # the writers are imported when the step runs: loading the code
    from stiplan.assets.books.folders import Manifest  # location (a run's start) skips them

AFTER_PUBLISH = dg.AutomationCondition.eager()
# Province rows above which the workers are fresh interpreters, not forks of this
# process: their second of imports is small against the writing then, and a fork of a
# process that has just merged a big plan copies much of what it holds as it writes
# (160,000 projects, when the merge ran in this process: 1.24 GiB for the run at its
# peak, forked; 0.9 fresh). The merge now runs in a child of its own, and a run after
# one agency's file writes little: the second of imports is most of the workers' work.
FORK_ROWS = 300_000
# Province rows above which the folders are written one after the other (still on the
# workers): the plan book's and the extracts' preparing, side by side, would hold
# 2.3 GB of a million-row plan at once; the two cores are busy either way.
TOGETHER_ROWS = 500_000


def _token() -> str:
    return os.urandom(4).hex()


def _snapshot(p: Paths) -> tuple[Path, str]:
    """A private, unchanging view of the published plan and its fingerprint. The plan
    is only ever replaced by a rename, never written in place, so a hard link is a
    snapshot (a copy where links are not allowed). Take it with the writer lock."""
    snap = p.work / "outputs" / f".plan.{_token()}.{os.getpid()}{SNAPSHOT}"  # see lock.sweep
    snap.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(p.plan, snap)
    except OSError:
        shutil.copyfile(p.plan, snap)
    return snap, plan_fingerprint(snap)


# The folders of a step take the writer lock one at a time: it is re-entrant per
# process (`lock.writer_lock`), so threads of one process would not exclude each other.
_LOCKED = threading.Lock()


@contextlib.contextmanager
def _locked(p: Paths, who: str, on_wait) -> Iterator[None]:
    with _LOCKED, writer_lock(p, who=who, on_wait=on_wait):
        yield


@contextlib.contextmanager
def shared_snapshot(p: Paths, who: str, on_wait) -> Iterator[tuple[Path, str]]:
    """One snapshot of the published plan (and its fingerprint) for every folder a step
    writes, removed after them."""
    with _locked(p, who, on_wait):
        snap, fingerprint = _snapshot(p)
    try:
        yield snap, fingerprint
    finally:
        snap.unlink(missing_ok=True)
        for spill in snap.parent.glob(snap.name + ".*"):  # DuckDB's .tmp folder, its .wal
            remove(spill)


def _rebuild(
    p: Paths, folder: Path, write, who: str, on_wait, snapshot: tuple[Path, str] | None = None
) -> tuple[list[Path], str, bool]:
    """Write a folder from a snapshot of the published plan into a private folder, then
    swap it in whole: no stale file survives a new plan, and a reader never sees half
    a set. The writer lock is held only to take the snapshot and to swap, so merges
    and publishes never wait for the workbooks being written; outputs already
    current are never replaced by ones written from an older plan meanwhile.
    `snapshot`: one taken already (`shared_snapshot`), else the folder takes its own.
    Returns the files, the plan's fingerprint, and whether they were swapped in."""
    if snapshot is None:
        with _locked(p, who, on_wait):
            snap, fingerprint = _snapshot(p)
    else:
        snap, fingerprint = snapshot
    tmp = folder.with_name(f".{folder.name}.{_token()}.{os.getpid()}.building")
    try:
        tmp.mkdir(parents=True)
        written = write(snap, tmp)
        checkpoint("outputs-write")
        with _locked(p, who, on_wait):
            restore_folder(folder)  # a swap a kill interrupted is undone first
            current = plan_fingerprint(p.plan)
            if current != fingerprint and folder.is_dir() and _stamped(p, folder.name) == current:
                return [], fingerprint, False  # a newer plan's outputs are already there
            if getattr(written, "fingerprints", None) is not None:
                from stiplan.assets.books.folders import Manifest

                # saved before the swap: if a kill comes between, the files it
                # describes are not the folder's, and nothing is taken from it
                Manifest.of(tmp, written).save(_manifest(p, folder.name))
            old = folder.with_name(f".{folder.name}.old")
            if folder.exists():
                folder.rename(old)
                checkpoint("outputs-swap")
            tmp.rename(folder)
            shutil.rmtree(old, ignore_errors=True)
            checkpoint("stamp")
            _write_stamp(p, folder.name, fingerprint)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)  # a full disk gets its space back
        if snapshot is None:
            snap.unlink(missing_ok=True)
    return [folder / f.relative_to(tmp) for f in written], fingerprint, True


def _listing(folder: Path, files: list[Path], limit: int = 30) -> dg.MetadataValue:
    """The files written, each a link that opens it (the UI runs where the files are)."""
    lines = [
        f"- [{md_cell(str(p.relative_to(folder)))}]({p.as_uri()})" for p in sorted(files)[:limit]
    ]
    if len(files) > limit:
        lines.append(f"- … and {len(files) - limit} more")
    return dg.MetadataValue.md("\n".join(lines) or "none")


@dataclass(frozen=True)
class Folder:
    """One output asset: its folder under outputs/ and how it is written
    (`write(plan, paths, out, previous)`, `previous` the folder's manifest as it is:
    see xlsx_files)."""

    name: str
    folder: str
    description: str
    write: Callable[[Path, Paths, Path, "Manifest"], list[Path]]


def _plan_books(plan: Path, p: Paths, out: Path, previous: "Manifest") -> list[Path]:
    from stiplan.assets.books.planbook import write_planbooks

    return write_planbooks(plan, out, previous)


def _feedback(plan: Path, p: Paths, out: Path, previous: "Manifest") -> list[Path]:
    from stiplan.assets.books.feedback import write_feedback

    return write_feedback(plan, p.archive, out, previous)


def _extracts(plan: Path, p: Paths, out: Path, previous: "Manifest") -> list[Path]:
    from stiplan.assets.books.extracts import write_province_extracts

    return write_province_extracts(plan, out, previous)


FOLDERS = [
    Folder(
        "plan_books",
        "planbook",
        "outputs/planbook/: the plan book of each fiscal year (.xlsx).",
        _plan_books,
    ),
    Folder(
        "agency_feedback",
        "feedback",
        "outputs/feedback/<AGENCY>/ (and unrouted/): what each submitter must fix.",
        _feedback,
    ),
    Folder(
        "province_extracts",
        "provinces",
        "outputs/provinces/<year>/: one workbook per province for Area Based planning.",
        _extracts,
    ),
]


class _FolderFailed(Exception):
    def __init__(self, failure: dg.Failure):
        self.failure = failure


def _write_folder(
    context: dg.AssetExecutionContext, f: Folder, p: Paths, snapshot: tuple[Path, str]
) -> dg.MaterializeResult:
    from stiplan.assets.books.folders import Manifest

    folder = p.outputs / f.folder
    try:
        files, fingerprint, swapped = _rebuild(
            p,
            folder,
            lambda plan, out: f.write(plan, p, out, Manifest.load(_manifest(p, f.folder), folder)),
            who=f"Dagster run {context.run_id[:8]} ({f.name})",
            on_wait=lambda who: context.log.info(f"waiting for {who}"),
            snapshot=snapshot,
        )
    except OSError as exc:  # a full disk, a refused permission: the machine's
        raise _FolderFailed(
            dg.Failure(
                description=f"could not write {folder}: {exc}",
                metadata={"folder": str(folder), "error": str(exc)},
                allow_retries=False,
            )
        ) from exc
    return dg.MaterializeResult(
        asset_key=dg.AssetKey(f.name),
        metadata={
            "files": len(files),
            "path": dg.MetadataValue.path(str(folder)),
            "plan_sha256": fingerprint,
            "written": _listing(folder, files)
            if swapped
            else dg.MetadataValue.md("none: the outputs of a newer plan were written meanwhile"),
        },
    )


@dg.multi_asset(
    name="write_output_folders",
    specs=[
        dg.AssetSpec(
            f.name,
            deps=[published_plan],
            group_name="outputs",
            kinds={"excel"},
            automation_condition=AFTER_PUBLISH,
            description=f.description,
        )
        for f in FOLDERS
    ],
    can_subset=True,
    description="The output folders selected, written together from one snapshot of "
    "the published plan, on every core.",
)
def output_folders(context: dg.AssetExecutionContext, stiplan: StiplanConfig):
    """Each selected folder is written by a thread of its own (one thread for them all
    past TOGETHER_ROWS); whatever they hand out
    (the province extracts' batches, a long project list's slices, the feedback)
    goes to one pool of worker processes, started first (forked before any thread
    starts: see xlsx_files.Pool), so both cores stay busy whatever the plan's size.
    A folder that fails (a full disk) fails the step, the others are still written
    and reported; the plan stays published."""
    from stiplan.assets.books import folders as xlsx_files
    from stiplan.assets.books.planbook import cached_plan

    chosen = [f for f in FOLDERS if dg.AssetKey(f.name) in context.selected_asset_keys]
    p = stiplan.paths
    who = f"Dagster run {context.run_id[:8]} (outputs)"
    failures: list[BaseException] = []
    with shared_snapshot(p, who, lambda holder: context.log.info(f"waiting for {holder}")) as snap:
        data = cached_plan(snap[0])  # read once, before workers are forked: they have it too
        rows = sum(a.projects for y in data.years for a in data.year(y).areas.values())
        together = len(chosen) if rows <= TOGETHER_ROWS else 1
        fork = xlsx_files.forking() and rows <= FORK_ROWS
        if fork:  # imported once, here, rather than by each worker after the fork
            from stiplan.assets.books import extracts, feedback  # noqa: F401
        with (
            xlsx_files.pool(fork=fork),
            ThreadPoolExecutor(together, thread_name_prefix="outputs") as threads,
        ):
            running = {threads.submit(_write_folder, context, f, p, snap): f for f in chosen}
            for done in as_completed(running):
                xlsx_files.trim()  # what a folder's writer held, back before the rest go on
                try:
                    result = done.result()
                except BaseException as exc:  # noqa: BLE001 - the others go on
                    failures.append(exc)
                    continue
                checkpoint("outputs")
                yield result
    for exc in failures:  # the machine's failure first: it is what a planner is told
        if isinstance(exc, _FolderFailed):
            raise exc.failure from exc.__cause__
    if failures:
        raise failures[0]


OUTPUT_ASSETS = [output_folders]
assert set(OUTPUT_FOLDERS) == {k.path[-1] for a in OUTPUT_ASSETS for k in a.keys}
assert OUTPUT_FOLDERS == {f.name: f.folder for f in FOLDERS}
