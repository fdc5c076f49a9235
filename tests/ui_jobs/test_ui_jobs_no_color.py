"""NO_COLOR is a promise for every screen: the job pane of a home without jobs once ended the
console (an unstyled segment that Textual's NO_COLOR filter cannot take)."""

from __future__ import annotations

from pathlib import Path

import pytest

from shelf_tui.store import Store
from shelf_tui.ui.app import make_app
from shelf_tui.ui.screens.jobs import JobsScreen
from shelf_tui.ui.widgets.job_list import JobList


async def test_the_empty_job_pane_draws_without_colour(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    store = Store.open(tmp_path / "shelf.db")
    try:
        app = make_app(store, sync_on_open=False)
        async with app.run_test(size=(80, 24)) as pilot:
            assert app.no_color
            await pilot.press("J")
            await pilot.pause()
            await app.wait_idle()
            assert isinstance(app.screen, JobsScreen)
            jobs = app.screen.query_one(JobList)
            first = "".join(seg.text for seg in jobs.render_line(0))
            assert first.strip().startswith("No jobs yet")
            # every segment carries a style, the next lines are blank and styled too
            for y in range(3):
                assert all(seg.style is not None for seg in jobs.render_line(y))
            await pilot.press("escape")
            await pilot.pause()
            assert not isinstance(app.screen, JobsScreen)
        assert app.return_code in (None, 0)
    finally:
        store.close()
