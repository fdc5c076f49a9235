"""The seeded, deterministic catalog: N items per shop, stored column-wise.

Why columns: a million items as Python objects costs hundreds of megabytes and seconds of
allocation. Here each shop keeps a handful of `bytearray`/`array` columns (state, stock,
price, SKU count, title seed, created, modified: about 30 bytes an item) and everything else
is derived on demand from (seed, index) or kept in small overlay dicts that only hold what
was changed. Generation draws whole columns with `Random.randbytes` and maps them through
256-entry tables with `bytes.translate`, so the per-item Python work is limited to the few
fix-ups a state needs (zero stock for sold-out states, recent times for violations).

Determinism: the same seed, N, epoch and shop list give a byte-identical `Catalog.dump()`.
The epoch defaults (in `Sandbox`) to the GMT+8 midnight before the clock's start, so the
catalog is stable for a whole day, and forever under a frozen clock.

Every state a platform can show is *guaranteed* in each shop when N >= `min_items()`:
the first rows of a shop are a fixed "showcase" (every status and reason of design.md's
table, promotion locks with past/current/future windows, flash-sale items, violation delists
with 24 h and 72 h deadlines, hostile titles, the four languages); the rest are random.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import sys
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import repeat
from operator import add, mod, mul, sub

TAOBAO = "taobao"
MERCADOLIBRE = "mercadolibre"
TEMU = "temu"
PLATFORMS = (TAOBAO, MERCADOLIBRE, TEMU)

HOUR_MS = 3_600_000
DAY_MS = 86_400_000

# --- State vocabularies (one byte per item; the meaning depends on the platform) ----------

#: TOP: approve_status onsale, or instock with one of the inventory banners of §1.5.
TOP_STATES = (
    "onsale",
    "off_shelf",  # 我下架的: the seller delisted it
    "regular_shelved",  # 定时上架: scheduled listing
    "sold_out",  # 全部卖完
    "violation_off_shelf",  # 违规下架: platform delist for a violation
    "never_on_shelf",  # 从未上架: a draft
)
#: ML: status, or status/sub_status (moderation_penalty is a tag, §2.3).
ML_STATES = (
    "active",
    "paused",
    "paused/out_of_stock",
    "paused/moderation_penalty",
    "paused/forbidden",
    "paused/held",
    "paused/waiting_for_patch",
    "paused/suspended",
    "paused/freezed",
    "closed",
    "under_review",
)
#: Temu: the 4-digit sub-status of §3.5; its first digit is the status.
TEMU_STATES = (
    "2001",
    "2002",
    "2005",
    "2006",
    "3001",
    "3002",
    "3003",
    "3004",
    "4001",
    "4002",
    "4003",
    "4004",
    "5001",
    "6001",
    "6002",
)
STATES: dict[str, tuple[str, ...]] = {
    TAOBAO: TOP_STATES,
    MERCADOLIBRE: ML_STATES,
    TEMU: TEMU_STATES,
}

TOP_ONSALE = 0
TOP_OFF_SHELF = 1
TOP_REGULAR = 2
TOP_SOLD_OUT = 3
TOP_VIOLATION = 4
TOP_NEVER = 5

ML_ACTIVE = 0
ML_PAUSED = 1
ML_OOS = 2
ML_MODERATION = 3
ML_FORBIDDEN = 4
ML_HELD = 5
ML_WFP = 6
ML_SUSPENDED = 7
ML_FREEZED = 8
ML_CLOSED = 9
ML_UNDER_REVIEW = 10

TEMU_CODES = tuple(int(s) for s in TEMU_STATES)
TEMU_INDEX = {code: i for i, code in enumerate(TEMU_CODES)}

#: States whose items are live (listing is a no-op / delisting applies).
ACTIVE_STATES: dict[str, frozenset[int]] = {
    TAOBAO: frozenset({TOP_ONSALE}),
    MERCADOLIBRE: frozenset({ML_ACTIVE}),
    TEMU: frozenset(TEMU_INDEX[c] for c in (2001, 2002, 2005, 2006)),
}
#: States that only exist at zero stock.
ZERO_STOCK_STATES: dict[str, frozenset[int]] = {
    TAOBAO: frozenset({TOP_SOLD_OUT}),
    MERCADOLIBRE: frozenset({ML_OOS}),
    TEMU: frozenset({TEMU_INDEX[3003]}),
}
#: States that carry a sandbox `violation` object (deadline), see `Violation`.
VIOLATION_STATES: dict[str, frozenset[int]] = {
    TAOBAO: frozenset({TOP_VIOLATION}),
    MERCADOLIBRE: frozenset(),
    TEMU: frozenset({TEMU_INDEX[3001]}),
}

_WEIGHTS: dict[str, tuple[int, ...]] = {
    TAOBAO: (55, 15, 5, 12, 5, 8),
    MERCADOLIBRE: (52, 12, 12, 2, 2, 2, 2, 1, 1, 10, 4),
    TEMU: (48, 3, 2, 2, 4, 12, 10, 2, 1, 2, 1, 2, 5, 3, 3),
}
_NSKU_WEIGHTS: dict[str, dict[int, int]] = {
    TAOBAO: {0: 50, 2: 15, 3: 15, 4: 10, 5: 10},
    MERCADOLIBRE: {0: 60, 2: 15, 3: 15, 4: 10},
    TEMU: {1: 40, 2: 25, 3: 20, 4: 15},  # Temu goods always have at least one SKU
}


def _table(weights: Sequence[int], values: Sequence[int] | None = None) -> bytes:
    """A 256-entry `bytes.translate` table that samples `values` with `weights`."""
    vals = list(values) if values is not None else list(range(len(weights)))
    total = sum(weights)
    out = bytearray()
    cumulative: list[float] = []
    acc = 0
    for w in weights:
        acc += w
        cumulative.append(acc / total)
    for b in range(256):
        u = (b + 0.5) / 256
        i = next(k for k, c in enumerate(cumulative) if u < c or k == len(cumulative) - 1)
        out.append(vals[i])
    return bytes(out)


def _stock_table() -> bytes:
    """Stock per random byte: ~8% zero, then 1-5, 6-50 and 51-199."""
    out = bytearray()
    for b in range(256):
        if b < 20:
            out.append(0)
        elif b < 60:
            out.append(1 + (b - 20) // 8)
        elif b < 180:
            out.append(6 + (b - 60) * 44 // 120)
        else:
            out.append(51 + (b - 180) * 2)
    return bytes(out)


_STATE_TABLES = {p: _table(w) for p, w in _WEIGHTS.items()}
_NSKU_TABLES = {p: _table(list(w.values()), list(w.keys())) for p, w in _NSKU_WEIGHTS.items()}
_STOCK_TABLE = _stock_table()

# --- Titles ------------------------------------------------------------------------------

#: Titles are data, not markup (design.md "Console UX"): the catalog carries hostile ones.
HOSTILE_TITLES = (
    "[bold red]x[/]",
    "[bold red]限时特价[/] 连衣裙 [link=https://example.invalid]点击领券[/link]",
    "\x1b[31mRED ALERT\x1b[0m hoodie \x1b[2J\x1b[H",
    "🔥🔥 爆款 👗✨ Vestido floral 🇲🇽 🧑🏽‍💻 ❤️",
    "超长标题测试" * 50,  # 300 characters
    "فستان صيفي للنساء - قطن ١٠٠٪",
    "שמלת קיץ לנשים 100% כותנה",
    "",
    "multi\nline\ttitle\r\nwith controls",
    "\u202eevil RTL override\u202c gpj.exe",
    "Z̷a̸l̵g̶o̷ t̴i̸t̵l̶e̷ Ç̶a̸m̵i̶s̷e̸t̵a̶",
    "'; DROP TABLE items; -- \\ %s {0} ${x}",
    "<script>alert(1)</script> &amp; &lt;b&gt;",
)

_WORDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "zh": (
        (
            "夏季新款",
            "加厚保暖",
            "韩版宽松",
            "纯棉",
            "复古",
            "简约百搭",
            "大码",
            "儿童",
            "男士",
            "女士",
            "网红同款",
            "高腰显瘦",
            "防水",
            "便携",
            "无线",
            "不锈钢",
        ),
        (
            "连衣裙",
            "卫衣",
            "牛仔裤",
            "运动鞋",
            "保温杯",
            "蓝牙耳机",
            "手机壳",
            "双肩包",
            "T恤",
            "羽绒服",
            "收纳盒",
            "台灯",
            "帆布鞋",
            "瑜伽垫",
            "电饭煲",
            "数据线",
        ),
    ),
    "es": (
        (
            "de verano",
            "para mujer",
            "para hombre",
            "infantil",
            "de algodón",
            "impermeable",
            "inalámbrico",
            "de acero inoxidable",
            "ajustable",
            "premium",
            "clásico",
            "deportivo",
        ),
        (
            "Vestido",
            "Sudadera",
            "Pantalón de mezclilla",
            "Tenis",
            "Termo",
            "Audífonos",
            "Funda para celular",
            "Mochila",
            "Playera",
            "Chamarra",
            "Organizador",
            "Lámpara",
        ),
    ),
    "pt": (
        (
            "de verão",
            "feminino",
            "masculino",
            "infantil",
            "de algodão",
            "à prova d'água",
            "sem fio",
            "de aço inoxidável",
            "ajustável",
            "premium",
            "clássico",
            "esportivo",
        ),
        (
            "Vestido",
            "Moletom",
            "Calça jeans",
            "Tênis",
            "Garrafa térmica",
            "Fone de ouvido",
            "Capinha de celular",
            "Mochila",
            "Camiseta",
            "Jaqueta",
            "Organizador",
            "Luminária",
        ),
    ),
    "en": (
        (
            "Summer",
            "Women's",
            "Men's",
            "Kids'",
            "Cotton",
            "Waterproof",
            "Wireless",
            "Stainless Steel",
            "Adjustable",
            "Premium",
            "Classic",
            "Sports",
        ),
        (
            "Dress",
            "Hoodie",
            "Jeans",
            "Sneakers",
            "Tumbler",
            "Earbuds",
            "Phone Case",
            "Backpack",
            "T-Shirt",
            "Jacket",
            "Storage Box",
            "Desk Lamp",
        ),
    ),
}
_LANG_WEIGHTS: dict[str, tuple[tuple[str, int], ...]] = {
    TAOBAO: (("zh", 70), ("en", 10), ("es", 10), ("pt", 10)),
    MERCADOLIBRE: (("es", 60), ("pt", 20), ("en", 10), ("zh", 10)),
    TEMU: (("en", 70), ("es", 10), ("pt", 10), ("zh", 10)),
}
_SKU_COLORS = {
    "zh": ("红色", "黑色", "白色", "蓝色", "绿色"),
    "es": ("Rojo", "Negro", "Blanco", "Azul", "Verde"),
    "pt": ("Vermelho", "Preto", "Branco", "Azul", "Verde"),
    "en": ("Red", "Black", "White", "Blue", "Green"),
}
_SIZES = ("S", "M", "L", "XL", "XXL")


def _lang_list(platform: str) -> list[str]:
    out: list[str] = []
    for lang, weight in _LANG_WEIGHTS[platform]:
        out.extend([lang] * weight)
    return out


_LANGS = {p: _lang_list(p) for p in PLATFORMS}

# --- Promotion rules and violations --------------------------------------------------------

#: The rule types named by taobao.item.promotion.rule.get (platforms.md §1.6).
RULE_DELIST_LOCK = "下架锁定规则"
RULE_SKU_LOCK = "SKU锁定规则"
RULE_STOCK_DECREASE_LOCK = "库存减少锁定规则"
RULE_STOCK_LOCK = "库存禁止修改规则"
RULE_PRICE_LOCK = "一口价禁止修改规则"


@dataclass(frozen=True, slots=True)
class Rule:
    """One TOP promotion rule; effective only while start_ms <= now < end_ms (§1.6, gotcha 3)."""

    name: str
    message: str
    type: str
    start_ms: int
    end_ms: int

    def effective(self, now_ms: int) -> bool:
        """True inside the rule's window."""
        return self.start_ms <= now_ms < self.end_ms


@dataclass(frozen=True, slots=True)
class Violation:
    """A platform delist for a violation, with its rectification deadline.

    Sandbox convention (platforms.md names no field for it): TOP items in
    `violation_off_shelf` and Temu goods in 3001 carry a `violation` object built from this,
    deadline 72 h after the delist for a normal violation and 24 h for a serious one
    (seed 001).
    """

    severity: str  # "normal" | "serious"
    reason: str
    delisted_ms: int

    @property
    def deadline_ms(self) -> int:
        """When rectification must be done: 24 h (serious) or 72 h (normal) after delisting."""
        return self.delisted_ms + (24 if self.severity == "serious" else 72) * HOUR_MS


VIOLATION_REASONS = {
    TAOBAO: ("虚假交易", "描述不符", "侵犯知识产权", "出售禁售商品", "价格违规", "图片盗用"),
    TEMU: (
        "Intellectual property infringement",
        "Prohibited product",
        "Misleading product information",
        "Price manipulation",
        "Safety documentation missing",
    ),
    MERCADOLIBRE: ("Publicación con infracción",),
}

# --- Shops --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ShopSpec:
    """A seller account on one platform; each gets its own app (app_key/app_secret).

    `refreshable=False` models a TOP 商家后台 app whose tokens cannot be refreshed (§1.4).
    """

    key: str
    platform: str
    nick: str
    seller_id: int
    tmall: bool = False
    site: str = ""
    region: str = ""
    currency: str = "CNY"
    refreshable: bool = True


DEFAULT_SHOPS: tuple[ShopSpec, ...] = (
    ShopSpec("tb-main", TAOBAO, "沙箱小店", 2200000001),
    ShopSpec("tm-flagship", TAOBAO, "沙箱旗舰店", 2200000002, tmall=True, refreshable=False),
    ShopSpec("tb-other", TAOBAO, "隔壁小店", 2200000003),
    ShopSpec("ml-mx", MERCADOLIBRE, "SANDBOX_MX", 1500000001, site="MLM", currency="MXN"),
    ShopSpec("ml-mx-other", MERCADOLIBRE, "OTRO_VENDEDOR", 1500000002, site="MLM", currency="MXN"),
    ShopSpec("temu-us", TEMU, "Sandbox Mall US", 634418210001, region="us", currency="USD"),
    ShopSpec("temu-us-other", TEMU, "Other Mall US", 634418210002, region="us", currency="USD"),
)

# Item-id layout: base + ordinal * span + index * step (ordinal = the shop's rank on its
# platform). Ids look like the real ones (12-digit num_iid, MLM + 10 digits, 15-digit goodsId)
# and map back to (shop, index) with arithmetic.
_ID_LAYOUT: dict[str, tuple[int, int]] = {
    TAOBAO: (600_000_000_000, 10_000_000_000),
    MERCADOLIBRE: (1_200_000_000, 100_000_000),
    TEMU: (601_099_500_000_000, 10_000_000_000),
}
_SKU_LAYOUT: dict[str, tuple[int, int]] = {
    TAOBAO: (5_100_000_000_000, 100_000_000_000),
    MERCADOLIBRE: (180_000_000_000, 1_000_000_000),
    TEMU: (17_592_000_000_000, 100_000_000_000),
}
ID_STEP = 13
MAX_SKUS = 10

# --- Showcase rows -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Row:
    state: str
    stock: int
    nsku: int
    title: str | None = None  # None: generated; "lang:xx": generated in that language
    extra: str = ""


_TOP_SHOWCASE = (
    _Row("onsale", 25, 0),
    _Row("onsale", 30, 3),
    _Row("onsale", 12, 0, extra="lock_now"),
    _Row("onsale", 8, 0, extra="lock_future"),
    _Row("onsale", 9, 0, extra="lock_past"),
    _Row("onsale", 40, 2, extra="lock_stock"),
    _Row("onsale", 5, 0, extra="flash"),
    _Row("off_shelf", 10, 0),
    _Row("off_shelf", 0, 0),
    _Row("off_shelf", 0, 2),
    _Row("off_shelf", 7, 0, extra="flash"),
    _Row("regular_shelved", 15, 0),
    _Row("sold_out", 0, 0),
    _Row("sold_out", 0, 3),
    _Row("violation_off_shelf", 6, 0, extra="normal"),
    _Row("violation_off_shelf", 3, 2, extra="serious"),
    _Row("never_on_shelf", 20, 0),
    _Row("onsale", 0, 0),  # on sale at 0 stock: the platform has not caught up yet
)
_ML_SHOWCASE = (
    _Row("active", 20, 0),
    _Row("active", 15, 3),
    _Row("active", 0, 0),  # active at 0 stock: ML has not auto-paused it yet
    _Row("paused", 10, 0),
    _Row("paused", 0, 0),
    _Row("paused/out_of_stock", 0, 0),
    _Row("paused/out_of_stock", 0, 2),
    _Row("paused/moderation_penalty", 5, 0),
    _Row("paused/forbidden", 4, 0),
    _Row("paused/held", 4, 0),
    _Row("paused/waiting_for_patch", 6, 0),
    _Row("paused/suspended", 2, 0),
    _Row("paused/freezed", 2, 0),
    _Row("closed", 5, 0),
    _Row("under_review", 7, 0),
)
_TEMU_SHOWCASE = (
    _Row("2001", 30, 1),
    _Row("2001", 25, 3, extra="sku_partial"),
    _Row("2002", 10, 1),
    _Row("2005", 10, 2),
    _Row("2006", 10, 2),
    _Row("3001", 8, 1, extra="normal"),
    _Row("3001", 8, 2, extra="serious"),
    _Row("3002", 12, 1),
    _Row("3002", 0, 1),
    _Row("3003", 0, 2),
    _Row("3004", 9, 1),
    _Row("4001", 5, 1),
    _Row("4002", 5, 1),
    _Row("4003", 5, 1),
    _Row("4004", 5, 1),
    _Row("5001", 3, 1),
    _Row("6001", 0, 1),
    _Row("6002", 0, 1),
    _Row("2001", 0, 1),  # on sale at 0 stock
)
_SHOWCASE_STATES = {
    TAOBAO: (_TOP_SHOWCASE, ("onsale", "off_shelf")),
    MERCADOLIBRE: (_ML_SHOWCASE, ("active", "paused")),
    TEMU: (_TEMU_SHOWCASE, ("2001", "3002")),
}


def _showcase(platform: str) -> tuple[_Row, ...]:
    rows, (live, idle) = _SHOWCASE_STATES[platform]
    nsku = 1 if platform == TEMU else 0
    langs = tuple(_Row(live, 11, nsku, title=f"lang:{lang}") for lang in ("zh", "es", "pt", "en"))
    hostile = tuple(
        _Row(live if k % 2 == 0 else idle, 3 + k, nsku, title=title)
        for k, title in enumerate(HOSTILE_TITLES)
    )
    return rows + langs + hostile


SHOWCASES = {p: _showcase(p) for p in PLATFORMS}


def min_items() -> int:
    """The N from which every state, reason, lock and hostile title occurs in every shop."""
    return max(len(rows) for rows in SHOWCASES.values())


def _mix(x: int, salt: int) -> int:
    """A cheap 32-bit integer hash (derived, per-item attributes that are never stored)."""
    x = ((x + 0x9E3779B9) ^ salt) & 0xFFFFFFFF
    x = ((x ^ (x >> 16)) * 0x85EBCA6B) & 0xFFFFFFFF
    x = ((x ^ (x >> 13)) * 0xC2B2AE35) & 0xFFFFFFFF
    return x ^ (x >> 16)


def _u32_column(rng: random.Random, n: int) -> array[int]:
    col = array("I")
    col.frombytes(rng.randbytes(4 * n))
    if sys.byteorder == "big":  # the catalog must not depend on the host's byte order
        col.byteswap()
    return col


def _u16_column(rng: random.Random, n: int) -> array[int]:
    col = array("H")
    col.frombytes(rng.randbytes(2 * n))
    if sys.byteorder == "big":
        col.byteswap()
    return col


class ShopCatalog:
    """One shop's items. Indexes are 0..n-1; ids map to indexes arithmetically.

    Mutations go through the methods below so that `modified` always moves forward
    and `version` (the query cache's key) always changes.
    """

    def __init__(self, spec: ShopSpec, ordinal: int, seed: int, n: int, epoch_ms: int) -> None:
        self.spec = spec
        self.platform = spec.platform
        self.ordinal = ordinal
        self.n = n
        self.epoch_ms = epoch_ms
        base, span = _ID_LAYOUT[spec.platform]
        self.id_base = base + ordinal * span
        sku_base, sku_span = _SKU_LAYOUT[spec.platform]
        self.sku_base = sku_base + ordinal * sku_span
        self.salt = int.from_bytes(
            hashlib.sha256(f"{seed}/{spec.key}".encode()).digest()[:4], "big"
        )
        self.version = 0
        # Overlays: only what differs from the generated/derived value.
        self.sku_qty: dict[int, list[int]] = {}
        self.sku_off: dict[int, set[int]] = {}
        self.listed: dict[int, int] = {}
        self.delisted: dict[int, int] = {}
        self.rules_override: dict[int, tuple[Rule, ...]] = {}
        self.flash_override: dict[int, str | None] = {}
        self.violations: dict[int, Violation | None] = {}
        self.title_override: dict[int, str] = {}
        self._generate(seed)

    # -- generation ------------------------------------------------------------------------

    def _generate(self, seed: int) -> None:
        n, platform, epoch_ms = self.n, self.platform, self.epoch_ms
        rng = random.Random(f"shelf-sandbox/{seed}/{self.spec.key}")
        self.state = bytearray(rng.randbytes(n).translate(_STATE_TABLES[platform]))
        stock_bytes = rng.randbytes(n).translate(_STOCK_TABLE)
        self.stock: array[int] = array("i", iter(stock_bytes))
        self.price: array[int] = array(
            "i", map(add, _u16_column(rng, n), repeat(100))
        )  # cents, >= 1.00
        self.nsku = bytearray(rng.randbytes(n).translate(_NSKU_TABLES[platform]))
        self.title: array[int] = _u32_column(rng, n)
        ages = array("q", map(mod, _u32_column(rng, n), repeat(400 * 86400)))
        self.created: array[int] = array(
            "q", map(sub, repeat(epoch_ms - DAY_MS), map(mul, ages, repeat(1000)))
        )
        spread = _u32_column(rng, n)
        self.modified: array[int] = array(
            "q",
            map(add, self.created, map(mod, spread, map(sub, repeat(epoch_ms), self.created))),
        )
        active = ACTIVE_STATES[platform]
        for m in re.finditer(b"\x00", stock_bytes):  # live items get stock
            i = m.start()
            if self.state[i] in active:
                self.stock[i] = 1 + i % 9
        for code in ZERO_STOCK_STATES[platform]:
            for m in re.finditer(re.escape(bytes([code])), self.state):
                self.stock[m.start()] = 0
        self._apply_showcase()
        for code in VIOLATION_STATES[
            platform
        ]:  # a violation delist is recent and is the last change
            for m in re.finditer(re.escape(bytes([code])), self.state):
                v = self.violation(m.start())
                if v is not None:
                    self.modified[m.start()] = v.delisted_ms

    def _apply_showcase(self) -> None:
        names = STATES[self.platform]
        for i, row in enumerate(SHOWCASES[self.platform][: self.n]):
            self.state[i] = names.index(row.state)
            self.stock[i] = row.stock
            self.nsku[i] = row.nsku
            if row.title is not None and not row.title.startswith("lang:"):
                self.title_override[i] = row.title
            if row.extra == "sku_partial":
                self.sku_off[i] = {row.nsku - 1}

    # -- identity --------------------------------------------------------------------------

    def id_of(self, idx: int) -> int:
        """The platform item id (numeric part for ML) of an index."""
        return self.id_base + idx * ID_STEP

    def idx_of(self, item_id: int) -> int | None:
        """The index of an id, or None when the id is not this shop's."""
        off = item_id - self.id_base
        if off < 0 or off % ID_STEP:
            return None
        idx = off // ID_STEP
        return idx if idx < self.n else None

    def sku_id(self, idx: int, j: int) -> int:
        """The platform SKU / variation id of SKU j of an item."""
        return self.sku_base + idx * MAX_SKUS + j

    def sku_of(self, sku_id: int) -> tuple[int, int] | None:
        """(index, j) of a SKU id of this shop, or None."""
        off = sku_id - self.sku_base
        if off < 0:
            return None
        idx, j = divmod(off, MAX_SKUS)
        if idx >= self.n or j >= self.nsku[idx]:
            return None
        return idx, j

    # -- derived attributes ----------------------------------------------------------------

    def _lang(self, idx: int) -> str:
        row = SHOWCASES[self.platform][idx] if idx < len(SHOWCASES[self.platform]) else None
        if row is not None and row.title is not None and row.title.startswith("lang:"):
            return row.title[5:]
        langs = _LANGS[self.platform]
        return langs[self.title[idx] % len(langs)]

    def title_of(self, idx: int) -> str:
        """The item title (rendered on demand from a 32-bit seed; hostile ones included)."""
        override = self.title_override.get(idx)
        if override is not None:
            return override
        code = self.title[idx]
        if idx >= len(SHOWCASES[self.platform]) and (code >> 8) & 0x7F == 0:
            return HOSTILE_TITLES[(code >> 16) % len(HOSTILE_TITLES)]
        lang = self._lang(idx)
        adjs, nouns = _WORDS[lang]
        adj = adjs[(code >> 16) % len(adjs)]
        noun = nouns[(code >> 24) % len(nouns)]
        model = f"{(code >> 4) % 10000:04d}"
        if lang == "zh":
            return f"{adj}{noun} 款号{model}"
        if lang == "en":
            return f"{adj} {noun} #{model}"
        return f"{noun} {adj} #{model}"

    def lang_of(self, idx: int) -> str:
        """The title language of an item (hostile titles report the generator's pick)."""
        return self._lang(idx)

    def outer_id(self, idx: int) -> str:
        """The seller's own code (TOP outer_id, ML seller_custom_field, Temu outGoodsSn)."""
        if _mix(idx, self.salt) % 23 == 0:
            return ""
        prefix = {TAOBAO: "TB", MERCADOLIBRE: "MX", TEMU: "TM"}[self.platform]
        return f"{prefix}{self.ordinal}-{idx:07d}"

    def category(self, idx: int) -> int:
        """A category id (TOP cid, ML category suffix, Temu catId)."""
        return (50010850, 50000671, 50012027, 50011740, 50019780, 121266001)[
            _mix(idx, self.salt) % 6
        ]

    def sold(self, idx: int) -> int:
        """sold_quantity (derived; the sandbox sells nothing)."""
        return (self.title[idx] >> 12) % 500

    def sku_quantities(self, idx: int) -> list[int]:
        """Per-SKU stock: the overlay if a SKU was set, else the item stock split evenly."""
        k = self.nsku[idx]
        if k == 0:
            return []
        q = self.sku_qty.get(idx)
        if q is not None:
            return list(q)
        total = self.stock[idx]
        return [total // k + (1 if j < total % k else 0) for j in range(k)]

    def sku_price(self, idx: int, j: int) -> int:
        """SKU price in cents (TOP: the item price is the lowest SKU price, gotcha 2)."""
        return self.price[idx] + (j * 100 if self.platform == TAOBAO else 0)

    def sku_label(self, idx: int, j: int) -> tuple[str, str]:
        """(colour, size) of SKU j, in the item's language."""
        colors = _SKU_COLORS[self.lang_of(idx)]
        return colors[(j + idx) % len(colors)], _SIZES[j % len(_SIZES)]

    def sku_outer_id(self, idx: int, j: int) -> str:
        """The seller's SKU code."""
        base = self.outer_id(idx) or f"S{self.ordinal}-{idx:07d}"
        return f"{base}-{j + 1}"

    def rules(self, idx: int) -> tuple[Rule, ...]:
        """TOP promotion rules of an item, whatever their window (see `Rule.effective`)."""
        if self.platform != TAOBAO:
            return ()
        override = self.rules_override.get(idx)
        if override is not None:
            return override
        showcase = SHOWCASES[TAOBAO]
        if idx < len(showcase):
            extra = showcase[idx].extra
        else:
            extra = {7: "lock_now", 17: "lock_future", 27: "lock_past", 37: "lock_stock"}.get(
                _mix(idx, self.salt) % 50, ""
            )
        return self._rules_for(extra)

    def _rules_for(self, extra: str) -> tuple[Rule, ...]:
        e = self.epoch_ms
        if extra == "lock_now":
            return (
                Rule(
                    "聚划算活动下架锁定",
                    "商品正在参加聚划算活动，活动期间不允许下架",
                    RULE_DELIST_LOCK,
                    e - 2 * DAY_MS,
                    e + 14 * DAY_MS,
                ),
            )
        if extra == "lock_future":
            return (
                Rule(
                    "双11预售下架锁定",
                    "商品已报名双11预售，活动期间不允许下架",
                    RULE_DELIST_LOCK,
                    e + 3 * DAY_MS,
                    e + 10 * DAY_MS,
                ),
            )
        if extra == "lock_past":
            return (
                Rule(
                    "618大促下架锁定",
                    "商品正在参加618大促，活动期间不允许下架",
                    RULE_DELIST_LOCK,
                    e - 20 * DAY_MS,
                    e - 5 * DAY_MS,
                ),
            )
        if extra == "lock_stock":
            return (
                Rule(
                    "天天特卖库存锁定",
                    "活动期间商品库存不允许减少",
                    RULE_STOCK_DECREASE_LOCK,
                    e - DAY_MS,
                    e + 7 * DAY_MS,
                ),
                Rule(
                    "天天特卖价格锁定",
                    "活动期间商品一口价不允许修改",
                    RULE_PRICE_LOCK,
                    e - DAY_MS,
                    e + 7 * DAY_MS,
                ),
            )
        return ()

    def second_kill(self, idx: int) -> str | None:
        """TOP 秒杀 flag (`second_kill`): such items can be delisted, never relisted (gotcha 3)."""
        if self.platform != TAOBAO:
            return None
        if idx in self.flash_override:
            return self.flash_override[idx]
        showcase = SHOWCASES[TAOBAO]
        if idx < len(showcase):
            return "web_only" if showcase[idx].extra == "flash" else None
        return "web_and_wap" if _mix(idx, self.salt) % 67 == 3 else None

    def violation(self, idx: int) -> Violation | None:
        """The violation behind a platform delist, when the item is in a violation state."""
        if self.state[idx] not in VIOLATION_STATES[self.platform]:
            return None
        if idx in self.violations:
            return self.violations[idx]
        h = _mix(idx ^ 0x5A5A, self.salt)
        showcase = SHOWCASES[self.platform]
        if idx < len(showcase) and showcase[idx].extra in ("normal", "serious"):
            severity = showcase[idx].extra
        else:
            severity = "serious" if (h >> 3) & 3 == 0 else "normal"
        reasons = VIOLATION_REASONS[self.platform]
        delisted = self.epoch_ms - ((h >> 5) % (4 * 86400)) * 1000 - 60_000
        return Violation(severity, reasons[(h >> 9) % len(reasons)], delisted)

    def listed_ms(self, idx: int) -> int | None:
        """When the item was last listed (None for never-listed drafts)."""
        if idx in self.listed:
            return self.listed[idx]
        name = STATES[self.platform][self.state[idx]]
        if name in ("never_on_shelf", "5001", "4001", "4002", "4003", "4004"):
            return None
        c = self.created[idx]
        return c + (self.modified[idx] - c) // 3

    def delisted_ms(self, idx: int) -> int | None:
        """When the item was last delisted (None while it has never left the shelf)."""
        if idx in self.delisted:
            return self.delisted[idx]
        if self.state[idx] in ACTIVE_STATES[self.platform] or self.listed_ms(idx) is None:
            return None
        return self.modified[idx]

    # -- mutations -------------------------------------------------------------------------

    def touch(self, idx: int, now_ms: int) -> None:
        """Record a change: `modified` strictly increases, so incremental sync sees it."""
        self.modified[idx] = max(now_ms, self.modified[idx] + 1)
        self.version += 1

    def set_state(self, idx: int, code: int, now_ms: int) -> None:
        """Move an item to a state, recording list/delist times."""
        was_active = self.state[idx] in ACTIVE_STATES[self.platform]
        self.state[idx] = code
        is_active = code in ACTIVE_STATES[self.platform]
        if is_active and not was_active:
            self.listed[idx] = now_ms
        elif was_active and not is_active:
            self.delisted[idx] = now_ms
        self.touch(idx, now_ms)

    def set_stock(self, idx: int, qty: int, now_ms: int) -> None:
        """Set the item total; SKU stock is re-split evenly."""
        self.stock[idx] = qty
        self.sku_qty.pop(idx, None)
        self.touch(idx, now_ms)

    def set_sku_stock(self, idx: int, j: int, qty: int, now_ms: int) -> None:
        """Set one SKU's stock; the item total follows (sum of SKUs, §1.6)."""
        q = self.sku_quantities(idx)
        q[j] = qty
        self.sku_qty[idx] = q
        self.stock[idx] = sum(q)
        self.touch(idx, now_ms)

    def set_price(self, idx: int, cents: int, now_ms: int) -> None:
        """Set the item price (in cents)."""
        self.price[idx] = cents
        self.touch(idx, now_ms)

    # -- canonical form --------------------------------------------------------------------

    def record(self, idx: int) -> dict[str, object]:
        """Everything the sandbox knows about an item, platform-neutral and canonical."""
        k = self.nsku[idx]
        qty = self.sku_quantities(idx)
        off = self.sku_off.get(idx, set())
        v = self.violation(idx)
        return {
            "id": self.id_of(idx),
            "state": STATES[self.platform][self.state[idx]],
            "stock": self.stock[idx],
            "price_cents": self.price[idx],
            "title": self.title_of(idx),
            "outer_id": self.outer_id(idx),
            "created_ms": self.created[idx],
            "modified_ms": self.modified[idx],
            "listed_ms": self.listed_ms(idx),
            "delisted_ms": self.delisted_ms(idx),
            "skus": [
                [self.sku_id(idx, j), qty[j], self.sku_price(idx, j), j in off] for j in range(k)
            ],
            "rules": [[r.type, r.name, r.start_ms, r.end_ms] for r in self.rules(idx)],
            "second_kill": self.second_kill(idx),
            "violation": None if v is None else [v.severity, v.reason, v.delisted_ms],
        }


class Catalog:
    """All shops' items, generated from (seed, items per shop, epoch, shops)."""

    def __init__(
        self,
        *,
        seed: int,
        items: int,
        epoch_ms: int,
        shops: Sequence[ShopSpec] = DEFAULT_SHOPS,
    ) -> None:
        if items < 0:
            raise ValueError("items must be >= 0")
        self.seed = seed
        self.items = items
        self.epoch_ms = epoch_ms
        self.shops: dict[str, ShopCatalog] = {}
        ordinals: dict[str, int] = {}
        for spec in shops:
            if spec.platform not in PLATFORMS:
                raise ValueError(f"unknown platform {spec.platform!r}")
            if spec.key in self.shops:
                raise ValueError(f"duplicate shop key {spec.key!r}")
            ordinal = ordinals.get(spec.platform, 0)
            ordinals[spec.platform] = ordinal + 1
            self.shops[spec.key] = ShopCatalog(spec, ordinal, seed, items, epoch_ms)

    def of_platform(self, platform: str) -> Iterable[ShopCatalog]:
        """The shops of one platform, in declaration order."""
        return (s for s in self.shops.values() if s.platform == platform)

    def locate(self, platform: str, item_id: int) -> tuple[ShopCatalog, int] | None:
        """Find which shop of a platform owns an item id."""
        for shop in self.of_platform(platform):
            idx = shop.idx_of(item_id)
            if idx is not None:
                return shop, idx
        return None

    def dump(self) -> bytes:
        """Canonical serialisation: one JSON header per shop, then one JSON line per item.

        Byte-identical for the same seed, N, epoch and shops; that is the determinism contract.
        """
        out: list[str] = [
            json.dumps({"seed": self.seed, "items": self.items, "epoch_ms": self.epoch_ms})
        ]
        for key, shop in self.shops.items():
            out.append(
                json.dumps({"shop": key, "platform": shop.platform, "id_base": shop.id_base})
            )
            for idx in range(shop.n):
                out.append(
                    json.dumps(
                        shop.record(idx), ensure_ascii=False, sort_keys=True, separators=(",", ":")
                    )
                )
        return ("\n".join(out) + "\n").encode("utf-8")

    def digest(self) -> str:
        """SHA-256 of `dump()`."""
        return hashlib.sha256(self.dump()).hexdigest()
