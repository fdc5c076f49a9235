"""Platform strings are data: make them safe to draw, and fit them into cells.

A title comes from a marketplace API and may hold anything: Rich markup (`[bold red]x[/]`),
ANSI escape sequences, newlines, bidi overrides, emoji joined with ZWJ, 300 characters of CJK.
The console draws it literally (segments and `Text`, never markup) and first passes it through
`clean()`, so no byte of it can move the cursor, change colours or break the column layout:

- C0/C1 controls and DEL become visible escapes (`\\x1b`), newlines and tabs a space: the text
  stays evidence of what the platform sent, but cannot act on the terminal;
- format characters (bidi overrides and isolates, zero-width spaces) are dropped: a U+202E in
  a title would otherwise reverse the rest of the row in a bidi-aware terminal;
- ZWJ and VS16 are dropped: terminals disagree on how wide a joined emoji sequence is, so we
  draw its parts, whose width everybody agrees on. CJK, emoji, RTL letters and combining marks
  are kept.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from rich.cells import cell_len

ELLIPSIS = "…"
_SPACES = {"\t", "\n", "\r", "\x0b", "\x0c", "\u2028", "\u2029", "\x85"}
_DROP = {"\u200d", "\ufe0f", "\ufe0e"}


@lru_cache(maxsize=4096)
def clean(text: str) -> str:
    """The text with everything that could act on a terminal made inert (see module doc)."""
    if text.isprintable() and text.isascii():
        return text
    out: list[str] = []
    for ch in text:
        if ch in _SPACES:
            out.append(" ")
            continue
        if ch in _DROP:
            continue
        category = unicodedata.category(ch)
        if category == "Cc":
            out.append(f"\\x{ord(ch):02x}")
        elif category in ("Cf", "Cs", "Co", "Cn") and not ch.isprintable():
            continue
        else:
            out.append(ch)
    return "".join(out)


def fit(text: str, width: int) -> str:
    """Crop `text` (already clean) to at most `width` cells, ending in an ellipsis when cut.
    Double-width characters are measured as two cells, and never split in half."""
    if width <= 0:
        return ""
    if len(text) <= width and text.isascii():
        return text
    if cell_len(text) <= width:
        return text
    budget = width - 1
    used = 0
    out: list[str] = []
    for ch in text:
        w = cell_len(ch)
        if used + w > budget:
            break
        out.append(ch)
        used += w
    return "".join(out) + ELLIPSIS


def pad(text: str, width: int, align: str = "left") -> str:
    """Fit and pad to exactly `width` cells."""
    fitted = fit(text, width)
    gap = width - cell_len(fitted)
    if gap <= 0:
        return fitted
    if align == "right":
        return " " * gap + fitted
    return fitted + " " * gap


def one_line(text: str) -> str:
    """A message from a platform or an exception as one clean line."""
    return " ".join(clean(text).split())
