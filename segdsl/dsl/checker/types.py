"""Names of type groups and the words used for types in messages.

Input: `typed.Type`s.
Output: sets of type kinds the checks test against, and readable type names (`rate per week`).
"""

from __future__ import annotations

from segdsl.dsl import typed as t

NUMERIC = {"number", "rate"}
TEMPORAL = {"date", "timestamp"}
ORDERED = NUMERIC | TEMPORAL | {"string"}
UNIT_WORDS = {"h": "hour", "d": "day", "w": "week", "mo": "month", "y": "year"}


def type_words(type_: t.Type) -> str:
    """A type as messages name it: `rate per week`, `list of strings`."""
    if type_.kind == "rate" and type_.per:
        return f"rate per {UNIT_WORDS.get(type_.per, type_.per)}"
    if type_.kind == "list" and type_.element is not None:
        return f"list of {type_words(type_.element)}s"
    return type_.kind


def _a(type_: t.Type) -> str:
    text = type_words(type_)
    return ("an " if text[0] in "aeiou" else "a ") + text
