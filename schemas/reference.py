"""Reference data (agencies, provinces, aliases) and exact agency matching.

The CSVs under `data/` are the project's own verified copy of the researched facts; they are
read once at import and checked, so a bad edit fails loudly instead of mis-routing files.
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path, PurePath

from stiplan.assets.text import clean_text, header_key

_DATA = Path(__file__).parent / "data"

REGIONS: tuple[str, ...] = ("North", "Northeast", "Central", "East", "West", "South")
REGION_TH: dict[str, str] = {
    "North": "ภาคเหนือ",
    "Northeast": "ภาคตะวันออกเฉียงเหนือ",
    "Central": "ภาคกลาง",
    "East": "ภาคตะวันออก",
    "West": "ภาคตะวันตก",
    "South": "ภาคใต้",
}


@dataclass(frozen=True)
class Agency:
    code: str
    abbr_th: str
    name_th: str
    name_en: str
    aliases: tuple[str, ...]


@dataclass(frozen=True)
class Province:
    code: str
    name_th: str
    name_en: str
    region: str
    region_4: str
    cluster_th: str | None
    cluster_en: str | None
    region_th: str


def _read(name: str) -> list[dict[str, str]]:
    with (_DATA / name).open(encoding="utf-8", newline="") as f:
        return [{k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(f)]


AGENCIES: tuple[Agency, ...] = tuple(
    Agency(
        code=r["code_en"],
        abbr_th=r["abbr_th"],
        name_th=r["name_th"],
        name_en=r["name_en"],
        aliases=tuple(a.strip() for a in r["aliases"].split(";") if a.strip()),
    )
    for r in _read("agencies.csv")
)
AGENCY_BY_CODE: dict[str, Agency] = {a.code: a for a in AGENCIES}

PROVINCES: tuple[Province, ...] = tuple(
    sorted(
        (
            Province(
                code=r["iso_code"],
                name_th=r["name_th"],
                name_en=r["name_en"],
                region=r["region"],
                region_4=r["region_4"],
                cluster_th=r["cluster_th"] or None,
                cluster_en=r["cluster_en"] or None,
                region_th=REGION_TH[r["region"]],
            )
            for r in _read("provinces.csv")
        ),
        key=lambda p: p.code,
    )
)
PROVINCE_BY_CODE: dict[str, Province] = {p.code: p for p in PROVINCES}

# (alias as written, ISO code); the canonical Thai and English names are always included.
PROVINCE_ALIASES: tuple[tuple[str, str], ...] = tuple(
    dict.fromkeys(
        [(n, p.code) for p in PROVINCES for n in (p.name_th, p.name_en)]
        + [(r["alias"], r["iso_code"]) for r in _read("province_aliases.csv")]
    )
)


_PREFIX = re.compile(r"^(?:จังหวัด|จ\.)\s*")


def alias_fold(value: str) -> str:
    """The folding under which no two province aliases may collide."""
    return re.sub(r"[\s\-.ฯ]", "", clean_text(value)).casefold()


def _check() -> None:
    if len(AGENCY_BY_CODE) != len(AGENCIES) or len(PROVINCE_BY_CODE) != len(PROVINCES):
        raise ValueError("reference data: duplicate agency or province code")
    seen: dict[str, str] = {}
    for alias, code in PROVINCE_ALIASES:
        if code not in PROVINCE_BY_CODE:
            raise ValueError(f"province alias {alias!r} points to unknown code {code}")
        key = alias_fold(_PREFIX.sub("", clean_text(alias)))
        if seen.setdefault(key, code) != code:
            raise ValueError(f"province alias {alias!r} is ambiguous: {seen[key]} / {code}")


_check()

# --- Regions and clusters: names that are not provinces ---------------------------------

_CLUSTER_PREFIX = "กลุ่มจังหวัด"
_REGION_TH_BASES = (*REGION_TH.values(), "ภาคอีสาน")
_REGION_EN_BASE = (
    "North", "Northern", "Northeast", "North-East", "Northeastern", "North-Eastern", "Isan",
    "Isaan", "Central", "East", "Eastern", "West", "Western", "South", "Southern",
)  # fmt: skip
_REGION_EN_MORE = (
    "Upper North", "Lower North", "Upper Northeast", "Lower Northeast", "Upper Central",
    "Lower Central", "Upper South", "Lower South", "Deep South", "Greater Bangkok",
    "Bangkok Metropolitan Region", "Bangkok and Vicinity", "Bangkok and Vicinities",
)  # fmt: skip
_REGION_TH_MORE = (
    _CLUSTER_PREFIX, "อีสาน", "ปริมณฑล", "กรุงเทพมหานคร และปริมณฑล", "กรุงเทพฯ และปริมณฑล",
    "กรุงเทพ และปริมณฑล", "กทม. และปริมณฑล", "จังหวัดชายแดนภาคใต้", "ชายแดนภาคใต้",
    "ภาคใต้ชายแดน", "ภาคใต้ฝั่งอ่าวไทย", "ภาคใต้ฝั่งอันดามัน",
)  # fmt: skip


def _region_names() -> frozenset[str]:
    names = {*_REGION_TH_MORE, *_REGION_EN_BASE, *_REGION_EN_MORE}
    for base in _REGION_TH_BASES:
        names.update(base + part for part in ("", "ตอนบน", "ตอนกลาง", "ตอนล่าง"))
    names.update(f"{r} {suffix}" for r in _REGION_EN_BASE for suffix in ("Region", "Thailand"))
    for p in PROVINCES:
        if p.cluster_th:
            names.update({p.cluster_th, p.cluster_th.removeprefix(_CLUSTER_PREFIX)})
        if p.cluster_en:
            names.update({p.cluster_en, p.cluster_en.removesuffix(" Cluster")})
            names.add(re.sub(r" Cluster( \d)$", r"\1", p.cluster_en))
    return frozenset(names)


REGION_OR_CLUSTER_NAMES: frozenset[str] = _region_names()

# --- Agency matching ------------------------------------------------------------------------

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
