"""The top line of every screen: what is shown (left) and the console's state (right: alerts,
sync). Text objects only, so a shop name cannot smuggle markup in."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static


class TitleBar(Horizontal):
    DEFAULT_CSS = """
    TitleBar { height: 1; }
    TitleBar #title-left { width: 1fr; height: 1; }
    TitleBar #title-right { width: auto; height: 1; }
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
                Text(f"{right} ", no_wrap=True, overflow="ellipsis")
            )
