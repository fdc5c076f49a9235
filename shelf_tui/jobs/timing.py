"""Time as the engine sees it, injectable so tests never sleep.

`clock` is monotonic (waits, backoff, bans), `wall` is epoch seconds (journal and event times),
`sleep` waits. A test's fake moves all three together, and can move a sandbox's clock with
them, so "the engine honoured a 5 s ban" is checked without spending 5 s.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Timer:
    clock: Callable[[], float] = time.monotonic
    wall: Callable[[], float] = time.time
    sleep: Callable[[float], Awaitable[None]] = field(default=asyncio.sleep)


REAL = Timer()
