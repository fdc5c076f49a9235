"""CSV in and out: the bulk lists sellers keep in Excel (seed 003), and the evidence trail.

Import (`read_ids`): UTF-8 with or without a BOM, UTF-16 (Excel's "Unicode text") and GB18030
(Excel on Chinese Windows), told apart by what decodes strictly; comma, tab or semicolon,
sniffed from the header; a header naming the id column (item_id, num_iid, goodsId, id, 商品ID,
宝贝ID; case and punctuation ignored), an optional reason column (per-row reasons) and an
optional shop column (pins a row to a shop: seed 003's "A's delist touched B's items"). Blank
lines are ignored. Every bad row is collected with its line number, never dropped, so the
caller refuses the whole file at once and sends nothing.

Per-row reasons: a row's reason is kept on that item (the job's `job_items.reason`, the
item's timeline event); rows without one take `--reason`. Different reasons in one file stay in
ONE job per shop (a file is one decision), each item carrying its own reason.

Export: `write_items` (the console's export of a filter or marks; the same columns as
`shelf items --csv`) and `write_evidence` (`shelf jobs ID --csv`: every call of a job, what the
platform answered, its request id and time, then each item's final outcome).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from shelf_tui.domain import Action, Item, from_epoch
from shelf_tui.errors import UsageError
from shelf_tui.jobs.plan import IdRow, Plan, Refusal, plan_keys, resolve_ids
from shelf_tui.store import Store

ID_COLUMNS = ("itemid", "numiid", "goodsid", "商品id", "宝贝id", "id")
REASON_COLUMNS = ("reason", "原因", "下架原因", "上架原因")
SHOP_COLUMNS = ("shop", "店铺")
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_\-]*")
_SCIENTIFIC = re.compile(r"\d(\.\d+)?[eE]\+?\d+")
#: The columns of `shelf items --csv` (cli/catalog.py), in its order.
ITEM_FIELDS = (
    "shop",
    "item_id",
    "title",
    "status",
    "reason",
    "stock",
    "price",
    "currency",
    "outer_id",
    "raw_status",
    "raw_sub_status",
    "sku_count",
    "deadline",
    "locked_until",
    "lock_message",
    "modified",
    "listed_at",
    "delisted_at",
    "synced_at",
    "url",
)
EVIDENCE_FIELDS = (
    "job_id",
    "shop",
    "action",
    "item_id",
    "title",
    "reason",
    "actor",
    "at",
    "call",
    "attempt",
    "outcome",
    "code",
    "message",
    "request_id",
    "ms",
)


class CsvError(UsageError):
    """The file as a whole cannot be used (encoding, no header, no id column)."""


@dataclass(frozen=True, slots=True)
class CsvIds:
    """What a CSV says: the rows to act on and every bad row, with how it was read."""

    rows: tuple[IdRow, ...]
    problems: tuple[Refusal, ...]
    encoding: str
    delimiter: str
    id_column: str
    reason_column: str | None
    shop_column: str | None


def _norm(cell: str) -> str:
    return "".join(ch for ch in cell.strip().lstrip("\ufeff").lower() if ch.isalnum())


def decode(data: bytes, name: str = "the file") -> tuple[str, str]:
    """Text and encoding name. UTF-8 validates strictly and GB18030 Chinese almost never
    does, so strict UTF-8 first, then GB18030."""
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data[len(codecs.BOM_UTF8) :].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise CsvError(f"{name}: starts like UTF-8 but byte {exc.start} is not") from None
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            raise CsvError(f"{name}: starts like UTF-16 but does not decode") from None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError as exc:
        raise CsvError(
            f"{name}: neither UTF-8 nor GB18030 text (byte {exc.start}); "
            'save it from Excel as "CSV UTF-8"'
        ) from None


def _sniff(lines: Sequence[str]) -> str:
    """The delimiter, from the header line (then the first data lines)."""
    for line in lines:
        unquoted = re.sub(r'"[^"]*"', "", line)
        for delim in ("\t", ",", ";"):
            if delim in unquoted:
                return delim
    return ","


def read_ids(source: Path | bytes, *, name: str | None = None) -> CsvIds:
    """Read a CSV of item ids. Raises CsvError for a file that cannot be used at all;
    row-level problems come back in `problems` (the caller refuses if there are any)."""
    if isinstance(source, Path):
        label = name or str(source)
        try:
            data = source.read_bytes()
        except OSError as exc:
            raise CsvError(f"cannot read {label}: {exc.strerror or exc}") from None
    else:
        label = name or "the CSV"
        data = source
    text, encoding = decode(data, label)
    nonblank = [ln for ln in text.splitlines() if ln.strip()][:6]
    if not nonblank:
        raise CsvError(f"{label} is empty: expected a header such as item_id,reason")
    delimiter = _sniff(nonblank)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    header: list[str] | None = None
    header_line = 0
    idx_id = idx_reason = idx_shop = -1
    rows: list[IdRow] = []
    problems: list[Refusal] = []
    last_line = 0
    while True:
        start = last_line + 1
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            end = reader.line_num
            span = f" (lines {start}-{end})" if end > start else ""
            problems.append(Refusal("", f"malformed CSV quoting: {exc}{span}", line=start))
            last_line = end
            continue
        end = reader.line_num
        last_line = end
        cells = [c.strip() for c in record]
        if not any(cells):
            continue  # a blank line
        if header is None:
            header, header_line = cells, start
            norm = [_norm(c) for c in cells]
            idx_id = next((norm.index(a) for a in ID_COLUMNS if a in norm), -1)
            idx_reason = next((norm.index(a) for a in REASON_COLUMNS if a in norm), -1)
            idx_shop = next((norm.index(a) for a in SHOP_COLUMNS if a in norm), -1)
            if idx_id < 0:
                raise CsvError(
                    f"{label} line {start}: the header names no id column (item_id, num_iid, "
                    f"goodsId or id); it reads: {delimiter.join(cells)[:80]}"
                ) from None
            continue
        if end > start:
            problems.append(
                Refusal(
                    "",
                    f"a quoted field spans lines {start}-{end} (a missing closing quote?)",
                    line=start,
                )
            )
            continue
        item_id = cells[idx_id] if idx_id < len(cells) else ""
        if item_id.startswith('="') and item_id.endswith('"'):
            item_id = item_id[2:-1].strip()  # Excel's ="123" text-number trick
        if not item_id:
            problems.append(Refusal("", "no item id in this row", line=start))
            continue
        if _SCIENTIFIC.fullmatch(item_id):
            problems.append(
                Refusal(
                    item_id,
                    "Excel turned this id into a number and lost digits; format the id "
                    "column as Text and export again",
                    line=start,
                )
            )
            continue
        if not _ID.fullmatch(item_id):
            problems.append(Refusal(item_id, "not an item id", line=start))
            continue
        reason = cells[idx_reason] if 0 <= idx_reason < len(cells) else ""
        shop = cells[idx_shop] if 0 <= idx_shop < len(cells) else ""
        rows.append(IdRow(item_id, line=start, reason=" ".join(reason.split()), shop=shop))
    if header is None:
        raise CsvError(f"{label}: no header line") from None
    del header_line
    return CsvIds(
        rows=tuple(rows),
        problems=tuple(problems),
        encoding=encoding,
        delimiter=delimiter,
        id_column=header[idx_id],
        reason_column=header[idx_reason] if idx_reason >= 0 else None,
        shop_column=header[idx_shop] if idx_shop >= 0 else None,
    )


def plan_csv(
    store: Store,
    action: Action,
    source: Path | bytes,
    shops: Sequence[str],
    *,
    reason: str = "",
    name: str | None = None,
) -> Plan:
    """The plan for a CSV against `shops`: every bad row (the file's own problems, unknown
    ids, another shop's ids, duplicates, a row with no reason when no reason was given) is a
    refusal with its line number, sorted by line."""
    ids = read_ids(source, name=name)
    keys, reasons, refused = resolve_ids(store, shops, ids.rows)
    problems = list(ids.problems) + refused
    if not " ".join(reason.split()):
        for row in ids.rows:
            if not row.reason:
                problems.append(
                    Refusal(
                        row.item_id,
                        "no reason: fill the reason column or give --reason",
                        line=row.line,
                    )
                )
    problems.sort(key=lambda r: (r.line if r.line is not None else 0, r.item_id))
    label = name or (str(source) if isinstance(source, Path) else "CSV")
    return plan_keys(
        store, action, keys, item_reasons=reasons, refused=problems, source=f"csv: {label}"
    )


# -- export ----------------------------------------------------------------------------------


def _iso(value: datetime | int | float | None) -> str:
    if value is None:
        return ""
    if not isinstance(value, datetime):
        value = from_epoch(value)
        assert value is not None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _cell(value: Any, safe: bool) -> Any:
    """Text cells starting like a formula are quoted for spreadsheets (CSV injection): item
    titles are data, they must never run in Excel."""
    if safe and isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def item_record(item: Item) -> dict[str, Any]:
    """One item as `shelf items --csv/--json` shows it."""
    return {
        "shop": item.shop,
        "item_id": item.item_id,
        "title": item.title,
        "status": item.status.value,
        "reason": item.reason.value,
        "stock": item.stock,
        "price": item.price,
        "currency": item.currency,
        "outer_id": item.outer_id,
        "raw_status": item.raw_status,
        "raw_sub_status": item.raw_sub_status,
        "sku_count": item.sku_count,
        "deadline": _iso(item.deadline) or None,
        "locked_until": _iso(item.locked_until) or None,
        "lock_message": item.lock_message,
        "modified": _iso(item.modified) or None,
        "listed_at": _iso(item.listed_at) or None,
        "delisted_at": _iso(item.delisted_at) or None,
        "synced_at": _iso(item.synced_at) or None,
        "url": item.url,
    }


def write_items(
    items: Iterable[Item], out: TextIO, *, excel: bool = False, safe: bool = False
) -> int:
    """Items as CSV, the columns of `shelf items --csv` (so an export can be edited and fed
    back to `shelf down --csv`). `excel` writes a UTF-8 BOM and CRLF, so Excel on Chinese
    Windows opens Chinese titles right; `safe` quotes formula-like text. Returns the count."""
    if excel:
        out.write("\ufeff")
    writer = csv.DictWriter(out, fieldnames=ITEM_FIELDS, lineterminator="\r\n" if excel else "\n")
    writer.writeheader()
    n = 0
    for item in items:
        writer.writerow({k: _cell(v, safe or excel) for k, v in item_record(item).items()})
        n += 1
    return n


def export_items(store: Store, keys: Iterable[tuple[str, str]], path: Path) -> int:
    """The console's export of marks or of the current filter's keys to an Excel-friendly
    file (written to a temporary name, then renamed: a half-written export never exists)."""
    by_shop: dict[str, list[str]] = {}
    for shop, item_id in keys:
        by_shop.setdefault(shop, []).append(item_id)

    def items() -> Iterable[Item]:
        for shop, ids in by_shop.items():
            known = store.items.get_many(shop, ids)
            for item_id in ids:
                if item_id in known:
                    yield known[item_id]

    tmp = path.with_name(path.name + ".part")
    with tmp.open("w", encoding="utf-8", newline="") as f:
        n = write_items(items(), f, excel=True)
    tmp.replace(path)
    return n


def write_evidence(store: Store, job_id: int, out: TextIO, *, safe: bool = False) -> int:
    """`shelf jobs ID --csv`: every call of the job (state changes and read-backs) with what
    the platform answered, its code, message, request id and time; then one `final` row per
    item with its outcome. Returns the number of rows."""
    job = store.jobs.get(job_id)
    if job is None:
        raise UsageError(f"no job {job_id} (see `shelf jobs`)")
    writer = csv.DictWriter(out, fieldnames=EVIDENCE_FIELDS, lineterminator="\n")
    writer.writeheader()
    calls: dict[str, list[Any]] = {}
    for call in store.jobs.calls(job_id):
        calls.setdefault(call.item_id, []).append(call)
    rows = 0
    after = -1
    while True:
        page = store.jobs.items(job_id, after_seq=after, limit=1000)
        if not page:
            break
        after = page[-1].seq
        known = store.items.get_many(job.shop, [ji.item_id for ji in page])
        for ji in page:
            snap = ji.snapshot or {}
            item = known.get(ji.item_id)
            title = str(snap.get("title") or (item.title if item else ""))
            base = {
                "job_id": job_id,
                "shop": job.shop,
                "action": job.action,
                "item_id": ji.item_id,
                "title": title,
                "reason": ji.reason or job.reason,
                "actor": job.actor,
            }
            for c in calls.get(ji.item_id, []):
                row = {
                    **base,
                    "at": _iso(c.at),
                    "call": c.call,
                    "attempt": c.attempt,
                    "outcome": c.outcome,
                    "code": c.code,
                    "message": c.message,
                    "request_id": c.request_id,
                    "ms": "" if c.ms is None else c.ms,
                }
                writer.writerow({k: _cell(v, safe) for k, v in row.items()})
                rows += 1
            final = {
                **base,
                "at": _iso(ji.updated_at),
                "call": "final",
                "attempt": ji.attempts,
                "outcome": ji.state.value,
                "code": ji.code,
                "message": ji.message,
                "request_id": ji.request_id,
                "ms": "",
            }
            writer.writerow({k: _cell(v, safe) for k, v in final.items()})
            rows += 1
    return rows
