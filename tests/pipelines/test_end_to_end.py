"""The whole consolidation through the real `stiplan run` command, on an inbox of
real workbooks from 13 agencies with every quirk of DESIGN.md, in three runs:
the first inbox, later arrivals (a resubmission, a byte-identical copy, old
modification times), and a run with nothing new.

Every expected value below is written by hand from what the test puts in the
workbooks, never read back from stiplan.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from decimal import Decimal

import duckdb
import pytest
from workbooks import set_old_mtime, write_xls, write_xlsx

D = Decimal
TITLE = "แผนบูรณาการงานด้านวิทยาศาสตร์ เทคโนโลยี และนวัตกรรมกับจังหวัด"
YEAR = "ประจำปีงบประมาณ พ.ศ. 2555"
H = ["ลำดับ", "ชื่อโครงการ", "จังหวัด", "งบประมาณ (บาท)", "ยุทธศาสตร์"]
H_MB = ["ลำดับ", "ชื่อโครงการ", "จังหวัด", "งบประมาณ (ล้านบาท)", "ยุทธศาสตร์"]

# Expected projects: (agency, name as displayed, province codes, budget in baht)
EXPECTED: list[tuple[str, str, frozenset, Decimal | None]] = []
# Expected outcomes per (file, sheet): list of (row_number, outcome)
OUTCOMES: dict[tuple[str, str], list[tuple[int, str]]] = {}


def expect(agency, name, codes, budget):
    EXPECTED.append((agency, name, frozenset(codes), budget))


def outcomes(file, sheet, first_row, seq):
    OUTCOMES[(file, sheet)] = [(first_row + i, o) for i, o in enumerate(seq)]


def build_first_inbox(inbox):
    # NSTDA: 2 merged title rows, ล้านบาท, Thai digits, multi-province, duplicate,
    # section, total, a rejected row.
    write_xlsx(
        inbox / "NSTDA_2555.xlsx",
        {
            "โครงการ": (
                [[f"{TITLE} {YEAR}"], ["หน่วยงาน: สวทช."], H_MB],
                [
                    ["ยุทธศาสตร์ที่ 1 การพัฒนาเศรษฐกิจ"],
                    [1, "โครงการพัฒนาเกษตรอัจฉริยะ", "จ.เชียงใหม่", 1.5, "S1"],
                    [2, "โครงการศูนย์บ่มเพาะวิสาหกิจ", "เชียงราย, ลำพูน; แพร่", "๒.๕", "S1"],
                    [3, "โครงการโรงงานต้นแบบ", "จังหวัดขอนแก่น/อุดรธานี", 0.0123456, "S2"],
                    [4, "โครงการศูนย์บ่มเพาะวิสาหกิจ", "แพร่ ลำพูน เชียงราย", "1", "S1"],
                    [5, "โครงการไม่มีจังหวัด", None, 3, "S2"],
                    [None, "รวม", None, 5.0123456, None],
                ],
            )
        },
    )
    outcomes(
        "NSTDA_2555.xlsx",
        "โครงการ",
        4,
        ["section", "accepted", "accepted", "accepted", "duplicate", "rejected", "total"],
    )
    expect("NSTDA", "โครงการพัฒนาเกษตรอัจฉริยะ", {"TH-50"}, D("1500000.00"))
    expect("NSTDA", "โครงการศูนย์บ่มเพาะวิสาหกิจ", {"TH-57", "TH-51", "TH-54"}, D("2500000.00"))
    expect("NSTDA", "โครงการโรงงานต้นแบบ", {"TH-40", "TH-41"}, D("12345.60"))

    # DSS: agency and year only in the file name; English header in another order;
    # numbers as text with separators; nationwide; a cross-agency twin of NSTDA's row.
    write_xlsx(
        inbox / "แผนบูรณาการ_วศ_2555.xlsx",
        {
            "Sheet1": (
                [["Province", "Budget (baht)", "Project name", "No.", "Notes for us"]],
                [
                    ["เชียงใหม่, ลำพูน", "1,250,000.50", "โครงการพัฒนา เกษตรอัจฉริยะ", 1, "x"],
                    ["ทั่วประเทศ", "2,000,000", "โครงการตรวจสอบคุณภาพผลิตภัณฑ์ชุมชน", 2, None],
                    ["Nakhon Ratchasima", "๑๐๐,๐๐๐", "โครงการห้องปฏิบัติการเคลื่อนที่ ระยะที่ 2", 3, None],
                ],
            )
        },
    )
    outcomes("แผนบูรณาการ_วศ_2555.xlsx", "Sheet1", 2, ["accepted"] * 3)
    expect("DSS", "โครงการพัฒนา เกษตรอัจฉริยะ", {"TH-50", "TH-51"}, D("1250000.50"))
    expect("DSS", "โครงการตรวจสอบคุณภาพผลิตภัณฑ์ชุมชน", set(), D("2000000.00"))
    expect("DSS", "โครงการห้องปฏิบัติการเคลื่อนที่ ระยะที่ 2", {"TH-30"}, D("100000.00"))

    # OPS: Thai-digit year, agency abbreviation, aliases and prefixes; neutral file name.
    write_xlsx(
        inbox / "ops plan.xlsx",
        {
            "แผน": (
                [
                    [f"{TITLE} ประจำปีงบประมาณ พ.ศ. ๒๕๕๕"],
                    ["หน่วยงาน: สป.วท."],
                    ["ข้อมูล ณ วันที่ 15 สิงหาคม 2554"],
                    H,
                ],
                [
                    [1, "โครงการวิทยาศาสตร์เพื่อชุมชน", "กทม.", 500000, None],
                    [2, "โครงการห้องปฏิบัติการเคลื่อนที่ ระยะที่ 3", "โคราช", 300000, None],
                    [3, "โครงการอุทยานวิทยาศาสตร์", "จ. ภูเก็ต\nจ.สงขลา", 800000.01, None],
                ],
            )
        },
    )
    outcomes("ops plan.xlsx", "แผน", 5, ["accepted"] * 3)
    expect("OPS", "โครงการวิทยาศาสตร์เพื่อชุมชน", {"TH-10"}, D("500000.00"))
    expect("OPS", "โครงการห้องปฏิบัติการเคลื่อนที่ ระยะที่ 3", {"TH-30"}, D("300000.00"))
    expect("OPS", "โครงการอุทยานวิทยาศาสตร์", {"TH-83", "TH-90"}, D("800000.01"))

    # OAP: agency and fiscal-year columns (CE year), no title rows, neutral name.
    write_xlsx(
        inbox / "submission1.xlsx",
        {
            "data": (
                [["หน่วยงาน", "ปีงบประมาณ", "ชื่อโครงการ", "จังหวัด", "งบประมาณ (บาท)"]],
                [
                    ["ปส.", 2012, "โครงการฉายรังสีผลไม้", "ราชบุรี", 750000],
                    ["ปส.", 2012, "โครงการตรวจวัดรังสีในสิ่งแวดล้อม", "Chon Buri", 250000],
                ],
            )
        },
        merge_titles=False,
    )
    outcomes("submission1.xlsx", "data", 2, ["accepted"] * 2)
    expect("OAP", "โครงการฉายรังสีผลไม้", {"TH-70"}, D("750000.00"))
    expect("OAP", "โครงการตรวจวัดรังสีในสิ่งแวดล้อม", {"TH-20"}, D("250000.00"))

    # NIMT: zero budget (warning, taken), negative (rejected), end before start
    # (rejected), a row with several problems, dates in every form.
    hdr = H + ["วันเริ่มต้น", "วันสิ้นสุด"]
    write_xlsx(
        inbox / "NIMT_2555.xlsx",
        {
            "Sheet": (
                [[f"{YEAR}"], ["หน่วยงาน: มว."], hdr],
                [
                    [
                        1,
                        "โครงการสอบเทียบเครื่องชั่ง",
                        "ลำปาง",
                        0,
                        None,
                        dt.date(2011, 10, 1),
                        "30 ก.ย. 2555",
                    ],
                    [2, "โครงการงบติดลบ", "ลำปาง", -5, None, None, None],
                    [3, "โครงการวันที่ผิด", "ลำปาง", 10, None, "2012-05-01", "1 ต.ค. 2554"],
                    [4, None, "ภาคอีสาน", "abc", None, None, None],
                    [5, "โครงการมาตรวิทยาชุมชน", "ตาก", 20000, None, dt.datetime(2554, 10, 1), None],
                ],
            )
        },
    )
    outcomes(
        "NIMT_2555.xlsx", "Sheet", 4, ["accepted", "rejected", "rejected", "rejected", "accepted"]
    )
    expect("NIMT", "โครงการสอบเทียบเครื่องชั่ง", {"TH-52"}, D("0.00"))
    expect("NIMT", "โครงการมาตรวิทยาชุมชน", {"TH-63"}, D("20000.00"))

    # TISTR: a legacy .xls.
    write_xls(
        inbox / "TISTR_2555.xls",
        [[f"{TITLE} {YEAR}"], H],
        [
            [1, "โครงการแปรรูปผลผลิตการเกษตร", "สุโขทัย", 450000.5, "S3"],
            [2, "โครงการถ่ายทอดเทคโนโลยีการผลิตปุ๋ยอินทรีย์ชีวภาพสำหรับเกษตรกร", "พิษณุโลก", 120000, "S3"],
        ],
    )
    outcomes("TISTR_2555.xls", "Sheet1", 3, ["accepted"] * 2)
    expect("TISTR", "โครงการแปรรูปผลผลิตการเกษตร", {"TH-64"}, D("450000.50"))
    expect(
        "TISTR", "โครงการถ่ายทอดเทคโนโลยีการผลิตปุ๋ยอินทรีย์ชีวภาพสำหรับเกษตรกร", {"TH-65"}, D("120000.00")
    )

    # GISTDA: an instructions sheet (skipped), two project sheets, one hidden.
    write_xlsx(
        inbox / "GISTDA_2555.xlsx",
        {
            "คำชี้แจง": ([["กรอกข้อมูลโครงการในแผ่นงานถัดไป"], ["ห้ามแก้หัวตาราง"]], []),
            "ภาคเหนือ": ([[YEAR], H], [[1, "โครงการแผนที่น้ำท่วม", "น่าน", 90000, None]]),
            "ภาคใต้": ([[YEAR], H], [[1, "โครงการแผนที่ชายฝั่ง", "สตูล", 80000, None]]),
        },
        hidden=("ภาคใต้",),
    )
    outcomes("GISTDA_2555.xlsx", "ภาคเหนือ", 3, ["accepted"])
    outcomes("GISTDA_2555.xlsx", "ภาคใต้", 3, ["accepted"])
    expect("GISTDA", "โครงการแผนที่น้ำท่วม", {"TH-55"}, D("90000.00"))
    expect("GISTDA", "โครงการแผนที่ชายฝั่ง", {"TH-91"}, D("80000.00"))

    # TINT: text noise — zero-width space, NBSP, decomposed sara am: same name, a duplicate.
    write_xlsx(
        inbox / "TINT_2555.xlsx",
        {
            "s": (
                [[YEAR], H],
                [
                    [1, "โครงการฉายรังสี อาหารแปรรูป", "นครปฐม", 60000, None],
                    [2, "โครงการ\u200bฉายรังสี\u00a0อาหารแปรรูป ", "จ.นครปฐม", 60000, None],
                    [3, "โครงการน\u0e49\u0e4d\u0e32ดื่มสะอาด", "สระบุรี", 70000, None],
                ],
            )
        },
    )
    outcomes("TINT_2555.xlsx", "s", 3, ["accepted", "duplicate", "accepted"])
    expect("TINT", "โครงการฉายรังสี อาหารแปรรูป", {"TH-73"}, D("60000.00"))
    expect("TINT", "โครงการน้ำดื่มสะอาด", {"TH-19"}, D("70000.00"))

    # STI: a total that does not add up (a warning), and a name that only starts with รวม.
    write_xlsx(
        inbox / "STI_2555.xlsx",
        {
            "s": (
                [[YEAR], H],
                [
                    [1, "รวมพลังวิทยาศาสตร์", "ยะลา", 1000, None],
                    ["รวมทั้งสิ้น", None, None, 9999, None],
                ],
            )
        },
    )
    outcomes("STI_2555.xlsx", "s", 3, ["accepted", "total"])
    expect("STI", "รวมพลังวิทยาศาสตร์", {"TH-95"}, D("1000.00"))

    # SLRI: header broken inside words, extra spaces, unknown extra columns.
    write_xlsx(
        inbox / "SLRI_2555.xlsx",
        {
            "s": (
                [
                    [YEAR],
                    ["ที่", "หมายเหตุ", "ชื่อ\nโครง การ", "  จังหวัด ", "รหัสภายใน", "งบประมาณ\n(บาท)"],
                ],
                [
                    [1, None, "โครงการแสงซินโครตรอนเพื่ออุตสาหกรรม", "นครราชสีมา", "X-1", "1,000,000"],
                ],
            )
        },
    )
    outcomes("SLRI_2555.xlsx", "s", 3, ["accepted"])
    expect("SLRI", "โครงการแสงซินโครตรอนเพื่ออุตสาหกรรม", {"TH-30"}, D("1000000.00"))

    # HAII version 1 (to be superseded in the second run).
    write_xlsx(
        inbox / "HAII_2555.xlsx",
        {
            "s": (
                [[YEAR], H],
                [
                    [1, "โครงการคลังข้อมูลน้ำชุมชน", "น่าน", 100000, None],
                    [2, "โครงการพยากรณ์ฝน", "แพร่", 200000, None],
                    [3, "โครงการที่จะถูกถอน", "ตาก", 300000, None],
                ],
            )
        },
    )
    outcomes("HAII_2555.xlsx", "s", 3, ["accepted"] * 3)

    # NARIT: English title row for the agency.
    write_xlsx(
        inbox / "narit.xlsx",
        {
            "s": (
                [["Agency: NARIT"], ["Fiscal year 2012"], H],
                [
                    [1, "โครงการหอดูดาวเฉลิมพระเกียรติ", "ฉะเชิงเทรา", 5000000, None],
                ],
            )
        },
    )
    outcomes("narit.xlsx", "s", 4, ["accepted"])
    expect("NARIT", "โครงการหอดูดาวเฉลิมพระเกียรติ", {"TH-24"}, D("5000000.00"))

    # NIA: a workbook with no project header (rejected whole, routed to NIA by name).
    write_xlsx(inbox / "NIA_2555.xlsx", {"s": ([["บันทึกข้อความ"], ["เรื่อง ส่งแผน"]], [])})
    # A file whose agency cannot be determined.
    write_xlsx(inbox / "แผนงาน.xlsx", {"s": ([[YEAR], H], [[1, "โครงการหนึ่ง", "ตาก", 1, None]])})
    # A corrupt workbook and a file of another type.
    (inbox / "corrupt.xlsx").write_bytes(b"PK\x03\x04 this is not really a workbook" * 10)
    (inbox / "readme.txt").write_text("please see attached", encoding="utf-8")
    # Lock and hidden files are ignored entirely.
    (inbox / "~$NSTDA_2555.xlsx").write_bytes(b"lock")
    (inbox / ".hidden.xlsx").write_bytes(b"hidden")


def build_later_arrivals(inbox):
    # HAII resubmits, saved with an old modification time: it still supersedes.
    path = write_xlsx(
        inbox / "HAII_2555_แก้ไข.xlsx",
        {
            "s": (
                [[YEAR], ["หน่วยงาน: HAII"], H],
                [
                    [1, "โครงการคลังข้อมูลน้ำชุมชน", "น่าน, อุตรดิตถ์", 150000, None],
                    [2, "โครงการพยากรณ์ฝน", "แพร่", 200000, None],
                    [3, "โครงการเตือนภัยดินถล่ม", "อุตรดิตถ์", 400000, None],
                ],
            )
        },
    )
    set_old_mtime(path)
    outcomes("HAII_2555_แก้ไข.xlsx", "s", 4, ["accepted"] * 3)
    expect("HAII", "โครงการคลังข้อมูลน้ำชุมชน", {"TH-55", "TH-53"}, D("150000.00"))
    expect("HAII", "โครงการพยากรณ์ฝน", {"TH-54"}, D("200000.00"))
    expect("HAII", "โครงการเตือนภัยดินถล่ม", {"TH-53"}, D("400000.00"))
    # A byte-identical copy of NSTDA's workbook under another name, with an old mtime.
    copy = inbox / "สำเนา NSTDA.xlsx"
    shutil.copyfile(inbox / "NSTDA_2555.xlsx", copy)
    set_old_mtime(copy)
    # TCELS arrives late, with an old modification time.
    path = write_xlsx(
        inbox / "TCELS_2555.xlsx",
        {
            "s": (
                [[YEAR], H],
                [
                    [
                        1,
                        "โครงการถ่ายทอดเทคโนโลยีการผลิตปุ๋ยอินทรีย์ชีวภาพสำหรับเกษตรกรรม",
                        "พิษณุโลก",
                        110000,
                        None,
                    ],
                ],
            )
        },
    )
    set_old_mtime(path)
    outcomes("TCELS_2555.xlsx", "s", 3, ["accepted"])
    expect(
        "TCELS", "โครงการถ่ายทอดเทคโนโลยีการผลิตปุ๋ยอินทรีย์ชีวภาพสำหรับเกษตรกรรม", {"TH-65"}, D("110000.00")
    )


def run_cli(env) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [sys.executable, "-m", "stiplan.cli", "run", "--no-outputs"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # nothing a planner cannot act on, e.g. a library's leak report at exit
    assert "leaked" not in proc.stdout + proc.stderr, proc.stderr
    return proc


def dump(plan) -> dict[str, list]:
    con = duckdb.connect(str(plan), read_only=True)
    try:
        names = [
            r[0]
            for r in con.execute(
                "SELECT table_name FROM information_schema.tables ORDER BY 1"
            ).fetchall()
        ]
        return {t: sorted(map(repr, con.execute(f"SELECT * FROM {t}").fetchall())) for t in names}
    finally:
        con.close()


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("e2e")
    inbox, warehouse = root / "inbox", root / "warehouse"
    inbox.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
    env.update(STIPLAN_INBOX=str(inbox), STIPLAN_WAREHOUSE=str(warehouse))
    EXPECTED.clear()
    OUTCOMES.clear()
    build_first_inbox(inbox)
    first = run_cli(env)
    first_dump = dump(warehouse / "plan.duckdb")
    build_later_arrivals(inbox)
    second = run_cli(env)
    second_dump = dump(warehouse / "plan.duckdb")
    third = run_cli(env)
    third_dump = dump(warehouse / "plan.duckdb")
    return {
        "first": first,
        "second": second,
        "third": third,
        "first_dump": first_dump,
        "second_dump": second_dump,
        "third_dump": third_dump,
        "plan": warehouse / "plan.duckdb",
        "warehouse": warehouse,
        "inbox": inbox,
    }


def q(runs, sql):
    con = duckdb.connect(str(runs["plan"]), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_projects_are_exactly_the_expected_ones(runs):
    rows = q(
        runs,
        """
        SELECT p.agency_code, p.project_name, p.budget_baht,
               list(pp.province_code ORDER BY pp.province_code) FILTER (pp.province_code IS NOT NULL)
        FROM projects p LEFT JOIN project_provinces pp USING (project_id)
        GROUP BY ALL""",
    )
    got = sorted((a, n, frozenset(c or []), b) for a, n, b, c in rows)
    assert got == sorted(EXPECTED)
    assert len({a for a, *_ in EXPECTED}) >= 12


def test_budget_is_exact_decimal_and_nationwide_flagged(runs):
    types = dict(
        q(
            runs,
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_name = 'projects'",
        )
    )
    assert types["budget_baht"] == "DECIMAL(18,2)"
    (total,) = q(runs, "SELECT sum(budget_baht) FROM projects")[0]
    assert total == sum(b for *_, b in EXPECTED)
    assert q(runs, "SELECT project_name FROM projects WHERE nationwide") == [
        ("โครงการตรวจสอบคุณภาพผลิตภัณฑ์ชุมชน",)
    ]


def test_every_row_read_has_its_expected_outcome(runs):
    rows = q(
        runs,
        """SELECT s.file_name, r.sheet, r.row_number, r.outcome
                      FROM source_rows r JOIN submissions s USING (submission_id)""",
    )
    got: dict[tuple[str, str], list] = {}
    for f, sheet, n, outcome in rows:
        got.setdefault((f, sheet), []).append((n, outcome))
    assert {k: sorted(v) for k, v in got.items()} == OUTCOMES


def test_rejected_rows_carry_every_problem_with_column_and_reason(runs):
    problems = q(
        runs,
        """
        SELECT p.row_number, p.column_letter, p.value, p.code, p.severity, p.message_th, p.message_en
        FROM row_problems p JOIN submissions s USING (submission_id)
        WHERE s.file_name = 'NIMT_2555.xlsx' ORDER BY 1, 4""",
    )
    by_row = {}
    for n, col, value, code, severity, th, en in problems:
        by_row.setdefault(n, set()).add((col, value, code, severity))
        assert th and en
    assert by_row[4] == {("D", "0", "budget_zero", "warning")}
    assert by_row[5] == {("D", "-5", "budget_negative", "error")}
    assert by_row[6] == {("G", "1 ต.ค. 2554", "end_before_start", "error")}
    assert by_row[7] == {
        ("B", None, "name_missing", "error"),
        ("C", "ภาคอีสาน", "province_is_region", "error"),
        ("D", "abc", "budget_not_number", "error"),
    }
    reasons = dict(
        q(
            runs,
            """SELECT r.row_number, r.reason_code FROM source_rows r
                             JOIN submissions s USING (submission_id)
                             WHERE s.file_name = 'NIMT_2555.xlsx' AND outcome = 'rejected'""",
        )
    )
    assert reasons == {5: "budget_negative", 6: "end_before_start", 7: "name_missing"}
    warnings = q(
        runs,
        """SELECT s.file_name, p.row_number, p.code FROM row_problems p
                         JOIN submissions s USING (submission_id) WHERE p.code = 'total_mismatch'""",
    )
    assert warnings == [("STI_2555.xlsx", 4, "total_mismatch")]


def test_submission_statuses(runs):
    got = dict(
        (f, (s, a, y, c))
        for f, s, a, y, c in q(
            runs,
            """
        SELECT file_name, status, agency_code, fiscal_year, reason_code FROM submissions""",
        )
    )
    assert got["HAII_2555.xlsx"][0] == "superseded"
    assert got["HAII_2555_แก้ไข.xlsx"][:3] == ("current", "HAII", 2555)
    assert got["NIA_2555.xlsx"] == ("rejected", "NIA", 2555, "no_header")
    assert got["แผนงาน.xlsx"] == ("rejected", None, None, "agency_unknown")
    assert got["corrupt.xlsx"][0] == "rejected" and got["corrupt.xlsx"][3] == "file_unreadable"
    assert got["readme.txt"][0] == "rejected" and got["readme.txt"][3] == "file_type_unsupported"
    assert got["submission1.xlsx"][:3] == ("current", "OAP", 2555)
    assert got["แผนบูรณาการ_วศ_2555.xlsx"][:3] == ("current", "DSS", 2555)
    assert got["ops plan.xlsx"][:3] == ("current", "OPS", 2555)
    assert got["narit.xlsx"][:3] == ("current", "NARIT", 2555)
    # the copy is one submission under its first name; lock and hidden files never appear
    assert "สำเนา NSTDA.xlsx" not in got and len(got) == 18
    assert not any(f.startswith(("~$", ".")) for f in got)
    reasons = q(runs, "SELECT reason FROM submissions WHERE status = 'rejected'")
    assert all(r and "/" in r for (r,) in reasons)  # English and Thai, what to do
    # rejected files record no rows
    assert q(
        runs,
        """SELECT count(*) FROM source_rows JOIN submissions USING (submission_id)
                      WHERE status = 'rejected'""",
    ) == [(0,)]


def test_copy_under_new_name_is_only_an_arrival(runs):
    arrivals = q(
        runs,
        """SELECT a.file_name, s.file_name FROM arrivals a
                          JOIN submissions s USING (submission_id)
                          WHERE s.file_name = 'NSTDA_2555.xlsx' ORDER BY a.seen_at""",
    )
    assert arrivals == [
        ("NSTDA_2555.xlsx", "NSTDA_2555.xlsx"),
        ("สำเนา NSTDA.xlsx", "NSTDA_2555.xlsx"),
    ]
    assert q(runs, "SELECT count(*) FROM projects WHERE agency_code = 'NSTDA'") == [(3,)]


def test_resubmission_keeps_project_ids(runs):
    current = dict(
        q(runs, "SELECT project_name, project_id FROM projects WHERE agency_code = 'HAII'")
    )
    by_row = dict(
        q(
            runs,
            """SELECT r.row_number, r.project_id FROM source_rows r
                            JOIN submissions s USING (submission_id)
                            WHERE s.file_name = 'HAII_2555.xlsx'""",
        )
    )
    old = {
        "โครงการคลังข้อมูลน้ำชุมชน": by_row[3],
        "โครงการพยากรณ์ฝน": by_row[4],
        "โครงการที่จะถูกถอน": by_row[5],
    }
    # same key (name + provinces) keeps its id; a corrected province keeps it too,
    # because the name is unique in both versions
    assert current["โครงการพยากรณ์ฝน"] == old["โครงการพยากรณ์ฝน"]
    assert current["โครงการคลังข้อมูลน้ำชุมชน"] == old["โครงการคลังข้อมูลน้ำชุมชน"]
    assert current["โครงการเตือนภัยดินถล่ม"] not in old.values()


def test_cross_agency_duplicate_candidates(runs):
    pairs = q(
        runs,
        """
        SELECT least(agency_code_a, agency_code_b), greatest(agency_code_a, agency_code_b),
               reason, similarity FROM duplicate_candidates ORDER BY 1, 2""",
    )
    # NSTDA/DSS share เชียงใหม่ and the same name once spaces are removed; TISTR/TCELS
    # share พิษณุโลก with nearly the same long name. ระยะที่ 2 vs ระยะที่ 3 differ in a
    # number and are different projects.
    assert [(a, b, r) for a, b, r, _ in pairs] == [
        ("DSS", "NSTDA", "same name"),
        ("TCELS", "TISTR", "nearly the same name"),
    ]
    assert pairs[0][3] == 100.0 and 95 <= pairs[1][3] < 100


def test_third_run_with_nothing_new_changes_nothing(runs):
    assert "Nothing new" in runs["third"].stdout
    assert runs["third_dump"] == runs["second_dump"]
    assert runs["first_dump"] != runs["second_dump"]


def test_archive_holds_every_file_by_hash(runs):
    import hashlib

    archive = runs["warehouse"] / "archive"
    stored = {
        p.stem
        for p in archive.iterdir()
        if p.suffix != ".sqlite" and not p.name.startswith("registry")
    }
    inbox_hashes = {
        hashlib.sha256(p.read_bytes()).hexdigest()
        for p in runs["inbox"].iterdir()
        if not p.name.startswith(("~$", "."))
    }
    assert inbox_hashes == stored
    ids = {r[0] for r in q(runs, "SELECT submission_id FROM submissions")}
    assert ids == inbox_hashes


def test_summaries_reconcile_with_projects(runs):
    (total,) = q(runs, "SELECT sum(budget_baht) FROM projects")[0]
    for table in (
        "summary_by_agency",
        "summary_by_province",
        "summary_by_cluster",
        "summary_by_region",
        "summary_by_strategy",
    ):
        assert q(runs, f"SELECT sum(budget_baht) FROM {table}")[0][0] == total, table
    nationwide = q(runs, "SELECT budget_baht FROM summary_by_province WHERE province_code IS NULL")
    assert nationwide == [(D("2000000.00"),)]
    bangkok = q(
        runs, "SELECT budget_baht FROM summary_by_cluster WHERE cluster_th = 'ไม่อยู่ในกลุ่มจังหวัด'"
    )
    assert bangkok == [(D("500000.00"),)]


def test_resubmission_changes_against_the_superseded_version(runs):
    got = sorted(
        q(
            runs,
            """
        SELECT c.change, c.project_name, c.budget_before, c.budget_after
        FROM submission_changes c JOIN submissions s USING (submission_id)
        WHERE s.file_name = 'HAII_2555_แก้ไข.xlsx'""",
        )
    )
    assert got == [
        ("added", "โครงการเตือนภัยดินถล่ม", None, D("400000.00")),
        ("budget_changed", "โครงการคลังข้อมูลน้ำชุมชน", D("100000.00"), D("150000.00")),
        ("removed", "โครงการที่จะถูกถอน", D("300000.00"), None),
    ]


def test_submission_status_matrix_covers_all_agencies(runs):
    rows = q(
        runs,
        "SELECT agency_code, status, rows_accepted FROM submission_status WHERE fiscal_year = 2555",
    )
    status = {a: (s, n) for a, s, n in rows}
    assert len(status) == 16
    assert status["NIA"] == ("rejected", 0)
    assert status["NSTDA"] == ("current", 3)
    assert status["HAII"] == ("current", 3)
    assert sorted(a for a, (s, _) in status.items() if s == "not yet submitted") == ["NSM", "OMIN"]


def test_summary_shares_add_up_to_a_hundred_percent(runs):
    for table in (
        "summary_by_agency",
        "summary_by_province",
        "summary_by_cluster",
        "summary_by_region",
        "summary_by_strategy",
    ):
        (total,) = q(runs, f"SELECT sum(share_pct) FROM {table}")[0]
        assert abs(total - 100) <= D("0.01"), table
    assert q(runs, "SELECT sum(projects) FROM summary_by_agency") == [(len(EXPECTED),)]
