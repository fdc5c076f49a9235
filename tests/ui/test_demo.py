"""`shelf demo`: sandbox, three shops signed in by OAuth with an in-memory keyring, a sync in
the background, and a populated browser."""

from __future__ import annotations

from pathlib import Path

from ui_helpers import reference, screen_text, settle, table

from shelf_tui import paths as paths_mod
from shelf_tui.cli.console import DEMO_SHOPS, astart_demo
from shelf_tui.ui.app import make_app
from shelf_tui.ui.services import StoreSync


async def test_demo_reaches_a_populated_browser(tmp_path: Path) -> None:
    demo = await astart_demo(paths_mod.resolve(tmp_path / "home"), items=25)
    try:
        shops = demo.store.shops.all()
        assert [s.name for s in shops] == sorted(DEMO_SHOPS)
        assert all(s.seller_id and s.token_expires_at for s in shops)  # signed in by OAuth
        assert demo.store.items.count() == 0  # nothing synced before the console opens
        sync = StoreSync(demo.store, tokens=demo.tokens)
        app = make_app(demo.store, sync=sync, sync_on_open=True)
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            await app.workers.wait_for_complete()
            await settle(pilot)
            t = table(app)
            assert t.total == 75 == demo.store.items.count()
            assert [i.key for i in t.visible_items()] == reference(demo.store, "1")[: t.size.height]
            assert {i.shop for i in t.visible_items()} == set(DEMO_SHOPS)
            title = screen_text(app).splitlines()[0]
            assert title.startswith(" Items 75") and "synced now" in title
            assert app.sync_errors == {}
        # no secret reached the database
        raw = demo.store.path.read_bytes()
        for secret in demo.tokens.backend.entries.values():
            assert secret.encode() not in raw
    finally:
        demo.close()


async def test_demo_without_home_leaves_nothing_behind() -> None:
    demo = await astart_demo(None, items=3)
    home = demo.paths.home
    assert home is not None and home.exists()
    demo.close()
    assert not home.exists()
