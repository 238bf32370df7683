"""What people take away, written from the published plan after every publish:
the plan book per fiscal year, feedback to every agency, one extract per province."""

import shutil
from pathlib import Path

import dagster as dg

from stiplan.assets.extracts import write_province_extracts
from stiplan.assets.feedback import write_feedback
from stiplan.assets.plan import published_plan
from stiplan.assets.planbook import write_planbooks
from stiplan.settings import paths

AFTER_PUBLISH = dg.AutomationCondition.eager()


def _rebuild(folder: Path, write) -> list[Path]:
    """Write into a fresh folder, then swap it in: no stale file survives a new plan,
    and a reader never sees half a set."""
    tmp = folder.with_name(f".{folder.name}.building")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    written = write(tmp)
    old = folder.with_name(f".{folder.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if folder.exists():
        folder.rename(old)
    tmp.rename(folder)
    shutil.rmtree(old, ignore_errors=True)
    return [folder / p.relative_to(tmp) for p in written]


def _listing(folder: Path, files: list[Path], limit: int = 30) -> dg.MetadataValue:
    lines = [f"- `{p.relative_to(folder)}`" for p in sorted(files)[:limit]]
    if len(files) > limit:
        lines.append(f"- … and {len(files) - limit} more")
    return dg.MetadataValue.md("\n".join(lines) or "none")


def _output_asset(name: str, folder_name: str, description: str, write) -> dg.AssetsDefinition:
    """An asset that rewrites one folder of outputs/ from the published plan."""

    @dg.asset(name=name, deps=[published_plan], group_name="outputs", kinds={"excel"},
              automation_condition=AFTER_PUBLISH, description=description)
    def _asset(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        p = paths()
        folder = p.outputs / folder_name
        files = _rebuild(folder, lambda out: write(p, out))
        return dg.MaterializeResult(metadata={"files": len(files), "path": str(folder),
                                              "written": _listing(folder, files)})

    return _asset


plan_books = _output_asset(
    "plan_books", "planbook", "outputs/planbook/: the plan book of each fiscal year (.xlsx).",
    lambda p, out: write_planbooks(p.plan, out))
agency_feedback = _output_asset(
    "agency_feedback", "feedback",
    "outputs/feedback/<AGENCY>/ (and unrouted/): what each submitter must fix.",
    lambda p, out: write_feedback(p.plan, p.archive, out))
province_extracts = _output_asset(
    "province_extracts", "provinces",
    "outputs/provinces/<year>/: one workbook per province for Area Based planning.",
    lambda p, out: write_province_extracts(p.plan, out))

OUTPUT_ASSETS = [plan_books, agency_feedback, province_extracts]
