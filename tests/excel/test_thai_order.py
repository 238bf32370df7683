"""One Thai order (assets/ingest/text.thai_sort_key): pythainlp's collation, as a key."""

from __future__ import annotations

import random

from pythainlp.util import collate

from stiplan.assets.ingest.text import thai_sort_key
from stiplan.schemas.reference import AGENCIES, PROVINCES
from stiplan.template import NATIONWIDE, province_choices


def test_the_key_orders_as_pythainlp_collates():
    words = [p.name_th for p in PROVINCES] + [a.name_th for a in AGENCIES]
    words += ["ไก่", "เกิด", "กาล", "เป็ด", "หมู", "วัว", "วันที่", "ก่า", "ก้า", "กา"]
    random.Random(9).shuffle(words)
    distinct = sorted(set(words))  # collate keeps the given order where its rule ties
    assert sorted(set(words), key=thai_sort_key) == collate(distinct)
    assert sorted(words, key=thai_sort_key) == sorted(words, key=collate(distinct).index)


def test_leading_vowels_and_tone_marks():
    assert sorted(["เลย", "ลำพูน", "ลพบุรี"], key=thai_sort_key) == ["ลพบุรี", "ลำพูน", "เลย"]
    assert sorted(["ยะลา", "ยโสธร"], key=thai_sort_key) == ["ยโสธร", "ยะลา"]
    # names that differ only by a tone mark still come out in one fixed order
    assert sorted(["ก้า", "ก่า", "กา"], key=thai_sort_key) == ["กา", "ก่า", "ก้า"]


def test_the_template_dropdown_uses_it():
    choices = province_choices()
    assert choices[0] == NATIONWIDE
    assert choices[1:] == sorted((p.name_th for p in PROVINCES), key=thai_sort_key)
