"""Help (`?`): every key that works on the screen below it right now, grouped by where it is
bound (this screen, the focused widget and its parents, everywhere), each with the key as
currently mapped (after config.toml's `[keymap]`), what it does and its binding id (the name
to use in `[keymap]`).

What is listed is what a key press would reach, computed the way Textual dispatches keys: a
widget's binding shadows the same key further out, a modal dialog stops the chain (only
priority bindings reach past it), and a binding whose `check_action` says False is left out.
That last rule is how read-only mode hides L/D and the other changing verbs (the screens'
`check_action`), so help never offers a key the screen itself hides. Bindings that exist but
do not apply now (`check_action` None, dimmed in the footer) are listed as "(not now)".

Everything is drawn as `Text`, never markup: a description or a shop name cannot style or
break the screen.

`all_bindings()` walks every class of the console for its BINDINGS: the keymap reference and
the test that every binding has a unique, namespaced id use it.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from dataclasses import dataclass, replace
from typing import Any, ClassVar

from rich.cells import cell_len
from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.dom import DOMNode
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from shelf_tui.ui.text import clean, fit

#: Width of a line of the list: the box is 76 wide, less its border, padding and scrollbar.
WIDTH = 70
KEYS_WIDTH = 14
ID_WIDTH = 20
NOT_NOW = " (not now)"
BUILT_IN = "—"
#: Textual's own descriptions that read oddly next to shelf's.
RENAMED = {"command_palette": "Command palette"}


@dataclass(frozen=True, slots=True)
class HelpRow:
    """One binding as the seller can use it now."""

    keys: tuple[str, ...]  # as displayed: "r", "^r", "/", "?"
    description: str
    binding_id: str  # "" for Textual's own bindings (not remappable by id)
    enabled: bool  # False: exists but does not apply now (shown "(not now)")


@dataclass(frozen=True, slots=True)
class HelpGroup:
    title: str
    rows: tuple[HelpRow, ...]


def _words(name: str) -> str:
    """'RulePreviewScreen' -> 'Rule preview'; 'ItemTable' -> 'Item table'."""
    name = name.removesuffix("Screen") or name
    words = re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z0-9]+", name)
    text = " ".join(w if w.isupper() and len(w) > 1 else w.lower() for w in words)
    return text[:1].upper() + text[1:]


def node_title(node: DOMNode | type[DOMNode]) -> str:
    """A group's title: the class's `HELP_TITLE` if it has one, else its name in words."""
    cls = node if isinstance(node, type) else type(node)
    if issubclass(cls, App):
        return "Everywhere"
    title = getattr(cls, "HELP_TITLE", None)
    return title if isinstance(title, str) and title else _words(cls.__name__)


def key_display(app: App[Any], binding: Binding) -> str:
    """The key as the footer would show it, but always from the key itself: a binding's
    `key_display` describes its default key, which a keymap override may have replaced."""
    return app.get_key_display(replace(binding, key_display=None))


def help_groups(screen: Screen[Any]) -> list[HelpGroup]:
    """What `?` lists for `screen`: its bindings, the focused widget chain's and the app's,
    each once under the node that would handle it, in the order a key press tries them."""
    app = screen.app
    # One pass over one copy of the chain (each `_binding_chain` call copies the maps and
    # applies the keymap, so bindings from two calls are not the same objects).
    chain = screen._binding_chain
    modal_end = next((n for n, (node, _) in enumerate(chain, 1) if node.is_modal), len(chain))
    taken: dict[str, tuple[DOMNode, Binding, bool]] = {}
    for index, (node, bindings) in enumerate(chain):
        reachable = index < modal_end
        for key, binding in bindings:
            if not reachable and not binding.priority:
                continue
            state = app._check_action_state(binding.action, node)
            if state is False:
                continue
            found = taken.get(key)
            if found is None or (binding.priority and not found[1].priority):
                taken[key] = (node, binding, bool(state))

    # Group by node, in chain order; each binding once, with all its live keys.
    grouped: dict[int, tuple[DOMNode, dict[object, list[Any]]]] = {}
    for node, bindings in chain:
        rows: dict[object, list[Any]] = {}
        for key, binding in bindings:
            hit = taken.get(key)
            if hit is None or hit[0] is not node or hit[1] is not binding:
                continue
            if not binding.description and not binding.id:
                continue  # Textual's unnamed system keys (ctrl+c's "use ctrl+q" hint)
            ident: object = binding.id or (binding.action, binding.description)
            row = rows.setdefault(ident, [binding, [], True])
            label = key_display(app, binding)
            if label not in row[1]:
                row[1].append(label)
            row[2] = row[2] and hit[2]
        if rows:
            grouped[id(node)] = (node, rows)

    def group(node: DOMNode, rows: dict[object, list[Any]]) -> HelpGroup:
        out = []
        for binding, keys, enabled in rows.values():
            description = RENAMED.get(binding.action) or binding.description or binding.action
            out.append(HelpRow(tuple(keys), clean(description), binding.id or "", enabled))
        # shelf's own keys first, Textual's built-ins (no id) after them
        out.sort(key=lambda row: not row.binding_id)
        return HelpGroup(node_title(node), tuple(out))

    nodes = [node for node, _ in chain if id(node) in grouped]
    # The screen first (its verbs), then the focused widget chain inside out, the app last.
    ordered: list[DOMNode] = [n for n in nodes if n is screen]
    ordered += [n for n in nodes if n is not screen and not isinstance(n, App)]
    ordered += [n for n in nodes if isinstance(n, App)]
    return [group(*grouped[id(n)]) for n in ordered]


def _pad(text: str, width: int) -> str:
    text = fit(text, width)
    return text + " " * max(0, width - cell_len(text))


def render_groups(groups: list[HelpGroup]) -> Text:
    """The groups as aligned lines: key(s), what it does, binding id."""
    desc_width = WIDTH - KEYS_WIDTH - ID_WIDTH - 2
    out = Text(no_wrap=True, overflow="ellipsis")
    for n, grp in enumerate(groups):
        if n:
            out.append("\n")
        out.append(fit(grp.title, WIDTH), style="bold")
        for row in grp.rows:
            out.append("\n")
            style = "" if row.enabled else "dim"
            description = row.description + ("" if row.enabled else NOT_NOW)
            out.append(_pad(", ".join(row.keys), KEYS_WIDTH) + " ", style=f"bold {style}".strip())
            out.append(_pad(description, desc_width) + " ", style=style)
            out.append(fit(row.binding_id or BUILT_IN, ID_WIDTH), style="dim")
        out.append("\n")
    return out


class HelpScreen(ModalScreen[None]):
    """The keys of `below` (the screen `?` was pressed on). esc, q or ? closes."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "close", "Close", id="help.close"),
    ]

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen #help-box {
        width: 76; max-width: 100%; height: auto; max-height: 100%;
        border: round $accent; background: $surface; padding: 0 1;
    }
    HelpScreen #help-title { text-style: bold; }
    HelpScreen #help-hint { color: $text-muted; }
    HelpScreen #help-scroll { height: auto; max-height: 1fr; }
    """

    def __init__(self, below: Screen[Any], *, read_only: bool = False) -> None:
        super().__init__(id="help")
        self.below = below
        self.read_only = read_only
        #: What is listed (tests read it; the text below is drawn from it).
        self.groups = help_groups(below)

    @property
    def text(self) -> str:
        """Every line of the list, as plain text (what the scroll area holds)."""
        return render_groups(self.groups).plain

    def compose(self) -> ComposeResult:
        title = f"Keys: {node_title(self.below)}"
        hint = (
            "esc, q or ? closes · ↑↓ PgUp PgDn scroll · "
            'remap by id in config.toml [keymap], e.g. app.jobs = "ctrl+j"'
        )
        if self.read_only:
            hint += " · read-only: keys that change shops are hidden"
        with Vertical(id="help-box"):
            yield Static(Text(fit(title, WIDTH)), id="help-title")
            yield Static(Text(hint), id="help-hint")
            with VerticalScroll(id="help-scroll"):
                yield Static(render_groups(self.groups), id="help-list")

    def on_mount(self) -> None:
        self.query_one("#help-scroll", VerticalScroll).focus()

    def action_close(self) -> None:
        self.dismiss(None)


# -- every binding of the console ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BindingInfo:
    """One binding as declared in a class's BINDINGS."""

    owner: type[DOMNode]
    binding: Binding

    @property
    def where(self) -> str:
        return node_title(self.owner)


def all_bindings(package: str = "shelf_tui.ui") -> list[BindingInfo]:
    """Every Binding declared by a class of the console (its own BINDINGS, not inherited),
    module by module in name order: what `[keymap]` can remap."""
    root = importlib.import_module(package)
    names = sorted(
        m.name for m in pkgutil.walk_packages(root.__path__, f"{package}.") if not m.ispkg
    )
    out: list[BindingInfo] = []
    for name in names:
        module = importlib.import_module(name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ != name or not issubclass(cls, DOMNode):
                continue
            for item in cls.__dict__.get("BINDINGS", ()):
                binding = item if isinstance(item, Binding) else Binding(*item)
                out.append(BindingInfo(cls, binding))
    return out
