"""Layering: the core never loads textual (checked in a fresh interpreter)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.parametrize("module", ["tuidesk.services", "tuidesk.store", "tuidesk.cli",
                                    "tuidesk.models", "tuidesk.config"])
def test_core_is_headless(module: str) -> None:
    code = f"import sys, {module}; print('textual' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=60).stdout.strip()
    assert out == "False"


def test_a_desk_without_accounts_starts_without_the_http_stack(tmp_path: Path) -> None:
    """The app and the CLI import the connectors (and httpx, ~90 ms of every start) only
    when an account or a webhook needs them: services name their types, nothing more."""
    import os

    code = ("import sys, tuidesk.cli, tuidesk.ui.app; "
            "from tuidesk.cli_net import network_parts; "
            "print(network_parts(lambda: 0), "
            "sorted(m for m in ('httpx', 'tuidesk.connectors') if m in sys.modules))")
    env = os.environ | {f"XDG_{d}_HOME": str(tmp_path / d) for d in ("CONFIG", "DATA",
                                                                      "STATE", "CACHE")}
    env.pop("TUIDESK_CONFIG_FILE", None)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=60, env=env).stdout.strip()
    assert out == "{} []"


SRC = Path(__file__).resolve().parent.parent / "src" / "tuidesk"
#: Ways to reach a terminal without the sanitiser in tuidesk.cli_output.
RAW_OUTPUT = re.compile(r"\bprint\(|sys\.(stdout|stderr)\.write|json\.dumps?\(.*sys\.std"
                        r"|csv\.writer\(sys\.std|\.print\(")


def test_only_cli_output_writes_to_the_terminal() -> None:
    """Every CLI line passes the one sanitiser: no print or raw stdout/stderr write elsewhere."""
    offenders = []
    for path in SRC.rglob("*.py"):
        if path.name == "cli_output.py":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if RAW_OUTPUT.search(line.split("#", 1)[0]):
                offenders.append(f"{path.relative_to(SRC)}:{number}: {line.strip()}")
    assert offenders == []


def test_ui_plain_strings_never_reach_widgets_as_markup() -> None:
    """Widgets in tuidesk.ui get Content (from ui.text) or markup=False; no markup strings."""
    offenders = []
    for path in (SRC / "ui").rglob("*.py"):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            code = line.split("#", 1)[0]
            if re.search(r"markup\s*=\s*True|Text\.from_markup|\[@click", code):
                offenders.append(f"{path.relative_to(SRC)}:{number}: {line.strip()}")
    assert offenders == []


def test_every_screen_and_widget_is_guarded() -> None:
    """A TuideskError in any of our screens or widgets is a toast, not the end of the app."""
    import importlib
    import pkgutil

    from textual.message_pump import MessagePump

    import tuidesk.ui
    from tuidesk.ui.guard import Guarded

    unguarded = []
    for info in pkgutil.walk_packages(tuidesk.ui.__path__, "tuidesk.ui."):
        module = importlib.import_module(info.name)
        for obj in vars(module).values():
            if (isinstance(obj, type) and issubclass(obj, MessagePump)
                    and obj.__module__ == module.__name__ and not issubclass(obj, Guarded)):
                unguarded.append(f"{module.__name__}.{obj.__name__}")
    assert unguarded == []


def test_no_module_grows_past_400_lines_and_the_store_is_repositories() -> None:
    """A newcomer reads a module in one sitting; the store is one repository per area, each
    sharing the Store's connection, not one class glued from mixins."""
    from tuidesk.store import Store
    from tuidesk.store.base import Repository

    long = {str(p.relative_to(SRC)): n for p in SRC.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 400}
    assert long == {}
    assert Store.__bases__ == (object,)
    store = Store.open(":memory:")
    repos = {k for k, v in vars(store).items() if isinstance(v, Repository)}
    assert repos == {"conversations", "messages", "outbox", "channels", "team",
                     "escalations", "audit", "reports", "imports", "leases", "meta",
                     "tallies", "saved_views", "agents"}
    assert all(getattr(store, r).db is store.db for r in repos)
    store.close()
