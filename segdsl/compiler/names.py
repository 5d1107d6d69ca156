"""Names in the generated SQL: unique column and table names, and identifiers that are safe.

Input: names from the rules and the data (any text: spaces, quotes, reserved words).
Output: sqlglot identifiers, quoted unless the name is a plain lowercase word that no dialect
reserves, so every name reaches the database as data, never as SQL.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlglot import exp
from sqlglot.tokens import Tokenizer

_PLAIN = re.compile(r"[a-z_][a-z0-9_]*")
_KEYWORDS = {word.lower() for word in Tokenizer.KEYWORDS if word.replace("_", "").isalpha()}


def identifier(name: str) -> exp.Identifier:
    """`name` as an identifier; quoted when it is not a plain word or is an SQL keyword."""
    return exp.Identifier(this=name, quoted=not _PLAIN.fullmatch(name) or name in _KEYWORDS)


def column(name: str, table: str | None = None) -> exp.Column:
    return exp.Column(this=identifier(name), table=identifier(table) if table else None)


def table(name: str) -> exp.Table:
    return exp.Table(this=identifier(name))


class Names:
    """Hands out names that differ from each other and from the reserved ones."""

    def __init__(self, reserved: Iterable[str] = ()):
        self.taken = set(reserved)

    def reserve(self, name: str) -> None:
        self.taken.add(name)

    def new(self, stem: str) -> str:
        name, n = stem, 1
        while name in self.taken:
            n += 1
            name = f"{stem}_{n}"
        self.taken.add(name)
        return name
