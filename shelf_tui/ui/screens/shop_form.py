"""Add a shop: platform, site or region, app key and secret, endpoints prefilled per platform,
redirect URI. Every field is checked (auth/registry.py, the rules of `shelf shop add`); the
first bad one gets the focus and the error names it in one line. The secret goes to the OS
keyring only, on a worker thread; the form dismisses with the new shop's name.

Keys: enter moves to the next field and adds on the last one; ctrl+s adds from anywhere;
esc cancels (nothing is written).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Footer, Input, Label, Select, Static

from shelf_tui.auth import KeyringUnavailable
from shelf_tui.auth.registry import (
    ML_SITES,
    REDIRECT_REQUIRED,
    TEMU_REGIONS,
    DraftRefused,
    ShopDraft,
    add_shop,
    check,
    default_endpoints,
    needs_place,
)
from shelf_tui.domain import Platform
from shelf_tui.errors import ShelfError
from shelf_tui.ui.text import one_line
from shelf_tui.ui.widgets.keys import hand_on
from shelf_tui.ui.widgets.title_bar import TitleBar

if TYPE_CHECKING:
    from shelf_tui.ui.accounts import Accounts

#: Form order; ids are `f-<field>`.
FIELDS = (
    "name",
    "platform",
    "place",
    "app_key",
    "app_secret",
    "gateway",
    "oauth",
    "redirect_uri",
)
LABELS = {
    "name": "Shop name",
    "platform": "Platform",
    "place": "Site",
    "app_key": "App key",
    "app_secret": "App secret",
    "gateway": "Gateway URL",
    "oauth": "OAuth URL",
    "redirect_uri": "Redirect URI",
}
HINTS = {
    "taobao": "Taobao: app key and secret from open.taobao.com; gateway = the TOP router URL.",
    "tmall": "Tmall: a TOP app like Taobao's; items go through the .tmall split APIs.",
    "mercadolibre": "Mercado Libre: client id and secret from the DevCenter; the site picks "
    "the sign-in host.",
    "temu": "Temu: app key and secret from the Partner Platform; you paste the token Seller "
    "Center shows (no OAuth host).",
}


async def _in_order(widget: Widget, event: events.Event) -> bool:
    """Keys in a burst go to the field they were typed for; True when `event` is dealt with.

    The app forwards each key to the widget focused when the key is read, but a tab (or the
    form's enter) moves the focus only once the field gets to it, and by then the keys after
    it (a password manager auto-typing "key TAB secret", a paste without bracketed paste)
    are already queued at the old field: the secret would land in the app key field, in
    plain sight. So a field moves the focus on tab at once, and hands on whatever reaches it
    after it lost the focus, in order, to the widget focused now."""
    if await hand_on(widget, event):
        return True
    if not isinstance(event, events.Key | events.Paste):
        return False
    if isinstance(event, events.Key) and event.key in ("tab", "shift+tab"):
        if event.key == "tab":
            widget.screen.focus_next()
        else:
            widget.screen.focus_previous()
    elif (
        isinstance(widget, Input)
        and isinstance(event, events.Key)
        and event.key == "enter"
        and widget.id != f"f-{FIELDS[-1]}"
    ):
        widget.screen.focus_next()  # enter moves on (the last field's enter adds)
    else:
        return False
    event.stop()
    event.prevent_default()
    return True


class FieldInput(Input):
    """A form field that keeps keys in order across a tab (see `_in_order`)."""

    async def on_event(self, event: events.Event) -> None:
        if not await _in_order(self, event):
            await super().on_event(event)


class FieldSelect(Select[str]):
    """The platform choice, keeping keys in order across a tab while it is closed."""

    async def on_event(self, event: events.Event) -> None:
        if self.expanded or not await _in_order(self, event):
            await super().on_event(event)


class AddShopScreen(ModalScreen[str | None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="shop_form.cancel"),
        Binding("ctrl+s", "add", "Add", id="shop_form.add", key_display="^s"),
    ]

    DEFAULT_CSS = """
    AddShopScreen { background: $background; }
    AddShopScreen #form { height: 1fr; padding: 0 1; }
    AddShopScreen .form-row { height: 1; margin-bottom: 0; }
    AddShopScreen .form-label { width: 14; height: 1; color: $text-muted; }
    AddShopScreen .form-row Input, AddShopScreen .form-row Select { width: 1fr; }
    AddShopScreen .-problem { background: $error 30%; }
    AddShopScreen #form-hint { color: $text-muted; margin-top: 1; height: auto; }
    AddShopScreen #form-error { color: $error; text-style: bold; height: 1; }
    AddShopScreen #form-buttons { height: 1; margin-top: 1; }
    AddShopScreen #form-buttons Button { margin-right: 2; }
    """

    def __init__(self, accounts: Accounts, existing: frozenset[str] = frozenset()) -> None:
        super().__init__(id="shop-form")
        self.accounts = accounts
        self.existing = existing
        self.platform = "taobao"
        self.busy = False
        self._defaults = default_endpoints(self.platform)

    def compose(self) -> ComposeResult:
        yield TitleBar(id="title")
        with VerticalScroll(id="form"):
            for name in FIELDS:
                with Horizontal(classes="form-row", id=f"row-{name}"):
                    yield Label(LABELS[name], classes="form-label", id=f"label-{name}")
                    yield self._field(name)
            yield Static(id="form-hint")
            yield Static(id="form-error")
            with Horizontal(id="form-buttons"):
                yield Button("Add", id="form-add", variant="primary", compact=True)
                yield Button("Cancel", id="form-cancel", compact=True)
        yield Footer(compact=True, show_command_palette=False)

    def _field(self, name: str) -> Widget:
        if name == "platform":
            options = [(Platform(p).label, p) for p in ("taobao", "tmall", "mercadolibre", "temu")]
            return FieldSelect(
                options, value="taobao", allow_blank=False, compact=True, id="f-platform"
            )
        gateway, oauth = self._defaults
        value = {"gateway": gateway, "oauth": oauth}.get(name, "")
        placeholders = {
            "name": "e.g. tb-main (letters, digits, . _ -)",
            "app_key": "app key / client id",
            "app_secret": "goes to the OS keyring only",
            "redirect_uri": "as registered for the app",
        }
        return FieldInput(
            value=value,
            placeholder=placeholders.get(name, ""),
            password=name == "app_secret",
            compact=True,
            id=f"f-{name}",
        )

    def on_mount(self) -> None:
        self.query_one("#title", TitleBar).show("Add a shop", "esc cancels ")
        self._platform_changed("taobao")
        self.query_one("#f-name", Input).focus()

    # -- platform-dependent fields ---------------------------------------------------------------

    @on(Select.Changed, "#f-platform")
    def _select_changed(self, event: Select.Changed) -> None:
        if isinstance(event.value, str):
            self._platform_changed(event.value)

    def _platform_changed(self, platform: str) -> None:
        self.platform = platform
        kind = needs_place(platform)
        place = self.query_one("#f-place", Input)
        label = self.query_one("#label-place", Label)
        if kind == "site":
            label.update("Site")
            place.placeholder = f"Mercado Libre site: {', '.join(ML_SITES[:6])}…"
        elif kind == "region":
            label.update("Region")
            place.placeholder = f"Temu region: {', '.join(TEMU_REGIONS)}"
        else:
            label.update("Site")
            place.placeholder = "none for Taobao/Tmall"
            place.value = ""
        place.disabled = not kind
        oauth = self.query_one("#f-oauth", Input)
        oauth.disabled = platform == "temu"
        if platform == "temu":
            oauth.placeholder = "none: Temu tokens come from Seller Center"
        else:
            oauth.placeholder = "the platform's sign-in host"
        redirect = self.query_one("#f-redirect_uri", Input)
        if platform in REDIRECT_REQUIRED:
            redirect.placeholder = "required: as registered for the app"
        else:
            redirect.placeholder = "optional: as registered for the app"
        self._prefill()
        self.query_one("#form-hint", Static).update(Text(HINTS.get(platform, "")))

    @on(Input.Changed, "#f-place")
    def _place_changed(self) -> None:
        self._prefill()

    def _prefill(self) -> None:
        """Endpoints follow the platform and site/region until the seller edits them."""
        place = self.query_one("#f-place", Input).value.strip()
        new = default_endpoints(self.platform, place)
        for name, old_default, default in zip(
            ("gateway", "oauth"), self._defaults, new, strict=True
        ):
            field = self.query_one(f"#f-{name}", Input)
            if field.value.strip() in ("", old_default):
                field.value = default
        self._defaults = new

    # -- moving and adding ---------------------------------------------------------------------

    @on(Input.Submitted)
    def _next(self, event: Input.Submitted) -> None:
        if event.input.id == "f-redirect_uri":
            self.action_add()
        else:
            self.focus_next()

    @on(Button.Pressed, "#form-add")
    def _add_pressed(self) -> None:
        self.action_add()

    @on(Button.Pressed, "#form-cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()

    def draft(self) -> ShopDraft:
        def value(name: str) -> str:
            return self.query_one(f"#f-{name}", Input).value.strip()

        return ShopDraft(
            name=value("name"),
            platform=self.platform,
            place=value("place"),
            app_key=value("app_key"),
            app_secret=value("app_secret"),
            gateway=value("gateway"),
            oauth="" if self.platform == "temu" else value("oauth"),
            redirect_uri=value("redirect_uri"),
        )

    def action_add(self) -> None:
        if self.busy:
            return
        draft = self.draft()
        problems = check(draft, self.existing)
        if problems:
            self._show_problems(problems)
            return
        self.busy = True
        self._error("Adding…")
        self._add(draft)

    def _show_problems(self, problems: dict[str, str]) -> None:
        for name in FIELDS:
            widget = self.query_one(f"#f-{name}")
            widget.set_class(name in problems, "-problem")
        first = next(name for name in FIELDS if name in problems)
        more = f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""
        label = "Region" if first == "place" and self.platform == "temu" else LABELS[first]
        self._error(f"{label}: {problems[first]}{more}")
        self.query_one(f"#f-{first}").focus()

    @work(thread=True, group="shop_form.add", exit_on_error=False)
    def _add(self, draft: ShopDraft) -> None:
        accounts = self.accounts
        try:
            shop = add_shop(accounts.session.store, accounts.token_store(), draft)
        except DraftRefused as exc:
            self.app.call_from_thread(self._refused, exc.problems)
        except KeyringUnavailable as exc:
            self.app.call_from_thread(self._keyring, str(exc))
        except ShelfError as exc:
            self.app.call_from_thread(self._failed, one_line(str(exc)))
        else:
            self.app.call_from_thread(self.dismiss, shop.name)

    def _refused(self, problems: dict[str, str]) -> None:
        self.busy = False
        self._show_problems(problems)

    def _keyring(self, message: str) -> None:
        self._failed("No usable keyring: nothing was written.")
        self.accounts.show_keyring_problem(message)

    def _failed(self, message: str) -> None:
        self.busy = False
        self._error(message)

    def _error(self, message: str) -> None:
        self.query_one("#form-error", Static).update(
            Text(message, no_wrap=True, overflow="ellipsis")
        )

    def action_cancel(self) -> None:
        self.dismiss(None)
