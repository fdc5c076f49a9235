"""The sign-in dialog: the authorize URL as text and as a QR code, one input for the pasted
code / redirect URL (Temu: the token), errors in one line, then who signed in, with which
scopes, until when (auth/flow.py does the work; this is its face).

The code takes the full height of the right side (no title bar or footer across it: the
title and the keys sit in the text column), so at 24 lines a 150-character URL (version 7)
still fits whole, its quiet zone shrunk to one module if need be. A longer URL in a shorter
terminal is cut, and `ctrl+o` shows the code alone on the whole screen. A redirect URI on this
machine is listened on meanwhile (auth/loopback.py): approving in a local browser finishes
the sign-in by itself. The exchange and the keyring run on a worker thread.
"""

from __future__ import annotations

import asyncio
import threading
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from shelf_tui import logs
from shelf_tui.auth import KeyringUnavailable
from shelf_tui.auth import flow as signin
from shelf_tui.auth.loopback import RedirectListener, loopback_target
from shelf_tui.domain import Shop
from shelf_tui.errors import ShelfError
from shelf_tui.marketplaces import SellerInfo
from shelf_tui.ui.text import one_line
from shelf_tui.ui.widgets.qr_code import QrCode
from shelf_tui.ui.widgets.title_bar import TitleBar

if TYPE_CHECKING:
    from shelf_tui.ui.accounts import Accounts

log = logs.get("ui.signin")


class SignInScreen(ModalScreen[SellerInfo | None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="signin.cancel"),
        Binding("ctrl+o", "whole_qr", "Whole QR code", id="signin.qr", key_display="^o"),
    ]

    DEFAULT_CSS = """
    SignInScreen { background: $background; }
    SignInScreen #signin-body { height: 1fr; }
    SignInScreen #signin-text { width: 1fr; min-width: 28; }
    SignInScreen #signin-text > Static { height: auto; padding: 0 1; }
    SignInScreen #signin-reason { color: $warning; text-style: bold; }
    SignInScreen #signin-url { color: $accent; text-style: bold; margin-top: 1; }
    SignInScreen #signin-steps { margin-top: 1; }
    SignInScreen #signin-answer { margin: 1 1 0 1; }
    SignInScreen #signin-error { color: $error; text-style: bold; max-height: 4; }
    SignInScreen #signin-status { color: $text-muted; }
    SignInScreen #signin-result { color: $success; }
    SignInScreen #signin-keys { color: $text-muted; dock: bottom; }
    SignInScreen #signin-done { display: none; margin: 1 1 0 1; }
    SignInScreen.-done #signin-done { display: block; }
    SignInScreen.-done #signin-answer { display: none; }
    SignInScreen.-done #signin-qr { display: none; }
    SignInScreen.-done #signin-step1, SignInScreen.-done #signin-url { display: none; }
    SignInScreen.-done #signin-steps { display: none; }
    SignInScreen #signin-qr { margin-left: 1; }
    """

    class Redirected(Message):
        """The loopback listener caught the browser's redirect (posted from its thread)."""

        def __init__(self, url: str) -> None:
            super().__init__()
            self.url = url

    def __init__(
        self,
        accounts: Accounts,
        shop: Shop,
        *,
        reason: str = "",
        state: str | None = None,
        listen: bool = True,
    ) -> None:
        super().__init__(id="signin")
        self.accounts = accounts
        self.shop = shop
        self.reason = reason
        self.flow = signin.start(shop, state=state)
        self.listen = listen
        self.busy = False
        self.info: SellerInfo | None = None
        self.listener: RedirectListener | None = None

    @property
    def shop_name(self) -> str:
        return self.shop.name

    def compose(self) -> ComposeResult:
        flow = self.flow
        steps = flow.steps()
        with Horizontal(id="signin-body"):
            with Vertical(id="signin-text"):
                yield TitleBar(id="title")
                if self.reason:
                    yield Static(Text(self.reason), id="signin-reason")
                yield Static(Text(steps[0]), id="signin-step1")
                yield Static(Text(flow.url, overflow="fold"), id="signin-url")
                yield Static(Text(steps[1]), id="signin-steps")
                yield Input(
                    placeholder=f"paste the {flow.prompt}",
                    password=flow.wants_token,
                    compact=True,
                    id="signin-answer",
                )
                yield Static(id="signin-error")
                yield Static(id="signin-result")
                # after the result: the seller reads who signed in, then the button
                yield Button("Done", id="signin-done", variant="success", compact=True)
                yield Static(id="signin-status")
                yield Static(id="signin-keys")
            yield QrCode(flow.url, id="signin-qr")

    def on_mount(self) -> None:
        self.retitle()
        self.query_one("#signin-answer", Input).focus()
        if self.listen and loopback_target(self.flow.redirect_uri) is not None:
            self._start_listener()

    def on_resize(self) -> None:
        self.call_after_refresh(self._fit_qr)

    def _fit_qr(self) -> None:
        qr = self.query_one("#signin-qr", QrCode)
        qr.fit(self.size.height)
        self._keys()

    def _keys(self) -> None:
        """The keys line; it also says when the code is cut off here."""
        if self.info is not None:
            text = "enter done"
        else:
            cut = self.query_one("#signin-qr", QrCode).cut
            tail = "QR code cut off: ^o shows it whole" if cut else "^o the QR code alone"
            # two lines of their own: the text column is ~40 cells at 80x24, and one line
            # wrapped there left a lone word on the last row
            text = f"enter sign in · esc cancel\n{tail}"
        self.query_one("#signin-keys", Static).update(Text(text))

    def retitle(self) -> None:
        shop = self.shop
        self.query_one("#title", TitleBar).show(f"Sign in · {shop.name} ({shop.platform.label})")

    # -- the loopback listener ------------------------------------------------------------

    @work(thread=True, group="signin.listen", exit_on_error=False)
    def _start_listener(self) -> None:
        listener = RedirectListener(
            self.flow.redirect_uri, self.flow.state, on_redirect=self._redirected
        )
        if listener.start():
            self.listener = listener
            self.app.call_from_thread(
                self._status,
                f"Also listening on {listener.host}:{listener.port} for a browser on this machine.",
            )

    def _redirected(self, url: str) -> None:
        self.post_message(self.Redirected(url))  # thread-safe; never blocks the listener

    @on(Redirected)
    def _caught(self, message: Redirected) -> None:
        if self.info is None and not self.busy:
            self.submit(message.url)

    def on_unmount(self) -> None:
        listener, self.listener = self.listener, None
        if listener is not None:
            threading.Thread(target=listener.stop, daemon=True).start()

    # -- answering ---------------------------------------------------------------------------

    @on(Input.Submitted, "#signin-answer")
    def _submitted(self, event: Input.Submitted) -> None:
        self.submit(event.value)

    def submit(self, text: str) -> None:
        """Check what was pasted (at once, no I/O), then sign in on a worker."""
        if self.busy or self.info is not None:
            return
        try:
            signin.parse_answer(self.flow, text)
        except signin.BadAnswer as exc:
            self._error(str(exc))
            return
        self.busy = True
        self._error("")
        self._status("Checking with the platform…")
        self.query_one("#signin-answer", Input).disabled = True
        self._complete(text)

    @work(thread=True, group="signin.complete", exit_on_error=False)
    def _complete(self, text: str) -> None:
        accounts = self.accounts
        try:
            tokens = accounts.token_store()
            info = asyncio.run(
                signin.complete(
                    accounts.session.store, self.flow, text, tokens=tokens, clock=accounts.epoch
                )
            )
        except KeyringUnavailable as exc:
            self.app.call_from_thread(self._keyring, str(exc))
        except ShelfError as exc:
            self.app.call_from_thread(self._failed, one_line(str(exc)))
        except Exception as exc:
            log.exception("sign-in of %s failed", self.shop.name)
            self.app.call_from_thread(
                self._failed, f"{type(exc).__name__}: {one_line(str(exc))} (details in the log)"
            )
        else:
            self.app.call_from_thread(self._done, info)

    def _keyring(self, message: str) -> None:
        self._failed("No usable keyring: nothing was stored.")
        self.accounts.show_keyring_problem(message)

    def _failed(self, message: str) -> None:
        self.busy = False
        self._status("")
        self._error(message)
        answer = self.query_one("#signin-answer", Input)
        answer.disabled = False
        answer.focus()

    def _done(self, info: SellerInfo) -> None:
        self.busy = False
        self.info = info
        shop = self.accounts.session.store.shops.find(self.shop.name) or self.shop
        lines = signin.summary(shop, info, self.accounts.epoch())
        self._error("")
        self._status("")
        self.query_one("#signin-result", Static).update(Text("\n".join(lines)))
        self.add_class("-done")
        self.query_one("#signin-done", Button).focus()
        self._keys()

    def _error(self, message: str) -> None:
        """One message (wrapped in the column), in place of the status while it shows."""
        self.query_one("#signin-error", Static).update(Text(message))
        self.query_one("#signin-status").display = not message

    def _status(self, message: str) -> None:
        self.query_one("#signin-status", Static).update(Text(message))

    # -- leaving -------------------------------------------------------------------------------

    @on(Button.Pressed, "#signin-done")
    def _close_done(self) -> None:
        self.dismiss(self.info)

    def action_cancel(self) -> None:
        self.dismiss(self.info)

    def action_whole_qr(self) -> None:
        self.app.push_screen(QrScreen(self.flow.url, self.shop))


class QrScreen(ModalScreen[None]):
    """The QR code alone on the whole screen (any key closes), for a terminal too small to
    show it beside the text."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,enter,q,ctrl+o", "close", "Close", id="qr.close"),
    ]

    DEFAULT_CSS = """
    QrScreen { align: center middle; background: $background; overflow: hidden; }
    QrScreen #qr-hint { dock: bottom; height: 1; width: 100%; color: $text-muted; }
    """

    def __init__(self, url: str, shop: Shop) -> None:
        super().__init__(id="qr")
        self.url = url
        self.shop = shop

    def compose(self) -> ComposeResult:
        yield QrCode(self.url, id="qr-code")
        yield Static(Text(f" {self.shop.name}: scan to sign in · esc returns"), id="qr-hint")

    def on_resize(self) -> None:
        self.call_after_refresh(self._fit)

    def on_mount(self) -> None:
        self.call_after_refresh(self._fit)

    def _fit(self) -> None:
        code = self.query_one("#qr-code", QrCode)
        code.fit(self.size.height)
        hint = self.query_one("#qr-hint", Static)
        width, height = code.needs
        if width > self.size.width or height > self.size.height:
            hint.update(
                Text(
                    f" Too small for the whole code: it needs {width}x{height}; enlarge the "
                    "terminal, or open the address instead · esc returns"
                )
            )
            hint.display = True
        else:
            hint.update(Text(f" {self.shop.name}: scan to sign in · esc returns"))
            # The hint gives its line to the code when the code needs every line.
            hint.display = height < self.size.height

    def action_close(self) -> None:
        self.dismiss(None)
