"""Which agency a name means: exact matching of agency names, abbreviations, codes and
aliases (schemas/reference.py), in a cell or a file name."""

from __future__ import annotations

import re
from collections import defaultdict
from functools import lru_cache
from pathlib import PurePath

from stiplan.assets.ingest.text import clean_text, header_key
from stiplan.schemas.reference import AGENCIES

# "(องค์การมหาชน)" / "(Public Organization)" is part of some official names but often omitted.
_PUBLIC_ORG = re.compile(r"\(\s*(?:องค์การมหาชน|public\s+organi[sz]ation)\s*\)", re.IGNORECASE)
_NEUTRAL_PARTS = frozenset({"องค์การมหาชน", "publicorganization", "publicorganisation"})


def _agency_index() -> dict[str, frozenset[str]]:
    index: defaultdict[str, set[str]] = defaultdict(set)
    for a in AGENCIES:
        for name in (a.code, a.name_th, a.name_en, a.abbr_th, *a.aliases):
            if not name:
                continue
            # A Thai abbreviation is written with or without its final dot.
            for variant in (name, name.removesuffix("."), _PUBLIC_ORG.sub(" ", name)):
                if key := header_key(variant):
                    index[key].add(a.code)
    return {k: frozenset(v) for k, v in index.items()}


_AGENCY_INDEX = _agency_index()
_ambiguous = {k: v for k, v in _AGENCY_INDEX.items() if len(v) > 1}
if _ambiguous:
    raise ValueError(f"reference data: ambiguous agency names {_ambiguous}")


def _split_last_group(text: str) -> tuple[str, str] | None:
    """`HEAD (GROUP)` -> (HEAD, GROUP), brackets balanced (`... (Thailand) (NIMT)`)."""
    text = text.rstrip()
    if not text.endswith(")"):
        return None
    depth = 0
    for i in range(len(text) - 1, -1, -1):
        depth += {")": 1, "(": -1}.get(text[i], 0)
        if depth == 0:
            return text[:i], text[i + 1 : -1]
    return None


def _agreeing(parts: list[str]) -> str | None:
    codes: set[str] = set()
    for part in parts:
        if header_key(part) in _NEUTRAL_PARTS or not header_key(part):
            continue
        code = match_agency(part)  # each part is shorter than the whole: recursion ends
        if code is None:
            return None
        codes.add(code)
    return codes.pop() if len(codes) == 1 else None


def match_agency(value: object) -> str | None:
    """Agency code whose code/name/abbreviation/alias equals the WHOLE value, else None.

    Whole-value equality only (กรมวิทยาศาสตร์บริการ contains มว but is DSS). Also takes
    `NAME (ABBR)`, `ABBR (NAME)`, `NAME (Public Organization) (ABBR)`: every part must be
    known and all parts must name the same agency.
    """
    try:
        text = clean_text(value)
    except Exception:  # noqa: BLE001 - a value we cannot read names no agency
        return None
    return _match_text(text)


# An official name carries at most two bracket groups ("(องค์การมหาชน) (สทอภ.)"); more
# are never a name, and peeling them all would cost 2^n matches.
_MAX_GROUPS = 3


@lru_cache(maxsize=16384)
def _match_text(text: str) -> str | None:
    key = header_key(text)
    if not key:
        return None
    if key in _AGENCY_INDEX:
        codes = _AGENCY_INDEX[key]
        return next(iter(codes)) if len(codes) == 1 else None
    head = text.replace("（", "(").replace("）", ")")
    groups: list[str] = []
    # Peel trailing bracket groups one by one; the head keeps any bracket of its own name.
    while len(groups) < _MAX_GROUPS and (split := _split_last_group(head)):
        head, group = split
        groups.insert(0, group)
        if code := _agreeing([head, *groups]):
            return code
    return None


_NAME_PART = re.compile(r"[^_\-.\s]+")
_MAX_NAME_PARTS = 12


def agency_from_filename(file_name: str) -> str | None:
    """Agency named by the file name (`NSTDA_2555.xlsx`, `สป.วท._2555.xlsx`), else None.

    The stem is split on `_ - .` and spaces; runs of adjacent parts are tried longest first
    (so `สป.วท` is matched whole), each exactly. All matches must agree on one agency.
    """
    stem = clean_text(PurePath(str(file_name)).stem)
    spans = [m.span() for m in _NAME_PART.finditer(stem)]
    found: set[str] = set()
    i = 0
    while i < len(spans):
        # An agency's longest name is 10 words; longer runs name nothing.
        for j in range(min(len(spans), i + _MAX_NAME_PARTS) - 1, i - 1, -1):
            code = match_agency(stem[spans[i][0] : spans[j][1]])
            if code:
                found.add(code)
                i = j
                break
        i += 1
    return found.pop() if len(found) == 1 else None
