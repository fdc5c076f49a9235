"""Shops: name, platform, endpoints, app key, seller and token expiry. No secrets, ever:
app secrets and tokens live in the OS keyring only."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from typing import Any

from shelf_tui.domain import Platform, Shop, from_epoch, to_epoch
from shelf_tui.store.base import Connection

_TIME_FIELDS = ("token_expires_at", "refresh_expires_at", "last_sync_at", "created_at")
_FIELDS = [f.name for f in dataclasses.fields(Shop)]
_COLS = [*_FIELDS, "refresh_failing", "sync_cursor"]
_FORBIDDEN = {"app_secret", "access_token", "refresh_token", "secret", "token", "session"}


class ShopExists(ValueError):
    pass


class UnknownShop(KeyError):
    def __str__(self) -> str:
        return f"unknown shop {self.args[0]!r} (see `shelf shop list`)"


def _to_row(shop: Shop) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for name in _FIELDS:
        value = getattr(shop, name)
        if name in _TIME_FIELDS:
            value = to_epoch(value)
        elif name == "platform":
            value = value.value
        elif value is None and name != "rate":
            value = ""
        row[name] = value
    if row["created_at"] is None:
        row["created_at"] = int(time.time())
    return row


def _from_row(row: Any) -> Shop:
    values = {name: row[name] for name in _FIELDS}
    for name in _TIME_FIELDS:
        values[name] = from_epoch(values[name])
    values["platform"] = Platform(values["platform"])
    return Shop(**values)


class Shops:
    """The `shops` table."""

    def __init__(self, conn: Connection) -> None:
        self._c = conn

    def add(self, shop: Shop) -> Shop:
        row = _to_row(shop)
        with self._c.transaction() as raw:
            if raw.execute("SELECT 1 FROM shops WHERE name = ?", (shop.name,)).fetchone():
                raise ShopExists(f"a shop named {shop.name!r} already exists")
            raw.execute(
                f"INSERT INTO shops ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
                tuple(row.values()),
            )
        return self.get(shop.name)

    def get(self, name: str) -> Shop:
        rows = self._c.query(f"SELECT {', '.join(_COLS)} FROM shops WHERE name = ?", (name,))
        if not rows:
            raise UnknownShop(name)
        return _from_row(rows[0])

    def find(self, name: str) -> Shop | None:
        try:
            return self.get(name)
        except UnknownShop:
            return None

    def all(self) -> list[Shop]:
        rows = self._c.query(f"SELECT {', '.join(_COLS)} FROM shops ORDER BY name")
        return [_from_row(r) for r in rows]

    def names(self) -> list[str]:
        return [r[0] for r in self._c.query("SELECT name FROM shops ORDER BY name")]

    def update(self, name: str, **changes: Any) -> Shop:
        """Change non-secret fields. Refuses anything that looks like a secret."""
        bad = set(changes) & _FORBIDDEN
        if bad:
            raise ValueError(f"secrets never go to the database: {', '.join(sorted(bad))}")
        unknown = set(changes) - set(_COLS)
        if unknown:
            raise ValueError(f"unknown shop fields: {', '.join(sorted(unknown))}")
        values: dict[str, Any] = {}
        for key, value in changes.items():
            if key in _TIME_FIELDS:
                value = to_epoch(value)
            elif key == "platform":
                value = Platform(value).value
            values[key] = value
        with self._c.transaction() as raw:
            cur = raw.execute(
                f"UPDATE shops SET {', '.join(f'{k} = ?' for k in values)} WHERE name = ?",
                (*values.values(), name),
            )
            if cur.rowcount == 0:
                raise UnknownShop(name)
        return self.get(name)

    def meta(self, name: str, key: str) -> str:
        """refresh_failing / sync_cursor: bookkeeping columns that are not part of Shop."""
        if key not in ("refresh_failing", "sync_cursor"):
            raise ValueError(key)
        value = self._c.scalar(f"SELECT {key} FROM shops WHERE name = ?", (name,))
        if value is None:
            raise UnknownShop(name)
        return str(value)

    def remove(self, name: str) -> None:
        """Remove a shop and its items; its events and jobs (the audit history) stay."""
        with self._c.transaction() as raw:
            cur = raw.execute("DELETE FROM shops WHERE name = ?", (name,))
            if cur.rowcount == 0:
                raise UnknownShop(name)

    def resolve(self, names: Sequence[str] | None) -> list[Shop]:
        """The named shops (all when none are named); an unknown name is an error."""
        if not names:
            return self.all()
        return [self.get(n) for n in names]
