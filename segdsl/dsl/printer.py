"""Parse AST → canonical rule text.

Input: a `segdsl.dsl.ast.Expr`.
Output: the rule in canonical form: logical and predicate keywords in upper case (`AND`,
`NOT IN`, `IS MISSING`), aggregate clauses and time words in lower case as the SPEC writes them
(`where`, `over`, `to`, `per`, `ago`, `today`), one space around operators, the fewest
parentheses that keep the meaning, literals exactly as written (`4/mo` stays `4/mo`).

`parse_rule(to_text(e)) == e` for every tree the parser can produce (property-tested), which is
what `fmt` and `diff` stand on.
"""

from __future__ import annotations

from segdsl.dsl import ast

# Binding strength, loosest first (SPEC §3): OR, AND, NOT, comparison, + -, * /, unary minus.
_OR, _AND, _NOT, _PRED, _SUM, _PRODUCT, _UNARY, _ATOM = range(1, 9)

_UNIT_WORDS = {"h": "hour", "d": "day", "w": "week", "mo": "month", "y": "year"}
_TEXT_OPS = {"contains": "CONTAINS", "starts_with": "STARTS WITH", "ends_with": "ENDS WITH"}


def to_text(node: ast.Expr) -> str:
    """The canonical text of a rule or metric expression."""
    return _print(node, _OR, value_side=False)


def _precedence(node: ast.Expr) -> int:
    match node:
        case ast.Or():
            return _OR
        case ast.And():
            return _AND
        case ast.Not():
            return _NOT
        case ast.Compare() | ast.InList() | ast.Between() | ast.IsMissing() | ast.TextMatch() | ast.Within():
            return _PRED
        case ast.Arith(op="+" | "-"):
            return _SUM
        case ast.Arith():
            return _PRODUCT
        case ast.Neg():
            return _UNARY
        case ast.Number(text=t) if t.startswith("-"):
            return _UNARY
        case _:
            return _ATOM


def _print(node: ast.Expr, minimum: int, value_side: bool) -> str:
    """Print `node` where the context binds at `minimum`; parenthesise when it binds looser.

    On the value side of a predicate a bare word reads as a string, so names are backticked
    there; on the left side a string is always quoted.
    """
    text = _bare(node, value_side)
    return f"({text})" if _precedence(node) < minimum else text


def _bare(node: ast.Expr, value_side: bool) -> str:
    left = lambda n, p: _print(n, p, value_side=False)  # noqa: E731 - reads as the grammar
    value = lambda n, p: _print(n, p, value_side=True)  # noqa: E731
    side = value if value_side else left
    match node:
        case ast.Or(left=a, right=b):
            return f"{left(a, _OR)} OR {left(b, _AND)}"
        case ast.And(left=a, right=b):
            return f"{left(a, _AND)} AND {left(b, _NOT)}"
        case ast.Not(operand=a):
            return f"NOT {left(a, _NOT)}"
        case ast.Compare(op=op, left=a, right=b):
            return f"{left(a, _SUM)} {op} {value(b, _SUM)}"
        case ast.InList(operand=a, values=vs, negated=neg):
            items = ", ".join(value(v, _SUM) for v in vs)
            return f"{left(a, _SUM)} {'NOT IN' if neg else 'IN'} ({items})"
        case ast.Between(operand=a, low=lo, high=hi, negated=neg):
            keyword = "NOT BETWEEN" if neg else "BETWEEN"
            return f"{left(a, _SUM)} {keyword} {value(lo, _SUM)} AND {value(hi, _SUM)}"
        case ast.IsMissing(operand=a, negated=neg):
            return f"{left(a, _SUM)} IS {'NOT MISSING' if neg else 'MISSING'}"
        case ast.TextMatch(kind=kind, operand=a, pattern=p, negated=neg):
            keyword = ("NOT " if neg else "") + _TEXT_OPS[kind]
            return f"{left(a, _SUM)} {keyword} {value(p, _SUM)}"
        case ast.Within(operand=a, length=d):
            return f"{left(a, _SUM)} WITHIN {d.text}"
        case ast.Arith(op=op, left=a, right=b):
            own = _SUM if op in "+-" else _PRODUCT
            return f"{side(a, own)} {op} {side(b, own + 1)}"
        case ast.Neg(operand=a):
            return f"-{side(a, _UNARY)}"
        case ast.Call(function=f, args=args):
            return f"{f}({', '.join(left(a, _OR) for a in args)})"
        case ast.Aggregate():
            return _aggregate(node)
        case ast.InSegment(path=path):
            return f"in_segment({path})"
        case ast.Name(name=name, quoted=quoted):
            return f"`{name}`" if quoted or value_side else name
        case ast.String(value=v, text=t):
            if value_side or t[:1] in "'\"":
                return t
            return _quote(v)
        case ast.Boolean(value=v):
            return "true" if v else "false"
        case ast.Number(text=t) | ast.Percent(text=t) | ast.Date(text=t) | ast.Timestamp(text=t):
            return t
        case ast.Duration(text=t) | ast.Rate(text=t):
            return t
        case ast.Ago(duration=d):
            return f"{d.text} ago"
        case ast.Now(kind=kind):
            return kind
    raise TypeError(f"not an expression node: {node!r}")


def _aggregate(node: ast.Aggregate) -> str:
    target = node.source if node.column is None else f"{node.source}.{node.column}"
    if node.where is not None:
        target += f" where {_print(node.where, _OR, value_side=False)}"
    text = f"{node.function}({target})"
    match node.window:
        case ast.LastWindow(length=d):
            text += f" over {d.text}"
        case ast.RangeWindow(start=start, end=end):
            text += f" over {_bare(start, False)} to {_bare(end, False)}"
    if node.per is not None:
        text += f" per {_UNIT_WORDS[node.per]}"
    return text


def _quote(value: str) -> str:
    """A string literal for `value`, single-quoted unless it holds a single quote."""
    if "'" not in value and "\\" not in value and "\n" not in value:
        return f"'{value}'"
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    return f'"{escaped}"'
