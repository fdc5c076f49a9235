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
_NAMES = rf"(?i:{_names})"
_AUTH_NAME = r"(?i:(?:proxy-)?authorization)"
#: A quote, possibly backslash-escaped (JSON carried inside a JSON string: \"code\").
_QUOTE = r"""\\*["']"""
# A name as a key: quoted ("code", 'code', \"code\", b'code') or bare; a bare name must not be
# the tail or head of a longer identifier (errorCode, sub_code, sign_method, session_id stay
# readable).
_KEY = rf"""(?:b?(?P<nq>{_QUOTE})(?:{{names}})(?P=nq)|(?<![\w.\-])(?:{{names}})(?![\w\-]))"""
# A value: quoted at any escaping depth (optionally a bytes literal), or bare up to a delimiter.
# Inside the quotes a backslash escapes the next character ("ab\"cd" is one value) and a quote
# escaped deeper than the opening one belongs to the value (\"ab\\\"cd\" in JSON within JSON);
# only a quote escaped exactly like the opening one closes it.
_QUOTED_BODY = r"""(?:(?!(?P=vq))(?:\\+["']|\\.|[^\\]))*"""
_VALUE = rf"""(?P<val>b?(?P<vq>{_QUOTE}){_QUOTED_BODY}(?P=vq)|[^\s&,;)\]}}<>"'\\]+)"""

# name=value, name: value, "name": "value", name='value' (kwargs and dataclass reprs), JSON at
# any depth of escaping, query strings, form bodies and key=value log lines.
_PAIR = re.compile(rf"(?P<pre>{_KEY.format(names=_NAMES)}\s*[:=]\s*){_VALUE}")
# ("name", "value") and [b"name", b"value"]: form fields and headers as lists of pairs.
_TUPLE = re.compile(
    rf"""(?P<pre>[(\[]\s*b?(?P<nq>["'])(?:{_NAMES}|{_AUTH_NAME})(?P=nq)\s*,\s*)"""
    rf"""(?P<val>b?(?P<vq>["']){_QUOTED_BODY}(?P=vq))"""
)
# name%3Dvalue: a query string carried URL-encoded inside another one (a redirect URI).
_ENCODED = re.compile(
    rf"(?P<pre>(?:(?<=%26)|(?<=%3[fF])|(?<![\w.\-%]))(?:{_NAMES})%3[dD])"
    r"(?P<val>(?:(?!%26)[^&\s\"',;)\]}<>])+)"
)
# <name>value</name>: TOP's XML format.
_XML = re.compile(rf"(?P<pre><(?P<tag>{_NAMES})>)(?P<val>[^<]+)(?=</(?P=tag)>)")
# Authorization headers, in any shape: "Authorization: Bearer x", {'authorization': 'Basic x'},
# {"Authorization": ["Bearer x"]}, Authorization=Bearer%20x.
_AUTH = re.compile(
    rf"""(?P<pre>{_KEY.format(names=_AUTH_NAME)}\s*[:=]\s*(?:\[\s*)?b?(?:{_QUOTE})?"""
    r"""(?i:(?:bearer|basic|token|digest)\s+)?)(?P<val>[^\s"',;&}\]\\]+)"""
)
#: A bare number under `code` is a platform error code (27, 7, 3000034), not a secret; OAuth
#: codes are never plain numbers.
_ERROR_CODE = re.compile(r"-?\d{1,10}(?:\.\d+)?")


def _is_error_code(m: re.Match[str]) -> bool:
    name = m.group("pre").strip(" \t:=\\\"'b").lower()
    return name == "code" and _ERROR_CODE.fullmatch(m.group("val")) is not None


def _is_prose(m: re.Match[str]) -> bool:
    """`... has no code: paste the one ...`: a bare name, a colon and a short lower-case
    word is a sentence, not a secret (tokens, codes, secrets and signatures carry digits,
    capitals or dashes, or are long)."""
    groups = m.groupdict()
    if groups.get("nq") or groups.get("vq") or not m.group("pre").rstrip().endswith(":"):
        return False
    value = m.group("val")
    return len(value) < 16 and value.isalpha() and value.islower()


def _mask_value(m: re.Match[str]) -> str:
    if _is_error_code(m) or _is_prose(m):
        return m.group(0)
    quote = m.groupdict().get("vq")
    if quote:
        prefix = "b" if m.group("val").startswith("b") else ""
        return f"{m.group('pre')}{prefix}{quote}{MASK}{quote}"
    return f"{m.group('pre')}{MASK}"


def redact_text(text: str) -> str:
    """Mask secret values in free text: JSON (also escaped inside JSON strings), Python reprs
    of dicts, pairs and dataclasses, query strings (also URL-encoded), XML, headers."""
    if not text:
        return text
    text = _TUPLE.sub(_mask_value, text)
    text = _PAIR.sub(_mask_value, text)
    text = _ENCODED.sub(_mask_value, text)
    text = _XML.sub(_mask_value, text)
    text = _AUTH.sub(lambda m: f"{m.group('pre')}{MASK}", text)
    return text


_SECRET_KEYS = frozenset(n.lower() for n in SECRET_NAMES) | {
    "authorization",
    "proxy-authorization",
}


def redact(value: Any) -> Any:
    """Mask secret values inside nested dicts/lists/tuples and strings."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, bytes):
        return redact_text(value.decode("utf-8", "replace"))
    if isinstance(value, Mapping):
        out: dict[Any, Any] = {}
        for k, v in value.items():
            key = k.decode("utf-8", "replace") if isinstance(k, bytes) else str(k)
            if key.lower() in _SECRET_KEYS:
                if key.lower() == "code" and isinstance(v, int) and not isinstance(v, bool):
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
