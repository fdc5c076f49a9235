"""The terminal: what it can show, and what the console does when it goes away.

Over SSH the terminal can vanish at any moment (the connection drops, the tmux server is
killed, the laptop lid closes). Without help, Python's default SIGHUP/SIGTERM disposition kills
the console on the spot: no cleanup, the terminal left in raw mode on the alternate screen (for
SIGTERM on a live terminal), and a running job left `running` under a dead owner until the next
start notices. And a terminal that hangs up *without* a signal (the shell ignored SIGHUP, or
`nohup`) makes Textual's input thread spin on end-of-file while its writer thread dies on EIO,
after which the app blocks on a full output queue.

- `TerminalGuard` (installed by `ShelfApp.on_mount`, removed by `on_unmount`): SIGHUP and
  SIGTERM, and a tty that reports POLLHUP, close the console through `App.exit`, the same path
  as `q`: running jobs are journaled `interrupted` (jobs_service.close) and offered for resume at
  the next start; the exit code is 128 + the signal number, as a shell reports a signalled
  process. The signal handler itself only hands the request to the event loop.
- `hangup_safe_driver` (used by `run_app`): Textual's Linux driver writing through
  `SafeOutput`, which drops output once the terminal is gone instead of failing, so the exit
  path never blocks on a dead terminal.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import select
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType
from typing import IO, TYPE_CHECKING, Any

from shelf_tui import logs

if TYPE_CHECKING:
    from textual.app import App
    from textual.driver import Driver

log = logs.get("ui.terminal")

#: The signals that close the console: the terminal hung up; someone asked it to stop.
EXIT_SIGNALS: tuple[signal.Signals, ...] = (signal.SIGHUP, signal.SIGTERM)
#: What a hung-up terminal is reported as when no signal came (the exit code of SIGHUP).
LOST = "terminal lost"


def color_system() -> str:
    """The colour system Textual will use here: truecolor, 256, standard, windows, or none."""
    from rich.console import Console

    if os.environ.get("NO_COLOR"):
        return "none (NO_COLOR is set)"
    console = Console(force_terminal=True)
    return console.color_system or "none"


def ttys() -> list[int]:
    """The file descriptors of this process's terminal (stdin and stderr, which Textual reads
    and writes), each once. None off Linux: macOS's poll() does not support devices and calls
    a tty POLLNVAL, which would read as a hang-up the moment the console opens (SIGHUP still
    closes it there)."""
    if not sys.platform.startswith("linux"):
        return []
    fds: list[int] = []
    for stream in (sys.__stdin__, sys.__stderr__):
        try:
            fd = stream.fileno() if stream is not None else -1
        except (OSError, ValueError):
            continue
        if fd >= 0 and fd not in fds and os.isatty(fd):
            fds.append(fd)
    return fds


def exit_code(signum: int) -> int:
    """The exit code of a console closed by signal `signum` (as a shell reports it)."""
    return 128 + signum


class TerminalGuard:
    """While installed: SIGHUP/SIGTERM and a hung-up tty call `app.exit(return_code=...)` once,
    on the app's event loop. `restore()` puts the previous signal handlers back.

        guard = TerminalGuard(app, ttys=ttys()).install()   # on_mount
        guard.restore()                                     # on_unmount
    """

    def __init__(self, app: App[Any], *, ttys: Sequence[int] = ()) -> None:
        self.app = app
        self.ttys = tuple(dict.fromkeys(ttys))
        #: Why the console was closed ("SIGHUP", "SIGTERM", LOST), or "" while it was not.
        self.reason = ""
        self._loop: asyncio.AbstractEventLoop | None = None
        self._previous: dict[signal.Signals, Any] = {}
        self._watcher: threading.Thread | None = None
        self._wake: tuple[int, int] | None = None

    def install(self) -> TerminalGuard:
        """Take over the exit signals (main thread only) and watch the ttys for a hang-up.
        Call it on the app's running event loop."""
        self._loop = asyncio.get_running_loop()
        if threading.current_thread() is threading.main_thread():
            for sig in EXIT_SIGNALS:
                try:
                    self._previous[sig] = signal.signal(sig, self._on_signal)
                except (OSError, ValueError):  # not settable here: leave it as it was
                    log.debug("cannot handle %s here", sig.name)
        if self.ttys:
            self._wake = os.pipe()
            self._watcher = threading.Thread(
                target=self._watch, name="shelf-tty-watch", daemon=True
            )
            self._watcher.start()
        return self

    def restore(self) -> None:
        """Put the previous signal handlers back and stop watching the ttys."""
        for sig, previous in self._previous.items():
            try:
                signal.signal(sig, signal.SIG_DFL if previous is None else previous)
            except (OSError, ValueError):
                log.debug("cannot restore %s here", sig.name)
        self._previous.clear()
        if self._wake is not None:
            wake_read, wake_write = self._wake
            os.write(wake_write, b"x")
            if self._watcher is not None:
                self._watcher.join(timeout=5)
            os.close(wake_read)
            os.close(wake_write)
            self._wake = None
            self._watcher = None

    # -- the requests ------------------------------------------------------------------------

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        """The signal handler: nothing but a hand-over to the loop."""
        self._request(signal.Signals(signum).name, exit_code(signum))

    def _request(self, why: str, code: int) -> None:
        loop = self._loop
        if loop is None:
            return
        # A closed loop: the console is already gone.
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(self._close, why, code)

    def _close(self, why: str, code: int) -> None:
        if self.reason:
            return  # already closing: a second hang-up changes nothing
        self.reason = why
        log.warning("%s: closing the console (running jobs are journaled interrupted)", why)
        self.app.exit(return_code=code)

    def _watch(self) -> None:
        """The tty watcher thread: wait for POLLHUP/POLLERR on a tty, or the wake-up pipe."""
        assert self._wake is not None
        wake = self._wake[0]
        poller = select.poll()
        for fd in self.ttys:
            poller.register(fd, 0)  # no data events: only hang-up, error, invalid
        poller.register(wake, select.POLLIN)
        gone = select.POLLHUP | select.POLLERR | select.POLLNVAL
        while True:
            for fd, mask in poller.poll():
                if fd == wake:
                    return
                if mask & gone:
                    self._request(LOST, exit_code(signal.SIGHUP))
                    return


class SafeOutput:
    """The terminal output Textual's writer thread writes to. Once a write or flush fails
    (EIO: the terminal hung up; EPIPE; a closed file) it drops all further output, so the
    writer thread lives on and the app's exit path never blocks on a dead terminal."""

    def __init__(self, file: IO[str]) -> None:
        self.file = file
        self.lost = False

    def write(self, text: str) -> int:
        if not self.lost:
            try:
                return self.file.write(text)
            except (OSError, ValueError):
                self._lose()
        return len(text)

    def flush(self) -> None:
        if not self.lost:
            try:
                self.file.flush()
            except (OSError, ValueError):
                self._lose()

    def fileno(self) -> int:
        return self.file.fileno()

    def isatty(self) -> bool:
        return True

    def _lose(self) -> None:
        self.lost = True
        log.info("the terminal is gone: output dropped from now on")


def hangup_safe_driver(driver_class: type[Driver]) -> type[Driver]:
    """Textual's Linux driver writing through `SafeOutput`; any other driver unchanged."""
    from textual.drivers.linux_driver import LinuxDriver

    if driver_class is not LinuxDriver:
        return driver_class

    class HangupSafeDriver(LinuxDriver):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            if self._file is not None:
                self._file = SafeOutput(self._file)  # type: ignore[assignment]

    return HangupSafeDriver
