"""A QR code drawn with half blocks, black on white whatever the theme (auth/qr.py).

The colours are explicit because a phone needs dark modules on a light ground and most
terminals are dark; the quiet zone is drawn too. `border` shrinks (down to 1 module) when the
widget is given fewer lines than the code needs with the full border; `cut` says when even
that does not fit, so the screen can offer the whole-screen view.
"""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.geometry import Size
from textual.widget import Widget

from shelf_tui.auth import qr

#: Fixed colours, as RGB: ANSI "black"/"white" would follow the terminal's palette, whose
#: "white" is often a grey (#c4c5b5 in Textual's own), which costs a phone contrast.
QR_STYLE = Style(color="#000000", bgcolor="#ffffff")


class QrCode(Widget):
    DEFAULT_CSS = """
    QrCode { width: auto; height: auto; }
    """

    def __init__(self, data: str, *, id: str | None = None, border: int = qr.BORDER) -> None:
        super().__init__(id=id)
        self.data = data
        self.border = border
        self._lines = qr.lines(data, border=border, ink="dark")

    @property
    def lines(self) -> list[str]:
        """The text the widget draws (tests decode it back)."""
        return list(self._lines)

    @property
    def needs(self) -> tuple[int, int]:
        """(columns, lines) the whole code takes."""
        return (len(self._lines[0]) if self._lines else 0), len(self._lines)

    @property
    def cut(self) -> bool:
        """True when part of the code is not on screen (too few lines or columns)."""
        width, height = self.needs
        visible = self.region.intersection(self.screen.region)
        return self.size.height < height or visible.width < width or visible.height < height

    def fit(self, max_lines: int) -> None:
        """Shrink the quiet zone (not below 1 module) to fit `max_lines` when possible."""
        border = qr.fitting_border(self.data, max_lines) or 1
        if border != self.border:
            self.border = border
            self._lines = qr.lines(self.data, border=border, ink="dark")
            self.refresh(layout=True)

    def get_content_width(self, container: Size, viewport: Size) -> int:
        return len(self._lines[0]) if self._lines else 0

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self._lines)

    def render(self) -> Text:
        return Text("\n".join(self._lines), style=QR_STYLE, no_wrap=True, end="")
