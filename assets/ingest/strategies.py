"""One strategy however an agency cites it (pure).

Agencies write the ministry's strategies many ways: `ยุทธศาสตร์ที่ 2`, `ยุทธ์ที่ ๒`, `ยศ.2`,
`ประเด็นยุทธศาสตร์ที่ 2 : …`, `ยุทธศาสตร์ วท. ที่ 2`, `S2`, `S.2 เศรษฐกิจชุมชน`, `Ｓ２`,
`Strategy 2`, `Strategy II`, `2.`, or the strategy's title alone. Kept as typed, each spelling
would be a strategy of its own and split the plan's per-strategy totals, so every citation
of strategy n becomes its reference label `schemas/reference.STRATEGIES[n - 1]`.

Anything else is the agency's own text and is kept as written (cleaned), never guessed:
its own strategies (`เกษตรอัจฉริยะ`), another plan's (`ยุทธศาสตร์ชาติ …`, `ยุทธศาสตร์ที่ 3 ของ
จังหวัด`), several strategies at once (`S1, S2`, `ยุทธศาสตร์ที่ 1-2`: the budget cannot go to
one), a sub-item (`S2.1`). A strategy word with a number the ministry has no strategy for
(`S9`, `ยุทธศาสตร์ที่ 6`) is kept too, with the state `not_ministry`: the row is accepted and
the agency warned (`strategy_not_ministry`), since it is most likely a typing slip.
"""

from __future__ import annotations

import functools
import re
from typing import NamedTuple

from stiplan.assets.ingest.text import clean_text
from stiplan.schemas.reference import STRATEGIES


class StrategyParse(NamedTuple):
    label: str  # the reference label of the strategy cited, else the text cleaned
    state: str  # "ok", or "not_ministry": a strategy number the ministry does not have


# Full-width ASCII (`Ｓ２`, `ＳＴＲＡＴＥＧＹ　２`, typed with an East Asian input method) folds to
# ASCII for matching only; digits of every script (Thai ๒, full-width ２) are `\d` and `int()`
# reads them, so no digit table is needed.
_WIDE = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}

# The word that makes a text a citation. Thai: ยุทธศาสตร์ with its abbreviations (ยุทธ์,
# ยุทธ., ยุทธฯ, ยศ.) and common misspellings, optionally "of the ministry" (กระทรวง, วท.), then
# ที่/ข้อ. English: the long words, or an S-code (S2, S.2, St 2, Str.2). A long word may take
# its number as a Thai or English word or a Roman numeral; an S-code only as digits (`SI`,
# `SV` are not citations).
_LONG = r"""
    (?:ประเด็น\s*)?(?:ยุทธ(?:ศาสตร์|ศาสตร|ศาตร์|ศาสต์|ศ\.|\.|์|ฯ)?|ยศ\.)
        (?:\s*(?:กระทรวง\s*)?(?:วิทยาศาสตร์และเทคโนโลยี|วท\.?)|\s*กระทรวง)?
        \s*(?:ที่|ข้อ(?:ที่)?)?
  | strateg(?:y|ic\s+(?:issue|theme|goal))\s*(?:no\.?|number)?
"""
_CODE = r"s(?:tr?)?(?![a-z])"
_NUMBER_WORDS = {
    **dict.fromkeys(("หนึ่ง", "one", "i"), 1),
    **dict.fromkeys(("สอง", "two", "ii"), 2),
    **dict.fromkeys(("สาม", "three", "iii"), 3),
    **dict.fromkeys(("สี่", "four", "iv"), 4),
    **dict.fromkeys(("ห้า", "five", "v"), 5),
}  # the ministry's five: a word never makes a warning, digits do
_WORDS = "|".join(sorted(map(re.escape, _NUMBER_WORDS), key=len, reverse=True))
_CITED = re.compile(
    rf"""^[(\[]?\s*
    (?:(?P<long>{_LONG})|(?P<code>{_CODE}))?
    [\s:：#.\-–]*
    (?:(?P<digits>\d{{1,2}})(?![\d,/]|\.\d)      # not a year, an amount or a sub-item (2.1)
      |(?(long)(?P<word>{_WORDS})(?=$|[\s)\].:：(])|(?!)))  # Thai has no spaces: สามัคคี
    \s*(?P<sep>[)\].:：\-–—]*)\s*(?P<rest>.*)$""",
    re.IGNORECASE | re.VERBOSE | re.DOTALL,
)
# A second number right after the first cites another strategy too (`S1-S3`, `… 2 และ 3`).
_ANOTHER = re.compile(
    rf"^\(?(?:และ|หรือ|กับ|ถึง|and|or|to|&|\+|,|/)?\s*(?:{_LONG}|{_CODE})?[\s.\-]*(?P<n>\d{{1,2}})(?!\d)",
    re.IGNORECASE | re.VERBOSE,
)
# Another plan's strategy n, named right after the number.
_OTHER_PLAN = re.compile(
    r"^\(?(?:ของ\s*)?(?:กลุ่มจังหวัด|จังหวัด|หน่วยงาน|ชาติ|กรม)"
    r"|^\(?(?:of\s+(?:the\s+)?)?(?:provinc|cluster|agency|department|national)",
    re.IGNORECASE,
)
# The title written after a strategy word but without its number.
_WORD_ONLY = re.compile(r"^(?:ประเด็น\s*)?ยุทธศาสตร์\s*[:：\-–]?\s*|^strategy\s*[:\-–]?\s*", re.I)
_LABEL = re.compile(r"^ยุทธศาสตร์ที่ \d+ ")


def _key(text: str) -> str:
    """Title-compare form: no spaces, no punctuation, case folded."""
    return re.sub(r"[\s.,:;\-–—()]+", "", text).casefold()


_BY_TITLE = {_key(_LABEL.sub("", label)): label for label in STRATEGIES}


@functools.lru_cache(maxsize=65536)
def parse_strategy(text: str) -> StrategyParse:
    """The strategy `text` cites. Pure, and total: any text gives a value. Called once per
    distinct cell (see `validate._parse_columns`); cached across sheets."""
    cleaned = clean_text(text)
    folded = cleaned.translate(_WIDE)
    cited = _CITED.match(folded)
    if cited is None:
        return StrategyParse(_BY_TITLE.get(_key(_WORD_ONLY.sub("", folded)), cleaned), "ok")
    digits, rest = cited["digits"], cited["rest"]
    number = int(digits) if digits else _NUMBER_WORDS[cited["word"].casefold()]
    explicit = bool(cited["long"] or cited["code"])
    # A number alone cites a strategy when nothing follows it or it is set off ("2.",
    # "2 :", "(2)"); "2 ชุมชน" or "5ส" without a strategy word is a name.
    if not (explicit or cited["sep"] or not rest):
        return StrategyParse(cleaned, "ok")
    # What follows a colon or a full stop describes the strategy; what follows the number
    # directly (or a dash) may cite another one or name another plan.
    if not cited["sep"].strip("-–—"):
        another = _ANOTHER.match(rest)
        if (another and int(another["n"]) != number) or _OTHER_PLAN.match(rest):
            return StrategyParse(cleaned, "ok")
    if 1 <= number <= len(STRATEGIES):
        return StrategyParse(STRATEGIES[number - 1], "ok")
    return StrategyParse(cleaned, "not_ministry" if explicit and digits else "ok")
