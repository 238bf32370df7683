"""Building a new file's agency-year share while the router's child holds its parse
(`cache.route_and_store`): handed to the router by `stiplan run` as a function, so the
reading layer never imports the merge. Light to import: the merge is imported by the
child that calls it (the readers' fork server has it preloaded)."""

from __future__ import annotations

from pathlib import Path


def keep_share_ahead(
    root: Path, agency: str, year: int, chain: list[str], parsed_dir: Path, parsed: dict
) -> None:
    """`merge.keep_share`: build and keep the share of this chain unless it is kept."""
    from stiplan.assets.consolidate.merge import keep_share

    keep_share(root, agency, year, chain, parsed_dir, parsed)
