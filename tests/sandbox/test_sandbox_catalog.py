"""The seeded catalog: byte-identical for the same seed and N, and complete in every shop."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sandbox_client import FIXED_NOW

from shelf_tui.sandbox import STATES, Clock, Sandbox
from shelf_tui.sandbox.catalog import DEFAULT_SHOPS, HOSTILE_TITLES, Catalog, min_items

EPOCH_MS = 1_789_920_000_000


def test_same_seed_and_n_give_a_byte_identical_catalog() -> None:
    a = Catalog(seed=42, items=500, epoch_ms=EPOCH_MS).dump()
    b = Catalog(seed=42, items=500, epoch_ms=EPOCH_MS).dump()
    assert a == b
    assert hashlib.sha256(a).hexdigest() == Catalog(seed=42, items=500, epoch_ms=EPOCH_MS).digest()
    assert Catalog(seed=43, items=500, epoch_ms=EPOCH_MS).dump() != a


def test_the_catalog_does_not_depend_on_the_process(tmp_path: Path) -> None:
    """Byte for byte across interpreters, whatever their string-hash seed (set/dict order)."""
    code = (
        "import sys\n"
        "from shelf_tui.sandbox.catalog import Catalog\n"
        f"sys.stdout.write(Catalog(seed=42, items=500, epoch_ms={EPOCH_MS}).digest())\n"
    )
    digests = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            env=dict(os.environ, PYTHONHASHSEED=hash_seed),
            timeout=120,
            check=True,
        ).stdout
        for hash_seed in ("0", "1", "4242")
    }
    assert digests == {Catalog(seed=42, items=500, epoch_ms=EPOCH_MS).digest()}


def test_sandboxes_on_the_same_day_share_a_catalog() -> None:
    morning = Sandbox(items=80, seed=9, clock=Clock(start=FIXED_NOW - 3600)).dump()
    evening = Sandbox(items=80, seed=9, clock=Clock(start=FIXED_NOW + 3600)).dump()
    assert morning == evening


def test_the_dump_is_canonical_json_lines() -> None:
    lines = (
        Catalog(seed=1, items=3, epoch_ms=EPOCH_MS, shops=DEFAULT_SHOPS[:1])
        .dump()
        .decode()
        .splitlines()
    )
    assert json.loads(lines[0]) == {"seed": 1, "items": 3, "epoch_ms": EPOCH_MS}
    assert json.loads(lines[1])["shop"] == "tb-main"
    records = [json.loads(line) for line in lines[2:]]
    assert [r["id"] for r in records] == [600000000000, 600000000013, 600000000026]
    assert list(records[0]) == sorted(records[0])


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog(seed=7, items=min_items(), epoch_ms=EPOCH_MS)


def test_every_state_occurs_in_every_shop(catalog: Catalog) -> None:
    for key, shop in catalog.shops.items():
        present = {STATES[shop.platform][s] for s in shop.state}
        assert present == set(STATES[shop.platform]), key


def test_random_items_cover_the_states_too() -> None:
    big = Catalog(seed=3, items=5000, epoch_ms=EPOCH_MS)
    for shop in big.shops.values():
        assert len(set(shop.state[min_items() :])) == len(STATES[shop.platform])


def test_hostile_titles_and_four_languages_occur_in_every_shop(catalog: Catalog) -> None:
    for key, shop in catalog.shops.items():
        titles = {shop.title_of(i) for i in range(shop.n)}
        assert set(HOSTILE_TITLES) <= titles, key
        assert {shop.lang_of(i) for i in range(shop.n)} >= {"zh", "es", "pt", "en"}
    assert "" in HOSTILE_TITLES
    assert any("\x1b[" in t for t in HOSTILE_TITLES)
    assert any("[bold red]" in t for t in HOSTILE_TITLES)
    assert any(len(t) == 300 for t in HOSTILE_TITLES)
    assert any("\u0600" <= c <= "\u06ff" for t in HOSTILE_TITLES for c in t)  # Arabic
    assert any("\u0590" <= c <= "\u05ff" for t in HOSTILE_TITLES for c in t)  # Hebrew
    assert any(ord(c) > 0x1F000 for t in HOSTILE_TITLES for c in t)  # emoji


def test_stock_skus_and_prices(catalog: Catalog) -> None:
    for shop in catalog.shops.values():
        names = STATES[shop.platform]
        for i in range(shop.n):
            qty = shop.sku_quantities(i)
            if qty:
                assert sum(qty) == shop.stock[i]
            if names[shop.state[i]] in ("sold_out", "paused/out_of_stock", "3003"):
                assert shop.stock[i] == 0
            assert shop.price[i] >= 100
        assert any(shop.stock[i] == 0 for i in range(shop.n))
        assert any(shop.nsku[i] >= 2 for i in range(shop.n))
        if shop.platform != "temu":
            assert any(shop.nsku[i] == 0 for i in range(shop.n))
        else:
            assert all(shop.nsku[i] >= 1 for i in range(shop.n))


def test_top_promotion_locks_have_past_current_and_future_windows(catalog: Catalog) -> None:
    shop = catalog.shops["tb-main"]
    rules = [r for i in range(shop.n) for r in shop.rules(i)]
    delist_locks = [r for r in rules if r.type == "下架锁定规则"]
    assert any(r.effective(EPOCH_MS) for r in delist_locks)
    assert any(r.start_ms > EPOCH_MS for r in delist_locks)
    assert any(r.end_ms <= EPOCH_MS for r in delist_locks)
    assert {r.type for r in rules} >= {"下架锁定规则", "库存减少锁定规则", "一口价禁止修改规则"}
    assert any(shop.second_kill(i) for i in range(shop.n))
    assert catalog.shops["ml-mx"].rules(0) == ()


def test_violation_delists_have_24h_and_72h_deadlines(catalog: Catalog) -> None:
    for key in ("tb-main", "temu-us"):
        shop = catalog.shops[key]
        found = {}
        for i in range(shop.n):
            v = shop.violation(i)
            if v is not None:
                found[v.severity] = v.deadline_ms - v.delisted_ms
                assert shop.modified[i] == v.delisted_ms
        assert found == {"normal": 72 * 3_600_000, "serious": 24 * 3_600_000}, key


def test_ids_are_unique_and_map_back_to_their_shop(catalog: Catalog) -> None:
    seen = set()
    for shop in catalog.shops.values():
        for i in range(shop.n):
            item_id = shop.id_of(i)
            assert shop.idx_of(item_id) == i
            assert catalog.locate(shop.platform, item_id) == (shop, i)
            seen.add((shop.platform, item_id))
            for j in range(shop.nsku[i]):
                assert shop.sku_of(shop.sku_id(i, j)) == (i, j)
    assert len(seen) == sum(s.n for s in catalog.shops.values())
    tb = catalog.shops["tb-main"]
    assert tb.idx_of(tb.id_of(0) + 1) is None
    assert tb.idx_of(tb.id_of(tb.n)) is None
    assert tb.idx_of(catalog.shops["tb-other"].id_of(0)) is None


def test_id_shapes_look_like_the_platforms(catalog: Catalog) -> None:
    assert len(str(catalog.shops["tb-main"].id_of(0))) == 12
    assert len(str(catalog.shops["ml-mx"].id_of(0))) == 10
    assert len(str(catalog.shops["temu-us"].id_of(0))) == 15


def test_fewer_items_than_the_showcase_still_work() -> None:
    small = Catalog(seed=1, items=3, epoch_ms=EPOCH_MS)
    assert all(shop.n == 3 for shop in small.shops.values())
    assert Catalog(seed=1, items=0, epoch_ms=EPOCH_MS).dump().count(b"\n") == 1 + len(DEFAULT_SHOPS)
    with pytest.raises(ValueError, match="items"):
        Catalog(seed=1, items=-1, epoch_ms=EPOCH_MS)


def test_a_large_catalog_is_compact() -> None:
    big = Catalog(seed=1, items=100_000, epoch_ms=EPOCH_MS, shops=DEFAULT_SHOPS[:1])
    shop = big.shops["tb-main"]
    columns = (
        shop.state,
        shop.stock,
        shop.price,
        shop.nsku,
        shop.title,
        shop.created,
        shop.modified,
    )
    assert sum(len(c) * getattr(c, "itemsize", 1) for c in columns) / shop.n <= 32
    assert not shop.sku_qty  # nothing per-item until something changes
    assert not shop.listed


def test_the_catalog_matches_its_golden_digest() -> None:
    """UI snapshots and demo screenshots depend on the catalog: change it only on purpose.

    If this fails after a deliberate generator change, regenerate the fixture with
    ``Catalog(seed=1, items=40, epoch_ms=1_789_920_000_000).digest()``.
    """
    fixture = Path(__file__).parent.parent / "fixtures" / "sandbox" / "catalog-seed1-items40.sha256"
    assert Catalog(seed=1, items=40, epoch_ms=EPOCH_MS).digest() == fixture.read_text().strip()
