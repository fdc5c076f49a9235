"""The `shelf` command: parses arguments, then calls the core. No logic of its own.

A package rather than design.md's single cli.py: each room's commands live in their own module
(`shelf_tui.cli.<room>`, listed in COMMAND_MODULES), so the command tree grows without one
file of a thousand lines. Heavy modules (Textual, httpx, the store) are imported inside the
handlers, so `shelf --version` and `shelf --help` answer at once. Every failure is one line on
stderr with the exit codes of design.md; a traceback only ever goes to the log file.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NoReturn

from shelf_tui import __version__
from shelf_tui.errors import EXIT_FAILED, EXIT_OK, ReadOnlyError, ShelfError, UsageError

if TYPE_CHECKING:
    from shelf_tui.config import Config
    from shelf_tui.paths import Paths
    from shelf_tui.store import Store

Handler = Callable[["Context", argparse.Namespace], int]


@dataclass
class Context:
    """What every command needs: where the files are, the config, and the store (opened on
    first use, so commands that need no database never create one)."""

    paths: Paths
    config: Config
    read_only: bool
    _store: Store | None = field(default=None, repr=False)

    def ensure_home(self) -> None:
        """Create the home's directories and, the first time, a config.toml that explains
        every option in a comment (so a seller on a remote box finds what to edit)."""
        from shelf_tui import config as config_mod

        self.paths.ensure()
        config_mod.write_default(self.paths.config_file, self.config)

    def store(self) -> Store:
        if self._store is None:
            from shelf_tui.store import Store

            self.ensure_home()
            self._store = Store.open(self.paths.db_file)
        return self._store

    def require_writable(self, what: str) -> None:
        """Refuse a state-changing command in read-only mode, before anything is sent."""
        if self.read_only:
            raise ReadOnlyError(what)

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (plus the exit code 2 of design.md)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"shelf: {message} (see `{self.prog} --help`)\n")


def _formatter(prog: str) -> argparse.HelpFormatter:
    return argparse.RawDescriptionHelpFormatter(prog, max_help_position=32)


DESCRIPTION = """\
shelf: review and bulk list (上架) / delist (下架) items on Taobao/Tmall, Mercado Libre and
Temu from one terminal. Every bulk action needs a reason, is journaled and resumable.

Try it without a seller account:  shelf demo
"""

EPILOG = """\
exit codes: 0 ok · 1 some items failed · 2 refused or bad usage (nothing sent) · 3 sign-in needed
files: `shelf locate config|data|logs` · diagnostics: `shelf doctor`
"""


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="shelf", description=DESCRIPTION, epilog=EPILOG, formatter_class=_formatter
    )
    parser.add_argument("--version", action="version", version=f"shelf {__version__}")
    parser.add_argument(
        "--home",
        metavar="DIR",
        help="keep config, data and logs under DIR (also SHELF_HOME)",
    )
    parser.add_argument(
        "--read-only",
        action="store_true",
        help="refuse every state-changing action (nothing is sent)",
    )
    parser.set_defaults(handler=cmd_console)
    sub = parser.add_subparsers(title="commands", metavar="COMMAND", parser_class=_Parser)

    def command(name: str, handler: Handler, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text, formatter_class=_formatter)
        p.set_defaults(handler=handler)
        return p

    p = command("locate", cmd_locate, "print the directory of config, data or logs")
    p.add_argument("what", choices=["config", "data", "logs"])

    p = command("doctor", cmd_doctor, "check Python, Textual, the keyring, the terminal and files")

    p = command("sandbox", cmd_sandbox, "serve the built-in marketplace sandbox on 127.0.0.1")
    p.add_argument("--port", type=int, default=0, help="port (default: any free port)")
    p.add_argument("--items", type=int, default=200, metavar="N", help="items per shop (200)")
    p.add_argument("--seed", type=int, default=0, metavar="S", help="catalog and fault seed (0)")
    p.add_argument(
        "--faults",
        metavar="SPEC",
        help="e.g. rate=20/s,429=0.02,5xx=0.01,timeout=0.005,token_ttl=300s,quota=5000/day",
    )

    for module_name in COMMAND_MODULES:
        module = importlib.import_module(module_name)
        module.register(command)
    return parser


#: Modules that add subcommands: each defines `register(command)`, where
#: `command(name, handler, help) -> ArgumentParser` adds one subcommand. They import only
#: argparse-level things at module import time (keep `shelf --version` instant).
COMMAND_MODULES: list[str] = [
    "shelf_tui.cli.shops",
    "shelf_tui.cli.catalog",
    "shelf_tui.cli.automation",
    "shelf_tui.cli.bulk",
    "shelf_tui.cli.console",
]

#: The signature of `command` handed to each module's `register`.
CommandFactory = Callable[[str, Handler, str], argparse.ArgumentParser]


# -- handlers --------------------------------------------------------------------------------


def cmd_console(ctx: Context, args: argparse.Namespace) -> int:
    from shelf_tui.ui import run_console

    ctx.ensure_home()
    return run_console(ctx.paths, ctx.config, read_only=ctx.read_only)


def cmd_locate(ctx: Context, args: argparse.Namespace) -> int:
    where = {
        "config": ctx.paths.config_dir,
        "data": ctx.paths.data_dir,
        "logs": ctx.paths.log_dir,
    }[args.what]
    print(where)
    return EXIT_OK


def cmd_doctor(ctx: Context, args: argparse.Namespace) -> int:
    from shelf_tui.doctor import diagnose

    problems = 0
    for name, value, ok in diagnose(ctx.paths):
        mark = "ok " if ok else "!! "
        problems += 0 if ok else 1
        print(f"{mark}{name:<22} {value}")
    return EXIT_OK if problems == 0 else EXIT_FAILED


def cmd_sandbox(ctx: Context, args: argparse.Namespace) -> int:
    from shelf_tui.sandbox import FaultSpecError, serve

    if args.items < 0:
        raise UsageError("--items must be 0 or more")
    try:
        serve(port=args.port, items=args.items, seed=args.seed, faults=args.faults, out=sys.stdout)
    except FaultSpecError as exc:
        raise UsageError(f"--faults: {exc}") from None
    except OSError as exc:
        raise UsageError(f"cannot listen on 127.0.0.1:{args.port}: {exc.strerror or exc}") from None
    return EXIT_OK


# -- entry point -----------------------------------------------------------------------------


def _context(args: argparse.Namespace) -> Context:
    from shelf_tui import config as config_mod
    from shelf_tui import logs
    from shelf_tui import paths as paths_mod

    paths = paths_mod.resolve(args.home)
    config = config_mod.load(paths.config_file)
    logs.setup(paths.log_dir)
    return Context(paths=paths, config=config, read_only=bool(args.read_only or config.read_only))


def _one_line(exc: BaseException) -> str:
    from shelf_tui.logs import redact_text

    text = " ".join(str(exc).split()) or type(exc).__name__
    return redact_text(text)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler = args.handler
    ctx: Context | None = None
    try:
        ctx = _context(args)
        return handler(ctx, args)
    except ShelfError as exc:
        print(f"shelf: {_one_line(exc)}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("shelf: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # `shelf items --json | head`: the reader left; not an error worth a message.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except Exception as exc:
        return _internal_error(exc, ctx)
    finally:
        if ctx is not None:
            ctx.close()


def _internal_error(exc: Exception, ctx: Context | None) -> int:
    """Known store/config/filter errors are one line with exit 2; anything else is logged with
    its traceback and reported as one line pointing at the log."""
    from shelf_tui.config import ConfigError
    from shelf_tui.store import FilterError, StoreError, UnknownShop

    if isinstance(exc, ConfigError | StoreError | FilterError | UnknownShop):
        print(f"shelf: {_one_line(exc)}", file=sys.stderr)
        return 2
    import logging

    logging.getLogger("shelf.cli").exception("unexpected error")
    where = f" (details in {ctx.paths.log_file})" if ctx is not None else ""
    print(f"shelf: internal error: {type(exc).__name__}: {_one_line(exc)}{where}", file=sys.stderr)
    return EXIT_FAILED
