"""The HTTP layer: loopback only, keep-alive, malformed input, the JSON line contract."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest
from sandbox_client import TopClient, gmt8, top_sign

from shelf_tui.sandbox import Sandbox


def _raw(sb: Sandbox, payload: bytes, *, read_all: bool = False) -> bytes:
    with socket.create_connection(("127.0.0.1", sb.port), timeout=5) as s:
        s.sendall(payload)
        if not read_all:
            return s.recv(65536)
        chunks = []
        while chunk := s.recv(65536):
            chunks.append(chunk)
        return b"".join(chunks)


def _non_loopback_addresses() -> list[str]:
    out = []
    try:
        for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET):
            addr = str(info[4][0])
            if not addr.startswith("127."):
                out.append(addr)
    except OSError:
        pass
    try:  # the address used to reach the outside world, if any
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("192.0.2.1", 9))
            addr = s.getsockname()[0]
            if not addr.startswith("127.") and addr != "0.0.0.0":  # noqa: S104
                out.append(addr)
    except OSError:
        pass
    return sorted(set(out))


def test_listens_on_loopback_only(sb: Sandbox) -> None:
    assert sb.host == "127.0.0.1"
    assert sb.url.startswith("http://127.0.0.1:")
    sockets = sb._http._server.sockets  # type: ignore[union-attr]
    assert [s.getsockname()[0] for s in sockets] == ["127.0.0.1"]
    for addr in _non_loopback_addresses():
        with (
            pytest.raises(ConnectionRefusedError),
            socket.create_connection((addr, sb.port), timeout=1),
        ):
            pass


def test_keep_alive_serves_many_requests_on_one_connection(sb: Sandbox) -> None:
    request = b"GET /users/me HTTP/1.1\r\nHost: x\r\n\r\n"
    with socket.create_connection(("127.0.0.1", sb.port), timeout=5) as s:
        for _ in range(3):
            s.sendall(request)
            data = b""
            while b"\r\n\r\n" not in data:
                data += s.recv(4096)
            head, _, body = data.partition(b"\r\n\r\n")
            length = int(
                next(h for h in head.split(b"\r\n") if h.lower().startswith(b"content-length"))[15:]
            )
            while len(body) < length:
                body += s.recv(4096)
            assert head.startswith(b"HTTP/1.1 401")
            assert b"connection: close" not in head.lower()


def test_pipelined_requests_are_answered_in_order(sb: Sandbox) -> None:
    payload = (
        b"GET /users/me HTTP/1.1\r\nHost: x\r\n\r\n"
        b"GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    data = _raw(sb, payload, read_all=True)
    assert data.index(b"HTTP/1.1 401") < data.index(b"HTTP/1.1 404")


def test_connection_close_is_honoured(sb: Sandbox) -> None:
    data = _raw(
        sb, b"GET /users/me HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", read_all=True
    )
    assert b"Connection: close" in data
    assert data.count(b"HTTP/1.1 ") == 1


@pytest.mark.parametrize(
    "payload",
    [
        b"GARBAGE\r\n\r\n",
        b"GET /users/me HTTP/9.9\r\n\r\n",
        b"GET /users/me HTTP/1.1\r\nno colon here\r\n\r\n",
        b"POST /router/rest HTTP/1.1\r\nContent-Length: abc\r\n\r\n",
        b"POST /router/rest HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    ],
)
def test_malformed_requests_get_an_error_status_and_the_server_survives(
    sb: Sandbox, payload: bytes, http: httpx.Client
) -> None:
    data = _raw(sb, payload, read_all=True)
    assert data.split(b" ")[1] in (b"400", b"505")
    assert http.get(sb.url + "/users/me").status_code == 401  # still serving


def test_chunked_bodies_and_expect_continue_are_understood(sb: Sandbox) -> None:
    top = TopClient(sb, httpx.Client())
    params = top.system("taobao.item.seller.get")
    from sandbox_client import top_sign

    params.update(num_iid=str(sb.catalog.shops["tb-main"].id_of(0)), fields="num_iid,title")
    params["sign"] = top_sign(params, top.creds["app_secret"])
    body = httpx.QueryParams(params).__str__().encode()
    chunked = b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
    payload = (
        b"POST /router/rest HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
        b"Transfer-Encoding: chunked\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        b"Connection: close\r\n\r\n" + chunked
    )
    data = _raw(sb, payload, read_all=True)
    assert data.startswith(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK")
    assert b'"item_seller_get_response"' in data


def test_unknown_paths_get_an_ml_style_404(sb: Sandbox, http: httpx.Client) -> None:
    resp = http.get(sb.url + "/nowhere")
    assert resp.status_code == 404
    assert resp.json()["error"] == "not_found"


def test_a_handler_crash_is_a_500_not_a_dead_server(
    sb: Sandbox, http: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*args: object) -> None:
        raise RuntimeError("bug")

    monkeypatch.setattr(sb.ml, "handle", boom)
    assert http.get(sb.url + "/users/me").status_code == 500
    monkeypatch.undo()
    assert http.get(sb.url + "/users/me").status_code == 401


def test_info_is_the_json_line_contract(sb: Sandbox) -> None:
    info = sb.info
    base = sb.url
    assert info["top"] == f"{base}/router/rest"
    assert info["mercadolibre"] == base
    assert info["temu"] == f"{base}/openapi/router"
    assert info["oauth"] == {"taobao": base, "mercadolibre": base}
    platforms = [s["platform"] for s in info["shops"]]
    assert platforms.count("taobao") >= 2
    assert platforms.count("mercadolibre") >= 2
    assert platforms.count("temu") >= 2
    assert any(s.get("tmall") for s in info["shops"])
    assert {s["site"] for s in info["shops"] if s["platform"] == "mercadolibre"} == {"MLM"}
    assert {s["region"] for s in info["shops"] if s["platform"] == "temu"} == {"us"}
    for shop in info["shops"]:
        assert {"platform", "app_key", "app_secret", "seller_id", "access_token"} <= shop.keys()
    assert len({s["app_key"] for s in info["shops"]}) == len(info["shops"])
    tmall = next(s for s in info["shops"] if s.get("tmall"))
    assert "refresh_token" not in tmall
    assert tmall["refreshable"] is False
    assert json.loads(sb.info_json()) == info


def test_same_seed_gives_the_same_credentials() -> None:
    a = Sandbox(items=1, seed=5).credentials("ml-mx")
    b = Sandbox(items=1, seed=5).credentials("ml-mx")
    c = Sandbox(items=1, seed=6).credentials("ml-mx")
    assert a == b
    assert a["app_secret"] != c["app_secret"]


def test_port_and_url_need_a_started_sandbox() -> None:
    sandbox = Sandbox(items=1)
    with pytest.raises(RuntimeError):
        _ = sandbox.url
    with sandbox:
        assert sandbox.port > 0
    sandbox.stop()  # idempotent


def test_a_taken_port_raises_oserror(sb: Sandbox) -> None:
    with pytest.raises(OSError, match="in use"):
        Sandbox(items=1, port=sb.port).start()


@pytest.fixture
def served() -> Iterator[tuple[subprocess.Popen[str], dict[str, object]]]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "shelf_tui.sandbox",
            "--items",
            "40",
            "--seed",
            "3",
            "--faults",
            "rate=100/s",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        yield proc, json.loads(proc.stdout.readline())
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)


def test_module_entry_point_prints_the_json_line_first_and_stops_on_sigterm(
    served: tuple[subprocess.Popen[str], dict[str, object]],
) -> None:
    proc, info = served
    assert str(info["top"]).startswith("http://127.0.0.1:")
    with httpx.Client() as client:
        resp = client.get(str(info["mercadolibre"]) + "/users/me")
    assert resp.status_code == 401
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) == 0


def test_module_entry_point_rejects_a_bad_fault_spec_with_exit_2() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "shelf_tui.sandbox", "--faults", "bogus=1"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert "bogus" in done.stderr


def test_shelf_sandbox_serves_the_seeded_catalog_on_the_port_asked_for(
    cli_env: dict[str, str],
) -> None:
    """`shelf sandbox --port P --items N --seed S` in its own process serves, on P, the same
    catalog as an in-process Sandbox with that seed and N (over the wire, signed here)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    args = ["sandbox", "--port", str(port), "--items", "45", "--seed", "5"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "shelf_tui", *args],
        stdout=subprocess.PIPE,
        text=True,
        env=dict(cli_env, PYTHONHASHSEED="77"),
    )
    try:
        assert proc.stdout is not None
        info = json.loads(proc.stdout.readline())
        assert info["top"] == f"http://127.0.0.1:{port}/router/rest"
        assert info["mercadolibre"] == f"http://127.0.0.1:{port}"
        twin = Sandbox(items=45, seed=5)
        for entry in info["shops"]:  # the same apps and tokens: the same seed
            creds = twin.credentials(entry["name"])
            assert (entry["app_key"], entry["access_token"]) == (
                creds["app_key"],
                creds["access_token"],
            )
        shop = next(s for s in info["shops"] if s["name"] == "tb-main")
        params = {
            "method": "taobao.items.onsale.get",
            "app_key": shop["app_key"],
            "session": shop["access_token"],
            "timestamp": gmt8(time.time()),
            "format": "json",
            "v": "2.0",
            "sign_method": "md5",
            "fields": "num_iid,title,num,price",
            "page_size": "200",
        }
        params["sign"] = top_sign(params, shop["app_secret"])
        body = httpx.post(info["top"], data=params, timeout=10).json()
        served = body["items_onsale_get_response"]["items"]["item"]
        assert [i["num_iid"] for i in served] == twin.ids("tb-main", "onsale")
        for item in served:
            truth = twin.item(item["num_iid"])
            assert (item["title"], item["num"], item["price"]) == (
                truth["title"],
                truth["num"],
                truth["price"],
            )
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
