"""Automation rules -> a plan of BulkRequests. Rules never call a marketplace: the plan runs
through the same journaled job engine as a seller's own bulk action, with reason
`rule:NAME: text`, actor `rule:NAME` and source `rule`.

    book = RuleBook(paths.rules_file, store)       # the console's and the CLI's entry point
    ruleset = book.load()                          # RulesError names the line and the field
    plan = book.preview()                          # Plan -> RulePlan per rule -> PlanItem
    plan.requests                                  # the BulkRequests for the job engine

Kinds: `stock` (delist at or below a threshold, reason-aware relist above another), `schedule`
(a one-off time, daily times or hours on some weekdays), `campaign` (a window: the action at
the start, its inverse at the end) and `price` (act when the price is in or out of a band).

`build_report` and `daily_activity` (report.py) are `shelf report` and the console's 30-day
list/delist chart.
"""

from shelf_tui.rules.book import RuleBook, RuleStatus, commit, describe_rule, set_enabled, statuses
from shelf_tui.rules.loader import Problem, RulesError, load_file, load_text
from shelf_tui.rules.lock import Busy, RunLock
from shelf_tui.rules.model import Kind, Rule, RuleSet
from shelf_tui.rules.plan import Plan, PlanItem, RulePlan, Skip
from shelf_tui.rules.planner import default_cap, plan
from shelf_tui.rules.report import DayActivity, Report, daily_activity
from shelf_tui.rules.report import build as build_report

__all__ = [
    "Busy",
    "DayActivity",
    "Kind",
    "Plan",
    "PlanItem",
    "Problem",
    "Report",
    "Rule",
    "RuleBook",
    "RulePlan",
    "RuleSet",
    "RuleStatus",
    "RulesError",
    "RunLock",
    "Skip",
    "build_report",
    "commit",
    "daily_activity",
    "default_cap",
    "describe_rule",
    "load_file",
    "load_text",
    "plan",
    "set_enabled",
    "statuses",
]
