"""Hypothesis strategies for the differential tests: random rules projects, data and as_of.

Input: hypothesis's draws only.
Output: `Case`s: the texts of a rules project (`segdsl.yml` and `rules.yml`) over the fixed
schema `SCHEMAS`, rows of the entity (`customers`) and of the event source (`orders`) holding
exactly those column types, and an as_of; `write_parquet` writes the rows with explicit types.

Rules are written as text, type by type (`RuleWriter.value(kind)` writes an expression of that
kind), so almost every generated project checks: names on the value side of a predicate are
backticked, windows in months are whole months, `per` always has a window, `in_segment` names
only segments that cannot depend on the rule being written, rankings stay out of `where`. Now and
then a rule is written twice, in the same scope or another, so the compiler shares a column.

Data and literals are drawn from small pools of boundary values: times relative to as_of (as_of
itself, one second either side, exactly 30d/90d/180d/365d and 1/6/12 calendar months back, its
midnight), month ends and the leap day, NULL in every column, empty strings, zero and negative
numbers, customers without orders, orders with no time, amount or category, orders after as_of
and orders of no customer. The same pools give the rules' literals, so bounds meet the data.

Numbers in the data are multiples of 0.25 of moderate size, so every sum, average and rate of
them is exact in binary floating point: the order in which DuckDB adds rows cannot make a
legitimate difference, and results must be equal, not close. Literals in rules need not be exact
(`20%` is 0.2): both sides apply the same IEEE operations to them in the same order.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import yaml
from hypothesis import strategies as st

from harness import LIST_OF_STRINGS, ORDERS, settings_yaml
from segdsl.dsl import typed as t
from segdsl.dsl.timeline import minus_months

# --- the schema ----------------------------------------------------------------------------

ENTITY_COLUMNS: dict[str, t.Type] = {
    "id": t.NUMBER, "age": t.NUMBER, "score": t.NUMBER, "lo": t.NUMBER, "hi": t.NUMBER,
    "name": t.STRING, "city": t.STRING, "vip": t.BOOLEAN, "signup": t.DATE, "seen_at": t.TIMESTAMP,
    "tags": LIST_OF_STRINGS, "logins": t.NUMBER,
}
SCHEMAS = {"customers": ENTITY_COLUMNS, "orders": ORDERS}
FIELDS = {"logins": {"type": "rate", "per": "week"}}
"""`logins` is declared a rate per week, so comparing it with `1/d` converts units."""
METRICS = {
    "freq": "count(orders) over 90d per month",
    "spend": "sum(orders.amount) over 365d",
    "last_order_at": "max(orders.ordered_at)",
    "spend_per_order": "spend / count(orders)",
}

_ARROW = {
    "customers": pa.schema([
        ("id", pa.int64()), ("age", pa.float64()), ("score", pa.float64()), ("lo", pa.float64()),
        ("hi", pa.float64()), ("name", pa.string()), ("city", pa.string()), ("vip", pa.bool_()),
        ("signup", pa.date32()), ("seen_at", pa.timestamp("us")), ("tags", pa.list_(pa.string())),
        ("logins", pa.float64()),
    ]),
    "orders": pa.schema([
        ("customer_id", pa.int64()), ("ordered_at", pa.timestamp("us")), ("amount", pa.float64()),
        ("category", pa.string()),
    ]),
}

# --- value pools ---------------------------------------------------------------------------

AS_OFS = [
    dt.datetime(2026, 11, 1), dt.datetime(2026, 3, 31), dt.datetime(2026, 3, 31, 12),
    dt.datetime(2024, 2, 29, 18, 30), dt.datetime(2026, 2, 28, 23, 59, 59), dt.datetime(2025, 12, 31, 6, 15),
    dt.datetime(2026, 1, 31, 23, 59, 59, 750_000),
]
"""Midnight and not (to the microsecond), month ends (calendar clamping), the leap day."""

SECOND, DAY = dt.timedelta(seconds=1), dt.timedelta(days=1)


def times(as_of: dt.datetime) -> list[dt.datetime]:
    """Timestamps at the bounds of windows, `ago` and WITHIN, and on calendar edges."""
    day = as_of.replace(hour=0, minute=0, second=0, microsecond=0)
    return [as_of, as_of - SECOND, as_of + SECOND, as_of - 30 * DAY, as_of - 30 * DAY - SECOND,
            as_of - 90 * DAY, as_of - 180 * DAY, as_of - 365 * DAY, as_of - dt.timedelta(hours=36),
            minus_months(as_of, 1), minus_months(as_of, 6), minus_months(as_of, 12), day, day - 30 * DAY,
            day + DAY, dt.datetime(2024, 2, 29), dt.datetime(2024, 2, 29, 12), dt.datetime(2026, 2, 28),
            dt.datetime(2026, 3, 31, 23, 59, 59), dt.datetime(2026, 1, 1)]


def dates(as_of: dt.datetime) -> list[dt.date]:
    """Dates around as_of's, a calendar month and six back, month ends, the leap day."""
    today = as_of.date()
    return [today, today - DAY, today + DAY, today - 30 * DAY, minus_months(as_of, 1).date(),
            minus_months(as_of, 6).date(), dt.date(2024, 2, 29), dt.date(2026, 2, 28),
            dt.date(2026, 3, 31), dt.date(2026, 1, 1)]


NUMBERS = [0.0, 1.0, -1.0, 2.5, 3.0, 30.0, 45.25, 0.25, 1000.0, 2500.0]
STRINGS = ["", "tech", "Tech", "TECH", "software", "te", "New York", "Zürich", " ", "10%_off"]
"""Text: case variants, prefixes, the empty string, non-ASCII, and LIKE's wildcards `%` and `_`."""
TAG_LISTS = [[], ["tech"], ["tech", "software"], ["Tech", None], [""]]
AMOUNTS = [0.0, 1.0, 2.5, -3.25, 100.0, 0.25, 1000.0]
CATEGORIES = ["", "books", "tech", "Tech", "skincare"]

NUMBER_TEXTS = ["0", "1", "2", "3", "-1", "2.5", "-3.5", "0.25", "30", "45.25", "1_000", "2.5k", "20%",
                "1M", "1e2", "4"]
STRING_TEXTS = ["'tech'", "'Tech'", "''", "'te'", "'ch'", '"software"', "'New York'", "'zzz'", "'Zürich'",
                "' '", "'books'", "'%'", "'_'", "'10%'"]
BARE_WORDS = ["tech", "Tech", "software", "zzz", "books", "TECH"]
DURATIONS = ["30d", "30 days", "1 day", "90d", "12h", "2w", "6mo", "1 month", "1y", "365d", "180d", "36h",
             "1.5d", "2 weeks"]
RATES = ["4/mo", "1/w", "2/w", "1/d", "12/y", "0.5/mo", "0/mo", "3/month", "1/week"]
PER_UNITS = ["month", "w", "week", "d", "day", "y"]
COMPARE_OPS = ["=", "!=", "<>", "<", "<=", ">", ">="]
MISSING = ["IS MISSING", "IS NOT MISSING", "is null", "IS NOT NULL"]

KINDS = ("num", "str", "bool", "date", "ts")


# --- rules ---------------------------------------------------------------------------------


class RuleWriter:
    """Writes rule text of a given kind; `refs` collects the `in_segment` paths it used.

    `where`: inside an aggregate's filter, names are the order's columns, and no aggregate,
    ranking, metric or `in_segment` may appear. `segments`: paths `in_segment` may name (None
    in a metric, where it is not allowed). `metrics`: metric names usable as numbers.
    """

    def __init__(self, draw, as_of: dt.datetime, *, where: bool = False,
                 segments: list[str] | None = None, metrics: tuple[str, ...] = (), scoped: bool = False):
        self.draw, self.as_of, self.where = draw, as_of, where
        self.segments, self.metrics, self.scoped = segments, metrics, scoped
        self.refs: set[str] = set()

    def pick(self, items):
        return self.draw(st.sampled_from(list(items)))

    def chance(self, percent: int) -> bool:
        return self.draw(st.integers(0, 99)) < percent

    def kw(self, word: str) -> str:
        return word if self.chance(80) else word.lower()  # keywords are case-insensitive

    # --- conditions ------------------------------------------------------------------------

    def condition(self, depth: int) -> str:
        if depth <= 0 or self.chance(35):
            return self.predicate()
        shape = self.pick(["not", "and", "or", "and", "or"])
        if shape == "not":
            return f"{self.kw('NOT')} {self._group(self.condition(depth - 1))}"
        left, right = self.condition(depth - 1), self.condition(depth - 1)
        return f"{self._group(left)} {self.kw(shape.upper())} {self._group(right)}"

    @staticmethod
    def _group(text: str) -> str:
        return f"({text})" if any(w in text for w in (" AND ", " OR ", " and ", " or ", "NOT ", "not ")) else text

    def predicate(self) -> str:
        shapes = ["compare"] * 4 + ["in", "between", "missing", "text", "within", "alone", "rate"]
        if not self.where:
            shapes += ["list", "aggregate", "aggregate"] + ["rank"] * (6 if self.scoped else 2)
        shape = self.pick(shapes)
        d = self.pick([0, 1, 1, 2])  # how deep its operands go, whatever the nesting above
        match shape:
            case "compare":
                kind = self.pick(["num"] * 4 + ["str", "str", "bool", "date", "ts", "temporal"])
                if kind == "temporal":  # a date with a timestamp: the date is its midnight
                    left, right = self.pick([("date", "ts"), ("ts", "date")])
                    return f"{self.value(left, d)} {self.pick(COMPARE_OPS)} {self.value(right, d, side=True)}"
                ops = ["=", "!=", "<>"] if kind == "bool" else COMPARE_OPS
                return f"{self.value(kind, d)} {self.pick(ops)} {self.value(kind, d, side=True)}"
            case "in":
                kind = self.pick(["num", "num", "str", "str", "date"])
                items = [self.value(kind, 0, side=True) for _ in range(self.draw(st.integers(1, 4)))]
                keyword = self.pick(["IN", "NOT IN"])
                return f"{self.value(kind, d)} {self.kw(keyword)} ({', '.join(items)})"
            case "between":
                kind = self.pick(["num", "num", "str", "date", "ts"])
                keyword = self.kw(self.pick(["BETWEEN", "NOT BETWEEN"]))
                return (f"{self.value(kind, d)} {keyword} {self.value(kind, d, side=True)} "
                        f"{self.kw('AND')} {self.value(kind, d, side=True)}")
            case "missing":
                kind = self.pick(KINDS + ("rate",) + (() if self.where else ("list",)))
                return f"{self.value(kind, d)} {self.pick(MISSING)}"
            case "text":
                op = self.pick(["CONTAINS", "STARTS WITH", "ENDS WITH"])
                op = self.pick(["", "NOT "]) + op
                return f"{self.value('str', d)} {op} {self.value('str', 0, side=True)}"
            case "list":
                return f"tags {self.pick(['CONTAINS', 'NOT CONTAINS'])} {self.value('str', 0, side=True)}"
            case "within":
                return f"{self.value(self.pick(['date', 'ts']), d)} {self.kw('WITHIN')} {self.pick(DURATIONS)}"
            case "alone":
                return self.value("bool", d)
            case "rank":  # as marketers write them: the top fifth, the upper half
                ranked = self.value(self.pick(["num", "num", "str", "date", "ts"]), self.pick([0, 0, 1]))
                if self.chance(50):
                    tiles = self.draw(st.integers(1, 5))
                    return f"ntile({tiles}, {ranked}) {self.pick(COMPARE_OPS)} {self.draw(st.integers(1, tiles))}"
                return f"percent_rank({ranked}) {self.pick(COMPARE_OPS)} {self.pick(['0', '0.5', '1', '20%'])}"
            case "aggregate":
                return f"{self.aggregate('num', d)} {self.pick(COMPARE_OPS)} {self.pick(['0', '1', '2', '2.5'])}"
            case "rate":
                if self.where or self.chance(20):  # an undeclared number: the literal's number as is
                    return f"{self.value('num', d)} {self.pick(COMPARE_OPS)} {self.pick(RATES)}"
                right = self.pick(RATES) if self.chance(70) else self.value("rate", d, side=True)
                return f"{self.value('rate', d)} {self.pick(COMPARE_OPS)} {right}"
        raise AssertionError(shape)

    # --- values ----------------------------------------------------------------------------

    def value(self, kind: str, depth: int, side: bool = False) -> str:
        """An expression of `kind`; `side`: on the value side, where bare words are strings."""
        if kind == "list":
            return self.name("tags", side)
        if kind == "rate" and self.where:
            kind = "num"
        if depth > 0 and self.chance(60 if kind in ("num", "rate") else 30):
            return self.composite(kind, depth - 1, side)
        return self.atom(kind, side)

    def name(self, column: str, side: bool) -> str:
        return f"`{column}`" if side else column

    def atom(self, kind: str, side: bool) -> str:
        fields = {
            "num": ["amount", "customer_id"] if self.where else ["age", "score", "lo", "hi"],
            "str": ["category"] if self.where else ["name", "city"],
            "bool": [] if self.where else ["vip"],
            "date": [] if self.where else ["signup"],
            "ts": ["ordered_at"] if self.where else ["seen_at"],
            "rate": ["logins"],
        }[kind]
        metrics = {"num": ["spend", "spend_per_order", *self.metrics], "ts": ["last_order_at"], "rate": ["freq"]}
        metrics = [] if self.where else metrics.get(kind, [])
        # The left side of a predicate is mostly data, the value side mostly literals.
        choice = self.pick(["literal", "literal", "literal", "field", "metric"] if side
                           else ["field", "field", "field", "metric", "literal"])
        if choice == "metric" and metrics:
            return self.name(self.pick(metrics), side)
        if choice == "field" and fields:
            return self.name(self.pick(fields), side)
        return self.literal(kind, side)

    def literal(self, kind: str, side: bool) -> str:
        match kind:
            case "num":
                return self.pick(NUMBER_TEXTS)
            case "str":
                return self.pick(STRING_TEXTS + (BARE_WORDS if side else []))
            case "bool":
                if self.segments and self.chance(50):
                    path = self.pick(self.segments)
                    self.refs.add(path)
                    return f"in_segment({path})"
                return self.pick(["true", "false", "TRUE"])
            case "date":
                return self.pick([d.isoformat() for d in dates(self.as_of)] + ["today"])
            case "ts":
                stamps = [x.isoformat() for x in times(self.as_of)]
                return self.pick(stamps + [f"{d} ago" for d in DURATIONS] + ["now"])
            case "rate":
                return self.pick(RATES)
        raise AssertionError(kind)

    def composite(self, kind: str, depth: int, side: bool) -> str:
        v = lambda k, s=side: self.value(k, depth, s)  # noqa: E731 - same side, one level down
        arg = lambda k: self.value(k, depth)  # noqa: E731 - function arguments are left-side
        options = {
            "num": ["arith", "arith", "arith", "neg", "abs", "length", "date_part", "date_part", "coalesce"],
            "str": ["lower", "upper", "coalesce"],
            "bool": ["coalesce"] + ([] if side else ["paren"]),
            "date": ["coalesce"],
            "ts": ["coalesce"],
            "rate": ["scale", "sum", "coalesce"],
        }[kind]
        if not self.where:
            options += {"num": ["aggregate"] * 3 + ["rank"] * 3, "str": ["aggregate"],
                        "ts": ["aggregate"], "rate": ["aggregate", "aggregate"]}.get(kind, [])
        match self.pick(options):
            case "arith":
                return f"({v('num')} {self.pick('+-*/')} {v('num')})"
            case "neg":
                return f"-({v('num')})"
            case "abs":
                return f"abs({arg('num')})"
            case "length":
                return f"length({arg(self.pick(['str'] if self.where else ['str', 'str', 'list']))})"
            case "date_part":
                return f"{self.pick(['year', 'month', 'days_since'])}({arg(self.pick(['date', 'ts']))})"
            case "lower" | "upper" as function:
                return f"{function}({arg('str')})"
            case "coalesce":
                if kind == "rate":
                    return f"coalesce({arg('rate')}, {arg(self.pick(['rate', 'num']))})"
                other = self.pick(["date", "ts"]) if kind in ("date", "ts") else kind
                return f"coalesce({arg(kind)}, {arg(other)})"
            case "paren":
                return f"({self.condition(depth)})"
            case "scale":
                return f"({v('rate')} {self.pick('*/')} {v('num')})"
            case "sum":
                return f"({v('rate')} {self.pick('+-')} {v('rate')})"
            case "aggregate":
                return self.aggregate(kind, depth)
            case "rank":
                ranked = self.value(self.pick(["num", "num", "str", "date", "ts"]), depth)
                if self.chance(50):
                    return f"ntile({self.draw(st.integers(1, 5))}, {ranked})"
                return f"percent_rank({ranked})"
        raise AssertionError(kind)

    def aggregate(self, kind: str, depth: int) -> str:
        rate = kind == "rate"
        if rate:
            function = self.pick(["count", "count", "count_distinct", "sum"])
        else:
            function = {"num": self.pick(["count", "count", "count_distinct", "sum", "avg", "min", "max"]),
                        "str": self.pick(["min", "max"]), "ts": self.pick(["min", "max"])}[kind]
        column = {"count": None, "sum": "amount", "avg": "amount",
                  "count_distinct": self.pick(["amount", "category", "ordered_at"]),
                  "min": {"num": "amount", "str": "category", "ts": "ordered_at"}.get(kind),
                  "max": {"num": "amount", "str": "category", "ts": "ordered_at"}.get(kind)}[function]
        text = f"{function}(orders" + ("" if column is None else f".{column}")
        if self.chance(40):
            inner = RuleWriter(self.draw, self.as_of, where=True)
            text += f" where {inner.condition(min(depth, 1) + 1)}"
        text += ")"
        if rate or self.chance(60):
            text += " " + self.window()
        if rate:
            text += f" per {self.pick(PER_UNITS)}"
        return text

    def window(self) -> str:
        """A window of any length: negative and empty ones too (their rates are missing)."""
        if self.chance(55):
            return f"over {self.pick(DURATIONS)}"
        points = ([f"{d} ago" for d in ("30d", "90d", "180d", "6mo", "1 month", "1y", "12h")]
                  + ["now", "today"] + [d.isoformat() for d in dates(self.as_of)]
                  + [x.isoformat() for x in times(self.as_of)[:6]])
        return f"over {self.pick(points)} to {self.pick(points)}"


# --- projects ------------------------------------------------------------------------------


@st.composite
def project_files(draw, as_of: dt.datetime) -> dict[str, str]:
    """segdsl.yml and rules.yml: segments with children, in_segment, layers, microsegments."""
    metrics = dict(METRICS)
    if draw(st.booleans()):  # a metric of its own: may rank the whole entity
        metrics["m1"] = RuleWriter(draw, as_of, metrics=()).value("num", 2)
    extra = ("m1",) if "m1" in metrics else ()

    # The tree first; then each rule, naming only segments that cannot depend on it.
    paths: list[str] = []
    parents: dict[str, str | None] = {}
    for i in range(draw(st.integers(1, 4))):
        top = f"s{i + 1}"
        paths.append(top)
        parents[top] = None
        for j in range(draw(st.integers(0, 3))):
            child = f"{top}/c{j + 1}"
            paths.append(child)
            parents[child] = top
            if draw(st.integers(0, 4)) == 0:
                paths.append(f"{child}/g1")
                parents[f"{child}/g1"] = child
    deps: dict[str, set[str]] = {p: ({parents[p]} if parents[p] else set()) for p in paths}
    rules: dict[str, str] = {}
    used: dict[str, set[str]] = {}
    for path in paths:
        allowed = [p for p in paths if p != path and not _reaches(deps, p, path)]
        reusable = [p for p in rules if used[p] <= set(allowed)]
        if reusable and draw(st.integers(0, 5)) == 0:  # the same rule twice: one shared column
            rules[path], used[path] = rules[(p := draw(st.sampled_from(reusable)))], used[p]
        else:
            writer = RuleWriter(draw, as_of, segments=allowed, metrics=extra, scoped=parents[path] is not None)
            rules[path], used[path] = writer.condition(draw(st.integers(1, 4))), writer.refs
        deps[path] |= used[path]

    def segment(path: str) -> dict:
        children = [segment(p) for p in paths if parents[p] == path]
        node: dict = {"name": path.rsplit("/", 1)[-1], "rule": rules[path]}
        return {**node, "segments": children} if children else node

    doc: dict = {"segments": [segment(p) for p in paths if parents[p] is None]}
    layers = []
    for i in range(draw(st.integers(0, 3))):
        within = draw(st.sampled_from([None, *paths]))
        tiers = []
        for j in range(draw(st.integers(1, 3))):
            if draw(st.integers(0, 4)) == 0:  # a tier rule a segment also has, maybe in another scope
                tiers.append({"name": f"t{j + 1}", "rule": rules[draw(st.sampled_from(paths))]})
            else:
                writer = RuleWriter(draw, as_of, segments=paths, metrics=extra, scoped=within is not None)
                tiers.append({"name": f"t{j + 1}", "rule": writer.condition(draw(st.integers(1, 2)))})
        if draw(st.booleans()):
            tiers.append({"name": "other", "else": True})
        layers.append({"name": f"l{i + 1}", **({"within": within} if within else {}), "tiers": tiers})
    if layers:
        doc["layers"] = layers
        if draw(st.booleans()):
            names = draw(st.permutations([x["name"] for x in layers]))[:draw(st.integers(1, len(layers)))]
            within = draw(st.sampled_from([None, *paths]))
            micro = {"name": "ms", "layers": list(names), **({"within": within} if within else {})}
            doc["microsegments"] = [micro]
    return {"segdsl.yml": settings_yaml(metrics=metrics, fields=FIELDS),
            "rules.yml": yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=10**6)}


def _reaches(deps: dict[str, set[str]], start: str, target: str) -> bool:
    """Whether `start` depends on `target`, directly or not."""
    seen, todo = set(), [start]
    while todo:
        node = todo.pop()
        if node == target:
            return True
        if node not in seen:
            seen.add(node)
            todo += deps[node]
    return False


# --- data ----------------------------------------------------------------------------------


def _maybe(values: list) -> st.SearchStrategy:
    return st.sampled_from([None, *values])


@st.composite
def datasets(draw, as_of: dt.datetime) -> tuple[list[dict], list[dict]]:
    """Entity rows in any order (ties in rankings are broken by key, not by position), and
    orders (some of no customer, some with no time)."""
    size = draw(st.integers(0, 10))  # sizes drawn first: lists of them would mostly be short
    keys = sorted(draw(st.lists(st.integers(1, 30), min_size=size, max_size=size, unique=True)))
    columns = {
        "age": NUMBERS, "score": [0.0, 0.0, 1.0, -2.0, 0.5, 4.0], "lo": [0.0, 1.0, 3.0, 30.0, -1.0],
        "hi": [0.0, 2.5, 30.0, 1000.0], "name": STRINGS, "city": STRINGS, "vip": [True, False],
        "signup": dates(as_of), "seen_at": times(as_of), "tags": TAG_LISTS, "logins": [0.0, 0.25, 1.0, 7.0, 0.5],
    }
    entity = [{"id": key, **{name: draw(_maybe(pool)) for name, pool in columns.items()}} for key in keys]
    entity = draw(st.permutations(entity))
    orders = draw(st.lists(st.fixed_dictionaries({
        "customer_id": st.sampled_from([*keys, *keys, 99, None]) if keys else _maybe([99]),
        "ordered_at": _maybe(times(as_of)),
        "amount": _maybe(AMOUNTS),
        "category": _maybe(CATEGORIES),
    }), min_size=(n := draw(st.integers(0, 25))), max_size=n))
    return entity, orders


@dataclass(frozen=True)
class Case:
    files: dict[str, str]
    entity: list[dict]
    orders: list[dict]
    as_of: dt.datetime


@st.composite
def cases(draw) -> Case:
    as_of = draw(st.sampled_from(AS_OFS))
    files = draw(project_files(as_of))
    entity, orders = draw(datasets(as_of))
    return Case(files, entity, orders, as_of)


def schemas(entity: list[dict]) -> dict[str, dict[str, t.Type]]:
    """`SCHEMAS`, with text keys when the entity's keys are text (only hand-written cases)."""
    if not any(isinstance(row["id"], str) for row in entity):
        return SCHEMAS
    return {"customers": {**ENTITY_COLUMNS, "id": t.STRING}, "orders": {**ORDERS, "customer_id": t.STRING}}


def write_parquet(folder: Path, entity: list[dict], orders: list[dict]) -> dict[str, Path]:
    """The rows as `customers.parquet` and `orders.parquet`, with the column types of `schemas`."""
    text_keys = schemas(entity) is not SCHEMAS
    paths = {}
    for name, rows in (("customers", entity), ("orders", orders)):
        schema = _ARROW[name]
        if text_keys:
            key = schema.get_field_index("id" if name == "customers" else "customer_id")
            schema = schema.set(key, schema.field(key).with_type(pa.string()))
        table = pa.Table.from_pylist(rows, schema=schema) if rows else schema.empty_table()
        paths[name] = folder / f"{name}.parquet"
        pq.write_table(table, paths[name])
    return paths
