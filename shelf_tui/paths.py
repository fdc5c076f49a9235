"""Where shelf keeps its files.

By default the platform's own places (platformdirs, app name `shelf`); `--home DIR` or
`SHELF_HOME` moves all of them under one directory, which is how tests, `shelf demo` and a
seller with several separate setups keep them apart.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "shelf"
HOME_ENV = "SHELF_HOME"


@dataclass(frozen=True, slots=True)
class Paths:
    """The three directories shelf uses and the files inside them."""

    config_dir: Path
    data_dir: Path
    log_dir: Path
    home: Path | None = None

    @property
    def config_file(self) -> Path:
        return self.config_dir / "config.toml"

    @property
    def rules_file(self) -> Path:
        return self.config_dir / "rules.toml"

    @property
    def db_file(self) -> Path:
        return self.data_dir / "shelf.db"

    @property
    def log_file(self) -> Path:
        return self.log_dir / "shelf.log"

    @property
    def lock_dir(self) -> Path:
        return self.data_dir / "locks"

    def ensure(self) -> Paths:
        """Create the directories (private to the user: they hold the seller's catalog)."""
        for d in (self.config_dir, self.data_dir, self.log_dir):
            d.mkdir(parents=True, exist_ok=True, mode=0o700)
        return self


def resolve(home: str | os.PathLike[str] | None = None) -> Paths:
    """The paths for an explicit home, else `SHELF_HOME`, else the platform defaults."""
    chosen = home if home is not None else os.environ.get(HOME_ENV) or None
    if chosen is not None:
        root = Path(chosen).expanduser().resolve()
        return Paths(root / "config", root / "data", root / "logs", home=root)
    return Paths(
        Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)),
        Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)),
        Path(platformdirs.user_log_dir(APP_NAME, appauthor=False)),
    )
