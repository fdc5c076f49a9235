"""Sign-in plumbing: the keyring token store, OAuth per platform, and `connect`.

    async with connect(store, "tb-main") as market:   # a ready Marketplace
        ...

`connect` reads the shop from the store and its secret and tokens from the keyring, and gives
Mercado Libre connectors (and TOP connectors of a shop that holds a refresh token) a
single-flight refresh that persists the new token pair (keyring) and its expiry (store)
before using it. Keyring policy and the one-line fix: tokens.py.
"""

from shelf_tui.auth.login import WrongSeller, sign_in_with_code, sign_in_with_tokens
from shelf_tui.auth.oauth import (
    TokenSet,
    authorize_url,
    exchange_code,
    introspect,
    oauth_base,
    refresh,
)
from shelf_tui.auth.session import ShopRefresher, connect, open_market
from shelf_tui.auth.tokens import (
    KEYRING_FIX,
    SERVICE,
    KeyringUnavailable,
    TokenStore,
    usable_backend,
)

__all__ = [
    "KEYRING_FIX",
    "SERVICE",
    "KeyringUnavailable",
    "ShopRefresher",
    "TokenSet",
    "TokenStore",
    "WrongSeller",
    "authorize_url",
    "connect",
    "exchange_code",
    "introspect",
    "oauth_base",
    "open_market",
    "refresh",
    "sign_in_with_code",
    "sign_in_with_tokens",
    "usable_backend",
]
