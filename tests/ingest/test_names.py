"""File names that cannot break a run: the pure naming rules (assets/ingest/names.py), the
feedback paths built from them, and the real `stiplan run` over an inbox of names
no team member would type (code page 874 bytes, 255 bytes of Thai, a newline, a
leading dash, NFC and NFD twins, odd extensions, an unreadable file that names its
agency)."""

from __future__ import annotations

import os
import subprocess
import sys
import unicodedata
from pathlib import Path

import duckdb
import openpyxl
import pytest
from workbooks import write_xlsx

from stiplan.assets.books.feedback import feedback_path
from stiplan.assets.ingest.names import (
    NAME_MAX,
    cut_bytes,
    display_name,
    file_ext,
    md_code,
    raw_name,
    safe_component,
    show,
)

NFC = unicodedata.normalize("NFC", "OAP_2555_กู้ภัย_Café.xlsx")
NFD = unicodedata.normalize("NFD", "OAP_2555_กู้ภัย_Café.xlsx")


# --------------------------------------------------------------------------- the rules


@pytest.mark.parametrize(
    "raw,shown",
    [
        (b"NSTDA_2555.xlsx", "NSTDA_2555.xlsx"),
        ("แผนงาน สวทช. 2555.xlsx".encode(), "แผนงาน สวทช. 2555.xlsx"),
        (b"\xca\xc7\xb7\xaa_2555.xlsx", "สวทช_2555.xlsx"),  # cp874 / TIS-620
        (b"\xcd\xc7\xb7\xaa_2555.xlsx", "อวทช_2555.xlsx"),
        (b"\xe1\xbc\xb9\xa7\xd2\xb9_\xa1\xd9\xe9\xc0\xd1\xc2.xlsx", "แผนงาน_กู้ภัย.xlsx"),
        (b"R\xe9sum\xe9.xlsx", "R%E9sum%E9.xlsx"),  # Latin-1 é would be a stray Thai tone mark
        (b"\xe0la carte.xlsx", "%E0la carte.xlsx"),  # เ must come before a consonant
        (b"a\xf1o.xlsx", "a%F1o.xlsx"),  # a Thai digit alone is not Thai text
        ("ไฟล์".encode() + b"\xff.xlsx", "ไฟล์%FF.xlsx"),  # UTF-8 with a stray byte
        (b"two\nlines\t.xlsx", "two%0Alines%09.xlsx"),
        (b"del\x7f.xlsx", "del%7F.xlsx"),
        ("c1\u0085.xlsx".encode(), "c1%C2%85.xlsx"),
        ("invoice\u202exslx.exe".encode(), "invoice%E2%80%AExslx.exe"),  # no reordering
        ("ln\u2028sep\ufffe.xlsx".encode(), "ln%E2%80%A8sep%EF%BF%BE.xlsx"),
        (b"-leading dash.xlsx", "-leading dash.xlsx"),
        (NFD.encode(), NFD),  # never normalised: NFC and NFD stay two names
    ],
)
def test_display_form(raw, shown):
    assert display_name(raw) == shown
    assert display_name(os.fsdecode(raw)) == shown  # as os.listdir gives it
    shown.encode("utf-8")  # storable everywhere
    assert show(shown) == shown  # showing twice changes nothing


def test_raw_name_gives_back_the_bytes():
    raw = b"\xca\xc7\xb7\xaa_\xff\n.xlsx"
    assert raw_name(os.fsdecode(raw)) == raw
    assert raw_name(Path(os.fsdecode(raw))) == raw


def test_show_makes_any_text_storable():
    text = "bad \udccd surrogate \ud800 and \x00"
    shown = show(text)
    shown.encode("utf-8")
    assert shown == "bad %CD surrogate %ED%A0%80 and %00"


@pytest.mark.parametrize(
    "name,ext",
    [
        ("a.xlsx", ".xlsx"),
        ("A.XLSM", ".xlsm"),
        ("a.tar.gz", ".gz"),
        ("noext", ""),
        (".xlsx", ""),
        ("a.", ""),
        ("a.xl\nsx", ""),
        ("a." + "y" * 240, ""),
        ("a.xlsx ", ""),
        ("a.เอกสาร", ""),
        (b"a.\xff", ""),
    ],
)
def test_file_ext_is_short_and_plain(name, ext):
    assert file_ext(name) == ext


def test_cut_bytes_keeps_whole_characters_and_marks():
    assert cut_bytes("abc", 10) == "abc"
    assert cut_bytes("กขค", 7) == "กข"  # 3 bytes a letter: never half a letter
    # ก ู ้ : a letter is never cut from its marks
    assert cut_bytes("กู้ภัย", 6) == ""
    assert cut_bytes("กู้ภัย", 9) == "กู้"
    assert cut_bytes("กู้ภัย", 14) == "กู้"
    assert cut_bytes("กู้ภัย", 15) == "กู้ภั"
    for n in range(0, 40):
        cut = cut_bytes("แผนงานกู้ภัยน้ำท่วม", n)
        assert len(cut.encode()) <= n
        assert "แผนงานกู้ภัยน้ำท่วม".startswith(cut)
        rest = "แผนงานกู้ภัยน้ำท่วม"[len(cut) :]
        assert not rest or unicodedata.category(rest[0])[0] != "M"


@pytest.mark.parametrize(
    "text,safe",
    [
        ("NIMT_2555", "NIMT_2555"),
        ("-rm -rf", "rm -rf"),
        ("..hidden", "hidden"),
        ("~$lock", "$lock"),
        (" spaced out. ", "spaced out"),
        ('a/b\\c:d*e?f"g<h>i|j', "a_b_c_d_e_f_g_h_i_j"),
        ("two\nlines", "two_lines"),
        ("two%0Alines", "two%0Alines"),
        ("", "file"),
        ("...", "file"),
    ],
)
def test_safe_component(text, safe):
    assert safe_component(text) == safe


def test_safe_component_is_cut_by_bytes():
    long = "โครงการพัฒนาเทคโนโลยี" * 20
    safe = safe_component(long, 120)
    assert len(safe.encode()) <= 120 and long.startswith(safe) and len(safe) > 30


def test_md_code_stays_one_table_cell():
    assert md_code("a.xlsx") == "`a.xlsx`"
    assert md_code("a|b`c.xlsx") == "``a\\|b`c.xlsx``"
    assert md_code("`x") == "`` `x ``"
    assert "\n" not in md_code("two\nlines")


@pytest.mark.parametrize(
    "name",
    [
        "NIMT_2555.xlsx",
        "ก" * 80 + ".xlsx",  # 245 bytes: 80 letters used to stay 240 bytes in the stem
        "TISTR_2555_" + "โครงการ" * 11 + ".xlsx",
        "two%0Alines.xlsx",
        "-NARIT_2555.xlsx",
        "x." + "y" * 240,
        ".xlsx",
    ],
)
def test_feedback_paths_are_short_and_safe(tmp_path, name):
    sid = "0123456789abcdef" * 4
    path = feedback_path(tmp_path, "TISTR", 2555, name, sid)
    assert path.parent == tmp_path / "TISTR"
    assert len(path.name.encode()) <= 200 < NAME_MAX
    assert path.name.startswith("2555_") and path.name.endswith("_01234567_feedback.xlsx")
    stem = path.name[len("2555_") : -len("_01234567_feedback.xlsx")]
    assert stem and not stem.startswith(("-", ".", " ")) and "\n" not in stem
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(b"")  # the file system takes it
    path.unlink()


def test_feedback_path_of_an_ordinary_name_is_unchanged(tmp_path):
    path = feedback_path(tmp_path, "NIMT", 2555, "NIMT_2555.xlsx", "ab" * 32)
    assert path == tmp_path / "NIMT" / "2555_NIMT_2555_abababab_feedback.xlsx"
    path = feedback_path(tmp_path, None, None, "readme.txt", "cd" * 32)
    assert path == tmp_path / "unrouted" / "unknown-year_readme_cdcdcdcd_feedback.xlsx"


# --------------------------------------------------------------------------- stiplan run

YEAR = "ประจำปีงบประมาณ พ.ศ. 2555"
H = ["ลำดับ", "ชื่อโครงการ", "จังหวัด", "งบประมาณ (บาท)"]


def _long_thai_name() -> bytes:
    """A TISTR file name of exactly 255 bytes, most of it Thai."""
    head, tail = "TISTR_2555_", ".xlsx"
    room = NAME_MAX - len(head) - len(tail)
    thai = cut_bytes("โครงการพัฒนาเทคโนโลยีการเกษตร" * 10, room)
    name = head + thai + "x" * (room - len(thai.encode())) + tail
    assert len(name.encode()) == NAME_MAX
    return name.encode()


LONG = _long_thai_name()

# raw name -> (display name, agency, fiscal year, status, reason code, content)
# content: ("xlsx", title rows, project name) or ("bytes", data)
INBOX: dict[bytes, tuple] = {
    b"NSTDA_2555_" + "แผนงาน".encode("cp874") + b".xlsx":  # agency and year in the name only
    ("NSTDA_2555_แผนงาน.xlsx", "NSTDA", 2555, "current", None, ("xlsx", [], "โครงการเกษตรแม่นยำ")),
    b"\xcd\xc7\xb7\xaa_2555.xlsx":  # the name names no agency: the title row does
    (
        "อวทช_2555.xlsx",
        "DSS",
        2555,
        "current",
        None,
        ("xlsx", [["หน่วยงาน: วศ."], [YEAR]], "โครงการตรวจสอบคุณภาพน้ำ"),
    ),
    b"NIMT_2555_R\xe9sum\xe9.xlsx":  # not UTF-8, not Thai: escaped, still NIMT 2555
    ("NIMT_2555_R%E9sum%E9.xlsx", "NIMT", 2555, "current", None, ("xlsx", [], "โครงการสอบเทียบ")),
    LONG: (LONG.decode(), "TISTR", 2555, "current", None, ("xlsx", [], "โครงการแปรรูป")),
    "GISTDA_2555_ฉบับ\nแก้ไข.xlsx".encode(): (
        "GISTDA_2555_ฉบับ%0Aแก้ไข.xlsx",
        "GISTDA",
        2555,
        "current",
        None,
        ("xlsx", [], "โครงการแผนที่ดาวเทียม"),
    ),
    b"-NARIT_2555.xlsx": (
        "-NARIT_2555.xlsx",
        "NARIT",
        2555,
        "current",
        None,
        ("xlsx", [], "โครงการดาราศาสตร์"),
    ),
    NFC.encode(): (NFC, "OAP", 2555, "current", None, ("xlsx", [], "โครงการฉายรังสี")),
    NFD.encode(): (NFD, "OAP", 2555, "current", None, ("xlsx", [], "โครงการฉายรังสี")),
    b"NIA_2555.xlsx": (
        "NIA_2555.xlsx",
        "NIA",
        2555,
        "current",
        None,
        ("xlsx", [], "โครงการนวัตกรรม"),
    ),
    b"TCELS_2555_revised.xlsx":  # cannot be opened: routed by its name, rejected whole
    (
        "TCELS_2555_revised.xlsx",
        "TCELS",
        2555,
        "rejected",
        "file_unreadable",
        ("bytes", b"\x8f\x01garbage that is no workbook" * 50),
    ),
    b"notes." + b"y" * 240: (
        "notes." + "y" * 240,
        None,
        None,
        "rejected",
        "file_type_unsupported",
        ("bytes", b"long extension"),
    ),
    b"report.xl\nsx": (
        "report.xl%0Asx",
        None,
        None,
        "rejected",
        "file_type_unsupported",
        ("bytes", b"newline in the extension"),
    ),
}


def _write_inbox(inbox: Path) -> None:
    folder = os.fsencode(inbox)
    # A workbook's bytes carry the second it was saved: twins are written once and
    # copied, so they hold the same bytes even when the clock ticks between them.
    written: dict[str, bytes] = {}
    for raw, (*_, content) in INBOX.items():
        path = Path(os.fsdecode(os.path.join(folder, raw)))
        if content[0] == "bytes":
            data = content[1]
        elif (key := repr(content)) in written:
            data = written[key]
        else:
            _, titles, project = content
            write_xlsx(path, {"แผน": (titles + [H], [[1, project, "ตาก", 100000]])})
            written[key] = data = path.read_bytes()
        with open(os.path.join(folder, raw), "wb") as fh:
            fh.write(data)


@pytest.fixture(scope="module")
def odd_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("names")
    inbox, warehouse = root / "inbox", root / "warehouse"
    inbox.mkdir()
    _write_inbox(inbox)
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
    env.update(STIPLAN_INBOX=str(inbox), STIPLAN_WAREHOUSE=str(warehouse))
    proc = subprocess.run(
        [sys.executable, "-m", "stiplan.cli", "run"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    return {"proc": proc, "warehouse": warehouse, "plan": warehouse / "plan.duckdb"}


def _q(run, sql):
    con = duckdb.connect(str(run["plan"]), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_the_run_succeeds_and_publishes(odd_run):
    proc = odd_run["proc"]
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert odd_run["plan"].exists()


def test_every_file_is_a_submission_under_its_display_name(odd_run):
    got = {
        name: (agency, year, status, code)
        for name, agency, year, status, code in _q(
            odd_run,
            "SELECT file_name, agency_code, fiscal_year, status, reason_code FROM submissions",
        )
    }
    # NFC and NFD twins hold the same bytes: one submission, named by the first seen.
    expected = {
        shown: (agency, year, status, code)
        for shown, agency, year, status, code, _ in INBOX.values()
    }
    twin = next(n for n in (NFC, NFD) if n in got)
    del expected[NFD if twin == NFC else NFC]
    # The unreadable TCELS file is rejected under its agency with the reason; its
    # fiscal year is checked on its own below.
    tcels = "TCELS_2555_revised.xlsx"
    assert (got[tcels][0], got[tcels][2:]) == (expected[tcels][0], expected[tcels][2:])
    got[tcels] = expected[tcels]
    assert got == expected
    for name in got:
        name.encode("utf-8")


def test_every_name_is_an_arrival_nfc_and_nfd_both(odd_run):
    names = sorted(n for (n,) in _q(odd_run, "SELECT file_name FROM arrivals"))
    assert names == sorted(shown for shown, *_ in INBOX.values())
    assert NFC in names and NFD in names and NFC != NFD


def test_the_unreadable_named_file_keeps_the_year_its_name_gives(odd_run):
    assert _q(
        odd_run,
        "SELECT agency_code, fiscal_year, status, reason_code FROM submissions "
        "WHERE file_name = 'TCELS_2555_revised.xlsx'",
    ) == [("TCELS", 2555, "rejected", "file_unreadable")]


def test_projects_of_odd_names_are_in_the_plan(odd_run):
    got = dict(_q(odd_run, "SELECT agency_code, count(*) FROM projects GROUP BY ALL"))
    assert got == {
        "NSTDA": 1,
        "DSS": 1,
        "NIMT": 1,
        "TISTR": 1,
        "GISTDA": 1,
        "NARIT": 1,
        "OAP": 1,
        "NIA": 1,
    }


def test_feedback_for_every_submission_with_short_safe_paths(odd_run):
    out = odd_run["warehouse"] / "outputs"
    written = []
    for folder, _dirs, files in os.walk(os.fsencode(out)):
        for raw in files:
            written.append(os.path.join(folder, raw))
    rel = [os.path.relpath(p, os.fsencode(out)) for p in written]
    for path in rel:
        path.decode("utf-8")  # every name stiplan writes is valid UTF-8
        for part in path.split(b"/"):
            assert len(part) <= 200 and not part.startswith((b"-", b".")) and b"\n" not in part
    feedback = {os.fsdecode(p) for p in rel if p.startswith(b"feedback/")}
    subs = _q(odd_run, "SELECT submission_id, agency_code, file_name FROM submissions")
    for sid, agency, name in subs:
        [path] = [p for p in feedback if f"_{sid[:8]}_feedback" in p]
        assert path.startswith(f"feedback/{agency or 'unrouted'}/")
        wb = openpyxl.load_workbook(out / path)
        text = "\n".join(
            str(c.value) for ws in wb for row in ws.iter_rows() for c in row if c.value is not None
        )
        assert name in text  # the display name, shown to the agency
    tcels = next(p for p in feedback if p.startswith("feedback/TCELS/"))
    assert "TCELS_2555_revised" in tcels
    assert (out / "planbook").is_dir() and (out / "provinces").is_dir()


def test_the_archive_holds_every_file_by_hash_and_plain_extension(odd_run):
    archive = odd_run["warehouse"] / "archive"
    held = {p.name for p in archive.iterdir() if len(p.name.split(".")[0]) == 64}
    exts = {os.path.splitext(n)[1] for n in held}
    assert exts == {".xlsx", ""}
    assert len(held) == len(INBOX) - 1  # the NFC/NFD twins share their bytes
