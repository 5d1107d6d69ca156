"""Shared rows and helpers of the SPEC semantics tests (`test_semantics_*.py`).

Every test runs the real front end (YAML text → `load_project` → `check`, with schemas given in
Python) and the reference interpreter, through `tests/harness.py`, on small hand-made rows that
include missing values. There is a test per row of the literal table and per predicate; each
expected result is worked out by hand in a comment beside it.

Unless a test says otherwise as_of is 2026-11-01T00:00, so `30d ago` is 2026-10-02,
`90d ago` 2026-08-03, `180d ago` 2026-05-05 and `365d ago` 2025-11-01 (all at midnight).
"""

from __future__ import annotations

import datetime as dt

SECOND = dt.timedelta(seconds=1)
DAY = dt.timedelta(days=1)
LATE = dt.datetime(2026, 3, 31, 12)
"""An as_of at the end of a 31-day month, for calendar clamping: `1mo ago` = 2026-02-28T12:00."""

X = {"x": "number"}
S = {"s": "string"}
TS = {"ts": "timestamp"}


def at(*parts: int) -> dt.datetime:
    return dt.datetime(*parts)


def orders(key, *times, amount=1, category="books") -> list[dict]:
    """One order of customer `key` at each time."""
    return [{"customer_id": key, "ordered_at": when, "amount": amount, "category": category}
            for when in times]


def recent_orders(key, count: int) -> list[dict]:
    """`count` (up to 90) orders of customer `key`, hourly from 2026-10-01: all in the last 90 days."""
    return orders(key, *(at(2026, 10, 1) + i * dt.timedelta(hours=1) for i in range(count)))


def members(result, path: str) -> list:
    return [m.key for m in result if path in m.segments]


FREQ = {"purchase_freq": "count(orders) over 90d per month"}
LOGINS = {"logins_per_week": {"type": "rate", "per": "week"}}
DATE_AND_TS = {"d": "date", "ts": "timestamp"}
