"""The console: Textual only. Nothing outside this package imports textual.

run_console(paths, config)          # `shelf`: the console on this home's shops
run_app(store, config, sync=...)    # the console on an open store (`shelf demo`)
make_app(store, ...)                # the app itself (tests, benches): shelf_tui.ui.app
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from shelf_tui.config import Config
    from shelf_tui.paths import Paths
    from shelf_tui.store import Store
    from shelf_tui.ui.services import SyncService


def run_console(paths: Paths, config: Config, *, read_only: bool = False) -> int:
    """Open the console on this home's shops (synced in the background through the OS
    keyring's tokens). Returns the process exit code."""
    from shelf_tui.store import Store
    from shelf_tui.ui.services import StoreSync

    paths.ensure()
    store = Store.open(paths.db_file)
    try:
        sync = StoreSync(store, rates=config.rates)
        return run_app(store, config, sync=sync, read_only=read_only, paths=paths)
    finally:
        store.close()


def run_app(
    store: Store,
    config: Config,
    *,
    sync: SyncService | None = None,
    read_only: bool = False,
    sync_on_open: bool | None = None,
    paths: Paths | None = None,
) -> int:
    """Run the console on `store` until the seller quits (or the terminal goes away: then
    running jobs are journaled `interrupted` and the code is 128 + the signal, 129 for a
    hang-up); the exit code."""
    from shelf_tui.ui.app import make_app
    from shelf_tui.ui.terminal import hangup_safe_driver

    app = make_app(
        store, config=config, sync=sync, read_only=read_only, sync_on_open=sync_on_open, paths=paths
    )
    app.driver_class = hangup_safe_driver(app.driver_class)
    result = app.run()
    return int(result or 0) if app.return_code is None else app.return_code
