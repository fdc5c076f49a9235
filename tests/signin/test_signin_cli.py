"""`shelf login NAME` as a subprocess against the sandbox: the answer on stdin (a pipe), the
URL and QR code on stderr, the exit codes of design.md."""

from __future__ import annotations

import hashlib
import json
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from signkit import decode, with_param

from shelf_tui.sandbox import Sandbox

#: Not on this machine: no test starts a loopback listener unless it means to.
REDIRECT = "https://shelf.example/callback"
QR_GLYPHS = set("█▀▄ ")


@pytest.fixture
def live_sb() -> Iterator[Sandbox]:
    """A sandbox on the real clock: the subprocess signs TOP calls with the real time."""
    with Sandbox(items=4, seed=9) as sandbox:
        yield sandbox


def shelf(
    env: dict[str, str], *args: str, input: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "shelf_tui", *args],
        input=input,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def add(env: dict[str, str], sb: Sandbox, name: str, redirect: str | None = REDIRECT) -> None:
    e = next(s for s in sb.info["shops"] if s["name"] == name)
    args = ["shop", "add", name, "--platform", e["platform"], "--app-key", e["app_key"]]
    args += ["--gateway", e["gateway"]]
    if e.get("oauth"):
        args += ["--oauth", e["oauth"]]
    if e.get("site"):
        args += ["--site", e["site"]]
    if e.get("region"):
        args += ["--region", e["region"]]
    if redirect:
        args += ["--redirect-uri", redirect]
    done = shelf(env, *args, input=e["app_secret"] + "\n")
    assert done.returncode == 0, done.stderr


def shop_json(env: dict[str, str], name: str) -> dict[str, Any]:
    done = shelf(env, "shop", "list", "--json")
    return next(json.loads(line) for line in done.stdout.splitlines() if name in line)


class Login:
    """`shelf login NAME` running, its URL and QR code read off stderr."""

    def __init__(self, env: dict[str, str], name: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "shelf_tui", "login", name],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            text=True,
        )
        assert self.proc.stderr is not None
        self.head: list[str] = []
        self.url = ""
        self.qr: list[str] = []
        for line in self.proc.stderr:  # the URL, the code, then what to paste
            self.head.append(line)
            text = line.rstrip("\n")
            if not self.url and text.strip().startswith("http"):
                self.url = text.strip()
            elif self.url and text and set(text) <= QR_GLYPHS:
                self.qr.append(text)
            elif text.startswith(("Approve, then paste", "Authorise the app")):
                break

    def answer(self, text: str | None) -> tuple[int, str, str]:
        out, err = self.proc.communicate(None if text is None else text + "\n", timeout=60)
        return self.proc.returncode, out, "".join(self.head) + err


def approve(url: str) -> str:
    answer = httpx.get(url, follow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text
    return answer.headers["location"]


def test_login_reads_the_redirect_url_from_stdin(cli_env: dict[str, str], live_sb: Sandbox) -> None:
    add(cli_env, live_sb, "tb-main")
    login = Login(cli_env, "tb-main")
    assert login.url.startswith(f"{live_sb.url}/authorize?response_type=code&client_id=")
    # the printed QR code (plain text: stderr is no terminal) is the URL
    assert decode(login.qr, ink="light") == [login.url]
    location = approve(login.url)
    code, out, err = login.answer(location)
    assert code == 0, err
    assert out.splitlines()[0] == "Signed in to tb-main as 沙箱小店 (seller 2200000001)."
    # the one-time code and the app secret reach no log, no database, no output
    one_time = httpx.URL(location).params["code"]
    secret = live_sb.credentials("tb-main")["app_secret"]
    home = Path(cli_env["SHELF_HOME"])
    for path in [p for p in home.rglob("*") if p.is_file()]:
        data = path.read_bytes()
        assert one_time.encode() not in data and secret.encode() not in data, path
    assert one_time not in out + err
    # tb-main is a service-market app: its 24 h token came with a refresh token
    assert "Token valid until" in out and "shelf refreshes it automatically" in out
    shop = shop_json(cli_env, "tb-main")
    assert shop["seller_nick"] == "沙箱小店" and shop["signed_in"] is True
    assert shop["token_expires_at"] and shop["token"] == "auto-refresh"


def test_a_top_token_without_a_refresh_token_says_sign_in_again_before_it_expires(
    cli_env: dict[str, str], live_sb: Sandbox
) -> None:
    """tm-flagship is a 商家后台 app: a fixed-length token, no refresh token (§1.4)."""
    add(cli_env, live_sb, "tm-flagship")
    login = Login(cli_env, "tm-flagship")
    code, out, err = login.answer(approve(login.url))
    assert code == 0, err
    assert "shelf cannot refresh it: sign in again before then." in out
    shop = shop_json(cli_env, "tm-flagship")
    assert shop["token"].startswith("valid until ")


@pytest.mark.parametrize("platform", ["mercadolibre", "taobao", "tmall"])
def test_shop_add_without_a_redirect_uri_is_refused_naming_the_flag(
    cli_env: dict[str, str], platform: str
) -> None:
    """ML's token exchange must send the registered redirect URI (§2.1); TOP's sign-in
    carries it too (§1.4): refused before anything is written, exit 2."""
    args = ["shop", "add", "x", "--platform", platform, "--app-key", "k"]
    if platform == "mercadolibre":
        args += ["--site", "MLM"]
    done = shelf(cli_env, *args, input="secret\n")
    assert done.returncode == 2 and done.stdout == ""
    words = "Mercado Libre" if platform == "mercadolibre" else "Taobao/Tmall"
    assert done.stderr.strip() == (
        f"shelf: --redirect-uri URL: {words} shops need the redirect URI registered for the "
        "app (the sign-in sends it and the platform checks it)"
    )
    assert shelf(cli_env, "shop", "list", "--json").stdout == ""
    done = shelf(cli_env, *args, "--redirect-uri", REDIRECT, input="secret\n")
    assert done.returncode == 0, done.stderr
    assert shop_json(cli_env, "x")["platform"] == platform


def test_login_takes_a_bare_code_on_stdin(cli_env: dict[str, str], live_sb: Sandbox) -> None:
    add(cli_env, live_sb, "ml-mx")
    code = live_sb.issue_code("ml-mx", REDIRECT)
    done = shelf(cli_env, "login", "ml-mx", input=f"\n{code}\n")
    assert done.returncode == 0, done.stderr
    assert "Signed in to ml-mx as SANDBOX_MX (seller 1500000001)." in done.stdout
    assert "shelf refreshes it automatically" in done.stdout
    assert code not in done.stdout + done.stderr  # never echoed back
    assert shop_json(cli_env, "ml-mx")["signed_in"] is True


@pytest.mark.parametrize(
    ("state", "words"),
    [("forged-state", "wrong state: this address is not from this sign-in"), (None, "no state")],
)
def test_a_wrong_or_missing_state_is_exit_2_and_nothing_is_stored(
    cli_env: dict[str, str], live_sb: Sandbox, state: str | None, words: str
) -> None:
    add(cli_env, live_sb, "tb-main")
    login = Login(cli_env, "tb-main")
    location = approve(login.url)
    code, out, err = login.answer(with_param(location, state=state))
    assert code == 2
    last = err.strip().splitlines()[-1]
    assert last.startswith("shelf: ") and words in last
    assert out == ""
    assert shop_json(cli_env, "tb-main")["signed_in"] is False
    # the code was never spent: the genuine redirect still signs in
    login = Login(cli_env, "tb-main")
    code, _, err = login.answer(approve(login.url))
    assert code == 0, err


def test_an_unknown_shop_is_exit_2(cli_env: dict[str, str]) -> None:
    done = shelf(cli_env, "login", "nope", input="x\n")
    assert done.returncode == 2
    assert done.stderr.strip() == "shelf: unknown shop 'nope' (see `shelf shop list`)"


def test_nothing_on_stdin_is_exit_2(cli_env: dict[str, str], live_sb: Sandbox) -> None:
    add(cli_env, live_sb, "tb-main")
    done = shelf(cli_env, "login", "tb-main", input="")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1] == (
        "shelf: nothing pasted: paste the code or redirect URL"
    )


def test_temu_takes_the_token_seller_center_shows(
    cli_env: dict[str, str], live_sb: Sandbox
) -> None:
    add(cli_env, live_sb, "temu-us", redirect=None)
    token = live_sb.credentials("temu-us")["access_token"]
    done = shelf(cli_env, "login", "temu-us", input=token + "\n")
    assert done.returncode == 0, done.stderr
    assert "Open Temu Seller Center here (or scan the code):" in done.stderr
    assert "https://seller.temu.com/open-platform/client-manage?app_key=" in done.stderr
    assert "Signed in to temu-us as" in done.stdout
    assert "Scopes: " in done.stdout and "bg.local.goods.sale.status.set" in done.stdout
    assert token not in done.stdout + done.stderr


def test_a_refused_code_is_exit_3(cli_env: dict[str, str], live_sb: Sandbox) -> None:
    add(cli_env, live_sb, "tb-main")
    done = shelf(cli_env, "login", "tb-main", input="not-a-real-code\n")
    assert done.returncode == 3
    line = done.stderr.strip().splitlines()[-1]
    assert line.startswith("shelf: ") and "authorization code was refused" in line
    assert "not-a-real-code" not in done.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_loopback_redirect_finishes_the_sign_in_without_pasting(
    cli_env: dict[str, str], live_sb: Sandbox
) -> None:
    redirect = f"http://127.0.0.1:{_free_port()}/shelf-callback"
    add(cli_env, live_sb, "tb-main", redirect=redirect)
    login = Login(cli_env, "tb-main")
    # stdin stays open and empty: only the browser answers
    assert login.proc.stderr is not None
    listening = login.proc.stderr.readline()
    assert "listening on 127.0.0.1:" in listening
    page = httpx.get(login.url, follow_redirects=True, timeout=10)  # the browser's trip
    assert page.status_code == 200 and "shelf got the sign-in" in page.text
    code, out, err = login.answer(None)
    assert code == 0, err
    assert "Signed in to tb-main as 沙箱小店" in out


# -- the keyring policy: exit 3, nothing written ------------------------------------------------


def _files(root: Path) -> dict[str, tuple[int, str]]:
    """Every file under `root` (home, XDG dirs, shelf's home): size and content hash."""
    found = {}
    for path in sorted(root.rglob("*")):
        if path.is_file():
            data = path.read_bytes()
            found[str(path.relative_to(root))] = (len(data), hashlib.sha256(data).hexdigest())
    return found


def _changed(before: dict[str, Any], after: dict[str, Any]) -> set[str]:
    return {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}


def test_with_keyrings_fail_backend_login_is_one_line_exit_3_and_writes_nothing(
    cli_env: dict[str, str], live_sb: Sandbox, tmp_path: Path
) -> None:
    add(cli_env, live_sb, "tb-main")
    log_dir = Path(shelf(cli_env, "locate", "logs").stdout.strip())
    before = _files(tmp_path)
    env = dict(cli_env, PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
    done = shelf(env, "login", "tb-main", input=approve_any(live_sb) + "\n")
    assert done.returncode == 3
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("shelf: no usable keyring: keyring found no usable backend.")
    assert "dbus-run-session" in lines[0] and "PYTHON_KEYRING_BACKEND=" in lines[0]
    changed = _changed(before, _files(tmp_path))
    assert all((tmp_path / c).parent == log_dir for c in changed), changed


def test_with_keyrings_fail_backend_a_fresh_home_gets_only_a_log(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    before = _files(tmp_path)
    env = dict(cli_env, PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
    done = shelf(env, "login", "tb-main", input="code\n")
    assert done.returncode == 3 and len(done.stderr.strip().splitlines()) == 1
    log_dir = Path(shelf(cli_env, "locate", "logs").stdout.strip())
    created = _changed(before, _files(tmp_path))
    assert created and all((tmp_path / c).parent == log_dir for c in created), created


def approve_any(sb: Sandbox) -> str:
    """Some redirect URL (its state cannot match: the keyring is refused before it matters)."""
    return f"{REDIRECT}?code={sb.issue_code('tb-main', REDIRECT)}&state=x"
