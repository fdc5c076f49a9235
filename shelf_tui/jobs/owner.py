"""Who runs a job: host + pid + the process's start time.

Why the start time: after a crash and a reboot (or just a busy box) the dead owner's pid can be
reused by an unrelated live process; pid alone would then mistake that process for the owner
and leave the job `running` forever. The start time tells the two apart. On another host we
cannot look at the process table, so a stale heartbeat decides.
"""

from __future__ import annotations

import functools
import os
import socket
import sys
from dataclasses import dataclass

#: A job whose owner lives on another host is presumed dead after this long without a heartbeat.
STALE_AFTER = 120

_PROC = sys.platform.startswith("linux")


@dataclass(frozen=True, slots=True)
class Owner:
    host: str
    pid: int
    start: str

    def __str__(self) -> str:
        return f"{self.host}:{self.pid}:{self.start}"

    @classmethod
    def parse(cls, text: str) -> Owner | None:
        """The owner written in a job row; None for an empty or foreign value."""
        host, _, rest = text.rpartition(":")
        host2, _, pid = host.rpartition(":")
        if not host2 or not pid.isdigit():
            return None
        return cls(host2, int(pid), rest)

    def describe(self) -> str:
        return f"process {self.pid} on {self.host}"


def _hostname() -> str:
    # ':' separates the fields; a hostname never contains one, but be safe.
    return socket.gethostname().replace(":", "_") or "localhost"


def process_start(pid: int) -> str | None:
    """A token that changes when `pid` is reused: the start time in clock ticks since boot
    (Linux /proc), or None if the process does not exist. Elsewhere "?" for a live pid."""
    if _PROC:
        try:
            with open(f"/proc/{pid}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            return None
        # The command name (field 2) may contain spaces and parentheses: split after the
        # last ')'. starttime is field 22, i.e. the 20th after the name.
        fields = stat[stat.rfind(b")") + 2 :].split()
        return fields[19].decode() if len(fields) > 19 else "?"
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return "?"
    return "?"


@functools.cache
def current() -> Owner:
    """This process."""
    pid = os.getpid()
    return Owner(_hostname(), pid, process_start(pid) or "?")


def is_alive(owner_text: str, heartbeat: int | None, now: int) -> bool:
    """Whether the owner recorded on a running job may still be running it."""
    owner = Owner.parse(owner_text)
    if owner is None:
        return heartbeat is not None and now - heartbeat < STALE_AFTER
    me = current()
    if owner.host != me.host:
        return heartbeat is not None and now - heartbeat < STALE_AFTER
    if owner.pid == me.pid:
        return owner.start == me.start
    start = process_start(owner.pid)
    if start is None:
        return False
    return start == owner.start or "?" in (start, owner.start)
