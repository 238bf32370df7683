"""openpyxl, where stiplan writes cell by cell or edits a workbook it did not write (the
feedback's copy of an agency's workbook, the template, the demo): the named styles of
`styles.STYLES` as openpyxl `NamedStyle`s, and the one save (`save.py`).

- `use_styles(wb)` — register the named styles in `wb` (kept when already there, as in
  an agency's copy of the template); then `cell.style = style_name("header")`, or
  `styled(cell, "header")`.
- `fill(name)` — a fill of the palette alone, for a cell whose own look stays.
- `font(style)` — the font of a `Style`, for a cell that keeps its named style but
  one thing (a link).
- `save_workbook(wb, path, when)` — reproducible (the document dates are `when`, zip
  times fixed, so the same content gives the same bytes), atomic, mode 0644.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side
from openpyxl.workbook import Workbook
from openpyxl.writer.excel import ExcelWriter

from stiplan.assets.excel.save import Members, fixed_time, pack, write_atomically
from stiplan.assets.excel.styles import BORDER_COLOR, FONT_NAME, STYLES, Style

AUTHOR = "stiplan"
_PREFIX = "stiplan "  # apart from the names of an agency's own styles


def style_name(name: str) -> str:
    return _PREFIX + name


def _argb(rgb: str) -> str:
    return "FF" + rgb


def font(style: Style) -> Font:
    return Font(
        name=FONT_NAME,
        size=style.size,
        bold=style.bold,
        italic=style.italic,
        color=_argb(style.color) if style.color else None,
        underline="single" if style.underline else None,
    )


def fill(rgb: str) -> PatternFill:
    return PatternFill("solid", fgColor=_argb(rgb))


_THIN = Side(style="thin", color=_argb(BORDER_COLOR))
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)


def named_style(name: str, style: Style) -> NamedStyle:
    """`style` as the openpyxl named style `stiplan <name>`."""
    named = NamedStyle(name=style_name(name))
    named.font = font(style)
    named.alignment = Alignment(
        horizontal=style.align, vertical=style.valign, wrap_text=style.wrap or None
    )
    if style.border:
        named.border = _BOX
    if style.fill:
        named.fill = fill(style.fill)
    if style.fmt:
        named.number_format = style.fmt
    return named


def use_styles(wb: Workbook) -> Workbook:
    have = set(wb.style_names)
    for name, style in STYLES.items():
        if style_name(name) not in have:
            wb.add_named_style(named_style(name, style))
    return wb


def styled(cell: Any, name: str) -> Any:
    """`cell` in the named style `name` (registered by `use_styles`)."""
    cell.style = style_name(name)
    return cell


def save_workbook(wb: Workbook, path: Path, when: dt.datetime | None = None) -> Path:
    """Save `wb` to `path`: document dates `when` (see `save.fixed_time`), atomic, 0644."""
    stamp = fixed_time(when)
    wb.properties.created = stamp
    wb.properties.modified = stamp
    wb.properties.lastModifiedBy = AUTHOR
    members = Members()
    ExcelWriter(wb, members).write_data()
    return write_atomically(path, lambda fh: pack(fh, members.members))
