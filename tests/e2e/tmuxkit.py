"""A real terminal for end-to-end tests: a private tmux server (its own socket file in the test's
tmp dir, so a test never touches the user's tmux), one pane of a fixed size, keys in, captured
screens out.

The pane runs the command through login_shell.py (the seller's login shell), which writes how
the command ended to a JSON file. Screens are read by polling `capture-pane` against a
deadline: a terminal has no other way to say "this is on screen now".
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

LOGIN_SHELL = Path(__file__).with_name("login_shell.py")
#: How often a screen is captured while waiting for something to show.
POLL = 0.1


def tmux_binary() -> str:
    """tmux, which these tests need (.ci/run installs it): missing is a failure, not a skip."""
    found = shutil.which("tmux")
    assert found, (
        "tmux is not installed: the end-to-end console tests need it (.ci/run installs it)"
    )
    return found


def shelf_command() -> list[str]:
    """The installed `shelf` console script, next to this interpreter (the venv's bin)."""
    script = Path(sys.executable).parent / "shelf"
    assert script.exists(), f"the `shelf` console script is not installed at {script}"
    return [str(script)]


def base_env(root: Path) -> dict[str, str]:
    """This process's environment (already isolated by tests/conftest.py) for a shelf home
    under `root` and a file keyring there, never the host's."""
    env = dict(os.environ)
    env["SHELF_HOME"] = str(root / "home")
    env["PYTHON_KEYRING_BACKEND"] = "keyrings.alt.file.PlaintextKeyring"
    env["XDG_DATA_HOME"] = str(root / "xdg-data")
    env["PYTHONUTF8"] = "1"
    for name in ("TMUX", "TMUX_PANE", "SHELF_READ_ONLY", "NO_COLOR", "TEXTUAL_DRIVER"):
        env.pop(name, None)
    return env


class Terminal:
    """One tmux pane running one command; `screen()` is what the seller sees."""

    def __init__(
        self, env: Mapping[str, str], where: Path, *, width: int = 80, height: int = 24
    ) -> None:
        self.tmux = tmux_binary()
        self.env = dict(env)
        self.width = width
        self.height = height
        self.socket = where / f"tmux-{uuid.uuid4().hex[:8]}.sock"
        self.result: Path | None = None
        self.last = ""
        #: What happened, for a failure's message: keys sent and screens seen, timed.
        self.story: list[str] = []
        self._t0 = time.monotonic()

    def _note(self, what: str) -> None:
        self.story.append(f"{time.monotonic() - self._t0:7.2f}s {what}")

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [self.tmux, "-S", str(self.socket), *args],
            env=self.env,
            capture_output=True,
            text=True,
            check=check,
            timeout=30,
        )

    def start(self, command: Sequence[str], result: Path) -> None:
        """Start `command` in a new pane (a new server on this terminal's socket)."""
        self.result = result
        result.unlink(missing_ok=True)
        argv = [sys.executable, str(LOGIN_SHELL), str(result), "--", *command]
        self._run(
            "-f",
            os.devnull,  # no user configuration
            "new-session",
            "-d",
            "-s",
            "e2e",
            "-x",
            str(self.width),
            "-y",
            str(self.height),
            *argv,
        )

    def screen(self) -> str:
        """The pane as text (one line per row), or "" when the pane is gone."""
        done = self._run("capture-pane", "-p", "-t", "e2e", check=False)
        if done.returncode == 0:
            if done.stdout != self.last:
                first = done.stdout.split("\n", 1)[0].strip()
                footer = [line for line in done.stdout.split("\n") if line.strip()][-1:]
                self._note(f"screen: {first[:60]!r} … {''.join(footer).strip()[:60]!r}")
            self.last = done.stdout
            return done.stdout
        return ""

    def keys(self, *keys: str) -> None:
        """tmux key names: "Enter", "Escape", "Space", "D", "/"..."""
        self._note(f"keys {' '.join(keys)}")
        self._run("send-keys", "-t", "e2e", *keys)

    def type(self, text: str) -> None:
        """Literal text, as typed."""
        self._note(f"type {text!r}")
        self._run("send-keys", "-t", "e2e", "-l", text)

    def wait_for(
        self,
        want: str | re.Pattern[str] | Callable[[str], bool],
        *,
        timeout: float = 20.0,
        what: str = "",
    ) -> str:
        """Capture until `want` (text, a regex, or a test of the screen) shows; the screen.
        Fails with the last screen when the deadline passes first."""
        if isinstance(want, str):
            needle = want

            def test(screen: str) -> bool:
                return needle in screen
        elif isinstance(want, re.Pattern):
            pattern = want

            def test(screen: str) -> bool:
                return pattern.search(screen) is not None
        else:
            test = want
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            if test(screen):
                return screen
            if time.monotonic() > deadline:
                story = "\n".join(self.story[-40:])
                raise AssertionError(
                    f"not on screen after {timeout:.0f}s: {what or want!r}\n"
                    f"--- last screen ---\n{self.last}\n--- keys and screens ---\n{story}"
                )
            time.sleep(POLL)

    def hang_up(self) -> None:
        """Kill the tmux server: the pane's terminal hangs up (as when SSH drops)."""
        self._run("kill-server", check=False)

    def exit_status(self, timeout: float = 30.0) -> dict[str, Any]:
        """How the command ended ({"returncode", "hangup"}), waiting for it to end."""
        assert self.result is not None, "nothing was started"
        deadline = time.monotonic() + timeout
        while not self.result.exists():
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"the command did not end within {timeout:.0f}s\n--- last screen ---\n"
                    f"{self.last}"
                )
            time.sleep(POLL)
        status: dict[str, Any] = json.loads(self.result.read_text())
        return status

    def close(self) -> None:
        self._run("kill-server", check=False)
        self.socket.unlink(missing_ok=True)


@contextmanager
def terminal(
    env: Mapping[str, str], where: Path, *, width: int = 80, height: int = 24
) -> Iterator[Terminal]:
    """A terminal (its socket in `where`) whose tmux server is killed at the end, whatever
    happened."""
    term = Terminal(env, where, width=width, height=height)
    try:
        yield term
    finally:
        term.close()


def rows(screen: str) -> list[str]:
    return screen.split("\n")


_ITEMS = re.compile(r"^ Items (\d+)")


def browser_ready(screen: str) -> bool:
    """The item browser after the console's first sync, with rows and the keyboard on the
    table (its keys in the footer): keys sent now reach the browser."""
    lines = rows(screen)
    if len(lines) < 24:
        return False
    title = _ITEMS.match(lines[0])
    return (
        title is not None
        and int(title.group(1)) > 0
        and "synced" in lines[0]
        and lines[3].startswith(">")
        and "space Mark" in lines[23]
    )


def filter_focused(screen: str) -> bool:
    """The filter bar has the keyboard (its keys in the footer, not the table's). Keys sent
    in one burst with `/` would still reach the table: `Widget.focus()` moves the focus only
    after the keys already queued."""
    lines = rows(screen)
    return len(lines) >= 24 and lines[23].startswith("esc Clear filter")
