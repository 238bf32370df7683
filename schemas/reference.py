"""Reference data: agencies, provinces, their aliases, regions and clusters.

The CSVs under `data/` are the project's own verified copy of the researched facts; they are
read once at import and checked, so a bad edit fails loudly instead of mis-routing files.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

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


def _check() -> None:
    if len(AGENCY_BY_CODE) != len(AGENCIES) or len(PROVINCE_BY_CODE) != len(PROVINCES):
        raise ValueError("reference data: duplicate agency or province code")
    for alias, code in PROVINCE_ALIASES:
        if code not in PROVINCE_BY_CODE:
            raise ValueError(f"province alias {alias!r} points to unknown code {code}")


_check()

# --- Regions and clusters: names that are not provinces ---------------------------------

# The ministry's strategies for the provincial plan, numbered as agencies cite them
# ("ยุทธศาสตร์ที่ 2", "S2"); the plan groups every way of citing one under this label.
STRATEGIES: tuple[str, ...] = (
    "ยุทธศาสตร์ที่ 1 วิทยาศาสตร์ เทคโนโลยีและนวัตกรรมเพื่อเพิ่มขีดความสามารถในการแข่งขัน",
    "ยุทธศาสตร์ที่ 2 วิทยาศาสตร์ เทคโนโลยีและนวัตกรรมเพื่อเศรษฐกิจชุมชนและคุณภาพชีวิต",
    "ยุทธศาสตร์ที่ 3 โครงสร้างพื้นฐานและบริการทางวิทยาศาสตร์และเทคโนโลยี",
    "ยุทธศาสตร์ที่ 4 พัฒนากำลังคนและสร้างความตระหนักด้านวิทยาศาสตร์และเทคโนโลยี",
    "ยุทธศาสตร์ที่ 5 วิทยาศาสตร์และเทคโนโลยีเพื่อการจัดการทรัพยากร สิ่งแวดล้อมและภัยพิบัติ",
)

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
