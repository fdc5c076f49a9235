"""The console's side of a vanishing terminal (shelf_tui/ui/terminal.py), in process: SIGHUP
and SIGTERM close the real app through its exit path and the previous handlers come back; a
pty whose other end closes is noticed without any signal; output to a dead terminal is
dropped instead of failing. The tmux tests (test_hangup_tmux.py) show the same end to end."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from pathlib import Path

import pytest
from textual.drivers.headless_driver import HeadlessDriver
from textual.drivers.linux_driver import LinuxDriver

from shelf_tui.store import Store
from shelf_tui.ui.app import make_app
from shelf_tui.ui.terminal import LOST, SafeOutput, TerminalGuard, hangup_safe_driver


@pytest.mark.parametrize("signum", [signal.SIGHUP, signal.SIGTERM])
async def test_a_signal_closes_the_console_through_its_exit_path(
    tmp_path: Path, signum: signal.Signals
) -> None:
    def before(*_: object) -> None:
        raise AssertionError("the console's handler should be in place")

    previous = signal.signal(signum, before)
    try:
        with Store.open(tmp_path / "shelf.db") as store:
            app = make_app(store, sync_on_open=False)
            async with app.run_test() as pilot:
                await pilot.pause()
                assert signal.getsignal(signum) is not before
                os.kill(os.getpid(), signum)  # the handler runs before kill() returns
                await pilot.pause()  # the loop takes the hand-over: app.exit
            assert app.return_code == 128 + signum
            assert app._terminal.reason == signum.name
            # on_unmount put the previous handler back.
            assert signal.getsignal(signum) is before
    finally:
        signal.signal(signum, previous)


class StubApp:
    def __init__(self) -> None:
        self.codes: list[int] = []
        self.exited = asyncio.Event()

    def exit(self, *, return_code: int) -> None:
        self.codes.append(return_code)
        self.exited.set()


async def test_a_tty_that_hangs_up_without_a_signal_closes_the_console() -> None:
    master, slave = os.openpty()
    app = StubApp()
    guard = TerminalGuard(app, ttys=[slave]).install()  # type: ignore[arg-type]
    try:
        assert not app.exited.is_set()
        os.close(master)  # the SSH connection (the pty's other end) is gone
        await asyncio.wait_for(app.exited.wait(), 10)
        assert app.codes == [128 + signal.SIGHUP]
        assert guard.reason == LOST
    finally:
        guard.restore()
        os.close(slave)


async def test_a_second_hang_up_changes_nothing() -> None:
    app = StubApp()
    guard = TerminalGuard(app).install()  # type: ignore[arg-type]
    try:
        os.kill(os.getpid(), signal.SIGHUP)
        os.kill(os.getpid(), signal.SIGTERM)
        # Both hand-overs were queued before the first ran: by now the second has run too.
        await asyncio.wait_for(app.exited.wait(), 10)
        assert app.codes == [128 + signal.SIGHUP]
        assert guard.reason == "SIGHUP"
    finally:
        guard.restore()


def test_output_to_a_hung_up_terminal_is_dropped_not_raised() -> None:
    master, slave = os.openpty()
    out = os.fdopen(slave, "w", encoding="utf-8")
    safe = SafeOutput(out)
    try:
        safe.write("\x1b[?1049h")
        safe.flush()
        assert not safe.lost
        assert os.read(master, 100) == b"\x1b[?1049h"
        os.close(master)
        safe.write("x" * 10_000)  # EIO on the hung-up terminal
        safe.flush()
        assert safe.lost
        assert safe.write("more") == 4  # dropped, quietly
    finally:
        # Its buffer cannot be flushed to the dead terminal.
        with contextlib.suppress(OSError):
            out.close()


def test_only_the_linux_driver_is_wrapped() -> None:
    wrapped = hangup_safe_driver(LinuxDriver)
    assert issubclass(wrapped, LinuxDriver) and wrapped is not LinuxDriver
    assert hangup_safe_driver(HeadlessDriver) is HeadlessDriver


def test_no_tty_watch_off_linux(monkeypatch: pytest.MonkeyPatch) -> None:
    """macOS's poll() reports a tty as POLLNVAL: watching it there would close the console the
    moment it opened, so only SIGHUP/SIGTERM are handled off Linux."""
    import sys

    from shelf_tui.ui.terminal import ttys

    monkeypatch.setattr(sys, "platform", "darwin")
    assert ttys() == []
