"""Rewrites for dialects that lack a function sqlglot prints for them.

Input: the built statement (dialect-neutral sqlglot tree) and a dialect name.
Output: a copy of the statement using what that dialect has. sqlglot transpiles most things;
these are the places where its output would not run, or would mean something else:

- PostgreSQL has no `array_compact`: `array_remove(list, NULL)` drops the NULLs instead.
- PostgreSQL has no `ends_with`, and Redshift prints `starts_with` as a `LIKE` whose pattern
  would treat `%` and `_` in the value as wildcards: both compare a prefix or suffix of the
  same length instead (`LEFT(x, LENGTH(p)) = p`).
- PostgreSQL (`_postgres`): text literals ordered by `<` or BETWEEN compare bytewise
  (`COLLATE "C"`); a list's length is `CARDINALITY` (0 for an empty list); `CONTAINS` on a
  missing list is NULL, not FALSE; `upper`/`lower` map every letter (collation "C.utf8"), not
  ASCII only, and `upper('ß')` is `ẞ`; `AVG` averages DOUBLEs as DuckDB does, not NUMERICs; a
  column that is NULL outright is a DOUBLE PRECISION, not TEXT.
- Spark and Databricks (`_spark`): a zero divisor gives NULL (`NULLIF`; ANSI mode raises);
  `CONTAINS` ignores NULL elements of a list; `upper`/`lower` map case one character to one as
  DuckDB does (`spark_case`), not with Java's full mappings; `AVG` averages DOUBLEs.
"""

from __future__ import annotations

from sqlglot import exp

_NO_ARRAY_COMPACT = {"postgres"}
_NO_ENDS_WITH = {"postgres", "redshift"}
_NO_EXACT_STARTS_WITH = {"redshift"}


def adapt(statement: exp.Expression, dialect: str) -> exp.Expression:
    if dialect == "postgres":
        statement = _bottom_up(statement, _postgres)
    if dialect in _SPARK:
        statement = statement.transform(_spark)
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


def _bottom_up(statement: exp.Expression, rewrite) -> exp.Expression:
    """A copy with `rewrite` applied to every node, children first: a rewritten node keeps its
    children's rewrites (`transform` does not visit what a replacement holds)."""
    tree = statement.copy()
    for node in reversed(list(tree.walk(bfs=False))):
        new = rewrite(node)
        if new is not node:
            if node is tree:
                tree = new
            else:
                node.replace(new)
    return tree


def _postgres(node: exp.Expression) -> exp.Expression:
    """PostgreSQL's differences from DuckDB (docs/engines/postgres.md names each, with its test)."""
    if isinstance(node, (exp.LT, exp.LTE, exp.GT, exp.GTE, exp.Between)):
        # Text is ordered by the database's collation ('books' < 'Tech' under en-US), DuckDB's
        # by bytes. Columns get "C" where the engine reads them; literals compared by order get
        # it here, so `'books' < 'Tech'` is false as on DuckDB (equality needs none).
        ordered = node.copy()
        for arg in ("this", "expression", "low", "high"):
            value = ordered.args.get(arg)
            if isinstance(value, exp.Literal) and value.is_string:
                # In parentheses: BETWEEN's bounds take no bare COLLATE.
                ordered.set(arg, exp.Paren(this=_collate(value.copy(), "C")))
        return ordered
    if isinstance(node, exp.Alias) and isinstance(node.this, exp.Null):
        # A column that is NULL outright (a rate over a window of no length) is TEXT in a
        # PostgreSQL subquery, and then cannot be compared with a number; DuckDB's NULL adapts.
        return exp.alias_(exp.cast(exp.Null(), exp.DataType.Type.DOUBLE), node.args["alias"].copy())
    if isinstance(node, exp.ArraySize):
        # ARRAY_LENGTH(list, 1) is NULL for an empty list, where DuckDB's length is 0.
        return exp.Anonymous(this="CARDINALITY", expressions=[node.this])
    if isinstance(node, exp.ArrayContains):
        # sqlglot prints `COALESCE(p = ANY(list), FALSE)`: FALSE for a missing list, where
        # DuckDB's list_contains is NULL (so `NOT CONTAINS` would hold for a missing list).
        missing = exp.Is(this=node.this.copy(), expression=exp.Null())
        return exp.Case(ifs=[exp.If(this=missing, true=exp.Null())], default=node.copy())
    if isinstance(node, (exp.Upper, exp.Lower)):
        # Under the bytewise "C" collation PostgreSQL changes the case of ASCII letters only
        # (upper('zürich') = 'ZüRICH'); "C.utf8" maps every letter one to one, as DuckDB does.
        # The result is bytewise again for whatever compares or sorts it.
        # Over every code point the one letter they map differently is 'ß': DuckDB's upper is 'ẞ'.
        mapped: exp.Expression = type(node)(this=_collate(node.this.copy(), "C.utf8"))
        if isinstance(node, exp.Upper):
            mapped = exp.Anonymous(this="TRANSLATE", expressions=[mapped, exp.Literal.string("ß"),
                                                                  exp.Literal.string("ẞ")])
        return exp.Paren(this=_collate(mapped, "C"))
    if isinstance(node, exp.Avg) and not isinstance(node.this, exp.Cast):
        # AVG of integers is NUMERIC (exact) in PostgreSQL, DOUBLE in DuckDB: average doubles.
        return exp.Avg(this=exp.cast(node.this, exp.DataType.Type.DOUBLE))
    return node


def _collate(node: exp.Expression, collation: str) -> exp.Expression:
    return exp.Collate(this=node, expression=exp.Identifier(this=collation, quoted=True))


_SPARK = {"spark", "databricks"}


def _spark(node: exp.Expression) -> exp.Expression:
    """Spark SQL's differences from DuckDB (docs/engines/spark.md names each, with its test)."""
    if isinstance(node, exp.Div) and node.args.get("safe"):
        # sqlglot prints Spark's `/` without the NULLIF DuckDB gets; Spark (ANSI mode, the
        # default in 4.x) raises on a zero divisor where a rule means NULL.
        return exp.Div(this=node.this, expression=exp.Nullif(this=node.expression, expression=exp.Literal.number(0)))
    if isinstance(node, exp.ArrayContains):
        # ARRAY_CONTAINS is NULL when the value is absent and the list holds a NULL; DuckDB's
        # list_contains is FALSE. Without the NULLs, absent is FALSE on both.
        return exp.ArrayContains(this=exp.ArrayCompact(this=node.this), expression=node.expression)
    if isinstance(node, exp.Avg) and not isinstance(node.this, exp.Cast):
        # AVG of DECIMALs is a DECIMAL in Spark (4 more decimal places: 5/3 is 1.666667), DOUBLE in DuckDB.
        return exp.Avg(this=exp.cast(node.this, exp.DataType.Type.DOUBLE))
    if isinstance(node, (exp.Lower, exp.Upper)):
        return _duckdb_case(node)
    return node


def _duckdb_case(node: exp.Lower | exp.Upper) -> exp.Expression:
    """LOWER/UPPER as DuckDB maps case: Java's full case mapping (`upper('ß')` = `SS`) is kept
    away from the characters where it differs (`spark_case`) by private-use placeholders."""
    from segdsl.compiler import spark_case

    if isinstance(node, exp.Lower):
        source, target = spark_case.LOWER_FROM, spark_case.LOWER_TO
    else:
        source, target = spark_case.UPPER_FROM, spark_case.UPPER_TO
    held = spark_case.PLACEHOLDERS[:len(source)]

    def translate(text: exp.Expression, a: str, b: str) -> exp.Expression:
        return exp.Anonymous(this="TRANSLATE", expressions=[text, exp.Literal.string(a), exp.Literal.string(b)])

    return translate(type(node)(this=translate(node.this, source, held)), held, target)
