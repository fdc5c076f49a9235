"""The home a seller finds: the first command that stores anything also leaves a config.toml
that explains every option, and never rewrites one the seller edited."""

from __future__ import annotations

import tomllib
from pathlib import Path

from shelf_tui.cli import main
from shelf_tui.config import DOCS


def test_the_first_stored_state_writes_a_documented_config(shelf_home: Path) -> None:
    assert main(["--home", str(shelf_home), "shop", "list"]) == 0
    config = shelf_home / "config" / "config.toml"
    text = config.read_text(encoding="utf-8")
    # Every option is there with its comment, and the file parses back to the defaults.
    for (_section, key), doc in DOCS.items():
        assert f"{key} =" in text
        assert doc.split(".")[0][:40] in " ".join(text.replace("# ", "").split())
    assert tomllib.loads(text)["read_only"] is False


def test_an_edited_config_is_never_rewritten(shelf_home: Path) -> None:
    config = shelf_home / "config" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text("read_only = true\n", encoding="utf-8")
    assert main(["--home", str(shelf_home), "shop", "list"]) == 0
    assert config.read_text(encoding="utf-8") == "read_only = true\n"


def test_locate_writes_no_config_and_no_database(shelf_home: Path) -> None:
    assert main(["--home", str(shelf_home), "locate", "config"]) == 0
    assert not (shelf_home / "config").exists() and not (shelf_home / "data").exists()
