"""`shelf shop add|list|remove` and `shelf login`: the shop registry and signing in.

Shop settings go to SQLite; the app secret and tokens only to the OS keyring. The keyring is
checked before anything else, so with no usable keyring these commands exit 3 with the fix
and write nothing (shelf's own log excepted).

Signing in: `shelf login NAME --token-stdin` takes an access token (and an optional refresh
token on the second line); `shelf login NAME` runs the OAuth flow of auth/flow.py (URL + QR
code, then the pasted code or redirect URL, or Temu's token), reading stdin when it is not a
terminal.
"""

from __future__ import annotations

import argparse
import getpass
import json
import re
import sys
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from shelf_tui.errors import EXIT_OK, UsageError

if TYPE_CHECKING:
    from shelf_tui.cli import CommandFactory, Context
    from shelf_tui.domain import Shop

PLATFORMS = ("taobao", "tmall", "mercadolibre", "temu")
REGIONS = ("us", "eu", "global")
SIGN_METHODS = ("md5", "hmac", "hmac-sha256")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def register(command: CommandFactory) -> None:
    p = command("shop", _shop_help, "add, list or remove shops (seller accounts)")
    sub = p.add_subparsers(title="actions", metavar="ACTION", parser_class=type(p))

    a = sub.add_parser(
        "add",
        help="add a shop; its app secret is read from stdin (or prompted for)",
        description="Add a shop. The app secret is read from the first line of stdin when "
        "stdin is not a terminal, else prompted for; it goes to the OS keyring only.",
    )
    a.set_defaults(handler=cmd_shop_add)
    a.add_argument("name", metavar="NAME", help="a short name, e.g. tb-main")
    a.add_argument("--platform", required=True, choices=PLATFORMS)
    a.add_argument("--site", metavar="S", help="Mercado Libre site, e.g. MLM, MLB, MLA")
    a.add_argument("--region", metavar="R", help="Temu region: us, eu or global")
    a.add_argument("--gateway", metavar="URL", help="TOP/Temu router URL or the ML API base")
    a.add_argument("--oauth", metavar="URL", help="OAuth base URL (TOP, ML)")
    a.add_argument(
        "--redirect-uri",
        metavar="URL",
        help="the app's registered redirect URI (required for Taobao/Tmall and Mercado Libre)",
    )
    a.add_argument("--app-key", required=True, metavar="K", help="app key / client id")
    a.add_argument("--sign-method", choices=SIGN_METHODS, default=None, help="TOP signature (md5)")
    a.add_argument(
        "--rate", type=float, metavar="N", help="requests per second (default: platform)"
    )

    ls = sub.add_parser("list", help="list shops", description="List shops.")
    ls.set_defaults(handler=cmd_shop_list)
    ls.add_argument("--json", action="store_true", help="JSON Lines, one shop per line")

    rm = sub.add_parser(
        "remove",
        help="remove a shop, its items and its keyring entries (its history stays)",
        description="Remove a shop, its items and its keyring entries. Its timeline events "
        "and jobs stay unless --purge-history is given.",
    )
    rm.set_defaults(handler=cmd_shop_remove)
    rm.add_argument("name", metavar="NAME")
    rm.add_argument("--purge-history", action="store_true", help="erase its events too")

    lg = command("login", cmd_login, "sign a shop in (OAuth, or a token on stdin)")
    lg.add_argument("name", metavar="NAME")
    lg.add_argument(
        "--token-stdin",
        action="store_true",
        help="read an access token (and an optional refresh token on line 2) from stdin",
    )


def _shop_help(ctx: Context, args: argparse.Namespace) -> int:
    raise UsageError("shop: say add, list or remove (see `shelf shop --help`)")


# -- validation --------------------------------------------------------------------------------


def _url(option: str, value: str | None) -> str:
    if not value:
        return ""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"{option}: expected an http(s) URL, got {value!r}")
    if parts.username or parts.password:
        raise UsageError(f"{option}: a URL must not carry credentials")
    return value


def _validate(args: argparse.Namespace) -> dict[str, Any]:
    from shelf_tui.auth.registry import REDIRECT_REQUIRED
    from shelf_tui.marketplaces.mercadolibre import AUTH_HOSTS

    if not _NAME.match(args.name):
        raise UsageError(
            f"shop name {args.name!r}: use letters, digits, '.', '_' or '-' (at most 64)"
        )
    platform = args.platform
    site = (args.site or "").upper()
    region = (args.region or "").lower()
    if platform == "mercadolibre":
        if site not in AUTH_HOSTS:
            raise UsageError(
                f"--site {args.site or '(missing)'}: Mercado Libre needs a site, one of "
                f"{', '.join(AUTH_HOSTS)}"
            )
    elif args.site:
        raise UsageError("--site applies to Mercado Libre shops only")
    if platform == "temu":
        if region not in REGIONS:
            raise UsageError(
                f"--region {args.region or '(missing)'}: Temu needs a region, one of "
                f"{', '.join(REGIONS)}"
            )
    elif args.region:
        raise UsageError("--region applies to Temu shops only")
    if args.sign_method and platform not in ("taobao", "tmall"):
        raise UsageError("--sign-method applies to Taobao/Tmall shops only")
    if platform == "temu" and args.oauth:
        raise UsageError("--oauth: Temu has no OAuth host (tokens come from Seller Center)")
    if not args.app_key.strip():
        raise UsageError("--app-key must not be empty")
    if args.rate is not None and args.rate <= 0:
        raise UsageError("--rate must be a positive number of requests per second")
    gateway = _url("--gateway", args.gateway)
    oauth = _url("--oauth", args.oauth)
    redirect_uri = _url("--redirect-uri", args.redirect_uri)
    if not redirect_uri and platform in REDIRECT_REQUIRED:
        raise UsageError(
            f"--redirect-uri URL: {REDIRECT_REQUIRED[platform]} shops need the redirect URI "
            "registered for the app (the sign-in sends it and the platform checks it)"
        )
    return {
        "site": site,
        "region": region,
        "gateway": gateway,
        "oauth": oauth,
        "redirect_uri": redirect_uri,
        "app_key": args.app_key.strip(),
        "sign_method": args.sign_method or "md5",
        "rate": args.rate,
    }


def _read_secret(prompt: str) -> str:
    """The first stdin line when stdin is not a terminal, else a hidden prompt."""
    if sys.stdin is None:
        return ""
    if sys.stdin.isatty():
        return getpass.getpass(prompt).strip()
    return sys.stdin.readline().strip()


# -- shop add / list / remove ------------------------------------------------------------------


def cmd_shop_add(ctx: Context, args: argparse.Namespace) -> int:
    from shelf_tui.auth import TokenStore
    from shelf_tui.domain import Platform, Shop
    from shelf_tui.store import ShopExists

    fields = _validate(args)
    tokens = TokenStore()  # refuse an unusable keyring before anything is written
    secret = _read_secret(f"app secret for {args.name}: ")
    if not secret:
        raise UsageError("no app secret given (pipe it on stdin, or type it at the prompt)")
    store = ctx.store()
    if store.shops.find(args.name) is not None:
        raise UsageError(f"a shop named {args.name!r} already exists (see `shelf shop list`)")
    tokens.set(args.name, "app_secret", secret)
    shop = Shop(name=args.name, platform=Platform(args.platform), **fields)
    try:
        store.shops.add(shop)
    except ShopExists as exc:
        raise UsageError(str(exc)) from None
    except BaseException:
        tokens.remove(args.name)
        raise
    parts = [Platform(args.platform).label]
    if fields["site"] or fields["region"]:
        parts.append(fields["site"] or fields["region"])
    parts.append(f"gateway {fields['gateway']}" if fields["gateway"] else "default endpoints")
    print(f"added shop {args.name} ({', '.join(parts)})")
    print(f"next: shelf login {args.name}")
    return EXIT_OK


def _when(value: datetime | None) -> str:
    return "" if value is None else value.strftime("%Y-%m-%d %H:%M")


def token_state(
    shop: Shop,
    signed_in: bool | None,
    now: float,
    failing: str = "",
    refreshable: bool | None = None,
) -> str:
    """What the seller needs to know about a shop's token, in a few words: the words of the
    console's shops screen (auth/expiry.py), e.g. "auto-refresh" for a token shelf renews
    itself, "expires in 3d 4h" for one it cannot."""
    from shelf_tui.auth.expiry import token_view

    view = token_view(shop, now, signed_in=signed_in, failing=failing, refreshable=refreshable)
    return view.text


def cmd_shop_list(ctx: Context, args: argparse.Namespace) -> int:
    import time

    from shelf_tui.auth import KeyringUnavailable, TokenStore

    store = ctx.store()
    shops = store.shops.all()
    counts = store.items.shop_counts()
    try:
        tokens: TokenStore | None = TokenStore()
    except KeyringUnavailable:
        tokens = None
    now = time.time()
    rows = []
    for shop in shops:
        signed = None if tokens is None else bool(tokens.get(shop.name, "access_token"))
        refreshable = None
        if tokens is not None and signed and shop.platform.is_top:
            refreshable = bool(tokens.get(shop.name, "refresh_token"))
        failing = store.shops.meta(shop.name, "refresh_failing")
        rows.append((shop, signed, token_state(shop, signed, now, failing, refreshable)))
    if args.json:
        for shop, signed, state in rows:
            print(
                json.dumps(
                    {
                        "name": shop.name,
                        "platform": shop.platform.value,
                        "site": shop.site,
                        "region": shop.region,
                        "gateway": shop.gateway,
                        "oauth": shop.oauth,
                        "app_key": shop.app_key,
                        "seller_id": shop.seller_id,
                        "seller_nick": shop.seller_nick,
                        "scopes": [s for s in shop.scopes.split(",") if s],
                        "signed_in": signed,
                        "token": state,
                        "token_expires_at": _iso(shop.token_expires_at),
                        "last_sync_at": _iso(shop.last_sync_at),
                        "items": counts.get(shop.name, 0),
                    },
                    ensure_ascii=False,
                )
            )
        return EXIT_OK
    if not shops:
        print("no shops yet: shelf shop add NAME --platform ... --app-key ...", file=sys.stderr)
        return EXIT_OK
    table = [("NAME", "PLATFORM", "SITE", "SELLER", "TOKEN", "LAST SYNC", "ITEMS")]
    for shop, _, state in rows:
        table.append(
            (
                shop.name,
                shop.platform.value,
                shop.site or shop.region or "-",
                _printable(shop.seller_nick or shop.seller_id or "-")[:24],
                state,
                _when(shop.last_sync_at) or "never",
                f"{counts.get(shop.name, 0):,}",
            )
        )
    widths = [max(len(r[i]) for r in table) for i in range(len(table[0]))]
    for r in table:
        print("  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip())
    return EXIT_OK


def cmd_shop_remove(ctx: Context, args: argparse.Namespace) -> int:
    from shelf_tui.auth import TokenStore
    from shelf_tui.auth.session import remove_lock_files
    from shelf_tui.marketplaces.throttle import forget

    tokens = TokenStore()
    store = ctx.store()
    shop = store.shops.get(args.name)
    items = store.items.count(shops=[shop.name])
    tokens.remove(shop.name)
    store.shops.remove(shop.name)
    forget(shop.name)
    remove_lock_files(store, shop.name)
    if args.purge_history:
        erased = store.events.purge_shop(shop.name)
        print(f"removed shop {shop.name} ({items:,} items, {erased:,} events erased)")
    else:
        print(
            f"removed shop {shop.name} ({items:,} items); its history stays "
            "(--purge-history erases it)"
        )
    return EXIT_OK


# -- login -------------------------------------------------------------------------------------


def cmd_login(ctx: Context, args: argparse.Namespace) -> int:
    if not args.token_stdin:
        return interactive_login(ctx, args)
    import asyncio

    from shelf_tui.auth import TokenStore, sign_in_with_tokens

    tokens = TokenStore()
    store = ctx.store()
    store.shops.get(args.name)
    access, refresh = _read_tokens()
    if not access:
        raise UsageError("--token-stdin: no access token on the first line of stdin")
    info = asyncio.run(sign_in_with_tokens(store, args.name, access, refresh, tokens=tokens))
    who = info.nick or info.seller_id or "the seller"
    seller = f" (seller {info.seller_id})" if info.seller_id and info.nick else ""
    until = f"; token valid until {_when(info.expires_at)} UTC" if info.expires_at else ""
    scopes = f"; {len(info.scopes)} scopes" if info.scopes else ""
    print(f"signed in to {args.name} as {_printable(who)}{seller}{until}{scopes}")
    return EXIT_OK


def _read_tokens() -> tuple[str, str]:
    if sys.stdin is None:
        return "", ""
    if sys.stdin.isatty():
        access = getpass.getpass("access token: ").strip()
        refresh = getpass.getpass("refresh token (Enter for none): ").strip()
        return access, refresh
    lines = sys.stdin.read().splitlines()
    access = lines[0].strip() if lines else ""
    refresh = lines[1].strip() if len(lines) > 1 else ""
    return access, refresh


def interactive_login(ctx: Context, args: argparse.Namespace) -> int:
    """`shelf login NAME`: the authorize URL and its QR code on stderr, then the code, the
    redirect URL or (Temu) the token from stdin, a terminal or a pipe alike. With a redirect
    URI on this machine, the browser's redirect is caught too (auth/loopback.py).

    The keyring is checked first: with none usable, exit 3 and nothing is written (shelf's
    own log excepted). A wrong or missing `state` is exit 2 with nothing sent."""
    import asyncio
    import time

    from shelf_tui.auth import TokenStore
    from shelf_tui.auth import flow as signin

    tokens = TokenStore()  # refuse an unusable keyring before anything is written
    store = ctx.store()
    shop = store.shops.get(args.name)
    flow = signin.start(shop)
    _show_flow(flow)
    listener = _listen(flow)
    try:
        text = _read_answer(flow, listener)
    finally:
        if listener is not None:
            listener.stop()
    info = asyncio.run(signin.complete(store, flow, text, tokens=tokens))
    refreshable = bool(tokens.get(shop.name, "refresh_token")) if shop.platform.is_top else None
    summary = signin.summary(store.shops.get(shop.name), info, time.time(), refreshable=refreshable)
    for line in summary:
        print(line)
    return EXIT_OK


def _show_flow(flow: Any) -> None:
    """Steps, the URL on a line of its own (copyable), and the QR code, on stderr."""
    import os

    from shelf_tui.auth import qr

    err = sys.stderr
    steps = flow.steps()
    print(f"{flow.title}. {steps[0]}", file=err)
    print(f"\n{flow.url}\n", file=err)  # alone on its line: copyable as it is
    colour = err.isatty() and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"
    if colour:
        print(qr.ansi(qr.lines(flow.url, ink="dark")), file=err)
    else:
        print("\n".join(qr.lines(flow.url, ink="light")), file=err)
    print(f"\n{steps[1]}", file=err)
    err.flush()


def _listen(flow: Any) -> Any:
    """A loopback listener when the redirect URI is on this machine (None otherwise)."""
    from shelf_tui.auth.loopback import RedirectListener, loopback_target

    if sys.platform == "win32" or loopback_target(flow.redirect_uri) is None:
        return None
    listener = RedirectListener(flow.redirect_uri, flow.state)
    if not listener.start():
        return None
    print(
        f"(listening on {listener.host}:{listener.port}: approving in a browser on this "
        "machine finishes by itself)",
        file=sys.stderr,
    )
    return listener


#: How long `shelf login` waits for an answer: codes live 10 minutes (platforms.md §3.4).
ANSWER_WAIT = 600.0


def _read_answer(flow: Any, listener: Any) -> str:
    """The first non-empty line of stdin, or the redirect the listener caught first."""
    import os
    import selectors
    import time

    stdin = sys.stdin
    interactive = stdin is not None and stdin.isatty()
    prompt = f"{flow.prompt}: "
    if interactive and flow.wants_token and listener is None:
        return getpass.getpass(prompt)  # an access token lives for months: no echo
    if interactive:
        print(prompt, end="", file=sys.stderr, flush=True)
    if listener is None:
        return _first_line(stdin)
    # select() (not epoll) also takes a regular file on stdin; raw reads keep the lines we
    # have not used out of Python's buffer, where select could not see them.
    sel = selectors.SelectSelector()
    sel.register(listener.wakeup_fd, selectors.EVENT_READ, "listener")
    fd = stdin.fileno() if stdin is not None else -1
    if fd >= 0:
        sel.register(fd, selectors.EVENT_READ, "stdin")
    pending = b""
    deadline = time.monotonic() + ANSWER_WAIT
    try:
        while (left := deadline - time.monotonic()) > 0:
            for key, _ in sel.select(left):
                if key.data == "listener":
                    print("\n(got the redirect from the browser)", file=sys.stderr)
                    return str(listener.url)
                chunk = os.read(fd, 65536)
                pending += chunk
                lines = pending.split(b"\n")
                pending = lines.pop()
                if not chunk:  # end of input: the last line, else only the browser is left
                    lines.append(pending)
                    pending = b""
                    sel.unregister(fd)
                for line in lines:
                    if line.strip():
                        return line.decode("utf-8", "replace")
    finally:
        sel.close()
    raise UsageError(
        f"no answer within {int(ANSWER_WAIT // 60)} minutes (codes expire): "
        f"run `shelf login {flow.shop.name}` again"
    )


def _first_line(stdin: Any) -> str:
    if stdin is None:
        return ""
    for line in stdin:
        if line.strip():
            return str(line)
    return ""


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat().replace("+00:00", "Z")


def _printable(text: str) -> str:
    """Seller names are data: no control characters reach the terminal."""
    return "".join(ch if ch.isprintable() else "?" for ch in text)
