"""The bulk confirm dialog: a plan reviewed before anything is sent (design.md, "Console UX").

It names the action, each shop with its count, the marked items the filter hides, and the
preflight from what the store knows (will change / already / blocked, blocked reasons counted
and listed item by item with ctrl+o). Then a reason, required: focus starts on it, ↑↓ cycle the
presets, Enter on an empty reason never confirms. Above `ui.type_count_above` items the seller
types the count. Cancel comes before the action button, and esc dismisses: both write nothing.

The key that opened the dialog is swallowed while it repeats (a held or doubled `D` must not
become the reason's first letter); the dialog dismisses once, so a doubled Enter confirms once.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import ClassVar

from rich.console import RenderableType
from rich.style import Style
from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Input, Static

from shelf_tui.domain import Action
from shelf_tui.jobs import Plan, Refusal
from shelf_tui.ui.columns import alarm
from shelf_tui.ui.text import clean, fit, one_line

PRESETS: tuple[str, ...] = (
    "out of stock",
    "promotion ended",
    "compliance fix",
    "IP complaint (TRO)",
    "price change",
    "seasonal",
    "clearance",
    "other: ",
)
#: An undo's reasons are about the first job, not the items.
UNDO_PRESETS: tuple[str, ...] = (
    "by mistake",
    "wrong items marked",
    "promotion is back on",
    "stock is back",
    "other: ",
)
#: Plans this small name their items in the dialog (a single row: which one is it?).
NAME_ITEMS_UP_TO = 3
#: Repeats of the opening key closer together than this are one press (terminal key repeat
#: is ~30 ms apart, a hasty double press ~150 ms).
GUARD_SECONDS = 0.5
#: Rows the item lists show; beyond that the CLI's --dry-run lists everything.
LIST_LIMIT = 2000


def reason_text(value: str) -> str:
    """The reason as it will be journaled; "" when there is none (blank, or a bare "other")."""
    text = " ".join(value.split())
    if text.lower().rstrip(":").strip() == "other":
        return ""
    return text


def already_words(action: Action) -> str:
    return {Action.LIST: "already on sale", Action.DELIST: "already off sale"}.get(
        action, f"already {action.target.value}"
    )


def why_group(why: str) -> str:
    """A short kind for a long 'cannot undo' reason: the words before the first : ; or (."""
    return re.split(r"[:;(]", why, maxsplit=1)[0].strip() or why


@dataclass(frozen=True, slots=True)
class ConfirmRequest:
    """What the dialog shows. `button` is the action's verb ("Delist"): the button adds how
    many items will be sent (`button_label`). `fixed_reason` (a retry keeps its job's reason)
    replaces the reason field; `cannot` lists what an undo will not restore; `guard_key` is
    the key that opened the dialog."""

    title: str
    button: str
    plan: Plan
    accents: Mapping[str, str] = field(default_factory=dict)
    type_count_above: int = 500
    guard_key: str | None = None
    fixed_reason: str | None = None
    cannot: tuple[Refusal, ...] = ()
    intro: str = ""
    presets: tuple[str, ...] = PRESETS

    @property
    def count_required(self) -> bool:
        return self.plan.total > self.type_count_above


def button_label(request: ConfirmRequest) -> str:
    """The action button says what will be sent: "Delist 6", or "Delist 4 of 6" when the
    other items are blocked or already done (the job still counts them: they end as skipped
    or already, and the count typed above `type_count_above` is the job's total)."""
    plan = request.plan
    if plan.change == plan.total:
        return f"{request.button} {plan.total:,}"
    return f"{request.button} {plan.change:,} of {plan.total:,}"


def count_prompt(plan: Plan) -> str:
    """The label of the typed count: the job's total, which is more than the button's number
    when some items will not be sent."""
    if plan.change == plan.total:
        return f"Type {plan.total} to confirm {plan.total:,} items:"
    return f"Type {plan.total}, the job's total (sent or not), to confirm:"


@dataclass(frozen=True, slots=True)
class ListedItem:
    """One row of an item list (blocked, or cannot be undone)."""

    shop: str
    item_id: str
    title: str
    why: str
    detail: str = ""


def _accent(accent: str) -> Style:
    try:
        return Style.parse(accent) + Style(bold=True) if accent else Style(bold=True)
    except Exception:
        return Style(bold=True)


def plan_text(
    request: ConfirmRequest, width: int = 76, *, no_color: bool = False
) -> RenderableType:
    """The plan as lines of literal Text (shop names and ids are data, never markup)."""
    plan = request.plan
    out = Text()
    if request.intro:
        out.append(fit(one_line(request.intro), width * 2) + "\n")
    n_shops = len(plan.shops)
    out.append(
        f"{n_shops} shop{'s' if n_shops != 1 else ''} · {plan.total:,} "
        f"item{'s' if plan.total != 1 else ''}\n",
        "bold",
    )
    name_w = min(16, max((len(clean(s.shop)) for s in plan.shops), default=4))
    num_w = max((len(f"{s.total:,}") for s in plan.shops), default=1)
    for s in plan.shops:
        out.append("  ")
        out.append(
            f"{fit(clean(s.shop), name_w):<{name_w}}", _accent(request.accents.get(s.shop, ""))
        )
        out.append(f"  {s.total:>{num_w},}  ")
        out.append(f"{s.change:,} will change", "green" if s.change else "")
        out.append(f" · {s.already:,} {already_words(plan.action)}")
        out.append(f" · {s.blocked:,} blocked", "yellow" if s.blocked else "")
        out.append("\n")
    if plan.total <= NAME_ITEMS_UP_TO:
        for s in plan.shops:
            for i in s.items:
                verdict = {"change": "will change", "already": "already"}.get(
                    i.verdict.value, f"blocked: {i.block.value if i.block else ''}"
                )
                out.append(f"    {clean(i.item_id)}  ", "bold")
                out.append(fit(one_line(i.title) or "(no title)", 36))
                out.append(f"  {i.status.value} · {verdict}\n", "dim")
    if plan.hidden:
        n = plan.hidden
        out.append(
            f"⚠ {n:,} marked item{'s are' if n != 1 else ' is'} hidden by the current filter\n",
            "bold yellow",
        )
    for note in plan.notes:
        out.append(f"⚠ {one_line(note)}\n", "yellow")
    if plan.blocked:
        counts = " · ".join(f"{b.value} {n:,}" for b, n in plan.blocked_counts.items())
        out.append(f"Blocked {plan.blocked:,} (not sent; they end as skipped): ", "bold yellow")
        out.append(f"{counts} ")
        out.append("(ctrl+o lists them)\n", "dim")
    if request.cannot:
        groups = Counter(why_group(r.why) for r in request.cannot)
        counts = " · ".join(f"{g} {n:,}" for g, n in groups.most_common())
        out.append(f"Cannot be undone {len(request.cannot):,}: ", alarm(no_color))
        out.append(f"{counts} ")
        out.append("(ctrl+o lists them)\n", "dim")
    out.rstrip()
    return out


def listed_items(request: ConfirmRequest) -> list[ListedItem]:
    rows = [
        ListedItem(i.shop, i.item_id, i.title, i.block.value if i.block else "blocked", i.detail)
        for s in request.plan.shops
        for i in s.blocked_items()
    ]
    undo_shop = request.plan.shops[0].shop if request.plan.shops else ""
    rows.extend(ListedItem(undo_shop, r.item_id, "", "cannot undo", r.why) for r in request.cannot)
    return rows


class ReasonInput(Input):
    """The reason: free text, ↑↓ cycle the presets. Swallows the key that opened the dialog
    while it repeats (until any other key is pressed)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down", "preset(1)", "Next preset", show=False, id="confirm.next_preset"),
        Binding("up", "preset(-1)", "Previous preset", show=False, id="confirm.prev_preset"),
    ]

    def __init__(
        self,
        *,
        presets: tuple[str, ...] = PRESETS,
        guard_key: str | None,
        clock: Callable[[], float] = time.monotonic,
        id: str | None = None,
    ) -> None:
        super().__init__(
            placeholder="why? type it, or ↓ for a preset",
            compact=True,
            id=id,
            select_on_focus=False,
        )
        self._guard = guard_key if guard_key and len(guard_key) == 1 else None
        self._clock = clock
        self._guard_last = clock()
        self.presets = presets
        self.preset_index = -1

    def on_mount(self) -> None:
        self._guard_last = self._clock()  # repeats count from when the dialog is up

    async def _on_key(self, event: events.Key) -> None:
        if self._guard is not None:
            now = self._clock()
            if event.character == self._guard and now - self._guard_last <= GUARD_SECONDS:
                self._guard_last = now
                event.stop()
                event.prevent_default()
                return
            self._guard = None
        # Input._on_key runs next (Textual dispatches along the MRO): it inserts the text.

    def action_preset(self, step: int) -> None:
        self._guard = None
        self.preset_index = (self.preset_index + step) % len(self.presets)
        self.value = self.presets[self.preset_index]
        self.cursor_position = len(self.value)


class ConfirmScreen(ModalScreen[str | None]):
    """Dismisses with the reason to journal, or None (cancelled: nothing written)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="confirm.cancel"),
        Binding("ctrl+o", "show_blocked", "List blocked", id="confirm.blocked"),
    ]

    DEFAULT_CSS = """
    ConfirmScreen { align: center middle; }
    ConfirmScreen > #confirm-box {
        width: 84; max-width: 100%; height: auto; max-height: 100%;
        border: round $warning; background: $surface; padding: 0 1;
        border-title-style: bold; border-title-color: $text;
    }
    ConfirmScreen #confirm-plan-scroll { height: auto; max-height: 40vh; }
    ConfirmScreen #confirm-plan { height: auto; }
    ConfirmScreen #reason-label { margin-top: 1; text-style: bold; }
    ConfirmScreen #reason { margin: 0; width: 1fr; background: $boost; }
    ConfirmScreen #reason:focus { background: $primary 30%; }
    ConfirmScreen #count { background: $boost; }
    ConfirmScreen #count:focus { background: $primary 30%; }
    ConfirmScreen #reason-presets { color: $text-muted; height: auto; }
    ConfirmScreen #count-row { height: 1; margin-top: 1; }
    ConfirmScreen #count-label { width: auto; text-style: bold; }
    ConfirmScreen #count { width: 16; margin-left: 1; }
    ConfirmScreen #confirm-fixed { margin-top: 1; }
    ConfirmScreen #confirm-hint { color: $error; text-style: bold; height: auto; display: none; }
    ConfirmScreen #confirm-hint.-shown { display: block; }
    ConfirmScreen #confirm-buttons { height: 1; margin-top: 1; align-horizontal: right; }
    ConfirmScreen #confirm-buttons Button { margin-left: 2; }
    ConfirmScreen #confirm-keys { color: $text-muted; height: 1; }
    """

    def __init__(self, request: ConfirmRequest, *, clock: Callable[[], float] = time.monotonic):
        super().__init__(id="confirm")
        self.request = request
        self._clock = clock
        self.done = False
        #: Set once the dialog is on screen with focus placed (tests wait on it).
        self.shown = asyncio.Event()

    def compose(self) -> ComposeResult:
        req = self.request
        box = Vertical(id="confirm-box")
        box.border_title = Text(fit(req.title, 70))
        with box:
            with VerticalScroll(id="confirm-plan-scroll"):
                yield Static(plan_text(req, no_color=self.app.no_color), id="confirm-plan")
            if req.fixed_reason is not None:
                yield Static(
                    Text.assemble(("Reason: ", "bold"), one_line(req.fixed_reason) or "(none)"),
                    id="confirm-fixed",
                )
            else:
                yield Static("Reason (required)", id="reason-label")
                yield ReasonInput(
                    presets=req.presets, guard_key=req.guard_key, clock=self._clock, id="reason"
                )
                yield Static(
                    Text("↑↓: " + " · ".join(p.rstrip(": ") for p in req.presets)),
                    id="reason-presets",
                )
            if req.count_required:
                with Horizontal(id="count-row"):
                    yield Static(count_prompt(req.plan), id="count-label")
                    yield Input(restrict=r"[0-9,]*", compact=True, id="count")
            yield Static("", id="confirm-hint")
            with Horizontal(id="confirm-buttons"):
                yield Button("Cancel", id="cancel", compact=True)
                yield Button(button_label(req), id="confirm", variant="warning", compact=True)
            keys = "enter confirm · esc cancel · tab next"
            if req.plan.blocked or req.cannot:
                keys += " · ctrl+o list blocked"
            yield Static(Text(keys), id="confirm-keys")

    def on_mount(self) -> None:
        if self.request.fixed_reason is None:
            self.query_one("#reason", ReasonInput).focus()
        else:
            self.query_one("#cancel", Button).focus()
        self.call_after_refresh(self.shown.set)

    # -- confirming ------------------------------------------------------------------------

    @property
    def reason(self) -> str:
        if self.request.fixed_reason is not None:
            return self.request.fixed_reason
        return reason_text(self.query_one("#reason", ReasonInput).value)

    def _hint(self, text: str) -> None:
        hint = self.query_one("#confirm-hint", Static)
        hint.update(Text(text))
        hint.set_class(bool(text), "-shown")

    def try_confirm(self) -> None:
        """Confirm if the reason (and the typed count) are there; else say what is missing
        and put the cursor where it is missing."""
        if self.done:
            return
        req = self.request
        reason = self.reason
        if not reason and req.fixed_reason is None:
            self._hint("A reason is required: type one, or press ↓ for a preset.")
            self.query_one("#reason", ReasonInput).focus()
            return
        if req.count_required:
            count = self.query_one("#count", Input)
            typed = count.value.replace(",", "").strip()
            if typed != str(req.plan.total):
                self._hint(
                    f"Type {req.plan.total} (the job's total, every item) to confirm."
                    if not typed
                    else f"{typed} is not {req.plan.total}: type the job's total to confirm."
                )
                count.focus()
                return
        self.done = True
        self.dismiss(reason)

    @on(Input.Submitted, "#reason")
    def _reason_entered(self, event: Input.Submitted) -> None:
        event.stop()
        if not reason_text(event.value):
            self._hint("A reason is required: type one, or press ↓ for a preset.")
            return
        if self.request.count_required and not self.query_one("#count", Input).value:
            self._hint("")
            self.query_one("#count", Input).focus()
            return
        self.try_confirm()

    @on(Input.Submitted, "#count")
    def _count_entered(self, event: Input.Submitted) -> None:
        event.stop()
        self.try_confirm()

    @on(Button.Pressed, "#confirm")
    def _confirm_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.try_confirm()

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_cancel()

    def action_cancel(self) -> None:
        if not self.done:
            self.done = True
            self.dismiss(None)

    def action_show_blocked(self) -> None:
        rows = listed_items(self.request)
        if not rows:
            self._hint("Nothing is blocked: every item will change or is already done.")
            return
        self.app.push_screen(ItemListScreen(f"{len(rows):,} items that will not change", rows))


class ItemListScreen(ModalScreen[None]):
    """Items one by one with why (blocked, cannot be undone): a read-only list, esc closes."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,enter,q", "close", "Close", id="item_list.close"),
    ]

    DEFAULT_CSS = """
    ItemListScreen { align: center middle; }
    ItemListScreen > Vertical {
        width: 100%; max-width: 120; height: 100%; max-height: 40;
        border: round $accent; background: $surface; padding: 0 1;
    }
    ItemListScreen DataTable { height: 1fr; }
    ItemListScreen #item-list-foot { color: $text-muted; height: 1; }
    """

    def __init__(self, title: str, rows: Sequence[ListedItem]) -> None:
        super().__init__(id="item-list")
        self.title_text = title
        self.rows = list(rows)

    def compose(self) -> ComposeResult:
        box = Vertical()
        box.border_title = Text(fit(self.title_text, 80))
        with box:
            yield DataTable(id="item-list-table", cursor_type="row", zebra_stripes=False)
            shown = min(len(self.rows), LIST_LIMIT)
            more = (
                f"first {shown:,} of {len(self.rows):,} · `shelf down|up --dry-run` lists all · "
                if len(self.rows) > shown
                else ""
            )
            yield Static(Text(f"{more}esc closes"), id="item-list-foot")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for label in ("shop", "item id", "why", "detail", "title"):
            table.add_column(label)
        for row in self.rows[:LIST_LIMIT]:
            table.add_row(
                Text(fit(clean(row.shop), 14)),
                Text(fit(clean(row.item_id), 20)),
                Text(fit(one_line(row.why), 24)),
                Text(fit(one_line(row.detail), 60)),
                Text(fit(one_line(row.title), 40)),
            )
        table.focus()

    def action_close(self) -> None:
        self.dismiss(None)
