"""Config and accounts files: a bad value names its file and key in one line; accounts.toml is
written so that it always reads back; secrets' folders are private (issue 12)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import tomlkit
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tuidesk.accounts import accounts_file, load_accounts, session_file, write_private
from tuidesk.config import Settings, load_settings
from tuidesk.errors import ConfigError


@pytest.mark.parametrize(("text", "key", "problem"), [
    ('sla = "x"', "sla", "must be a table"),
    ('followup_days = "abc"', "followup_days", "valid integer"),
    ('[sync]\ninterval = "fast"', "sync.interval", "valid number"),
    ('[[escalation]]\nname = "t"\nheaders = "str"', "escalation[0].headers", "must be a table"),
    ("vip = 5", "vip", "must be a list"),
    ('account = "x"', "account", "not a setting tuidesk knows"),
    ('[[escalation]]\nname = "t"\nwebhook = "http://[::1"', "escalation[0].webhook",
     "not a URL"),
    ('[sla]\nbusiness_hours = "25:00-99:99"', "sla.business_hours", "not on the clock"),
    ('[sla]\nbusiness_hours = "17:00-09:00"', "sla.business_hours", "end after it starts"),
    ("[sla]\nbusiness_days = []", "sla.business_days", "at least 1"),
    ('[sla]\nbusiness_days = ["mon", "someday"]', "sla.business_days[1]", "Input should be"),
    ('supervisors = "kim"', "supervisors", "must be a list"),
    ("[sync]\ninterval = -5", "sync.interval", "greater than or equal to 1"),
    ("[sync]\nstale_after = 0", "sync.stale_after", "greater than or equal to 1"),
    ("[sla.first_response]\nurgent = 0", "sla.first_response.urgent", "greater than 0"),
    ('[sla.first_response]\nsoon = 5', "sla.first_response.soon", "Input should be"),
    ('[sla]\ntimezone = "Mars/Olympus"', "sla.timezone", "not a known time zone"),
    ('agent = "a b"', "agent", "no spaces"),
    ("[keys]\n\"queue.claim\" = 5", "keys.queue.claim", "valid string"),
])
def test_bad_config_values_name_file_and_key(tmp_path: Path, text: str, key: str,
                                             problem: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(text + "\n")
    with pytest.raises(ConfigError) as exc:
        load_settings(path)
    assert exc.value.msg.startswith(f"{path}: {key}: "), exc.value.msg
    assert problem in exc.value.msg and "\n" not in exc.value.msg


def test_config_that_is_not_utf8_or_not_toml(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(b'agent = "\xff"\n')
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_settings(path)
    path.write_text("agent = \n")
    with pytest.raises(ConfigError, match=r"config.toml: .*line 1"):
        load_settings(path)


def test_good_config_reads_as_documented(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('supervisors = ["kim"]\nfollowup_days = 3\n[sla]\nbusiness_hours = '
                    '"09:00-17:30"\nbusiness_days = ["mon", "sat"]\ntimezone = "Europe/Berlin"'
                    "\n[sla.first_response]\nurgent = 30\n[sync]\ninterval = 30\n")
    s = load_settings(path)
    assert s.supervisors == ("kim",) and s.followup_days == 3
    assert s.business_hours == (540, 1050) and s.business_days == (0, 5)
    assert s.first_response == {1: 1800} and s.sync_interval == 30.0


toml_values = st.recursive(
    st.booleans() | st.integers(-10**6, 10**6) | st.floats(allow_nan=False)
    | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.sampled_from(["name", "urgent", "interval", "webhook", "x"]), inner,
                      max_size=3), max_leaves=6)


@settings(max_examples=200, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.dictionaries(st.sampled_from(["agent", "supervisors", "vip", "followup_days", "sla",
                                        "sync", "keys", "escalation", "brand_name"]),
                       toml_values, max_size=4))
def test_config_loader_only_ever_raises_config_error(tmp_path: Path, data: dict) -> None:
    path = tmp_path / "p.toml"
    try:
        path.write_text(tomlkit.dumps(data))
    except (TypeError, ValueError):
        return
    try:
        assert isinstance(load_settings(path), Settings)
    except ConfigError as exc:
        assert str(path) in exc.msg and "\n" not in exc.msg


def _tuidesk(*args: str, token: str = "tok-123") -> subprocess.CompletedProcess[str]:
    env = os.environ | {"TUIDESK_MASTODON_TOKEN": token}
    return subprocess.run([sys.executable, "-m", "tuidesk", "account", *args], env=env,
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("name", ["a\nb", "x y", "../../etc", "-x", "a" * 80, "ü"])
def test_account_add_refuses_a_bad_name(name: str) -> None:
    proc = _tuidesk("add", "mastodon", "--instance", "https://m.example", "--name", name,
                    "--no-verify")
    assert proc.returncode == 2 and "--name" in proc.stderr
    assert not accounts_file().exists()


def test_account_add_strips_a_pasted_crlf_and_the_file_always_reads_back() -> None:
    assert _tuidesk("add", "mastodon", "--instance", "https://m.example", "--name",
                    "acme-mastodon", "--no-verify", token="tok-abc\r").returncode == 0
    assert _tuidesk("add", "mastodon", "--instance", "https://n.example", "--name", "b",
                    "--no-verify", "--keyword", 'quote"and\\back:high').returncode == 0
    accounts = load_accounts()
    assert accounts["acme-mastodon"].secret.reveal() == "tok-abc"
    assert accounts["b"].keywords[0].term == 'quote"and\\back'
    assert _tuidesk("list").returncode == 0
    mode = accounts_file().stat().st_mode
    assert stat.S_IMODE(mode) == 0o600
    assert stat.S_IMODE(accounts_file().parent.stat().st_mode) == 0o700


@pytest.mark.parametrize("token", ["tok en", "tok\x1b[2J", ""])
def test_account_add_refuses_a_bad_secret(token: str) -> None:
    proc = _tuidesk("add", "mastodon", "--instance", "https://m.example", "--no-verify",
                    token=token)
    assert proc.returncode == 3
    assert "secret" in proc.stderr.lower() or "TUIDESK_MASTODON_TOKEN" in proc.stderr
    assert "\x1b" not in proc.stderr
    assert not accounts_file().exists()


@pytest.mark.parametrize("url", ["http://[::1", "ftp://x.example", "not a url"])
def test_account_add_refuses_a_bad_instance(url: str) -> None:
    proc = _tuidesk("add", "mastodon", "--instance", url, "--no-verify")
    assert proc.returncode == 2 and "--instance" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_remove_works_when_another_entry_is_broken() -> None:
    assert _tuidesk("add", "mastodon", "--instance", "https://m.example", "--name", "good",
                    "--no-verify").returncode == 0
    path = accounts_file()
    path.write_text(path.read_text() + '\n[account.broken]\nnetwork = "myspace"\n'
                    'base_url = "http://[::1"\n')
    listed = _tuidesk("list")
    assert listed.returncode == 3 and "account.broken" in listed.stderr
    assert len(listed.stderr.strip().splitlines()) == 1
    assert _tuidesk("remove", "broken").returncode == 0
    assert _tuidesk("list").returncode == 0
    assert "good" in tomllib.loads(path.read_text())["account"]


def test_session_files_and_their_folder_are_private() -> None:
    write_private(session_file("acme-bluesky"), "{}")
    assert stat.S_IMODE(session_file("acme-bluesky").stat().st_mode) == 0o600
    assert stat.S_IMODE(session_file("acme-bluesky").parent.stat().st_mode) == 0o700


def test_breach_escalate_must_name_a_target(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[sla]\nbreach_after = 30\nbreach_escalate = "tier 9"\n')
    with pytest.raises(ConfigError, match=r"c.toml: sla.breach_escalate: no escalation target "
                                          r"'tier 9' \(use one of"):
        load_settings(path)
    path.write_text('[sla]\nbreach_after = 30\nbreach_escalate = "tier 2"\n')
    settings = load_settings(path)
    assert (settings.breach_after, settings.breach_escalate) == (1800, "tier 2")
