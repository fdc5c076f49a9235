"""The marketplace contract: one async class per platform, each declaring what it can do.

A connector never decides policy (retry, pause, journal): it translates one platform's wire
protocol into normalized Items, per-item Outcomes and the typed errors of errors.py. The job
engine, sync and the UI build on this surface only.
"""

from __future__ import annotations

import abc
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import ClassVar

from shelf_tui.domain import Action, Item, Outcome, Platform, Shop


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a platform can do, so the UI hides verbs it lacks (k9s-style)."""

    can_list: bool = True
    can_delist: bool = True
    can_relist: bool = True
    can_close: bool = False
    sku_level: bool = False
    can_refresh_token: bool = False
    max_batch: int = 1
    read_batch: int = 20
    default_rate: float = 10.0


@dataclass(frozen=True, slots=True)
class SellerInfo:
    """What introspecting a token tells: who, which scopes, until when."""

    seller_id: str
    nick: str = ""
    scopes: tuple[str, ...] = ()
    expires_at: datetime | None = None
    site: str = ""
    extra: dict[str, str] = field(default_factory=dict)


class Marketplace(abc.ABC):
    """One shop's connection to its platform."""

    platform: ClassVar[Platform]
    capabilities: ClassVar[Capabilities]

    def __init__(self, shop: Shop) -> None:
        self.shop = shop

    @abc.abstractmethod
    def iter_items(self, since: datetime | None = None) -> AsyncIterator[list[Item]]:
        """Pages of normalized items: the whole catalog, or what changed since `since`."""

    @abc.abstractmethod
    async def get_items(self, ids: Sequence[str]) -> dict[str, Item]:
        """Current state of these items (check-before-act, read-back after a crash). Ids
        that do not exist or belong to another seller are absent from the result."""

    @abc.abstractmethod
    async def preflight(self, item: Item, action: Action) -> str | None:
        """None if the action may be sent, else a skip reason a seller understands (a
        promotion lock with its end time, no stock to list, ML closed, Temu compliance)."""

    @abc.abstractmethod
    async def set_status(self, item: Item, action: Action) -> Outcome:
        """List, delist (or close, ML only) one item. "Already in that state" is
        `Outcome.already`; a business refusal is `Outcome.failed` with the platform's code
        and message. Raises AuthExpired, RateLimited, QuotaExhausted and Transient, which
        are the job engine's to handle."""

    @abc.abstractmethod
    async def whoami(self) -> SellerInfo:
        """Introspect the token (ML /users/me, Temu bg.open.accesstoken.info.get, ...)."""

    async def aclose(self) -> None:  # noqa: B027 - optional hook, most connectors override
        """Release the HTTP client."""
