"""Which outputs were written from the published plan: each folder's stamp is the
SHA-256 of the plan it was written from (`warehouse/.work/outputs/<folder>.sha256`,
written last). Kept apart from the writers so that a run with nothing new can ask
without importing them."""

from __future__ import annotations

import hashlib
from pathlib import Path

from stiplan.assets.excel.save import write_bytes
from stiplan.schemas.warehouse import Paths

# output asset -> its folder under warehouse/outputs/
OUTPUT_FOLDERS = {
    "plan_books": "planbook",
    "agency_feedback": "feedback",
    "province_extracts": "provinces",
}


def plan_fingerprint(plan: Path) -> str:
    """SHA-256 of the published plan's bytes."""
    with open(plan, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _stamp(p: Paths, folder_name: str) -> Path:
    return p.work / "outputs" / f"{folder_name}.sha256"


def _manifest(p: Paths, folder_name: str) -> Path:
    return p.work / "outputs" / f"{folder_name}.manifest.json"


def _write_stamp(p: Paths, folder_name: str, fingerprint: str) -> None:
    write_bytes(_stamp(p, folder_name), f"{fingerprint}\n".encode("ascii"), durable=True)


def _stamped(p: Paths, folder_name: str) -> str:
    try:
        return _stamp(p, folder_name).read_text(encoding="ascii").strip()
    except OSError:
        return ""


def stale_outputs(p: Paths) -> list[str]:
    """The output assets whose folder is missing or was not written from the published
    plan as it is now (none when there is no published plan to write from)."""
    if not p.plan.exists():
        return []
    fingerprint = plan_fingerprint(p.plan)
    return [
        name
        for name, folder_name in OUTPUT_FOLDERS.items()
        if _stamped(p, folder_name) != fingerprint or not (p.outputs / folder_name).is_dir()
    ]
