"""`shelf doctor`: what a seller (or a support thread) needs to know about this machine."""

from __future__ import annotations

import contextlib
import os
import platform
import secrets
import sys
from collections.abc import Iterator
from importlib import metadata

from shelf_tui import __version__
from shelf_tui.paths import Paths

Check = tuple[str, str, bool]

KEYRING_FIX = (
    "no usable keyring backend: run shelf under `dbus-run-session -- sh -c "
    "'echo -n PASSWORD | gnome-keyring-daemon --unlock; shelf ...'`, or pick a backend with "
    "PYTHON_KEYRING_BACKEND, e.g. keyrings.cryptfile.cryptfile.CryptFileKeyring "
    "(pip install keyrings.cryptfile)"
)


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def keyring_check() -> Check:
    """Store a random secret, read it back and delete it."""
    try:
        import keyring
        from keyring.backends import fail

        backend = keyring.get_keyring()
        name = f"{type(backend).__module__}.{type(backend).__name__}"
        if isinstance(backend, fail.Keyring):
            return ("keyring", f"{name}: {KEYRING_FIX}", False)
        probe = secrets.token_hex(8)
        keyring.set_password("shelf-doctor", "probe", probe)
        try:
            ok = keyring.get_password("shelf-doctor", "probe") == probe
        finally:
            # The check's result matters, not the cleanup.
            with contextlib.suppress(Exception):
                keyring.delete_password("shelf-doctor", "probe")
        if not ok:
            return ("keyring", f"{name}: stored a secret but read back something else", False)
        return ("keyring", f"{name}: stores and reads back a secret", True)
    except Exception as exc:
        return ("keyring", f"{type(exc).__name__}: {exc}. {KEYRING_FIX}", False)


def diagnose(paths: Paths) -> Iterator[Check]:
    yield ("shelf", __version__, True)
    yield ("python", f"{platform.python_version()} ({sys.executable})", sys.version_info >= (3, 11))
    yield ("textual", _version("textual"), _version("textual") != "not installed")
    yield keyring_check()
    yield ("TERM", os.environ.get("TERM", "(unset)"), bool(os.environ.get("TERM")))
    yield ("COLORTERM", os.environ.get("COLORTERM", "(unset: 256 colours at most)"), True)
    try:
        from shelf_tui.ui.terminal import color_system

        yield ("colour system", color_system(), True)
    except Exception as exc:  # a broken terminal database must not stop the report
        yield ("colour system", f"unknown ({exc})", False)
    yield ("config dir", str(paths.config_dir), True)
    yield ("data dir", str(paths.data_dir), True)
    yield ("log dir", str(paths.log_dir), True)
    if paths.db_file.exists():
        try:
            from shelf_tui.store import Store

            store = Store.open(paths.db_file, readonly=True)
            try:
                size = store.size_bytes()
                yield ("database", f"{paths.db_file} ({size / 1e6:.1f} MB)", True)
                yield ("schema version", str(store.schema_version), True)
                yield ("shops", str(len(store.shops.all())), True)
            finally:
                store.close()
        except Exception as exc:
            yield ("database", str(exc), False)
    else:
        yield ("database", f"{paths.db_file} (not created yet)", True)
    if paths.config_file.exists():
        from shelf_tui.config import ConfigError, load

        try:
            load(paths.config_file)
            yield ("config.toml", "valid", True)
        except ConfigError as exc:
            yield ("config.toml", str(exc), False)
    else:
        yield ("config.toml", "not written yet (defaults)", True)
