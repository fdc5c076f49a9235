"""The keyring token store and the keyring policy (no silent plaintext, fail/null/empty
chainer refused, an explicit choice honoured)."""

from __future__ import annotations

from pathlib import Path

import keyring
import pytest
from keyring.backends import chainer, fail, null
from keyrings.alt.file import PlaintextKeyring

from shelf_tui.auth import KEYRING_FIX, SERVICE, KeyringUnavailable, TokenStore, usable_backend


def test_secrets_round_trip_one_entry_per_shop_and_kind(memory_keyring) -> None:  # type: ignore[no-untyped-def]
    tokens = TokenStore()
    tokens.save("tb-main", app_secret="s3cret", access_token="tok", refresh_token="ref")
    assert memory_keyring.entries == {
        (SERVICE, "tb-main:app_secret"): "s3cret",
        (SERVICE, "tb-main:access_token"): "tok",
        (SERVICE, "tb-main:refresh_token"): "ref",
    }
    creds = tokens.load("tb-main")
    assert (creds.app_secret, creds.access_token, creds.refresh_token) == ("s3cret", "tok", "ref")
    assert "s3cret" not in repr(creds) and "tok" not in repr(creds)
    tokens.save("tb-main", refresh_token="")  # "" deletes, None leaves alone
    assert (
        tokens.load("tb-main").refresh_token == "" and tokens.load("tb-main").access_token == "tok"
    )
    tokens.remove("tb-main")
    tokens.remove("tb-main")  # already gone: fine
    assert memory_keyring.entries == {}


async def test_async_wrappers(memory_keyring) -> None:  # type: ignore[no-untyped-def]
    tokens = await TokenStore.aopen()
    await tokens.asave("ml-mx", access_token="a", refresh_token="r")
    assert (await tokens.aload("ml-mx")).refresh_token == "r"
    assert await tokens.aget("ml-mx", "access_token") == "a"
    await tokens.aremove("ml-mx")
    assert memory_keyring.entries == {}


@pytest.fixture
def installed():  # type: ignore[no-untyped-def]
    previous = keyring.get_keyring()
    yield keyring.set_keyring
    keyring.set_keyring(previous)


def refused() -> str:
    with pytest.raises(KeyringUnavailable) as info:
        usable_backend()
    assert info.value.exit_code == 3
    assert KEYRING_FIX in str(info.value)
    assert "PYTHON_KEYRING_BACKEND" in str(info.value) and "dbus-run-session" in str(info.value)
    assert "\n" not in str(info.value)
    return str(info.value)


def test_the_fail_backend_is_refused(installed) -> None:  # type: ignore[no-untyped-def]
    installed(fail.Keyring())
    assert "no usable backend" in refused()


def test_the_null_backend_is_refused(installed) -> None:  # type: ignore[no-untyped-def]
    installed(null.Keyring())
    assert "disabled" in refused()


def test_an_empty_chainer_is_refused(installed, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(chainer.backend, "get_all_keyring", lambda: [])
    installed(chainer.ChainerBackend())
    assert "chainer" in refused()


def test_a_plaintext_file_picked_silently_is_refused(installed, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    installed(PlaintextKeyring())
    assert "plaintext" in refused()
    assert not list(tmp_path.rglob("keyring_pass.cfg"))  # nothing was written


def test_a_chainer_never_hands_a_secret_to_its_plaintext_member(
    installed, monkeypatch, memory_keyring
) -> None:  # type: ignore[no-untyped-def]
    plain = PlaintextKeyring()
    monkeypatch.setattr(chainer.backend, "get_all_keyring", lambda: [plain, memory_keyring])
    installed(chainer.ChainerBackend())
    assert usable_backend() is memory_keyring
    monkeypatch.setattr(chainer.backend, "get_all_keyring", lambda: [plain])
    refused()


def test_plaintext_chosen_with_the_environment_is_honoured(installed, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyrings.alt.file.PlaintextKeyring")
    installed(PlaintextKeyring())
    assert isinstance(usable_backend(), PlaintextKeyring)


def test_plaintext_chosen_in_keyringrc_is_honoured(installed) -> None:  # type: ignore[no-untyped-def]
    from keyring.core import _config_path

    path = _config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("[backend]\ndefault-keyring=keyrings.alt.file.PlaintextKeyring\n")
    installed(PlaintextKeyring())
    assert isinstance(usable_backend(), PlaintextKeyring)


def test_a_failing_backend_is_one_line_without_the_secret(installed) -> None:  # type: ignore[no-untyped-def]
    from keyring.backend import KeyringBackend
    from keyring.errors import KeyringLocked

    class Locked(KeyringBackend):
        priority = 1  # type: ignore[assignment]

        def get_password(self, service: str, username: str) -> str | None:
            raise KeyringLocked("collection is locked")

        def set_password(self, service: str, username: str, password: str) -> None:
            raise KeyringLocked(f"cannot store {password}")

        def delete_password(self, service: str, username: str) -> None:
            raise KeyringLocked("locked")

    installed(Locked())
    tokens = TokenStore()
    with pytest.raises(KeyringUnavailable) as info:
        tokens.save("tb-main", access_token="TOPSECRET-TOKEN")
    assert "TOPSECRET" not in str(info.value) and "KeyringLocked" in str(info.value)
    with pytest.raises(KeyringUnavailable):
        tokens.load("tb-main")
