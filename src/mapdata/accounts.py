"""Editors and the record of who changed what.

A team that shares a dashboard on its network signs its editors in: with Streamlit's own authentication where
the team has an identity provider, else with accounts kept here, in the database, their passwords hashed with
Argon2 (argon2-cffi). Each wrong password slows the next answer for that name, and after several the name is
refused for a while, whether or not an account of that name exists (so the answers say nothing of which names
do). Every write to the data (an ingest, an upload, a correction, a re-tag) is recorded with its account and time.
"""

from __future__ import annotations

import functools
import getpass
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, delete, func, insert, select, update

from . import store
from .errors import MapdataError

FAILURES_BEFORE_LOCK = 5  # wrong passwords in a row before a name is refused for a while
LOCK_MINUTES = 15
FIRST_DELAY = 0.5  # seconds before the answer to a wrong password, doubled for each one after
MAX_DELAY = 8.0
MIN_PASSWORD = 10  # characters

_hasher = PasswordHasher()


@functools.cache
def _nobody() -> str:
    """A hash to verify unknown names against, so that they take as long as known ones. Made at the first sign-in,
    not at import: hashing takes a tenth of a second, which every command that records its account (ingest, tag
    corrections, the dashboard's start) paid."""
    return _hasher.hash("no account has this password")


class AccountError(MapdataError):
    """An account could not be made, found or signed in to; the message says why."""


@dataclass(frozen=True)
class Change:
    """One recorded write to the data."""

    at: datetime
    account: str
    action: str
    detail: str
    items: int


def cli_account() -> str:
    """Who a command-line write is recorded as: the operating system's user."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no user name for this uid (a container)
        return "cli"


def add_user(engine: Engine, name: str, password: str) -> None:
    """Make an editor's account (name and password); a name is taken once."""
    name = name.strip()
    if not name or len(name) > 64 or any(c.isspace() for c in name):
        raise AccountError("an account name is 1 to 64 characters without spaces")
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"a password has at least {MIN_PASSWORD} characters")
    with store.writing(engine) as conn:
        if conn.scalar(select(store.users.c.name).where(store.users.c.name == name)):
            raise AccountError(f"an account named {name!r} exists already")
        conn.execute(
            insert(store.users).values(name=name, password_hash=_hasher.hash(password), created_at=datetime.now(UTC))
        )


def remove_user(engine: Engine, name: str) -> None:
    """Remove an editor's account (what it changed stays recorded under its name)."""
    with store.writing(engine) as conn:
        if not conn.execute(delete(store.users).where(store.users.c.name == name)).rowcount:
            raise AccountError(f"no account named {name!r}")


def users(engine: Engine) -> list[str]:
    """The editors' account names."""
    with engine.connect() as conn:
        return list(conn.scalars(select(store.users.c.name).order_by(store.users.c.name)))


def sign_in(engine: Engine, name: str, password: str, *, sleep=time.sleep) -> str:
    """The account's name when the password is its own; else AccountError, after a pause that doubles with each
    wrong password for that name; a name with too many wrong passwords in a row is refused for a while."""
    name = name.strip()
    nobody = _nobody()  # before anything is looked up: a first sign-in takes as long whatever its name
    now = datetime.now(UTC)
    with store.writing(engine) as conn:
        row = conn.execute(select(store.sign_ins).where(store.sign_ins.c.name == name)).one_or_none()
        locked = row is not None and row.locked_until is not None and _aware(row.locked_until) > now
        if locked:
            minutes = max(1, round((_aware(row.locked_until) - now).total_seconds() / 60))
            raise AccountError(f"too many wrong passwords for this name: try again in {minutes} minutes")
        stored = conn.scalar(select(store.users.c.password_hash).where(store.users.c.name == name))
        if _verify(stored or nobody, password) and stored:
            conn.execute(delete(store.sign_ins).where(store.sign_ins.c.name == name))
            return name
        failures = (row.failures if row is not None else 0) + 1
        values = {"failures": failures, "locked_until": None}
        if failures >= FAILURES_BEFORE_LOCK:
            values = {"failures": 0, "locked_until": now + timedelta(minutes=LOCK_MINUTES)}
        if row is None:
            conn.execute(insert(store.sign_ins).values(name=name, **values))
        else:
            conn.execute(update(store.sign_ins).where(store.sign_ins.c.name == name).values(**values))
    sleep(min(FIRST_DELAY * 2 ** (failures - 1), MAX_DELAY))
    if failures >= FAILURES_BEFORE_LOCK:
        raise AccountError(f"too many wrong passwords for this name: try again in {LOCK_MINUTES} minutes")
    raise AccountError("wrong name or password")


def _verify(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def _aware(moment: datetime) -> datetime:
    """SQLite gives back naive datetimes: they were written in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def record(conn, account: str, action: str, detail: str, items: int = 0) -> None:
    """Record a write to the data, inside its transaction."""
    conn.execute(
        insert(store.changes).values(
            at=datetime.now(UTC), account=account, action=action, detail=detail[:500], items=items
        )
    )


def latest_changes(engine: Engine, limit: int = 50) -> list[Change]:
    """The newest recorded writes, newest first."""
    query = select(store.changes).order_by(store.changes.c.id.desc()).limit(limit)
    with engine.connect() as conn:
        return [Change(_aware(r.at), r.account, r.action, r.detail, r.items) for r in conn.execute(query)]


def changes_per_account(engine: Engine) -> list[tuple[str, int]]:
    """How many writes each account made, most first."""
    count = func.count()
    query = (
        select(store.changes.c.account, count)
        .group_by(store.changes.c.account)
        .order_by(count.desc(), store.changes.c.account)
    )
    with engine.connect() as conn:
        return [(account, int(n)) for account, n in conn.execute(query)]
