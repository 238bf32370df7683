"""One strategy however an agency cites it (pure).

Agencies write the ministry's strategies many ways: `ยุทธศาสตร์ที่ 2`, `ยุทธศาสตร์ ๒`,
`ประเด็นยุทธศาสตร์ที่ 2 : …`, `S2`, `S.2 เศรษฐกิจชุมชน`, `Strategy 2`, `2.`, or the strategy's
name alone. Kept as typed, each spelling would be a strategy of its own and split the plan's
per-strategy totals, so every citation of strategy n becomes the reference label
(`schemas/reference.STRATEGIES`). A number outside the ministry's strategies, or text that
names none of them, is the agency's own strategy and is kept as written.
"""

from __future__ import annotations

import functools
import re

from stiplan.assets.ingest.text import clean_text, thai_to_arabic_digits
from stiplan.schemas.reference import STRATEGIES

# The citation: a strategy word or an S-code, then the number; or the number alone.
_CITED = re.compile(
    r"""^[(\[]?\s*
    (?P<word>(?:ประเด็น\s*)?ยุทธ(?:ศาสตร์|ศ\.|\.)?\s*(?:ที่)?
      |strateg(?:y|ic\s+issue)\s*(?:no\.?|number|\#)?
      |s(?:tr?)?\s*\.?\s*-?
    )?\s*
    (?P<number>\d{1,2})(?![\d,/]|\.\d)     # not the start of a year, date or amount
    \s*(?P<sep>[)\].:：\-–—]*)\s*(?P<rest>.*)$""",
    re.IGNORECASE | re.VERBOSE | re.DOTALL,
)
_LABEL = re.compile(r"^ยุทธศาสตร์ที่ \d+ ")


def _key(text: str) -> str:
    """Name-compare form: no spaces, no punctuation, case folded."""
    return re.sub(r"[\s.,:;\-–—()]+", "", text).casefold()


_BY_NAME = {_key(_LABEL.sub("", label)): label for label in STRATEGIES}


@functools.lru_cache(maxsize=4096)
def canonical_strategy(text: str) -> str:
    """The reference label of the ministry strategy `text` cites, else `text` cleaned."""
    cleaned = clean_text(text)
    cited = _CITED.match(thai_to_arabic_digits(cleaned))
    if cited:
        number = int(cited["number"])
        # A number alone cites a strategy when nothing follows it or it is set off
        # ("2.", "2 :", "(2)"); "2 ชุมชน" or "5ส" without a strategy word is a name.
        cites = cited["word"] or cited["sep"] or not cited["rest"]
        if cites and 1 <= number <= len(STRATEGIES):
            return STRATEGIES[number - 1]
        return cleaned
    return _BY_NAME.get(_key(cleaned), cleaned)
