"""Sign-in, shops and token expiry in the console: what the app, the shops screen and the
sign-in dialogs share (issue 6).

The app owns one `Accounts`. It resolves the token store (the one the console's sync uses:
the demo's in-memory keyring, else the OS keyring, checked against shelf's keyring policy),
keeps the title bar's expiry warning fresh, turns a sync's "sign-in needed" into a one-line
prompt (ctrl+s then opens on that shop) and a paused job's into the sign-in dialog, and after
a sign-in offers the shop's paused jobs for resume. Keyring and network calls run on worker
threads only: an unlock prompt or a slow platform never freezes a key.

Other rooms call in through three doors: `request_sign_in(shop, reason)` (a job paused on
AuthExpired), `sync_failed(shop, exc)` and `open_shops()`. Resuming goes through the app's
`resume_jobs(job_ids)` (the job pane's engine).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from textual.app import App
from textual.widgets import Input

from shelf_tui.auth import KeyringUnavailable, TokenStore
from shelf_tui.auth.expiry import TokenView, attention, banner
from shelf_tui.domain import JobState
from shelf_tui.errors import EXIT_SIGN_IN
from shelf_tui.ui.text import one_line

if TYPE_CHECKING:
    from shelf_tui.domain import Shop
    from shelf_tui.store import Job
    from shelf_tui.ui.session import Session

#: How often the title bar's expiry warning is recomputed (tokens expire in days, not seconds).
EXPIRY_CHECK_SECONDS = 600


class Accounts:
    """The console's sign-in state and doors (see the module docstring)."""

    def __init__(self, app: App[Any], session: Session) -> None:
        self.app = app
        self.session = session
        self.flagged: list[tuple[str, TokenView]] = []
        #: Shops the platform refused (a sync, a job) and why, until they are signed in again.
        self.pending: dict[str, str] = {}
        self._tokens: TokenStore | None = None

    # -- keyring (worker threads only) -------------------------------------------------------

    def token_store(self) -> TokenStore:
        """The token store of this console; KeyringUnavailable when the policy refuses the
        keyring. Blocking (may touch D-Bus): call from a worker thread."""
        if self._tokens is None:
            tokens = getattr(self.session.sync, "tokens", None)
            self._tokens = tokens if isinstance(tokens, TokenStore) else TokenStore()
        return self._tokens

    def has_refresh(self, shop: Shop) -> bool | None:
        """Whether the keyring holds a refresh token for `shop` (so shelf renews its token on
        its own); None when the keyring cannot tell. Blocking: worker threads only."""
        try:
            return bool(self.token_store().get(shop.name, "refresh_token"))
        except KeyringUnavailable:
            return None

    def epoch(self) -> float:
        """The console's clock in epoch seconds (token expiry is computed against it)."""
        return self.session.clock().timestamp()

    # -- expiry ---------------------------------------------------------------------------

    def start(self) -> None:
        """Check token expiry now and every EXPIRY_CHECK_SECONDS."""
        self.app.set_interval(EXPIRY_CHECK_SECONDS, self.check_expiry)
        self.check_expiry()

    def check_expiry(self) -> None:
        store = self.session.store
        now = self.epoch()

        def read() -> None:
            rows = [(s, store.shops.meta(s.name, "refresh_failing")) for s in store.shops.all()]
            flagged = attention(rows, now, has_refresh=self.has_refresh)
            self.app.call_from_thread(self._set_flagged, flagged)

        self.app.run_worker(
            read, thread=True, group="accounts.expiry", exclusive=True, exit_on_error=False
        )

    def _set_flagged(self, flagged: list[tuple[str, TokenView]]) -> None:
        if flagged != self.flagged:
            self.flagged = flagged
            self.retitle()

    def status(self) -> list[str]:
        """The title bar's part: the shops whose token needs the seller, and the key."""
        text = banner(self.flagged)
        return [f"{text} (^s)"] if text else []

    def retitle(self) -> None:
        retitle = getattr(self.app.screen, "retitle", None)
        if callable(retitle) and self.app.screen.is_mounted:
            retitle()

    # -- doors --------------------------------------------------------------------------------

    def open_shops(self, select: str | None = None) -> None:
        """The shops screen, on `select` or else on the first shop waiting for a sign-in."""
        from shelf_tui.ui.screens.shops import ShopsScreen

        select = select or next(iter(self.pending), None)
        screen = self.app.screen
        if isinstance(screen, ShopsScreen):
            if select:
                screen.select(select)
            return
        self.app.push_screen(ShopsScreen(self, select=select))

    def sync_failed(self, shop: str, exc: BaseException) -> None:
        """A shop's sync failed: a keyring problem gets its screen; a refused token a one-line
        prompt (a background sync never pops a dialog over what the seller is doing), and
        ctrl+s then opens on that shop; anything else stays the status line it already is."""
        if isinstance(exc, KeyringUnavailable):
            self.show_keyring_problem(str(exc))
        elif getattr(exc, "exit_code", None) == EXIT_SIGN_IN:
            self.pending[shop] = one_line(str(exc))
            self._prompt(shop)
        self.check_expiry()

    def _prompt(self, shop: str) -> None:
        self.app.notify(
            f"{shop} needs a new sign-in: press ctrl+s, then enter.",
            severity="warning",
            timeout=10,
            markup=False,
        )

    def show_keyring_problem(self, message: str) -> None:
        from shelf_tui.ui.screens.keyring_help import KeyringScreen

        if not isinstance(self.app.screen, KeyringScreen):
            self.app.push_screen(KeyringScreen(message))

    def request_sign_in(self, shop: str, reason: str = "") -> None:
        """Open the sign-in dialog for `shop` (why: `reason`), e.g. for a job paused on an
        expired token. When the seller is busy in a dialog or typing, a one-line prompt
        instead: never steal keystrokes."""
        from shelf_tui.ui.screens.signin import SignInScreen

        if reason or shop not in self.pending:
            self.pending[shop] = reason
        screen = self.app.screen
        if (
            isinstance(screen, SignInScreen)
            or screen.is_modal
            or isinstance(self.app.focused, Input)
        ):
            if not (isinstance(screen, SignInScreen) and screen.shop_name == shop):
                self._prompt(shop)
            return
        self.sign_in(shop, reason=reason)

    def sign_in(
        self, shop: str, *, reason: str = "", then: Callable[[], None] | None = None
    ) -> None:
        """Read the shop, then push its sign-in dialog (the shop read runs off the UI thread)."""
        from shelf_tui.ui.screens.signin import SignInScreen

        store = self.session.store
        reason = reason or self.pending.get(shop, "")

        def read() -> None:
            found = store.shops.find(shop)

            def push() -> None:
                if found is None:
                    self.app.notify(f"Unknown shop {shop!r}.", severity="error", markup=False)
                    return

                def closed(result: object) -> None:
                    if result is not None:
                        self.signed_in(shop)
                    if then is not None:
                        then()

                self.app.push_screen(SignInScreen(self, found, reason=reason), closed)

            self.app.call_from_thread(push)

        self.app.run_worker(read, thread=True, group="accounts.read", exit_on_error=False)

    # -- after a sign-in: paused jobs ------------------------------------------------------------

    def signed_in(self, shop: str) -> None:
        """Fresh expiry, and the shop's paused or interrupted jobs offered for resume."""
        self.pending.pop(shop, None)
        self.check_expiry()
        if self.session.read_only:
            return
        store = self.session.store

        def read() -> None:
            jobs = store.jobs.all(states=[JobState.PAUSED, JobState.INTERRUPTED], shop=shop)
            if jobs:
                self.app.call_from_thread(self._offer_resume, shop, jobs)

        self.app.run_worker(read, thread=True, group="accounts.read", exit_on_error=False)

    def _offer_resume(self, shop: str, jobs: Sequence[Job]) -> None:
        from shelf_tui.ui.screens.resume_jobs import ResumeJobsScreen

        def chosen(resume: bool | None) -> None:
            if resume:
                self.resume([j.id for j in jobs])

        self.app.push_screen(ResumeJobsScreen(shop, list(jobs)), chosen)

    def resume(self, job_ids: list[int]) -> None:
        """Resume jobs through the app's job pane (its engine owns running jobs)."""
        door = getattr(self.app, "resume_jobs", None)
        if callable(door):
            door(job_ids)
            return
        ids = " ".join(str(i) for i in job_ids)
        self.app.notify(f"Resume from a shell: shelf jobs resume {ids}", markup=False)
