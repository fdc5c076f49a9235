"""The top line of every screen: what is shown (left) and the console's state (right: alerts,
sync). Text objects only, so a shop name cannot smuggle markup in.

The left side is what the seller is looking at ("Items 3,214 of 98,120 · 57 marked · 12 hidden
by filter"): it keeps its whole width. The state on the right gets what is left (at least its
first `RIGHT_FLOOR` cells, cut with "…"), always two blank cells away from the left, so the two
never run together ("Items 53 of 900" next to "90 alerts" must not read "90090")."""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.geometry import Spacing
from textual.widgets import Static

#: The cells the right side keeps however long the left side is (the alerts count and the
#: start of a warning stay readable).
RIGHT_FLOOR = 24
#: Blank cells between the two sides.
GAP = 2


def right_room(width: int, left: str, right: str) -> int:
    """The cells the right side may use (its gap and trailing blank included) in a bar
    `width` wide, when the left side reads `left`: all it wants when that fits."""
    if not right:
        return 0
    wanted = GAP + cell_len(right) + 1
    free = width - (1 + cell_len(left))
    return max(0, min(wanted, max(free, min(wanted, GAP + RIGHT_FLOOR))))


class TitleBar(Horizontal):
    DEFAULT_CSS = """
    TitleBar { height: 1; }
    TitleBar > Static { height: 1; text-wrap: nowrap; text-overflow: ellipsis; }
    TitleBar #title-left { width: 1fr; }
    TitleBar #title-right { width: auto; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.left = ""
        self.right = ""

    def compose(self) -> ComposeResult:
        yield Static(id="title-left")
        yield Static(id="title-right")

    def show(self, left: str | None = None, right: str | None = None) -> None:
        if left is not None and left != self.left:
            self.left = left
            self.query_one("#title-left", Static).update(
                Text(f" {left}", no_wrap=True, overflow="ellipsis")
            )
        if right is not None and right != self.right:
            self.right = right
            self.query_one("#title-right", Static).update(
                Text(f"{right} " if right else "", no_wrap=True, overflow="ellipsis")
            )
        self._fit()

    def on_resize(self, event: events.Resize) -> None:
        self._fit()

    def _fit(self) -> None:
        """Room to spare: the right side as wide as it is (the left's own blanks keep the
        gap). Tight: the gap as padding and the right side cut to `right_room`."""
        width = self.size.width
        if width <= 0:
            return
        room = right_room(width, self.left, self.right)
        spare = width - (1 + cell_len(self.left)) - (cell_len(self.right) + 1)
        tight = bool(self.right) and spare < GAP
        right = self.query_one("#title-right", Static)
        padding = (0, 0, 0, GAP) if tight else (0, 0, 0, 0)
        if right.styles.padding != Spacing(*padding):
            right.styles.padding = padding
        max_width = room if tight else None
        current = right.styles.max_width
        if (current.value if current is not None else None) != max_width:
            right.styles.max_width = max_width
