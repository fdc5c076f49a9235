"""`shelf down|up` and `shelf jobs`: bulk delist (下架) / list (上架), headless.

    shelf down --shop tb-main --ids 1,2,3 --reason "out of stock" --yes
    shelf up --shop ml-mx --csv relist.csv --reason "restocked"
    shelf down --all-matching "platform:temu stock:0" --reason "no stock" --dry-run
    shelf jobs [ID] [--json|--csv] · shelf jobs resume|retry|cancel|undo ID

The plan is computed and every refusal (unknown ids, another shop's ids, duplicates, bad CSV
rows) listed BEFORE anything is journaled or sent. Without a terminal on stdin `--yes` is
required. Progress is one line on stderr (rewritten on a terminal, a plain line every few
seconds otherwise); the summary goes to stdout. Ctrl-C cancels (in-flight calls finish, the
rest is skipped); a hang-up or SIGTERM stops sending and leaves the job to resume.

Exit codes: 0 every item ok/already/skipped; 1 some failed, or the job paused (quota) or was
stopped; 2 refused (nothing sent); 3 sign-in needed (the job is paused: `shelf login NAME`,
then `shelf jobs resume ID`).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import sys
import time
from typing import TYPE_CHECKING, Any

from shelf_tui.errors import EXIT_FAILED, EXIT_OK, EXIT_REFUSED, EXIT_SIGN_IN, UsageError

if TYPE_CHECKING:
    from shelf_tui.cli import CommandFactory, Context
    from shelf_tui.domain import Action
    from shelf_tui.jobs import JobEngine, JobHandle, Plan, Progress, RunResult
    from shelf_tui.store import Store
    from shelf_tui.store.jobs import Job

VERBS = ("resume", "retry", "cancel", "undo")


def register(command: CommandFactory) -> None:
    for name, label in (("down", "delist (下架)"), ("up", "list (上架)")):
        p = command(name, cmd_down if name == "down" else cmd_up, f"{label} items in bulk")
        p.add_argument(
            "--shop",
            action="append",
            metavar="N",
            help="the shop (repeat for several; one job per shop)",
        )
        sel = p.add_mutually_exclusive_group(required=True)
        sel.add_argument("--ids", metavar="A,B", help="item ids, comma-separated")
        sel.add_argument(
            "--csv",
            metavar="FILE",
            help="a CSV with an id column (item_id, num_iid, goodsId or id) and an optional "
            "reason column; UTF-8 or GB18030, comma or tab",
        )
        sel.add_argument(
            "--all-matching",
            metavar="FILTERS",
            help='every item matching a filter, e.g. "status:active stock:0" (without --shop: '
            "every shop the filter matches)",
        )
        p.add_argument("--reason", metavar="TEXT", help="why (kept on every item's timeline)")
        p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
        p.add_argument("--dry-run", action="store_true", help="print the plan, send nothing")

    p = command("jobs", cmd_jobs, "list jobs, show one, or resume|retry|cancel|undo ID")
    p.add_argument("target", nargs="?", metavar="ID|VERB", help="a job id, or " + "|".join(VERBS))
    p.add_argument("job_id", nargs="?", metavar="ID", help="the job, after a verb")
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="JSON Lines (one object per job)")
    fmt.add_argument(
        "--csv", action="store_true", help="with ID: the evidence trail (every call) as CSV"
    )
    p.add_argument("--reason", metavar="TEXT", help="undo: why (default: the job's reason)")
    p.add_argument("--yes", action="store_true", help="retry/undo: do not ask for confirmation")
    p.add_argument("--dry-run", action="store_true", help="retry/undo: print the plan only")
    p.add_argument(
        "--wait",
        type=float,
        default=30.0,
        metavar="S",
        help="cancel: seconds to wait for another process to stop (30)",
    )


# -- output helpers ----------------------------------------------------------------------------


def _err(line: str) -> None:
    # OSError: the terminal went away (SSH dropped); the journal has it all.
    with contextlib.suppress(OSError):
        print(line, file=sys.stderr)


class ProgressLine:
    """The stderr progress line: rewritten in place on a terminal, a plain line every
    `interval` seconds otherwise (logs, CI, cron mail stay short)."""

    def __init__(self, interval: float = 2.0) -> None:
        self.tty = sys.stderr.isatty()
        self.interval = interval
        self.latest: dict[int, Progress] = {}
        # The first line prints at once: monotonic() counts from boot, so a 0.0 start would
        # hold the first line back on a machine up for less than `interval`.
        self.last = float("-inf")
        self.dirty = False

    def __call__(self, progress: Progress) -> None:
        self.latest[progress.job_id] = progress
        now = time.monotonic()
        try:
            if self.tty:
                width = max(20, shutil.get_terminal_size((100, 24)).columns - 1)
                sys.stderr.write("\r\x1b[K" + self.text()[:width])
                sys.stderr.flush()
                self.dirty = True
            elif now - self.last >= self.interval:
                self.last = now
                print(self.text(), file=sys.stderr, flush=True)
        except OSError:
            pass

    def text(self) -> str:
        snaps = list(self.latest.values())
        if len(snaps) == 1:
            return snaps[0].line()
        total = sum(p.total for p in snaps)
        done = sum(p.done for p in snaps)
        rate = sum(p.rate for p in snaps)
        parts = [f"{len(snaps)} jobs {done:,}/{total:,}"]
        if rate:
            parts.append(f"{rate:,.1f}/s")
        parts.append(
            f"ok {sum(p.ok for p in snaps):,} already {sum(p.already for p in snaps):,} "
            f"skipped {sum(p.skipped for p in snaps):,} failed {sum(p.failed for p in snaps):,}"
        )
        return " · ".join(parts)

    def close(self) -> None:
        if self.dirty:
            try:
                sys.stderr.write("\r\x1b[K")
                sys.stderr.flush()
            except OSError:
                pass
            self.dirty = False


def _summary(job: Job) -> str:
    return (
        f"job {job.id} {job.shop} {job.action}: {job.ok:,} ok · {job.already:,} already · "
        f"{job.skipped:,} skipped · {job.failed:,} failed ({job.state.value})"
    )


# -- engine and recovery -----------------------------------------------------------------------


def _engine(ctx: Context) -> JobEngine:
    from shelf_tui.jobs import JobEngine

    store = ctx.store()
    engine = JobEngine.from_config(store, ctx.config, read_only=ctx.read_only)
    for job in engine.recover():
        _err(
            f"shelf: job {job.id} ({job.action} on {job.shop}, {job.done:,}/{job.total:,} done) "
            f"was interrupted when its process stopped: `shelf jobs resume {job.id}`"
        )
    return engine


async def _run_jobs(engine: JobEngine, job_ids: list[int]) -> tuple[list[RunResult], str]:
    """Run jobs (one per shop) side by side with the progress line; Ctrl-C cancels, a hang-up
    or SIGTERM stops sending and leaves the jobs to resume. Returns the results and how the
    run was stopped ("" when it was not)."""
    import asyncio
    import signal

    line = ProgressLine()
    handles: list[JobHandle] = []
    stopped = ""
    loop = asyncio.get_running_loop()

    def on_signal(kind: str) -> None:
        nonlocal stopped
        if stopped == "cancel" and kind == "cancel":
            for h in handles:  # a second Ctrl-C: stop now, resumable
                h.interrupt()
            return
        stopped = stopped or kind
        for h in handles:
            h.cancel() if kind == "cancel" else h.interrupt()

    installed = []
    for sig, kind in ((signal.SIGINT, "cancel"), (signal.SIGTERM, "stop"), (signal.SIGHUP, "stop")):
        try:
            loop.add_signal_handler(sig, on_signal, kind)
            installed.append(sig)
        except (NotImplementedError, RuntimeError, AttributeError):
            pass
    try:
        for job_id in job_ids:
            handle = await engine.start(job_id)
            handle.add_listener(line)
            handles.append(handle)
        results = list(await asyncio.gather(*(h.wait() for h in handles)))
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)
        line.close()
        await engine.aclose()
    return results, stopped


def _finish(store: Store, results: list[RunResult], stopped: str = "") -> int:
    from shelf_tui.domain import ItemState, JobState

    code = EXIT_OK
    for result in results:
        job = result.job
        with contextlib.suppress(OSError):
            print(_summary(job))
        if job.failed:
            code = max(code, EXIT_FAILED)
    for result in results:
        job = result.job
        if job.failed:
            failed = store.jobs.items(job.id, states=[ItemState.FAILED], limit=20)
            _err(f"shelf: job {job.id}: {job.failed:,} failed:")
            for ji in failed:
                code_text = f"[{ji.code}] " if ji.code else ""
                _err(f"  {ji.item_id}: {code_text}{ji.message}")
            if job.failed > len(failed):
                _err(f"  ... see `shelf jobs {job.id}`; retry with `shelf jobs retry {job.id}`")
        if result.sign_in_needed:
            _err(f"shelf: job {job.id} paused: {job.pause_reason}")
            code = EXIT_SIGN_IN
        elif job.state is JobState.PAUSED:
            _err(f"shelf: job {job.id} paused: {job.pause_reason}")
            code = max(code, EXIT_FAILED) if code != EXIT_SIGN_IN else code
        elif job.state in (JobState.INTERRUPTED, JobState.RUNNING) or result.lost:
            why = job.pause_reason or "stopped before the end"
            _err(f"shelf: job {job.id} {job.state.value}: {why}; `shelf jobs resume {job.id}`")
            code = max(code, EXIT_FAILED) if code != EXIT_SIGN_IN else code
    if stopped == "cancel" and code == EXIT_OK:
        code = 130
    return code


def _confirm(
    prompt_lines: list[str],
    question: str,
    yes: bool,
    *,
    count: int = 0,
    count_above: int | None = None,
) -> None:
    """--yes, or an answer on a terminal; refuse without a terminal (nothing sent). Above
    `count_above` items (config `ui.type_count_above`, as in the console's dialog) the answer
    is the number of items typed out, not a y that a hasty enter-y could give."""
    if yes:
        return
    if not sys.stdin.isatty():
        raise UsageError(
            "stdin is not a terminal: add --yes to confirm without a prompt (nothing was sent)"
        )
    for line in prompt_lines:
        _err(line)
    typed = count_above is not None and count > count_above
    try:
        if typed:
            sys.stderr.write(f"{question} Type the number of items ({count:,}) to confirm: ")
        else:
            sys.stderr.write(f"{question} [y/N] ")
        sys.stderr.flush()
        answer = input()
    except EOFError:
        answer = ""
    if typed:
        given = answer.strip().replace(",", "").replace("_", "")
        if given != str(count):
            said = f"{answer.strip()!r} is not {count:,}" if answer.strip() else "no count typed"
            raise UsageError(f"not confirmed ({said}): nothing was sent")
        return
    if answer.strip().lower() not in ("y", "yes"):
        raise UsageError("not confirmed: nothing was sent")


# -- down / up ---------------------------------------------------------------------------------


def cmd_down(ctx: Context, args: argparse.Namespace) -> int:
    from shelf_tui.domain import Action

    return _bulk(ctx, args, Action.DELIST, "down")


def cmd_up(ctx: Context, args: argparse.Namespace) -> int:
    from shelf_tui.domain import Action

    return _bulk(ctx, args, Action.LIST, "up")


def _reason(args: argparse.Namespace) -> str:
    if args.reason is None:
        return ""
    reason = " ".join(args.reason.split())
    if not reason:
        raise UsageError("--reason is empty: say why these items change (nothing was sent)")
    return reason


def _plan(ctx: Context, engine: JobEngine, args: argparse.Namespace, action: Action) -> Plan:
    from pathlib import Path

    from shelf_tui.jobs import IdRow, resolve_ids
    from shelf_tui.jobs.csvio import plan_csv

    store = ctx.store()
    shops = list(dict.fromkeys(args.shop or []))
    known = store.shops.names()
    for name in shops:
        if name not in known:
            hint = f" (shops: {', '.join(known)})" if known else " (no shops yet: `shelf shop add`)"
            raise UsageError(f"unknown shop {name!r}{hint}")
    reason = _reason(args)
    if args.all_matching is not None:
        if not reason:
            raise UsageError("--reason is required: say why these items change (nothing sent)")
        return engine.plan_filter(action, args.all_matching, shops=shops or None)
    if not shops:
        what = "--ids" if args.ids is not None else "--csv"
        raise UsageError(f"{what} needs --shop NAME: ids are only looked up in the shops you name")
    if args.ids is not None:
        if not reason:
            raise UsageError("--reason is required: say why these items change (nothing sent)")
        rows = [IdRow(part.strip()) for part in args.ids.split(",") if part.strip()]
        if not rows:
            raise UsageError("--ids is empty")
        keys, _, refused = resolve_ids(store, shops, rows)
        return engine.plan_keys(action, keys, refused=refused)
    return plan_csv(store, action, Path(args.csv), shops, reason=reason, name=args.csv)


def _refuse(plan: Plan, what: str) -> None:
    from shelf_tui.jobs import Refused

    for refusal in plan.refused[:200]:
        shop = f"[{refusal.shop}] " if refusal.shop else ""
        _err(f"  {shop}{refusal}")
    if len(plan.refused) > 200:
        _err(f"  ... and {len(plan.refused) - 200:,} more")
    raise Refused(plan.refused, what)


def _bulk(ctx: Context, args: argparse.Namespace, action: Action, verb: str) -> int:
    import asyncio

    if not args.dry_run:
        ctx.require_writable(f"shelf {verb}")
    engine = _engine(ctx)
    plan = _plan(ctx, engine, args, action)
    what = args.csv if args.csv is not None else ("--ids" if args.ids is not None else "the filter")
    if plan.refused:
        _refuse(plan, what)
    if plan.empty:
        _err("shelf: nothing to do: no items selected (nothing was sent)")
        return EXIT_OK
    if args.dry_run:
        for line in plan.summary_lines(blocked_limit=plan.blocked):
            print(line)
        print("dry run: nothing was sent")
        return EXIT_OK
    n = plan.total
    shops = len(plan.shops)
    _confirm(
        plan.summary_lines(),
        f"{action.label} {n:,} item{'s' if n != 1 else ''} in {shops} shop"
        f"{'s' if shops != 1 else ''}?",
        args.yes,
        count=n,
        count_above=ctx.config.ui.type_count_above,
    )
    submission = engine.submit(plan, _reason(args))
    _err(
        "shelf: journaled "
        + ", ".join(f"job {j.id} ({j.shop}, {j.total:,} items)" for j in submission.jobs)
    )
    results, stopped = asyncio.run(_run_jobs(engine, list(submission.ids)))
    return _finish(ctx.store(), results, stopped)


# -- jobs --------------------------------------------------------------------------------------


def _job_id(text: str | None) -> int:
    if text is None or not text.isdigit():
        raise UsageError(f"expected a job id, got {text!r} (see `shelf jobs`)")
    return int(text)


def cmd_jobs(ctx: Context, args: argparse.Namespace) -> int:
    target = args.target
    if target in VERBS:
        job_id = _job_id(args.job_id)
        ctx.require_writable(f"shelf jobs {target}")
        return {
            "resume": _resume,
            "retry": _retry,
            "cancel": _cancel,
            "undo": _undo,
        }[target](ctx, args, job_id)
    if args.job_id is not None:
        raise UsageError(f"unexpected {args.job_id!r}: `shelf jobs ID` or `shelf jobs VERB ID`")
    if target is None:
        return _list(ctx, args)
    return _show(ctx, args, _job_id(target))


def _iso(epoch: int | None) -> str | None:
    from shelf_tui.domain import from_epoch

    when = from_epoch(epoch)
    return None if when is None else when.isoformat().replace("+00:00", "Z")


def job_record(job: Job) -> dict[str, Any]:
    """One job as `shelf jobs --json` prints it."""
    out = job.as_dict()
    for key in ("created_at", "started_at", "finished_at"):
        out[key] = _iso(out[key])
    out["resume_at"] = _iso(job.resume_at)
    out["note"] = job.note
    return out


def _list(ctx: Context, args: argparse.Namespace) -> int:
    if args.csv:
        raise UsageError("--csv needs a job id: `shelf jobs ID --csv` (the evidence trail)")
    engine = _engine(ctx)
    jobs = engine.store.jobs.all(limit=1000)
    if args.json:
        for job in jobs:
            print(json.dumps(job_record(job), ensure_ascii=False))
        return EXIT_OK
    if not jobs:
        _err("no jobs yet")
        return EXIT_OK
    print(
        f"{'ID':>5} {'STATE':<11} {'SHOP':<14} {'ACTION':<7} {'DONE':>13} {'OK':>7} "
        f"{'ALREADY':>7} {'SKIPPED':>7} {'FAILED':>6}  CREATED           REASON"
    )
    for job in jobs:
        created = (_iso(job.created_at) or "")[:16].replace("T", " ")
        print(
            f"{job.id:>5} {job.state.value:<11} {job.shop[:14]:<14} {job.action:<7} "
            f"{f'{job.done:,}/{job.total:,}':>13} {job.ok:>7,} {job.already:>7,} "
            f"{job.skipped:>7,} {job.failed:>6,}  {created:<17} {_printable(job.reason)[:40]}"
        )
    waiting = [j for j in jobs if j.state.resumable]
    if waiting:
        _err(
            "resumable: "
            + ", ".join(f"{j.id} ({j.state.value})" for j in waiting)
            + " · `shelf jobs resume ID`"
        )
    return EXIT_OK


def _printable(text: str) -> str:
    return "".join(ch if ch.isprintable() else "?" for ch in text)


def _show(ctx: Context, args: argparse.Namespace, job_id: int) -> int:
    from shelf_tui.jobs import UnknownJob
    from shelf_tui.jobs.csvio import write_evidence

    store = ctx.store()
    job = store.jobs.get(job_id)
    if job is None:
        raise UnknownJob(job_id)
    if args.csv:
        write_evidence(store, job_id, sys.stdout)
        return EXIT_OK
    items = store.jobs.items(job_id)
    if args.json:
        record = job_record(job)
        record["items"] = [
            {
                "item_id": ji.item_id,
                "state": ji.state.value,
                "attempts": ji.attempts,
                "prev_status": ji.prev_status,
                "prev_reason": ji.prev_reason,
                "reason": ji.reason or job.reason,
                "code": ji.code,
                "message": ji.message,
                "request_id": ji.request_id,
                "updated_at": _iso(ji.updated_at),
            }
            for ji in items
        ]
        print(json.dumps(record, ensure_ascii=False))
        return EXIT_OK
    print(_summary(job))
    print(f"  reason: {_printable(job.reason)} · by {job.actor} · {job.note}".rstrip(" ·"))
    if job.parent_id:
        print(f"  parent: job {job.parent_id}")
    if job.pause_reason:
        print(f"  {job.state.value}: {job.pause_reason}")
    print(f"{'ITEM':<20} {'STATE':<8} {'TRIES':>5}  {'CODE':<24} MESSAGE")
    for ji in items:
        print(
            f"{ji.item_id:<20} {ji.state.value:<8} {ji.attempts:>5}  {ji.code[:24]:<24} "
            f"{_printable(ji.message)[:80]}"
        )
    return EXIT_OK


def _resume(ctx: Context, args: argparse.Namespace, job_id: int) -> int:
    import asyncio

    engine = _engine(ctx)
    job = engine.store.jobs.get(job_id)
    if job is not None and job.resume_at is not None and job.resume_at > time.time():
        _err(f"shelf: note: job {job_id} was told to wait until {_iso(job.resume_at)}; trying now")
    results, stopped = asyncio.run(_run_jobs(engine, [job_id]))
    return _finish(ctx.store(), results, stopped)


def _retry(ctx: Context, args: argparse.Namespace, job_id: int) -> int:
    import asyncio

    from shelf_tui.domain import Action, ItemState

    engine = _engine(ctx)
    store = ctx.store()
    job = store.jobs.get(job_id)
    if job is None:
        from shelf_tui.jobs import UnknownJob

        raise UnknownJob(job_id)
    failed = store.jobs.items(job_id, states=[ItemState.FAILED])
    if not failed:
        _err(f"shelf: job {job_id} has no failed items: nothing to retry")
        return EXIT_OK
    plan = engine.plan_keys(Action(job.action), [(job.shop, ji.item_id) for ji in failed])
    if args.dry_run:
        for line in plan.summary_lines(blocked_limit=plan.blocked):
            print(line)
        print("dry run: nothing was sent")
        return EXIT_OK
    question = f"retry {len(failed):,} failed item(s) of job {job_id}?"
    _confirm(
        plan.summary_lines(),
        question,
        args.yes,
        count=len(failed),
        count_above=ctx.config.ui.type_count_above,
    )
    new = engine.retry_failed(job_id)
    assert new is not None
    _err(f"shelf: journaled job {new.id} (retry of job {job_id}, {new.total:,} items)")
    results, stopped = asyncio.run(_run_jobs(engine, [new.id]))
    return _finish(ctx.store(), results, stopped)


def _undo(ctx: Context, args: argparse.Namespace, job_id: int) -> int:
    import asyncio

    from shelf_tui.jobs.undo import undo_refusal

    engine = _engine(ctx)
    undo = engine.undo_plan(job_id)
    refusal = undo_refusal(undo.job)
    if refusal:
        raise UsageError(refusal)
    lines = undo.summary_lines()
    if args.dry_run or undo.restorable == 0:
        for line in lines:
            print(line)
        print("dry run: nothing was sent" if args.dry_run else "nothing to undo: nothing was sent")
        return EXIT_OK
    _confirm(
        lines,
        f"undo job {job_id} on {undo.restorable:,} item(s)?",
        args.yes,
        count=undo.restorable,
        count_above=ctx.config.ui.type_count_above,
    )
    for r in undo.cannot:
        _err(f"  not undone: {r.item_id}: {r.why}")
    new, _ = engine.undo(job_id, args.reason)
    if new is None:
        return EXIT_OK
    _err(f"shelf: journaled job {new.id} (undo of job {job_id}, {new.total:,} items)")
    results, stopped = asyncio.run(_run_jobs(engine, [new.id]))
    return _finish(ctx.store(), results, stopped)


def _cancel(ctx: Context, args: argparse.Namespace, job_id: int) -> int:
    import asyncio

    from shelf_tui.domain import JobState

    engine = _engine(ctx)

    async def go() -> Job:
        try:
            job = await engine.cancel(job_id)
            if job.state is JobState.RUNNING:
                _err(f"shelf: asked the process running job {job_id} to stop sending")
                deadline = time.monotonic() + max(0.0, args.wait)
                while job.state is JobState.RUNNING and time.monotonic() < deadline:
                    await asyncio.sleep(0.2)
                    job = engine.store.jobs.get(job_id) or job
            return job
        finally:
            await engine.aclose()

    before = engine.store.jobs.get(job_id)
    if before is not None and before.state.final:
        print(_summary(before))
        _err(f"shelf: job {job_id} is already {before.state.value}: nothing to cancel")
        return EXIT_OK
    job = asyncio.run(go())
    print(_summary(job))
    if job.state is JobState.RUNNING:
        _err(f"shelf: job {job_id} is still finishing its calls in flight: `shelf jobs {job_id}`")
        return EXIT_FAILED
    return EXIT_OK if job.state is JobState.CANCELLED else EXIT_REFUSED
