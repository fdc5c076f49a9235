"""The sandbox's one clock, and the time formats the three platforms put on the wire.

Every time-dependent rule in the sandbox (token expiry, OAuth code lifetime, timestamp skew,
scroll expiry, rate-limit refill, daily quota, promotion-lock windows, `modified` bumps) reads
this clock and nothing else, so a test can freeze it and `advance()` it instead of sleeping.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

#: TOP speaks GMT+8 (Asia/Shanghai has had no DST since 1991), platforms.md §1.2 and gotcha 6.
GMT8 = 8 * 3600
DAY = 86400


class Clock:
    """Wall time plus an offset, or a frozen instant that moves only when told to.

    `Clock()` follows the real clock (the offset lets a test or a demo jump ahead);
    `Clock(start=t)` is frozen at `t`, which keeps tests deterministic and sleep-free.
    """

    def __init__(self, start: float | None = None) -> None:
        self._frozen = start is not None
        self._base = float(start) if start is not None else 0.0
        self._offset = 0.0
        self._lock = threading.Lock()

    @property
    def frozen(self) -> bool:
        """True when the clock only moves through `advance()` / `set()`."""
        return self._frozen

    def now(self) -> float:
        """Epoch seconds, as the platforms' servers would see them."""
        if self._frozen:
            return self._base + self._offset
        return time.time() + self._offset

    def now_ms(self) -> int:
        """Epoch milliseconds (ML `last_updated`, Temu change times)."""
        return int(self.now() * 1000)

    def advance(self, seconds: float) -> None:
        """Move time forward (or back, with a negative value) without sleeping."""
        with self._lock:
            self._offset += seconds

    def set(self, when: float) -> None:
        """Jump to an absolute epoch time."""
        with self._lock:
            if self._frozen:
                self._base, self._offset = float(when), 0.0
            else:
                self._offset = float(when) - time.time()


def day_start_gmt8(t: float) -> int:
    """Epoch seconds of the GMT+8 midnight that starts the day containing `t`.

    The catalog is anchored here so that the same seed gives the same catalog all day long,
    and TOP's daily quota resets here (platforms.md §1.8, a per-day appkey quota).
    """
    return int((t + GMT8) // DAY) * DAY - GMT8


def fmt_gmt8(t: float) -> str:
    """`yyyy-MM-dd HH:mm:ss` in GMT+8: TOP's timestamp, modified, list_time (§1.2, §1.5)."""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(int(t) + GMT8))


def parse_gmt8(text: str) -> float | None:
    """Parse TOP's `yyyy-MM-dd HH:mm:ss` (GMT+8); None when it is not exactly that shape."""
    if len(text) != 19 or text[4] != "-" or text[7] != "-" or text[10] != " ":
        return None
    if text[13] != ":" or text[16] != ":":
        return None
    try:
        dt = datetime(
            int(text[0:4]),
            int(text[5:7]),
            int(text[8:10]),
            int(text[11:13]),
            int(text[14:16]),
            int(text[17:19]),
            tzinfo=UTC,
        )
    except ValueError:
        return None
    return dt.timestamp() - GMT8


def fmt_iso_ms(ms: int) -> str:
    """ISO-8601 UTC with milliseconds, the shape of ML's `last_updated` / `date_created`."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)) + f".{ms % 1000:03d}Z"
