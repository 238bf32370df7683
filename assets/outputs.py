"""What people take away, written from the published plan after every publish:
the plan book per fiscal year, feedback to every agency, one extract per province.

Each folder is written from a snapshot of the published plan into a private
folder, swapped in whole, then stamped with the content fingerprint (SHA-256) of
the plan it was written from (`warehouse/.work/outputs/<folder>.sha256`, written
last). A folder whose stamp is not the published plan's was interrupted (a kill,
a full disk) or written from an older plan, and the next `stiplan run` writes it
again.

The plan books and extracts are given the current folder to reuse from: a workbook
whose content did not change (its fingerprint is in the folder's manifest,
`warehouse/.work/outputs/<folder>.manifest.json`, saved with the swap) is
hard-linked into the new folder rather than written again.
"""

import os
import shutil
from pathlib import Path

import dagster as dg

from stiplan.assets.extracts import write_province_extracts
from stiplan.assets.faults import checkpoint
from stiplan.assets.feedback import write_feedback
from stiplan.assets.lock import restore_folder, writer_lock
from stiplan.assets.output_stamps import (  # noqa: F401 - the stamps' API, used here and by runs
    OUTPUT_FOLDERS,
    _manifest,
    _stamped,
    _write_stamp,
    plan_fingerprint,
    stale_outputs,
)
from stiplan.assets.plan import published_plan
from stiplan.assets.planbook import write_planbooks
from stiplan.assets.xlsx_files import Manifest
from stiplan.settings import Paths, paths

AFTER_PUBLISH = dg.AutomationCondition.eager()


def _token() -> str:
    return os.urandom(4).hex()


def _snapshot(p: Paths) -> tuple[Path, str]:
    """A private, unchanging view of the published plan and its fingerprint. The plan
    is only ever replaced by a rename, never written in place, so a hard link is a
    snapshot (a copy where links are not allowed). Take it with the writer lock."""
    snap = p.work / "outputs" / f".plan.{_token()}.{os.getpid()}.snapshot"  # see lock.sweep
    snap.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(p.plan, snap)
    except OSError:
        shutil.copyfile(p.plan, snap)
    return snap, plan_fingerprint(snap)


def _rebuild(p: Paths, folder: Path, write, who: str, on_wait) -> tuple[list[Path], str, bool]:
    """Write a folder from a snapshot of the published plan into a private folder, then
    swap it in whole: no stale file survives a new plan, and a reader never sees half
    a set. The writer lock is held only to take the snapshot and to swap, so merges
    and publishes never wait for the workbooks being written; outputs already
    current are never replaced by ones written from an older plan meanwhile.
    Returns the files, the plan's fingerprint, and whether they were swapped in."""
    with writer_lock(p, who=who, on_wait=on_wait):
        snap, fingerprint = _snapshot(p)
    tmp = folder.with_name(f".{folder.name}.{_token()}.{os.getpid()}.building")
    try:
        tmp.mkdir(parents=True)
        written = write(snap, tmp)
        checkpoint("outputs-write")
        with writer_lock(p, who=who, on_wait=on_wait):
            restore_folder(folder)  # a swap a kill interrupted is undone first
            current = plan_fingerprint(p.plan)
            if current != fingerprint and folder.is_dir() and _stamped(p, folder.name) == current:
                return [], fingerprint, False  # a newer plan's outputs are already there
            if getattr(written, "fingerprints", None) is not None:
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
        snap.unlink(missing_ok=True)
    return [folder / f.relative_to(tmp) for f in written], fingerprint, True


def _listing(folder: Path, files: list[Path], limit: int = 30) -> dg.MetadataValue:
    lines = [f"- `{p.relative_to(folder)}`" for p in sorted(files)[:limit]]
    if len(files) > limit:
        lines.append(f"- … and {len(files) - limit} more")
    return dg.MetadataValue.md("\n".join(lines) or "none")


def _output_asset(name: str, folder_name: str, description: str, write) -> dg.AssetsDefinition:
    """An asset that rewrites one folder of outputs/ from the published plan;
    `write(plan, paths, out, previous)` may reuse the unchanged files of the folder as
    it is (`previous`, its manifest: see xlsx_files)."""

    @dg.asset(name=name, deps=[published_plan], group_name="outputs", kinds={"excel"},
              automation_condition=AFTER_PUBLISH, description=description)
    def _asset(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        p = paths()
        folder = p.outputs / folder_name
        try:
            files, fingerprint, swapped = _rebuild(
                p, folder, lambda plan, out: write(
                    plan, p, out, Manifest.load(_manifest(p, folder_name), folder)),
                who=f"Dagster run {context.run_id[:8]} ({name})",
                on_wait=lambda who: context.log.info(f"waiting for {who}"))
        except OSError as exc:  # a full disk, a refused permission: the machine's
            raise dg.Failure(
                description=f"could not write {folder}: {exc}",
                metadata={"folder": str(folder), "error": str(exc)},
                allow_retries=False) from exc
        checkpoint("outputs")
        return dg.MaterializeResult(metadata={
            "files": len(files), "path": str(folder), "plan_sha256": fingerprint,
            "written": _listing(folder, files) if swapped else dg.MetadataValue.md(
                "none: the outputs of a newer plan were written meanwhile")})

    return _asset


plan_books = _output_asset(
    "plan_books", "planbook", "outputs/planbook/: the plan book of each fiscal year (.xlsx).",
    lambda plan, p, out, previous: write_planbooks(plan, out, previous))
agency_feedback = _output_asset(
    "agency_feedback", "feedback",
    "outputs/feedback/<AGENCY>/ (and unrouted/): what each submitter must fix.",
    lambda plan, p, out, previous: write_feedback(plan, p.archive, out))
province_extracts = _output_asset(
    "province_extracts", "provinces",
    "outputs/provinces/<year>/: one workbook per province for Area Based planning.",
    lambda plan, p, out, previous: write_province_extracts(plan, out, previous))

OUTPUT_ASSETS = [plan_books, agency_feedback, province_extracts]
assert set(OUTPUT_FOLDERS) == {a.key.path[-1] for a in OUTPUT_ASSETS}
