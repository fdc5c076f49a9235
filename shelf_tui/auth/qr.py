"""The sign-in URL as a QR code in a terminal (the seller approves on a phone, often over SSH).

Half-block characters draw two modules per character cell (`▀` top, `▄` bottom, `█` both),
so the code is square on screen and half as tall as one line per module: a 150-character
authorize URL (version 7) is 49 columns by 25 lines with its quiet zone.

Two inks, because a phone needs dark modules on a light ground:

* `ink="dark"`: the glyphs draw the DARK modules. Use it with an explicit black-on-white style
  (the console does; `ansi()` does for a colour terminal), whatever the theme.
* `ink="light"`: the glyphs draw the LIGHT modules, for plain text on the usual dark terminal
  background (`qrencode -t UTF8` does the same): no colour codes needed.

The quiet zone (light border) is drawn, never left to the terminal's background, which is
usually dark. Error correction is the lowest level that fits, boosted when the same version
allows better (segno's `boost_error`): the smallest code, which is what fits a terminal.
"""

from __future__ import annotations

from typing import Literal

Ink = Literal["dark", "light"]

#: Modules of light border around the code (the spec asks for 4; every phone reader we know
#: copes with 2, and two lines saved matter in a 24-line terminal).
BORDER = 2

_GLYPHS = {(True, True): "█", (True, False): "▀", (False, True): "▄", (False, False): " "}


def matrix(data: str, *, border: int = BORDER) -> list[list[bool]]:
    """The QR code of `data` as rows of modules (True = dark), the quiet zone included."""
    import segno

    code = segno.make(data, error="L", micro=False, boost_error=True)
    return [[bool(m) for m in row] for row in code.matrix_iter(scale=1, border=border)]


def size(data: str, *, border: int = BORDER) -> tuple[int, int]:
    """(columns, lines) the half-block drawing of `data` takes."""
    rows = matrix(data, border=border)
    return len(rows[0]), (len(rows) + 1) // 2


def half_blocks(modules: list[list[bool]], *, ink: Ink = "dark") -> list[str]:
    """Two module rows per text line. An odd last row gets a light row below it (more quiet
    zone, never less)."""
    dark_ink = ink == "dark"
    width = len(modules[0]) if modules else 0
    lines = []
    for y in range(0, len(modules), 2):
        top = modules[y]
        bottom = modules[y + 1] if y + 1 < len(modules) else [False] * width
        lines.append(
            "".join(
                _GLYPHS[(t, b) if dark_ink else (not t, not b)]
                for t, b in zip(top, bottom, strict=True)
            )
        )
    return lines


def lines(data: str, *, border: int = BORDER, ink: Ink = "dark") -> list[str]:
    """The QR code of `data` as half-block text lines."""
    return half_blocks(matrix(data, border=border), ink=ink)


def fitting_border(data: str, max_lines: int, *, preferred: int = BORDER) -> int | None:
    """The widest quiet zone, at most `preferred` and at least 1 module, with which the code
    fits in `max_lines` lines; None when even a 1-module border does not fit."""
    rows = len(matrix(data, border=0))
    for border in range(preferred, 0, -1):
        if (rows + 2 * border + 1) // 2 <= max_lines:
            return border
    return None


def ansi(text_lines: list[str]) -> str:
    """`ink="dark"` lines painted black on bright white for a colour terminal."""
    return "\n".join(f"\x1b[30;107m{line}\x1b[0m" for line in text_lines)
