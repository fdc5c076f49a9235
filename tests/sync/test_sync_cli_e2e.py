"""End to end from the command line against `shelf sandbox`: shop add, login --token-stdin,
sync, items --json; a second sync after server-side changes; secrets nowhere on disk; the
keyring policy; Ctrl-C during a sync."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from connkit import EXPECTED, platform_of
from keyrings.alt.escape import escape

from shelf_tui.domain import Action, Shop
from shelf_tui.marketplaces import Credentials, create
from shelf_tui.sandbox import Sandbox
from shelf_tui.store import Event, Store

ITEMS = 120
SEED = 4
SHOPS = ("tb-main", "tm-flagship", "ml-mx", "temu-us")
#: The app's registered redirect URI: TOP and Mercado Libre shops need one (Temu has none).
REDIRECT = "https://shelf.example/callback"


def shelf(
    *args: str, env: dict[str, str], stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "shelf_tui", *args],
        capture_output=True,
        text=True,
        env=env,
        input=stdin,
        timeout=180,
    )


@pytest.fixture
def served(cli_env: dict[str, str]) -> Iterator[tuple[dict[str, Any], Sandbox]]:
    """`shelf sandbox` in its own process, and an identical catalog in this one (same seed,
    items and day) to know what every item's state is."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "shelf_tui", "sandbox", "--items", str(ITEMS), "--seed", str(SEED)],
        stdout=subprocess.PIPE,
        text=True,
        env=cli_env,
    )
    assert proc.stdout is not None
    info = json.loads(proc.stdout.readline())
    twin = Sandbox(items=ITEMS, seed=SEED)
    try:
        yield info, twin
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)


def entry(info: dict[str, Any], name: str) -> dict[str, Any]:
    return next(s for s in info["shops"] if s["name"] == name)


def add_and_login(env: dict[str, str], info: dict[str, Any], name: str) -> None:
    e = entry(info, name)
    args = ["shop", "add", name, "--platform", platform_of(e).value, "--gateway", e["gateway"]]
    args += ["--app-key", e["app_key"]]
    if e.get("site"):
        args += ["--site", e["site"]]
    if e.get("region"):
        args += ["--region", e["region"]]
    if e.get("oauth"):
        args += ["--oauth", e["oauth"]]
    if e["platform"] != "temu":
        args += ["--redirect-uri", REDIRECT]
    out = shelf(*args, env=env, stdin=e["app_secret"] + "\n")
    assert out.returncode == 0, out.stderr
    tokens = f"{e['access_token']}\n{e.get('refresh_token', '')}\n"
    out = shelf("login", name, "--token-stdin", env=env, stdin=tokens)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith(f"signed in to {name} as ")


def items_json(env: dict[str, str], *args: str) -> dict[tuple[str, str], dict[str, Any]]:
    out = shelf("items", "--json", *args, env=env)
    assert out.returncode == 0, out.stderr
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    return {(r["shop"], r["item_id"]): r for r in rows}


def twin_key(twin: Sandbox, shop: str, idx: int) -> str:
    cat = twin.catalog.shops[shop]
    return f"MLM{cat.id_of(idx)}" if cat.platform == "mercadolibre" else str(cat.id_of(idx))


async def act_elsewhere(info: dict[str, Any], name: str, item_id: str, action: Action) -> None:
    """Another tool changes an item on the platform (shelf is not involved)."""
    e = entry(info, name)
    shop = Shop(
        name=name,
        platform=platform_of(e),
        gateway=e["gateway"],
        app_key=e["app_key"],
        site=e.get("site", ""),
        region=e.get("region", ""),
        seller_id=e["seller_id"],
    )
    creds = Credentials(app_secret=e["app_secret"], access_token=e["access_token"])
    market = create(shop, creds)
    try:
        current = (await market.get_items([item_id]))[item_id]
        outcome = await market.set_status(current, action)
        assert outcome.kind.value == "ok", outcome
    finally:
        await market.aclose()


def secrets_of(info: dict[str, Any]) -> list[str]:
    out = []
    for e in info["shops"]:
        out += [e["app_secret"], e["access_token"]]
        if e.get("refresh_token"):
            out.append(e["refresh_token"])
    return out


def assert_no_secret_under(home: Path, secrets: list[str]) -> int:
    files = [p for p in home.rglob("*") if p.is_file()]
    for path in files:
        data = path.read_bytes()
        for secret in secrets:
            assert secret.encode() not in data, f"a secret is in {path}"
    return len(files)


@pytest.mark.slow
async def test_add_login_sync_items_then_exactly_the_server_side_changes(
    served: tuple[dict[str, Any], Sandbox], cli_env: dict[str, str], shelf_home: Path
) -> None:
    info, twin = served
    for name in SHOPS:
        add_and_login(cli_env, info, name)
    listed = shelf("shop", "list", env=cli_env)
    assert listed.returncode == 0 and all(n in listed.stdout for n in SHOPS)

    out = shelf("sync", env=cli_env)
    assert out.returncode == 0, out.stderr
    assert all(f"{n}: {ITEMS} items seen (full)" in out.stdout for n in SHOPS), out.stdout
    first = items_json(cli_env)
    for name in SHOPS:
        platform = twin.catalog.shops[name].platform
        ids = {k[1] for k in first if k[0] == name}
        assert ids == {str(x) for x in twin.ids(name)}
        for item_id in ids:
            row = first[(name, item_id)]
            status, reason = EXPECTED[platform][twin.state(item_id)]
            assert (row["status"], row["reason"]) == (status.value, reason.value), row
    assert len(first) == ITEMS * len(SHOPS)

    changed = {
        ("tb-main", twin_key(twin, "tb-main", 0)): ("inactive", "seller"),
        ("tm-flagship", twin_key(twin, "tm-flagship", 7)): ("active", ""),
        ("ml-mx", twin_key(twin, "ml-mx", 0)): ("inactive", "seller"),
        ("temu-us", twin_key(twin, "temu-us", 0)): ("inactive", "seller"),
    }
    for (name, item_id), (status, _) in changed.items():
        await act_elsewhere(
            info, name, item_id, Action.LIST if status == "active" else Action.DELIST
        )

    out = shelf("--read-only", "sync", env=cli_env)  # sync only reads the platform
    assert out.returncode == 0, out.stderr
    assert all(f"{n}: " in out.stdout and "(incremental)" in out.stdout for n in SHOPS)
    second = items_json(cli_env)
    differ = {
        k
        for k in first
        if (first[k]["status"], first[k]["reason"], first[k]["stock"])
        != (second[k]["status"], second[k]["reason"], second[k]["stock"])
    }
    assert differ == set(changed)
    for key, (status, reason) in changed.items():
        assert (second[key]["status"], second[key]["reason"]) == (status, reason)
    db = sqlite3.connect(shelf_home / "data" / "shelf.db")
    events = db.execute("SELECT shop, item_id, actor FROM events").fetchall()
    db.close()
    assert {(s, i) for s, i, _ in events} == set(changed)
    assert {a for _, _, a in events} == {"platform"}

    only = items_json(cli_env, "--shop", "ml-mx", "--status", "inactive", "--reason", "seller")
    assert ("ml-mx", twin_key(twin, "ml-mx", 0)) in only
    assert all(r["shop"] == "ml-mx" and r["reason"] == "seller" for r in only.values())
    out = shelf("items", "--csv", "--shop", "temu-us", env=cli_env)
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert len(rows) == ITEMS and rows[0]["shop"] == "temu-us" and "raw_sub_status" in rows[0]

    assert assert_no_secret_under(shelf_home, secrets_of(info)) >= 2


@pytest.mark.slow
def test_a_refused_token_exits_3_and_stores_nothing(
    served: tuple[dict[str, Any], Sandbox], cli_env: dict[str, str]
) -> None:
    info, _ = served
    e = entry(info, "ml-mx")
    out = shelf(
        "shop",
        "add",
        "ml-mx",
        "--platform",
        "mercadolibre",
        "--site",
        "MLM",
        "--gateway",
        e["gateway"],
        "--redirect-uri",
        REDIRECT,
        "--app-key",
        e["app_key"],
        env=cli_env,
        stdin=e["app_secret"],
    )
    assert out.returncode == 0, out.stderr
    out = shelf("login", "ml-mx", "--token-stdin", env=cli_env, stdin="APP_USR-bogus\n")
    assert out.returncode == 3 and "shelf login ml-mx" in out.stderr
    assert "APP_USR-bogus" not in out.stderr
    (shop,) = [
        json.loads(line)
        for line in shelf("shop", "list", "--json", env=cli_env).stdout.splitlines()
    ]
    assert shop["signed_in"] is False
    out = shelf("sync", env=cli_env)
    assert out.returncode == 3 and "not signed in" in out.stderr


@pytest.mark.parametrize("backend", [None, "keyring.backends.fail.Keyring"])
def test_no_usable_keyring_exits_3_and_writes_nothing(
    cli_env: dict[str, str], shelf_home: Path, tmp_path: Path, backend: str | None
) -> None:
    """keyrings.alt is installed here: without an explicit choice keyring would silently use
    its PlaintextKeyring. shelf refuses, says how to fix it, and writes nothing."""
    env = dict(cli_env)
    env.pop("PYTHON_KEYRING_BACKEND")
    if backend:
        env["PYTHON_KEYRING_BACKEND"] = backend
    for args, stdin in (
        (
            (
                "shop",
                "add",
                "tb",
                "--platform",
                "taobao",
                "--app-key",
                "1",
                "--redirect-uri",
                REDIRECT,
            ),
            "the-secret\n",
        ),
        (("login", "tb", "--token-stdin"), "the-token\n"),
        (("sync",), None),
    ):
        out = shelf(*args, env=env, stdin=stdin)
        assert out.returncode == 3, (args, out.stderr)
        assert "PYTHON_KEYRING_BACKEND" in out.stderr and "dbus-run-session" in out.stderr
        assert len(out.stderr.strip().splitlines()) == 1
    written = [p for p in shelf_home.rglob("*") if p.is_file()]
    assert [p.name for p in written] in ([], ["shelf.log"])  # shelf's own log excepted
    assert (
        not list(Path(env["XDG_DATA_HOME"]).rglob("*"))
        if Path(env["XDG_DATA_HOME"]).exists()
        else True
    )
    assert not [p for p in tmp_path.rglob("*.cfg") if "keyring" in p.name]


def test_shop_add_validates_before_anything_is_written(
    cli_env: dict[str, str], shelf_home: Path
) -> None:
    bad = [
        (("--platform", "mercadolibre", "--app-key", "1"), "--site"),
        (("--platform", "mercadolibre", "--site", "XXX", "--app-key", "1"), "MLA"),
        (("--platform", "temu", "--region", "mars", "--app-key", "1"), "us, eu, global"),
        (("--platform", "taobao", "--site", "MLM", "--app-key", "1"), "Mercado Libre shops only"),
        (("--platform", "taobao", "--gateway", "ftp://x", "--app-key", "1"), "http(s) URL"),
        (
            ("--platform", "taobao", "--gateway", "https://u:p@x.example", "--app-key", "1"),
            "credentials",
        ),
        (
            ("--platform", "temu", "--region", "us", "--sign-method", "hmac", "--app-key", "1"),
            "Taobao/Tmall",
        ),
        # sign-in needs the app's registered redirect URI (§2.1, §1.4)
        (("--platform", "mercadolibre", "--site", "MLM", "--app-key", "1"), "--redirect-uri URL"),
        (("--platform", "tmall", "--app-key", "1"), "--redirect-uri URL"),
        (
            ("--platform", "taobao", "--redirect-uri", "cb", "--app-key", "1"),
            "--redirect-uri: expected an http(s) URL",
        ),
    ]
    for args, words in bad:
        out = shelf("shop", "add", "x", *args, env=cli_env, stdin="secret\n")
        assert out.returncode == 2 and words in out.stderr, (args, out.stderr)
    assert not (shelf_home / "data" / "shelf.db").exists()
    out = shelf(
        "shop",
        "add",
        "bad name",
        "--platform",
        "taobao",
        "--app-key",
        "1",
        env=cli_env,
        stdin="s\n",
    )
    assert out.returncode == 2
    tb = ("shop", "add", "tb", "--platform", "taobao", "--app-key", "1")
    out = shelf(*tb, "--redirect-uri", REDIRECT, env=cli_env, stdin="\n")
    assert out.returncode == 2 and "no app secret" in out.stderr


def test_shop_remove_takes_the_keyring_entries_and_keeps_history(
    cli_env: dict[str, str], shelf_home: Path, tmp_path: Path
) -> None:
    tb = ("shop", "add", "tb", "--platform", "taobao", "--app-key", "1")
    tb += ("--redirect-uri", REDIRECT)
    out = shelf(*tb, env=cli_env, stdin="sekrit-value\n")
    assert out.returncode == 0, out.stderr
    keyring_files = list(Path(cli_env["XDG_DATA_HOME"]).rglob("keyring_pass.cfg"))
    entry_name = escape("tb:app_secret").lower()  # how the plaintext file spells it
    assert keyring_files and entry_name in keyring_files[0].read_text()
    again = shelf(*tb, env=cli_env, stdin="x\n")
    assert again.returncode == 2 and "already exists" in again.stderr
    db_path = shelf_home / "data" / "shelf.db"
    with Store.open(db_path) as store:
        store.events.append(Event(shop="tb", item_id="1", actor="platform", action="sold_out"))
    out = shelf("--read-only", "shop", "remove", "tb", env=cli_env)
    assert out.returncode == 0 and "history stays" in out.stdout
    assert entry_name not in keyring_files[0].read_text()
    assert shelf("shop", "remove", "tb", env=cli_env).returncode == 2  # unknown now
    listed = shelf("shop", "list", "--json", env=cli_env)
    assert listed.stdout == ""
    with Store.open(db_path) as store:
        assert store.events.count("tb") == 1  # the timeline outlives the shop
    assert shelf(*tb, env=cli_env, stdin="s\n").returncode == 0
    out = shelf("shop", "remove", "tb", "--purge-history", env=cli_env)
    assert out.returncode == 0 and "1 events erased" in out.stdout
    with Store.open(db_path) as store:
        assert store.events.count("tb") == 0


@pytest.mark.slow
def test_ctrl_c_during_a_sync_leaves_a_consistent_store_and_the_next_sync_continues(
    cli_env: dict[str, str], shelf_home: Path
) -> None:
    (shelf_home / "config").mkdir(exist_ok=True)
    config = shelf_home / "config" / "config.toml"
    with Sandbox(items=3000, seed=9) as sb:
        info = sb.info
        add_and_login(cli_env, info, "ml-mx")
        config.write_text('[rates]\n"ml-mx" = 1000.0\n')
        assert shelf("sync", "ml-mx", env=cli_env).returncode == 0
        db_path = shelf_home / "data" / "shelf.db"
        db = sqlite3.connect(db_path)
        last = db.execute("SELECT last_sync_at FROM shops").fetchone()[0]
        db.close()
        config.write_text('[rates]\n"ml-mx" = 20.0\n')  # slow enough to interrupt
        proc = subprocess.Popen(
            [sys.executable, "-m", "shelf_tui", "sync", "--full", "ml-mx"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=cli_env,
        )
        assert proc.stderr is not None
        for line in proc.stderr:
            if (
                " written" in line
                and int(line.split(" fetched, ")[1].split(" written")[0].replace(",", "")) >= 2000
            ):
                break
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 130 and "interrupted" in err
        db = sqlite3.connect(db_path)
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert db.execute("SELECT count(*) FROM items").fetchone()[0] == 3000
        row = db.execute("SELECT last_sync_at, sync_cursor FROM shops").fetchone()
        db.close()
        assert row[0] == last and json.loads(row[1])["full"] is True
        config.write_text('[rates]\n"ml-mx" = 1000.0\n')
        out = shelf("sync", "ml-mx", env=cli_env)
        assert out.returncode == 0 and "3,000 items seen (full)" in out.stdout
        assert os.path.exists(db_path)
