"""A shelf home wired to an in-process sandbox, for the CLI and fault tests.

Shops are registered and synced through the library (fast), with their secrets in the same
file keyring (`keyrings.alt` PlaintextKeyring under cli_env's XDG_DATA_HOME) that `python -m
shelf_tui` subprocesses use, so a test can mix in-process engines and real `shelf` processes on
one home.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path
from typing import Any

from keyrings.alt.file import PlaintextKeyring

from shelf_tui.auth import TokenStore, connect
from shelf_tui.domain import Platform, Shop
from shelf_tui.sandbox import Sandbox
from shelf_tui.store import Store
from shelf_tui.sync import sync_shop


def shelf(
    env: dict[str, str], *args: str, stdin: str | None = None, timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "shelf_tui", *args],
        capture_output=True,
        text=True,
        env=env,
        input=stdin if stdin is not None else "",
        timeout=timeout,
    )


def keyring_for(env: dict[str, str]) -> TokenStore:
    """The file keyring the `shelf` subprocesses of `env` read."""
    backend = PlaintextKeyring()
    backend.file_path = str(Path(env["XDG_DATA_HOME"]) / "python_keyring" / backend.filename)
    return TokenStore(backend=backend)


def write_config(home: Path, text: str) -> None:
    path = home / "config" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def db_path(home: Path) -> Path:
    return home / "data" / "shelf.db"


def register(
    home: Path,
    env: dict[str, str],
    sb: Sandbox,
    names: list[str],
    *,
    sync: bool = True,
    clock: Any = None,
) -> None:
    """Add the sandbox shops `names` to the home, store their secrets and tokens in the file
    keyring, and sync them."""
    tokens = keyring_for(env)
    db_path(home).parent.mkdir(parents=True, exist_ok=True)
    with Store.open(db_path(home)) as store:
        for name in names:
            spec = next(s for s in sb.info["shops"] if s["name"] == name)
            store.shops.add(
                Shop(
                    name,
                    Platform(spec["platform"]),
                    site=spec.get("site") or "",
                    region=spec.get("region") or "",
                    gateway=spec["gateway"],
                    oauth=spec.get("oauth") or "",
                    app_key=spec["app_key"],
                    seller_id=spec["seller_id"],
                )
            )
            tokens.save(
                name,
                app_secret=spec["app_secret"],
                access_token=spec["access_token"],
                refresh_token=spec.get("refresh_token") or "",
            )
        if sync:

            async def pull() -> None:
                for name in names:
                    async with connect(store, name, rate=1e6, tokens=tokens, clock=clock) as m:
                        await sync_shop(store, m)

            asyncio.run(pull())
