"""Shops (`ctrl+s`): every shop with its platform, site or region, seller, token state and
last sync; add a shop, sign one in, remove one. The token column reads without colour:
"valid until …", "expires in 3d 4h" (tokens shelf cannot refresh, Temu's and those of a TOP
shop without a refresh token, are flagged a week ahead), "expired", "refresh failing", "not
signed in", "auto-refresh" (ML, and TOP shops holding a refresh token), "sign in within 2d"
(the refresh token itself runs out).

Rows are read on a worker thread (the keyring says which shops hold a token); with no usable
keyring the screen still lists the shops and says why signing in is off.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC
from typing import TYPE_CHECKING, ClassVar

from rich.cells import cell_len
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.events import Resize
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from shelf_tui.auth import KeyringUnavailable
from shelf_tui.auth.expiry import TokenView, token_view
from shelf_tui.auth.registry import remove_shop
from shelf_tui.domain import Platform, Shop
from shelf_tui.errors import ShelfError
from shelf_tui.ui import fmt
from shelf_tui.ui.columns import alarm
from shelf_tui.ui.text import fit, one_line
from shelf_tui.ui.widgets.title_bar import TitleBar

if TYPE_CHECKING:
    from shelf_tui.ui.accounts import Accounts

COLUMNS = (("shop", 11), ("platform", 13), ("site", 4), ("seller", 10), ("token", 22), ("sync", 7))
LEVEL_STYLE = {"ok": "", "warn": "bold yellow", "bad": "bold red", "unknown": "dim"}


@dataclass(frozen=True, slots=True)
class ShopRow:
    shop: Shop
    token: TokenView
    failing: str
    items: int


@dataclass(frozen=True, slots=True)
class Listing:
    rows: list[ShopRow]
    keyring_problem: str  # '' when the keyring is usable


class ShopsScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "add", "Add shop", id="shops.add"),
        Binding("enter,l", "sign_in", "Sign in", id="shops.sign_in"),
        Binding("d,delete", "remove", "Remove", id="shops.remove"),
        Binding("escape", "back", "Back", id="shops.back"),
    ]

    DEFAULT_CSS = """
    ShopsScreen #shops-banner { height: auto; color: $warning; text-style: bold; padding: 0 1; }
    ShopsScreen #shops-banner.-bad { color: $error; }
    ShopsScreen #shops-table {
        height: auto; max-height: 60%; overflow-x: hidden; scrollbar-size-vertical: 1;
    }
    ShopsScreen #shop-detail { height: 1fr; padding: 0 1; border-top: solid $panel; }
    """

    def __init__(self, accounts: Accounts, *, select: str | None = None) -> None:
        super().__init__(id="shops")
        self.accounts = accounts
        self.listing: Listing | None = None
        self._select = select
        self._last_sync: object = getattr(accounts.app, "last_sync", None)
        self._seller_width = 0

    def compose(self) -> ComposeResult:
        yield TitleBar(id="title")
        yield Static(id="shops-banner")
        table: DataTable[Text] = DataTable(id="shops-table", cursor_type="row")
        yield table
        yield Static(id="shop-detail")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        table = self.query_one("#shops-table", DataTable)
        for label, width in COLUMNS:
            table.add_column(label, key=label, width=width)
        table.focus()
        self.reload()

    def on_resize(self, event: Resize) -> None:
        listing = self.listing
        if listing is not None and seller_width(listing, event.size.width) != self._seller_width:
            self._show(listing, event.size.width)

    def on_screen_resume(self) -> None:
        self.retitle()

    @property
    def table(self) -> DataTable[Text]:
        return self.query_one("#shops-table", DataTable)

    # -- reading -------------------------------------------------------------------------

    def reload(self) -> None:
        self._load()

    @work(thread=True, exclusive=True, group="shops.load", exit_on_error=False)
    def _load(self) -> None:
        accounts = self.accounts
        store = accounts.session.store
        now = accounts.epoch()
        problem = ""
        try:
            tokens = accounts.token_store()
        except KeyringUnavailable as exc:
            tokens, problem = None, str(exc)
        counts = store.items.shop_counts()
        rows = []
        for shop in store.shops.all():
            failing = store.shops.meta(shop.name, "refresh_failing")
            signed: bool | None = None
            refreshable: bool | None = None
            if tokens is not None:
                try:
                    signed = bool(tokens.get(shop.name, "access_token"))
                    if signed and shop.platform.is_top:
                        refreshable = bool(tokens.get(shop.name, "refresh_token"))
                except KeyringUnavailable as exc:
                    problem = str(exc)
            view = token_view(shop, now, signed_in=signed, failing=failing, refreshable=refreshable)
            rows.append(ShopRow(shop, view, failing, counts.get(shop.name, 0)))
        self.app.call_from_thread(self._show, Listing(rows, problem))

    def _show(self, listing: Listing, width: int = 0) -> None:
        self.listing = listing
        table = self.table
        keep = self._select or self.current_name()
        self._select = None
        table.clear(columns=True)
        seller_w = seller_width(listing, width or self.size.width or self.app.size.width)
        self._seller_width = seller_w
        for label, fixed in COLUMNS:
            table.add_column(label, key=label, width=seller_w if label == "seller" else fixed)
        now = self.accounts.session.now()
        for row in listing.rows:
            shop = row.shop
            bad = row.token.level == "bad"
            style = alarm(self.app.no_color) if bad else LEVEL_STYLE[row.token.level]
            sync = (
                fmt.age(int(shop.last_sync_at.timestamp()), now) if shop.last_sync_at else "never"
            )
            cells = (
                fit(shop.name, 11),
                shop.platform.label,
                shop.site or shop.region or "-",
                fit(shop.seller_nick or shop.seller_id or "-", seller_w),
                row.token.text,
                sync,
            )
            table.add_row(
                *(Text(c, style=style if i == 4 else "") for i, c in enumerate(cells)),
                key=shop.name,
            )
        if keep:
            self.select(keep)
        self._banner()
        self.retitle()
        self._detail()

    def current(self) -> ShopRow | None:
        if self.listing is None or not self.listing.rows:
            return None
        index = self.table.cursor_row
        if 0 <= index < len(self.listing.rows):
            return self.listing.rows[index]
        return None

    def current_name(self) -> str | None:
        row = self.current()
        return row.shop.name if row is not None else None

    def select(self, name: str) -> None:
        if self.listing is None:
            self._select = name
            return
        for i, row in enumerate(self.listing.rows):
            if row.shop.name == name:
                self.table.move_cursor(row=i)
                self._detail()
                return

    # -- drawing -------------------------------------------------------------------------

    def retitle(self) -> None:
        # The app retitles after each synced shop: a finished sync changes "last sync".
        last_sync = getattr(self.app, "last_sync", None)
        if last_sync != self._last_sync:
            self._last_sync = last_sync
            if self.listing is not None:
                self.reload()
        listing = self.listing
        if listing is None:
            left = "Shops"
        else:
            n = len(listing.rows)
            bad = len(self._urgent())  # the shops the banner names
            left = f"Shops {n}" + (f" · {bad} need{'s' * (bad == 1)} sign-in" if bad else "")
        status = getattr(self.app, "status_line", None)
        right = str(status()) if callable(status) else ""
        # The token phrase of every other screen (accounts.status(), "2 shops need sign-in
        # (…) (^s)") would repeat the banner here, with its own count: this screen says it.
        said = set(self.accounts.status())
        right = " · ".join(part for part in right.split(" · ") if part not in said)
        self.query_one("#title", TitleBar).show(left, right)

    def _urgent(self) -> list[ShopRow]:
        """The shops that want a sign-in: refused by the platform first, then expired, then
        soon to expire (the banner names the first two, the title counts them all)."""
        if self.listing is None:
            return []
        refused = self.accounts.pending
        return sorted(
            (r for r in self.listing.rows if r.token.needs_attention or r.shop.name in refused),
            key=lambda r: (
                r.shop.name not in refused,
                r.token.level != "bad",
                r.token.text == "not signed in",
            ),
        )

    def _banner(self) -> None:
        banner = self.query_one("#shops-banner", Static)
        listing = self.listing
        lines = []
        if listing is not None and listing.keyring_problem:
            lines.append("No usable keyring: adding and signing in are off (press a for the fix).")
        elif listing is not None:
            refused = self.accounts.pending
            urgent = self._urgent()
            for row in urgent[:2]:
                # a shop that holds no token was refused by shelf, not by the platform
                what = (
                    "the platform refused its token"
                    if row.shop.name in refused and row.token.text != "not signed in"
                    else row.token.text
                )
                lines.append(f"{row.shop.name}: {what} (enter: sign in)")
            if len(urgent) > 2:
                lines[-1] += f" · {len(urgent) - 2} more below"
        if listing is not None and not listing.rows:
            lines.append(
                "No shops yet. Press a to add one (app key and secret from the platform's "
                "developer console), or try `shelf demo`."
            )
        banner.set_class(
            listing is not None
            and (
                bool(listing.keyring_problem)
                or bool(self.accounts.pending)
                or any(r.token.level == "bad" for r in listing.rows)
            ),
            "-bad",
        )
        banner.update(Text("\n".join(lines)))
        banner.display = bool(lines)

    @on(DataTable.RowHighlighted)
    def _highlighted(self) -> None:
        self._detail()

    def _detail(self) -> None:
        row = self.current()
        detail = self.query_one("#shop-detail", Static)
        if row is None:
            detail.update("")
            return
        detail.update(Text("\n".join(describe(row, self.accounts.session.now()))))

    # -- actions -------------------------------------------------------------------------

    def _keyring_blocked(self) -> bool:
        if self.listing is not None and self.listing.keyring_problem:
            self.accounts.show_keyring_problem(self.listing.keyring_problem)
            return True
        return False

    def action_add(self) -> None:
        from shelf_tui.ui.screens.shop_form import AddShopScreen

        if self._keyring_blocked():
            return
        existing = (
            frozenset(r.shop.name for r in self.listing.rows) if self.listing else frozenset()
        )

        def added(name: str | None) -> None:
            if name:
                self._select = name
                self.reload()
                self.accounts.sign_in(name, then=self.reload)  # the next step, at once

        self.app.push_screen(AddShopScreen(self.accounts, existing), added)

    @on(DataTable.RowSelected)
    def _selected(self) -> None:
        self.action_sign_in()

    def action_sign_in(self) -> None:
        row = self.current()
        if row is None or self._keyring_blocked():
            return
        self.accounts.sign_in(row.shop.name, then=self.reload)

    def action_remove(self) -> None:
        row = self.current()
        if row is None or self._keyring_blocked():
            return
        self._confirm_remove(row)

    @work(thread=True, group="shops.remove", exit_on_error=False)
    def _confirm_remove(self, row: ShopRow) -> None:
        """Count what stays (events, jobs) off the UI thread, then ask."""
        store = self.accounts.session.store
        events = store.events.count(row.shop.name)
        jobs = len(store.jobs.all(shop=row.shop.name, limit=1_000_000))
        self.app.call_from_thread(self._ask_remove, row, events, jobs)

    def _ask_remove(self, row: ShopRow, events: int, jobs: int) -> None:
        from shelf_tui.ui.screens.remove_shop import RemoveShopScreen

        def decided(purge: bool | None) -> None:
            if purge is not None:
                self._remove(row.shop.name, purge)

        self.app.push_screen(
            RemoveShopScreen(row.shop, items=row.items, events=events, jobs=jobs), decided
        )

    @work(thread=True, group="shops.remove", exit_on_error=False)
    def _remove(self, name: str, purge: bool) -> None:
        accounts = self.accounts
        try:
            removed = remove_shop(
                accounts.session.store, accounts.token_store(), name, purge_history=purge
            )
        except KeyringUnavailable as exc:
            self.app.call_from_thread(accounts.show_keyring_problem, str(exc))
            return
        except (ShelfError, KeyError, ValueError) as exc:
            self.app.call_from_thread(
                self.app.notify,
                f"Not removed: {one_line(str(exc))}",
                severity="error",
                markup=False,
            )
            return
        if removed.events_erased is None:
            note = "its history stays"
        else:
            note = f"{removed.events_erased:,} events erased"
        message = f"Removed {name} ({removed.items:,} items; {note})."
        self.app.call_from_thread(self._removed, message)

    def _removed(self, message: str) -> None:
        self.app.notify(message, markup=False)
        self.reload()
        self.accounts.check_expiry()
        self.accounts.session.data_changed()

    def action_back(self) -> None:
        self.app.pop_screen()


def seller_width(listing: Listing, width: int) -> int:
    """The seller column takes what the other columns leave of `width` (a cell pads 1 on each
    side, 1 for the scrollbar), up to the longest seller; never under 10."""
    room = width - 1 - sum(w for label, w in COLUMNS if label != "seller") - 2 * len(COLUMNS)
    longest = max(
        (cell_len(r.shop.seller_nick or r.shop.seller_id or "-") for r in listing.rows), default=6
    )
    return max(10, min(room, longest))


def describe(row: ShopRow, now: int) -> list[str]:
    """The highlighted shop in full, below the table."""
    shop = row.shop
    seller = shop.seller_nick or "-"
    seller_id = f" ({shop.seller_id})" if shop.seller_id else ""
    place = shop.site or shop.region
    head = f"{shop.name} · {shop.platform.label}" + (f" {place}" if place else "")
    if row.token.refreshes or shop.platform is Platform.MERCADOLIBRE:
        refresh = "shelf refreshes it"
    else:
        refresh = "cannot be refreshed: sign in again before then"
    token = row.token.text
    if shop.token_expires_at is not None:
        until = f"{shop.token_expires_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
        if row.token.refreshes or shop.platform is Platform.MERCADOLIBRE:
            token = f"{token} (access token until {until})"
        elif token.startswith("valid"):
            token = f"valid until {until}"
        else:
            token = f"{token} ({until})"
    lines = [
        f"{head} · seller {seller}{seller_id}",
        f"Token: {token} · {refresh}",
    ]
    if row.failing:
        lines.append(f"Refresh failing: {one_line(row.failing)}")
    scopes = shop.scopes.replace(",", ", ") or "-"
    lines += [
        f"Scopes: {scopes}",
        f"Gateway: {shop.gateway or '(the platform default)'}",
        f"OAuth: {shop.oauth or '(the platform default)'}"
        + (f" · redirect {shop.redirect_uri}" if shop.redirect_uri else ""),
        f"App key: {shop.app_key} · {row.items:,} items · last sync "
        + (fmt.stamp(shop.last_sync_at, now) if shop.last_sync_at else "never"),
    ]
    return lines
