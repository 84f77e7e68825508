"""The README stays true: its commands are the ones CI runs, and every command and setting is documented."""

from __future__ import annotations

import re

from mapdata import settings
from support import ROOT, mapdata

README = (ROOT / "README.md").read_text(encoding="utf-8")


def indented_commands() -> list[str]:
    return [line.strip() for line in README.splitlines() if line.startswith("    ") and line.strip()]


def test_ci_runs_the_readme_test_command_verbatim():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    test_command = next(c for c in indented_commands() if c.endswith("python -m pytest"))
    assert test_command in ci.splitlines()


def test_readme_starts_with_the_two_commands_and_stays_short():
    first = README.split("## ", 1)[0]
    assert "mapdata serve" in first and "python -m pytest" in first
    assert len(README.encode("utf-8")) <= 12_000  # a user's page; the rest is in docs/


def test_every_subcommand_is_documented():
    usage = mapdata("--help").stdout
    commands = re.search(r"\{([a-z,]+)\}", usage).group(1).split(",")
    assert len(commands) >= 8
    for name in commands:
        assert re.search(rf"mapdata {name}\b", README), name


def test_every_setting_is_documented():
    sources = "".join(p.read_text(encoding="utf-8") for p in (ROOT / "src" / "mapdata").rglob("*.py"))
    read = set(re.findall(r"MAPDATA_[A-Z_]+", sources))
    assert read == set(settings.VARIABLES)  # one module reads the environment, and lists what it reads
    for variable in (*read, "MAPDATA_TEST_PG_URL"):
        assert variable in README, variable


def test_the_docs_the_readme_links_exist():
    for target in re.findall(r"\]\(((?:docs/|data/|CHANGELOG)[^)#]+)\)", README):
        assert (ROOT / target).exists(), target
