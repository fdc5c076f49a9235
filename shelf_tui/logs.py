"""Logging to a rotating file, through a filter that redacts secrets wherever they appear.

Connectors log requests and responses for the seller's evidence trail; those carry tokens and
signatures in dicts, query strings, form and JSON bodies and headers. The filter rewrites every
record before any handler sees it, so no handler can leak a secret by accident.
"""

from __future__ import annotations

import logging
import logging.handlers
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

#: Names whose values are secrets. `code` is the one-time OAuth code; `sign` the request
#: signature (replayable within the timestamp window).
SECRET_NAMES = (
    "session",
    "access_token",
    "refresh_token",
    "client_secret",
    "app_secret",
    "code",
    "sign",
    "accessToken",
    "refreshToken",
)
MASK = "***"

_names = "|".join(re.escape(n) for n in sorted(SECRET_NAMES, key=len, reverse=True))
# "name": "value" / 'name': 'value' / "name":value (JSON and Python reprs); the name must not be
# the tail of a longer identifier (errorCode, sub_code, sign_method stay readable).
_QUOTED = re.compile(
    rf"""(?P<pre>(?P<q>["'])(?:{_names})(?P=q)\s*[:=]\s*)(?P<val>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|[^\s,}}\]]+)"""
)
# name=value in query strings, form bodies and key=value log lines.
_PAIR = re.compile(rf"""(?P<pre>(?<![\w.-])(?:{_names})=)(?P<val>[^&\s"',;)\]}}]*)""")
# Authorization headers, in any shape.
_AUTH = re.compile(
    r"""(?P<pre>(?i:authorization)["']?\s*[:=]\s*["']?(?i:bearer|basic|token)?\s*)(?P<val>[^\s"',}]+)"""
)
_NUMERIC_JSON = re.compile(r"-?\d+(?:\.\d+)?")
_CODE_KEY = re.compile(r"""["']code["']""")


def _mask_quoted(m: re.Match[str]) -> str:
    val = m.group("val")
    # A bare JSON number under "code" is a platform error code (27, 7, 3000034), not a secret;
    # OAuth codes are always strings.
    if _CODE_KEY.match(m.group("pre")) and _NUMERIC_JSON.fullmatch(val):
        return m.group(0)
    if val[:1] in "\"'":
        return f"{m.group('pre')}{val[0]}{MASK}{val[0]}"
    return f"{m.group('pre')}{MASK}"


def redact_text(text: str) -> str:
    """Mask secret values in free text: JSON, reprs, query strings, headers."""
    if not text:
        return text
    text = _QUOTED.sub(_mask_quoted, text)
    text = _PAIR.sub(lambda m: f"{m.group('pre')}{MASK}" if m.group("val") else m.group(0), text)
    text = _AUTH.sub(lambda m: f"{m.group('pre')}{MASK}", text)
    return text


def redact(value: Any) -> Any:
    """Mask secret values inside nested dicts/lists/tuples and strings."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, bytes):
        return redact_text(value.decode("utf-8", "replace"))
    if isinstance(value, Mapping):
        out: dict[Any, Any] = {}
        for k, v in value.items():
            key = str(k)
            if key in SECRET_NAMES or key.lower() == "authorization":
                if key == "code" and isinstance(v, int) and not isinstance(v, bool):
                    out[k] = v
                else:
                    out[k] = MASK
            else:
                out[k] = redact(v)
        return out
    if isinstance(value, list | tuple):
        return type(value)(redact(v) for v in value)
    return value


class RedactingFilter(logging.Filter):
    """Rewrites each record's message, arguments and traceback text with secrets masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not hide the record
            message = f"{record.msg!r} {record.args!r}"
        record.msg = redact_text(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_text(record.exc_text)
            record.exc_info = None
        if record.stack_info:
            record.stack_info = redact_text(record.stack_info)
        return True


_installed: logging.Handler | None = None


def setup(log_dir: Path, level: int = logging.INFO) -> Path:
    """Send shelf's logs to `log_dir/shelf.log` (rotating, 5 x 2 MB). Idempotent."""
    global _installed
    log_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = log_dir / "shelf.log"
    logger = logging.getLogger("shelf")
    if _installed is not None:
        logger.removeHandler(_installed)
        _installed.close()
    handler = logging.handlers.RotatingFileHandler(
        path, maxBytes=2_000_000, backupCount=5, encoding="utf-8", delay=True
    )
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(name)s %(process)d %(message)s")
    )
    handler.addFilter(RedactingFilter())
    logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False
    _installed = handler
    # Filters on a logger apply to records created through it, so child loggers
    # ("shelf.top", ...) are covered by the handler filter above.
    return path


def get(name: str) -> logging.Logger:
    """A logger under the `shelf` hierarchy."""
    return logging.getLogger(f"shelf.{name}" if not name.startswith("shelf") else name)
