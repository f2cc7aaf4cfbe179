"""Importers: real TWCS excerpts, malformed rows by line, idempotency, JSONL, stdin."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from support import shared_file, union_find
from tuidesk.cli import main
from tuidesk.config import Settings
from tuidesk.services import Services, open_services
from tuidesk.services.parsers import TWCS_COLUMNS as TWCS_HEADER

TWCS_FILES = ["twcs_head5000_pandas.csv", "twcs_random5000.csv", "twcs_kaggle_sample93.csv"]


def independent_twcs(path: Path) -> tuple[set[str], Counter[str]]:
    """Tweet ids and conversation sizes computed straight from the CSV, not via tuidesk.

    A conversation is a connected component of the reply graph (in_response_to_tweet_id links);
    a referenced tweet absent from the file still joins its replies together.
    """
    raw = path.read_bytes().decode("utf-8")
    raw = raw.replace("\r\n", "\n").replace("\r", " ")  # the excerpt's one stray CR
    rows = list(csv.DictReader(io.StringIO(raw)))
    parent, find = union_find()

    ids = set()
    for row in rows:
        tid = str(int(float(row["tweet_id"])))
        ids.add(tid)
        find(tid)
        if row["in_response_to_tweet_id"]:
            parent_id = str(int(float(row["in_response_to_tweet_id"])))
            parent[find(tid)] = find(parent_id)
    sizes = Counter(find(t) for t in ids)
    return ids, sizes


@pytest.mark.parametrize("name", TWCS_FILES)
def test_twcs_import_is_complete_and_idempotent(services: Services, name: str) -> None:
    path = shared_file(name)
    ids, _ = independent_twcs(path)
    first = services.ingest.import_file(str(path))
    assert first.failed == 0
    assert first.imported == len(ids)
    second = services.ingest.import_file(str(path))
    assert (second.imported, second.skipped) == (0, len(ids))
    assert services.inbox.stats()["messages"] == len(ids)


def test_twcs_pandas_export_reports_the_broken_record_by_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """head5000 line 2589: a bare CR in an unquoted field breaks the record; it is repaired
    (a space), reported by line, and counted in the summary."""
    path = shared_file("twcs_head5000_pandas.csv")
    assert main(["import", str(path), "--db", str(tmp_path / "h.db")]) == 0
    out = capsys.readouterr()
    assert f"{path}:2589: repaired: bare CR outside quotes replaced by a space" in out.err
    assert "imported 5000, skipped 0 (already stored), repaired 1, failed 0" in out.out
    services = open_services(str(tmp_path / "h.db"), Settings(agent="t"))
    try:
        found = services.inbox.search("just love the start of email")
        assert len(found) == 1
        assert "@AskPayPal   I just love" in found[0].preview
    finally:
        services.close()


def test_a_cr_inside_a_quoted_field_is_valid_csv_and_kept(services: Services) -> None:
    """random5000 line 5202 (tweet 1661315): CRs inside a quoted field are valid CSV: the
    text is stored as written and the line is not reported as repaired."""
    report = services.ingest.import_file(str(shared_file("twcs_random5000.csv")))
    assert not [e for e in report.errors if e[0] == 5202]
    assert report.repaired == 0 and report.failed == 0
    found = services.inbox.search("crochet")
    assert len(found) == 1
    assert "crochet.\r\rI love those random" in found[0].preview


def test_quotes_and_crs_in_every_position(tmp_path: Path) -> None:
    """The quote state follows csv's rules across lines: a quoted field spanning lines keeps
    its CRs; a quote inside an unquoted field is a character; a CR after a closed quoted
    field is bare."""
    head = ",".join(TWCS_HEADER) + "\r\n"
    rows = [
        '1,alice,True,Tue Oct 31 22:10:47 +0000 2017,"two\rlines\r\nand ""quoted"" more",,\r\n',
        '2,bob,True,Tue Oct 31 22:11:47 +0000 2017,say "hi\r now,,\r\n',
        '3,carol,True,Tue Oct 31 22:12:47 +0000 2017,"ok"\r,,\r\n',
    ]
    path = tmp_path / "q.csv"
    path.write_bytes((head + "".join(rows)).encode())
    services = open_services(str(tmp_path / "q.db"), Settings(agent="t"))
    try:
        report = services.ingest.import_file(str(path))
        assert report.imported == 3, report.errors
        # alice's record is lines 2-3 and needs no repair; bob's and carol's CRs are bare.
        assert sorted(line for line, r in report.errors if r.startswith("repaired")) == [4, 5]
        texts = {r.customer: r.preview for r in services.inbox.page("all", None, 10)}
        assert texts["alice"] == 'two\rlines\nand "quoted" more'
        assert texts["bob"] == 'say "hi  now'
    finally:
        services.close()


def test_list_json_counts_match_csv(services: Services, capsys: pytest.CaptureFixture[str],
                                    tmp_path: Path) -> None:
    path = shared_file("twcs_head5000_pandas.csv")
    _, sizes = independent_twcs(path)
    db = str(tmp_path / "t.db")
    assert main(["import", str(path), "--db", db, "--quiet"]) == 0
    capsys.readouterr()
    assert main(["list", "--view", "all", "--json", "--db", db]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert sorted(c["messages"] for c in listed) == sorted(sizes.values())
    assert sum(c["messages"] for c in listed) == 5000


BAD_CSV = """tweet_id,author_id,inbound,created_at,text,response_tweet_id,in_response_to_tweet_id
1,acme,False,Tue Oct 31 22:10:47 +0000 2017,@c1 we can help,,2
2,c1,True,Tue Oct 31 22:00:00 +0000 2017,@acme my router is broken,1,
x3,c2,True,Tue Oct 31 22:00:00 +0000 2017,@acme bad id,,
4,c3,maybe,Tue Oct 31 22:00:00 +0000 2017,@acme bad flag,,
5,c4,True,yesterday,@acme bad date,,
6,c5,True,Tue Oct 31 22:00:00 +0000 2017
7,c6,True,Tue Oct 31 22:00:00 +0000 2017,"@acme a quoted
multi-line text",,
8,c7,True,Tue Oct 31 23:00:00 +0000 2017,@acme fine again,,
"""


def test_bad_rows_reported_by_line_rest_imported(services: Services, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(BAD_CSV)
    report = services.ingest.import_file(str(path))
    assert report.imported == 4  # tweets 1, 2, 7, 8
    assert report.failed == 4
    lines = {line: reason for line, reason in report.errors}
    assert set(lines) == {4, 5, 6, 7}
    assert "tweet_id" in lines[4] and "inbound" in lines[5]
    assert "created_at" in lines[6] and "expected 7 fields" in lines[7]
    assert services.inbox.stats()["conversations"] == 3


def test_cli_import_exit_code_and_messages(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                           ) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(BAD_CSV)
    assert main(["import", str(path), "--db", str(tmp_path / "x.db")]) == 1
    out = capsys.readouterr()
    assert f"{path}:5: inbound" in out.err
    assert "imported 4, skipped 0 (already stored), repaired 0, failed 4" in out.out


def test_import_missing_file_is_a_clear_error(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["import", str(tmp_path / "nope.csv"), "--db", str(tmp_path / "x.db")]) == 3
    assert "Cannot read" in capsys.readouterr().err


def _jsonl(objs: list[object]) -> str:
    return "\n".join(o if isinstance(o, str) else json.dumps(o) for o in objs) + "\n"


GOOD = {"network": "mastodon", "id": "m1", "direction": "in", "author": "ana@x.example",
        "brand": "acme@social.example", "text": "help!", "created_at": "2026-11-20T10:00:00Z",
        "followers": 1200, "visibility": "direct"}


def test_jsonl_import_validates_each_line(services: Services, tmp_path: Path) -> None:
    reply = GOOD | {"id": "m2", "direction": "out", "author": "acme@social.example",
                    "customer": "ana@x.example", "in_reply_to": "m1", "text": "on it"}
    path = tmp_path / "in.jsonl"
    path.write_text(_jsonl([GOOD, "{not json", GOOD | {"id": "m3", "direction": "sideways"},
                            reply, GOOD | {"id": "m4", "created_at": "soon"}]))
    report = services.ingest.import_file(str(path))
    assert report.imported == 2
    assert [line for line, _ in report.errors] == [2, 3, 5]
    rows = services.inbox.page("all")
    assert len(rows) == 1 and rows[0].message_count == 2 and rows[0].channel == "direct"
    assert rows[0].followers == 1200 and rows[0].status == "pending"


def test_import_from_stdin(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    proc = subprocess.run(
        [sys.executable, "-m", "tuidesk", "import", "-", "--db", str(db)],
        input=_jsonl([GOOD]).encode(), capture_output=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert b"imported 1, skipped 0" in proc.stdout


def test_inbound_messages_get_sentiment(services: Services, tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    path.write_text(_jsonl([GOOD | {"text": "This is terrible, worst service ever!!"}]))
    services.ingest.import_file(str(path))
    conv = services.inbox.conversation(services.inbox.page("all")[0].id)
    assert conv is not None and conv.sentiment is not None and conv.sentiment < -0.5
    assert "negative sentiment" in conv.priority_reasons


def test_ingest_pauses_the_garbage_collector_and_restores_it() -> None:
    import gc

    from tuidesk.services.ingest import _gc_paused

    assert gc.isenabled()
    with _gc_paused():
        assert not gc.isenabled()
        with _gc_paused():  # nested (or another thread's) pause
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with _gc_paused():
            pass
        assert not gc.isenabled()  # it was off before: it stays off
    finally:
        gc.enable()
