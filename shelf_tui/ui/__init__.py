"""The console: Textual only. Nothing outside this package imports textual."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from shelf_tui.config import Config
    from shelf_tui.paths import Paths


def run_console(paths: Paths, config: Config, *, read_only: bool = False) -> int:
    """Open the console on this home's shops. Returns the process exit code."""
    from shelf_tui.errors import UsageError

    raise UsageError("the console is not built yet: try `shelf doctor`")
