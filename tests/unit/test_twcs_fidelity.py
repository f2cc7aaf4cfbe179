"""Import and report fidelity on the three real TWCS excerpts: every brand, conversation
and brand's first-response median and p90 equal what the CSV alone says (tests/twcs_truth)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from support import shared_file
from tuidesk.cli import main
from tuidesk.config import Settings
from tuidesk.services import open_services
from twcs_truth import twcs_truth

FILES = {"twcs_head5000_pandas.csv": 76, "twcs_random5000.csv": 100,
         "twcs_kaggle_sample93.csv": 13}


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> object:
    capsys.readouterr()
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("name", sorted(FILES))
def test_brands_conversations_and_first_responses_equal_the_csv(
        name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = shared_file(name)
    truth = twcs_truth(path)
    db = str(tmp_path / "t.db")
    assert main(["--db", db, "import", str(path), "--quiet"]) == 0
    listed = run_json(capsys, "--db", db, "list", "--view", "all", "--json")
    assert isinstance(listed, list)
    assert sorted(c["messages"] for c in listed) == sorted(len(c) for c in truth.conversations)
    report = run_json(capsys, "--db", db, "report", "--since", "all", "--format", "json")
    assert isinstance(report, dict)
    got = {b["brand"]: b for b in report["brands"]}
    assert len(truth.brands) == FILES[name]
    assert set(got) == set(truth.brands)  # no customer id ever listed as a brand
    for brand, want in truth.brands.items():
        b = got[brand]
        assert (b["conversations"], b["answered"]) == (want.conversations, len(want.times)), \
            brand
        assert b["median_s"] == want.median, brand
        assert b["p90_s"] == want.p90, brand
    everything = next(w for w in report["windows"] if w["label"] == "all time")
    answered = [c for c in truth.conversations if any(t.inbound for t in c)
                and any(not t.inbound and t.at >= next(x.at for x in c if x.inbound)
                        for t in c)]
    assert everything["answered"] == len(answered)


def test_chains_with_a_missing_middle_tweet_are_one_conversation(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """random5000: 2803212 -> (2803213, not in the excerpt) -> 2803215 and three more such
    chains were split in two, which hid two first responses."""
    db = str(tmp_path / "t.db")
    assert main(["--db", db, "import", str(shared_file("twcs_random5000.csv")),
                 "--quiet"]) == 0
    services = open_services(db, Settings(agent="tester"))
    try:
        key = services._store.imports.thread_key_of
        for first, last in (("2803212", "2803215"), ("728339", "728503"),
                            ("1733301", "1733300"), ("396814", "396812")):
            assert key("twitter", first) is not None
            assert key("twitter", first) == key("twitter", last), (first, last)
    finally:
        services.close()
    report = run_json(capsys, "--db", db, "report", "--since", "all", "--format", "json")
    assert isinstance(report, dict)
    got = {b["brand"]: b for b in report["brands"]}
    assert got["AmazonHelp"]["answered"] == 1 and got["AmazonHelp"]["median_s"] == 703
    assert got["Ask_WellsFargo"]["median_s"] == 1_346_161


def test_a_thread_answered_by_four_brands_counts_for_each(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """head5000 tweets 7185-7442: AldiUK, marksandspencer, sainsburys and Tesco answer one
    customer; each brand's own first reply counts for it (sainsburys: 4,134 s, not 2,039)."""
    db = str(tmp_path / "t.db")
    assert main(["--db", db, "import", str(shared_file("twcs_head5000_pandas.csv")),
                 "--quiet"]) == 0
    report = run_json(capsys, "--db", db, "report", "--since", "all", "--format", "json")
    assert isinstance(report, dict)
    got = {b["brand"]: b for b in report["brands"]}
    assert got["sainsburys"]["median_s"] == 4134
    assert got["sainsburys"]["conversations"] == 8
