"""A secret holding a quote must be masked whole: an escaped quote inside the value, at any
depth of JSON-in-JSON, never ends the mask early and leaves the rest of the secret readable."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from shelf_tui import logs

SECRET_HEAD, SECRET_TAIL = "k3yHEAD", "t4ilSECRET"
VALUE = f'{SECRET_HEAD}"{SECRET_TAIL}'


def _logged(tmp_path: Path, fmt: str, arg: object) -> str:
    path = logs.setup(tmp_path / "logs")
    logs.get("test").warning(fmt, arg)
    for handler in logging.getLogger("shelf").handlers:
        handler.flush()
    return path.read_text()


@pytest.mark.parametrize(
    ("fmt", "arg"),
    [
        ("json %s", json.dumps({"access_token": VALUE, "x": 1})),
        ("json in json %s", json.dumps({"body": json.dumps({"refresh_token": VALUE, "y": 2})})),
        (
            "three deep %s",
            json.dumps({"a": json.dumps({"b": json.dumps({"code": VALUE, "z": 3})})}),
        ),
        ("repr %r", {"session": VALUE, "k": 1}),
        ("pairs %s", [("client_secret", VALUE), ("grant_type", "refresh_token")]),
    ],
)
def test_a_quote_inside_a_secret_does_not_end_the_mask(
    tmp_path: Path, fmt: str, arg: object
) -> None:
    text = _logged(tmp_path, fmt, arg)
    assert SECRET_HEAD not in text and SECRET_TAIL not in text, text
    assert "***" in text
    # what follows the secret stays readable
    assert any(word in text for word in ('"x"', '\\"y\\"', "z", "'k'", "grant_type")), text
