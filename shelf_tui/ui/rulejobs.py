"""How an applied rule reaches the console's job engine: the confirm dialog, the journal, the
job pane.

A rule's plan becomes one confirm dialog per action (a stock rule may delist some items and
relist others): the same dialog as L/D (screens/confirm.py), its preflight computed from the
store, with the reason fixed to the rule's own (`rule:NAME: text`) and Cancel focused. Only
when every dialog said yes are the rule's BulkRequests journaled as they are (one job each,
actor `rule:NAME`, source `rule`) in the transaction that records the rule's run
(ui/rulesio.py `apply_rule`); then the console's JobsService runs them and the job pane opens,
as after L/D.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from shelf_tui.domain import Action, BulkRequest
from shelf_tui.rules import RulePlan, describe_rule
from shelf_tui.store.jobs import Job

if TYPE_CHECKING:
    from shelf_tui.ui.jobs_service import JobsService

#: The key that opens the dialog (swallowed by it while it repeats: one press, one dialog).
APPLY_KEY = "A"


def actions_of(rule_plan: RulePlan) -> list[Action]:
    """The actions of a rule's requests, in plan order (delists first, as the planner)."""
    return list(dict.fromkeys(r.action for r in rule_plan.requests))


async def _gone(screen: Any) -> None:
    """Until a dismissed dialog has left the DOM: its answer arrives before it is removed,
    and the next dialog of the same kind reuses its id."""
    for _ in range(1000):
        if not screen.is_attached:
            return
        await asyncio.sleep(0)


class RuleJobs:
    """The console's door to the engine for one rule's apply."""

    def __init__(self, app: Any, service: JobsService) -> None:
        self.app = app
        self.service = service

    async def confirm(self, rule_plan: RulePlan, *, type_count_above: int) -> bool:
        """One dialog per action; True only when the seller confirmed every one of them."""
        from shelf_tui.ui.screens.confirm import ConfirmRequest, ConfirmScreen

        engine = self.service.engine
        rule = rule_plan.rule
        actions = actions_of(rule_plan)
        shops = await asyncio.to_thread(self.service.session.store.shops.all)
        accents = {s.name: s.accent for s in shops if s.accent}
        for step, action in enumerate(actions, 1):
            requests = [r for r in rule_plan.requests if r.action is action]
            keys = [(r.shop, item_id) for r in requests for item_id in r.item_ids]
            plan = await engine.aplan_keys(action, keys, now=self.service.session.clock())
            then = (
                f" Step {step} of {len(actions)}: nothing is sent until every step is confirmed."
                if len(actions) > 1
                else ""
            )
            request = ConfirmRequest(
                title=f"Rule {rule.name}: {action.label}",
                button=action.value.capitalize(),
                plan=plan,
                accents=accents,
                type_count_above=type_count_above,
                guard_key=APPLY_KEY,
                fixed_reason=requests[0].reason,
                intro=f"Rule {rule.name} ({rule.kind.value}): {describe_rule(rule)}.{then}",
            )
            dialog = ConfirmScreen(request)
            answer = await self.app.push_screen(dialog, wait_for_dismiss=True)
            if answer is None:
                return False
            await _gone(dialog)
        return True

    def submit(self, requests: list[BulkRequest]) -> list[Job]:
        """Journal the requests as they are (call inside the caller's transaction)."""
        submission = self.service.engine.submit_requests(requests, note="rule applied in console")
        return list(submission.jobs)

    async def start(self, jobs: Sequence[Job]) -> None:
        """Run the jobs in the console's engine and show them in the job pane."""
        if not jobs:
            return
        ids = [job.id for job in jobs]
        await self.service._start_all(ids)
        self.service.show_pane(select=ids[0])


def jobs_door(app: Any) -> RuleJobs:
    return RuleJobs(app, app.jobs)
