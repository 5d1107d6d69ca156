"""Calendar arithmetic of SPEC §3: relative times, calendar months, dates as midnights.

Input: as_of (a timestamp) and the checker's `Offset`s and `RelTime`s.
Output: concrete `datetime`s. The reference interpreter evaluates relative times with these
functions, and the compiler turns them into timestamp literals, so a calendar month means the
same in Python and in every SQL dialect (dialects disagree on month arithmetic at month ends).
"""

from __future__ import annotations

import calendar
import datetime as dt

from segdsl.dsl import typed as t


def midnight(value: object) -> object:
    """A date as its midnight; anything else unchanged."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return dt.datetime.combine(value, dt.time())
    return value


def minus_months(when: dt.datetime, months: int) -> dt.datetime:
    """Calendar months back, clamped to the month's last day (03-31 − 1mo = 02-28)."""
    index = when.year * 12 + (when.month - 1) - months
    year, month = index // 12, index % 12 + 1
    day = min(when.day, calendar.monthrange(year, month)[1])
    return when.replace(year=year, month=month, day=day)


def rel_time(rel: t.RelTime, as_of: dt.datetime) -> dt.datetime | dt.date:
    """as_of − the offset; `today` is as_of's date."""
    when = minus_months(as_of, rel.offset.months) - dt.timedelta(seconds=rel.offset.seconds)
    return when.date() if rel.as_date else when


def bound(value: t.RelTime | t.Const, as_of: dt.datetime) -> dt.datetime:
    """A window bound as a timestamp."""
    if isinstance(value, t.RelTime):
        return midnight(rel_time(value, as_of))
    return midnight(value.value)


def window_days(window: t.Window, as_of: dt.datetime) -> float:
    """A window's own length in days, from its start to its end (as_of when open-ended).

    Used by `per`: the length counts even the part of the window after as_of.
    """
    if window.start is None:
        raise ValueError("a rate (`per`) needs a window with a start")
    end = bound(window.end, as_of) if window.end is not None else as_of
    return (end - bound(window.start, as_of)).total_seconds() / 86400
