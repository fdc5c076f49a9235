"""The command palette (ctrl+p): shelf's commands, namespaced ("items: …", "shop: …",
"jobs: …") and state-aware: a command is offered only where and when it can apply.

- item commands only on the browser (they act on its table and filter bar);
- mutations (L/D, resume) never in read-only mode: L/D ask the browser's own `check_action`,
  the rule that already hides their keys;
- "jobs: resume interrupted" only when the journal holds interrupted jobs;
- on a dialog (a modal screen) only "help: keys": nothing is pushed over a half-answered
  dialog.

Every command drives an existing action or service method; nothing here changes state by
itself. The state (shop names, interrupted jobs) is read once when the palette opens, on the
browser's loader thread, so the palette never waits on SQLite in the UI thread.

Names and help are drawn literally (`Content`, never markup): a shop name is data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content
from textual.markup import escape
from textual.screen import Screen
from textual.style import Style

from shelf_tui.domain import JobState
from shelf_tui.store import FilterError, parse
from shelf_tui.ui.screens.quick_filter import QUICK_FILTERS

if TYPE_CHECKING:
    from shelf_tui.ui.app import ShelfApp
    from shelf_tui.ui.screens.browser import BrowserScreen


@dataclass(frozen=True, slots=True)
class PaletteCommand:
    name: str  # "namespace: what", as typed and shown
    help: str
    run: Callable[[], object]


@dataclass(frozen=True, slots=True)
class PaletteState:
    """What the commands depend on, read when the palette opens."""

    shops: tuple[str, ...] = ()
    interrupted: tuple[int, ...] = ()


async def read_state(app: ShelfApp) -> PaletteState:
    session = app.session
    reader = session.reader

    def read() -> PaletteState:
        jobs = reader.jobs.all(states=[JobState.INTERRUPTED], limit=1000)
        return PaletteState(tuple(reader.shops.names()), tuple(j.id for j in jobs))

    return await session.run(read)


def switch_shop(text: str, shop: str) -> str:
    """`text` with its `shop:` terms replaced by `shop:NAME` (the rest of the filter stays)."""
    try:
        terms = [t.source for t in parse(text).terms if t.field != "shop"]
    except FilterError:
        terms = []
    return " ".join([*terms, f"shop:{shop}"])


def key_of(app: ShelfApp, binding_id: str, screen: Screen[Any]) -> str:
    """The key that runs a binding on `screen` (the one the palette was opened over) as mapped
    now, or "" where that screen takes the key for something else."""
    return app._key_for(binding_id, screen)


def hint(app: ShelfApp, binding_id: str, screen: Screen[Any], text: str) -> str:
    """ "KEY — text": the palette also teaches the key (as remapped, if it is)."""
    key = key_of(app, binding_id, screen)
    return f"{key} — {text}" if key else text


def _browser(app: ShelfApp) -> BrowserScreen | None:
    from shelf_tui.ui.screens.browser import BrowserScreen

    return next((s for s in app.screen_stack if isinstance(s, BrowserScreen)), None)


def item_commands(app: ShelfApp, screen: BrowserScreen) -> list[PaletteCommand]:
    """The browser's: marks, filters, L/D (when its check_action lets them be), CSV."""
    table = screen.table
    bar = screen.filter_bar
    out = [
        PaletteCommand(
            "items: mark all matching",
            hint(
                app,
                "items.mark_all",
                screen,
                "mark every item the filter matches (kept as the filter, not a list)",
            ),
            table.action_mark_all,
        )
    ]
    counts = table.mark_counts
    if app.session.mark_seq and (counts is None or counts.marked):
        out.append(
            PaletteCommand(
                "items: clear marks",
                hint(app, "items.clear_marks", screen, "unmark everything"),
                table.action_clear_marks,
            )
        )
    for label, text in QUICK_FILTERS:
        if not text:
            continue
        out.append(
            PaletteCommand(
                f"items: filter {label[:1].lower()}{label[1:]}",
                f"/{text}",
                partial(bar.apply, text),
            )
        )
    if bar.applied or bar.error:
        out.append(
            PaletteCommand(
                "items: clear filter",
                hint(app, "items.clear_filter", screen, "every item"),
                screen.action_clear_filter,
            )
        )
    out.append(
        PaletteCommand(
            "items: filter…",
            hint(app, "items.filter", screen, "type a filter"),
            screen.action_filter,
        )
    )
    verbs = (
        ("list_items", "items: list marked (上架)", "items.list", screen.action_list_items),
        ("delist_items", "items: delist marked (下架)", "items.delist", screen.action_delist_items),
    )
    for action, name, binding_id, run in verbs:
        if screen.check_action(action, ()):
            out.append(
                PaletteCommand(
                    name,
                    hint(app, binding_id, screen, "the marked items, else the cursor row"),
                    run,
                )
            )
    out.append(
        PaletteCommand(
            "items: import CSV",
            hint(app, "items.import_csv", screen, "mark the items a CSV lists"),
            screen.action_import_csv,
        )
    )
    out.append(
        PaletteCommand(
            "items: export CSV",
            hint(app, "items.export_csv", screen, "the marked or matching items"),
            screen.action_export_csv,
        )
    )
    return out


def palette_commands(
    app: ShelfApp, screen: Screen[Any], state: PaletteState
) -> list[PaletteCommand]:
    """The commands for `screen` (the one the palette was opened on), in display order."""
    from shelf_tui.ui.screens.alerts import AlertsScreen
    from shelf_tui.ui.screens.browser import BrowserScreen
    from shelf_tui.ui.screens.jobs import JobsScreen
    from shelf_tui.ui.screens.report import ReportScreen
    from shelf_tui.ui.screens.rules import RulesScreen

    help_keys = PaletteCommand(
        "help: keys",
        hint(app, "app.help", screen, "every key of this screen and its id"),
        app.action_help,
    )
    if screen.is_modal:
        return [help_keys]
    out: list[PaletteCommand] = []
    if isinstance(screen, BrowserScreen):
        out += item_commands(app, screen)

    browser = _browser(app)
    if browser is not None:
        for shop in state.shops:
            out.append(
                PaletteCommand(
                    f"shop: switch to {shop}",
                    f"/shop:{shop} in the browser (the rest of the filter stays)",
                    partial(_switch, app, shop),
                )
            )
    for shop in state.shops:
        out.append(
            PaletteCommand(
                f"shop: sign in {shop}",
                "sign in again (OAuth or a token)",
                partial(app.accounts.sign_in, shop),
            )
        )
    out.append(
        PaletteCommand(
            "shop: manage shops",
            hint(app, "app.shops", screen, "add, sign in, remove"),
            app.action_shops,
        )
    )
    if app.session.sync is not None and app.syncing is None:
        out.append(
            PaletteCommand(
                "shop: sync all",
                hint(app, "app.sync", screen, "pull every shop's catalog"),
                app.action_sync,
            )
        )

    if not isinstance(screen, JobsScreen):
        out.append(
            PaletteCommand(
                "jobs: open pane",
                hint(app, "app.jobs", screen, "jobs, live progress"),
                app.action_jobs,
            )
        )
    if state.interrupted and not app.jobs.read_only:
        n = len(state.interrupted)
        out.append(
            PaletteCommand(
                "jobs: resume interrupted",
                f"{n} job{'s' if n != 1 else ''} stopped mid-way: "
                "unanswered calls are read back first",
                partial(app.jobs.resume_many, list(state.interrupted)),
            )
        )
    # The other screens, each offered where it is not already the one open.
    for cls, name, binding_id, text, action in (
        (
            RulesScreen,
            "rules: open",
            "app.rules",
            "rules.toml, preview and apply",
            app.action_rules,
        ),
        (
            ReportScreen,
            "report: open",
            "app.report",
            "what changed, by whom, per day",
            app.action_report,
        ),
        (
            AlertsScreen,
            "alerts: open",
            "app.alerts",
            "taken down or locked, soonest deadline first",
            app.action_alerts,
        ),
    ):
        if not isinstance(screen, cls):
            out.append(PaletteCommand(name, hint(app, binding_id, screen, text), action))
    out.append(help_keys)
    return out


def _switch(app: ShelfApp, shop: str) -> None:
    """Back to the browser (leaving the screens above it), then filter on `shop`."""
    browser = _browser(app)
    if browser is None:
        return
    while app.screen is not browser and len(app.screen_stack) > 1:
        app.pop_screen()
    browser.filter_bar.apply(switch_shop(browser.filter_bar.applied, shop))


class ShelfCommands(Provider):
    """The palette's shelf commands (registered in ShelfApp.COMMANDS)."""

    def __init__(self, screen: Screen[Any], match_style: Style | None = None) -> None:
        super().__init__(screen, match_style)
        self.commands: list[PaletteCommand] = []

    async def startup(self) -> None:
        from shelf_tui.ui.app import ShelfApp

        app = self.app
        if not isinstance(app, ShelfApp) or app.session.loader is None:
            return
        state = await read_state(app)
        self.commands = palette_commands(app, self.screen, state)

    def _highlight(self, query: str, text: str) -> Content:
        """`text` literally, with the matched letters styled (Matcher.highlight would read
        `text` as markup)."""
        content = Content(text)
        matcher = self.matcher(query)
        _, offsets = matcher.fuzzy_search.match(query, text)
        for offset in offsets:
            if not text[offset].isspace():
                content = content.stylize(matcher.match_style, offset, offset + 1)
        return content

    # A hit's help is read as markup by the palette itself: it is escaped.

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for command in self.commands:
            score = matcher.match(command.name)
            if score > 0:
                yield Hit(
                    score,
                    self._highlight(query, command.name),
                    command.run,
                    text=command.name,
                    help=escape(command.help),
                )

    async def discover(self) -> Hits:
        for command in self.commands:
            yield DiscoveryHit(
                Content(command.name), command.run, text=command.name, help=escape(command.help)
            )
