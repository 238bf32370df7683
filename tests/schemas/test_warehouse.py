"""The warehouse contract is easy to query: no table or column needs quoting."""

from __future__ import annotations

import duckdb

from stiplan.schemas.warehouse import SUMMARIES, TABLES


def test_no_name_is_a_reserved_word_of_duckdb():
    con = duckdb.connect()
    reserved = {
        k
        for (k,) in con.execute(
            "SELECT keyword_name FROM duckdb_keywords() WHERE keyword_category = 'reserved'"
        ).fetchall()
    }
    names = {*TABLES, *SUMMARIES, *(c for cols in TABLES.values() for c, _ in cols)}
    assert "column" in reserved  # the check itself knows the word that once needed quotes
    assert sorted(names & reserved) == []
