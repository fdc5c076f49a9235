"""Fault injection: a spec string, token buckets, a daily quota and seeded dice.

Spec (comma-separated `key=value`, all optional)::

    rate=20/s          per app key, every method       (Temu's 20 QPS per AppKey, §3.7;
                                                        ML's per-application limit, §2.6)
    method_rate=5/s    per app key AND method/route    (TOP's per-app per-API cap, §1.7;
                                                        ML's per-endpoint limit, §2.6)
    api_rate=100/s     per method across every app key (TOP limited-by-api-access-count)
    quota=5000/day     per app key per GMT+8 day       (TOP daily appkey quota, §1.8)
    429=0.02           probability of a random rate-limit answer
    5xx=0.01           probability of a backend failure (TOP 15 isp.* / HTTP 502-503,
                       ML 500/503, Temu 4000000 / 150010002 / 150010005)
    timeout=0.005      probability that the response is never sent
    timeout_hold=2s    how long a timed-out request holds its connection before closing it
    timeout_apply=0.5  probability that a timed-out *state-changing* call was applied anyway
    token_ttl=300s     cap on every token's lifetime (pre-issued ones included)

Rates take `/s`, `/min`, `/h`; quotas `/day`; durations `ms`, `s`, `m`, `h`, `d` (bare
numbers are seconds); probabilities are fractions or percentages (`2%`).

Every random decision is a hash of (seed, decision key, n-th call with that key), where the
key names the platform, app, method and item. Concurrency therefore cannot reorder outcomes:
"the 2nd delisting of item X times out after being applied" holds on every run with the same
seed, which is what the job engine's read-back-before-resend tests need.
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass, fields, replace
from enum import Enum
from typing import Any

from shelf_tui.sandbox.clock import DAY, GMT8

_RATE_UNITS = {
    "s": 1.0,
    "sec": 1.0,
    "min": 60.0,
    "m": 60.0,
    "h": 3600.0,
    "day": 86400.0,
    "d": 86400.0,
}
_DURATION_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0, "d": 86400.0}


class FaultSpecError(ValueError):
    """The fault spec string cannot be understood; the message names the offending term."""


def _parse_rate(key: str, text: str) -> float:
    m = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*(?:/\s*([a-z]+))?\s*", text)
    if not m or (m.group(2) and m.group(2) not in _RATE_UNITS):
        raise FaultSpecError(f"{key}={text}: expected a rate such as 20/s or 600/min")
    value = float(m.group(1)) / _RATE_UNITS[m.group(2) or "s"]
    if value <= 0:
        raise FaultSpecError(f"{key}={text}: a rate must be positive")
    return value


def _parse_quota(key: str, text: str) -> int:
    m = re.fullmatch(r"\s*([0-9]+)\s*(?:/\s*(day|d))?\s*", text)
    if not m:
        raise FaultSpecError(f"{key}={text}: expected a daily quota such as 5000/day")
    return int(m.group(1))


def _parse_duration(key: str, text: str) -> float:
    m = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*([a-z]*)\s*", text)
    if not m or (m.group(2) and m.group(2) not in _DURATION_UNITS):
        raise FaultSpecError(f"{key}={text}: expected a duration such as 300s, 5m or 500ms")
    return float(m.group(1)) * _DURATION_UNITS[m.group(2) or "s"]


def _parse_probability(key: str, text: str) -> float:
    t = text.strip()
    try:
        value = float(t[:-1]) / 100 if t.endswith("%") else float(t)
    except ValueError:
        raise FaultSpecError(f"{key}={text}: expected a probability such as 0.02 or 2%") from None
    if not 0.0 <= value <= 1.0:
        raise FaultSpecError(f"{key}={text}: a probability lies between 0 and 1")
    return value


@dataclass(frozen=True, slots=True)
class FaultSpec:
    """Parsed fault settings; the default instance injects nothing."""

    rate: float | None = None
    method_rate: float | None = None
    api_rate: float | None = None
    quota: int | None = None
    p429: float = 0.0
    p5xx: float = 0.0
    ptimeout: float = 0.0
    timeout_hold: float = 30.0
    timeout_apply: float = 0.5
    token_ttl: float | None = None

    @classmethod
    def parse(cls, spec: str | None) -> FaultSpec:
        """Parse `rate=20/s,429=0.02,...`; an empty or None spec means no faults."""
        if spec is None or not spec.strip():
            return cls()
        values: dict[str, Any] = {}
        for term in spec.split(","):
            if not term.strip():
                continue
            key, sep, raw = term.partition("=")
            key = key.strip()
            if not sep:
                raise FaultSpecError(f"{term.strip()!r}: expected key=value")
            if key in ("rate", "method_rate", "api_rate"):
                values[key] = _parse_rate(key, raw)
            elif key == "quota":
                values["quota"] = _parse_quota(key, raw)
            elif key == "429":
                values["p429"] = _parse_probability(key, raw)
            elif key == "5xx":
                values["p5xx"] = _parse_probability(key, raw)
            elif key == "timeout":
                values["ptimeout"] = _parse_probability(key, raw)
            elif key == "timeout_apply":
                values["timeout_apply"] = _parse_probability(key, raw)
            elif key in ("timeout_hold", "token_ttl"):
                values[key] = _parse_duration(key, raw)
            else:
                known = "rate, method_rate, api_rate, quota, 429, 5xx, timeout, timeout_hold, "
                raise FaultSpecError(
                    f"unknown fault {key!r}; known: {known}timeout_apply, token_ttl"
                )
        spec_ = replace(cls(), **values)
        if spec_.p429 + spec_.p5xx + spec_.ptimeout > 1.0:
            raise FaultSpecError("429 + 5xx + timeout probabilities add up to more than 1")
        return spec_

    @property
    def random(self) -> bool:
        """True when any probabilistic fault is on (the dice are only rolled then)."""
        return self.p429 > 0 or self.p5xx > 0 or self.ptimeout > 0

    @property
    def limited(self) -> bool:
        """True when a rate or quota limit is on."""
        return (
            self.rate is not None
            or self.method_rate is not None
            or self.api_rate is not None
            or self.quota is not None
        )

    def to_spec(self) -> str:
        """The canonical spec string (round-trips through `parse`)."""
        default = FaultSpec()
        parts: list[str] = []
        names = {"p429": "429", "p5xx": "5xx", "ptimeout": "timeout"}
        for f in fields(self):
            value = getattr(self, f.name)
            if value == getattr(default, f.name) or value is None:
                continue
            name = names.get(f.name, f.name)
            if f.name in ("rate", "method_rate", "api_rate"):
                parts.append(f"{name}={value:g}/s")
            elif f.name == "quota":
                parts.append(f"{name}={value}/day")
            elif f.name in ("timeout_hold", "token_ttl"):
                parts.append(f"{name}={value:g}s")
            else:
                parts.append(f"{name}={value:g}")
        return ",".join(parts)


class Limiter:
    """Token buckets with a one-second burst, refilled by the sandbox clock.

    Keys are tuples such as ("app", app_key) or ("method", app_key, method); with a frozen
    clock a bucket refills only when the test advances time, so "the 3rd call in the same
    second is limited for 1 more second" is exact.
    """

    def __init__(self) -> None:
        self._buckets: dict[tuple[str, ...], list[float]] = {}

    def take(self, key: tuple[str, ...], rate: float, now: float) -> float:
        """Spend one token; return 0 when allowed, else the seconds until one is available."""
        capacity = max(1.0, rate)
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = [capacity, now]
        tokens = min(capacity, bucket[0] + (now - bucket[1]) * rate)
        bucket[1] = now
        if tokens >= 1.0:
            bucket[0] = tokens - 1.0
            return 0.0
        bucket[0] = tokens
        return (1.0 - tokens) / rate

    def reset(self) -> None:
        """Forget every bucket (used when the fault spec changes)."""
        self._buckets.clear()


class Quota:
    """Calls per app key per GMT+8 day (TOP's daily appkey quota, platforms.md §1.8)."""

    def __init__(self) -> None:
        self._used: dict[tuple[str, int], int] = {}

    def spend(self, app_key: str, limit: int, now: float) -> float:
        """Count one call; 0 when within quota, else the seconds until the daily reset."""
        day = int((now + GMT8) // DAY)
        used = self._used.get((app_key, day), 0)
        if used >= limit:
            return (day + 1) * DAY - GMT8 - now
        self._used[(app_key, day)] = used + 1
        return 0.0

    def used(self, app_key: str, now: float) -> int:
        """Calls counted today for an app key."""
        return self._used.get((app_key, int((now + GMT8) // DAY)), 0)

    def reset(self) -> None:
        """Forget all counts."""
        self._used.clear()


class Fault(Enum):
    """What the dice decided for one request."""

    NONE = "none"
    RATE = "429"
    SERVER = "5xx"
    TIMEOUT = "timeout"


@dataclass(frozen=True, slots=True)
class Roll:
    """One request's fault decision; `variant` picks among a platform's answer forms."""

    fault: Fault
    applied: bool = False
    variant: int = 0
    seconds: int = 1


class Dice:
    """Seeded, order-independent random decisions (see the module docstring)."""

    def __init__(self, seed: int) -> None:
        self._seed = seed
        self._counts: dict[str, int] = {}

    def _uniforms(self, key: str) -> tuple[float, float, int]:
        n = self._counts.get(key, 0)
        self._counts[key] = n + 1
        digest = hashlib.blake2b(f"{self._seed}|{key}|{n}".encode(), digest_size=20).digest()
        u1 = int.from_bytes(digest[0:8], "big") / 2.0**64
        u2 = int.from_bytes(digest[8:16], "big") / 2.0**64
        return u1, u2, int.from_bytes(digest[16:20], "big")

    def roll(self, spec: FaultSpec, key: str) -> Roll:
        """Decide the fate of the next request with this key under `spec`."""
        if not spec.random:
            return Roll(Fault.NONE)
        u1, u2, bits = self._uniforms(key)
        if u1 < spec.p429:
            return Roll(Fault.RATE, variant=bits % 4, seconds=1 + bits % 5)
        if u1 < spec.p429 + spec.p5xx:
            return Roll(Fault.SERVER, variant=bits % 4)
        if u1 < spec.p429 + spec.p5xx + spec.ptimeout:
            return Roll(Fault.TIMEOUT, applied=u2 < spec.timeout_apply, variant=bits % 4)
        return Roll(Fault.NONE)

    def reset(self) -> None:
        """Restart every key's call count (the same spec then replays the same decisions)."""
        self._counts.clear()


def ban_seconds(wait: float) -> int:
    """Whole seconds for TOP's `This ban will last for N more seconds` (never 0)."""
    return max(1, math.ceil(wait - 1e-9))
