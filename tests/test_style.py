"""The code passes the linter and is formatted as pyproject.toml says (ruff), so CI runs both with the suite."""

from __future__ import annotations

import subprocess
import sys

from support import ROOT


def ruff(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ruff", *args, str(ROOT)], capture_output=True, text=True, timeout=120, cwd=ROOT
    )


def test_the_linter_finds_nothing():
    done = ruff("check", "--no-cache")
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_code_is_formatted():
    done = ruff("format", "--check", "--no-cache")
    assert done.returncode == 0, "run `ruff format`:\n" + done.stdout + done.stderr
