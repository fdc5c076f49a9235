"""Errors that end a command, each with its exit code (design.md, "The `shelf` command"):
0 ok; 1 some items failed; 2 refused or bad usage (nothing sent); 3 sign-in needed.

Messages are one line, name what to do, and never carry a secret.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_REFUSED = 2
EXIT_SIGN_IN = 3


class ShelfError(Exception):
    """A clear, expected failure: printed as one line, never as a traceback."""

    exit_code = EXIT_REFUSED


class UsageError(ShelfError):
    exit_code = EXIT_REFUSED


class ReadOnlyError(ShelfError):
    """A state-changing action in read-only mode. Nothing was sent."""

    exit_code = EXIT_REFUSED

    def __init__(self, what: str = "this command") -> None:
        super().__init__(
            f"read-only mode is on: {what} would change your shops, so nothing was sent "
            "(drop --read-only, or set read_only = false in config.toml)"
        )


class SignInNeeded(ShelfError):
    exit_code = EXIT_SIGN_IN


class SomeFailed(ShelfError):
    """A job finished with failed items (the summary has already been printed)."""

    exit_code = EXIT_FAILED
