"""The built-in marketplace: TOP, Mercado Libre and Temu wire protocols on 127.0.0.1.

It is the other end of the wire, so it imports nothing from the rest of shelf_tui (an
import-linter contract enforces it) and only the standard library. Start here:

    with Sandbox(items=200, seed=1) as sb:
        sb.info            # the JSON line of `shelf sandbox` (URLs, shops, credentials)
        sb.set_stock(...)  # hooks: the platform acting behind shelf's back

`serve()` is the blocking entry point the `shelf sandbox` command calls.
"""

from shelf_tui.sandbox.catalog import DEFAULT_SHOPS, STATES, Rule, ShopSpec, Violation
from shelf_tui.sandbox.clock import Clock
from shelf_tui.sandbox.faults import FaultSpec, FaultSpecError
from shelf_tui.sandbox.server import DEFAULT_ITEMS, Sandbox, serve
from shelf_tui.sandbox.state import Limits, LogEntry

__all__ = [
    "DEFAULT_ITEMS",
    "DEFAULT_SHOPS",
    "STATES",
    "Clock",
    "FaultSpec",
    "FaultSpecError",
    "Limits",
    "LogEntry",
    "Rule",
    "Sandbox",
    "ShopSpec",
    "Violation",
    "serve",
]
