"""The console app and `make_app`, the one factory the CLI, the demo, the tests and the bench
use (Posting-style): everything the app depends on is passed in, so a test can drive it with a
fixed clock, a temporary store and a fake sync.

    app = make_app(store, config=config, sync=service, clock=lambda: FIXED)
    app.run()
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, ClassVar

from textual import events, work
from textual.app import App
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Input

from shelf_tui import logs
from shelf_tui.config import Config
from shelf_tui.domain import utcnow
from shelf_tui.paths import Paths
from shelf_tui.store import Store
from shelf_tui.ui import fmt
from shelf_tui.ui.accounts import Accounts
from shelf_tui.ui.commands import ShelfCommands
from shelf_tui.ui.jobs_service import JobsService
from shelf_tui.ui.loader import BACKGROUND, Finished, Loader, Task
from shelf_tui.ui.rows import count
from shelf_tui.ui.screens.browser import BrowserScreen
from shelf_tui.ui.services import Clock, SyncResult, SyncService
from shelf_tui.ui.session import Session
from shelf_tui.ui.text import one_line

if TYPE_CHECKING:
    from shelf_tui.jobs import JobEngine

log = logs.get("ui.app")


class ShelfApp(App[int]):
    """The console. Screens: browser (home), detail, alerts; more join in later issues."""

    CSS_PATH = "app.tcss"
    TITLE = "shelf"
    ENABLE_COMMAND_PALETTE = True

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "alerts", "Alerts", id="app.alerts"),
        Binding("r,ctrl+r", "sync", "Sync", id="app.sync"),
        Binding("ctrl+s", "shops", "Shops", show=False, id="app.shops", key_display="^s"),
        Binding("J", "jobs", "Jobs", id="app.jobs"),
        Binding("q", "quit", "Quit", id="app.quit"),
        Binding("R", "rules", "Rules", id="app.rules", show=False),
        Binding("I", "report", "Report", id="app.report", show=False),
        # priority: `?` works on dialogs too (a focused input still types a `?`).
        Binding("question_mark", "help", "Help", id="app.help", show=False, priority=True),
    ]

    COMMANDS = App.COMMANDS | {ShelfCommands}

    def __init__(
        self,
        session: Session,
        *,
        sync_on_open: bool,
        block: int | None = None,
        paths: Paths | None = None,
        jobs: JobEngine | None = None,
    ) -> None:
        super().__init__()
        self.session = session
        self.paths = paths
        self.sync_on_open = sync_on_open
        self._block = block
        self.alert_count: int | None = None
        self.syncing: tuple[int, int] | None = None
        self.last_sync: int | None = None
        self.sync_errors: dict[str, str] = {}
        self._key_hints: dict[str, tuple[object, str]] = {}
        self.accounts = Accounts(self, session)  # shops, sign-in, token expiry
        self.jobs = JobsService(self, session, jobs)  # L/D, the job pane, live progress
        config = session.config
        self.animation_level = "full" if config.ui.animations else "none"
        if config.ui.theme in self.available_themes:
            self.theme = config.ui.theme
        if config.keymap:
            self.set_keymap(dict(config.keymap))

    # -- lifecycle ----------------------------------------------------------------------

    def on_mount(self) -> None:
        from shelf_tui.ui.terminal import TerminalGuard, ttys

        # SIGHUP/SIGTERM or a hung-up tty (SSH dropped) close the console as `q` does.
        self._terminal = TerminalGuard(self, ttys=() if self.is_headless else ttys()).install()
        reader = self.session.reader
        self.session.start(Loader(self, interrupt=reader.conn.raw.interrupt))
        self.session.listen(self)
        self.push_screen(BrowserScreen(self.session, block=self._block))
        self.call_after_refresh(self._request_alert_count)  # after the first rows
        self.accounts.start()
        self.jobs.start()
        if self.sync_on_open and self.session.sync is not None:
            self.call_after_refresh(self._sync_on_open)
        if self.session.config.keymap:
            self.call_after_refresh(self._check_keymap)  # after the first frame

    @work(thread=True, exit_on_error=False, group="keymap")
    def _check_keymap(self) -> None:
        """A typo in config.toml's [keymap] would otherwise remap nothing, silently. Off the
        UI thread: finding every binding id imports every screen module."""
        from shelf_tui.ui.screens.help import all_bindings

        known = {info.binding.id for info in all_bindings()}
        unknown = sorted(set(self.session.config.keymap) - known)
        if unknown:
            self.call_from_thread(self._unknown_keymap_ids, unknown)

    def _unknown_keymap_ids(self, unknown: list[str]) -> None:
        if unknown:
            names = ", ".join(repr(one_line(name)) for name in unknown[:3])
            more = f" and {len(unknown) - 3} more" if len(unknown) > 3 else ""
            self.notify(
                f"config.toml [keymap]: no binding has the id {names}{more} "
                "(? shows each screen's ids)",
                severity="warning",
                markup=False,
                timeout=10,
            )

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        """No blinking input cursor unless animations are on: over SSH a blink is a redraw
        every half second for as long as an input has the focus."""
        if not self.session.config.ui.animations and isinstance(event.widget, Input):
            event.widget.cursor_blink = False

    def on_unmount(self) -> None:
        try:
            self.jobs.close()  # running jobs journaled `interrupted` (offered at next start)
            self.session.close()
        finally:
            terminal = getattr(self, "_terminal", None)  # None: unmounted before it mounted
            if terminal is not None:
                terminal.restore()

    def on_finished(self, message: Finished) -> None:
        """A loader result: apply it on the UI thread."""
        assert self.session.loader is not None
        self.session.loader.dispatch(message)

    async def wait_idle(self) -> None:
        """Until every read the screens asked for has been applied (tests, bench)."""
        assert self.session.loader is not None
        await self.session.loader.wait_idle()

    # -- status ----------------------------------------------------------------------------

    def status_line(self) -> str:
        """The right side of every title bar: alerts, sync, read-only."""
        parts = []
        if self.alert_count:
            key = self._key_for("app.alerts")
            hint = f" ({key})" if key else ""
            parts.append(f"{fmt.count(self.alert_count)} alerts{hint}")
        parts.extend(self.accounts.status())
        if jobs := self.jobs.status():
            parts.append(jobs)
        if self.syncing is not None:
            done, total = self.syncing
            parts.append(f"syncing {done}/{total}…")
        elif self.sync_errors:
            shop, error = next(iter(self.sync_errors.items()))
            more = f" +{len(self.sync_errors) - 1}" if len(self.sync_errors) > 1 else ""
            parts.append(f"sync failed: {shop}: {error}{more}")
        elif self.last_sync is not None:
            parts.append(f"synced {fmt.age(self.last_sync, self.session.now())}")
        if self.session.read_only:
            parts.append("read-only")
        return " · ".join(parts)

    def _key_for(self, binding_id: str, on: Screen[object] | None = None) -> str:
        """The key that runs `binding_id` on the current screen as mapped now, or "" when
        the screen uses its keys for something else (on the shops screen `a` adds a shop)."""
        try:
            screen = self.screen if on is None else on
        except Exception:  # no screen yet
            return ""
        # Once per screen on top: a screen's keys do not change while it lives, and a focused input
        # (which claims the plain keys) must not make the hint come and go.
        cached = self._key_hints.get(binding_id)
        if cached is not None and cached[0] is screen:
            return cached[1]
        found_key = ""
        for key, found in screen.active_bindings.items():
            if found.binding.id == binding_id:
                found_key = self.get_key_display(replace(found.binding, key=key, key_display=None))
                break
        if not isinstance(self.focused, Input):
            self._key_hints[binding_id] = (screen, found_key)  # the screen on top only
        return found_key

    def _retitle(self) -> None:
        retitle = getattr(self.screen, "retitle", None)
        if callable(retitle) and self.screen.is_mounted:
            retitle()

    def _request_alert_count(self) -> None:
        reader = self.session.reader
        where = self.session.alerts_where()

        def done(total: int) -> None:
            self.alert_count = total
            self._retitle()

        self.session.submit(Task(lambda: count(reader, where), done, BACKGROUND, "alerts"))

    def data_changed(self) -> None:
        self._request_alert_count()

    def marks_changed(self, *_: object) -> None:
        pass

    # -- actions -------------------------------------------------------------------------

    def action_alerts(self) -> None:
        from shelf_tui.ui.screens.alerts import AlertsScreen

        if not isinstance(self.screen, AlertsScreen):
            self.push_screen(AlertsScreen(self.session))

    def action_rules(self) -> None:
        from shelf_tui.ui.rulesio import RulesPlace
        from shelf_tui.ui.screens.rules import RulesScreen

        if not isinstance(self.screen, RulesScreen):
            place = RulesPlace.from_paths(self.paths) if self.paths else None
            self.push_screen(RulesScreen(self.session, place))

    def action_report(self) -> None:
        from shelf_tui.ui.screens.report import ReportScreen

        if not isinstance(self.screen, ReportScreen):
            self.push_screen(ReportScreen(self.session))

    def action_help(self) -> None:
        """`?`: the keys of the screen on top, with their ids; `?` again closes it."""
        from shelf_tui.ui.screens.help import HelpScreen

        if isinstance(self.screen, HelpScreen):
            self.screen.dismiss(None)
        else:
            self.push_screen(HelpScreen(self.screen, read_only=self.jobs.read_only))

    def action_shops(self) -> None:
        self.accounts.open_shops()

    def action_jobs(self) -> None:
        """The job pane from anywhere; J again goes back."""
        self.jobs.toggle_pane()

    def resume_jobs(self, job_ids: list[int]) -> None:
        """Resume jobs here, in this console's engine (after a sign-in: accounts.py)."""
        self.jobs.resume_many(job_ids)

    def _sync_on_open(self) -> None:
        """Sync at start if there is anything to sync (a new home says so on screen)."""
        if self.session.sync is not None and list(self.session.sync.shops()):
            self.action_sync()

    def action_sync(self) -> None:
        """Sync every shop in the background; the UI keeps answering keys meanwhile."""
        service = self.session.sync
        if service is None:
            self.notify(
                "No shops to sync: ctrl+s adds one (or `shelf shop add`).", markup=False
            )
            return
        if self.syncing is not None:
            self.notify("A sync is already running.", markup=False)
            return
        shops = list(service.shops())
        if not shops:
            self.notify(
                "No shops yet: ctrl+s adds one (or `shelf shop add`), or try `shelf demo`.",
                markup=False,
            )
            return
        self.syncing = (0, len(shops))
        self.sync_errors = {}
        self._retitle()
        self._run_sync(service, shops)

    @work(thread=True, exclusive=True, group="sync", exit_on_error=False)
    def _run_sync(self, service: SyncService, shops: Sequence[str]) -> None:
        asyncio.run(self._sync_all(service, shops))

    async def _sync_all(self, service: SyncService, shops: Sequence[str]) -> None:
        async def one(shop: str) -> None:
            try:
                result = await service.sync_shop(shop)
            except Exception as exc:
                log.warning("sync of %s failed: %s", shop, exc)
                self.call_from_thread(
                    self._shop_synced, shop, None, one_line(str(exc)) or type(exc).__name__
                )
                self.call_from_thread(self.accounts.sync_failed, shop, exc)
            else:
                self.call_from_thread(self._shop_synced, shop, result, "")

        await asyncio.gather(*(one(s) for s in shops))
        self.call_from_thread(self._sync_finished)

    def _shop_synced(self, shop: str, result: SyncResult | None, error: str) -> None:
        if error:
            self.sync_errors[shop] = error
        if self.syncing is not None:
            self.syncing = (self.syncing[0] + 1, self.syncing[1])
        if result is None or result.changed:
            self.session.data_changed()
        self._retitle()

    def _sync_finished(self) -> None:
        self.syncing = None
        self.last_sync = self.session.now()
        if self.sync_errors:
            shop, error = next(iter(self.sync_errors.items()))
            self.notify(
                f"Sync of {shop} failed: {error}", severity="error", markup=False, timeout=8
            )
        self._retitle()


def make_app(
    store: Store,
    *,
    config: Config | None = None,
    sync: SyncService | None = None,
    clock: Clock = utcnow,
    read_only: bool = False,
    sync_on_open: bool | None = None,
    block: int | None = None,
    paths: Paths | None = None,
    jobs: JobEngine | None = None,
) -> ShelfApp:
    """The console over `store`.

    `sync` pulls catalogs (None: the sync key explains there is nothing to sync); `clock`
    is the console's "now" (deadlines, ages, `modified:<7d`); `sync_on_open` defaults to
    `config.ui.sync_on_open`; `block` (rows per read) is for tests that want many blocks.
    `paths` is the home: rules.toml and the rules run lock (the rules screen).
    `jobs` is the job engine (None: one from config.toml, connecting with the sync's tokens).
    """
    config = config or Config()
    session = Session.open(store, clock=clock, config=config, read_only=read_only, sync=sync)
    on_open = config.ui.sync_on_open if sync_on_open is None else sync_on_open
    return ShelfApp(session, sync_on_open=on_open, block=block, paths=paths, jobs=jobs)
