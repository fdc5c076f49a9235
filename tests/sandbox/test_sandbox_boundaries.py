"""The sandbox is the other end of the wire: standard library only, nothing of shelf's client."""

from __future__ import annotations

import ast
import io
import json
import sys
import threading
from pathlib import Path

import httpx

import shelf_tui.sandbox
from shelf_tui.sandbox import serve

PACKAGE = Path(shelf_tui.sandbox.__file__).parent


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_the_sandbox_imports_only_the_standard_library_and_itself() -> None:
    modules = sorted(PACKAGE.glob("*.py"))
    assert len(modules) >= 10
    for path in modules:
        for name in _imports(path):
            top = name.split(".")[0]
            allowed = top in sys.stdlib_module_names or name.startswith("shelf_tui.sandbox")
            assert allowed, f"{path.name} imports {name}"


class _Out(io.StringIO):
    """A stdout stand-in that tells when the first line has been flushed."""

    def __init__(self) -> None:
        super().__init__()
        self.flushed = threading.Event()

    def flush(self) -> None:
        super().flush()
        self.flushed.set()


def test_serve_prints_the_json_line_first_and_stops_when_told() -> None:
    out = _Out()
    stop = threading.Event()
    thread = threading.Thread(
        target=serve, args=(0, 40, 1, "rate=50/s", out), kwargs={"stop": stop}
    )
    thread.start()
    try:
        assert out.flushed.wait(timeout=10)
        first = out.getvalue().splitlines()[0]
        info = json.loads(first)
        assert first.isascii()
        assert httpx.get(info["mercadolibre"] + "/users/me").status_code == 401
    finally:
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive()
