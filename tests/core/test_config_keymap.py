"""[keymap] in config.toml: binding ids have dots, and a seller may write them quoted or not."""

from __future__ import annotations

from pathlib import Path

import pytest

from shelf_tui import config


def test_dotted_binding_ids_read_the_same_quoted_or_bare(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        '[keymap]\napp.jobs = "ctrl+j"\n"items.delist" = "D,ctrl+d"\nitems.mark_all = "m"\n',
        encoding="utf-8",
    )
    assert config.load(path).keymap == {
        "app.jobs": "ctrl+j",
        "items.delist": "D,ctrl+d",
        "items.mark_all": "m",
    }


def test_a_written_keymap_reads_back(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    config.write_default(path, config.Config(keymap={"items.delist": "ctrl+d"}))
    assert config.load(path).keymap == {"items.delist": "ctrl+d"}


@pytest.mark.parametrize("body", ['app.jobs = 3', 'app = ["j"]', "app.jobs = true"])
def test_a_key_that_is_not_text_is_refused_with_the_table_named(
    tmp_path: Path, body: str
) -> None:
    path = tmp_path / "config.toml"
    path.write_text(f"[keymap]\n{body}\n", encoding="utf-8")
    with pytest.raises(config.ConfigError, match=r"\[keymap\] maps binding ids"):
        config.load(path)
