"""Remove a shop, after a confirmation that says what goes and what stays.

Cancel has the focus (k9s' delete dialog): enter alone never removes anything. Its items and
its keyring entries go; its timeline and jobs (the audit history) stay unless the seller ticks
the box. Dismisses with None (cancelled) or whether to erase the history too.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Static

from shelf_tui.domain import Shop


class RemoveShopScreen(ModalScreen[bool | None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="remove_shop.cancel"),
    ]

    DEFAULT_CSS = """
    RemoveShopScreen { align: center middle; }
    RemoveShopScreen #remove-dialog {
        width: 70; max-width: 100%; height: auto; border: thick $error;
        background: $surface; padding: 0 1;
    }
    RemoveShopScreen #remove-title { text-style: bold; }
    RemoveShopScreen #remove-what { margin: 1 0; }
    RemoveShopScreen #remove-buttons { height: auto; margin-top: 1; align-horizontal: right; }
    RemoveShopScreen #remove-buttons Button { margin-left: 2; }
    """

    def __init__(self, shop: Shop, *, items: int, events: int, jobs: int) -> None:
        super().__init__(id="remove-shop")
        self.shop = shop
        self.items = items
        self.events = events
        self.jobs = jobs

    def compose(self) -> ComposeResult:
        shop = self.shop
        seller = shop.seller_nick or shop.seller_id
        who = f"{shop.platform.label}" + (f", seller {seller}" if seller else "")
        history = f"{self.events:,} events, {self.jobs:,} jobs"
        with Vertical(id="remove-dialog"):
            yield Static(Text(f"Remove shop {shop.name} ({who})?"), id="remove-title")
            yield Static(
                Text(
                    f"Its {self.items:,} items leave this computer, and its app secret and "
                    f"tokens leave the keyring. Its history ({history}) stays for the record "
                    "unless you tick the box. Nothing changes on the platform."
                ),
                id="remove-what",
            )
            yield Checkbox(f"Also erase its history ({self.events:,} events)", id="remove-purge")
            with Horizontal(id="remove-buttons"):
                yield Button("Cancel", id="remove-cancel", compact=True)
                yield Button("Remove", id="remove-ok", variant="error", compact=True)

    def on_mount(self) -> None:
        self.query_one("#remove-cancel", Button).focus()

    @on(Button.Pressed, "#remove-ok")
    def _remove(self) -> None:
        self.dismiss(self.query_one("#remove-purge", Checkbox).value)

    @on(Button.Pressed, "#remove-cancel")
    def _cancel_pressed(self) -> None:
        self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)
