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

#: Fixed colours: never themed, never dimmed.
QR_STYLE = Style(color="black", bgcolor="white")


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
    def cut(self) -> bool:
        """True when fewer lines are shown than the code has."""
        return self.size.height < len(self._lines)

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
