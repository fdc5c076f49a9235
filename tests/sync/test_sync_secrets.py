"""No secret in any file under the home after syncs that log: refreshes, lost answers,
backend failures, a revoked sign-in and its traceback (issue 5: search every file)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from connkit import fake_throttle, shop_of

from shelf_tui import logs
from shelf_tui.auth import TokenStore, connect
from shelf_tui.marketplaces import MarketplaceError
from shelf_tui.sandbox import Sandbox
from shelf_tui.store import Store
from shelf_tui.sync import sync_shop

SHOPS = ("tb-main", "ml-mx", "temu-us")


def _flush() -> None:
    for handler in logging.getLogger("shelf").handlers:
        handler.flush()


async def test_no_secret_reaches_any_file_of_the_home_or_any_error(
    sb: Sandbox, tmp_path: Path, memory_keyring: Any
) -> None:
    home = tmp_path / "home"
    log_file = logs.setup(home / "logs", level=logging.DEBUG)
    tokens = TokenStore()
    secrets: set[str] = set()
    errors: list[str] = []
    with Store.open(home / "data" / "shelf.db") as store:
        for name in SHOPS:
            store.shops.add(shop_of(sb, name))
            creds = sb.credentials(name)
            tokens.save(
                name,
                app_secret=creds["app_secret"],
                access_token=creds["access_token"],
                refresh_token=creds.get("refresh_token", ""),
            )
            secrets |= {creds["app_secret"], creds["access_token"]}
            secrets |= {creds["refresh_token"]} if creds.get("refresh_token") else set()
        # The ML token is expired: the first call is refused and refreshed (logged).
        sb.expire_token("ml-mx")
        sb.set_faults("timeout=0.05,timeout_hold=0,5xx=0.1,429=0.1")
        log = logs.get("test.sync")
        for name in SHOPS:
            async with connect(
                store, name, clock=sb.clock.now, throttle=fake_throttle(sb)
            ) as market:
                market.read_attempts = 30  # type: ignore[attr-defined]
                try:
                    await sync_shop(store, market)
                except MarketplaceError as exc:  # a fault the retries did not outlast
                    errors.append(str(exc))
                    log.exception("sync of %s failed", name)
        refreshed = tokens.load("ml-mx")
        assert refreshed.refresh_token not in secrets  # the refresh did happen
        secrets |= {refreshed.access_token, refreshed.refresh_token}
        # A revoked sign-in: the error and its traceback go to the log.
        sb.set_faults(None)
        sb.revoke_token("tb-main")
        async with connect(store, "tb-main", clock=sb.clock.now, throttle=fake_throttle(sb)) as m:
            with pytest.raises(MarketplaceError) as info:
                await m.whoami()
        errors.append(str(info.value))
        log.error("sign-in needed: %s", info.value, exc_info=info.value)
        assert store.items.count() == 3 * 60
    _flush()
    text = log_file.read_text(encoding="utf-8")
    assert "token refreshed" in text and "Traceback" in text  # the log did record the story
    files = [p for p in home.rglob("*") if p.is_file()]
    assert {p.name for p in files} >= {"shelf.db", "shelf.log"}
    for path in files:
        data = path.read_bytes()
        for secret in secrets:
            assert secret.encode() not in data, f"a secret is in {path.name}"
    for message in errors:
        assert not any(secret in message for secret in secrets), message
