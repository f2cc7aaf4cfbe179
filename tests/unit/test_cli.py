"""CLI: version, help, demo generation, list, log, exit codes, config errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tuidesk import __version__
from tuidesk.cli import main


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"tuidesk {__version__}"


@pytest.mark.parametrize("cmd", [[], ["demo"], ["import"], ["list"], ["log"]])
def test_help_everywhere(cmd: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main([*cmd, "--help"])
    assert exc.value.code == 0
    assert "usage: tuidesk" in capsys.readouterr().out


def test_unknown_option_is_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["list", "--bogus"])
    assert exc.value.code == 2


def test_demo_generate_is_deterministic(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                        ) -> None:
    from support import NOW
    from tuidesk.services.clock import FixedClock

    outs = []
    for name in ("a.db", "b.db"):
        db = str(tmp_path / name)
        assert main(["demo", "--generate", "1500", "--db", db], clock=FixedClock(NOW)) == 0
        capsys.readouterr()
        assert main(["list", "--view", "all", "--json", "--db", db]) == 0
        outs.append(json.loads(capsys.readouterr().out))
    assert outs[0] == outs[1]
    statuses = {c["status"] for c in outs[0]}
    assert {"new", "open", "pending", "escalated", "snoozed", "resolved"} <= statuses
    assert {c["channel"] for c in outs[0]} == {"public", "direct"}
    assert len({c["network"] for c in outs[0]}) >= 2
    assert sum(c["messages"] for c in outs[0]) == 1500


def test_list_table_and_search(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "d.db")
    main(["demo", "--generate", "500", "--db", db])
    capsys.readouterr()
    assert main(["list", "--db", db, "--view", "inbox", "--limit", "5"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Inbox: 5 shown of")
    assert main(["list", "--db", db, "--search", "router", "--json"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert found and all(c["messages"] >= 1 for c in found)


def test_log_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "d.db")
    main(["demo", "--generate", "300", "--db", db])
    capsys.readouterr()
    assert main(["log", "--json", "--db", db, "--limit", "5"]) == 0
    events = json.loads(capsys.readouterr().out)
    assert len(events) == 5 and {"agent", "action", "before", "after"} <= set(events[0])


def test_foreign_db_is_exit_3(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "x.db"
    bad.write_text("not sqlite" * 200)
    assert main(["list", "--db", str(bad)]) == 3
    assert "not an SQLite database" in capsys.readouterr().err


def test_bad_config_is_exit_3(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "config.toml").write_text("[sla.first_response]\nurgent = 'soon'\n")
    assert main(["list"]) == 3
    assert "Configuration error" in capsys.readouterr().err


def test_module_entry_point() -> None:
    proc = subprocess.run([sys.executable, "-m", "tuidesk", "--version"], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0 and proc.stdout.startswith("tuidesk ")


def test_progress_bar_path_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The bar is drawn only on a terminal; run that path explicitly."""
    from tuidesk.cli import _with_progress

    calls = []
    result = _with_progress(lambda cb: (cb(1, 2), cb(2, 2), calls.append(1), "ok")[-1],
                            "Working", True)
    assert result == "ok" and calls == [1]


@pytest.mark.parametrize("where", ["before", "after"])
def test_db_and_agent_work_before_or_after_the_command(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str,
        capsys: pytest.CaptureFixture[str]) -> None:
    """`tuidesk --db X import F` once wrote to the default database: the subcommand's unset
    --db overwrote the one given before it."""
    monkeypatch.setenv("TUIDESK_DB", str(tmp_path / "default.db"))
    src = tmp_path / "m.jsonl"
    src.write_text('{"network": "mastodon", "id": "1", "direction": "in", "author": "ann", '
                   '"text": "hi", "created_at": "2026-11-20T10:00:00Z", "brand": "acme"}\n')
    db = str(tmp_path / "chosen.db")
    opts = ["--db", db, "--agent", "zed"]
    argv = [*opts, "import", str(src)] if where == "before" else ["import", str(src), *opts]
    assert main([*argv, "--quiet"]) == 0
    assert Path(db).exists() and not (tmp_path / "default.db").exists()
    capsys.readouterr()
    log = [*opts, "log", "--json"] if where == "before" else ["log", "--json", *opts]
    assert main(log) == 0
    events = json.loads(capsys.readouterr().out)
    assert [e["agent"] for e in events if e["action"] == "import"] == ["zed"]


@pytest.mark.parametrize("how", ["--db", "TUIDESK_DB"])
def test_a_database_server_url_is_refused_without_echoing_it_or_touching_files(
        how: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    url = "postgresql://kim:s3cret@db.example/desk"
    feed = tmp_path / "feed.jsonl"
    feed.write_text("")
    argv = ["import", str(feed)]
    if how == "--db":
        argv = ["--db", url, *argv]
    else:
        monkeypatch.setenv("TUIDESK_DB", url)
    assert main(argv) != 0
    error = capsys.readouterr().err
    assert f"{how} is a postgresql:// address" in error and error.count("\n") == 1
    assert "s3cret" not in error and "kim" not in error  # the password stays unprinted
    assert not [p for p in tmp_path.rglob("*") if "postgres" in p.name]  # nothing created
