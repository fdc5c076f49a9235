"""One `shelf rules run` at a time: an exclusive lock on a file in the data directory.

cron or a systemd timer may start a run every few minutes; when a run (a slow sync, a long
job) outlives the interval, the next one must not plan from a half-synced store or send the
same items twice. `flock` is released by the kernel when the process dies, however it dies,
so a crashed run never leaves a stale lock behind.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from types import TracebackType

from shelf_tui.errors import ShelfError


class Busy(ShelfError):
    """Another run holds the lock; this one did nothing (exit 2)."""


class RunLock:
    """`with RunLock(path): ...` or `acquire()`/`release()`. Raises Busy when held."""

    def __init__(self, path: Path, what: str = "shelf rules run") -> None:
        self.path = path
        self.what = what
        self._fd: int | None = None

    def acquire(self) -> RunLock:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            _lock(fd)
        except OSError:
            holder = _read(fd)
            os.close(fd)
            who = f" (pid {holder})" if holder else ""
            raise Busy(
                f"another `{self.what}` is still running{who}; this one did nothing "
                "(it is safe to run again later)"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, 0)
            os.close(self._fd)  # closing drops the lock
            self._fd = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


def _read(fd: int) -> str:
    with contextlib.suppress(OSError):
        os.lseek(fd, 0, os.SEEK_SET)
        return os.read(fd, 32).decode(errors="replace").strip()
    return ""


if sys.platform == "win32":  # pragma: no cover - Windows has no flock

    def _lock(fd: int) -> None:
        import msvcrt

        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)

else:
    import fcntl

    def _lock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
