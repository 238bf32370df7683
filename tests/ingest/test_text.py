"""Text normalisation (assets/ingest/text.py) and province cells (assets/ingest/provinces.py)."""

from __future__ import annotations

import time
import unicodedata

import pytest

from stiplan.assets.ingest.provinces import ProvinceParse, parse_provinces
from stiplan.assets.ingest.text import (
    clean_text,
    compact_key,
    header_key,
    normalise_name,
    numbers_in,
    thai_to_arabic_digits,
)

SARA_AM = "\u0e33"
NIKHAHIT, SARA_AA = "\u0e4d", "\u0e32"

# --- clean_text / normalise_name ---------------------------------------------------------


@pytest.mark.parametrize("invisible", ["\u200b", "\u200c", "\u200d", "\ufeff", "\u2060", "\u00ad"])
def test_zero_width_and_soft_hyphen_removed(invisible):
    assert clean_text(f"เชียง{invisible}ใหม่") == "เชียงใหม่"
    assert clean_text(f"{invisible}ABC{invisible}") == "ABC"


@pytest.mark.parametrize("space", ["\u00a0", "\u2002", "\u2009", "\u202f", "\u3000", "\t"])
def test_unicode_spaces_become_one_space(space):
    assert clean_text(f"ก{space}ข") == "ก ข"
    assert clean_text(f"{space}ก{space}{space} ข{space}") == "ก ข"


@pytest.mark.parametrize(
    "decomposed",
    [
        f"น{NIKHAHIT}{SARA_AA}",  # ํา
        f"น{SARA_AA}{NIKHAHIT}",  # reversed าํ
    ],
)
def test_decomposed_sara_am_joined(decomposed):
    assert clean_text(decomposed) == f"น{SARA_AM}"


def test_sara_am_with_tone_mark_in_either_place():
    assert clean_text(f"น\u0e49{NIKHAHIT}{SARA_AA}") == "น้ำ"
    assert clean_text(f"น{NIKHAHIT}\u0e49{SARA_AA}") == "น้ำ"
    assert clean_text(f"ล{NIKHAHIT}{SARA_AA}ปาง") == "ลำปาง"


def test_nfd_input_becomes_nfc():
    nfd = unicodedata.normalize("NFD", "Café Ñoño เชียงใหม่")
    assert nfd != "Café Ñoño เชียงใหม่"
    assert clean_text(nfd) == "Café Ñoño เชียงใหม่"


def test_whitespace_and_newlines_collapse_and_trim():
    assert clean_text("  ชื่อ\n\nโครงการ \r\n ทดสอบ\t ") == "ชื่อ โครงการ ทดสอบ"


@pytest.mark.parametrize("missing", [None, float("nan")])
def test_missing_values_are_empty(missing):
    assert clean_text(missing) == ""
    assert parse_provinces(missing) == ProvinceParse()


def test_clean_keeps_case_normalise_casefolds():
    assert clean_text("Project ABC") == "Project ABC"
    assert normalise_name(" Project\u00a0ABC\u200b ") == "project abc"
    assert normalise_name("STRASSE") == normalise_name("straße")


def test_non_text_values_become_text():
    assert clean_text(2555) == "2555"


def test_compact_key_drops_spaces_paiyannoi_and_punctuation():
    a = compact_key("โครงการ ก.ข.ค. (ระยะที่ 2) – กรุงเทพฯ")
    b = compact_key("โครงการก ข ค ระยะที่2 กรุงเทพ")
    assert a == b == "โครงการกขคระยะที่2กรุงเทพ"
    assert compact_key("Smart-Farm: “Phase 1”") == "smartfarmphase1"


def test_header_key_removes_all_whitespace():
    assert header_key("ชื่อ\nโครงการ") == header_key("ชื่อโครงการ") == "ชื่อโครงการ"
    assert header_key(" Project  Name ") == "projectname"
    assert header_key("งบประมาณ\u00a0(บาท)") == "งบประมาณ(บาท)"


def test_thai_digits():
    assert thai_to_arabic_digits("ปี ๒๕๕๕ ข้อ ๑๐") == "ปี 2555 ข้อ 10"
    assert thai_to_arabic_digits("") == ""


@pytest.mark.parametrize(
    ("text", "numbers"),
    [
        ("โครงการ ระยะที่ 2", ("2",)),
        ("โครงการ ระยะที่ ๓", ("3",)),
        ("ปี 2555 ระยะ 1/2", ("2555", "1", "2")),
        ("ไม่มีตัวเลข", ()),
    ],
)
def test_numbers_in(text, numbers):
    assert numbers_in(text) == numbers


# --- parse_provinces -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sep", [",", ", ", ";", "/", " / ", "\n", "\r\n", " และ ", "และ", " and ", " ", "", "、"]
)
def test_every_separator(sep):
    parsed = parse_provinces(f"เชียงใหม่{sep}ลำพูน{sep}ขอนแก่น")
    assert parsed == ProvinceParse(codes=("TH-40", "TH-50", "TH-51"))


@pytest.mark.parametrize("sep", [",", ";", "/", "\n", " and ", " & "])
def test_separators_between_english_names(sep):
    parsed = parse_provinces(f"Chiang Mai{sep}Khon Kaen")
    assert parsed == ProvinceParse(codes=("TH-40", "TH-50"))


@pytest.mark.parametrize("prefix", ["จ.", "จ. ", "จังหวัด", "จังหวัด ", "จ ."])
def test_prefixes_with_or_without_space(prefix):
    assert parse_provinces(f"{prefix}ชลบุรี") == ProvinceParse(codes=("TH-20",))
    both = parse_provinces(f"{prefix}ชลบุรี {prefix}ระยอง")
    assert both == ProvinceParse(codes=("TH-20", "TH-21"))


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("กทม.", ("TH-10",)),
        ("กทม", ("TH-10",)),
        ("กรุงเทพ ฯ", ("TH-10",)),
        ("กรุงเทพฯ", ("TH-10",)),
        ("โคราช", ("TH-30",)),
        ("อุบลฯ", ("TH-34",)),
        ("กทม., โคราช", ("TH-10", "TH-30")),
        ("Korat", ("TH-30",)),
        ("Roi-Et", ("TH-45",)),
        ("Phang-nga", ("TH-82",)),
        ("Phang Nga", ("TH-82",)),
        ("อยุธยา", ("TH-14",)),
        (f"ก{NIKHAHIT}{SARA_AA}แพงเพชร", ("TH-62",)),  # decomposed sara am
        ("เชียง\u200bใหม่", ("TH-50",)),  # zero-width space inside the name
    ],
)
def test_aliases_and_noise(text, codes):
    assert parse_provinces(text) == ProvinceParse(codes=codes)


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        # A shortest-first matcher would leave ธานี / ราชธานี / ธรรมราช over as unknown.
        ("สุราษฎร์ธานี", ("TH-84",)),
        ("อุบลราชธานี", ("TH-34",)),
        ("นครศรีธรรมราช", ("TH-80",)),
        ("ประจวบคีรีขันธ์", ("TH-77",)),
        # Splitting on spaces first would break these.
        ("กรุงเทพ ฯ, นนทบุรี", ("TH-10", "TH-12")),
        ("Nakhon Ratchasima", ("TH-30",)),
        ("Nakhon Si Thammarat Surat Thani", ("TH-80", "TH-84")),
        ("จ.ชลบุรี ระยอง", ("TH-20", "TH-21")),
        ("ชลบุรีระยองจันทบุรี", ("TH-20", "TH-21", "TH-22")),
        # Similar names stay apart.
        ("เพชรบุรี เพชรบูรณ์", ("TH-67", "TH-76")),
    ],
)
def test_greedy_longest_first(text, codes):
    assert parse_provinces(text) == ProvinceParse(codes=codes)


@pytest.mark.parametrize(
    "text", ["CHIANG MAI", "chiang mai", "Chiang Mai", "chiangmai", "Chiang-Mai"]
)
def test_english_case_insensitive(text):
    assert parse_provinces(text).codes == ("TH-50",)


def test_codes_unique_and_sorted():
    assert parse_provinces("ระยอง, ชลบุรี, จ.ระยอง, Rayong").codes == ("TH-20", "TH-21")


@pytest.mark.parametrize(
    "text",
    [
        "ทุกจังหวัด",
        "ทั่วประเทศ",
        "76 จังหวัด",
        "77 จังหวัด",
        "๗๖ จังหวัด",
        "77จังหวัด",
        "ทั่วราชอาณาจักร",
        "nationwide",
        "Nationwide",
        "all provinces",
        "All Provinces",
        "whole country",
        "ทุกจังหวัดทั่วประเทศ",
        " ทั่วประเทศ ",
    ],
)
def test_nationwide(text):
    assert parse_provinces(text) == ProvinceParse(nationwide=True)


def test_nationwide_drops_codes():
    parsed = parse_provinces("ทั่วประเทศ (เน้น เชียงใหม่)")
    assert parsed.nationwide and parsed.codes == ()


@pytest.mark.parametrize(
    "text",
    [
        "ภาคอีสาน",
        "ภาคเหนือ",
        "ภาคตะวันออกเฉียงเหนือ",
        "ภาคใต้",
        "ภาคเหนือตอนบน",
        "กลุ่มจังหวัดภาคใต้ฝั่งอ่าวไทย",
        "ภาคใต้ฝั่งอ่าวไทย",
        "กลุ่มจังหวัดภาคเหนือตอนบน 1",
        "กลุ่มจังหวัดภาคเหนือตอนบน1",
        "Northeastern Region",
        "Upper Northern Cluster 1",
        "Southern Andaman Cluster",
        "กลุ่มจังหวัด",
    ],
)
def test_region_and_cluster_names_go_to_regions(text):
    parsed = parse_provinces(text)
    assert parsed.codes == () and parsed.unknown == () and not parsed.nationwide
    assert parsed.regions == (text,)


def test_region_next_to_province():
    parsed = parse_provinces("ภาคเหนือ, เชียงใหม่")
    assert parsed == ProvinceParse(codes=("TH-50",), regions=("ภาคเหนือ",))


@pytest.mark.parametrize(
    ("text", "codes", "unknown"),
    [
        ("เชียงใหม่, Atlantis", ("TH-50",), ("Atlantis",)),
        ("จ.นาร์เนีย", (), ("จ.นาร์เนีย",)),
        ("อ.เมือง จ.เชียงใหม่", ("TH-50",), ("อ.เมือง",)),
        ("Nanny", (), ("Nanny",)),  # Nan (TH-55) only as a whole word
        ("ลำพูน และ ไม่ระบุ", ("TH-51",), ("ไม่ระบุ",)),
    ],
)
def test_unknown_pieces_reported_as_written(text, codes, unknown):
    parsed = parse_provinces(text)
    assert (parsed.codes, parsed.unknown, parsed.regions) == (codes, unknown, ())


@pytest.mark.parametrize("text", ["", "   ", "-", " - ", "–", "\u200b"])
def test_empty_cells(text):
    parsed = parse_provinces(text)
    assert parsed == ProvinceParse() and parsed.empty


def test_parse_is_fast():
    cells = [f"จ.เชียงใหม่, ลำพูน และ Khon Kaen {i}" for i in range(5000)]
    start = time.perf_counter()
    for cell in cells:
        parse_provinces(cell)
    assert time.perf_counter() - start < 2.0  # about 0.2 s measured; 160k cells must be OK
