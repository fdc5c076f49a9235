"""The `shelf` command's foundation: help, version, --home, locate, doctor, one-line errors."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest


def shelf(
    *args: str, env: dict[str, str], stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "shelf_tui", *args],
        capture_output=True,
        text=True,
        env=env,
        input=stdin,
        timeout=120,
    )


def test_help_lists_commands_and_exit_codes(cli_env: dict[str, str]) -> None:
    out = shelf("--help", env=cli_env)
    assert out.returncode == 0
    assert "shelf demo" in out.stdout and "exit codes" in out.stdout
    for command in ("locate", "doctor", "sandbox"):
        assert command in out.stdout


def test_version_is_fast_and_does_not_import_textual(cli_env: dict[str, str]) -> None:
    code = (
        "import sys, runpy; sys.argv=['shelf','--version']\n"
        "try:\n    runpy.run_module('shelf_tui', run_name='__main__')\n"
        "except SystemExit: pass\n"
        "assert 'textual' not in sys.modules and 'httpx' not in sys.modules, sorted(sys.modules)\n"
        "assert 'sqlite3' not in sys.modules\n"
    )
    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=cli_env, timeout=60
    )
    elapsed = time.perf_counter() - started
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("shelf ")
    assert elapsed < 2.0  # a cold interpreter included; the import itself is a few ms


def _installed_shelf() -> Path:
    """The `shelf` console script pip installed next to this interpreter."""
    from importlib.metadata import entry_points

    (ep,) = entry_points(group="console_scripts", name="shelf")
    assert ep.value == "shelf_tui.cli:main"
    script = Path(sys.executable).parent / ("shelf.exe" if sys.platform == "win32" else "shelf")
    assert script.is_file(), f"pip install . puts the console script at {script}"
    return script


def test_the_installed_console_script_works(cli_env: dict[str, str], tmp_path: Path) -> None:
    """Issue 3: after `pip install .`, the `shelf` command itself (not `python -m`) answers
    --help, --version, --home ... locate data and doctor."""
    script = str(_installed_shelf())

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [script, *args], capture_output=True, text=True, env=cli_env, timeout=120
        )

    helped = run("--help")
    assert helped.returncode == 0 and "usage: shelf" in helped.stdout
    started = time.perf_counter()
    version = run("--version")
    assert time.perf_counter() - started < 2.0  # a cold interpreter included
    assert version.returncode == 0 and version.stdout.startswith("shelf ")
    located = run("--home", str(tmp_path / "x"), "locate", "data")
    assert located.returncode == 0
    assert Path(located.stdout.strip()) == tmp_path / "x" / "data"
    doctor = run("doctor")
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    assert "ok keyring" in doctor.stdout and "Traceback" not in doctor.stderr


def test_home_moves_every_directory(cli_env: dict[str, str], tmp_path: Path) -> None:
    target = tmp_path / "x"
    for what in ("config", "data", "logs"):
        out = shelf("--home", str(target), "locate", what, env=cli_env)
        assert out.returncode == 0
        assert Path(out.stdout.strip()).is_relative_to(target)
    env = dict(cli_env, SHELF_HOME=str(tmp_path / "y"))
    assert shelf("locate", "data", env=env).stdout.strip() == str(tmp_path / "y" / "data")


def test_default_locations_follow_the_platform(cli_env: dict[str, str], tmp_path: Path) -> None:
    env = dict(cli_env)
    del env["SHELF_HOME"]
    env["XDG_CONFIG_HOME"] = str(tmp_path / "cfg")
    out = shelf("locate", "config", env=env)
    assert out.stdout.strip() == str(tmp_path / "cfg" / "shelf")


def test_doctor_reports_versions_keyring_terminal_and_database(
    cli_env: dict[str, str], shelf_home: Path
) -> None:
    from shelf_tui.store import Store

    Store.open(shelf_home / "data" / "shelf.db").close()
    env = dict(cli_env, TERM="xterm-256color", COLORTERM="truecolor")
    out = shelf("doctor", env=env)
    assert out.returncode == 0, out.stdout + out.stderr
    text = out.stdout
    assert "textual" in text and "python" in text
    assert "stores and reads back a secret" in text
    assert "truecolor" in text
    assert "schema version" in text and "shelf.db" in text
    from shelf_tui.store import SCHEMA_VERSION

    (db_line,) = [ln for ln in text.splitlines() if ln.split()[1:2] == ["database"]]
    assert db_line.rstrip().endswith(" MB)")  # the file's size
    (schema_line,) = [ln for ln in text.splitlines() if "schema version" in ln]
    assert schema_line.split()[-1] == str(SCHEMA_VERSION)


def test_doctor_explains_a_missing_keyring(cli_env: dict[str, str]) -> None:
    env = dict(cli_env, PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
    out = shelf("doctor", env=env)
    assert out.returncode == 1
    assert "dbus-run-session" in out.stdout and "PYTHON_KEYRING_BACKEND" in out.stdout


@pytest.mark.parametrize(
    ("args", "config_text", "fragment"),
    [
        (["bogus"], None, "invalid choice"),
        (["doctor"], "read_only = maybe", "config.toml"),
        (["locate", "elsewhere"], None, "invalid choice"),
    ],
)
def test_errors_are_one_line_with_exit_2(
    cli_env: dict[str, str],
    shelf_home: Path,
    args: list[str],
    config_text: str | None,
    fragment: str,
) -> None:
    if config_text is not None:
        (shelf_home / "config").mkdir(parents=True, exist_ok=True)
        (shelf_home / "config" / "config.toml").write_text(config_text)
    out = shelf(*args, env=cli_env)
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("shelf: ") and fragment in lines[0]
    assert "Traceback" not in out.stderr


def test_damaged_database_is_reported_and_untouched(
    cli_env: dict[str, str], shelf_home: Path
) -> None:
    db = shelf_home / "data" / "shelf.db"
    db.parent.mkdir(parents=True)
    db.write_bytes(b"garbage" * 1000)
    out = shelf("doctor", env=cli_env)
    assert out.returncode == 1
    (line,) = [ln for ln in out.stdout.splitlines() if ln.startswith("!! database")]
    assert "untouched" in line
    assert db.read_bytes() == b"garbage" * 1000


def test_sandbox_prints_its_json_line_first_and_refuses_bad_faults(cli_env: dict[str, str]) -> None:
    import json

    proc = subprocess.Popen(
        [sys.executable, "-m", "shelf_tui", "sandbox", "--items", "40"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_env,
    )
    try:
        assert proc.stdout is not None
        info = json.loads(proc.stdout.readline())
        assert info["top"].startswith("http://127.0.0.1:") and info["top"].endswith("/router/rest")
        assert info["temu"].endswith("/openapi/router")
        assert {s["platform"] for s in info["shops"]} == {"taobao", "mercadolibre", "temu"}
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    out = shelf("sandbox", "--faults", "bogus=1", env=cli_env)
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1 and "unknown fault" in out.stderr
