"""Pilot helpers for help and the palette: open them, search, wait on the palette's own
search worker (never sleeping), read what they list."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from textual.command import Command, CommandInput, CommandList, CommandPalette
from textual.pilot import Pilot
from textual.worker import WorkerCancelled, WorkerFailed

from shelf_tui.ui.screens.help import HelpRow, HelpScreen

TIMEOUT = 30.0


async def open_help(pilot: Pilot[Any]) -> HelpScreen:
    await pilot.press("question_mark")
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, HelpScreen), type(screen).__name__
    return screen


def rows_by_id(help_screen: HelpScreen) -> dict[str, HelpRow]:
    return {r.binding_id: r for g in help_screen.groups for r in g.rows if r.binding_id}


def group_of(help_screen: HelpScreen, binding_id: str) -> str:
    for group in help_screen.groups:
        if any(r.binding_id == binding_id for r in group.rows):
            return group.title
    raise AssertionError(f"{binding_id} is not listed")


async def _searched(pilot: Pilot[Any]) -> None:
    """Until the palette's search worker has put every hit in the list."""
    app = pilot.app
    group = CommandPalette._GATHER_COMMANDS_GROUP

    async def finish(worker: Any) -> None:
        with contextlib.suppress(WorkerCancelled, WorkerFailed):
            await worker.wait()

    for _ in range(20):
        await pilot.pause()
        running = [w for w in app.workers if w.group == group and w.is_running]
        if not running:
            await pilot.pause()
            return
        await asyncio.wait_for(asyncio.gather(*(finish(w) for w in running)), TIMEOUT)
    raise AssertionError("the palette kept searching")


async def palette_search(pilot: Pilot[Any], query: str) -> list[str]:
    """Open the palette (ctrl+p) if needed, search `query`, return the hits' names in
    the order shown."""
    app = pilot.app
    if not CommandPalette.is_open(app):
        await pilot.press("ctrl+p")
        await pilot.pause()
    palette = app.screen
    assert isinstance(palette, CommandPalette)
    palette.query_one(CommandInput).value = query
    await _searched(pilot)
    return hits(pilot)


def hits(pilot: Pilot[Any]) -> list[str]:
    palette = pilot.app.screen
    assert isinstance(palette, CommandPalette)
    options = palette.query_one(CommandList).options
    return [str(o.hit.text) for o in options if isinstance(o, Command)]


async def run_command(pilot: Pilot[Any], name: str) -> None:
    """Search `name` and run exactly that command (enter on its row)."""
    found = await palette_search(pilot, name)
    assert name in found, found
    palette = pilot.app.screen
    assert isinstance(palette, CommandPalette)
    palette.query_one(CommandList).highlighted = found.index(name)
    await pilot.press("enter")
    await pilot.pause()
    assert not CommandPalette.is_open(pilot.app)
    await pilot.pause()  # the command runs after the palette closes (call_later)


async def close_palette(pilot: Pilot[Any]) -> None:
    await pilot.press("escape")
    await pilot.pause()
    assert not CommandPalette.is_open(pilot.app)


def hit_help(pilot: Pilot[Any], name: str) -> str:
    """The help line under the hit named `name`."""
    palette = pilot.app.screen
    assert isinstance(palette, CommandPalette)
    for option in palette.query_one(CommandList).options:
        if isinstance(option, Command) and option.hit.text == name:
            return str(option.hit.help)
    raise AssertionError(f"{name} is not offered")
