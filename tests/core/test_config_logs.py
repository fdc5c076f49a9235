"""config.toml round trip and validation; secret redaction in every shape."""

from __future__ import annotations

import json
import logging
import tomllib
from pathlib import Path
from urllib.parse import quote

import pytest

from shelf_tui import config, logs


def test_generated_default_is_valid_documented_toml(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    config.write_default(path)
    text = path.read_text()
    assert config.load(path) == config.Config()
    # every option is present with a comment above it
    for (_section, key), doc in config.DOCS.items():
        assert f"\n{key} = " in text or text.startswith(f"{key} =") or f"{key} = " in text
        assert doc.split()[0] in text
    tomllib.loads(text)


def test_write_default_never_clobbers_edits(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("read_only = true\n")
    config.write_default(path)
    assert config.load(path).read_only is True


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("readonly = true", "unknown option 'readonly'"),
        ("[ui]\nthem = 'x'", "unknown option ui.them"),
        ("[jobs]\nconcurrency = 'four'", "jobs.concurrency: expected a whole number"),
        ("[jobs]\nconcurrency = -1", "must not be negative"),
        ("read_only = 1", "expected true or false"),
        ("[keymap]\ndelist = 3", "[keymap] maps binding ids"),
        ("read_only = tru", "config.toml"),
    ],
)
def test_bad_config_names_the_key(tmp_path: Path, text: str, fragment: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(text)
    with pytest.raises(config.ConfigError) as info:
        config.load(path)
    assert fragment in str(info.value)


def test_keymap_and_rates_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[keymap]\ndelist = "ctrl+d"\n[rates]\ntb-main = 5\n')
    cfg = config.load(path)
    assert cfg.keymap == {"delist": "ctrl+d"} and cfg.rates == {"tb-main": 5.0}


SECRETS = {
    "session": "6100b21ZZsessionVALUE",
    "access_token": "APP_USR-accessVALUE",
    "refresh_token": "TG-refreshVALUE",
    "client_secret": "clientSECRETvalue",
    "app_secret": "appSECRETvalue99",
    "code": "TGcodeVALUE123",
    "sign": "BD98E1F5292031F7C026041D072A9180",
}


def _shapes(name: str, value: str) -> list[tuple[str, tuple[object, ...]]]:
    return [
        ("request %s", ({name: value, "method": "taobao.item.update.delisting"},)),
        ("url %s", (f"https://eco.taobao.com/router/rest?app_key=1&{name}={value}&v=2.0",)),
        ("body %s", (f"grant_type=x&{name}={value}",)),
        ("json %s", (json.dumps({"data": {name: value}}),)),
        ("pretty %s", (json.dumps({"data": {name: value}}, indent=2),)),
        # a JSON body carried as a string inside another JSON document
        ("wrapped %s", (json.dumps({"body": json.dumps({name: value}), "status": 200}),)),
        ("repr %r", ({"nested": [{name: value}]},)),
        ("upper %s", ({name.upper(): value},)),
        (f"{name}={value} retrying", ()),
        ("line %s", (f"{name}: {value}",)),
        ("bytes %s", (f"{name}={value}".encode(),)),
        # httpx form data and raw header lists are sequences of pairs
        ("pairs %s", ([("grant_type", "refresh_token"), (name, value)],)),
        ("raw pairs %s", ([(name.encode(), value.encode())],)),
        # a dataclass or keyword-argument repr
        ("tokens %s", (f"Tokens({name}={value!r}, expires_in=21600)",)),
        # a callback URL carried URL-encoded inside another query string
        ("redirect %s", (f"next={quote(f'https://cb.example/?{name}={value}&state=s', safe='')}",)),
        ("xml %s", (f"<r><{name}>{value}</{name}></r>",)),
    ]


@pytest.mark.parametrize("name", sorted(SECRETS))
def test_redaction_in_every_shape(name: str, tmp_path: Path) -> None:
    path = logs.setup(tmp_path / "logs")
    log = logs.get("test")
    value = SECRETS[name]
    for fmt, args in _shapes(name, value):
        log.warning(fmt, *args)
    try:
        raise RuntimeError(f"boom with {name}={value}")
    except RuntimeError:
        log.exception("failed")
    for handler in logging.getLogger("shelf").handlers:
        handler.flush()
    text = path.read_text()
    assert value not in text
    assert text.count("***") >= len(_shapes(name, value))


@pytest.mark.parametrize(
    ("fmt", "arg"),
    [
        ("headers %s", {"Authorization": "Bearer APP_USR-123secret", "Accept": "json"}),
        ("headers %s", {"authorization": ["Bearer APP_USR-123secret"], "Accept": "json"}),
        ("raw header %s", "Authorization: Bearer APP_USR-123secret"),
        ("raw header %s", "Proxy-Authorization: Basic QVBQX1VTUi0xMjNzZWNyZXQ="),
        ("pairs %s", [("Authorization", "Bearer APP_USR-123secret"), ("Accept", "json")]),
        ("raw %s", [(b"authorization", b"Bearer APP_USR-123secret"), (b"accept", b"json")]),
        ("json %s", '{"headers": {"Authorization": "Bearer APP_USR-123secret"}}'),
        ("query %s", "authorization=Bearer%20APP_USR-123secret&accept=json"),
    ],
)
def test_authorization_headers_are_redacted(tmp_path: Path, fmt: str, arg: object) -> None:
    path = logs.setup(tmp_path / "logs")
    log = logs.get("test")
    log.info(fmt, arg)
    for handler in logging.getLogger("shelf").handlers:
        handler.flush()
    text = path.read_text()
    assert "APP_USR-123secret" not in text and "QVBQX1VTUi0xMjNzZWNyZXQ=" not in text
    assert "***" in text
    assert ("json" in text) == ("json" in fmt % (arg,))  # the rest stays readable


def test_httpx_request_headers_never_show_the_bearer(tmp_path: Path) -> None:
    import httpx

    path = logs.setup(tmp_path / "logs")
    request = httpx.Request(
        "GET", "https://api.example/users/me", headers={"Authorization": "Bearer APP_USR-9z"}
    )
    log = logs.get("test")
    log.info("sent %s %s", request.headers, request.headers.raw)
    log.info("sent %s", dict(request.headers))
    for handler in logging.getLogger("shelf").handlers:
        handler.flush()
    assert "APP_USR-9z" not in path.read_text()


def test_redact_masks_secret_keys_in_any_case() -> None:
    assert logs.redact(
        {"Access_Token": "a", "AUTHORIZATION": "b", b"sign": b"c", "ok": {"accessToken": "d"}}
    ) == {
        "Access_Token": "***",
        "AUTHORIZATION": "***",
        b"sign": "***",
        "ok": {"accessToken": "***"},
    }


def test_error_codes_and_harmless_names_stay_readable() -> None:
    text = logs.redact_text(
        '{"error_response":{"code":27,"msg":"Invalid session","sub_code":"invalid-sessionkey"}}'
    )
    assert '"code":27' in text and "invalid-sessionkey" in text
    # error codes in log lines, and names that only contain a secret name, stay readable
    line = "code=27 sub_code=isv.x sign_method=md5 session_id=s1 errorCode=3000034 msg=session"
    assert logs.redact_text(line) == line
    prose = "this address has no code: paste the one you land on; session: expired"
    assert logs.redact_text(prose) == prose
    assert logs.redact({"errorCode": 3000034, "sign_method": "md5"}) == {
        "errorCode": 3000034,
        "sign_method": "md5",
    }
