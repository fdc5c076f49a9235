"""Keys as they arrive over SSH: in bursts, before the rows are drawn, with a seller's keymap;
and no blinking cursor unless animations are on."""

from __future__ import annotations

from collections.abc import Callable

from textual import events
from textual.widgets import Input
from ui_helpers import count, settle, table

from shelf_tui.config import Config, UiConfig
from shelf_tui.ui.app import ShelfApp
from shelf_tui.ui.screens.alerts import AlertsScreen
from shelf_tui.ui.screens.browser import BrowserScreen

KEY_NAMES = {"/": "slash", ":": "colon", " ": "space", "*": "asterisk", "\r": "enter"}


def burst(app: ShelfApp, text: str) -> None:
    """Queue every key of `text` at once, as a terminal read delivers a burst: none is
    handled before the last is queued."""
    for char in text:
        key = KEY_NAMES.get(char, char)
        app.post_message(events.Key(key, None if char == "\r" else char))


async def test_a_burst_after_slash_lands_in_the_filter_and_stars_the_result(
    app_for: Callable[..., ShelfApp], store: object
) -> None:
    app = app_for()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        # `a` would open the alerts, `s` sort, `i` import a CSV if they reached the table
        burst(app, "/status:active stock:0\r*")
        await settle(pilot)
        assert isinstance(app.screen, BrowserScreen)
        bar = app.screen.filter_bar
        assert bar.applied == "status:active stock:0"
        expected = count(store, "status = 'active' AND stock = 0")  # type: ignore[arg-type]
        assert expected > 0
        t = table(app)
        assert t.row_count == expected
        # the `*` after enter reached the table: everything the filter matches is marked
        assert f"{expected} marked" in t.summary("Items")
        assert app.focused is t


async def test_keys_typed_before_the_first_rows_go_to_the_table(
    app_for: Callable[..., ShelfApp],
) -> None:
    app = app_for()
    async with app.run_test(size=(100, 30)) as pilot:
        # the first frame: the table already has the focus (the filter bar comes first)
        await pilot.pause()
        assert app.focused is table(app)
        await pilot.press("a")
        await pilot.pause()
        assert isinstance(app.screen, AlertsScreen)


async def test_no_blinking_cursor_unless_animations_are_on(
    app_for: Callable[..., ShelfApp],
) -> None:
    for animations in (False, True):
        app = app_for(config=Config(ui=UiConfig(animations=animations)))
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            await pilot.press("slash")
            await pilot.pause()
            field = app.focused
            assert isinstance(field, Input)
            assert field.cursor_blink is animations


async def test_an_unknown_keymap_id_is_named_and_a_known_one_remaps(
    app_for: Callable[..., ShelfApp],
) -> None:
    app = app_for(config=Config(keymap={"items.delsit": "x", "app.alerts": "ctrl+a"}))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.pause()
        await app.workers.wait_for_complete()  # the check runs off the UI thread
        await pilot.pause()
        warnings = [n.message for n in app._notifications]
        assert any("items.delsit" in m and "[keymap]" in m for m in warnings), warnings
        assert not any("app.alerts" in m for m in warnings)
        # the title's hint follows the keymap
        assert "alerts (^a)" in app.status_line()
        await pilot.press("ctrl+a")
        await pilot.pause()
        assert isinstance(app.screen, AlertsScreen)


async def test_the_alerts_hint_is_not_offered_where_a_means_something_else(
    app_for: Callable[..., ShelfApp],
) -> None:
    app = app_for()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert "alerts (a)" in app.status_line()
        await pilot.press("a")
        await pilot.pause()
        assert isinstance(app.screen, AlertsScreen)
        assert "alerts (a)" not in app.status_line()  # here `a` goes back
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.pause()
        assert type(app.screen).__name__ == "ShopsScreen"
        assert "alerts (a)" not in app.status_line()


async def test_a_second_filter_in_the_same_burst_opens_the_bar_again(
    app_for: Callable[..., ShelfApp], store: object
) -> None:
    """`/status:active⏎/reason:violation⏎`: the second `/` reaches the table after the first
    enter handed it the focus, and still opens the bar (a priority binding), so `a`, `r` and
    `s` of the second filter are typed, not run as the table's keys."""
    app = app_for()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        burst(app, "/status:active\r/reason:violation\r")
        await settle(pilot)
        assert isinstance(app.screen, BrowserScreen)
        assert app.screen.filter_bar.applied == "reason:violation"
        expected = count(store, "reason = 'violation'")  # type: ignore[arg-type]
        assert table(app).row_count == expected
        assert app.syncing is None  # `r` never reached the app as the sync key


async def test_a_slash_typed_in_the_filter_is_text(
    app_for: Callable[..., ShelfApp],
) -> None:
    app = app_for()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"USB-C", "slash", *"Lightning")
        await pilot.pause()
        assert isinstance(app.screen, BrowserScreen)
        assert app.screen.filter_bar.input.value == "USB-C/Lightning"
