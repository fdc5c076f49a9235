"""`shelf sync [NAME ...]` and `shelf items`: the headless catalog.

`sync` only reads the platforms, so it runs in read-only mode too. Progress goes to stderr
(one updating line on a terminal, a line every few seconds otherwise), one summary line per
shop to stdout. A shop that needs signing in does not stop the others; the exit code is 3 if
any needed it, else 1 if any failed, else 0.

`items` prints the stored catalog: a table, JSON Lines (`--json`) or CSV (`--csv`, UTF-8 with
a header), with the normalized vocabulary of design.md.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from typing import TYPE_CHECKING, Any

from shelf_tui.errors import EXIT_FAILED, EXIT_OK, EXIT_SIGN_IN, UsageError

if TYPE_CHECKING:
    from shelf_tui.cli import CommandFactory, Context
    from shelf_tui.sync import SyncProgress



def register(command: CommandFactory) -> None:
    p = command("sync", cmd_sync, "pull shops' catalogs into the local store")
    p.add_argument("names", nargs="*", metavar="NAME", help="shops to sync (default: all)")
    p.add_argument("--full", action="store_true", help="a full sync (marks vanished items)")

    p = command("items", cmd_items, "print the stored items (table, --json or --csv)")
    p.add_argument("--shop", metavar="N", help="only this shop")
    p.add_argument("--status", metavar="S", help="active, inactive, review, draft, closed, deleted")
    p.add_argument("--reason", metavar="R", help="seller, sold_out, violation, platform, ...")
    p.add_argument("--query", metavar="Q", help="more filter terms (the filter language)")
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="JSON Lines, one item per line")
    fmt.add_argument("--csv", action="store_true", help="CSV (UTF-8, with a header)")


# -- sync --------------------------------------------------------------------------------------


class _Printer:
    """Progress on stderr without flooding a log file: on a terminal one line that rewrites
    itself (every shop syncing at once, side by side), otherwise a line per shop every few
    seconds and at each committed batch."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.last: dict[str, float] = {}
        self.written: dict[str, int] = {}
        self.live: dict[str, str] = {}

    def __call__(self, p: SyncProgress) -> None:
        rate = p.fetched / p.elapsed if p.elapsed else 0
        if self.tty:
            self.live[p.shop] = f"{p.shop} {p.fetched:,} ({rate:,.0f}/s)"
            sys.stderr.write("\r\x1b[Ksyncing: " + " · ".join(self.live.values()))
            sys.stderr.flush()
            return
        now = time.monotonic()
        if now - self.last.get(p.shop, 0.0) >= 2.0 or p.written != self.written.get(p.shop):
            # Every 2 s, and at each committed batch (what an interrupted sync keeps).
            self.last[p.shop] = now
            self.written[p.shop] = p.written
            print(
                f"{p.shop}: {p.fetched:,} items fetched, {p.written:,} written, {rate:,.0f}/s",
                file=sys.stderr,
            )

    def finished(self, shop: str, line: str, *, error: bool = False) -> None:
        """A shop is done: clear the progress line, print its result, redraw the others."""
        self.live.pop(shop, None)
        if self.tty:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()
        print(line, file=sys.stderr if error else sys.stdout, flush=True)
        if self.tty and self.live:
            sys.stderr.write("syncing: " + " · ".join(self.live.values()))
            sys.stderr.flush()


def cmd_sync(ctx: Context, args: argparse.Namespace) -> int:
    import asyncio

    from shelf_tui.auth import TokenStore

    tokens = TokenStore()  # exit 3 with the fix before anything is written
    store = ctx.store()
    shops = store.shops.resolve(args.names)
    if not shops:
        raise UsageError("no shops yet: add one with `shelf shop add NAME --platform ...`")
    return asyncio.run(_sync_all(ctx, [s.name for s in shops], args.full, tokens))


async def _sync_all(ctx: Context, names: list[str], full: bool, tokens: Any) -> int:
    """Every shop at once: each has its own platform, throttle and token, so a slow Mercado
    Libre scan does not hold up a Taobao shop; the store serialises the writes."""
    import asyncio

    from shelf_tui.auth import connect
    from shelf_tui.errors import ShelfError
    from shelf_tui.logs import redact_text
    from shelf_tui.sync import sync_shop

    store = ctx.store()
    printer = _Printer()

    async def one(name: str) -> int:
        try:
            async with connect(store, name, rates=ctx.config.rates, tokens=tokens) as market:
                result = await sync_shop(
                    store, market, full=True if full else None, progress=printer
                )
        except ShelfError as exc:
            text = redact_text(" ".join(str(exc).split()))
            printer.finished(name, f"shelf: {name}: {text}", error=True)
            return EXIT_SIGN_IN if exc.exit_code == EXIT_SIGN_IN else EXIT_FAILED
        printer.finished(name, result.summary())
        return EXIT_OK

    codes = await asyncio.gather(*(one(name) for name in names))
    return max(codes, default=EXIT_OK)


# -- items -------------------------------------------------------------------------------------


def _filter_text(args: argparse.Namespace) -> str:
    terms = []
    for name in ("shop", "status", "reason"):
        value = getattr(args, name)
        if value:
            if any(ch.isspace() for ch in value):
                raise UsageError(f"--{name}: no spaces allowed ({value!r})")
            terms.append(f"{name}:{value}")
    if args.query:
        terms.append(args.query)
    return " ".join(terms)


def _printable(text: str) -> str:
    """Titles are data (design.md): no control or escape characters reach the terminal."""
    return "".join(ch if ch.isprintable() else "?" for ch in text)


def cmd_items(ctx: Context, args: argparse.Namespace) -> int:
    # The same columns as the console's export and `shelf jobs --csv` (one definition).
    from shelf_tui.jobs.csvio import ITEM_FIELDS, item_record
    from shelf_tui.store import Sort

    text = _filter_text(args)
    store = ctx.store()
    where = store.items.where(text, known_shops=store.shops.names())
    sort = Sort("shop", descending=False)
    out = sys.stdout
    writer = None
    if args.csv:
        writer = csv.DictWriter(out, fieldnames=ITEM_FIELDS, lineterminator="\n")
        writer.writeheader()
    table = not (args.json or args.csv)
    if table:
        print(
            f"{'SHOP':<14} {'ITEM':<16} {'STATUS':<9} {'REASON':<10} {'STOCK':>6} "
            f"{'PRICE':>10}  TITLE"
        )
    count = 0
    cursor = None
    while True:
        page = store.items.page(where=where, sort=sort, after=cursor, limit=1000)
        if not page.items:
            break
        for item in page.items:
            count += 1
            if writer is not None:
                writer.writerow(item_record(item))
            elif args.json:
                out.write(json.dumps(item_record(item), ensure_ascii=False) + "\n")
            else:
                out.write(
                    f"{item.shop[:14]:<14} {item.item_id[:16]:<16} {item.status.value:<9} "
                    f"{item.reason.value or '-':<10} {item.stock:>6} {item.price:>10.2f}  "
                    f"{_printable(item.title)[:60]}\n"
                )
        cursor = page.last
    if table:
        print(f"{count:,} items", file=sys.stderr)
    return EXIT_OK
