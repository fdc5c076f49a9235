"""CSV in (encodings, delimiters, every kind of bad row) and out (items, evidence)."""

from __future__ import annotations

import codecs
import csv
import io
from pathlib import Path

import pytest
from jobfakes import FakePlatform

from shelf_tui.domain import Action, Item, ItemState
from shelf_tui.jobs import JobEngine, Refused
from shelf_tui.jobs.csvio import (
    CsvError,
    plan_csv,
    read_ids,
    write_evidence,
    write_items,
)
from shelf_tui.marketplaces.errors import Transient
from shelf_tui.store import Store

ROWS = [("100", "缺货 out of stock"), ("101", "侵权投诉 TRO"), ("102", "")]


def table(delimiter: str, header: tuple[str, str] = ("item_id", "reason")) -> str:
    lines = [delimiter.join(header)]
    for item_id, reason in ROWS:
        lines.append(delimiter.join((item_id, reason)))
    lines.insert(2, "")  # a blank line in the middle is ignored
    return "\r\n".join(lines) + "\r\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "utf-16"])
@pytest.mark.parametrize("delimiter", [",", "\t", ";"])
def test_each_encoding_and_delimiter_reads_the_same_rows(encoding: str, delimiter: str) -> None:
    data = table(delimiter).encode(encoding)
    ids = read_ids(data)
    assert [(r.item_id, r.reason) for r in ids.rows] == ROWS
    assert [r.line for r in ids.rows] == [2, 4, 5]
    assert ids.problems == ()
    assert ids.delimiter == delimiter
    expected = {
        "utf-8": "utf-8",
        "utf-8-sig": "utf-8-sig",
        "gb18030": "gb18030",
        "utf-16": "utf-16",
    }
    assert ids.encoding == expected[encoding]


def test_gb18030_is_told_from_utf8_by_strict_decoding() -> None:
    data = "num_iid,原因\n600000000013,商品下架\n".encode("gb18030")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    ids = read_ids(data)
    assert ids.encoding == "gb18030" and ids.rows[0].reason == "商品下架"


@pytest.mark.parametrize(
    "name", ["item_id", "NUM_IID", "goodsId", "goods_id", "ID", "宝贝ID", "Item ID"]
)
def test_the_id_column_is_found_by_any_of_its_names(name: str) -> None:
    ids = read_ids(f"title,{name}\nfoo,123\n".encode())
    assert ids.id_column == name and [r.item_id for r in ids.rows] == ["123"]


def test_a_file_that_cannot_be_used_is_one_clear_error() -> None:
    with pytest.raises(CsvError, match="names no id column"):
        read_ids(b"title,price\nfoo,1\n")
    with pytest.raises(CsvError, match="empty"):
        read_ids(b"\n\n  \n")
    with pytest.raises(CsvError, match="neither UTF-8 nor GB18030"):
        read_ids(b"id\n\xff\xff\xff\n")


def test_every_bad_row_is_listed_with_its_line_and_nothing_is_journaled(
    store: Store, engine: JobEngine, platform: FakePlatform, tmp_path: Path
) -> None:
    # tb has 100-119 and ml has 100-109 (same ids, another shop); 999 exists nowhere.
    store.items.upsert([Item(shop="ml", item_id="5000")])
    text = (
        "item_id,reason,shop\n"
        "100,ok row,\n"  # 2
        ",no id,\n"  # 3
        '101,"bad "quote,\n'  # 4
        "999,unknown,\n"  # 5
        "100,duplicate,\n"  # 6
        "5000,another shop's,\n"  # 7
        "12 34,not an id,\n"  # 8
        "6.00000E+11,excel number,\n"  # 9
        "103,,\n"  # 10: no reason and no --reason
        "104,pinned to ml,ml\n"  # 11: the shop column says ml, not among --shop tb
        "105,good,tb\n"  # 12
    )
    path = tmp_path / "bulk.csv"
    path.write_text(text, encoding="utf-8")
    plan = plan_csv(store, Action.DELIST, path, ["tb"])
    problems = {r.line: str(r) for r in plan.refused}
    assert sorted(problems) == [3, 4, 5, 6, 7, 8, 9, 10, 11]
    assert "no item id" in problems[3]
    assert "malformed CSV quoting" in problems[4]
    assert "unknown id" in problems[5]
    assert "duplicate (first on line 2)" in problems[6]
    assert "belongs to shop ml" in problems[7] and "another shop's token" in problems[7]
    assert "not an item id" in problems[8]
    assert "Excel turned this id into a number" in problems[9]
    assert "no reason" in problems[10]
    assert "not among --shop tb" in problems[11]
    with pytest.raises(Refused, match="9 problems"):
        engine.submit(plan, "")
    assert store.jobs.all() == [] and platform.calls == []


def test_per_row_reasons_stay_on_their_items_in_one_job(
    store: Store, engine: JobEngine, platform: FakePlatform
) -> None:
    data = "item_id,reason\n100,缺货\n101,侵权投诉\n102,\n".encode("gb18030")
    plan = plan_csv(store, Action.DELIST, data, ["tb"], reason="清仓 clearance")
    assert not plan.refused
    [job] = engine.submit(plan, "清仓 clearance").jobs
    assert job.reason == "清仓 clearance"
    reasons = {ji.item_id: ji.reason for ji in store.jobs.items(job.id)}
    assert reasons == {"100": "缺货", "101": "侵权投诉", "102": ""}


async def test_a_file_whose_rows_all_carry_reasons_needs_no_reason_flag(
    store: Store, engine: JobEngine, platform: FakePlatform
) -> None:
    plan = plan_csv(store, Action.DELIST, b"id,reason\n100,a\n101,b\n", ["tb"])
    assert not plan.refused
    [job] = engine.submit(plan, "").jobs
    assert job.reason == "per-item reasons"
    await engine.run(job.id)
    assert [e.reason for e in store.events.for_job(job.id)] == ["a", "b"]


def test_exported_items_feed_back_into_an_import(
    store: Store, platform: FakePlatform, tmp_path: Path
) -> None:
    store.items.upsert([Item(shop="tb", item_id="777", title='=HYPERLINK("x")')])
    out = io.StringIO()
    items = [store.items.get("tb", i) for i in ("777", "100", "101")]
    assert write_items(items, out, excel=True) == 3  # type: ignore[arg-type]
    text = out.getvalue()
    assert text.startswith("\ufeffshop,item_id,title,")
    assert "'=HYPERLINK" in text  # a title never runs as a formula in Excel
    ids = read_ids(text.encode("utf-8"))
    assert [r.item_id for r in ids.rows] == ["777", "100", "101"]
    assert [r.shop for r in ids.rows] == ["tb", "tb", "tb"]


async def test_the_evidence_trail_lists_every_call_and_each_final_outcome(
    store: Store, engine: JobEngine, platform: FakePlatform
) -> None:
    platform.answer("101", Transient("502 bad gateway", code="502", request_id="rq-502"))
    plan = engine.plan_keys(Action.DELIST, [("tb", "100"), ("tb", "101")])
    [job] = engine.submit(plan, "IP complaint (TRO)").jobs
    await engine.run(job.id)
    out = io.StringIO()
    write_evidence(store, job.id, out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    trail = [(r["item_id"], r["call"], r["outcome"], r["code"], r["request_id"]) for r in rows]
    assert trail[:2] == [
        ("100", "set_status", "ok", "", f"req-100-{trail[0][4].split('-')[-1]}"),
        ("100", "final", "ok", "", trail[0][4]),
    ]
    assert trail[2:] == [
        ("101", "set_status", "transient", "502", "rq-502"),
        ("101", "read_back", "unchanged", "", ""),
        ("101", "set_status", "ok", "", trail[4][4]),
        ("101", "final", "ok", "", trail[4][4]),
    ]
    assert all(r["reason"] == "IP complaint (TRO)" and r["actor"] == "seller@box" for r in rows)
    assert all(r["at"].endswith("Z") for r in rows)
    assert rows[0]["title"] == "tb item 0"
    assert store.jobs.item(job.id, "101").state is ItemState.OK  # type: ignore[union-attr]


def test_a_bom_is_not_mistaken_for_part_of_the_header() -> None:
    ids = read_ids(codecs.BOM_UTF8 + b"item_id\n1\n")
    assert ids.id_column == "item_id" and ids.encoding == "utf-8-sig"
