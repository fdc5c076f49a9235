"""Confirming a rule's apply: what will be sent, per shop and action, with the rule's own
reason (fixed: a rule's jobs always say `rule:NAME: text`, the seller does not type one).

Cancel is focused and is what Enter does unless the seller moves to Apply; `esc` dismisses;
above `ui.type_count_above` items the seller types the count first (design.md). The answer is
given once: a second press while the dialog closes cannot apply twice.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from shelf_tui.config import Config
from shelf_tui.rules import RulePlan
from shelf_tui.ui.text import clean, one_line


def confirm_lines(rule_plan: RulePlan) -> Text:
    out = Text()
    out.append(f"Apply rule {clean(rule_plan.name)}\n\n", style="bold")
    for request in rule_plan.requests:
        verb = "Delist (下架)" if request.action.value == "delist" else "List (上架)"
        out.append(f"{verb} {len(request.item_ids):,} item(s) in {clean(request.shop)}\n")
    reasons = dict.fromkeys(r.reason for r in rule_plan.requests)
    for reason in reasons:
        out.append(f"\nreason (the rule's): {one_line(reason)}")
    out.append("\nOne job per line above, journaled before the first call.", style="dim")
    return out


class RuleConfirmScreen(ModalScreen[bool]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="rule_confirm.cancel"),
    ]

    DEFAULT_CSS = """
    RuleConfirmScreen { align: center middle; }
    RuleConfirmScreen > Vertical {
        width: 76; max-width: 100%; height: auto; max-height: 100%;
        border: round $warning; background: $surface; padding: 0 1;
    }
    RuleConfirmScreen Static { height: auto; }
    RuleConfirmScreen #confirm-count { margin-top: 1; }
    RuleConfirmScreen Horizontal { height: auto; margin-top: 1; align-horizontal: right; }
    RuleConfirmScreen Button { margin-left: 2; min-width: 10; }
    """

    def __init__(self, rule_plan: RulePlan, *, type_count_above: int) -> None:
        super().__init__(id="rule-confirm")
        self.rule_plan = rule_plan
        self.total = rule_plan.total
        self.must_type = self.total > type_count_above
        self._answered = False

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(confirm_lines(self.rule_plan), id="confirm-text")
            if self.must_type:
                yield Static(
                    Text(f"Type {self.total} to confirm {self.total:,} items:"),
                    id="confirm-count-label",
                )
                yield Input(placeholder=str(self.total), id="confirm-count")
            with Horizontal():
                yield Button("Cancel", id="cancel", variant="primary")
                yield Button("Apply", id="apply", variant="warning")

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    def _answer(self, value: bool) -> None:
        if self._answered:
            return
        self._answered = True
        self.dismiss(value)

    @on(Button.Pressed, "#cancel")
    def _cancel(self, event: Button.Pressed) -> None:
        self._answer(False)

    @on(Button.Pressed, "#apply")
    def _apply(self, event: Button.Pressed) -> None:
        if self.must_type:
            typed = self.query_one("#confirm-count", Input).value.strip().replace(",", "")
            if typed != str(self.total):
                self.notify(f"Type {self.total} to apply.", markup=False)
                self.query_one("#confirm-count", Input).focus()
                return
        self._answer(True)

    def action_cancel(self) -> None:
        self._answer(False)


async def confirm_rule(app: Any, rule_plan: RulePlan, config: Config) -> bool:
    """Ask; True only when the seller chose Apply."""
    screen = RuleConfirmScreen(rule_plan, type_count_above=config.ui.type_count_above)
    answer = await app.push_screen_wait(screen)
    return bool(answer)
