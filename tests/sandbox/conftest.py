"""Fixtures for the sandbox tests: a started sandbox on a frozen clock, and HTTP clients."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from sandbox_client import FIXED_NOW, MlClient, TemuClient, TopClient

from shelf_tui.sandbox import Clock, Sandbox


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    """60 items per shop (more than the showcase), seed 7, clock frozen at FIXED_NOW."""
    with Sandbox(items=60, seed=7, clock=Clock(start=FIXED_NOW)) as sandbox:
        yield sandbox


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=5.0, follow_redirects=False) as client:
        yield client


@pytest.fixture
def top(sb: Sandbox, http: httpx.Client) -> TopClient:
    return TopClient(sb, http)


@pytest.fixture
def ml(sb: Sandbox, http: httpx.Client) -> MlClient:
    return MlClient(sb, http)


@pytest.fixture
def temu(sb: Sandbox, http: httpx.Client) -> TemuClient:
    return TemuClient(sb, http)
