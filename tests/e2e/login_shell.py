"""A stand-in for the seller's login shell on an SSH box, run as the tmux pane's process.

    python login_shell.py RESULT.json [--nohup] -- COMMAND ARGS...

It runs COMMAND on the pane's terminal and, as bash does when its terminal hangs up, forwards
SIGHUP to it (with --nohup it does not: COMMAND only finds its terminal gone, as under `nohup`
or a shell that ignores SIGHUP); when COMMAND ends it writes {"returncode", "hangup"} to
RESULT.json. (A real shell's `$?` is lost with the pane: this is how a test learns how `shelf`
ended.)
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from types import FrameType


def main(argv: list[str]) -> int:
    result = Path(argv[0])
    command = argv[argv.index("--") + 1 :]
    nohup = "--nohup" in argv[: argv.index("--")]
    hangups: list[int] = []
    child: subprocess.Popen[bytes] | None = None

    def forward(signum: int, _frame: FrameType | None) -> None:
        hangups.append(signum)
        if child is not None and not nohup:
            with contextlib.suppress(ProcessLookupError):
                child.send_signal(signum)

    signal.signal(signal.SIGHUP, forward)  # the child gets the default back at exec
    child = subprocess.Popen(command)
    if hangups:  # hung up before the child existed
        forward(signal.SIGHUP, None)
    returncode = child.wait()
    tmp = result.with_name(result.name + ".tmp")
    tmp.write_text(json.dumps({"returncode": returncode, "hangup": bool(hangups)}))
    os.replace(tmp, result)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
