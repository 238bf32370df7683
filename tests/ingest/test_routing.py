"""Routing a file from the one whole read a run makes (`cache.route_and_store`) gives
the route the sensor's top-rows read gives, and keeps the same parse the intake would
make; a file that changed since it was hashed is routed but not kept."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from stiplan.assets.ingest.cache import load, route_and_store
from stiplan.assets.ingest.registry import sha256_file
from stiplan.assets.ingest.submission import read_submission, route_file
from tests.workbooks import HEADER_TH, write_xls, write_xlsx

TITLES = [["แผนปฏิบัติการด้านวิทยาศาสตร์ฯ"], ["หน่วยงาน: สวทช."], ["ประจำปีงบประมาณ พ.ศ. 2555"], HEADER_TH]


def _rows(n: int, agency_at: int | None = None) -> list[list]:
    rows = [[i, f"โครงการ {i}", "ตาก", 1000 + i, "ยุทธศาสตร์ที่ 1"] for i in range(1, n + 1)]
    if agency_at is not None:  # an agency column holding another agency far down
        for i, r in enumerate(rows):
            r.append("วว." if i == agency_at else "สวทช.")
    return rows


def _corpus(folder: Path) -> list[Path]:
    header_agency = [*TITLES[:-1], [*HEADER_TH, "หน่วยงาน"]]
    files = [
        write_xlsx(folder / "NSTDA_2555.xlsx", {"แผน": (TITLES, _rows(5))}),
        # a second agency below the rows routing reads: the route and the full read differ
        write_xlsx(folder / "plan_far.xlsx", {"แผน": (header_agency, _rows(120, agency_at=100))}),
        write_xlsx(
            folder / "two_sheets.xlsx",
            {"ตัวอย่างการกรอก": (TITLES, _rows(2)), "แผน": (TITLES, _rows(70))},
        ),
        write_xlsx(folder / "no_header.xlsx", {"แผน": (TITLES[:-1], [["ก", "ข"]])}),
        write_xls(folder / "TISTR_2555.xls", [["หน่วยงาน: วว."], HEADER_TH], _rows(3)),
    ]
    broken = folder / "DSS_2555.xlsx"
    broken.write_bytes(os.urandom(2048))
    return [*files, broken]


def test_one_read_routes_like_the_top_rows_and_keeps_the_full_parse(tmp_path):
    cache = tmp_path / "parsed"
    for path in _corpus(tmp_path):
        sid = sha256_file(path)
        route = route_and_store(path, path.name, cache, sid, os.getpid())
        light = route_file(path, path.name)
        assert (
            route.agency_code,
            route.fiscal_year,
            route.reason_code,
            route.detail,
            route.warnings,
        ) == (
            light.agency_code,
            light.fiscal_year,
            light.reason_code,
            light.detail,
            light.warnings,
        ), path.name
        kept = load(cache, sid)
        if route.agency_code or route.reason_code == "file_unreadable":
            # repr, not pickle's bytes: the cache keeps rows a column per field, so what
            # it gives back shares fewer objects, but every value (a budget's every
            # digit) is the same.
            assert repr(kept) == repr(read_submission(path, path.name))
        else:
            assert kept is None  # not routed: the intake never reads it


def test_the_far_agency_is_seen_by_the_full_parse_only(tmp_path):
    path = _corpus(tmp_path)[1]
    route = route_and_store(path, path.name, tmp_path / "parsed", sha256_file(path), 0)
    assert (route.agency_code, route.reason_code) == ("NSTDA", None)
    assert load(tmp_path / "parsed", sha256_file(path)).identity.reason_code == "several_agencies"


@pytest.mark.parametrize("change", ["appended", "replaced"])
def test_a_file_that_changed_since_it_was_hashed_is_not_kept(tmp_path, change):
    path = _corpus(tmp_path)[0]
    sid = sha256_file(path)
    if change == "appended":
        with open(path, "ab") as fh:
            fh.write(b"\0")
    else:
        write_xlsx(path, {"แผน": (TITLES, _rows(6))})
    route_and_store(path, path.name, tmp_path / "parsed", sid, os.getpid())
    assert load(tmp_path / "parsed", sid) is None
