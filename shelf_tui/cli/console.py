"""`shelf demo`: the console on the built-in sandbox, for anyone without a seller account.

It starts the sandbox in this process, adds three demo shops (Taobao, Mercado Libre MLM,
Temu US) to a throwaway home (or `--home`), signs each in through the real OAuth flow against
the sandbox (authorize page -> code -> token exchange -> token check) with an in-memory
keyring, then opens the console, which syncs them in the background. Nothing touches the
network, the OS keyring or the seller's own files: it works on a fresh machine over SSH.

(The bare `shelf` command, the console on your own shops, is `cli.cmd_console` ->
`shelf_tui.ui.run_console`.)
"""

from __future__ import annotations

import argparse
import tempfile
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from shelf_tui.errors import UsageError

if TYPE_CHECKING:
    from shelf_tui.auth import TokenStore
    from shelf_tui.cli import CommandFactory, Context
    from shelf_tui.paths import Paths
    from shelf_tui.sandbox import Sandbox
    from shelf_tui.store import Store

#: The three demo shops: the sandbox's shop keys.
DEMO_SHOPS = ("tb-main", "ml-mx", "temu-us")
DEMO_ITEMS = 300
#: Where the sandbox's authorize pages send the seller back. Nothing listens there: the demo
#: reads the code from the redirect itself, as a seller would copy it from the address bar.
REDIRECT_URI = "http://127.0.0.1:9/shelf-demo-callback"


def register(command: CommandFactory) -> None:
    p = command(
        "demo", cmd_demo, "the console on the built-in sandbox: three demo shops, no account needed"
    )
    p.add_argument(
        "--items",
        type=int,
        default=DEMO_ITEMS,
        metavar="N",
        help=f"items per demo shop ({DEMO_ITEMS})",
    )
    p.add_argument("--seed", type=int, default=1, metavar="S", help="catalog seed (1)")
    # `shelf demo --home DIR` reads as naturally as `shelf --home DIR demo`: both set the
    # one home (SUPPRESS: absent here, the global option's value stands).
    p.add_argument(
        "--home",
        metavar="DIR",
        default=argparse.SUPPRESS,
        help="keep the demo's shops, items and logs under DIR (default: a throwaway home)",
    )


class MemoryKeyring:
    """A keyring backend that lives in this process only: the demo's tokens vanish with it."""

    def __init__(self) -> None:
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        from keyring.errors import PasswordDeleteError

        if self.entries.pop((service, username), None) is None:
            raise PasswordDeleteError(username)


@dataclass
class Demo:
    """A running demo: sandbox, store, in-memory token store. `close()` ends all of it."""

    sandbox: Sandbox
    store: Store
    tokens: TokenStore
    paths: Paths
    _tmp: tempfile.TemporaryDirectory[str] | None = field(default=None, repr=False)

    def close(self) -> None:
        self.store.close()
        self.sandbox.stop()
        if self._tmp is not None:
            self._tmp.cleanup()


def start_demo(paths: Paths | None, *, items: int, seed: int = 1) -> Demo:
    """Sandbox up, demo shops added and signed in (OAuth), ready for `make_app`. `paths`
    None means a throwaway home, removed by `Demo.close()`."""
    import asyncio

    return asyncio.run(astart_demo(paths, items=items, seed=seed))


async def astart_demo(paths: Paths | None, *, items: int, seed: int = 1) -> Demo:
    """`start_demo` from async code (tests)."""
    from shelf_tui import paths as paths_mod
    from shelf_tui.auth import TokenStore
    from shelf_tui.sandbox import DEFAULT_SHOPS, Sandbox
    from shelf_tui.store import Store

    tmp = None
    if paths is None:
        tmp = tempfile.TemporaryDirectory(prefix="shelf-demo-")
        paths = paths_mod.resolve(tmp.name)
    specs = [s for s in DEFAULT_SHOPS if s.key in DEMO_SHOPS]
    sandbox = Sandbox(items=items, seed=seed, shops=specs).start()
    store = Store.open(paths.ensure().db_file)
    tokens = TokenStore(backend=MemoryKeyring())
    demo = Demo(sandbox, store, tokens, paths, tmp)
    try:
        _add_shops(store, tokens, sandbox)
        await _sign_in_all(store, tokens)
    except BaseException:
        demo.close()
        raise
    return demo


def _add_shops(store: Store, tokens: TokenStore, sandbox: Sandbox) -> None:
    """The demo shops as `shelf shop add` would leave them; with `--home` a second demo
    updates their endpoints (the sandbox listens on a new port each time)."""
    from shelf_tui.domain import Platform, Shop

    info = sandbox.info
    for entry in info["shops"]:
        platform = Platform(entry["platform"])
        endpoints = {
            "gateway": entry["gateway"],
            # Temu has no OAuth host; the sandbox serves its seller-centre approval page.
            "oauth": entry.get("oauth") or sandbox.url,
            "redirect_uri": REDIRECT_URI,
            "app_key": entry["app_key"],
        }
        name = entry["name"]
        if store.shops.find(name) is None:
            store.shops.add(
                Shop(
                    name=name,
                    platform=platform,
                    site=entry.get("site", ""),
                    region=entry.get("region", ""),
                    **endpoints,
                )
            )
        else:
            store.shops.update(name, **endpoints)
        tokens.set(name, "app_secret", entry["app_secret"])


async def _sign_in_all(store: Store, tokens: TokenStore) -> None:
    import secrets
    from urllib.parse import parse_qs, urlsplit

    import httpx

    from shelf_tui.auth import authorize_url, sign_in_with_code

    async with httpx.AsyncClient(timeout=10.0, follow_redirects=False) as client:
        for name in DEMO_SHOPS:
            shop = store.shops.get(name)
            state = secrets.token_urlsafe(12)
            answer = await client.get(authorize_url(shop, state, REDIRECT_URI))
            query = parse_qs(urlsplit(answer.headers.get("location", "")).query)
            code = (query.get("code") or [""])[0]
            if answer.status_code != 302 or query.get("state") != [state] or not code:
                raise UsageError(f"demo: the sandbox did not approve {name} ({answer.status_code})")
            await sign_in_with_code(
                store, name, code, redirect_uri=REDIRECT_URI, client=client, tokens=tokens
            )


def cmd_demo(ctx: Context, args: argparse.Namespace) -> int:
    from shelf_tui.ui import run_app
    from shelf_tui.ui.services import StoreSync

    if args.items < 1:
        raise UsageError("--items must be 1 or more")
    demo = start_demo(
        ctx.paths if ctx.paths.home is not None else None, items=args.items, seed=args.seed
    )
    try:
        sync = StoreSync(demo.store, tokens=demo.tokens, rates=ctx.config.rates)
        return run_app(
            demo.store,
            ctx.config,
            sync=sync,
            read_only=ctx.read_only,
            sync_on_open=True,
            paths=demo.paths,
        )
    finally:
        demo.close()
