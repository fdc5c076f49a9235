"""What the terminal shows, read back from the app's own screenshot (`export_screenshot`, the
SVG the snapshots are made of): each run of text with its colour, background and weight,
after Textual's output filters (NO_COLOR's greys included)."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any

#: Cell size in Rich's SVG export.
CELL_W, CELL_H, TEXT_Y0, RECT_Y0 = 12.2, 24.4, 20.0, 1.5


@dataclass(frozen=True, slots=True)
class Run:
    row: int
    col: int
    text: str
    fill: str  # "#rrggbb"
    background: str  # "#rrggbb", "" when the cell shows the terminal's own background
    bold: bool

    @property
    def luminance(self) -> float:
        return luminance(self.fill)

    @property
    def background_luminance(self) -> float:
        return luminance(self.background) if self.background else 0.0

    @property
    def reddish(self) -> bool:
        return reddish(self.fill)


def rgb(colour: str) -> tuple[int, int, int]:
    value = colour.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def reddish(colour: str) -> bool:
    r, g, b = rgb(colour)
    return r > g + 80 and r > b + 40


def luminance(colour: str) -> float:
    """0 (black) to 255 (white), weighted as Textual's monochrome filter weighs colours."""
    r, g, b = rgb(colour)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def runs(app: Any) -> list[Run]:
    """Every run of visible text on the screen now, top to bottom, left to right."""
    svg = app.export_screenshot()
    styles = dict(re.findall(r"\.([\w-]+-r\d+) \{ ([^}]*)\}", svg))
    backgrounds: dict[tuple[int, int], str] = {}
    for fill, x, y in re.findall(r'<rect fill="(#[0-9a-fA-F]{6})" x="([\d.]+)" y="([\d.]+)"', svg):
        backgrounds[(round(float(x) / CELL_W), round((float(y) - RECT_Y0) / CELL_H))] = fill
    found = []
    for cls, x, y, text in re.findall(
        r'<text class="([\w-]+)" x="([\d.]+)" y="([\d.]+)"[^>]*>([^<]*)</text>', svg
    ):
        style = styles.get(cls, "")
        fill = re.search(r"fill: (#[0-9a-fA-F]{6})", style)
        plain = html.unescape(text).replace("\xa0", " ")
        if fill is None or not plain.strip():
            continue
        col, row = round(float(x) / CELL_W), round((float(y) - TEXT_Y0) / CELL_H)
        found.append(
            Run(row, col, plain, fill.group(1), backgrounds.get((col, row), ""), "bold" in style)
        )
    return sorted(found, key=lambda r: (r.row, r.col))


def runs_with(app: Any, words: str) -> list[Run]:
    """The runs whose text holds `words`."""
    return [r for r in runs(app) if words in r.text]


def screen_text(app: Any) -> str:
    """What the terminal shows now, as plain text (one line per row)."""
    return "\n".join(strip.text.rstrip() for strip in app.screen._compositor.render_strips())
