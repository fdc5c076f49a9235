"""Helpers for the sign-in tests: a QR decoder for terminal text, pilot helpers, the sandbox's
answer to an authorize URL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
import numpy as np
import zxingcpp
from textual.pilot import Pilot
from textual.strip import Strip
from textual.widgets import Input

#: The instant of the sandbox's frozen clock and of the console's clock in these tests.
FIXED_NOW = 1_790_000_000.0
FIXED_DT = datetime.fromtimestamp(FIXED_NOW, UTC)
#: Not on this machine: no test starts a loopback listener unless it means to.
REDIRECT = "https://shelf.example/callback"

_GLYPHS = {"█": (1, 1), "▀": (1, 0), "▄": (0, 1), " ": (0, 0)}


def fixed_clock() -> datetime:
    return FIXED_DT


def modules(lines: list[str], *, ink: str = "dark") -> np.ndarray:
    """Half-block text back to a module matrix (1 = dark)."""
    rows: list[list[int]] = []
    for line in lines:
        top, bottom = [], []
        for ch in line:
            t, b = _GLYPHS[ch]
            if ink == "light":
                t, b = 1 - t, 1 - b
            top.append(t)
            bottom.append(b)
        rows += [top, bottom]
    return np.array(rows, dtype=np.uint8)


def decode(lines: list[str], *, ink: str = "dark", scale: int = 6, surround: int = 8) -> list[str]:
    """What a phone-sized reader makes of the drawing: each module `scale` pixels, the code
    framed by the terminal's usual DARK background (so only the drawn quiet zone counts), no
    inverted-image second try (a phone camera app may not make one)."""
    pixels = np.where(modules(lines, ink=ink) == 1, 0, 255).astype(np.uint8)
    framed = np.pad(pixels, surround, constant_values=0)
    image = np.kron(framed, np.ones((scale, scale), dtype=np.uint8))
    found = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode, try_invert=False)
    return [r.text for r in found]


def region_lines(app: Any, widget: Any) -> tuple[list[str], list[Strip]]:
    """The text (and strips) the terminal shows over a widget's region."""
    strips = app.screen._compositor.render_strips()
    region = widget.region.intersection(app.screen.region)  # what is on screen
    cropped = [strips[y].crop(region.x, region.right) for y in range(region.y, region.bottom)]
    return [s.text for s in cropped], cropped


def screen_text(app: Any) -> str:
    return "\n".join(strip.text.rstrip() for strip in app.screen._compositor.render_strips())


async def settle(pilot: Pilot[Any]) -> None:
    """Until no worker runs (workers that start workers included) and the screen is drawn."""
    app = pilot.app
    for _ in range(50):
        await app.workers.wait_for_complete()
        await pilot.pause()
        if not any(w.is_running for w in app.workers):
            await pilot.pause()
            if not any(w.is_running for w in app.workers):
                return
    raise AssertionError("workers never settled")


async def type_into(pilot: Pilot[Any], selector: str, text: str) -> None:
    """Focus an input by keyboard-equivalent means and type `text` into it, key by key."""
    widget = pilot.app.screen.query_one(selector, Input)
    widget.focus()
    await pilot.pause()
    widget.value = ""
    await pilot.press(*text)


async def approve(url: str) -> str:
    """What the browser is sent to after the sandbox approves `url` (its Location)."""
    async with httpx.AsyncClient(follow_redirects=False, timeout=10) as client:
        answer = await client.get(url)
    assert answer.status_code == 302, answer.text
    return answer.headers["location"]


def with_param(url: str, **changes: str | None) -> str:
    """`url` with query parameters changed (None removes one)."""
    parts = urlsplit(url)
    params = dict(parse_qsl(parts.query))
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = value
    return urlunsplit(parts._replace(query=urlencode(params)))


async def pick(pilot: Pilot[Any], selector: str, steps: int) -> None:
    """Choose in a Select by keyboard: open it, move `steps` down, enter (waiting for the
    overlay to open first, so a busy machine cannot reorder the keys)."""
    from textual.widgets import Select

    select = pilot.app.screen.query_one(selector, Select)
    select.focus()
    await pilot.pause()
    await pilot.press("enter")
    for _ in range(100):
        if select.expanded:
            break
        await pilot.pause()
    assert select.expanded
    await pilot.press(*(["down"] * steps), "enter")
    for _ in range(100):
        if not select.expanded:
            break
        await pilot.pause()
    await settle(pilot)
