"""No usable keyring: one screen with the fixes, instead of a traceback or a silent plaintext
file (auth/tokens.py holds the policy). Shown when the console needs a secret and the policy
refuses the keyring (keyring's fail or null backend, an empty chainer, a locked collection,
no D-Bus, or an unchosen plaintext file)."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from shelf_tui.ui.text import one_line

FIXES = (
    "Fix it one of these ways, then start shelf again:\n"
    "\n"
    "  A desktop keyring on a headless or SSH session:\n"
    "    dbus-run-session -- sh -c \\\n"
    "      'echo -n PASSWORD | gnome-keyring-daemon --unlock; shelf'\n"
    "\n"
    "  An encrypted file, chosen explicitly:\n"
    "    pip install keyrings.cryptfile\n"
    "    PYTHON_KEYRING_BACKEND=keyrings.cryptfile.cryptfile.CryptFileKeyring \\\n"
    "      shelf\n"
    "\n"
    "shelf never falls back to a plaintext file on its own. `shelf doctor` checks the keyring."
)


def reason_of(message: str) -> str:
    """The 'why' of a KeyringUnavailable message, without its inline fix (shown in full
    below it)."""
    text = one_line(message)
    cut = text.find(". Fix:")
    if cut < 0:
        cut = text.find(": run shelf under")
    text = text[:cut] if cut > 0 else text
    for prefix in ("no usable keyring: ", "no usable keyring "):
        if text.startswith(prefix):
            text = text[len(prefix) :]
    return text[:1].upper() + text[1:]


class KeyringScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,enter,q", "close", "Close", id="keyring.close"),
    ]

    DEFAULT_CSS = """
    KeyringScreen { align: center middle; }
    KeyringScreen #keyring-dialog {
        width: 80; max-width: 100%; height: auto; max-height: 100%;
        border: thick $error; background: $surface; padding: 0 1;
    }
    KeyringScreen #keyring-title { text-style: bold; color: $error; }
    KeyringScreen #keyring-why { margin-bottom: 1; }
    KeyringScreen #keyring-close { color: $text-muted; margin-top: 1; }
    """

    def __init__(self, message: str) -> None:
        super().__init__(id="keyring-problem")
        self.message = message

    def compose(self) -> ComposeResult:
        with Vertical(id="keyring-dialog"):
            yield Static(Text("No usable keyring: nothing can be signed in"), id="keyring-title")
            yield Static(
                Text(
                    "shelf keeps app secrets and tokens only in the OS keyring. "
                    f"{reason_of(self.message)}."
                ),
                id="keyring-why",
            )
            yield Static(Text(FIXES), id="keyring-fixes")
            yield Static(Text("esc closes"), id="keyring-close")

    def action_close(self) -> None:
        self.dismiss(None)
