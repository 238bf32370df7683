"""One strategy however it is cited: `S2`, `ยุทธ์ที่ ๒`, `Ｓ２`, `ยุทธศาสตร์ที่ ๒ : …`,
`Strategy 2` and the strategy's title alone are the ministry's strategy 2, so the plan's
per-strategy totals are not split between spellings; the agency's own strategies, another
plan's, several at once and numbers the ministry has not are kept as written (the last with
a warning)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from hypothesis import given
from hypothesis import strategies as st
from plans import file, write_plan
from workbooks import write_xlsx

from stiplan.assets.ingest.strategies import parse_strategy
from stiplan.assets.ingest.submission import read_submission
from stiplan.assets.ingest.text import clean_text
from stiplan.schemas.problems import PROBLEMS
from stiplan.schemas.reference import STRATEGIES

S1, S2, S3, S4, S5 = STRATEGIES
TITLE = {n: label.split(" ", 2)[2] for n, label in enumerate(STRATEGIES, 1)}


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("S1", S1),
        ("s1", S1),
        ("S.2", S2),
        ("s.1", S1),
        ("S 3", S3),
        ("S-1", S1),
        ("ST 2", S2),
        ("Str.2", S2),
        ("S1 เศรษฐกิจ", S1),
        ("S1.", S1),
        ("ยุทธศาสตร์ที่ 1", S1),
        ("ยุทธศาสตร์ที่1", S1),
        ("ยุทธศาสตร์ 2", S2),
        ("ยุทธศาสตร์ที่ ๒ : ชุมชน", S2),
        ("ยุทธศาสตร์ที่ ๒ (S2)", S2),
        ("ประเด็นยุทธศาสตร์ที่ 3 โครงสร้างพื้นฐาน", S3),
        ("ยุทธ.4", S4),
        # abbreviations and slips of ยุทธศาสตร์
        ("ยุทธ์ที่ ๑", S1),
        ("ประเด็นยุทธ์ที่ 2", S2),
        ("ยุทธฯ 3", S3),
        ("ยศ.1", S1),
        ("ยศ. 2", S2),
        ("ยุทธศาตร์ที่ 1", S1),
        ("ยุทธศาสต์ที่ 2", S2),
        # "the ministry's strategy n"
        ("ยุทธศาสตร์กระทรวงที่ 2", S2),
        ("ยุทธศาสตร์ วท. ที่ 2", S2),
        # the number as a word or a Roman numeral, after a full strategy word
        ("ยุทธศาสตร์ที่ หนึ่ง", S1),
        ("ยุทธศาสตร์ที่สอง", S2),
        ("Strategy II", S2),
        ("Strategy one", S1),
        ("Strategy 4", S4),
        ("strategy no. 5", S5),
        ("Strategy #2", S2),
        ("Strategy: 2", S2),
        ("Strategy-2", S2),
        ("strategic issue 3", S3),
        # full-width letters and digits, NBSP, zero-width characters
        ("Ｓ１", S1),
        ("Ｓ．１", S1),
        ("ＳＴＲＡＴＥＧＹ　２", S2),
        ("ยุทธศาสตร์ที่ １", S1),
        ("S\u00a01", S1),
        ("\u200bS\u200b1", S1),
        ("ยุทธ\u200bศาสตร์ที่\u00a0๑", S1),
        ("(5)", S5),
        ("1)", S1),
        ("2.", S2),
        ("3", S3),
        ("๓", S3),
        (S4, S4),
        ("  ยุทธศาสตร์ที่   5  วิทยาศาสตร์และเทคโนโลยี ", S5),
        # the number wins over the text after it
        (f"ยุทธศาสตร์ที่ 1 {TITLE[2]}", S1),
        # the title alone, spaced differently, after a strategy word, with a full stop
        ("วิทยาศาสตร์และเทคโนโลยีเพื่อการจัดการทรัพยากร  สิ่งแวดล้อมและภัยพิบัติ", S5),
        (f"ยุทธศาสตร์: {TITLE[5]}", S5),
        (f"{TITLE[3]}.", S3),
        # not a citation of one ministry strategy: kept as written (cleaned)
        ("S9", "S9"),
        ("ยุทธศาสตร์ที่ 12", "ยุทธศาสตร์ที่ 12"),
        ("ยุทธศาสตร์ชาติ ด้านที่ 2", "ยุทธศาสตร์ชาติ ด้านที่ 2"),
        ("ยุทธศาสตร์ชาติ 20 ปี", "ยุทธศาสตร์ชาติ 20 ปี"),
        ("ยุทธศาสตร์ที่ 3 ของจังหวัด", "ยุทธศาสตร์ที่ 3 ของจังหวัด"),
        ("ยุทธศาสตร์ที่ 2 (จังหวัด)", "ยุทธศาสตร์ที่ 2 (จังหวัด)"),
        ("Strategy 2 provincial", "Strategy 2 provincial"),
        ("ยุทธศาสตร์ที่ 2 และ 3", "ยุทธศาสตร์ที่ 2 และ 3"),
        ("ยุทธศาสตร์ที่ 1-2", "ยุทธศาสตร์ที่ 1-2"),
        ("S1-S3", "S1-S3"),
        ("S1, S2", "S1, S2"),
        ("S1/S2", "S1/S2"),
        ("S1 & S2", "S1 & S2"),
        ("S1 (S2)", "S1 (S2)"),
        ("S2.1", "S2.1"),
        ("ยุทธศาสตร์ที่ 2.1 ชุมชน", "ยุทธศาสตร์ที่ 2.1 ชุมชน"),
        ("ยุทธศาสตร์ที่สามัคคี", "ยุทธศาสตร์ที่สามัคคี"),
        ("Strategy X-ray", "Strategy X-ray"),
        ("SI", "SI"),
        ("SDG 4", "SDG 4"),
        ("SO1", "SO1"),
        ("ข้อ 1", "ข้อ 1"),
        ("2 ชุมชน", "2 ชุมชน"),
        ("3 จังหวัด", "3 จังหวัด"),
        ("5ส", "5ส"),
        ("2557 แผนงานใหม่", "2557 แผนงานใหม่"),
        ("1.5 ล้านบาท", "1.5 ล้านบาท"),
        ("1,500", "1,500"),
        ("SME 4.0", "SME 4.0"),
        ("ยุทธศาสตร์", "ยุทธศาสตร์"),
        ("เกษตรอัจฉริยะ", "เกษตรอัจฉริยะ"),
        ("เกษตร  อัจฉริยะ", "เกษตร อัจฉริยะ"),
        ("", ""),
    ],
)
def test_citations_of_one_strategy_become_its_label(cell, expected):
    assert parse_strategy(cell).label == expected


@pytest.mark.parametrize(
    ("cell", "state"),
    [
        ("S9", "not_ministry"),
        ("S0", "not_ministry"),
        ("Ｓ６", "not_ministry"),
        ("ยุทธศาสตร์ที่ 6", "not_ministry"),
        ("ยุทธศาสตร์ที่ ๑๐ การท่องเที่ยว", "not_ministry"),
        ("Strategy 12", "not_ministry"),
        # a number alone, or another plan's strategy, is no slip of the ministry's numbers
        ("9", "ok"),
        ("ยุทธศาสตร์ที่ 6 ของจังหวัด", "ok"),
        ("ยุทธศาสตร์ชาติ 6", "ok"),
        ("S1", "ok"),
        ("เกษตรอัจฉริยะ", "ok"),
    ],
)
def test_a_number_the_ministry_has_not_is_kept_and_flagged(cell, state):
    parsed = parse_strategy(cell)
    assert parsed.state == state
    if state == "not_ministry":
        assert parsed.label == clean_text(cell)


@given(st.text())
def test_any_text_gives_a_label_or_itself_cleaned(text):
    parsed = parse_strategy(text)
    assert isinstance(parsed.label, str)
    assert parsed.state in ("ok", "not_ministry")
    assert parse_strategy(parsed.label) == parsed  # a label is its own label
    assert parsed.label in STRATEGIES or parsed.label == clean_text(text)
    if parsed.state == "not_ministry":
        assert parsed.label == clean_text(text)


# Ways of citing strategy n, with the noise agencies' cells carry.
_WORDS = [
    "S", "s", "S.", "S-", "S ", "St ", "Strategy ", "STRATEGY ", "strategy no. ", "Strategy: ",
    "ยุทธศาสตร์ที่ ", "ยุทธศาสตร์ที่", "ยุทธศาสตร์ ", "ยุทธ์ที่ ", "ยุทธ.", "ยศ.", "ประเด็นยุทธศาสตร์ที่ ",
]  # fmt: skip
_NOISE = ["", " ", "  ", "\u00a0", "\u200b", "\u3000", "\ufeff"]


def _digits(n: int, form: str) -> str:
    if form == "thai":
        return "".join(chr(0x0E50 + int(d)) for d in str(n))
    if form == "wide":
        return "".join(chr(0xFF10 + int(d)) for d in str(n))
    return str(n)


@given(
    st.sampled_from(range(1, len(STRATEGIES) + 1)),
    st.sampled_from(_WORDS),
    st.sampled_from(["ascii", "thai", "wide"]),
    st.sampled_from(_NOISE),
    st.sampled_from(_NOISE),
    st.sampled_from(["", " : ", " ", ". ", " - "]),
    st.sampled_from(["", "title", "เศรษฐกิจ", "free"]),
    st.text(max_size=15),
)
def test_every_spelling_of_a_number_is_that_strategy(
    number, word, digits, before, inside, sep, tail, free
):
    if tail == "free":  # anything after a colon describes the strategy
        sep, tail = " : ", free
    elif tail == "title":
        tail = TITLE[number]
    if not tail:
        sep = sep.strip()
    cell = f"{before}{word}{inside}{_digits(number, digits)}{sep}{tail}{before}"
    assert parse_strategy(cell) == (STRATEGIES[number - 1], "ok"), cell


@given(st.sampled_from(range(1, len(STRATEGIES) + 1)), st.sampled_from(_NOISE))
def test_the_title_alone_is_that_strategy(number, noise):
    title = TITLE[number]
    assert parse_strategy(title.replace(" ", f" {noise}")).label == STRATEGIES[number - 1]
    assert parse_strategy(f"ยุทธศาสตร์ {title}").label == STRATEGIES[number - 1]


@given(
    st.integers(min_value=len(STRATEGIES) + 1, max_value=99) | st.just(0),
    st.sampled_from(["S", "ยุทธศาสตร์ที่ ", "Strategy "]),
    st.sampled_from(["ascii", "thai", "wide"]),
)
def test_a_number_beyond_the_ministrys_is_kept_with_a_warning(number, word, digits):
    cell = f"{word}{_digits(number, digits)}"
    assert parse_strategy(cell) == (clean_text(cell), "not_ministry")


@given(st.text(alphabet="กขคงจฉชซ abcdfhkmxz-.():", max_size=40))
def test_free_text_without_a_number_is_kept(text):
    """No digit, no strategy word, no title: the agency's own text, only cleaned."""
    assert parse_strategy(text) == (clean_text(text), "ok")


def test_the_warning_names_the_ministrys_numbers():
    t = PROBLEMS["strategy_not_ministry"]
    assert (t.scope, t.severity) == ("cell", "warning")
    assert f"1–{len(STRATEGIES)}" in t.what_en and f"1–{len(STRATEGIES)}" in t.what_th


HEADER = ["ลำดับ", "ชื่อโครงการ", "จังหวัด", "งบประมาณ (บาท)", "ยุทธศาสตร์"]
TITLES = [["แผนบูรณาการ ประจำปีงบประมาณ พ.ศ. 2555"], ["หน่วยงาน: สวทช."], HEADER]


def test_spellings_of_one_strategy_make_one_summary_row(tmp_path: Path):
    """The defect: `S1` and `ยุทธศาสตร์ที่ 1` were two strategies, each with part of the
    total. A number the ministry has not (`S9`) stays the agency's, accepted and warned."""
    path = write_xlsx(
        tmp_path / "NSTDA_2555.xlsx",
        {
            "Sheet1": (
                TITLES,
                [
                    [1, "โครงการเกษตรอัจฉริยะ", "เชียงใหม่", 1000, "S1"],
                    [2, "โครงการศูนย์บ่มเพาะ", "ลำพูน", 2000, "ยุทธศาสตร์ที่ 1 การพัฒนาเศรษฐกิจ"],
                    [3, "โครงการโรงงานต้นแบบ", "แพร่", 400, "ยุทธศาสตร์ที่ ๒"],
                    [4, "โครงการน้ำสะอาด", "น่าน", 30, "S2"],
                    [5, "โครงการของหน่วยงานเอง", "ลำปาง", 5, "เกษตรอัจฉริยะ"],
                    [6, "โครงการยุทธ์หนึ่ง", "ตาก", 10000, "ยุทธ์ที่ ๑"],
                    [7, "โครงการเต็มความกว้าง", "ตาก", 20000, "Ｓ１"],
                    [8, "โครงการช่องไฟ", "ตาก", 40000, "S\u00a0.\u200b1"],
                    [9, "โครงการชื่อยุทธศาสตร์", "ตาก", 80000, TITLE[1]],
                    [10, "โครงการเลขเกิน", "ตาก", 7, "S9"],
                ],
            )
        },
    )
    parsed = read_submission(path, path.name)
    assert [r.outcome for r in parsed.rows] == ["accepted"] * 10
    assert [r.texts["strategy"] for r in parsed.rows] == [
        S1, S1, S2, S2, "เกษตรอัจฉริยะ", S1, S1, S1, S1, "S9",
    ]  # fmt: skip
    warned = [
        (p.row_number, p.column, p.value, p.severity)
        for p in parsed.problems
        if p.code == "strategy_not_ministry"
    ]
    assert warned == [(13, "E", "S9", "warning")]
    sid = "f" * 64
    db = tmp_path / "plan.duckdb"
    write_plan(db, [file(sid, path.name, "NSTDA", 1)], {sid: parsed})
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute(
            "SELECT strategy, projects, budget_baht FROM summary_by_strategy ORDER BY strategy"
        ).fetchall()
    assert {s: (n, int(b)) for s, n, b in rows} == {
        S1: (6, 153000),
        S2: (2, 430),
        "เกษตรอัจฉริยะ": (1, 5),
        "S9": (1, 7),
    }


def test_each_distinct_strategy_is_parsed_once(tmp_path: Path):
    """160,000 rows are read in seconds: the strategy column is parsed per distinct cell,
    never per row."""
    cells = ["S1", "ยุทธศาสตร์ที่ 2", "Ｓ３"]
    rows = [[k, f"โครงการ {k}", "ตาก", 1000 + k, cells[k % 3]] for k in range(1, 601)]
    path = write_xlsx(tmp_path / "NSTDA_2555.xlsx", {"Sheet1": (TITLES, rows)})
    parse_strategy.cache_clear()
    parsed = read_submission(path, path.name)
    info = parse_strategy.cache_info()
    assert info.hits + info.misses == len(cells)
    assert {r.texts["strategy"] for r in parsed.rows} == {S1, S2, S3}
