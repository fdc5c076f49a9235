"""Fixtures for connector tests: a started sandbox on a frozen clock."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from connkit import FIXED_NOW

from shelf_tui.sandbox import Clock, Sandbox


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    """60 items per shop (more than every showcase row), seed 7, clock frozen at FIXED_NOW."""
    with Sandbox(items=60, seed=7, clock=Clock(start=FIXED_NOW)) as sandbox:
        yield sandbox
