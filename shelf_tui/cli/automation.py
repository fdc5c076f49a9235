"""`shelf rules ...` and `shelf report`: automation from cron, and the daily inspection.

    shelf rules                      the rules, with last run, next due, enabled
    shelf rules check [--json]       validate rules.toml and print the plan from the store as
                                     last synced (nothing sent; fine in --read-only)
    shelf rules run [--apply]        sync the shops the enabled rules need, plan, and with
                                     --apply journal and run the jobs (source `rule`)
    shelf rules enable|disable NAME  flip `enabled` in rules.toml
    shelf report [--json] [--since 7d|2026-11-01] [--shop N] [--tz ZONE]

This module is where the peers meet: sync -> rules plan -> job engine (rules itself never
imports sync, jobs or a marketplace). `rules run` holds a lock file in the data directory, so
cron may start it every few minutes: a run that finds another one running says so in one line
and exits 2 without touching anything.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from shelf_tui.errors import EXIT_FAILED, EXIT_OK, EXIT_SIGN_IN, UsageError

if TYPE_CHECKING:
    from shelf_tui.cli import CommandFactory, Context
    from shelf_tui.domain import BulkRequest
    from shelf_tui.jobs import RunResult
    from shelf_tui.rules import Plan, RuleSet
    from shelf_tui.store import Store

LOCK_NAME = "rules-run.lock"


def register(command: CommandFactory) -> None:
    p = command("rules", cmd_rules_list, "automation rules: list, check, run (rules.toml)")
    sub = p.add_subparsers(title="rules commands", metavar="COMMAND", parser_class=type(p))

    def sub_command(name: str, handler: Any, help_text: str) -> argparse.ArgumentParser:
        q = sub.add_parser(name, help=help_text, description=help_text)
        q.set_defaults(handler=handler)
        return q

    sub_command("list", cmd_rules_list, "the rules with last run, next due and enabled")
    q = sub_command(
        "check", cmd_rules_check, "validate rules.toml and print the plan (sends nothing)"
    )
    q.add_argument("--json", action="store_true", help="JSON Lines: one object per rule")
    q.add_argument("--all", action="store_true", help="plan disabled rules too (a preview)")
    q = sub_command("run", cmd_rules_run, "sync, plan, and with --apply run the rules' jobs")
    q.add_argument("--apply", action="store_true", help="journal and run the jobs (else a dry run)")
    q.add_argument("--no-sync", action="store_true", help="plan from the store as last synced")
    q.add_argument("--json", action="store_true", help="JSON Lines: rules, then jobs")
    q.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="for cron: print only what was sent or refused (errors still go to stderr)",
    )
    for verb, flag in (("enable", True), ("disable", False)):
        q = sub_command(verb, cmd_rules_enable, f"{verb} a rule (edits rules.toml)")
        q.add_argument("name", metavar="NAME")
        q.set_defaults(enabled=flag)

    p = command("report", cmd_report, "daily inspection: counts, changes and who, violations, jobs")
    p.add_argument("--json", action="store_true", help="one JSON object")
    p.add_argument(
        "--since",
        metavar="WHEN",
        help="changes since a duration ago (24h, 7d) or a date (2026-11-01); default: the last "
        "report",
    )
    p.add_argument("--shop", action="append", metavar="N", help="only this shop (repeatable)")
    p.add_argument("--tz", default="UTC", metavar="ZONE", help="show times in ZONE (default UTC)")


# -- helpers ------------------------------------------------------------------------------


def _load(ctx: Context, store: Store) -> RuleSet:
    from shelf_tui.rules import load_file

    return load_file(ctx.paths.rules_file, known_shops=store.shops.names())


def _print_problems(exc: Any) -> None:
    for line in exc.lines():
        print(f"shelf: {line}", file=sys.stderr)


def _json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, default=str) + "\n")


def _header(ctx: Context, ruleset: RuleSet) -> str:
    enabled = len(ruleset.enabled)
    return f"{ctx.paths.rules_file}: {len(ruleset.rules)} rules ({enabled} enabled)"


# -- rules list / enable ----------------------------------------------------------------------


def cmd_rules_list(ctx: Context, args: argparse.Namespace) -> int:
    from shelf_tui.rules import RuleBook

    book = RuleBook(ctx.paths.rules_file, ctx.store())
    book.load()
    rows = book.statuses()
    if not rows:
        print(f"no rules yet: write {ctx.paths.rules_file} (see the README's rules cookbook)")
        return EXIT_OK
    for st in rows:
        mark = "on " if st.enabled else "off"
        last = "never" if st.last_run_at is None else f"{st.last_run_at:%Y-%m-%d %H:%M} UTC"
        print(f"{mark} {st.name:<20} {st.kind:<9} {', '.join(st.shops)}")
        print(f"      {st.what}")
        print(f"      last run {last}: {st.last_note or '-'} · next {st.next_due_text}")
    return EXIT_OK


def cmd_rules_enable(ctx: Context, args: argparse.Namespace) -> int:
    from shelf_tui.rules import RuleBook

    # As in the console: read-only mode changes nothing that steers automation.
    ctx.require_writable(f"`shelf rules {'enable' if args.enabled else 'disable'}`")
    book = RuleBook(ctx.paths.rules_file, ctx.store())
    if not ctx.paths.rules_file.exists():
        raise UsageError(f"no rules file yet: {ctx.paths.rules_file}")
    book.load()
    book.set_enabled(args.name, args.enabled)
    print(f"{args.name}: {'enabled' if args.enabled else 'disabled'} ({ctx.paths.rules_file})")
    return EXIT_OK


# -- rules check ------------------------------------------------------------------------------


def cmd_rules_check(ctx: Context, args: argparse.Namespace) -> int:
    from shelf_tui.domain import utcnow
    from shelf_tui.rules import RulesError, plan

    store = ctx.store()
    try:
        ruleset = _load(ctx, store)
    except RulesError as exc:
        _print_problems(exc)
        return exc.exit_code
    if not ctx.paths.rules_file.exists():
        print(f"no rules yet: write {ctx.paths.rules_file} (see the README's rules cookbook)")
        return EXIT_OK
    names = ruleset.names() if args.all else None
    result = plan(store, ruleset, utcnow(), names=names)
    if args.json:
        for rp in result.rules:
            _json(rp.as_dict())
        return EXIT_OK
    print(f"{_header(ctx, ruleset)}: valid")
    print(
        f"plan at {result.at:%Y-%m-%d %H:%M} UTC from the store as last synced "
        "(nothing is sent; `shelf rules run` syncs first)"
    )
    for line in result.explain():
        print(line)
    print(f"would send {result.total:,} item(s) in {len(result.requests)} job(s)")
    return EXIT_OK


# -- rules run --------------------------------------------------------------------------------


def cmd_rules_run(ctx: Context, args: argparse.Namespace) -> int:
    import asyncio

    from shelf_tui.rules import RulesError, RunLock

    if args.apply:
        ctx.require_writable("`shelf rules run --apply`")
    store = ctx.store()
    try:
        ruleset = _load(ctx, store)
    except RulesError as exc:
        _print_problems(exc)
        return exc.exit_code
    if not ruleset.enabled:
        print(f"{_header(ctx, ruleset)}: nothing to run")
        return EXIT_OK
    with RunLock(ctx.paths.lock_dir / LOCK_NAME):
        return asyncio.run(_run(ctx, store, ruleset, args))


async def _run(ctx: Context, store: Store, ruleset: RuleSet, args: argparse.Namespace) -> int:
    from shelf_tui.domain import utcnow
    from shelf_tui.rules import commit, plan

    code = EXIT_OK
    skip: dict[str, str] = {}
    if not args.no_sync:
        needed = sorted({s for r in ruleset.enabled for s in r.resolve_shops(store.shops.names())})
        skip, code = await _sync(ctx, store, needed, quiet=args.json or args.quiet)
    result = plan(store, ruleset, utcnow(), skip_shops=skip)
    for rp in result.rules:
        if args.json:
            _json(rp.as_dict())
        elif not args.quiet or rp.requests or rp.refused:
            for line in rp.explain():
                print(line)
    if not args.apply:
        commit(store, result, ruleset, applied=())
        if not args.json and not args.quiet:
            print(
                f"dry run: would send {result.total:,} item(s) in {len(result.requests)} job(s); "
                "add --apply to send"
            )
        return code
    results = await _apply(ctx, store, result, ruleset)
    for run in results:
        job = run.job
        if args.json:
            _json({**job.as_dict(), "pause_reason": job.pause_reason})
        else:
            why = f": {job.pause_reason}" if job.pause_reason else ""
            print(
                f"job {job.id} {job.shop} {job.action} {job.total:,}: {job.state.value}{why} "
                f"(ok {job.ok:,}, already {job.already:,}, skipped {job.skipped:,}, failed "
                f"{job.failed:,}) [{job.reason}]"
            )
        if run.sign_in_needed:
            code = EXIT_SIGN_IN
        elif job.failed or not job.state.final:
            code = max(code, EXIT_FAILED)
    if not results and not args.json and not args.quiet:
        print("nothing to send")
    return code


async def _sync(
    ctx: Context, store: Store, names: list[str], *, quiet: bool
) -> tuple[dict[str, str], int]:
    """Sync each shop a rule needs. A shop whose sync fails is left out of the plan (rules
    never act on stale data), and the run's exit code says so (3 sign-in, 1 other)."""
    from shelf_tui.auth import TokenStore, connect
    from shelf_tui.errors import ShelfError
    from shelf_tui.logs import redact_text
    from shelf_tui.sync import sync_shop

    skip: dict[str, str] = {}
    code = EXIT_OK
    tokens = TokenStore()
    for name in names:
        try:
            async with connect(store, name, rates=ctx.config.rates, tokens=tokens) as market:
                synced = await sync_shop(store, market)
        except ShelfError as exc:
            text = redact_text(" ".join(str(exc).split()))
            skip[name] = f"sync failed: {text}"
            print(f"shelf: {name}: sync failed, left out of this run: {text}", file=sys.stderr)
            code = max(code, EXIT_SIGN_IN if exc.exit_code == EXIT_SIGN_IN else EXIT_FAILED)
            continue
        if not quiet:
            print(f"synced {synced.summary()}")
    return skip, code


async def _apply(ctx: Context, store: Store, result: Plan, ruleset: RuleSet) -> list[RunResult]:
    """Journal every request and remember the run in ONE transaction (a crash can never fire
    a slot twice or lose the jobs), then run the jobs: shops side by side, one job at a time
    per shop."""
    import asyncio

    from shelf_tui.jobs import JobEngine
    from shelf_tui.rules import commit

    engine = JobEngine.from_config(store, ctx.config, read_only=ctx.read_only)
    requests: list[BulkRequest] = result.requests
    with store.conn.transaction():
        submission = engine.submit_requests(requests, note="rules run") if requests else None
        commit(store, result, ruleset, applied={rp.name for rp in result.rules})
    if submission is None:
        await engine.aclose()
        return []
    by_shop: dict[str, list[int]] = {}
    for job in submission.jobs:
        by_shop.setdefault(job.shop, []).append(job.id)

    async def run_shop(ids: list[int]) -> list[RunResult]:
        return [await engine.run(job_id) for job_id in ids]

    try:
        done = await asyncio.gather(*(run_shop(ids) for ids in by_shop.values()))
    finally:
        await engine.aclose()
    return [r for shop_results in done for r in shop_results]


# -- report -----------------------------------------------------------------------------------


def _since(text: str | None, now: Any) -> Any:
    from datetime import UTC, datetime, timedelta

    from shelf_tui.rules.timespec import SpecError, parse_duration

    if not text:
        return None
    try:
        return now - timedelta(seconds=parse_duration(text))
    except SpecError:
        pass
    for fmt in ("%Y-%m-%d", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M"):
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
    raise UsageError(f"--since: expected a duration (24h, 7d) or a date (2026-11-01), got {text!r}")


def cmd_report(ctx: Context, args: argparse.Namespace) -> int:
    from shelf_tui.domain import utcnow
    from shelf_tui.rules.report import build, mark_reported
    from shelf_tui.rules.timespec import SpecError, zone

    try:
        zone(args.tz)
    except SpecError as exc:
        raise UsageError(f"--tz: expected {exc}") from None
    store = ctx.store()
    if args.shop:
        known = store.shops.names()
        for name in args.shop:
            if name not in known:
                raise UsageError(f"unknown shop {name!r} (see `shelf shop list`)")
    now = utcnow()
    report = build(store, now, since=_since(args.since, now), tz=args.tz, shops=args.shop)
    if args.json:
        _json(report.as_dict())
    else:
        print(report.to_text())
    if not ctx.read_only:
        mark_reported(store, now)
    return EXIT_OK
