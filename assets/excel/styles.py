"""The named styles of every workbook stiplan writes, defined once.

A `Style` says how a cell looks (font, number format, alignment, border, fill) in
words no writer owns; `xlsxwriter_props` renders it for xlsxwriter (the plan book and
the extracts, whose tables the streaming writer numbers from the same styles) and
`stiplan.assets.excel.edit` registers the named ones as openpyxl `NamedStyle`s (the
feedback, the template and the demo), so a header, a total or an error cell looks the
same in every workbook.

Colours are RGB hex without the alpha; sizes are points.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

FONT_NAME = "TH Sarabun New"  # the Thai government's standard font
FONT_SIZE = 14

# Number formats. Budgets in ล้านบาท are shown to 4 decimals, as the Budget Bureau prints
# them; the cell keeps the exact value.
MILLION_BAHT = "#,##0.0000"
BAHT = "#,##0.00"
SIGNED_BAHT = "#,##0.00;[Red]-#,##0.00"  # differences: a cut shows red
COUNT = "#,##0"
PERCENT = "0.00"  # the value is already in percent; the header says (%)
DATE = "dd/mm/yyyy"
TEXT = "@"

# The palette.
BORDER_COLOR = "808080"
HEADER_FILL = "DDEBF7"
REQUIRED_FILL = "FCE4D6"  # a header the agency must fill in
TOTAL_FILL = "F2F2F2"
ERROR_FILL = "FF8B8B"  # a cell with an error (the row is rejected)
WARNING_FILL = "FFE16B"  # a cell with a warning only (the row is still taken)
TITLE_COLOR = "1F3864"
NOTE_COLOR = "595959"
ENGLISH_COLOR = "404040"
LINK_COLOR = "1F4E9A"


@dataclass(frozen=True, slots=True)
class Style:
    """How a cell looks. `align` is horizontal (None: Excel's by value type), `valign`
    vertical; `quote` is Excel's quote prefix (text that looks like a formula)."""

    fmt: str | None = None
    bold: bool = False
    size: float = FONT_SIZE
    italic: bool = False
    color: str | None = None
    wrap: bool = False
    align: str | None = None
    border: bool = False
    fill: str | None = None
    quote: bool = False
    valign: str = "center"
    underline: bool = False

    def but(self, **changes: Any) -> Style:
        """This style with some of its fields changed."""
        return replace(self, **changes)


_LINE = Style(wrap=True, valign="top")  # a line of text across a sheet
_CELL = Style(wrap=True, valign="top", border=True)  # a cell of a table written cell by cell

# The named styles. Their openpyxl names are "stiplan <name>" (`edit.style_name`).
STYLES: dict[str, Style] = {
    "title": _LINE.but(bold=True, size=20, color=TITLE_COLOR),
    "heading": _LINE.but(bold=True, size=16, color=TITLE_COLOR),
    "line": _LINE,
    "strong": _LINE.but(bold=True),
    "note": _LINE.but(size=12, color=NOTE_COLOR),
    "english": _LINE.but(size=13, color=ENGLISH_COLOR),
    "banner": Style(bold=True, size=16, align="center"),
    "hint": Style(italic=True, size=12, color=NOTE_COLOR),
    "header": Style(bold=True, wrap=True, align="center", border=True, fill=HEADER_FILL),
    "required": Style(bold=True, wrap=True, align="center", border=True, fill=REQUIRED_FILL),
    "total": Style(bold=True, border=True, fill=TOTAL_FILL),
    "cell": _CELL,
    "cell_strong": _CELL.but(bold=True),
    "number": _CELL.but(align="center"),
    "money": _CELL.but(fmt=SIGNED_BAHT),
    "link": _CELL.but(align="center", color=LINK_COLOR, underline=True),
    "error": _CELL.but(fill=ERROR_FILL),
    "warning": _CELL.but(fill=WARNING_FILL),
    "plain": Style(valign="bottom"),
    "bold": Style(bold=True, valign="bottom"),
    "input": Style(valign="top"),
    "input_wrap": Style(valign="top", wrap=True),
    "input_baht": Style(valign="top", fmt=BAHT),
    "input_date": Style(valign="top", fmt=DATE),
    "input_text": Style(valign="top", fmt=TEXT),
    "input_count": Style(valign="top", fmt="0"),
    "date": Style(valign="bottom", fmt=DATE),
}
# Fills alone, for cells of an agency's own sheets (their font and format stay theirs).
FILLS = {"error": ERROR_FILL, "warning": WARNING_FILL}


def xlsxwriter_props(style: Style) -> dict[str, Any]:
    """`style` as xlsxwriter format properties."""
    props: dict[str, Any] = {
        "font_name": FONT_NAME,
        "font_size": style.size,
        "valign": "vcenter" if style.valign == "center" else style.valign,
    }
    if style.bold:
        props["bold"] = True
    if style.italic:
        props["italic"] = True
    if style.underline:
        props["underline"] = 1
    if style.color:
        props["font_color"] = f"#{style.color}"
    if style.fmt:
        props["num_format"] = style.fmt
    if style.wrap:
        props["text_wrap"] = True
    if style.align:
        props["align"] = style.align
    if style.border:
        props.update(border=1, border_color=f"#{BORDER_COLOR}")
    if style.fill:
        props.update(pattern=1, bg_color=f"#{style.fill}")
    if style.quote:
        props["quote_prefix"] = True
    return props
