"""The README's table list names every table of the warehouse."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_the_readme_lists_every_warehouse_table():
    from stiplan.schemas.warehouse import SUMMARIES, TABLES

    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Querying the plan") :]
    section = section[: section.index("\n## ")]
    listed = set(re.findall(r"`(\w+)`", section))
    for summary in SUMMARIES:  # written `summary_by_agency`, `_province`, ...
        listed.add("summary_by" + summary.removeprefix("summary_by"))
        if f"`_{summary.removeprefix('summary_by_')}`" in section:
            listed.add(summary)
    missing = sorted({*TABLES, *SUMMARIES, "submission_status"} - listed)
    assert missing == []
