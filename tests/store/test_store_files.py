"""The database file: creation mode, migrations, refusal of newer and damaged files."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import pytest

from shelf_tui.domain import Item, Platform, Shop, Status
from shelf_tui.store import SCHEMA_VERSION, Store, StoreError


def test_new_database_is_private_and_migrated(tmp_path: Path) -> None:
    path = tmp_path / "data" / "shelf.db"
    with Store.open(path) as store:
        assert store.schema_version == SCHEMA_VERSION
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        store.shops.add(Shop("tb", Platform.TAOBAO))
        store.items.upsert([Item("tb", "1", title="t")])
        wal = Path(f"{path}-wal")
        if wal.exists():
            assert stat.S_IMODE(os.stat(wal).st_mode) == 0o600
        mode = store.conn.scalar("PRAGMA journal_mode")
        assert mode == "wal"
        assert store.conn.scalar("PRAGMA foreign_keys") == 1


def test_reopen_keeps_data_and_does_not_remigrate(tmp_path: Path) -> None:
    path = tmp_path / "shelf.db"
    with Store.open(path) as store:
        store.shops.add(Shop("ml", Platform.MERCADOLIBRE, site="MLM"))
        store.items.upsert([Item("ml", "MLM1", title="vestido", stock=3)])
    with Store.open(path) as store:
        assert store.schema_version == SCHEMA_VERSION
        item = store.items.get("ml", "MLM1")
        assert item is not None and item.title == "vestido" and item.stock == 3
        assert store.shops.get("ml").site == "MLM"


def _bytes(path: Path) -> bytes:
    return path.read_bytes()


def test_newer_schema_is_refused_and_left_byte_identical(tmp_path: Path) -> None:
    path = tmp_path / "shelf.db"
    with Store.open(path) as store:
        store.shops.add(Shop("tb", Platform.TAOBAO))
    raw = sqlite3.connect(path)
    raw.execute("PRAGMA journal_mode = DELETE")
    raw.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    raw.close()
    before = _bytes(path)
    with pytest.raises(StoreError, match="newer shelf"):
        Store.open(path)
    assert _bytes(path) == before
    assert not Path(f"{path}-wal").exists()


def test_newer_schema_in_wal_mode_is_refused_and_left_byte_identical(tmp_path: Path) -> None:
    """As a newer shelf leaves it: WAL mode, closed cleanly. The check reads it through a
    read-only connection, which never writes the database file."""
    path = tmp_path / "shelf.db"
    with Store.open(path) as store:
        store.shops.add(Shop("tb", Platform.TAOBAO))
        store.conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    raw = sqlite3.connect(path)
    assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    raw.close()
    before = _bytes(path)
    for _ in range(2):
        with pytest.raises(StoreError, match="newer shelf") as info:
            Store.open(path)
        assert "untouched" in str(info.value) and "\n" not in str(info.value)
        assert _bytes(path) == before
    with pytest.raises(StoreError, match="newer shelf"):
        Store.open(path, readonly=True)
    assert _bytes(path) == before


@pytest.mark.parametrize(
    "content",
    [
        b"this is not a database at all\n" * 100,
        b"SQLite format 3\x00" + b"\xff" * 4000,
        b"SQLite format 3\x00" + bytes(range(256)) * 64,
    ],
    ids=["text", "header-then-garbage", "header-then-noise"],
)
def test_corrupt_file_is_refused_and_never_overwritten(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "shelf.db"
    path.write_bytes(content)
    with pytest.raises(StoreError) as info:
        Store.open(path)
    message = str(info.value)
    assert "\n" not in message and str(path) in message and "untouched" in message
    assert path.read_bytes() == content
    assert not Path(f"{path}-wal").exists()


def test_truncated_database_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "shelf.db"
    with Store.open(path) as store:
        store.shops.add(Shop("tb", Platform.TAOBAO))
        store.items.upsert(Item("tb", str(i), title="x" * 200) for i in range(2000))
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])
    cut = path.read_bytes()
    try:
        store = Store.open(path)
    except StoreError:
        assert path.read_bytes() == cut
    else:  # SQLite may open a truncated file; reading what is gone must then fail cleanly
        with pytest.raises(sqlite3.DatabaseError):
            list(store.items.iter_all())
        store.close()


def test_failed_migration_leaves_previous_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from shelf_tui.store import db as db_mod
    from shelf_tui.store import schema

    path = tmp_path / "shelf.db"
    Store.open(path).close()
    broken = [*schema.MIGRATIONS, "CREATE TABLE later (x); CREATE TABLE later (x);"]
    monkeypatch.setattr(db_mod, "MIGRATIONS", broken)
    monkeypatch.setattr(db_mod, "SCHEMA_VERSION", len(broken))
    with pytest.raises(StoreError):
        db_mod.connect(path)
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert (
        conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'later'").fetchone()[0] == 0
    )
    conn.close()


def test_shop_removal_keeps_history_but_drops_items(tmp_path: Path) -> None:
    from shelf_tui.store import Event

    with Store.open(tmp_path / "s.db") as store:
        store.shops.add(Shop("tb", Platform.TAOBAO))
        store.items.upsert([Item("tb", "1", status=Status.ACTIVE)])
        store.events.append(Event(shop="tb", item_id="1", actor="me@host", action="delist"))
        store.shops.remove("tb")
        assert store.items.get("tb", "1") is None
        assert store.events.count("tb") == 1
        assert store.events.purge_shop("tb") == 1
        assert store.events.count("tb") == 0


def test_secrets_are_refused_by_the_shop_table(tmp_path: Path) -> None:
    with Store.open(tmp_path / "s.db") as store:
        store.shops.add(Shop("tb", Platform.TAOBAO, app_key="123"))
        with pytest.raises(ValueError, match="secrets never go to the database"):
            store.shops.update("tb", app_secret="s3cr3t")


def test_a_file_of_the_first_schema_migrates_and_keeps_its_data(tmp_path: Path) -> None:
    """A database an older shelf wrote (schema 1) is brought to SCHEMA_VERSION, one
    migration at a time, its rows kept."""
    from shelf_tui.store.schema import MIGRATIONS

    path = tmp_path / "shelf.db"
    raw = sqlite3.connect(path)
    raw.executescript(f"BEGIN; {MIGRATIONS[0]}; PRAGMA user_version = 1; COMMIT;")
    raw.execute(
        "INSERT INTO shops (name, platform, created_at) VALUES ('tb', 'taobao', 1790000000)"
    )
    raw.execute(
        "INSERT INTO items (shop, item_id, title, status, stock, modified) "
        "VALUES ('tb', '1', '旧的', 'active', 0, 1790000000)"
    )
    raw.commit()
    raw.close()
    with Store.open(path) as store:
        assert store.schema_version == SCHEMA_VERSION > 1
        item = store.items.get("tb", "1")
        assert item is not None and item.title == "旧的" and item.status is Status.ACTIVE
        # migration 4's stock = 0 index carries status and modified
        sql = store.conn.scalar("SELECT sql FROM sqlite_master WHERE name = 'items_stock0'")
        assert "status, modified" in sql
        assert store.items.count("status:active stock:0") == 1
        # migration 2's and 3's tables exist
        names = {r[0] for r in store.conn.query("SELECT name FROM sqlite_master")}
        assert {"job_calls", "rule_pending", "rule_slots", "rule_runs"} <= names
