"""Editors' accounts, slowed and then refused wrong passwords, and the record of who changed what, on SQLite and
PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from mapdata import accounts, store
from mapdata.corrections import add_correction, retag
from mapdata.ingest import ingest_paths
from mapdata.models import Correction
from mapdata.tagging import default_tagger
from support import SEED, mapdata


def test_a_password_is_stored_hashed_and_signs_in_only_its_account(any_engine):
    accounts.add_user(any_engine, "ana", "a long passphrase")
    with any_engine.connect() as conn:
        stored = conn.scalar(select(store.users.c.password_hash))
    assert stored.startswith("$argon2") and "a long passphrase" not in stored
    assert accounts.sign_in(any_engine, "ana", "a long passphrase", sleep=lambda s: None) == "ana"
    with pytest.raises(accounts.AccountError, match="wrong name or password"):
        accounts.sign_in(any_engine, "ana", "not it at all", sleep=lambda s: None)
    with pytest.raises(accounts.AccountError, match="exists already"):
        accounts.add_user(any_engine, "ana", "another long one")
    with pytest.raises(accounts.AccountError, match="at least"):
        accounts.add_user(any_engine, "bo", "short")
    accounts.remove_user(any_engine, "ana")
    assert accounts.users(any_engine) == []


def test_wrong_passwords_are_slowed_then_refused_even_for_names_that_do_not_exist(any_engine):
    accounts.add_user(any_engine, "ana", "a long passphrase")
    for name in ("ana", "nobody"):
        waits: list[float] = []
        for _ in range(accounts.FAILURES_BEFORE_LOCK):
            with pytest.raises(accounts.AccountError):
                accounts.sign_in(any_engine, name, "wrong guess here", sleep=waits.append)
        assert waits == sorted(waits) and waits[0] < waits[-1]  # each wrong password waits longer
        with pytest.raises(accounts.AccountError, match="too many wrong passwords"):
            accounts.sign_in(any_engine, name, "a long passphrase", sleep=waits.append)  # even the right one, now


def test_every_write_records_its_account(any_engine):
    ingest_paths(any_engine, [SEED], account="cli:ana")
    frames = store.load_frames(any_engine)
    item = frames.items["id"].iloc[0]
    tagger = default_tagger()
    add_correction(any_engine, Correction(item, "tone", "neutral", "set"), tagger.tag, account="ben")
    retag(any_engine, tagger.tag, account="cli:ana")
    with any_engine.connect() as conn:
        assert conn.scalar(select(store.corrections.c.account)) == "ben"
    changes = accounts.latest_changes(any_engine)
    assert [(c.account, c.action) for c in changes] == [
        ("cli:ana", "retag"),
        ("ben", "correction"),
        ("cli:ana", "ingest"),
    ]
    assert changes[-1].items == 11 and "sample_news" in changes[-1].detail
    assert accounts.changes_per_account(any_engine) == [("cli:ana", 2), ("ben", 1)]


def test_users_on_the_command_line_and_changes_in_stats(tmp_path):
    env = {"MAPDATA_DB_URL": f"sqlite:///{tmp_path / 'team.sqlite'}"}
    made = mapdata("users", "add", "ana", "--password-stdin", env=env, input="a long passphrase\n")
    assert made.returncode == 0, made.stderr
    listed = mapdata("users", "list", env=env)
    assert listed.stdout.split() == ["ana"]
    short = mapdata("users", "add", "bo", "--password-stdin", env=env, input="short\n")
    assert short.returncode == 2 and "at least" in short.stderr
    mapdata("ingest", "--no-snapshot", str(SEED), env=env)
    stats = mapdata("stats", env=env)
    assert "changes    cli:" in stats.stdout
    assert mapdata("users", "remove", "ana", env=env).returncode == 0
    assert mapdata("users", "remove", "ana", env=env).returncode == 2
