"""Every imported field is checked for type and range; a bad row is reported by line and the
rest imported; nothing is stored that the app cannot show (issue 12)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from support import NOW
from tuidesk.cli import main
from tuidesk.services import Services
from tuidesk.services.parsers import (
    MAX_TEXT,
    MAX_TIME,
    MIN_TIME,
    decode_lines,
    parse_jsonl,
    parse_twcs,
)

GOOD = {"network": "mastodon", "id": "ok1", "direction": "in", "author": "ana",
        "brand": "acme", "text": "help!", "created_at": NOW - 60}
HEADER = "tweet_id,author_id,inbound,created_at,text,response_tweet_id,in_response_to_tweet_id\n"
DATE = "Tue Oct 31 22:10:47 +0000 2017"


def _import(services: Services, tmp_path: Path, text: str | bytes, name: str = "in.jsonl"):
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return services.ingest.import_file(str(path))


@pytest.mark.parametrize(("value", "problem"), [
    (-99_999_999_999, "outside 2000-01-01..2100-01-01"),
    (1e20, "outside"),
    (1_790_000_000_000_000, "outside"),  # microseconds: not decided, refused
    ("Infinity", "not a number JSON allows"),
    ("NaN", "not a number JSON allows"),
    (True, "ISO 8601"),
    ("1999-12-31T23:59:59Z", "outside"),
])
def test_bad_times_are_refused_by_line(services: Services, tmp_path: Path, value: object,
                                       problem: str) -> None:
    bad = json.dumps(GOOD | {"id": "bad"})[:-1]
    bad = bad.replace(f'"created_at": {NOW - 60}', '"created_at": ' + (
        value if value in ("Infinity", "NaN") else json.dumps(value)))
    report = _import(services, tmp_path, json.dumps(GOOD) + "\n" + bad + "}\n")
    assert report.imported == 1 and report.failed == 1
    assert report.errors[0][0] == 2 and problem in report.errors[0][1]


def test_milliseconds_are_read_as_milliseconds(services: Services, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    report = _import(services, tmp_path, json.dumps(GOOD | {"created_at": 1_790_000_000_000}))
    assert report.imported == 1
    assert services.inbox.page("all")[0].created_at == 1_790_000_000
    # and the app's data stays showable: list --json and the queue work
    assert main(["--db", services.db_path, "list", "--view", "all", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["created_at"].startswith("2026-09-21")


@pytest.mark.parametrize(("field", "value", "problem"), [
    ("followers", 10**30, "followers must be a whole number"),
    ("followers", -1, "followers"),
    ("followers", 1.5, "followers"),
    ("author", ["l"], "author must be a string, not list"),
    ("brand", {"a": 1}, "brand must be a string"),
    ("text", 5, "text must be a string"),
    ("network", "Mast\x1bodon", "network"),
    ("network", "x" * 40, "network"),
    ("url", "javascript:alert(1)", "url must start with https://"),
    ("author_name", 7, "author_name must be a string"),
    ("id", "x" * 600, "id is longer than"),
])
def test_wrong_types_and_ranges_are_refused(services: Services, tmp_path: Path, field: str,
                                            value: object, problem: str) -> None:
    report = _import(services, tmp_path, json.dumps(GOOD) + "\n"
                     + json.dumps(GOOD | {"id": "bad", field: value}) + "\n")
    assert (report.imported, report.failed) == (1, 1)
    assert report.errors[0][0] == 2 and problem in report.errors[0][1], report.errors


def test_a_ten_megabyte_message_is_cut_and_its_original_kept(services: Services,
                                                             tmp_path: Path) -> None:
    huge = "x" * (10 * 1024 * 1024 - 1)
    # Over MAX_LINE as JSONL: refused by line, the others imported.
    report = _import(services, tmp_path, json.dumps(GOOD | {"id": "big", "text": huge}) + "\n"
                     + json.dumps(GOOD) + "\n")
    assert (report.imported, report.failed) == (1, 1) and "longer than" in report.errors[0][1]
    # From a connector (no line limit there), it is cut for display, the original kept.
    from tuidesk.models import MessageIn

    big = MessageIn(network="mastodon", remote_id="big2", direction="in", author="eve",
                    text=huge, created_at=NOW - 30, brand="acme", customer="eve")
    result = services.ingest.ingest([big])
    assert result.imported == 1 and "cut to 32,000" in result.errors[0][1]
    conv = services.inbox.conversation(services.inbox.search("eve")[0].id)
    assert len(conv.messages[0].text) < MAX_TEXT + 100
    store = services._store
    mid = store.db.execute("SELECT id FROM messages WHERE remote_id = 'big2'").fetchone()[0]
    assert store.imports.original_text(mid) == huge


def test_an_unterminated_quote_swallows_nothing_uncounted(services: Services,
                                                          tmp_path: Path) -> None:
    rows = [f'{i},c{i},True,{DATE},@acme text {i},,\n' for i in range(2, 7)]
    text = HEADER + f'1,c1,True,{DATE},"@acme never closed,,\n' + "".join(rows)
    report = _import(services, tmp_path, text, "q.csv")
    assert report.imported == 5 and report.failed == 1
    line, reason = report.errors[0]
    assert line == 2 and "unterminated quote" in reason and "2-7" in reason


def test_a_real_multiline_quoted_text_is_one_record(services: Services, tmp_path: Path) -> None:
    text = HEADER + f'1,c1,True,{DATE},"@acme first line\nsecond line",,\n' \
        + f'2,c2,True,{DATE},@acme next,,\n'
    report = _import(services, tmp_path, text, "m.csv")
    assert (report.imported, report.failed) == (2, 0)


def test_invalid_utf8_is_reported_by_line(services: Services, tmp_path: Path) -> None:
    data = (json.dumps(GOOD) + "\n").encode() + json.dumps(
        GOOD | {"id": "u", "text": "caf\udce9"}, ensure_ascii=False).encode(
            "utf-8", "surrogateescape") + b"\n"
    report = _import(services, tmp_path, data)
    assert report.imported == 2
    assert (2, "repaired: invalid UTF-8 replaced by \ufffd") in report.errors


def test_cli_summary_and_lines_for_bad_rows(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "x.jsonl"
    src.write_text(json.dumps(GOOD) + "\n" + json.dumps(GOOD | {"id": "2", "created_at":
                                                                   "Infinity"}) + "\n")
    assert main(["--db", str(tmp_path / "x.db"), "import", str(src), "--quiet"]) == 1
    out = capsys.readouterr()
    assert f"{src}:2: created_at" in out.err and "imported 1" in out.out
    assert "Traceback" not in out.err


# -- properties: the parsers never raise, and what they accept is showable -----------------

def _showable(item: object) -> None:
    from tuidesk.models import MessageIn

    if isinstance(item, MessageIn):
        assert MIN_TIME <= item.created_at < MAX_TIME
        assert item.followers is None or 0 <= item.followers <= 10**11


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=3), max_leaves=8)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(list(GOOD) + ["followers", "url", "thread",
                                                     "customer", "visibility"]),
                       json_values) | json_values)
def test_jsonl_parser_never_raises(obj: object) -> None:
    try:
        line = json.dumps(GOOD | obj if isinstance(obj, dict) else obj)
    except ValueError:
        return
    for _, item in parse_jsonl([line]):
        _showable(item)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from(list('0123456789,"\n\rTrueFalse @acx')),
                        max_size=60), max_size=6))
def test_twcs_parser_never_raises_and_counts_every_line(lines: list[str]) -> None:
    text = HEADER + f"1,c1,True,{DATE},ok,,\n" + "\n".join(lines)
    for _, item in parse_twcs(decode_lines(io.BytesIO(text.encode()), []), []):
        _showable(item)
