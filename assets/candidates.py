"""Cross-agency duplicate candidates: listed for review, never dropped.

A pair is a candidate when the two projects belong to different agencies, have the
same fiscal year, share a province (a nationwide project shares none), carry the
same numbers (ระยะที่ 2 is not ระยะที่ 3) and their compact names are equal or
have a rapidfuzz ratio of at least 95. The search is exact (tests pin it to
comparing every pair) and cheap per pair:

- ratio = 100·(1 − d/(la+lb)) with d the Indel distance, so ratio >= 95 means
  20·d <= la + lb, which also bounds the length difference (a length window).
- Each insertion or deletion changes one character's count by one, so d is at
  least the L1 distance between the two names' character counts, and between
  counts merged into bins. Within a (year, numbers, province) block, every pair
  in the length window is first compared on 8 coarse bins, the survivors on 32,
  with numpy; only what passes both is scored by rapidfuzz.
- After one agency's resubmission only pairs touching its projects are searched
  (`find_candidates_between`; the merge keeps the rest from the last review).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Collection, Iterable

import numpy as np
from rapidfuzz import fuzz, process

from stiplan.assets.text import (
    _DIGIT_RUN,
    _HAS_INVISIBLE,
    _compact,
    clean_text,
    name_keys,
    thai_to_arabic_digits,
)

SIMILARITY_CUTOFF = 95.0
# Thai (U+0E00-U+0E7F) and Latin-1 (U+0080-U+00FF) swap places: a bijection, so the
# same equalities and the same ratio, but Thai names become one byte per character,
# rapidfuzz's fast path.
_NARROW = {cp: cp for cp in range(0x0E80)}
_NARROW.update({cp: cp - 0x0E00 + 0x80 for cp in range(0x0E00, 0x0E80)})
_NARROW.update({cp: cp - 0x80 + 0x0E00 for cp in range(0x80, 0x100)})


def find_candidates(projects: list[dict], provinces: Collection[str] | None = None
                    ) -> list[dict]:
    """projects: dicts with project_id, agency_code, fiscal_year, project_name,
    province_codes (tuple), nationwide. Every candidate pair once, as dicts sorted
    by (project_id_a, project_id_b). With `provinces`, only the pairs that share one
    of those provinces (a part of the search another process may do the rest of)."""
    projects = list(projects)
    return _search(projects, len(projects), provinces=provinces)


def find_candidates_between(changed: Iterable[dict], others: Iterable[dict],
                            provinces: Collection[str] | None = None) -> list[dict]:
    """The candidate pairs of find_candidates(changed + others) that involve at least
    one project of `changed` (pairs within `changed` included, pairs among `others`
    left out): what to redo when one agency's submission changed and the rest of the
    plan did not. A project of `others` whose project_id is also in `changed` is
    ignored (the changed version replaces it)."""
    changed = list(changed)
    ids = {p["project_id"] for p in changed}
    rest = [p for p in others if p["project_id"] not in ids]
    return _search(changed + rest, len(changed), provinces=provinces)


def _length_runs(members: list[int], narrow: list[str], spread: float = 1.1,
                 most: int = 64) -> list[list[int]]:
    """`members` (sorted by length) in runs of similar length, so that each run's length
    window stays narrow."""
    runs: list[list[int]] = []
    for j in members:
        if runs and len(narrow[j]) <= len(narrow[runs[-1][0]]) * spread and len(runs[-1]) < most:
            runs[-1].append(j)
        else:
            runs.append([j])
    return runs


_BINS = 32
_COARSE = 8  # bins of bins: _BINS // _COARSE fine bins each


def _histograms(narrow: list[str], length: np.ndarray, chunk: int = 8192) -> np.ndarray:
    """Per name, its characters counted into _BINS bins (by code point); a chunk of
    names at a time, so the code points of a whole plan are never held at once."""
    n = len(narrow)
    out = np.zeros((n, _BINS), dtype=np.int16)
    for start in range(0, n, chunk):
        part = narrow[start:start + chunk]
        codes = np.frombuffer("".join(part).encode("utf-32-le"), dtype=np.uint32) % _BINS
        owner = np.repeat(np.arange(len(part), dtype=np.int32), length[start:start + chunk])
        counts = np.bincount(owner * _BINS + codes.astype(np.int32), minlength=len(part) * _BINS)
        out[start:start + len(part)] = counts.reshape(len(part), _BINS)
    return out


def review_keys(name: object) -> tuple[str, tuple[str, ...]]:
    """What the review compares of a name: its compact key in the one-byte alphabet
    (`_NARROW`: equal exactly when the compact keys are) and the numbers in it."""
    key, numbers = name_keys(name)
    return key.translate(_NARROW), numbers


# A share's names are joined by _SEP and their characters looked up in tables, in numpy:
# every step of `review_keys` but NFC maps one character at a time (clean_text's removals
# and sara am are only needed for names not yet clean, which validate never accepts).
_SEP = "\x00"  # a starter no character composes with; case fold and compaction keep it
_MULTI = -2  # a character whose case fold is several characters
_WHITESPACE = re.compile(r"\s")  # clean_text's whitespace


def _unclean(ch: str) -> bool:
    """Whether clean_text may change a text holding `ch`, whatever its neighbours (NFC and
    the spaces themselves are checked on the whole text)."""
    return bool(_HAS_INVISIBLE.match(ch) or ch == "\u0e4d"
                or (ch != " " and _WHITESPACE.match(ch)))


def _key_code(ch: str) -> int:
    """What `review_keys` makes of a character of an already case-folded text: -1 when
    compaction drops it, else its code point in the one-byte alphabet."""
    return -1 if _compact(ch) == "" else _NARROW.get(ord(ch), ord(ch))


def _folded_key_code(ch: str) -> int:
    folded = ch.casefold()
    return _key_code(folded) if len(folded) == 1 else _MULTI


def _is_digit(ch: str) -> bool:
    return bool(_DIGIT_RUN.fullmatch(ch))


_TABLE_TYPES = {_unclean: np.bool_, _key_code: np.int32, _folded_key_code: np.int32,
                _is_digit: np.bool_}


@functools.cache
def _table(f: Callable[[str], object]) -> np.ndarray:
    """f of every code point below U+0E80 (ASCII, Latin, Thai), made on first use."""
    return np.array([f(chr(cp)) for cp in range(0x0E80)], dtype=_TABLE_TYPES[f])


def _lookup(f: Callable[[str], object], codes: np.ndarray) -> np.ndarray:
    """f of every code point: from its table, or for characters beyond it, f itself once
    per distinct character."""
    table = _table(f)
    out = table.take(codes, mode="clip")
    beyond = codes >= len(table)
    if beyond.any():
        seen = np.unique(codes[beyond])
        found = np.array([f(chr(cp)) for cp in seen.tolist()], dtype=table.dtype)
        out[beyond] = found[np.searchsorted(seen, codes[beyond])]
    return out


def _code_points(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)


def _unclean_names(names: list[str], joined: str, codes: np.ndarray, sep: np.ndarray
                   ) -> list[int]:
    """The positions of the joined names that clean_text would change (`sep`: where the
    separators are)."""
    space = codes == ord(" ")
    blank = space | sep
    bad = _lookup(_unclean, codes)
    bad[1:] |= space[1:] & blank[:-1]  # a space next to another or at either end of a name
    bad[:-1] |= space[:-1] & blank[1:]
    bad[:1] |= space[:1]
    bad[-1:] |= space[-1:]
    found = set(np.cumsum(sep)[bad].tolist()) if bad.any() else set()
    # NFC of names joined by a starter that composes with nothing: each name's own
    if not unicodedata.is_normalized("NFC", joined):
        found.update(i for i, name in enumerate(names)
                     if not unicodedata.is_normalized("NFC", name))
    return sorted(found)


def review_keys_of(names: list[str]) -> list[tuple[str, tuple[str, ...]]]:
    """`review_keys` of every name, many names at once (equal, name by name: see
    tests/test_share_columns.py); what the merge keeps with each share's projects."""
    try:
        joined = _SEP.join(names)
        if not names or joined.count(_SEP) != len(names) - 1:
            raise ValueError("no names, or one holding the separator")
        codes = _code_points(joined)
        sep = codes == ord(_SEP)
        unclean = _unclean_names(names, joined, codes, sep)
        if unclean:  # validate accepts clean names only: this is for other callers
            texts = list(names)
            for i in unclean:
                texts[i] = clean_text(texts[i])
            joined = _SEP.join(texts)
            codes = _code_points(joined)
            sep = codes == ord(_SEP)
    except (TypeError, ValueError):  # not text, a lone surrogate, or the above
        return [review_keys(n) for n in names]
    keys = _lookup(_folded_key_code, codes)
    if (keys == _MULTI).any():  # ß, İ, ŉ…: fold the text itself
        keys = _lookup(_key_code, _code_points(joined.casefold()))
    keys = keys[keys >= 0]
    # Thai and Latin names are one byte a character in the one-byte alphabet
    compact = (keys.astype(np.uint8).tobytes().decode("latin-1") if keys.max(initial=0) < 256
               else keys.view(np.uint32).tobytes().decode("utf-32-le")).split(_SEP)
    return list(zip(compact, _numbers(joined, codes, sep, len(names)), strict=True))


def _numbers(joined: str, codes: np.ndarray, sep: np.ndarray, n: int
             ) -> list[tuple[str, ...]]:
    """The numbers in each of the n joined names: its runs of digits, Thai ones converted
    (text._numbers). Found from the positions of the digits alone: few names hold any."""
    numbers: list[tuple[str, ...]] = [()] * n
    digits = np.flatnonzero(_lookup(_is_digit, codes))
    if not len(digits):
        return numbers
    first = np.diff(digits, prepend=-2) != 1  # a run starts where a digit follows none
    starts, ends = digits[first], digits[np.append(first[1:], True)] + 1
    owners = np.searchsorted(np.flatnonzero(sep), starts)
    for owner, start, end in zip(owners.tolist(), starts.tolist(), ends.tolist(), strict=True):
        run = joined[start:end]
        numbers[owner] += (run if run.isascii() else thai_to_arabic_digits(run),)
    return numbers


def _keys(p: dict, keyed: dict) -> tuple[str, tuple[str, ...]]:
    """`review_keys` of a project's name: given with it (the merge keeps them with each
    share) or computed once per distinct name."""
    given = p.get("review_keys")
    if given is not None:
        return given
    name = p["project_name"]
    try:
        return keyed[name]
    except KeyError:
        keyed[name] = review_keys(name)
        return keyed[name]
    except TypeError:  # an unhashable name: not worth caching
        return review_keys(name)


def _search(projects: list[dict], n_changed: int, stats: dict | None = None,
            provinces: Collection[str] | None = None) -> list[dict]:
    """Pairs touching the first n_changed projects (all of them for a whole review):
    each such project against the projects of its (year, numbers, province) blocks
    within the length window, through the count filter, then scored. `stats`
    (benchmarks) receives the number of pairs filtered and scored."""
    keyed: dict = {}
    wanted = {(p["fiscal_year"], code) for p in projects[:n_changed] if not p["nationwide"]
              for code in p["province_codes"] if provinces is None or code in provinces}
    members, narrow = [], []
    queries: dict[tuple, list[int]] = {}
    choices: dict[tuple, list[int]] = {}
    for i, p in enumerate(projects):
        if p["nationwide"] or not p["province_codes"]:
            continue
        year = p["fiscal_year"]
        codes = [c for c in set(p["province_codes"]) if (year, c) in wanted]
        if not codes:
            continue  # shares no block with a changed project
        key, nums = _keys(p, keyed)
        if not key:
            continue
        j = len(members)
        members.append(i)
        narrow.append(key)
        for code in codes:
            block = (year, nums, code)
            choices.setdefault(block, []).append(j)
            if i < n_changed:
                queries.setdefault(block, []).append(j)
    if not members:
        return []
    agency_ids: dict = {}
    agency = np.array([agency_ids.setdefault(projects[i]["agency_code"], len(agency_ids))
                       for i in members], dtype=np.int64)
    length = np.fromiter(map(len, narrow), dtype=np.int64, count=len(narrow))
    hist = _histograms(narrow, length)
    coarse = hist.reshape(len(hist), _COARSE, -1).sum(2, dtype=np.int16)
    # A pair of two queried projects is taken from its shorter side (then the lower
    # index) only, so it is filtered and scored once.
    queried = np.array([i < n_changed for i in members])
    whole = n_changed >= len(projects)
    left: list[np.ndarray] = []
    right: list[np.ndarray] = []
    filtered = 0
    for block, qs in queries.items():
        cs = np.array(sorted(choices[block], key=lambda j: len(narrow[j])), dtype=np.int64)
        lengths = length[cs]
        qs = sorted(qs, key=lambda j: len(narrow[j]))
        for bucket in _length_runs(qs, narrow):
            # |la − lb| <= (la + lb) / 20: lb within [19/21, 21/19] of la
            shortest = len(narrow[bucket[0]])
            lo = np.searchsorted(lengths, shortest if whole else shortest * 19 // 21 - 1,
                                 "left")
            hi = np.searchsorted(lengths, len(narrow[bucket[-1]]) * 21 // 19 + 1, "right")
            window = cs[lo:hi]
            if not len(window):
                continue
            q = np.array(bucket, dtype=np.int64)
            # Each insertion or deletion moves one character's count by one, so the
            # Indel distance is at least the L1 distance of the character counts, and
            # of counts merged into bins: most pairs stop at a few coarse bins, the
            # rest at finer ones.
            room = length[q][:, None] + length[window][None, :]
            filtered += room.size
            apart = np.abs(coarse[q][:, None, :] - coarse[window][None, :, :]).sum(2)
            later = ((length[window][None, :] > length[q][:, None])
                     | ((length[window][None, :] == length[q][:, None])
                        & (window[None, :] > q[:, None])))
            r, c = np.nonzero((20 * apart.astype(np.int32) <= room)
                              & (agency[q][:, None] != agency[window][None, :])
                              & (later | ~queried[window][None, :]))
            a, b = q[r], window[c]
            keep = 20 * np.abs(hist[a] - hist[b]).sum(1, dtype=np.int32) <= room[r, c]
            left.append(a[keep])
            right.append(b[keep])
    found: dict[tuple[str, str], dict] = {}
    if stats is not None:
        stats["filtered"] = filtered
        stats["scored"] = sum(map(len, left))
    if left:
        a_idx, b_idx = np.concatenate(left), np.concatenate(right)
        scores = process.cpdist([narrow[i] for i in a_idx], [narrow[i] for i in b_idx],
                                scorer=fuzz.ratio, score_cutoff=SIMILARITY_CUTOFF - 1,
                                dtype=np.float64, workers=-1)
        for k in np.flatnonzero(scores >= SIMILARITY_CUTOFF):
            _add_pair(found, projects, narrow, members, int(a_idx[k]), int(b_idx[k]),
                      float(scores[k]))
    return sorted(found.values(), key=lambda d: (d["project_id_a"], d["project_id_b"]))


def _add_pair(found, projects, keys, members, a, b, score) -> None:
    pa, pb = projects[members[a]], projects[members[b]]
    if pa["project_id"] > pb["project_id"]:
        pa, pb = pb, pa
    pair = (pa["project_id"], pb["project_id"])
    if pair in found:
        return
    same = keys[a] == keys[b]
    found[pair] = {
        "project_id_a": pair[0], "project_id_b": pair[1],
        "similarity": 100.0 if same else round(score, 2),
        "reason": "same name" if same else "nearly the same name",
        "fiscal_year": pa["fiscal_year"],
        "agency_code_a": pa["agency_code"], "agency_code_b": pb["agency_code"],
        "project_name_a": pa["project_name"], "project_name_b": pb["project_name"],
    }
