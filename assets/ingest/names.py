r"""Inbox file names: the bytes stiplan keys on, the text it shows, the short form
it builds paths from.

A Linux file name is bytes, not text. A zip made on a Thai Windows machine and
extracted here gives names in code page 874 (TIS-620), which Python hands over
as text with lone surrogates ('\udccd'), and SQLite, DuckDB, Dagster, JSON and
openpyxl all refuse those. A name may also hold a newline, start with a dash, or
be 255 bytes long (85 Thai letters). So every name has three forms:

- `raw_name`: the exact bytes. Two names that differ in any byte are two names
  (NFC and NFD spellings of the same word included); the registry keys on these.
- `display_name`: what stiplan stores in the warehouse, shows to people and routes
  by. Valid Unicode, without surrogates or control characters:
    1. a name that is valid UTF-8 is that text, as is (never normalised);
    2. otherwise a name that reads as Thai in code page 874 (TIS-620 / Windows-874:
       every Thai vowel or tone mark sits on a consonant) is that text, so
       `b"\xca\xc7\xb7\xaa_2555.xlsx"` shows as `สวทช_2555.xlsx`;
    3. otherwise each byte that is not UTF-8 shows as `%XX` (its hex value), so
       Latin-1 `R\xe9sum\xe9.xlsx` shows as `R%E9sum%E9.xlsx`.
  Then control characters (newline, tab, DEL, C1), line and paragraph
  separators, bidirectional embeddings/overrides/isolates, noncharacters and
  stray surrogates show as `%XX` of their UTF-8 bytes (a newline is `%0A`,
  U+202E is `%E2%80%AE`), so a name always shows on one line and never reorders
  the text around it. Percent, not backslash, escapes: a backslash is a folder
  separator to Windows and to the name readers (`fiscal_year_from_filename`),
  and `NIMT_2555_R%E9sum%E9.xlsx` must still read as NIMT 2555. The display is
  for people and is not unique (a cp874 name and its UTF-8 twin, or a name that
  really holds `%0A`, show alike); the raw bytes, kept beside it in the
  registry, are.
- `safe_component`: the short form of a path stiplan writes: no separator,
  control or Windows-reserved character, no leading dash, dot, space or tilde,
  cut to a number of UTF-8 bytes at a character boundary (never between a
  letter and its marks). Callers add a unique id, since cutting can make two
  names alike.
"""

from __future__ import annotations

import os
import re
import unicodedata

NAME_MAX = 255  # bytes in one path component (ext4, xfs, btrfs; 255 UTF-16 units on NTFS)

_NONCHARACTERS = "\ufdd0-\ufdef" + "".join(
    f"{chr(plane * 0x10000 + 0xFFFE)}{chr(plane * 0x10000 + 0xFFFF)}" for plane in range(17)
)
_UNSHOWABLE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
    f"\ud800-\udfff{_NONCHARACTERS}]"
)

# Windows cannot hold these in a name (the outputs folder is often shared with
# Windows machines).
_PATH_UNSAFE = re.compile(r'[\\/:*?"<>|]+')
_EXT = re.compile(rb"[A-Za-z0-9]{1,10}")


def raw_name(name: str | bytes | os.PathLike) -> bytes:
    """The bytes of a file name as the file system holds them (str from os.listdir
    carries undecodable bytes as surrogates: they become those bytes again)."""
    return os.fsencode(name)


def display_name(name: str | bytes | os.PathLike) -> str:
    """The text stiplan stores and shows for a file name (see the module's rule)."""
    raw = raw_name(name)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = _thai_windows(raw)
        if text is None:
            text = raw.decode("utf-8", "surrogateescape")  # `show` writes them %XX
    return show(text)


def show(text: str) -> str:
    """`text` with every character that cannot be stored or shown on one line
    written as `%XX` escapes of its bytes; text that has none is returned as is."""
    return _UNSHOWABLE.sub(_escape, text)


def _escape(m: re.Match) -> str:
    ch = m.group()
    cp = ord(ch)
    if 0xDC80 <= cp <= 0xDCFF:  # an undecodable byte, as os.fsdecode carries it
        data = bytes([cp - 0xDC00])
    else:
        data = ch.encode("utf-8", "surrogatepass")
    return "".join(f"%{b:02X}" for b in data)


def _thai_windows(raw: bytes) -> str | None:
    """The name read as code page 874, when it reads as Thai: at least one Thai
    consonant, every vowel sign or tone mark on a consonant (or on another mark),
    every leading vowel before a consonant. Latin-1 names (`R\\xe9sum\\xe9`) fail
    this and are escaped instead of turned into Thai nonsense."""
    try:
        text = raw.decode("cp874")
    except UnicodeDecodeError:
        return None
    if not any(_consonant(c) for c in text):
        return None
    for i, c in enumerate(text):
        prev = text[i - 1] if i else ""
        nxt = text[i + 1] if i + 1 < len(text) else ""
        if _mark(c) and not (_consonant(prev) or _mark(prev)):
            return None
        if "\u0e40" <= c <= "\u0e44" and not _consonant(nxt):
            return None
    return text


def _consonant(c: str) -> bool:
    return "\u0e01" <= c <= "\u0e2e"


def _mark(c: str) -> bool:
    return c == "\u0e31" or "\u0e34" <= c <= "\u0e3a" or "\u0e47" <= c <= "\u0e4e"


def file_ext(name: str | bytes | os.PathLike) -> str:
    """The extension stiplan keeps (lower case, with its dot) for a file name: the
    part after the last dot when it is 1-10 ASCII letters or digits, else "".
    It names archived files, so an odd one (300 bytes, a newline) is never kept."""
    raw = raw_name(name)
    i = raw.rfind(b".")
    if 0 < i < len(raw) - 1 and _EXT.fullmatch(raw[i + 1 :]):
        return raw[i:].decode("ascii").lower()
    return ""


def shown_ext(name: str) -> str:
    """The extension of a display name as a person would read it, at most 24
    characters (for messages: `'.pdf'`, `'.xl%0Asx'`)."""
    i = name.rfind(".")
    if not 0 < i < len(name) - 1:
        return ""
    return name[i:] if len(name) - i <= 24 else name[i : i + 23] + "…"


def safe_component(
    text: str | bytes | os.PathLike, max_bytes: int = 120, fallback: str = "file"
) -> str:
    """A form of `text` (a display name or a part of one) that is safe as one path
    component and at most `max_bytes` bytes in UTF-8."""
    if not isinstance(text, str):
        text = display_name(text)
    text = _UNSHOWABLE.sub("_", text)
    text = _PATH_UNSAFE.sub("_", text)
    text = text.lstrip(" .-~").rstrip(" .")
    text = cut_bytes(text, max_bytes).rstrip(" .")
    return text or fallback


def cut_bytes(text: str, max_bytes: int) -> str:
    """The longest start of `text` that fits in `max_bytes` bytes of UTF-8, made of
    whole characters, never leaving a letter without the marks that follow it."""
    size = 0
    for i, ch in enumerate(text):
        size += len(ch.encode("utf-8", "surrogatepass"))
        if size > max_bytes:
            cut = text[:i]
            break
    else:
        return text
    while cut and unicodedata.category(text[len(cut)]).startswith("M"):
        cut = cut[:-1]  # drop the letter whose marks did not fit, and its marks
    return cut


def md_cell(text: str) -> str:
    """`text` as one cell of a Markdown table: on one line, pipes escaped."""
    return show(text).replace("|", "\\|")


def md_code(text: str) -> str:
    """`text` as Markdown inline code that stays one cell of a table: a backtick
    fence longer than any run inside, pipes escaped."""
    text = md_cell(text)
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"
