"""The per-shop token bucket: spacing at the rate, bursts, penalties for the whole bucket."""

from __future__ import annotations

import asyncio
import itertools

from connkit import FakeTime

from shelf_tui.marketplaces.throttle import Throttle, forget, shared


def bucket(rate: float | None, burst: float = 1.0) -> tuple[Throttle, FakeTime]:
    fake = FakeTime()
    return Throttle(rate, burst=burst, clock=fake.clock, sleep=fake.sleep), fake


async def stamps(throttle: Throttle, fake: FakeTime, n: int) -> list[float]:
    out: list[float] = []

    async def one() -> None:
        await throttle.acquire()
        out.append(fake.now)

    await asyncio.gather(*(one() for _ in range(n)))
    return sorted(out)


async def test_requests_are_spaced_at_the_rate() -> None:
    throttle, fake = bucket(4.0)
    got = await stamps(throttle, fake, 9)
    start = got[0]
    assert [round(t - start, 6) for t in got] == [k * 0.25 for k in range(9)]


async def test_a_burst_goes_at_once_then_the_rate_applies() -> None:
    throttle, fake = bucket(2.0, burst=3)
    got = await stamps(throttle, fake, 5)
    start = got[0]
    assert [round(t - start, 6) for t in got] == [0, 0, 0, 0.5, 1.0]


async def test_unlimited_never_waits() -> None:
    throttle, fake = bucket(None)
    await stamps(throttle, fake, 50)
    assert fake.slept == []


async def test_a_penalty_holds_every_caller_including_waiters() -> None:
    throttle, fake = bucket(10.0)
    times: list[float] = []

    async def caller() -> None:
        await throttle.acquire()
        times.append(fake.now)

    first = asyncio.ensure_future(caller())
    await first
    waiters = [asyncio.ensure_future(caller()) for _ in range(3)]
    await asyncio.sleep(0)  # the waiters have booked their slots
    throttle.penalize(5.0)  # a server said: wait 5 s
    await asyncio.gather(*waiters)
    start = times[0]
    later = sorted(t - start for t in times[1:])
    assert later[0] >= 5.0  # nobody went during the ban
    assert [round(b - a, 6) for a, b in itertools.pairwise(later)] == [0.1, 0.1]


async def test_a_penalty_also_holds_an_unlimited_bucket() -> None:
    throttle, fake = bucket(None)
    throttle.penalize(3.0)
    await throttle.acquire()
    assert fake.slept and sum(fake.slept) >= 3.0


async def test_a_shorter_penalty_does_not_shorten_a_longer_one() -> None:
    throttle, fake = bucket(None)
    throttle.penalize(10.0)
    throttle.penalize(2.0)
    assert throttle.blocked_until == fake.now + 10.0


def test_shared_buckets_are_per_shop_and_follow_the_configured_rate() -> None:
    forget("shop-a")
    forget("shop-b")
    a = shared("shop-a", 5.0)
    assert shared("shop-a", 5.0) is a
    assert shared("shop-b", 5.0) is not a
    assert shared("shop-a", 2.0) is a and a.rate == 2.0
    forget("shop-a")
    assert shared("shop-a", 2.0) is not a
