"""Snapshots (pytest-textual-snapshot) of the confirm dialog and the job pane at 80x24 and
100x30, on a fixed clock and a fixed store (jobs in every state, a failure with the platform's
words). Update with `pytest tests/ui_jobs/test_ui_jobs_snapshots.py --snapshot-update`."""

from __future__ import annotations

from typing import Any

import pytest
from jobs_ui_helpers import clock, open_dialog, settle, waited, workers_done
from textual.pilot import Pilot

from shelf_tui.store import Store
from shelf_tui.ui.app import ShelfApp, make_app
from shelf_tui.ui.marks import MarkOp

SIZES = [(80, 24), (100, 30)]


def _app(store: Store) -> ShelfApp:
    return make_app(store, clock=clock, sync_on_open=False)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "100x30"])
def test_confirm_dialog(snap_store: Store, snap_compare: Any, size: tuple[int, int]) -> None:
    """List 上架 over two shops' marks with a filter hiding one shop: per-shop counts in the
    shops' accents, the hidden marks, blocked reasons counted, the reason focused."""

    async def run_before(pilot: Pilot[Any]) -> None:
        app = pilot.app
        assert isinstance(app, ShelfApp)
        await settle(pilot)
        await waited(app.jobs.started.wait())
        keys = [
            (r[0], r[1])
            for r in snap_store.conn.query(
                "SELECT shop, item_id FROM items WHERE shop != 'temu-us' ORDER BY shop, item_id"
            )
        ]
        app.session.mark(MarkOp("set", tuple(keys)))
        await pilot.press("slash", *"shop:tb-main", "enter")
        await settle(pilot)
        app.clear_notifications()
        await open_dialog(pilot, "L")

    assert snap_compare(_app(snap_store), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "100x30"])
def test_jobs_pane(snap_store: Store, snap_compare: Any, size: tuple[int, int]) -> None:
    """Interrupted and paused jobs first, then the finished ones; at 100x30 the done job with
    its failure is selected."""

    async def run_before(pilot: Pilot[Any]) -> None:
        app = pilot.app
        assert isinstance(app, ShelfApp)
        await settle(pilot)
        await waited(app.jobs.started.wait())
        app.clear_notifications()
        await pilot.press("J")
        await settle(pilot)
        if size == (100, 30):
            await pilot.press("end")
        await workers_done(pilot)  # the list, then the selected job's failures, are read
        await settle(pilot)
        await pilot.pause()

    assert snap_compare(_app(snap_store), terminal_size=size, run_before=run_before)
