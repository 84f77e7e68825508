"""The README stays true: its commands are the ones CI runs, and every command and setting is documented."""

from __future__ import annotations

import re

from conftest import ROOT
from mapdata.cli import build_parser

README = (ROOT / "README.md").read_text(encoding="utf-8")


def indented_commands() -> list[str]:
    return [line.strip() for line in README.splitlines() if line.startswith("    ") and line.strip()]


def test_ci_runs_the_readme_test_command_verbatim():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    test_command = next(c for c in indented_commands() if c.endswith("python -m pytest"))
    assert test_command in ci.splitlines()


def test_readme_starts_with_the_two_commands():
    first = README.split("## ", 1)[0]
    assert "mapdata serve" in first and "python -m pytest" in first


def test_every_subcommand_is_documented():
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    for name in sub.choices:
        assert re.search(rf"mapdata {name}\b", README), name


def test_every_setting_is_documented():
    for variable in ("MAPDATA_DB_URL", "MAPDATA_DATA_DIR", "MAPDATA_TEST_PG_URL"):
        assert variable in README
    sources = "".join(p.read_text(encoding="utf-8") for p in (ROOT / "src" / "mapdata").glob("*.py"))
    for variable in set(re.findall(r"MAPDATA_[A-Z_]+", sources)):
        assert variable in README, variable
