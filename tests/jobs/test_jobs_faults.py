"""The fault drill: a delist against the sandbox with rate limits, 429s, 5xx, lost answers
(some applied before they were lost), a token revoked midway (the job pauses; `shelf login
NAME --token-stdin` in a real process; resume) and a daily quota (pause until the reset).

Nothing is lost, nothing is sent twice, every wait the platform asked for is honoured, and the
only failures are real rejections, with the platform's own message.

Time: the sandbox's clock is frozen and moves only when shelf waits (the engine's timer and
the connector's throttle both sleep by advancing it), so a 5 s ban costs no real time and "did
shelf wait the whole ban" is exact.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from jobworld import db_path, keyring_for, register, shelf

from shelf_tui import auth
from shelf_tui.domain import Action, ItemState, JobState
from shelf_tui.jobs import JobEngine, Settings, Timer
from shelf_tui.marketplaces import Marketplace, Throttle
from shelf_tui.sandbox import DEFAULT_SHOPS, Clock, Rule, Sandbox
from shelf_tui.sandbox.catalog import RULE_DELIST_LOCK
from shelf_tui.sandbox.clock import day_start_gmt8
from shelf_tui.sandbox.faults import Fault, Roll
from shelf_tui.store import Store

FAULTS = "rate=10/s,429=0.03,5xx=0.04,timeout=0.03,timeout_hold=0.05s,timeout_apply=0.5"
QUOTA = 45
N = 60
#: shop -> (active state, delisted state, the state-changing op as the sandbox logs it)
SHOPS = {
    "tb-main": ("onsale", "off_shelf", "taobao.item.update.delisting"),
    "ml-mx": ("active", "paused", "PUT /items/{id}"),
    "temu-us": ("2001", "3002", "bg.local.goods.sale.status.set"),
}
#: What the platform answers for the items changed behind shelf's back (the real rejections).
REJECTION = {
    "tb-main": "活动期间禁止下架",
    "ml-mx": "closed",
    "temu-us": "cannot be delisted",
}


class SandboxTime:
    """The engine's and the throttle's time: the sandbox clock, moved by their waits."""

    def __init__(self, sb: Sandbox) -> None:
        self.sb = sb
        self.sleeps: list[float] = []

    def now(self) -> float:
        return self.sb.clock.now()

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.sb.advance(seconds)
        await asyncio.sleep(0)

    @property
    def timer(self) -> Timer:
        return Timer(clock=self.now, wall=self.now, sleep=self.sleep)


class RecordingThrottle(Throttle):
    """The shop's throttle on sandbox time, recording every penalty and every slot. A wait of
    hours (a quota) never ends: the engine must pause and abandon, not sit through it."""

    def __init__(self, rate: float, t: SandboxTime) -> None:
        self.t = t
        self.bans: list[tuple[float, float]] = []
        self.slots: list[tuple[float, float]] = []
        super().__init__(rate, clock=t.now, sleep=self._sleep)

    async def _sleep(self, seconds: float) -> None:
        if seconds > 600:
            await asyncio.Event().wait()
        await self.t.sleep(seconds)

    def penalize(self, seconds: float) -> None:
        self.bans.append((self.t.now(), seconds))
        super().penalize(seconds)

    async def acquire(self) -> None:
        start = self.t.now()
        await super().acquire()
        self.slots.append((start, self.t.now()))


@pytest.fixture(params=list(SHOPS))
def drill(
    request: pytest.FixtureRequest, cli_env: dict[str, str], shelf_home: Path
) -> Iterator[dict[str, Any]]:
    shop = request.param
    specs = [s for s in DEFAULT_SHOPS if s.key == shop]
    with Sandbox(items=150, seed=5, clock=Clock(start=time.time()), shops=specs) as sb:
        register(shelf_home, cli_env, sb, [shop], clock=sb.clock.now)
        active, _, _ = SHOPS[shop]
        items = [str(i) for i in sb.ids(shop, active)][:N]
        assert len(items) == N
        yield {"sb": sb, "shop": shop, "items": items, "env": cli_env, "home": shelf_home}


def rig(sb: Sandbox, shop: str, items: list[str]) -> dict[str, Any]:
    """Deterministic faults on top of the random ones, and the behind-the-back changes."""
    _, _, change_op = SHOPS[shop]
    victims = {items[5], items[20]}
    forced = {
        items[3]: Roll(Fault.RATE, seconds=4),
        items[4]: Roll(Fault.SERVER),
        items[7]: Roll(Fault.TIMEOUT, applied=True),
    }
    seen: dict[str, int] = {}
    state: dict[str, Any] = {"revoked": False, "changes": 0}
    world = sb.world
    roll, record = world.roll, world.record

    def rolled(platform: str, app: str, op: str, item: str | None) -> Roll:
        if op == change_op and item is not None:
            seen[item] = seen.get(item, 0) + 1
            if item in victims and seen[item] == 1:
                if shop == "tb-main":
                    now = sb.clock.now_ms()
                    sb.set_rules(
                        item,
                        [
                            Rule(
                                "618大促",
                                "活动期间禁止下架",
                                RULE_DELIST_LOCK,
                                now - 1000,
                                now + 86_400_000,
                            )
                        ],
                    )
                else:
                    sb.set_status(item, "closed" if shop == "ml-mx" else "5001")
            if item in forced and seen[item] == 1:
                return forced[item]
        return roll(platform, app, op, item)

    def recorded(*args: Any, **kw: Any) -> None:
        record(*args, **kw)
        if kw.get("changed"):
            state["changes"] += 1
            if state["changes"] == 12 and not state["revoked"]:
                state["revoked"] = True
                sb.revoke_token(shop)  # the seller revokes the app midway

    world.roll = rolled  # type: ignore[method-assign]
    world.record = recorded  # type: ignore[method-assign]
    sb.set_faults(f"{FAULTS},quota={QUOTA}/day")
    return {"victims": victims, "state": state}


async def test_faults_lose_nothing_send_nothing_twice_and_honour_every_wait(
    drill: dict[str, Any],
) -> None:
    sb: Sandbox = drill["sb"]
    shop, items, env, home = drill["shop"], drill["items"], drill["env"], drill["home"]
    rigged = rig(sb, shop, items)
    t = SandboxTime(sb)
    throttles: list[RecordingThrottle] = []
    tokens = keyring_for(env)
    store = Store.open(db_path(home))

    @contextlib.asynccontextmanager
    async def connect(name: str) -> AsyncIterator[Marketplace]:
        throttle = RecordingThrottle(100.0, t)  # faster than the sandbox's 10/s: it pushes back
        throttles.append(throttle)
        async with auth.connect(
            store, name, throttle=throttle, clock=sb.clock.now, tokens=tokens
        ) as market:
            yield market

    settings = Settings(
        concurrency=3, max_attempts=6, backoff_base=0.2, backoff_max=2.0, stop_grace=0.2
    )
    engine = JobEngine(store, settings=settings, connect=connect, actor="drill@test", timer=t.timer)
    try:
        plan = engine.plan_keys(Action.DELIST, [(shop, i) for i in items])
        [job] = engine.submit(plan, "compliance drill").jobs
        pauses: list[str] = []
        result = await engine.run(job.id)
        for _ in range(12):
            if result.job.state is JobState.DONE:
                break
            assert result.job.state is JobState.PAUSED, result.job
            if result.sign_in_needed:
                pauses.append("sign-in")
                assert f"shelf login {shop}" in result.job.pause_reason
                fresh = sb.issue_token(shop)
                sb.set_faults(None)  # the drill is the job, not the login
                lines = fresh["access_token"] + "\n" + fresh.get("refresh_token", "") + "\n"
                login = await asyncio.to_thread(
                    shelf, env, "login", shop, "--token-stdin", stdin=lines
                )
                assert login.returncode == 0, login.stderr
                sb.set_faults(f"{FAULTS},quota={QUOTA}/day")
            else:
                pauses.append("quota")
                reset = day_start_gmt8(sb.clock.now()) + 86_400
                assert result.job.resume_at is not None
                assert abs(result.job.resume_at - reset) <= 2, (result.job.resume_at, reset)
                sb.world.quota.reset()  # the next day
            result = await engine.run(job.id)
        final = result.job
        assert final.state is JobState.DONE, final
        assert "sign-in" in pauses and "quota" in pauses

        # Nothing lost: every item has its one final outcome and one outcome event.
        rows = store.jobs.items(job.id)
        assert all(r.state.final for r in rows) and final.done == N
        events = store.events.for_job(job.id)
        assert sorted(e.item_id for e in events) == sorted(items)

        # Nothing sent twice.
        counts = sb.change_counts()
        assert all(counts.get(i, 0) <= 1 for i in items), {
            i: counts[i] for i in items if counts.get(i, 0) > 1
        }

        # Failures only for the real rejections, with the platform's message.
        failed = {r.item_id: r for r in rows if r.state is ItemState.FAILED}
        assert set(failed) == rigged["victims"], {k: (v.code, v.message) for k, v in failed.items()}
        for r in failed.values():
            assert r.code and REJECTION[shop] in r.message
        skipped = [r for r in rows if r.state is ItemState.SKIPPED]
        assert all(r.message.startswith("promotion lock") for r in skipped), [
            r.message for r in skipped
        ]
        _, delisted, _ = SHOPS[shop]
        ok = [r.item_id for r in rows if r.state is ItemState.OK]
        assert len(ok) == N - len(failed) - len(skipped)
        assert all(sb.state(i) == delisted and counts.get(i) == 1 for i in ok)

        # Every wait the platform asked for was honoured: no slot of the shop's throttle
        # ended inside a ban (the quota's hours-long bans paused the job instead).
        bans = [(b, s) for th in throttles for b, s in th.bans if s <= 600]
        assert bans
        for th in throttles:
            for at, seconds in th.bans:
                if seconds <= 600:
                    assert all(end >= at + seconds - 1e-6 for _, end in th.slots if end > at)
        faults = {e.fault for e in sb.log() if e.fault}
        assert {"429", "rate", "5xx", "timeout+applied", "quota"} <= faults, faults
        applied = items[7]  # applied, answer lost: confirmed by read-back, never resent
        assert counts.get(applied) == 1 and store.jobs.item(job.id, applied).state is ItemState.OK  # type: ignore[union-attr]
    finally:
        await engine.aclose()
        store.close()


EXPIRY_N = 24
#: (shop, does the refresh token die with the access token?)
EXPIRY_CASES = {
    "temu-us": ("temu-us", True),  # Temu has no refresh token at all
    # a 商家后台 TOP app: a fixed-length token and no refresh token (gotcha 8): the pause
    "tm-flagship": ("tm-flagship", True),
    # a service-market TOP app holds a refresh token: refreshed in place like ML, unless
    # the refresh token ran out as well
    "tb-main": ("tb-main", True),
    "tb-main-refreshed": ("tb-main", False),
    "ml-mx": ("ml-mx", True),
    "ml-mx-refreshed": ("ml-mx", False),
}
#: The drill's shops plus the Tmall shop of the expiry cases (its items move like tb-main's).
EXPIRY_SHOPS = {**SHOPS, "tm-flagship": SHOPS["tb-main"]}


@pytest.fixture(params=list(EXPIRY_CASES))
def expiry(
    request: pytest.FixtureRequest, cli_env: dict[str, str], shelf_home: Path
) -> Iterator[dict[str, Any]]:
    shop, refresh_dies = EXPIRY_CASES[request.param]
    specs = [s for s in DEFAULT_SHOPS if s.key == shop]
    with Sandbox(items=80, seed=9, clock=Clock(start=time.time()), shops=specs) as sb:
        register(shelf_home, cli_env, sb, [shop], clock=sb.clock.now)
        assert bool(sb.credentials(shop).get("refresh_token")) is (shop in ("tb-main", "ml-mx"))
        active, _, _ = EXPIRY_SHOPS[shop]
        items = [str(i) for i in sb.ids(shop, active)][:EXPIRY_N]
        assert len(items) == EXPIRY_N
        if shop in ("tb-main", "tm-flagship"):
            for item_id in items:  # no promotion lock in the way
                sb.set_rules(item_id, [])
                sb.set_second_kill(item_id, None)
        sb.clear_log()
        yield {"sb": sb, "shop": shop, "items": items, "refresh_dies": refresh_dies}


async def test_a_token_that_expires_midway_pauses_then_login_and_resume_send_nothing_twice(
    expiry: dict[str, Any], cli_env: dict[str, str], shelf_home: Path
) -> None:
    """The access token *expires* (not revoked) after the 8th change. Where no refresh can
    save it (Temu and a 商家后台 TOP app have no refresh token; a TOP/ML refresh token that
    expired too) the job pauses for sign-in, `shelf login NAME --token-stdin` (a real
    process), resume: done, each item changed once. Where a TOP or ML refresh token still
    works, the connector refreshes and the job never pauses."""
    sb: Sandbox = expiry["sb"]
    shop, items, refresh_dies = expiry["shop"], expiry["items"], expiry["refresh_dies"]
    _, delisted, _ = EXPIRY_SHOPS[shop]
    world = sb.world
    record = world.record
    expired: list[int] = []

    def recorded(*args: Any, **kw: Any) -> None:
        record(*args, **kw)
        if kw.get("changed") and not expired and sum(world.changes.values()) >= 8:
            expired.append(1)
            sb.expire_token(shop)
            if refresh_dies:  # the refresh token ran out as well
                for grant in world.grants.values():
                    if grant.shop == shop:
                        grant.lifetime = 0

    world.record = recorded  # type: ignore[method-assign]
    tokens = keyring_for(cli_env)
    store = Store.open(db_path(shelf_home))

    @contextlib.asynccontextmanager
    async def connect(name: str) -> AsyncIterator[Marketplace]:
        async with auth.connect(store, name, rate=1e6, clock=sb.clock.now, tokens=tokens) as m:
            yield m

    engine = JobEngine(
        store,
        settings=Settings(concurrency=2, max_attempts=3, backoff_base=0.01, backoff_max=0.02),
        connect=connect,
        actor="expiry@test",
    )
    try:
        plan = engine.plan_keys(Action.DELIST, [(shop, i) for i in items])
        [job] = engine.submit(plan, "seasonal").jobs
        result = await engine.run(job.id)
        assert expired, "the token never expired: the drill did not run"
        if refresh_dies:
            paused = result.job
            assert paused.state is JobState.PAUSED and result.sign_in_needed, paused
            assert f"shelf login {shop}" in paused.pause_reason
            assert 8 <= paused.ok < EXPIRY_N
            fresh = sb.issue_token(shop)
            lines = fresh["access_token"] + "\n" + fresh.get("refresh_token", "") + "\n"
            login = await asyncio.to_thread(
                shelf, cli_env, "login", shop, "--token-stdin", stdin=lines
            )
            assert login.returncode == 0, login.stderr
            result = await engine.run(job.id)
        final = result.job
        assert final.state is JobState.DONE and final.ok == EXPIRY_N, final.pause_reason
        counts = sb.change_counts()
        assert {i: counts.get(i, 0) for i in items} == {i: 1 for i in items}
        assert all(sb.state(i) == delisted for i in items)
        assert sorted(e.item_id for e in store.events.for_job(job.id)) == sorted(items)
        refreshed = [e.op for e in sb.log() if e.op.endswith(" refresh_token") and e.ok]
        if not refresh_dies:  # refreshed in place: no pause, and the refresh reached the platform
            assert len(refreshed) == 1, [e.op for e in sb.log() if not e.changed]
            assert store.jobs.get(job.id).pause_reason == ""
        elif not sb.credentials(shop).get("refresh_token"):
            assert refreshed == []  # nothing to refresh with: straight to the pause
    finally:
        await engine.aclose()
        store.close()
