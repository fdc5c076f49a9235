"""screenshots/ is what screenshots/generate.py makes here and now: the script run into a tmp
dir in this test's environment writes every committed SVG again, identical, and nothing that
is not committed.

Nothing in the pictures varies from run to run or machine to machine (a fixed clock, fixed
data, a fixed OAuth state, cursors held on, toasts cleared; checked under another real date,
TZ and TERM), so the only normalising is of line endings (a checkout may turn LF into CRLF).
When a screen changes on purpose: `python screenshots/generate.py`, review, commit the SVGs.
"""

from __future__ import annotations

import html
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "screenshots" / "generate.py"
COMMITTED = ROOT / "screenshots"
FIX = "run `python screenshots/generate.py`, review the pictures and commit them"


def normalise(svg: str) -> str:
    return svg.replace("\r\n", "\n")


def committed_svgs() -> dict[str, str]:
    """The SVGs of screenshots/ in the checkout (git's list when this is a git checkout:
    an SVG left lying there uncommitted does not count)."""
    names = sorted(p.name for p in COMMITTED.glob("*.svg"))
    git = shutil.which("git")
    if git and (ROOT / ".git").exists():
        listed = subprocess.run(
            [git, "ls-files", "--", "screenshots/*.svg"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        names = sorted(Path(p).name for p in listed)
    return {n: normalise((COMMITTED / n).read_text(encoding="utf-8")) for n in names}


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """What the script writes now, into a tmp dir, from a clean environment of this test run
    (the script makes its own throwaway $HOME and in-memory keyring)."""
    out = tmp_path_factory.mktemp("screenshots")
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    written = [Path(line) for line in done.stdout.split()]
    assert written and all(p.parent == out for p in written), done.stdout
    assert sorted(p.name for p in written) == sorted(p.name for p in out.iterdir())
    return {p.name: normalise(p.read_text(encoding="utf-8")) for p in written}


@pytest.mark.slow
def test_every_screenshot_the_script_writes_is_committed(generated: dict[str, str]) -> None:
    committed = committed_svgs()
    missing = sorted(set(generated) - set(committed))
    stale = sorted(set(committed) - set(generated))
    assert not missing, f"not committed: {missing}: {FIX}"
    assert not stale, f"committed but no longer made by the script: {stale}: {FIX}"


@pytest.mark.slow
def test_the_committed_screenshots_are_reproduced_identically(
    generated: dict[str, str],
) -> None:
    committed = committed_svgs()
    assert len(generated) >= 15  # one per screen of the README, and the help screen
    changed = sorted(n for n in generated if n in committed and generated[n] != committed[n])
    assert not changed, f"changed: {changed}: {FIX}"


@pytest.mark.slow
def test_each_picture_is_its_screen_and_shows_no_secret(generated: dict[str, str]) -> None:
    """Each picture is the screen it is named after, drawn by the console itself; the app
    secrets and tokens the script put in the keyring appear in none."""
    words = {
        "browser.svg": "Items 36",
        "browser-80x24.svg": "Items 36",
        "browser-marked.svg": "6 marked",
        "detail.svg": "Timeline (newest first)",
        "alerts.svg": "Alerts 9",
        "confirm-delist.svg": "Reason (required)",
        "confirm-delist-80x24.svg": "Reason (required)",
        "jobs.svg": "Failures 1",
        "shops.svg": "Shops 3",
        "sign-in.svg": "Sign in · tb-main",
        "add-shop.svg": "Add a shop",
        "rules.svg": "Rules 4",
        "rule-preview.svg": "zero-stock preview",
        "report.svg": "List and delist events per day",
        "help.svg": "Keys: Browser",
    }
    assert sorted(words) == sorted(generated)
    for name, word in words.items():
        text = html.unescape(generated[name]).replace("\xa0", " ")
        assert word in text, name
        for secret in ("app-secret-never-shown", "token-never-shown"):
            assert secret not in text, name
