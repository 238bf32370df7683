"""Reference data (schemas/data/*.csv) and agency matching."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from stiplan.assets.ingest.agencies import agency_from_filename, match_agency
from stiplan.assets.ingest.provinces import parse_provinces
from stiplan.schemas import reference as ref
from stiplan.schemas.reference import (
    AGENCIES,
    AGENCY_BY_CODE,
    PROVINCE_ALIASES,
    PROVINCE_BY_CODE,
    PROVINCES,
    REGION_OR_CLUSTER_NAMES,
)

AGENCY_CODES = (
    "OMIN", "OPS", "DSS", "OAP", "NIMT", "TISTR", "GISTDA", "NSTDA",
    "NSM", "TINT", "STI", "SLRI", "HAII", "NARIT", "NIA", "TCELS",
)  # fmt: skip

# ISO 3166-2:TH province codes (TH-S, Pattaya, is a special city, not a province).
ISO_TH = {f"TH-{n}" for n in [*range(10, 20), *range(20, 28), *range(30, 50), *range(50, 59)]}
ISO_TH |= {f"TH-{n}" for n in [*range(60, 68), *range(70, 78), *range(80, 87), *range(90, 97)]}


# --- provinces --------------------------------------------------------------------------


def test_exactly_77_provinces_in_code_order():
    assert len(PROVINCES) == 77
    codes = [p.code for p in PROVINCES]
    assert codes == sorted(codes)
    assert set(codes) == ISO_TH
    assert len(PROVINCE_BY_CODE) == 77


def test_iso_codes_well_formed_and_unique():
    assert all(re.fullmatch(r"TH-\d\d", p.code) for p in PROVINCES)
    assert len({p.code for p in PROVINCES}) == 77
    assert len({p.name_th for p in PROVINCES}) == 77
    assert len({p.name_en for p in PROVINCES}) == 77


def test_bangkok_has_no_cluster_and_all_others_have_one():
    assert PROVINCE_BY_CODE["TH-10"].name_en == "Bangkok"
    assert PROVINCE_BY_CODE["TH-10"].cluster_th is None
    assert PROVINCE_BY_CODE["TH-10"].cluster_en is None
    missing = [
        p.code for p in PROVINCES if p.code != "TH-10" and not (p.cluster_th and p.cluster_en)
    ]
    assert missing == []


def test_18_clusters_with_one_english_name_each():
    pairs = {(p.cluster_th, p.cluster_en) for p in PROVINCES if p.cluster_th}
    assert len(pairs) == 18
    assert len({th for th, _ in pairs}) == len({en for _, en in pairs}) == 18


def test_region_counts_six_region_scheme():
    counts = Counter(p.region for p in PROVINCES)
    assert counts == {"North": 9, "Northeast": 20, "Central": 22, "East": 7, "West": 5, "South": 14}
    assert Counter(p.region_4 for p in PROVINCES) == {
        "North": 17, "Northeast": 20, "Central": 26, "South": 14,
    }  # fmt: skip


def test_region_thai_names():
    expected = {
        "North": "ภาคเหนือ", "Northeast": "ภาคตะวันออกเฉียงเหนือ", "Central": "ภาคกลาง",
        "East": "ภาคตะวันออก", "West": "ภาคตะวันตก", "South": "ภาคใต้",
    }  # fmt: skip
    assert {p.region: p.region_th for p in PROVINCES} == expected


@pytest.mark.parametrize(
    ("code", "name_en", "region", "cluster_en"),
    [
        ("TH-38", "Bueng Kan", "Northeast", "Upper Northeastern Cluster 1"),
        ("TH-63", "Tak", "West", "Lower Northern Cluster 1"),
        ("TH-26", "Nakhon Nayok", "Central", "Middle Central Cluster"),
        ("TH-27", "Sa Kaeo", "East", "Middle Central Cluster"),
        ("TH-77", "Prachuap Khiri Khan", "West", "Lower Central Cluster 2"),
        ("TH-84", "Surat Thani", "South", "Southern Gulf of Thailand Cluster"),
    ],
)
def test_spot_checks(code, name_en, region, cluster_en):
    p = PROVINCE_BY_CODE[code]
    assert (p.name_en, p.region, p.cluster_en) == (name_en, region, cluster_en)


def _fold(s: str) -> str:
    # Independent of the code under test: NFC, joined sara am, no case/space/hyphen/dot/ฯ.
    s = unicodedata.normalize("NFC", s).replace("\u0e4d\u0e32", "\u0e33")
    s = re.sub(r"^(จังหวัด|จ\.)\s*", "", s)
    return re.sub(r"[\s\-.ฯ]", "", s).casefold()


def test_no_alias_is_ambiguous_after_folding():
    targets = defaultdict(set)
    for alias, code in PROVINCE_ALIASES:
        targets[_fold(alias)].add(code)
    assert {k: v for k, v in targets.items() if len(v) > 1} == {}


def test_aliases_point_to_known_codes_and_every_province_has_its_names():
    assert {code for _, code in PROVINCE_ALIASES} == ISO_TH
    pairs = set(PROVINCE_ALIASES)
    for p in PROVINCES:
        assert (p.name_th, p.code) in pairs and (p.name_en, p.code) in pairs


@pytest.mark.parametrize("province", PROVINCES, ids=lambda p: p.code)
def test_province_names_parse_back(province):
    for name in (province.name_th, province.name_en, province.name_en.upper()):
        parsed = parse_provinces(name)
        assert parsed.codes == (province.code,), name
        assert parsed.unknown == () and parsed.regions == ()


@pytest.mark.parametrize(("alias", "code"), PROVINCE_ALIASES, ids=lambda v: str(v))
def test_every_alias_parses_back(alias, code):
    prefixed = alias.startswith(("จ.", "จังหวัด"))
    for text in (alias,) if prefixed else (alias, f"จ.{alias}", f"จังหวัด {alias}"):
        parsed = parse_provinces(text)
        assert (parsed.codes, parsed.unknown) == ((code,), ()), text


@pytest.mark.parametrize("name", sorted(REGION_OR_CLUSTER_NAMES))
def test_region_and_cluster_names_are_not_provinces(name):
    parsed = parse_provinces(name)
    assert parsed.codes == () and parsed.unknown == ()
    assert parsed.regions == (name,)


def test_data_is_the_projects_own_copy():
    data = Path(ref.__file__).parent / "data"
    for name in ("agencies.csv", "provinces.csv", "province_aliases.csv"):
        assert (data / name).is_file()
    assert "shared" not in Path(ref.__file__).read_text(encoding="utf-8")


# --- agencies ---------------------------------------------------------------------------


def test_16_agencies_with_the_csv_codes():
    assert tuple(a.code for a in AGENCIES) == AGENCY_CODES
    assert set(AGENCY_BY_CODE) == set(AGENCY_CODES)
    assert all(a.name_th and a.name_en for a in AGENCIES)
    abbrs = [a.abbr_th for a in AGENCIES if a.abbr_th]
    assert len(abbrs) == len(set(abbrs)) == 15  # the Office of the Minister has none


def _own_names(agency):
    names = [agency.code, agency.code.lower(), agency.name_th, agency.name_en, *agency.aliases]
    if agency.abbr_th:
        names += [agency.abbr_th, agency.abbr_th.removesuffix("."), f" {agency.abbr_th} "]
    return names


@pytest.mark.parametrize("agency", AGENCIES, ids=lambda a: a.code)
def test_agency_names_match_themselves(agency):
    for name in _own_names(agency):
        assert match_agency(name) == agency.code, name


@pytest.mark.parametrize("agency", AGENCIES, ids=lambda a: a.code)
def test_agency_name_with_abbreviation_in_brackets(agency):
    if agency.abbr_th:
        assert match_agency(f"{agency.name_th} ({agency.abbr_th})") == agency.code
        assert match_agency(f"{agency.abbr_th} ({agency.code})") == agency.code
    assert match_agency(f"{agency.name_en} ({agency.code})") == agency.code


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("กรมวิทยาศาสตร์บริการ", "DSS"),  # contains มว, which is NIMT
        ("สป.วท.", "OPS"),
        ("สป.วท", "OPS"),
        ("สวทช.", "NSTDA"),
        ("สวทช", "NSTDA"),
        ("สวทช .", "NSTDA"),
        ("national science and technology development agency", "NSTDA"),
        ("สถาบันเทคโนโลยีนิวเคลียร์แห่งชาติ (องค์การมหาชน) (สทน.)", "TINT"),
        ("สำนักงานนวัตกรรมแห่งชาติ", "NIA"),
        ("National Innovation Agency", "NIA"),
        ("สำนักงานพัฒนาวิทยาศาสตร์และเทคโนโลยี\u200bแห่งชาติ", "NSTDA"),
        ("สถาบันสารสนเทศทรัพยากรน\u0e49\u0e4d\u0e32และการเกษตร", "HAII"),
        # Renamed agencies in newer data map to their code here.
        ("National Institute of Metrology (Thailand) (NIMT)", "NIMT"),
        ("มว. (National Institute of Metrology (Thailand))", "NIMT"),
        ("สวทช.（NSTDA）", "NSTDA"),
        ("OAEP", "OAP"),
        ("สำนักงานพลังงานปรมาณูเพื่อสันติ", "OAP"),
        ("HII", "HAII"),
        ("สสน.", "HAII"),
        ("สถาบันสารสนเทศทรัพยากรน้ำ (องค์การมหาชน)", "HAII"),
        ("NXPO", "STI"),
        ("สอวช.", "STI"),
        ("สอวช", "STI"),
    ],
)
def test_match_agency_examples(value, code):
    assert match_agency(value) == code


@pytest.mark.parametrize(
    "value",
    [
        "",
        None,
        "-",
        "วท.",
        "กระทรวงวิทยาศาสตร์และเทคโนโลยี",
        "สำนักงาน",
        "สวทช.ภาคเหนือ",
        "กรมวิทยาศาสตร์",
        "วิทยาศาสตร์บริการ",
        "NSTDAX",
        "XNSTDA",
        "NSTDA DSS",
        "สวทช. (วว.)",
        "กรมวิทยาศาสตร์บริการ (มว.)",
        "สวทช. (ส่วนกลาง)",
    ],
)
def test_match_agency_never_partial(value):
    assert match_agency(value) is None


@pytest.mark.parametrize("agency", AGENCIES, ids=lambda a: a.code)
def test_substrings_of_names_never_match(agency):
    for name in (agency.name_th, agency.name_en):
        for part in (name[1:], name[:-1], name + "ก", "ก" + name):
            assert match_agency(part) is None, part


@pytest.mark.parametrize(
    ("file_name", "code"),
    [
        ("NSTDA_2555.xlsx", "NSTDA"),
        ("nstda-2555.xls", "NSTDA"),
        ("สวทช_2555.xlsx", "NSTDA"),
        ("สวทช._2555.xlsx", "NSTDA"),
        ("แผนบูรณาการ_วศ_2555.xlsx", "DSS"),
        ("แผนบูรณาการ วศ. 2555.ods", "DSS"),
        ("สป.วท._2555.xlsx", "OPS"),
        ("สป.วท_2555.xlsx", "OPS"),
        ("2555_กรมวิทยาศาสตร์บริการ.xlsx", "DSS"),
        ("Department of Science Service 2555.xlsx", "DSS"),
        ("inbox/TCELS.2555.xlsm", "TCELS"),
        ("NSTDA_สวทช_2555.xlsx", "NSTDA"),
        ("NSTDA_DSS_2555.xlsx", None),
        ("แผนบูรณาการ_2555.xlsx", None),
        ("มวลชน_2555.xlsx", None),
    ],
)
def test_agency_from_filename(file_name, code):
    assert agency_from_filename(file_name) == code
