"""Rewrites for dialects that lack a function sqlglot prints for them.

Input: the built statement (dialect-neutral sqlglot tree) and a dialect name.
Output: a copy of the statement using what that dialect has. sqlglot transpiles most things;
these are the places where its output would not run, or would mean something else:

- PostgreSQL has no `array_compact`: `array_remove(list, NULL)` drops the NULLs instead.
- PostgreSQL has no `ends_with`, and Redshift prints `starts_with` as a `LIKE` whose pattern
  would treat `%` and `_` in the value as wildcards: both compare a prefix or suffix of the
  same length instead (`LEFT(x, LENGTH(p)) = p`).
"""

from __future__ import annotations

from sqlglot import exp

_NO_ARRAY_COMPACT = {"postgres"}
_NO_ENDS_WITH = {"postgres", "redshift"}
_NO_EXACT_STARTS_WITH = {"redshift"}


def adapt(statement: exp.Expression, dialect: str) -> exp.Expression:
    if dialect not in _NO_ARRAY_COMPACT | _NO_ENDS_WITH | _NO_EXACT_STARTS_WITH:
        return statement

    def rewrite(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.ArrayCompact) and dialect in _NO_ARRAY_COMPACT:
            return exp.ArrayRemove(this=node.this, expression=exp.Null())
        if isinstance(node, exp.EndsWith) and dialect in _NO_ENDS_WITH:
            return _affix(exp.Right, node)
        if isinstance(node, exp.StartsWith) and dialect in _NO_EXACT_STARTS_WITH:
            return _affix(exp.Left, node)
        return node

    return statement.transform(rewrite)


def _affix(cut: type[exp.Expression], node: exp.Expression) -> exp.Expression:
    text, affix = node.this, node.expression
    return exp.Paren(this=exp.EQ(this=cut(this=text, expression=exp.Length(this=affix.copy())),
                                 expression=affix.copy()))
