"""The plan book (one workbook per fiscal year), checked figure by figure against the
published plan: every expected value is computed here from `projects`,
`project_provinces` and the reference tables of plan.duckdb, never from the
`summary_*` tables the plan book is written from.

The plan is built by the real pipeline from a small inbox (`build_plan`, shared with
test_extracts.py and built once per session).
"""

from __future__ import annotations

import datetime as dt
import zipfile
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import duckdb
import openpyxl
import pytest
from pythainlp.util import collate

from stiplan.assets.books.planbook import write_planbooks
from stiplan.assets.excel.style import thai_date
from stiplan.assets.ingest.text import thai_sort_key
from stiplan.schemas.reference import STRATEGIES

YEAR_TITLE = "ประจำปีงบประมาณ พ.ศ. {}"
HEADER = [
    "ลำดับ",
    "ชื่อโครงการ",
    "จังหวัด",
    "งบประมาณ (บาท)",
    "ยุทธศาสตร์",
    "วันเริ่มต้น",
    "วันสิ้นสุด",
    "ผู้รับผิดชอบ",
    "โทรศัพท์",
]
FORMULA_LIKE = ("=1+1", "@SUM(A1)", "-ลบ", "+บวก")
FONT = "TH Sarabun New"
MB = "#,##0.0000"
NATIONWIDE = "ทั่วประเทศ"
NO_CLUSTER = "ไม่อยู่ในกลุ่มจังหวัด"
TOTAL = "รวมทั้งสิ้น"
# Thai dictionary order of the 77 provinces, written out by hand (กระบี่ sorts before
# กรุงเทพมหานคร: ระ before รุ). Python's sorted() puts every เ แ โ ใ ไ name last.
PROVINCES_TH_ORDER = """กระบี่ กรุงเทพมหานคร กาญจนบุรี กาฬสินธุ์ กำแพงเพชร ขอนแก่น จันทบุรี
ฉะเชิงเทรา ชลบุรี ชัยนาท ชัยภูมิ ชุมพร เชียงราย เชียงใหม่ ตรัง ตราด ตาก นครนายก นครปฐม นครพนม
นครราชสีมา นครศรีธรรมราช นครสวรรค์ นนทบุรี นราธิวาส น่าน บึงกาฬ บุรีรัมย์ ปทุมธานี
ประจวบคีรีขันธ์ ปราจีนบุรี ปัตตานี พระนครศรีอยุธยา พะเยา พังงา พัทลุง พิจิตร พิษณุโลก เพชรบุรี
เพชรบูรณ์ แพร่ ภูเก็ต มหาสารคาม มุกดาหาร แม่ฮ่องสอน ยโสธร ยะลา ร้อยเอ็ด ระนอง ระยอง ราชบุรี
ลพบุรี ลำปาง ลำพูน เลย ศรีสะเกษ สกลนคร สงขลา สตูล สมุทรปราการ สมุทรสงคราม สมุทรสาคร สระแก้ว
สระบุรี สิงห์บุรี สุโขทัย สุพรรณบุรี สุราษฎร์ธานี สุรินทร์ หนองคาย หนองบัวลำภู อ่างทอง อำนาจเจริญ
อุดรธานี อุตรดิตถ์ อุทัยธานี อุบลราชธานี""".split()


# ------------------------------------------------------------------ the plan, built once


def write_text_xlsx(
    path: Path, title_rows: list[list], rows: list[list], header: list[str] = HEADER
) -> None:
    """An agency workbook where every string stays text (even "=1+1")."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "โครงการ"
    for r in [*title_rows, header, *rows]:
        ws.append(r)
    for row in ws.iter_rows():
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = "s"
    wb.save(path)


def build_inbox(inbox: Path) -> None:
    y55 = [[YEAR_TITLE.format(2555)]]
    write_text_xlsx(
        inbox / "NSTDA_2555.xlsx",
        y55 + [["หน่วยงาน: สวทช."]],
        [
            [
                1,
                "=1+1",
                "เชียงใหม่",
                1500000,
                "S1 เศรษฐกิจ",
                dt.date(2011, 10, 1),
                "30 ก.ย. 2555",
                "สมชาย ใจดี",
                "02-564-7000",
            ],
            [2, "@SUM(A1)", "เชียงราย, ลำพูน, แพร่", "2,500,000.01", "S1 เศรษฐกิจ"],
            [3, "-ลบ", "ขอนแก่น", 12345.6, "S2 สังคม"],
            [4, "โครงการวิทยาศาสตร์ทั่วประเทศ", "ทั่วประเทศ", 2000000, "S2 สังคม"],
            [5, "+บวก", "กรุงเทพมหานคร", 100, None],
            [6, "โครงการไม่มีจังหวัด", None, 5, None],  # rejected
        ],
    )
    write_text_xlsx(
        inbox / "DSS_2555.xlsx",
        y55,
        [
            [
                1,
                "โครงการอุบลและโคราช",
                "อุบลราชธานี, นครราชสีมา",
                1000000,
                "S1 เศรษฐกิจ",
                "2011-11-01",
                "2012-09-30",
            ],
            [2, "โครงการภูเก็ต", "ภูเก็ต", 333333.33, None],
            [3, "โครงการแพร่", "แพร่", 250000, "S3 สิ่งแวดล้อม"],
            [4, "โครงการเชียงใหม่ลำพูน", "เชียงใหม่ ลำพูน", 100000.03, "S3 สิ่งแวดล้อม"],
            [5, "โครงการทั่วประเทศของ วศ.", "ทุกจังหวัด", 750000, None],
        ],
    )
    # Rejected whole (no header): TISTR sent, but has no plan.
    write_text_xlsx(inbox / "TISTR_2555.xlsx", y55, [], header=["บันทึกข้อความ"])
    # NIA's file is current but no row passes.
    write_text_xlsx(inbox / "NIA_2555.xlsx", y55, [[1, "โครงการผิด", "ภาคอีสาน", 10, None]])
    write_text_xlsx(
        inbox / "NSTDA_2556.xlsx",
        [[YEAR_TITLE.format(2556)]],
        [[1, "โครงการปีหน้า", "ตาก", 50000, "S1 เศรษฐกิจ"]],
    )


_PLAN: dict[str, Path] = {}


def build_plan(tmp_path_factory) -> Path:
    """Run the real pipeline once per session on `build_inbox`; return plan.duckdb."""
    if "plan" not in _PLAN:
        root = tmp_path_factory.mktemp("planbook_plan")
        inbox = root / "inbox"
        inbox.mkdir()
        build_inbox(inbox)
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("STIPLAN_INBOX", str(inbox))
            mp.setenv("STIPLAN_WAREHOUSE", str(root / "warehouse"))
            mp.delenv("DAGSTER_HOME", raising=False)
            from stiplan.run import run_inbox

            summary = run_inbox(outputs=False)
        assert summary.published and not summary.failed_checks
        _PLAN["plan"] = root / "warehouse" / "plan.duckdb"
    return _PLAN["plan"]


def query(plan: Path, sql: str, *params) -> list[tuple]:
    con = duckdb.connect(str(plan), read_only=True)
    try:
        return con.execute(sql, list(params)).fetchall()
    finally:
        con.close()


def mb(baht) -> float:
    return float(Decimal(baht) / Decimal(1_000_000))


def approx(x):
    return pytest.approx(x, rel=0, abs=1e-9)


def pct(part, whole) -> float:
    return float(Decimal(100) * Decimal(part) / Decimal(whole)) if whole else 0.0


class Truth:
    """Expected figures for one fiscal year, computed from the plan's base tables."""

    def __init__(self, plan: Path, year: int):
        self.year = year
        self.agencies = {
            c: (abbr or c, name)
            for c, abbr, name in query(plan, "SELECT code, abbr_th, name_th FROM agencies")
        }
        self.provinces = {
            r[0]: r
            for r in query(plan, "SELECT code, name_th, region_th, cluster_th FROM provinces")
        }
        self.projects = {
            r[0]: r
            for r in query(
                plan,
                """
            SELECT p.project_id, p.agency_code, p.project_name, p.budget_baht, p.nationwide,
                   p.strategy, p.start_date, p.end_date, s.file_name, p.sheet, p.row_number,
                   p.contact_name, p.contact_phone
            FROM projects p JOIN submissions s USING (submission_id)
            WHERE p.fiscal_year = ?""",
                year,
            )
        }
        self.shares = defaultdict(dict)  # project -> province -> share
        for pid, code, share in query(
            plan,
            """
                SELECT pp.project_id, pp.province_code, pp.budget_share_baht
                FROM project_provinces pp JOIN projects p USING (project_id)
                WHERE p.fiscal_year = ?""",
            year,
        ):
            self.shares[pid][code] = share
        self.total = sum((r[3] for r in self.projects.values()), Decimal(0))
        self.nationwide = [r for r in self.projects.values() if r[4]]

    def by_area(self, area) -> dict[str, tuple[int, Decimal]]:
        """area(province_code) -> key; (distinct projects, estimated budget)."""
        ids, budget = defaultdict(set), defaultdict(Decimal)
        for pid, shares in self.shares.items():
            for code, share in shares.items():
                ids[area(code)].add(pid)
                budget[area(code)] += share
        return {k: (len(ids[k]), budget[k]) for k in ids}


@pytest.fixture(scope="module")
def plan(tmp_path_factory) -> Path:
    return build_plan(tmp_path_factory)


@pytest.fixture(scope="module")
def books(plan, tmp_path_factory) -> dict[int, Path]:
    out = tmp_path_factory.mktemp("planbooks")
    paths = write_planbooks(plan, out)
    return {int(p.stem.rsplit("_", 1)[1]): p for p in paths}


@pytest.fixture(scope="module")
def book(books):
    return openpyxl.load_workbook(books[2555])


@pytest.fixture(scope="module")
def truth(plan):
    return Truth(plan, 2555)


def table(ws, key_col: int = 1) -> tuple[list[str], list[dict], dict | None]:
    """The table of a sheet: its header (the row whose first cell is ลำดับ), its rows as
    dicts by header, and its รวมทั้งสิ้น row."""
    rows = list(ws.iter_rows(values_only=True))
    h = next(i for i, r in enumerate(rows) if r and r[key_col - 1] == "ลำดับ")
    header = [c for c in rows[h] if c is not None]
    body, total = [], None
    for r in rows[h + 1 :]:
        if all(c is None for c in r[: len(header)]):
            break
        d = dict(zip(header, r, strict=False))
        if TOTAL in r[: len(header)]:
            total = d
            break
        body.append(d)
    return header, body, total


def col(header: list[str], start: str) -> str:
    return next(h for h in header if h.startswith(start))


# ------------------------------------------------------------------ the tests


def test_one_book_per_fiscal_year(books, plan):
    years = {y for (y,) in query(plan, "SELECT DISTINCT fiscal_year FROM projects")}
    assert set(books) == years == {2555, 2556}
    assert {p.name for p in books.values()} == {
        "แผนบูรณาการ_วทน_2555.xlsx",
        "แผนบูรณาการ_วทน_2556.xlsx",
    }
    assert set(openpyxl.load_workbook(books[2555]).sheetnames) == {
        "ปก",
        "ตามหน่วยงาน",
        "ตามยุทธศาสตร์",
        "ตามภาค",
        "ตามกลุ่มจังหวัด",
        "ตามจังหวัด",
        "ยังไม่ส่งแผน",
        "รายการโครงการ",
    }


def test_cover_headline(book, truth, plan):
    ws = book["ปก"]
    facts = {r[0]: r[1] for r in ws.iter_rows(values_only=True) if r[0] and r[1] is not None}
    sent = {r[1] for r in truth.projects.values()}
    assert facts["จำนวนโครงการ"] == len(truth.projects) == 10
    assert facts["งบประมาณรวม"] == approx(mb(truth.total))
    assert ws["B8"].number_format == MB
    assert facts["หน่วยงานที่ส่งแผน"] == len(sent) == 2
    assert facts["โครงการที่ดำเนินการทั่วประเทศ"] == len(truth.nationwide) == 2
    assert facts["งบประมาณโครงการทั่วประเทศ"] == approx(mb(sum(r[3] for r in truth.nationwide)))
    text = "\n".join(str(c) for row in ws.iter_rows(values_only=True) for c in row if c)
    assert (
        f"มี {len(truth.projects)} โครงการ งบประมาณรวม {mb(truth.total):,.4f} ล้านบาท "
        f"จาก {len(sent)} หน่วยงาน"
    ) in text
    for code in sent:
        assert truth.agencies[code][1] in text
    # generated-from: the latest received_at of the year's files in Bangkok time, never
    # "now" (so a file for another year leaves this book as it is)
    (latest,) = query(plan, "SELECT max(received_at) FROM submissions WHERE fiscal_year = 2555")[0]
    local = latest.astimezone(dt.timezone(dt.timedelta(hours=7)))
    from pythainlp.util.date import thai_abbr_months

    month = thai_abbr_months[local.month - 1]
    stamp = f"{local.day} {month} {local.year + 543} {local:%H:%M} น."
    assert f"ข้อมูล ณ {stamp}" in text


def test_agency_summary(book, truth):
    header, body, total = table(book["ตามหน่วยงาน"])
    expected = defaultdict(lambda: [0, Decimal(0)])
    for r in truth.projects.values():
        expected[r[1]][0] += 1
        expected[r[1]][1] += r[3]
    by_abbr = {truth.agencies[c][0]: (c, n, b) for c, (n, b) in expected.items()}
    assert [d["ชื่อย่อ"] for d in body] == ["วศ.", "สวทช."]  # the ministry's order: DSS, NSTDA
    for d in body:
        code, n, b = by_abbr[d["ชื่อย่อ"]]
        assert d["หน่วยงาน"] == truth.agencies[code][1]
        assert d["จำนวนโครงการ"] == n
        assert d["งบประมาณ (ล้านบาท)"] == approx(mb(b))
        assert d["สัดส่วน (%)"] == pytest.approx(pct(b, truth.total), abs=1e-4)
    assert len(body) == len(expected)
    assert total["จำนวนโครงการ"] == len(truth.projects)
    assert total["งบประมาณ (ล้านบาท)"] == approx(mb(truth.total))
    assert total["สัดส่วน (%)"] == 100


def test_strategy_summary(book, truth):
    header, body, total = table(book["ตามยุทธศาสตร์"])
    expected = defaultdict(lambda: [0, Decimal(0)])
    for r in truth.projects.values():
        key = r[5] or "ไม่ระบุยุทธศาสตร์"
        expected[key][0] += 1
        expected[key][1] += r[3]
    # S1/S2/S3 typed by the agencies are the ministry's strategies 1-3
    assert [d["ยุทธศาสตร์"] for d in body] == [*STRATEGIES[:3], "ไม่ระบุยุทธศาสตร์"]
    for d in body:
        n, b = expected[d["ยุทธศาสตร์"]]
        assert (d["จำนวนโครงการ"], d["งบประมาณ (ล้านบาท)"]) == (n, approx(mb(b)))
        assert d["สัดส่วน (%)"] == pytest.approx(pct(b, truth.total), abs=1e-4)
    assert total["จำนวนโครงการ"] == len(truth.projects)
    assert total["งบประมาณ (ล้านบาท)"] == approx(mb(truth.total))


def _check_area(body, total, header, expected, nationwide, key, n_total, grand):
    budget = col(header, "งบประมาณประมาณการ")
    for d in body:
        if d[key] == NATIONWIDE:
            continue
        n, b = expected.get(d[key], (0, Decimal(0)))
        assert d["จำนวนโครงการ"] == n, d
        assert d[budget] == approx(mb(b)), d
        assert d["สัดส่วน (%)"] == pytest.approx(pct(b, grand), abs=1e-4), d
    (nation,) = [d for d in body if d[key] == NATIONWIDE]
    assert nation["จำนวนโครงการ"] == len(nationwide)
    assert nation[budget] == approx(mb(sum(r[3] for r in nationwide)))
    assert total["จำนวนโครงการ"] == n_total
    assert total[budget] == approx(mb(grand))
    # the rows add up to the plan's total
    assert sum(d[budget] for d in body) == pytest.approx(mb(grand), abs=1e-9)


def test_region_summary_is_an_estimate_with_a_chart(book, truth, books):
    ws = book["ตามภาค"]
    header, body, total = table(ws)
    expected = truth.by_area(lambda c: truth.provinces[c][2])
    assert [d["ภาค"] for d in body] == [
        "ภาคเหนือ",
        "ภาคตะวันออกเฉียงเหนือ",
        "ภาคกลาง",
        "ภาคตะวันออก",
        "ภาคตะวันตก",
        "ภาคใต้",
        NATIONWIDE,
    ]
    _check_area(
        body, total, header, expected, truth.nationwide, "ภาค", len(truth.projects), truth.total
    )
    provinces_per_region = defaultdict(int)
    for _, _, region, _ in truth.provinces.values():
        provinces_per_region[region] += 1
    for d in body[:-1]:
        assert d["จำนวนจังหวัด"] == provinces_per_region[d["ภาค"]]
    assert "ประมาณการ" in ws["A1"].value and "แบ่งเท่ากัน" in ws["A3"].value
    assert "ประมาณการ" in col(header, "งบประมาณ")
    assert len(ws._charts) == 1
    chart = ws._charts[0]
    assert chart.type == "col" and len(chart.series) == 1
    ref = chart.series[0].val.numRef.f
    assert "ตามภาค" in ref and "$E$5:$E$10" in ref  # the six regions' budgets
    with zipfile.ZipFile(books[2555]) as z:
        assert sum(n.startswith("xl/charts/chart") for n in z.namelist()) == 2


def test_cluster_summary(book, truth):
    ws = book["ตามกลุ่มจังหวัด"]
    header, body, total = table(ws)
    expected = truth.by_area(lambda c: truth.provinces[c][3] or NO_CLUSTER)
    clusters = {r[3] for r in truth.provinces.values() if r[3]}
    names = [d["กลุ่มจังหวัด"] for d in body]
    assert names == collate(clusters) + [NO_CLUSTER, NATIONWIDE]
    _check_area(
        body,
        total,
        header,
        expected,
        truth.nationwide,
        "กลุ่มจังหวัด",
        len(truth.projects),
        truth.total,
    )
    members = {d["กลุ่มจังหวัด"]: d["จังหวัดในกลุ่ม"] for d in body}
    assert members[NO_CLUSTER] == "กรุงเทพมหานคร"
    assert expected[NO_CLUSTER] == (1, Decimal("100.00"))
    assert "ประมาณการ" in ws["A1"].value
    assert len(ws._charts) == 1 and ws._charts[0].type == "bar"


def test_province_summary_in_thai_order(book, truth):
    ws = book["ตามจังหวัด"]
    header, body, total = table(ws)
    names = [d["จังหวัด"] for d in body]
    assert names[-1] == NATIONWIDE
    assert names[:-1] == PROVINCES_TH_ORDER
    assert names[:-1] == collate(names[:-1])
    assert names[:-1] != sorted(names[:-1])  # Python's own order is wrong here
    expected = truth.by_area(lambda c: truth.provinces[c][1])
    _check_area(
        body, total, header, expected, truth.nationwide, "จังหวัด", len(truth.projects), truth.total
    )
    for d in body[:-1]:
        code, name, region, cluster = truth.provinces[d["รหัส"]]
        assert (d["จังหวัด"], d["ภาค"], d["กลุ่มจังหวัด"]) == (name, region, cluster or NO_CLUSTER)
    # one figure by hand: NSTDA's 2,500,000.01 over เชียงราย, ลำพูน, แพร่ (leftover satang
    # to the first codes: TH-51 ลำพูน, TH-54 แพร่) plus DSS's 250,000 in แพร่
    budget = col(header, "งบประมาณประมาณการ")
    phrae = next(d for d in body if d["จังหวัด"] == "แพร่")
    assert phrae[budget] == approx(mb(Decimal("833333.34") + Decimal("250000")))
    assert phrae["จำนวนโครงการ"] == 2
    assert "ประมาณการ" in ws["A1"].value and "ประมาณการ" in ws["A3"].value


def test_missing_agencies(book, truth, plan):
    header, body, _ = table(book["ยังไม่ส่งแผน"])
    all_codes = set(truth.agencies)
    with_projects = {r[1] for r in truth.projects.values()}
    assert {d["รหัส"] for d in body} == all_codes - with_projects
    assert len(body) == 14
    status = {d["รหัส"]: d["สถานะ"] for d in body}
    assert "ปฏิเสธ" in status["TISTR"]
    assert "ไม่มีโครงการ" in status["NIA"]
    assert status["NARIT"] == "ยังไม่ส่ง"
    received = dict(
        query(
            plan,
            """SELECT agency_code, count(*) FROM submissions
                                  WHERE fiscal_year = 2555 GROUP BY 1""",
        )
    )
    for d in body:
        assert d["ไฟล์ที่ได้รับ"] == received.get(d["รหัส"], 0)
    tistr = next(d for d in body if d["รหัส"] == "TISTR")
    assert tistr["ไฟล์ที่ถูกปฏิเสธ"] == 1 and tistr["เหตุผลล่าสุด"]


def test_project_list_with_lineage(book, truth):
    ws = book["รายการโครงการ"]
    header, body, total = table(ws)
    assert len(body) == len(truth.projects)
    got = {d["รหัสโครงการ"]: d for d in body}
    assert set(got) == set(truth.projects)
    for pid, (
        _,
        agency,
        name,
        budget,
        nationwide,
        strategy,
        start,
        end,
        file,
        sheet,
        row,
        contact,
        phone,
    ) in truth.projects.items():
        d = got[pid]
        provinces = (
            NATIONWIDE
            if nationwide
            else ", ".join(collate(truth.provinces[c][1] for c in truth.shares[pid]))
        )
        assert (d["หน่วยงาน"], d["ชื่อโครงการ"], d["จังหวัด"], d["ยุทธศาสตร์"]) == (
            truth.agencies[agency][0],
            name,
            provinces,
            strategy,
        )
        assert d["งบประมาณ (บาท)"] == approx(float(budget))
        assert d["งบประมาณ (ล้านบาท)"] == approx(mb(budget))
        assert (d["ไฟล์ต้นฉบับ"], d["แผ่นงาน"], d["แถว"]) == (file, sheet, row)
        assert (d["วันเริ่มต้น"], d["วันสิ้นสุด"]) == (thai_date(start), thai_date(end))
        assert (d["ผู้รับผิดชอบ"], d["โทรศัพท์"]) == (contact, phone)
    assert total["งบประมาณ (บาท)"] == approx(float(truth.total))
    # Buddhist-era dates, by hand
    first = next(d for d in body if d["ชื่อโครงการ"] == "=1+1")
    assert (first["วันเริ่มต้น"], first["วันสิ้นสุด"]) == ("1 ต.ค. 2554", "30 ก.ย. 2555")
    assert first["จังหวัด"] == "เชียงใหม่" and first["โทรศัพท์"] == "02-564-7000"
    three = next(d for d in body if d["ชื่อโครงการ"] == "@SUM(A1)")
    assert three["จังหวัด"] == "เชียงราย, แพร่, ลำพูน"
    # two title rows and the header above: the second project is on row 5
    assert (three["ไฟล์ต้นฉบับ"], three["แผ่นงาน"], three["แถว"]) == ("NSTDA_2555.xlsx", "โครงการ", 5)
    dss = next(d for d in body if d["ชื่อโครงการ"] == "โครงการอุบลและโคราช")
    assert (dss["วันเริ่มต้น"], dss["วันสิ้นสุด"]) == ("1 พ.ย. 2554", "30 ก.ย. 2555")
    assert dss["จังหวัด"] == "นครราชสีมา, อุบลราชธานี"
    assert ws.freeze_panes == "D5" and ws.print_title_rows == "$1:$4"
    assert ws.auto_filter.ref


def test_text_that_looks_like_a_formula_stays_text(books):
    wb = openpyxl.load_workbook(books[2555])
    ws = wb["รายการโครงการ"]
    cells = {c.value: c for row in ws.iter_rows() for c in row if c.value in FORMULA_LIKE}
    assert set(cells) == set(FORMULA_LIKE)
    for value, cell in cells.items():
        assert cell.data_type == "s", value
        assert cell.quotePrefix, value
    with zipfile.ZipFile(books[2555]) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/sheet"):
                assert b"<f>" not in z.read(name) and b"<f " not in z.read(name), name


def test_font_formats_panes_and_print_titles(book):
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.value is not None:
                    assert cell.font.name == FONT, (ws.title, cell.coordinate)
        if ws.title != "ปก":
            assert ws.freeze_panes and ws.print_title_rows, ws.title
            assert ws.page_setup.fitToWidth == 1
    for name in ("ตามหน่วยงาน", "ตามยุทธศาสตร์", "ตามภาค", "ตามกลุ่มจังหวัด", "ตามจังหวัด"):
        ws = book[name]
        header, _, _ = table(ws)
        c = header.index(col(header, "งบประมาณ")) + 1
        formats = {
            ws.cell(row=r, column=c).number_format
            for r in range(5, ws.max_row + 1)
            if isinstance(ws.cell(row=r, column=c).value, float)
        }
        assert formats == {MB}, name
        widths = [ws.column_dimensions[chr(64 + i)].width for i in range(1, len(header) + 1)]
        assert all(w and w >= 7 for w in widths), name


def test_second_year_has_its_own_figures(books, plan):
    wb = openpyxl.load_workbook(books[2556])
    truth = Truth(plan, 2556)
    _, body, total = table(wb["รายการโครงการ"])
    assert [d["ชื่อโครงการ"] for d in body] == ["โครงการปีหน้า"]
    assert total["งบประมาณ (ล้านบาท)"] == approx(mb(truth.total)) == approx(0.05)
    _, body, _ = table(wb["ตามจังหวัด"])
    tak = next(d for d in body if d["จังหวัด"] == "ตาก")
    assert tak["จำนวนโครงการ"] == 1


def test_writing_twice_gives_identical_workbooks(plan, books, tmp_path):
    again = {int(p.stem.rsplit("_", 1)[1]): p for p in write_planbooks(plan, tmp_path)}
    for year, path in books.items():
        a, b = openpyxl.load_workbook(path), openpyxl.load_workbook(again[year])
        assert a.sheetnames == b.sheetnames
        for ws in a.worksheets:
            assert [[c for c in r] for r in ws.iter_rows(values_only=True)] == [
                [c for c in r] for r in b[ws.title].iter_rows(values_only=True)
            ]
        with zipfile.ZipFile(path) as za, zipfile.ZipFile(again[year]) as zb:
            for name in za.namelist():
                assert za.read(name) == zb.read(name), name
        assert path.read_bytes() == again[year].read_bytes()  # the dates are the plan's


def changed_plan(plan: Path, tmp_path: Path) -> Path:
    """The plan with the one project of 2556 renamed (nothing else changes)."""
    import shutil

    copy = tmp_path / "changed.duckdb"
    shutil.copyfile(plan, copy)
    con = duckdb.connect(str(copy))
    try:
        con.execute(
            "UPDATE projects SET project_name = project_name || ' (แก้ไข)' WHERE fiscal_year = 2556"
        )
    finally:
        con.close()
    return copy


def test_only_a_changed_book_is_written_again(plan, tmp_path):
    import stat

    from stiplan.assets.books.folders import Manifest

    first = write_planbooks(plan, tmp_path / "first")
    again = write_planbooks(
        plan, tmp_path / "same", previous=Manifest.of(tmp_path / "first", first)
    )
    for a, b in zip(first, again, strict=True):  # unchanged: links to the books before
        assert a.stat().st_ino == b.stat().st_ino
        assert stat.S_IMODE(b.stat().st_mode) == 0o644
    changed = write_planbooks(
        changed_plan(plan, tmp_path),
        tmp_path / "changed",
        previous=Manifest.of(tmp_path / "same", again),
    )
    assert changed[0].stat().st_ino == first[0].stat().st_ino  # 2555
    assert changed[1].stat().st_ino != first[1].stat().st_ino  # 2556: its project renamed
    _, body, _ = table(openpyxl.load_workbook(changed[1])["รายการโครงการ"])
    assert [d["ชื่อโครงการ"] for d in body] == ["โครงการปีหน้า (แก้ไข)"]
    assert oct(changed[1].stat().st_mode & 0o777) == "0o644"


def test_thai_sort_order():
    names = ["อุบลราชธานี", "เชียงใหม่", "นครราชสีมา", "กรุงเทพมหานคร", "ขอนแก่น"]
    expected = ["กรุงเทพมหานคร", "ขอนแก่น", "เชียงใหม่", "นครราชสีมา", "อุบลราชธานี"]
    assert sorted(names) != expected  # naive code-point order puts เชียงใหม่ last
    assert sorted(names, key=thai_sort_key) == expected == collate(names)
    # leading vowels เ แ โ ใ ไ are skipped to the consonant they precede
    words = ["ไก่", "ใจ", "โคราช", "แพร่", "เลย", "กา", "ลำพูน", "พะเยา", "ภูเก็ต", "ลพบุรี"]
    hand = ["กา", "ไก่", "โคราช", "ใจ", "พะเยา", "แพร่", "ภูเก็ต", "ลพบุรี", "ลำพูน", "เลย"]
    assert sorted(words, key=thai_sort_key) == hand == collate(words)
    # by key, stable, for records
    rows = [("TH-54", "แพร่"), ("TH-83", "ภูเก็ต"), ("TH-56", "พะเยา")]
    by_name = sorted(rows, key=lambda r: thai_sort_key(r[1]))
    assert [c for c, _ in by_name] == ["TH-56", "TH-54", "TH-83"]


def test_thai_dates():
    assert thai_date(dt.date(2011, 10, 1)) == "1 ต.ค. 2554"
    assert thai_date(dt.date(2012, 9, 30)) == "30 ก.ย. 2555"
    assert thai_date(dt.datetime(2026, 1, 5, 9, 7), time=True) == "5 ม.ค. 2569 09:07 น."
    assert thai_date(None) is None


def test_worker_processes_write_the_same_bytes(plan, books, tmp_path, monkeypatch):
    """A long project list is rendered by two worker processes, a slice each at a time
    (the slices are joined into one compressed sheet): the same workbook as in one."""
    from stiplan.assets.books import planbook
    from stiplan.assets.excel import style as xlsx_style

    monkeypatch.setattr(planbook, "PARALLEL_ROWS", 0)
    monkeypatch.setattr(planbook, "CHUNK_ROWS", 3)  # several slices even here
    monkeypatch.setattr(xlsx_style, "CHUNK_ROWS", 3)
    monkeypatch.setenv("STIPLAN_OUTPUT_WORKERS", "2")
    for path in write_planbooks(plan, tmp_path):
        one = books[int(path.stem.rsplit("_", 1)[1])]
        with zipfile.ZipFile(path) as za, zipfile.ZipFile(one) as zb:
            assert za.testzip() is None
            assert za.namelist() == zb.namelist()
            for name in za.namelist():  # compressed in other slices: the same content
                assert za.read(name) == zb.read(name), name


def test_the_template_dropdown_lists_provinces_in_the_plan_books_order(book, tmp_path):
    from stiplan.template import LIST_SHEET, write_template
    from stiplan.template import NATIONWIDE as TEMPLATE_NATIONWIDE

    _, body, _ = table(book["ตามจังหวัด"])
    in_book = [d["จังหวัด"] for d in body][:-1]  # the last row: nationwide
    template = openpyxl.load_workbook(write_template("NSTDA", 2555, tmp_path / "t.xlsx"))
    listed = [c.value for c in template[LIST_SHEET]["A"][1:]]  # under the list's header
    assert listed[0] == TEMPLATE_NATIONWIDE
    assert listed[1:] == in_book == sorted(in_book, key=thai_sort_key)
    assert len(in_book) == 77
