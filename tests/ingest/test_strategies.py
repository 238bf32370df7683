"""One strategy however it is cited: `S2`, `ยุทธศาสตร์ที่ ๒ : …`, `Strategy 2` and the
strategy's name alone are the ministry's strategy 2, so the plan's per-strategy totals are
not split between spellings; the agency's own strategies are kept as written."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from hypothesis import given
from hypothesis import strategies as st
from plans import file, write_plan
from workbooks import write_xlsx

from stiplan.assets.ingest.strategies import canonical_strategy
from stiplan.assets.ingest.submission import read_submission
from stiplan.schemas.reference import STRATEGIES

S1, S2, S3, S4, S5 = STRATEGIES


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("S1", S1),
        ("s1", S1),
        ("S.2", S2),
        ("S 3", S3),
        ("S1 เศรษฐกิจ", S1),
        ("ยุทธศาสตร์ที่ 1", S1),
        ("ยุทธศาสตร์ที่1", S1),
        ("ยุทธศาสตร์ 2", S2),
        ("ยุทธศาสตร์ที่ ๒ : ชุมชน", S2),
        ("ประเด็นยุทธศาสตร์ที่ 3 โครงสร้างพื้นฐาน", S3),
        ("ยุทธ.4", S4),
        ("Strategy 4", S4),
        ("strategy no. 5", S5),
        ("(5)", S5),
        ("2.", S2),
        ("3", S3),
        ("๓", S3),
        (S4, S4),
        ("  ยุทธศาสตร์ที่   5  วิทยาศาสตร์และเทคโนโลยี ", S5),
        # the name alone, spaced differently
        ("วิทยาศาสตร์และเทคโนโลยีเพื่อการจัดการทรัพยากร  สิ่งแวดล้อมและภัยพิบัติ", S5),
        # not a citation of the ministry's strategies: kept as written (cleaned)
        ("S9", "S9"),
        ("ยุทธศาสตร์ที่ 12", "ยุทธศาสตร์ที่ 12"),
        ("ยุทธศาสตร์ชาติ ด้านที่ 2", "ยุทธศาสตร์ชาติ ด้านที่ 2"),
        ("2 ชุมชน", "2 ชุมชน"),
        ("5ส", "5ส"),
        ("2557 แผนงานใหม่", "2557 แผนงานใหม่"),
        ("1.5 ล้านบาท", "1.5 ล้านบาท"),
        ("SME 4.0", "SME 4.0"),
        ("เกษตรอัจฉริยะ", "เกษตรอัจฉริยะ"),
        ("เกษตร  อัจฉริยะ", "เกษตร อัจฉริยะ"),
    ],
)
def test_citations_of_one_strategy_become_its_label(cell, expected):
    assert canonical_strategy(cell) == expected


@given(st.text())
def test_any_text_gives_a_label_or_itself_cleaned(text):
    out = canonical_strategy(text)
    assert isinstance(out, str)
    assert canonical_strategy(out) == out  # a label is its own label
    assert out in STRATEGIES or out == " ".join(out.split())


@given(
    st.sampled_from(range(1, len(STRATEGIES) + 1)),
    st.sampled_from(["S", "ยุทธศาสตร์ที่ ", "Strategy "]),
    st.text(max_size=20),
)
def test_a_cited_number_is_that_strategy_whatever_follows(number, word, tail):
    assert canonical_strategy(f"{word}{number} : {tail}") == STRATEGIES[number - 1]


def test_spellings_of_one_strategy_make_one_summary_row(tmp_path: Path):
    """The defect: `S1` and `ยุทธศาสตร์ที่ 1` were two strategies, each with part of the total."""
    header = ["ลำดับ", "ชื่อโครงการ", "จังหวัด", "งบประมาณ (บาท)", "ยุทธศาสตร์"]
    path = write_xlsx(
        tmp_path / "NSTDA_2555.xlsx",
        {
            "Sheet1": (
                [["แผนบูรณาการ ประจำปีงบประมาณ พ.ศ. 2555"], ["หน่วยงาน: สวทช."], header],
                [
                    [1, "โครงการเกษตรอัจฉริยะ", "เชียงใหม่", 1000, "S1"],
                    [2, "โครงการศูนย์บ่มเพาะ", "ลำพูน", 2000, "ยุทธศาสตร์ที่ 1 การพัฒนาเศรษฐกิจ"],
                    [3, "โครงการโรงงานต้นแบบ", "แพร่", 400, "ยุทธศาสตร์ที่ ๒"],
                    [4, "โครงการน้ำสะอาด", "น่าน", 30, "S2"],
                    [5, "โครงการของหน่วยงานเอง", "ลำปาง", 5, "เกษตรอัจฉริยะ"],
                ],
            )
        },
    )
    parsed = read_submission(path, path.name)
    assert [r.texts["strategy"] for r in parsed.rows] == [S1, S1, S2, S2, "เกษตรอัจฉริยะ"]
    sid = "f" * 64
    db = tmp_path / "plan.duckdb"
    write_plan(db, [file(sid, path.name, "NSTDA", 1)], {sid: parsed})
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute(
            "SELECT strategy, projects, budget_baht FROM summary_by_strategy ORDER BY strategy"
        ).fetchall()
    assert {s: (n, int(b)) for s, n, b in rows} == {
        S1: (2, 3000),
        S2: (2, 430),
        "เกษตรอัจฉริยะ": (1, 5),
    }
