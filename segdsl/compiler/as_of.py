"""Evaluation points: what `--as-of` says, as the list of times to evaluate at.

Input: the text of `--as-of` (or the Python API's `as_of`): one time (`2026-11-01`,
`2026-11-01T06:00:00`), a comma-separated list (`2026-01-01,2026-04-01`), or a range with a step
(`2026-01-01..2026-11-01/1mo`; steps `7d`, `2w`, `1mo`, `1y`).
Output: `Points`: the times in increasing order, and whether one time was asked for (a single
point writes straight into the output folder; a list or a range writes a folder per point).

A range's points are START + k × STEP, each counted from START (not from the point before), so
calendar months clamp to the month's end as `ago` does (`01-31` + 1mo is `02-28`, + 2mo is
`03-31`); END is a point when it falls on a step.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from segdsl.dsl.timeline import minus_months

MAX_POINTS = 400
"""More points than this is almost certainly a mistake in the step (`1d` over years)."""

EXAMPLE = "e.g. 2026-11-01, 2026-01-01,2026-04-01 or 2026-01-01..2026-11-01/1mo"

_STEP = re.compile(r"\s*(\d+)\s*(mo|y|w|d)\s*")
_STEP_UNITS = {"mo": (1, 0), "y": (12, 0), "w": (0, 7), "d": (0, 1)}


class PointsError(ValueError):
    """`--as-of` does not say a time, a list or a range; the message has an example."""


@dataclass(frozen=True)
class Points:
    times: tuple[dt.datetime, ...]
    single: bool
    """One time was asked for (not a list or range, even one with a single point)."""


def parse_points(value: object) -> Points:
    """The times `value` asks for: a time or date, a list of them, or a text as `--as-of` takes it."""
    if isinstance(value, (dt.datetime, dt.date)):
        return Points((_time(value),), single=True)
    if isinstance(value, (list, tuple)):
        if not value:
            raise PointsError(f"no time given ({EXAMPLE})")
        return _points([_time(v) if not isinstance(v, str) else _parse_time(v) for v in value])
    if not isinstance(value, str):
        raise PointsError(f"{value!r} is not a time ({EXAMPLE})")
    text = value.strip()
    if ".." in text:
        return _points(_range(text))
    if "," in text:
        return _points([_parse_time(part) for part in text.split(",")])
    return Points((_parse_time(text),), single=True)


def point_name(when: dt.datetime) -> str:
    """The folder name of a point: its ISO date, or date and time with `-` for `:`."""
    if when.time() == dt.time():
        return when.date().isoformat()
    return when.isoformat().replace(":", "-")


def _points(times: list[dt.datetime]) -> Points:
    unique = sorted(set(times))
    if len(unique) > MAX_POINTS:
        raise PointsError(f"{len(unique)} points is more than the {MAX_POINTS} segdsl evaluates in one run; "
                          "use a longer step or a shorter range")
    return Points(tuple(unique), single=False)


def _range(text: str) -> list[dt.datetime]:
    bounds, slash, step = text.rpartition("/")
    if not slash:
        raise PointsError(f"{text!r}: a range needs a step, as in START..END/1mo ({EXAMPLE})")
    start_text, dots, end_text = bounds.partition("..")
    start, end = _parse_time(start_text), _parse_time(end_text)
    match = _STEP.fullmatch(step)
    if not match or int(match.group(1)) == 0:
        raise PointsError(f"{step!r} is not a step: write a positive number and one of d, w, mo, y "
                          f"(e.g. 7d, 2w, 1mo, 1y) ({EXAMPLE})")
    if end < start:
        raise PointsError(f"{text!r}: the range ends before it starts ({EXAMPLE})")
    months, days = (n * int(match.group(1)) for n in _STEP_UNITS[match.group(2)])
    times = []
    for k in range(MAX_POINTS + 1):
        when = minus_months(start, -k * months) + dt.timedelta(days=k * days)
        if when > end:
            break
        times.append(when)
    else:
        raise PointsError(f"{text!r} has more than the {MAX_POINTS} points segdsl evaluates in one run; "
                          "use a longer step or a shorter range")
    return times


def _parse_time(text: str) -> dt.datetime:
    text = text.strip()
    try:
        return _time(dt.datetime.fromisoformat(text))
    except ValueError:
        raise PointsError(f"{text!r} is not a date or time ({EXAMPLE})") from None


def _time(value: dt.datetime | dt.date) -> dt.datetime:
    """A date means its midnight; a time with a zone is taken in UTC (as a single --as-of is)."""
    if isinstance(value, dt.datetime):
        return value if value.tzinfo is None else value.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return dt.datetime.combine(value, dt.time())
