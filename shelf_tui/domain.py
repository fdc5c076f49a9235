"""The normalized vocabulary of shelf: plain dataclasses and enums, no I/O.

Every room speaks these words. A marketplace connector translates its platform's raw states into
`Status` and `Reason` (design.md, "Normalized status and reason") and keeps the raw values beside
them so the detail view can show what the platform actually said.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


class Platform(enum.StrEnum):
    """The marketplaces shelf speaks to. Tmall is TOP with the `.tmall` split methods."""

    TAOBAO = "taobao"
    TMALL = "tmall"
    MERCADOLIBRE = "mercadolibre"
    TEMU = "temu"

    @property
    def label(self) -> str:
        return _PLATFORM_LABELS[self]

    @property
    def is_top(self) -> bool:
        """Taobao and Tmall share the TOP gateway, signing and item model."""
        return self in (Platform.TAOBAO, Platform.TMALL)

    @property
    def zone(self) -> str:
        """The platform's home time zone: the default zone of schedules and display of
        platform times (TOP timestamps are GMT+8; ML and Temu report UTC)."""
        return "Asia/Shanghai" if self.is_top else "UTC"


_PLATFORM_LABELS = {
    Platform.TAOBAO: "Taobao",
    Platform.TMALL: "Tmall",
    Platform.MERCADOLIBRE: "Mercado Libre",
    Platform.TEMU: "Temu",
}


class Status(enum.StrEnum):
    """Normalized item status."""

    ACTIVE = "active"
    INACTIVE = "inactive"
    REVIEW = "review"
    DRAFT = "draft"
    CLOSED = "closed"
    DELETED = "deleted"


class Reason(enum.StrEnum):
    """Why an item is not active. Active items carry `Reason.NONE` (stored as '')."""

    NONE = ""
    SELLER = "seller"
    SOLD_OUT = "sold_out"
    VIOLATION = "violation"
    PLATFORM = "platform"
    SCHEDULED = "scheduled"
    RULE = "rule"
    UNKNOWN = "unknown"


class Action(enum.StrEnum):
    """A state-changing verb. `CLOSE` exists only for Mercado Libre and is never a delist
    (platforms.md gotcha 10: closed is final)."""

    LIST = "list"
    DELIST = "delist"
    CLOSE = "close"

    @property
    def target(self) -> Status:
        """The status an item is in once the action succeeded."""
        return {
            Action.LIST: Status.ACTIVE,
            Action.DELIST: Status.INACTIVE,
            Action.CLOSE: Status.CLOSED,
        }[self]

    @property
    def inverse(self) -> Action | None:
        """The action that undoes this one; closing cannot be undone."""
        return {Action.LIST: Action.DELIST, Action.DELIST: Action.LIST}.get(self)

    @property
    def label(self) -> str:
        return {Action.LIST: "list 上架", Action.DELIST: "delist 下架", Action.CLOSE: "close"}[self]


class OutcomeKind(enum.StrEnum):
    """The final answer for one item of a job."""

    OK = "ok"
    ALREADY = "already"
    SKIPPED = "skipped"
    FAILED = "failed"


class ItemState(enum.StrEnum):
    """Where one item of a job is in the journal: queued -> sending -> final outcome."""

    QUEUED = "queued"
    SENDING = "sending"
    OK = "ok"
    ALREADY = "already"
    SKIPPED = "skipped"
    FAILED = "failed"

    @property
    def final(self) -> bool:
        return self not in (ItemState.QUEUED, ItemState.SENDING)


class JobState(enum.StrEnum):
    """Life of a bulk job. `interrupted` is a job whose process died while running; it is
    offered for resume at the next start."""

    QUEUED = "queued"
    RUNNING = "running"
    PAUSED = "paused"
    INTERRUPTED = "interrupted"
    CANCELLED = "cancelled"
    DONE = "done"

    @property
    def final(self) -> bool:
        return self in (JobState.CANCELLED, JobState.DONE)

    @property
    def resumable(self) -> bool:
        return self in (JobState.PAUSED, JobState.INTERRUPTED, JobState.QUEUED)


def utcnow() -> datetime:
    """The current instant, timezone-aware. Everything stored is UTC."""
    return datetime.now(UTC)


def to_epoch(when: datetime | None) -> int | None:
    """Seconds since the epoch for a timezone-aware datetime (the store's time unit)."""
    if when is None:
        return None
    if when.tzinfo is None:
        raise ValueError("naive datetime: every time in shelf carries a zone")
    return int(when.timestamp())


def from_epoch(seconds: int | float | None) -> datetime | None:
    if seconds is None:
        return None
    return datetime.fromtimestamp(seconds, UTC)


@dataclass(frozen=True, slots=True)
class Sku:
    """One stock-keeping unit of an item (a colour/size combination)."""

    sku_id: str
    properties: str = ""
    stock: int = 0
    price: float | None = None
    outer_id: str = ""


@dataclass(frozen=True, slots=True)
class Item:
    """One listing as shelf knows it, normalized.

    `raw_status`/`raw_sub_status` keep the platform's own words (TOP approve_status + banner,
    ML status + sub_status, Temu goodsStatus + goodsSubStatus). Times are UTC.
    """

    shop: str
    item_id: str
    title: str = ""
    status: Status = Status.ACTIVE
    reason: Reason = Reason.NONE
    stock: int = 0
    price: float = 0.0
    currency: str = ""
    outer_id: str = ""
    raw_status: str = ""
    raw_sub_status: str = ""
    skus: tuple[Sku, ...] = ()
    locked_until: datetime | None = None
    lock_message: str = ""
    deadline: datetime | None = None
    modified: datetime | None = None
    listed_at: datetime | None = None
    delisted_at: datetime | None = None
    synced_at: datetime | None = None
    url: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str]:
        return (self.shop, self.item_id)

    @property
    def sku_count(self) -> int:
        return len(self.skus)


@dataclass(frozen=True, slots=True)
class Shop:
    """A seller account on one platform. Holds no secrets: app secrets and tokens live in the
    OS keyring only (design.md, "Store")."""

    name: str
    platform: Platform
    site: str = ""
    region: str = ""
    gateway: str = ""
    oauth: str = ""
    redirect_uri: str = ""
    app_key: str = ""
    sign_method: str = "md5"
    seller_id: str = ""
    seller_nick: str = ""
    scopes: str = ""
    token_expires_at: datetime | None = None
    refresh_expires_at: datetime | None = None
    rate: float | None = None
    accent: str = ""
    last_sync_at: datetime | None = None
    created_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    """The platform's answer for one item: never one bool for a batch."""

    kind: OutcomeKind
    message: str = ""
    code: str = ""
    request_id: str = ""
    item: Item | None = None

    @classmethod
    def ok(cls, item: Item | None = None, request_id: str = "") -> Outcome:
        return cls(OutcomeKind.OK, item=item, request_id=request_id)

    @classmethod
    def already(cls, message: str = "already in that state", item: Item | None = None) -> Outcome:
        return cls(OutcomeKind.ALREADY, message=message, item=item)

    @classmethod
    def skipped(cls, reason: str) -> Outcome:
        return cls(OutcomeKind.SKIPPED, message=reason)

    @classmethod
    def failed(cls, code: str, message: str, request_id: str = "") -> Outcome:
        return cls(OutcomeKind.FAILED, message=message, code=code, request_id=request_id)


@dataclass(frozen=True, slots=True)
class BulkRequest:
    """What a seller (or a rule) asks for: one action on a set of items of ONE shop, with a
    reason. A multi-shop selection becomes one BulkRequest per shop, so no item is ever sent
    with another shop's token (seed 003's multi-account pitfall)."""

    shop: str
    action: Action
    item_ids: tuple[str, ...]
    reason: str
    actor: str
    source: str = "user"

    def __post_init__(self) -> None:
        if not self.reason.strip():
            raise ValueError("a reason is required for every bulk action")
        if not self.item_ids:
            raise ValueError("a bulk action needs at least one item")
        if len(set(self.item_ids)) != len(self.item_ids):
            raise ValueError("duplicate item ids in one bulk action")
