"""`python -m shelf_tui.sandbox`: the same as `shelf sandbox`, without the rest of shelf."""

from __future__ import annotations

import argparse
import sys

from shelf_tui.sandbox.faults import FaultSpecError
from shelf_tui.sandbox.server import DEFAULT_ITEMS, serve


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, print the JSON line, serve until interrupted; exit 2 on bad usage."""
    parser = argparse.ArgumentParser(
        prog="python -m shelf_tui.sandbox",
        description="Serve the built-in TOP / Mercado Libre / Temu sandbox on 127.0.0.1.",
    )
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free port)")
    parser.add_argument("--items", type=int, default=DEFAULT_ITEMS, help="items per shop")
    parser.add_argument("--seed", type=int, default=0, help="catalog and fault seed")
    parser.add_argument(
        "--faults", default=None, help="e.g. rate=20/s,429=0.02,5xx=0.01,timeout=0.005"
    )
    args = parser.parse_args(argv)
    if args.items < 0:
        parser.error("--items must be >= 0")
    try:
        serve(args.port, args.items, args.seed, args.faults, sys.stdout)
    except FaultSpecError as exc:
        print(f"shelf sandbox: bad --faults: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(
            f"shelf sandbox: cannot listen on 127.0.0.1:{args.port}: {exc.strerror or exc}",
            file=sys.stderr,
        )
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
