"""Store benchmark: upsert rate at 1,000,000 items, filtered count and first page, a keyset
page 500,000 rows deep, and the database size. Prints one JSON line.

Targets (2 cores): >= 100,000 items/s upsert; every count and page <= 50 ms at 1M rows.

    python bench/store.py [--items N]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from shelf_tui.domain import Item, Platform, Reason, Shop, Status
from shelf_tui.store import Sort, Store
from shelf_tui.store.items import item_to_row

STATES = [
    (Status.ACTIVE, Reason.NONE),
    (Status.ACTIVE, Reason.NONE),
    (Status.ACTIVE, Reason.NONE),
    (Status.INACTIVE, Reason.SELLER),
    (Status.INACTIVE, Reason.SOLD_OUT),
    (Status.INACTIVE, Reason.VIOLATION),
    (Status.REVIEW, Reason.NONE),
    (Status.DRAFT, Reason.NONE),
]
WORDS = ["红色", "连衣裙", "vestido", "camisa", "phone", "case", "耳机", "blue", "dress", "sapato"]


def make_items(n: int, seed: int = 7) -> list[Item]:
    rnd = random.Random(seed)
    base = 1_780_000_000
    shops = ("tb-main", "ml-mx", "temu-us")
    out = []
    for i in range(n):
        status, reason = STATES[rnd.randrange(len(STATES))]
        out.append(
            Item(
                shop=shops[i % 3],
                item_id=str(600_000_000_000 + i),
                title=" ".join(rnd.choice(WORDS) for _ in range(4)) + f" {i}",
                outer_id=f"SKU-{i:07d}",
                status=status,
                reason=reason,
                stock=rnd.choice((0, 0, 1, 2, 5, 10, 50, 100)),
                price=round(rnd.uniform(1, 999), 2),
                currency="CNY",
                modified=datetime.fromtimestamp(base + rnd.randrange(90 * 86400), UTC),
            )
        )
    return out


def timed(fn, repeat: int = 5) -> float:  # type: ignore[no-untyped-def]
    """Median wall time in ms over `repeat` runs (warm cache: the browser's steady state)."""
    samples = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
    return round(statistics.median(samples), 2)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=1_000_000)
    args = parser.parse_args()
    n = args.items
    items = make_items(n)
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(Path(tmp) / "shelf.db")
        for name, platform in (
            ("tb-main", Platform.TAOBAO),
            ("ml-mx", Platform.MERCADOLIBRE),
            ("temu-us", Platform.TEMU),
        ):
            store.shops.add(Shop(name, platform))

        t = time.perf_counter()
        rows = [item_to_row(i) for i in items]
        encode_s = time.perf_counter() - t
        t = time.perf_counter()
        store.items.upsert_rows(rows)
        upsert_s = time.perf_counter() - t

        # A resync where 1% of the items changed: the common case after the first sync.
        changed = [
            item_to_row(Item(**{**{f: getattr(i, f) for f in i.__slots__}, "stock": i.stock + 1}))
            for i in items[::100]
        ]
        t = time.perf_counter()
        store.items.upsert_rows(rows[: n // 10])
        store.items.upsert_rows(changed)
        resync_s = time.perf_counter() - t

        flt = "status:inactive reason:violation"
        sort = Sort("modified", True)
        count_ms = timed(lambda: store.items.count(flt))
        first_page_ms = timed(lambda: store.items.page(flt, sort, limit=100))
        count_all_ms = timed(lambda: store.items.count())
        stock0_ms = timed(lambda: store.items.count("stock:0"))
        text_ms = timed(lambda: store.items.page("vestido 12", sort, limit=100), repeat=3)

        deep = store.items.page_at(None, sort, offset=n // 2 - 100, limit=100)
        cursor = deep.last
        deep_keyset_ms = timed(lambda: store.items.page(None, sort, after=cursor, limit=100))
        deep_offset_ms = timed(
            lambda: store.items.page_at(None, sort, offset=n // 2, limit=100), repeat=3
        )
        filtered_deep = store.items.page_at(flt, sort, offset=min(n // 20, 40_000), limit=100)
        fcursor = filtered_deep.last
        filtered_deep_ms = timed(lambda: store.items.page(flt, sort, after=fcursor, limit=100))

        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        size = store.size_bytes()
        store.close()

    print(
        json.dumps(
            {
                "bench": "store",
                "items": n,
                "upsert_items_per_s": round(n / upsert_s),
                "upsert_s": round(upsert_s, 2),
                "encode_items_per_s": round(n / encode_s),
                "upsert_from_items_per_s": round(n / (upsert_s + encode_s)),
                "resync_10pct_1pct_changed_s": round(resync_s, 2),
                "count_status_reason_ms": count_ms,
                "first_page_status_reason_ms": first_page_ms,
                "count_all_ms": count_all_ms,
                "count_stock0_ms": stock0_ms,
                "first_page_text_ms": text_ms,
                "keyset_page_500k_deep_ms": deep_keyset_ms,
                "keyset_page_deep_in_filter_ms": filtered_deep_ms,
                "offset_jump_500k_ms": deep_offset_ms,
                "db_mb": round(size / 1e6, 1),
                "targets": {"upsert_items_per_s": ">=100000", "count_and_page_ms": "<=50"},
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
