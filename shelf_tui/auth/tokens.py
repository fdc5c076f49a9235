"""The keyring token store and the keyring policy.

Secrets (app secrets, access and refresh tokens) live only in the OS keyring: service
`shelf`, one entry per shop and kind (username `<shop>:<kind>`). Never in SQLite, config files,
logs or exception messages.

Policy: keyring picks a backend by priority, and on a headless box with keyrings.alt installed
it silently picks a *plaintext* file. shelf refuses that, and keyring's fail backend, the null
backend and an empty chainer, unless the seller chose the backend explicitly
(PYTHON_KEYRING_BACKEND or keyringrc.cfg): then it is their decision and it is honoured.
Refusing raises KeyringUnavailable (exit 3) with the one-line fix, before anything is written.

Keyring calls may block (a desktop unlock prompt, D-Bus), so the async wrappers run them in a
thread; the console and the job engine never call the blocking ones from the event loop.
"""

from __future__ import annotations

import asyncio
import configparser
import os
from collections.abc import Iterable
from typing import Any

from shelf_tui import logs
from shelf_tui.errors import SignInNeeded
from shelf_tui.marketplaces.credentials import Credentials

SERVICE = "shelf"
KINDS = ("app_secret", "access_token", "refresh_token")

KEYRING_FIX = (
    "run shelf under `dbus-run-session -- sh -c 'echo -n PASSWORD | gnome-keyring-daemon "
    "--unlock; shelf ...'`, or choose a backend with PYTHON_KEYRING_BACKEND, e.g. "
    "PYTHON_KEYRING_BACKEND=keyrings.cryptfile.cryptfile.CryptFileKeyring "
    "(pip install keyrings.cryptfile)"
)

log = logs.get("auth.keyring")


class KeyringUnavailable(SignInNeeded):
    """No usable keyring backend: nothing can be signed in, and nothing was written."""


def backend_name(backend: Any) -> str:
    return f"{type(backend).__module__}.{type(backend).__name__}"


def _is_plaintext(backend: Any) -> bool:
    """keyrings.alt's PlaintextKeyring (file and pyfs flavours): secrets readable by anyone
    who can read the file."""
    return "plaintext" in type(backend).__name__.lower()


def explicit_choice() -> str | None:
    """The backend the user named (PYTHON_KEYRING_BACKEND or keyringrc.cfg), if any."""
    env = os.environ.get("PYTHON_KEYRING_BACKEND", "").strip()
    if env:
        return env
    try:
        from keyring.core import _config_path

        path = _config_path()  # type: ignore[no-untyped-call]
        if not path.exists():
            return None
        config = configparser.RawConfigParser()
        config.read(path, encoding="utf-8")
        if config.has_option("backend", "default-keyring"):
            return config.get("backend", "default-keyring").strip() or None
    except (OSError, configparser.Error, ImportError):
        return None
    return None


def refusal(backend: Any) -> str | None:
    """Why this backend may not hold shelf's secrets, or None when it may."""
    from keyring.backends import chainer, fail, null

    name = backend_name(backend)
    if isinstance(backend, fail.Keyring):
        return "keyring found no usable backend"
    if isinstance(backend, null.Keyring):
        return "the keyring is disabled (null backend)"
    if isinstance(backend, chainer.ChainerBackend):
        if not [b for b in backend.backends if refusal(b) is None]:
            return "keyring's chainer has no usable backend"
        return None
    if _is_plaintext(backend) and explicit_choice() is None:
        return (
            f"the only keyring backend is {name}, which stores secrets in a plaintext file; "
            "shelf does not use it unless you choose it explicitly"
        )
    return None


def usable_backend() -> Any:
    """The keyring backend shelf may use, or KeyringUnavailable with the fix. Writes nothing.

    A chainer is resolved to its first acceptable backend, so a plaintext file it also
    chains can never receive a secret."""
    import keyring
    from keyring.backends import chainer

    try:
        backend = keyring.get_keyring()
    except Exception as exc:  # a broken keyringrc.cfg or backend import
        raise KeyringUnavailable(
            f"no usable keyring backend ({type(exc).__name__}): {KEYRING_FIX}"
        ) from None
    why = refusal(backend)
    if why is not None:
        log.warning("keyring refused: %s", why)
        raise KeyringUnavailable(f"no usable keyring: {why}. Fix: {KEYRING_FIX}")
    if isinstance(backend, chainer.ChainerBackend):
        return next(b for b in backend.backends if refusal(b) is None)
    return backend


def _username(shop: str, kind: str) -> str:
    if kind not in KINDS:
        raise ValueError(f"unknown secret kind {kind!r}")
    return f"{shop}:{kind}"


class TokenStore:
    """A shop's secrets in the keyring. Blocking methods plus `a*` wrappers for async code."""

    def __init__(self, backend: Any | None = None) -> None:
        self.backend = backend if backend is not None else usable_backend()

    @classmethod
    async def aopen(cls) -> TokenStore:
        """Resolve the backend off the event loop (detection may touch D-Bus)."""
        return cls(await asyncio.to_thread(usable_backend))

    def _fail(self, op: str, exc: BaseException) -> KeyringUnavailable:
        # The exception text of a backend may quote what it was given: never show it.
        log.warning("keyring %s failed in %s: %s", op, backend_name(self.backend), type(exc))
        return KeyringUnavailable(
            f"the keyring ({backend_name(self.backend)}) failed to {op} "
            f"({type(exc).__name__}; locked or no D-Bus session?). Fix: {KEYRING_FIX}"
        )

    # -- blocking ---------------------------------------------------------------------------

    def get(self, shop: str, kind: str) -> str:
        try:
            value = self.backend.get_password(SERVICE, _username(shop, kind))
        except Exception as exc:
            raise self._fail("read a secret", exc) from None
        return value or ""

    def set(self, shop: str, kind: str, value: str) -> None:
        if not value:
            self.delete(shop, kind)
            return
        try:
            self.backend.set_password(SERVICE, _username(shop, kind), value)
        except Exception as exc:
            raise self._fail("store a secret", exc) from None

    def delete(self, shop: str, kind: str) -> None:
        from keyring.errors import PasswordDeleteError

        try:
            self.backend.delete_password(SERVICE, _username(shop, kind))
        except PasswordDeleteError:
            return  # nothing stored: already gone
        except Exception as exc:
            raise self._fail("delete a secret", exc) from None

    def load(self, shop: str) -> Credentials:
        return Credentials(
            app_secret=self.get(shop, "app_secret"),
            access_token=self.get(shop, "access_token"),
            refresh_token=self.get(shop, "refresh_token"),
        )

    def save(self, shop: str, **values: str | None) -> None:
        """Store the given kinds (None leaves a kind alone, "" deletes it). Refresh token first:
        if the process dies between the two writes, the stored refresh token is the new one
        (the old one is already spent) and the next refresh still works."""
        for kind in ("refresh_token", "access_token", "app_secret"):
            value = values.pop(kind, None)
            if value is not None:
                self.set(shop, kind, value)
        if values:
            raise ValueError(f"unknown secret kinds: {', '.join(values)}")

    def remove(self, shop: str, kinds: Iterable[str] = KINDS) -> None:
        for kind in kinds:
            self.delete(shop, kind)

    # -- async ------------------------------------------------------------------------------

    async def aget(self, shop: str, kind: str) -> str:
        return await asyncio.to_thread(self.get, shop, kind)

    async def aload(self, shop: str) -> Credentials:
        return await asyncio.to_thread(self.load, shop)

    async def asave(self, shop: str, **values: str | None) -> None:
        await asyncio.to_thread(lambda: self.save(shop, **values))

    async def aremove(self, shop: str) -> None:
        await asyncio.to_thread(self.remove, shop)
