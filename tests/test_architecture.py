"""Layering: the core never loads textual (checked in a fresh interpreter)."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize("module", ["tuidesk.services", "tuidesk.store", "tuidesk.cli",
                                    "tuidesk.models", "tuidesk.config"])
def test_core_is_headless(module: str) -> None:
    code = f"import sys, {module}; print('textual' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=60).stdout.strip()
    assert out == "False"
