"""Durations and rate units, normalised.

Input: `ast.Duration` literals and rate types.
Output: `typed.Offset`s (calendar months plus seconds) and conversion factors between rate
units, so that nothing after the checker sees a unit string.
"""

from __future__ import annotations

from segdsl.dsl import ast
from segdsl.dsl import typed as t

_SECONDS = {"h": 3600, "d": 86_400, "w": 7 * 86_400}


def offset_of(duration: ast.Duration) -> t.Offset | None:
    """`30d` → 30 days of seconds; `6mo` → 6 calendar months; None for fractional months."""
    if duration.unit in ("mo", "y"):
        months = duration.amount * (12 if duration.unit == "y" else 1)
        if months != int(months):
            return None
        return t.Offset(months=int(months))
    return t.Offset(seconds=float(duration.amount * _SECONDS[duration.unit]))


def rate_factor(source: t.Type, target: t.Type) -> float:
    """Multiply a rate in `source`'s unit by this to express it in `target`'s unit.

    4 per week is 4 × (30.4375 / 7) ≈ 17.39 per month.
    """
    if source.per_days is None or target.per_days is None or source.per_days == target.per_days:
        return 1.0
    return target.per_days / source.per_days
