"""Dates as feeds write them (ISO 8601, RFC 822, '1 November 2025'), read as UTC calendar days."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from email.utils import parsedate_to_datetime, parsedate_tz

ISO_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")
_RFC822_YEAR = re.compile(r"\b\d{1,2}\s+[A-Za-z]{3,9}\.?,?\s+(\d+)\b")  # "01 Jan 2025": the year as written
_DAY_FORMATS = ("%d %B %Y", "%d %b %Y", "%B %d, %Y", "%b %d, %Y", "%a, %d %b %Y", "%Y/%m/%d", "%d.%m.%Y")


class UnknownDateForm(ValueError):
    """The value is not written in any date form parse_date knows (as opposed to an impossible date)."""


def parse_date(value: object, *, today: date | None = None) -> date | None:
    """A UTC calendar date from the forms feeds use (ISO 8601, RFC 822, '1 November 2025'); None if empty.

    Raises ValueError, with the reason, when the value is present but not a date, an impossible date
    (2025-02-30), before 1900, or more than one day after `today` (default: today in UTC).
    """
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    return check_range(_parse_day(text), today)


def _parse_day(text: str) -> date:
    iso = ISO_DAY.match(text)
    if iso:
        year, month, day_of_month = iso.groups()
        try:
            day = date(int(year), int(month), int(day_of_month))
        except ValueError as err:
            raise ValueError(f"impossible date {text[:40]!r} ({err})") from None
        if len(text) == 10:
            return day
        try:
            stamp = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            raise UnknownDateForm(f"not a date: {text[:40]!r}") from None
        try:
            return _utc_day(stamp)
        except OverflowError:  # 0001-01-01T00:00+01:00 is a day before the calendar starts
            raise ValueError(f"impossible date {text[:40]!r} (out of range in UTC)") from None
    parts = parsedate_tz(text)
    if parts is not None:
        written = _RFC822_YEAR.search(text)
        if written and len(written.group(1)) > 2 and int(written.group(1)) != parts[0]:
            # email.utils reads years below 100 as 19xx/20xx, so "01 Jan 0001" would become 2001
            raise ValueError(f"impossible date {text[:40]!r} (year {written.group(1)})")
        try:
            return _utc_day(parsedate_to_datetime(text))
        except (TypeError, ValueError, IndexError, OverflowError) as err:
            raise ValueError(f"impossible date {text[:40]!r} ({err})") from None
    for fmt in _DAY_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError as err:
            message = str(err)
            if "does not match format" in message or "unconverted data" in message:
                continue
            raise ValueError(f"impossible date {text[:40]!r} ({message})") from None
    raise UnknownDateForm(f"not a date: {text[:40]!r}")


def check_range(day: date, today: date | None = None) -> date:
    if day.year < 1900:
        raise ValueError(f"date {day.isoformat()} is before 1900")
    latest = (today or datetime.now(UTC).date()) + timedelta(days=1)
    if day > latest:
        raise ValueError(f"date {day.isoformat()} is more than a day in the future")
    return day


def _utc_day(stamp: datetime) -> date:
    if stamp.tzinfo is not None:
        stamp = stamp.astimezone(UTC)
    return stamp.date()
