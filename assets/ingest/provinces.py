"""Parse a province cell ("จ.ชลบุรี ระยอง", "กทม., โคราช", "ทั่วประเทศ") into ISO codes.

Known names are found first, greedily and longest first, with one regex built as a trie (so
each position costs a few character tests, not one test per name); only the text left between
them is split on separators and reported as unknown. Splitting first would break names that
contain spaces (`กรุงเทพ ฯ`, `Nakhon Ratchasima`).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from stiplan.assets.ingest.text import clean_text, thai_to_arabic_digits
from stiplan.schemas.reference import PROVINCE_ALIASES, REGION_OR_CLUSTER_NAMES


@dataclass(frozen=True)
class ProvinceParse:
    codes: tuple[str, ...] = ()  # unique ISO codes, sorted
    nationwide: bool = False
    unknown: tuple[str, ...] = ()  # pieces not recognised, as written
    regions: tuple[str, ...] = ()  # pieces that are a region/cluster name, not a province

    @property
    def empty(self) -> bool:
        return not (self.codes or self.nationwide or self.unknown or self.regions)


NATIONWIDE_WORDS: tuple[str, ...] = (
    "ทุกจังหวัด", "ทั่วประเทศ", "ทั่วประเทศไทย", "ทั้งประเทศ", "ทั่วทั้งประเทศ", "76 จังหวัด",
    "77 จังหวัด", "ทั่วราชอาณาจักร", "ทุกภูมิภาค", "ทุกภาค", "nationwide", "nation-wide",
    "countrywide", "all provinces", "whole country", "all regions", "all over the country",
)  # fmt: skip

_NATIONWIDE = "\0nationwide"
_REGION = "\0region"
_THAI_DIGITS = "๐๑๒๓๔๕๖๗๘๙"


def _fold(text: str) -> str:
    # Equal for every spelling the pattern lets through: case, spaces, hyphens, dots, ฯ, digits.
    return re.sub(r"[\s\-.ฯ]", "", thai_to_arabic_digits(text)).casefold()


def _tokens(literal: str) -> list[str]:
    """Regex fragments, one per character, loosened where writers differ."""
    out: list[str] = []
    for ch in clean_text(literal).casefold():
        if ch in " -":  # "Phang Nga" / "Phang-nga" / "Phangnga", "ภาคเหนือตอนบน1"
            out.append(r"[\s\-]*")
        elif ch == "ฯ":  # "กรุงเทพฯ" / "กรุงเทพ ฯ"
            out.append(r"\s*ฯ")
        elif ch in "0123456789":
            out.append(f"[{ch}{_THAI_DIGITS[int(ch)]}]")
        else:
            out.append(re.escape(ch))
    return out


def _trie_pattern(literals: list[str]) -> str:
    trie: dict = {}
    for literal in literals:
        node = trie
        for token in _tokens(literal):
            node = node.setdefault(token, {})
        node[""] = {}  # end marker

    def emit(node: dict) -> str:
        alts = [tok + emit(child) for tok, child in node.items() if tok]
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        # Greedy optional: try the longer name first, fall back to the shorter one.
        return f"(?:{body})?" if "" in node else body

    return emit(trie)


@lru_cache(maxsize=1)
def _matcher() -> tuple[re.Pattern[str], dict[str, str]]:
    kinds: dict[str, str] = {}  # folded literal -> ISO code, _REGION or _NATIONWIDE
    literals: list[str] = []
    entries = [
        *PROVINCE_ALIASES,
        *((name, _REGION) for name in REGION_OR_CLUSTER_NAMES),
        *((word, _NATIONWIDE) for word in NATIONWIDE_WORDS),
    ]
    for literal, kind in entries:
        if "," in literal:  # `_parse_clean` reads a cell a comma-separated part at a time
            raise ValueError(f"{literal!r} holds a comma")
        key = _fold(_PREFIX.sub("", clean_text(literal)))
        if kinds.setdefault(key, kind) != kind:
            raise ValueError(f"{literal!r} is both {kinds[key]!r} and {kind!r}")
        literals.append(_PREFIX.sub("", clean_text(literal)))
    # A Latin name must not start or end inside a word ("Nan" in "Nanny"); a Thai one must
    # not end before a combining vowel or tone mark (it would split a syllable).
    not_mid_latin = r"(?:(?<![a-z])|(?![a-z]))"
    pattern = (
        rf"{not_mid_latin}(?P<prefix>(?:จังหวัด|จ\s*\.)\s*)?(?P<name>{_trie_pattern(literals)})"
        rf"{not_mid_latin}(?![\u0e31\u0e34-\u0e3a\u0e47-\u0e4e])"
    )
    return re.compile(pattern, re.IGNORECASE), kinds


_PREFIX = re.compile(r"^(?:จังหวัด|จ\s*\.)\s*")
_SEPARATORS = re.compile(r"[,;/\\|+&()\[\]{}、，；]+|\s+")
_ONLY_SEPARATORS = re.compile(r"[\s,;/\\|+&()\[\]{}、，；.\-–—:]*")
_CONNECTORS = frozenset({"และ", "กับ", "หรือ", "and", "or", "ฯลฯ", "etc", "etc."})
_EDGE_CONNECTOR = re.compile(r"^(?:และ|กับ)+|(?:และ|กับ)+$")


def _is_noise(piece: str) -> bool:
    # Leftover punctuation ("-", "–", ".") between names carries no meaning.
    return all(unicodedata.category(ch)[0] in "PSZ" for ch in piece)


def _leftovers(segment: str) -> list[str]:
    if _ONLY_SEPARATORS.fullmatch(segment):  # the usual case: ", " between two names
        return []
    pieces = []
    for raw in _SEPARATORS.split(segment):
        piece = _EDGE_CONNECTOR.sub("", raw).strip(".,-–—:'\"")
        if piece and not _is_noise(piece) and piece.casefold() not in _CONNECTORS:
            pieces.append(piece)
    return pieces


@lru_cache(maxsize=4096)
def _kind(name: str) -> str:
    """ISO code, _REGION or _NATIONWIDE for a matched name (few distinct spellings: cached)."""
    return _matcher()[1][_fold(name)]


@lru_cache(maxsize=65536)
def _parse_clean(text: str) -> ProvinceParse:
    """`_parse_text`, a comma-separated part at a time: no name holds a comma (checked
    by `_matcher`), so no match spans one, and the parts of a sheet's province cells
    (`ขอนแก่น, ภูเก็ต`, `ภูเก็ต, เลย`) repeat far more than the cells do."""
    if "," not in text:
        return _parse_text(text)
    parts = [_parse_text(part) for part in text.split(",")]
    nationwide = any(p.nationwide for p in parts)
    return ProvinceParse(
        codes=() if nationwide else tuple(sorted({c for p in parts for c in p.codes})),
        nationwide=nationwide,
        unknown=tuple(dict.fromkeys(u for p in parts for u in p.unknown)),
        regions=tuple(dict.fromkeys(r for p in parts for r in p.regions)),
    )


@lru_cache(maxsize=65536)
def _parse_text(text: str) -> ProvinceParse:
    if _ONLY_SEPARATORS.fullmatch(text) or _is_noise(text):
        return _EMPTY
    pattern = _matcher()[0]
    codes: set[str] = set()
    unknown: list[str] = []
    regions: list[str] = []
    nationwide = False
    pos = 0
    for m in pattern.finditer(text):
        unknown += _leftovers(text[pos : m.start()])
        pos = m.end()
        kind = _kind(m.group("name"))
        if kind == _NATIONWIDE:
            nationwide = True
        elif kind == _REGION:
            regions.append(m.group(0))
        else:
            codes.add(kind)
    unknown += _leftovers(text[pos:])
    return ProvinceParse(
        codes=() if nationwide else tuple(sorted(codes)),
        nationwide=nationwide,
        unknown=tuple(dict.fromkeys(unknown)),
        regions=tuple(dict.fromkeys(regions)),
    )


_EMPTY = ProvinceParse()


def parse_provinces(value: object) -> ProvinceParse:
    """Provinces named in one cell; see ProvinceParse. Empty or "-" gives an empty parse."""
    return _parse_clean(clean_text(value))
