"""Stable project ids across an agency's versions of one fiscal year's submission.

An id is derived from (agency, fiscal year, normalised name, province set). A
corrected resubmission keeps an id when that key matches the previous version,
or else when the name alone is unique in both versions (so fixing a province
keeps the project's identity).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence

import numpy as np


def province_key(codes: tuple[str, ...], nationwide: bool) -> str:
    return "*" if nationwide else ",".join(sorted(codes))


def derive_id(agency: str, year: int, name_key: str, prov_key: str, salt: int = 0) -> str:
    parts = (agency, str(year), name_key, prov_key) + ((str(salt),) if salt else ())
    text = "\x1f".join(parts)
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def assign_ids(agency: str, year: int, versions: list[list[tuple[str, str]]]) -> list[list[str]]:
    """versions: oldest first, each a list of (name_key, prov_key) of its accepted rows.
    Returns the ids, in the same shape."""
    out: list[list[str]] = []
    prev_by_key: dict[tuple[str, str], str] = {}
    prev_by_name: dict[str, str] = {}
    prev_name_count: Counter = Counter()
    for n, rows in enumerate(versions):
        # (names are counted only where a version continues or is continued)
        name_count = (
            Counter(name for name, _ in rows) if prev_by_key or n + 1 < len(versions) else Counter()
        )
        # First the ids that continue from the previous version, then fresh ones:
        # a new row must never take an id that a continuing project inherits.
        ids: list[str | None] = [None] * len(rows)
        if prev_by_key:  # the first version continues nothing
            for pos, (name, prov) in enumerate(rows):
                pid = prev_by_key.get((name, prov))
                if pid is None and name_count[name] == 1 and prev_name_count[name] == 1:
                    pid = prev_by_name[name]
                ids[pos] = pid
        used = {pid for pid in ids if pid}
        for pos, (name, prov) in enumerate(rows):
            if ids[pos] is not None:
                continue
            candidate = derive_id(agency, year, name, prov)
            salt = 0
            while candidate in used:  # an inherited id may meet a fresh one: keep ids unique
                salt += 1
                candidate = derive_id(agency, year, name, prov, salt)
            used.add(candidate)
            ids[pos] = candidate
        out.append(ids)
        if n + 1 < len(versions):  # what the next version continues from
            prev_by_key = {key: pid for key, pid in zip(rows, ids, strict=True)}
            prev_by_name = {name: pid for (name, _), pid in zip(rows, ids, strict=True)}
            prev_name_count = name_count
    return out


def split_budget(budget_satang: int, codes: list[str]) -> list[tuple[str, int]]:
    """Even shares in satang; the leftover satang go to the first provinces in code order."""
    codes = sorted(codes)
    base, extra = divmod(budget_satang, len(codes))
    return [(code, base + (1 if i < extra else 0)) for i, code in enumerate(codes)]


def split_budgets(
    budgets_satang: np.ndarray, code_lists: Sequence[Sequence[str]]
) -> tuple[np.ndarray, list[str], list[int]]:
    """`split_budget` of many budgets at once, in order: for each share, the position of
    its budget, its province code and its satang. The integer arithmetic runs in numpy
    over all shares (floor division and remainder as Python's divmod)."""
    counts = np.fromiter(map(len, code_lists), dtype=np.int64, count=len(code_lists))
    if (counts == 0).any():
        raise ZeroDivisionError("a budget split over no province")
    codes = [c for cs in code_lists for c in (cs if len(cs) == 1 else sorted(cs))]
    owner = np.repeat(np.arange(len(code_lists)), counts)
    base, extra = np.divmod(np.asarray(budgets_satang, dtype=np.int64), counts)
    # a share's place within its budget's shares: the leftover satang go to the first
    place = np.arange(len(codes)) - np.repeat(np.cumsum(counts) - counts, counts)
    return owner, codes, (base[owner] + (place < extra[owner])).tolist()
