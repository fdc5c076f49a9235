"""What the terminal can show, as Textual (through Rich) will see it."""

from __future__ import annotations

import os


def color_system() -> str:
    """The colour system Textual will use here: truecolor, 256, standard, windows, or none."""
    from rich.console import Console

    if os.environ.get("NO_COLOR"):
        return "none (NO_COLOR is set)"
    console = Console(force_terminal=True)
    return console.color_system or "none"
