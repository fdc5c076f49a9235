"""Fixtures for sync tests: a sandbox on a frozen clock and a store."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "marketplaces"))

from connkit import FIXED_NOW

from shelf_tui.sandbox import Clock, Sandbox
from shelf_tui.store import Store


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with Sandbox(items=60, seed=7, clock=Clock(start=FIXED_NOW)) as sandbox:
        yield sandbox


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "data" / "shelf.db") as st:
        yield st
