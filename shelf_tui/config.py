"""config.toml: read with tomllib, written with tomli-w.

The generated default explains every option in a comment above it, so a seller can edit it
with any editor on a remote box. Unknown keys and wrong types are refused with a message that
names the key, never silently ignored.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import tomli_w


class ConfigError(ValueError):
    """config.toml (or rules.toml) is malformed; the message names the file, key and fix."""


@dataclass(frozen=True, slots=True)
class UiConfig:
    theme: str = "textual-dark"
    animations: bool = False
    type_count_above: int = 500
    refresh_hz: int = 10
    sync_on_open: bool = True


@dataclass(frozen=True, slots=True)
class JobsConfig:
    concurrency: int = 4
    max_attempts: int = 6
    backoff_base: float = 0.5
    backoff_max: float = 60.0


@dataclass(frozen=True, slots=True)
class Config:
    """Everything config.toml can say. Defaults are what a new seller gets."""

    read_only: bool = False
    ui: UiConfig = field(default_factory=UiConfig)
    jobs: JobsConfig = field(default_factory=JobsConfig)
    keymap: Mapping[str, str] = field(default_factory=dict)
    rates: Mapping[str, float] = field(default_factory=dict)


# (section, key, doc) for every option: the generated file's comments and `shelf doctor`.
DOCS: dict[tuple[str, str], str] = {
    ("", "read_only"): "Refuse every state-changing action (list, delist, rules --apply). "
    "Same as --read-only.",
    ("ui", "theme"): "Textual theme name, e.g. textual-dark, textual-light, nord, gruvbox.",
    ("ui", "animations"): "Animate scrolling and transitions. Off by default: over SSH "
    "animations cost bandwidth and latency.",
    ("ui", "type_count_above"): "Above this many items the confirm dialog (and shelf down|up "
    "at a terminal) asks you to type the count before a bulk action runs.",
    ("ui", "refresh_hz"): "How often live panes (jobs, progress) redraw per second (1-10).",
    ("ui", "sync_on_open"): "Sync every shop in the background when the console opens.",
    ("jobs", "concurrency"): "Requests in flight per shop during a bulk job.",
    ("jobs", "max_attempts"): "Attempts per item on transient errors (5xx, timeouts) before "
    "the item is failed.",
    ("jobs", "backoff_base"): "First retry delay in seconds; doubled each attempt, with jitter.",
    ("jobs", "backoff_max"): "Longest retry delay in seconds.",
}

_SECTION_DOCS = {
    "ui": "The console.",
    "jobs": "The bulk job engine.",
    "rates": "Requests per second per shop, overriding the platform default (shop = rate), "
    'e.g. "tb-main" = 5.0',
    "keymap": 'Key overrides by binding id (id = "keys"), e.g. "items.delist" = "ctrl+d". '
    "Press ? in the console to see each screen's binding ids; the README lists them all.",
}


def _flat_keymap(table: Mapping[str, Any], prefix: str = "") -> dict[str, str] | None:
    """[keymap] as binding id -> keys. Binding ids contain dots (`items.delist`), which TOML
    reads as nested tables unless quoted; both spellings mean the same id."""
    out: dict[str, str] = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, str):
            out[name] = value
        elif isinstance(value, dict):
            nested = _flat_keymap(value, f"{name}.")
            if nested is None:
                return None
            out.update(nested)
        else:
            return None
    return out


def _check_type(where: str, value: Any, default: Any) -> Any:
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: expected true or false, got {value!r}")
        return value
    if isinstance(default, int):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{where}: expected a whole number, got {value!r}")
        if value < 0:
            raise ConfigError(f"{where}: must not be negative, got {value}")
        return value
    if isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{where}: expected a number, got {value!r}")
        if value < 0:
            raise ConfigError(f"{where}: must not be negative, got {value}")
        return float(value)
    if isinstance(default, str):
        if not isinstance(value, str):
            raise ConfigError(f"{where}: expected a string, got {value!r}")
        return value
    raise AssertionError(f"unhandled option type at {where}")  # pragma: no cover


def _section(name: str, raw: Any, defaults: Any, source: str) -> Any:
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: [{name}] must be a table")
    known = {f.name for f in fields(defaults)}
    for key in raw:
        if key not in known:
            raise ConfigError(
                f"{source}: unknown option {name}.{key} (known: {', '.join(sorted(known))})"
            )
    changes = {
        key: _check_type(f"{source}: {name}.{key}", value, getattr(defaults, key))
        for key, value in raw.items()
    }
    return replace(defaults, **changes)


def parse(data: Mapping[str, Any], source: str = "config.toml") -> Config:
    """Validate a parsed TOML document into a Config."""
    config = Config()
    changes: dict[str, Any] = {}
    for key, value in data.items():
        if key == "read_only":
            changes["read_only"] = _check_type(f"{source}: read_only", value, False)
        elif key == "ui":
            changes["ui"] = _section("ui", value, config.ui, source)
        elif key == "jobs":
            changes["jobs"] = _section("jobs", value, config.jobs, source)
        elif key == "keymap":
            keymap = _flat_keymap(value) if isinstance(value, dict) else None
            if keymap is None:
                raise ConfigError(f'{source}: [keymap] maps binding ids to keys: id = "keys"')
            changes["keymap"] = keymap
        elif key == "rates":
            if not isinstance(value, dict):
                raise ConfigError(f"{source}: [rates] maps shop names to requests per second")
            changes["rates"] = {
                str(k): _check_type(f"{source}: rates.{k}", v, 1.0) for k, v in value.items()
            }
        else:
            raise ConfigError(
                f"{source}: unknown option {key!r} "
                "(known: read_only, [ui], [jobs], [rates], [keymap])"
            )
    return replace(config, **changes)


def load(path: Path) -> Config:
    """Read config.toml; a missing file is the defaults."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Config()
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    return parse(data, str(path))


def _comment(text: str) -> str:
    return "".join(f"# {line}\n" for line in _wrap(text))


def _wrap(text: str, width: int = 90) -> list[str]:
    lines: list[str] = []
    current = ""
    for word in text.split():
        if current and len(current) + 1 + len(word) > width:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    if current:
        lines.append(current)
    return lines


def default_text(config: Config | None = None) -> str:
    """config.toml with every option and a comment explaining it (tomli-w writes the values,
    so quoting and escaping are always valid TOML)."""
    config = config or Config()
    out = [
        "# shelf configuration. Every option is shown with its default; edit and restart.\n",
        "# Paths: `shelf locate config`. Check it with `shelf doctor`.\n\n",
    ]
    out.append(_comment(DOCS[("", "read_only")]))
    out.append(tomli_w.dumps({"read_only": config.read_only}))
    for name, section in (("ui", config.ui), ("jobs", config.jobs)):
        out.append(f"\n{_comment(_SECTION_DOCS[name])}[{name}]\n")
        for f in fields(section):
            out.append(_comment(DOCS[(name, f.name)]))
            out.append(tomli_w.dumps({f.name: getattr(section, f.name)}))
    for name, mapping in (("rates", config.rates), ("keymap", config.keymap)):
        out.append(f"\n{_comment(_SECTION_DOCS[name])}[{name}]\n")
        if mapping:
            out.append(tomli_w.dumps(dict(mapping)))
    return "".join(out)


def write_default(path: Path, config: Config | None = None) -> None:
    """Write a documented config.toml unless one exists (never clobber a seller's edits)."""
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_suffix(".toml.tmp")
    tmp.write_text(default_text(config), encoding="utf-8")
    os.replace(tmp, path)
