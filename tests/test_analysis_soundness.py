"""The static analysis is sound: whatever it calls never true, shadowed or contradicting its
parent matches nobody in the reference interpreter, on focused and on generated projects.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rule_strategies
from harness import settings_yaml
from segdsl import reference
from segdsl.dsl.analysis import analyse
from segdsl.dsl.checker import check
from segdsl.dsl.loader import load_project


# --- soundness -------------------------------------------------------------------------------------------

FOCUSED = {
    "num": ("age", ["0", "1", "2", "3", "-1", "2.5", "30", "45.25"]),
    "str": ("name", rule_strategies.BARE_WORDS),
    "bool": ("vip", ["true", "false"]),
    "ts": ("seen_at", ["30d ago", "90d ago", "1mo ago", "now", "2026-01-01", "2024-02-29T12:00:00"]),
}


@st.composite
def focused_rules(draw) -> str:
    """Rules over few columns and literals, so that contradictions are frequent."""

    def atom() -> str:
        kind = draw(st.sampled_from(["num", "num", "num", "str", "str", "bool", "ts"]))
        column, literals = FOCUSED[kind]
        shape = draw(st.sampled_from(["cmp", "cmp", "in", "between", "missing", "within"]))
        lit = lambda: draw(st.sampled_from(literals))  # noqa: E731
        if kind == "ts" and shape in ("in",):
            shape = "cmp"
        if shape == "within" and kind != "ts":
            shape = "cmp"
        ops = ["=", "!="] if kind == "bool" else rule_strategies.COMPARE_OPS
        match shape:
            case "cmp":
                return f"{column} {draw(st.sampled_from(ops))} {lit()}"
            case "in":
                items = ", ".join(lit() for _ in range(draw(st.integers(1, 3))))
                return f"{column} {draw(st.sampled_from(['IN', 'NOT IN']))} ({items})"
            case "between":
                if kind in ("bool",):
                    return f"{column} = {lit()}"
                return f"{column} {draw(st.sampled_from(['BETWEEN', 'NOT BETWEEN']))} {lit()} AND {lit()}"
            case "missing":
                return f"{column} {draw(st.sampled_from(['IS MISSING', 'IS NOT MISSING']))}"
            case _:
                return f"{column} WITHIN {draw(st.sampled_from(['30d', '90d', '1mo']))}"

    def condition(depth: int) -> str:
        if depth == 0 or draw(st.integers(0, 3)) == 0:
            return atom()
        shape = draw(st.sampled_from(["and", "and", "and", "or", "not"]))
        if shape == "not":
            return f"NOT ({condition(depth - 1)})"
        return f"({condition(depth - 1)}) {shape.upper()} ({condition(depth - 1)})"

    return condition(3)


def _rows_matching(project, rows, orders, as_of) -> dict[str, int]:
    """Per segment path: how many rows satisfy its own rule, evaluated over every row."""
    data = reference.Data(entity=rows, events={"orders": orders})
    members = reference.evaluate(project, data, as_of)
    return {s.path: sum(s.path in m.segments for m in members) for s in project.segments}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rules=st.lists(focused_rules(), min_size=3, max_size=6), has_else=st.booleans(),
       as_of=st.sampled_from(rule_strategies.AS_OFS), data=st.data())
def test_never_true_means_no_row_matches(rules, has_else, as_of, data):
    rows, orders = data.draw(rule_strategies.datasets(as_of))
    # Rows at every literal's boundary too, so that a wrong "never" has rows to be caught on.
    extra = [{"id": 100 + i, "age": float(n), "name": w, "vip": b, "seen_at": ts}
             for i, (n, w, b, ts) in enumerate(zip([30.0, 2.5, 1000.0, -1.0, 0.25, 4.0, 45.25, 3.0],
                                                  rule_strategies.BARE_WORDS + ["x", "y"],
                                                  [True, False] * 4, rule_strategies.times(as_of)))]
    rows = list(rows) + extra
    # A parent with a child, a segment alone, and a layer whose tiers are the rest.
    parent, child, alone, *tiers = rules
    text = (f"segments:\n  - name: p\n    rule: {_quoted(parent)}\n    segments:\n"
            f"      - name: c\n        rule: {_quoted(child)}\n  - name: a\n    rule: {_quoted(alone)}\n")
    if tiers:
        text += "layers:\n  - name: l\n    within: p\n    tiers:\n" + "".join(
            f"      - name: t{i}\n        rule: {_quoted(rule)}\n" for i, rule in enumerate(tiers))
        text += "      - name: rest\n        else: true\n" if has_else else ""
    files = {"segdsl.yml": settings_yaml(metrics=rule_strategies.METRICS, fields=rule_strategies.FIELDS),
             "rules.yml": text}
    _assert_sound(files, rows, orders, as_of)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=rule_strategies.cases())
def test_findings_on_generated_projects_are_sound(case):
    _assert_sound(case.files, case.entity, case.orders, case.as_of)


def _quoted(rule: str) -> str:
    return '"' + rule.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _assert_sound(files, rows, orders, as_of: dt.datetime):
    with tempfile.TemporaryDirectory(prefix="segdsl-test-") as folder:
        for name, text in files.items():
            Path(folder, name).write_text(text, encoding="utf-8")
        spec, diags = load_project(folder)
        project, more = check(spec, rule_strategies.schemas(rows))
        if project is None:
            return  # the strategies sometimes write a rule that does not check
        found = analyse(project, spec)
    rule_at = {s.rule.span(): ("segment", s.path) for s in spec.all_segments() if s.rule is not None}
    for layer_spec in spec.layers:
        for tier in layer_spec.tiers:
            span = tier.rule.span() if tier.rule is not None else (tier.else_span or tier.name.span)
            rule_at[span] = ("tier", (layer_spec.name.name, tier.name.name))
    data = reference.Data(entity=rows, events={"orders": orders})
    members = reference.evaluate(project, data, as_of)
    metrics = [_metrics(project, data, row, as_of) for row in rows]
    for finding in found:
        if finding.code not in ("W501", "W502", "W503") or finding.span not in rule_at:
            continue  # W501 on an aggregate filter is checked by its own tests
        kind, what = rule_at[finding.span]
        if kind == "tier":
            layer_name, tier_name = what
            assert not any(m.tiers[layer_name] == tier_name for m in members), (finding.message, files)
            continue
        assert not any(what in m.segments for m in members), (finding.message, files)
        segment = project.segment(what)
        if finding.code == "W501" and metrics and metrics[0] is not None and not _ranked(segment.rule):
            # Never true on any row, whatever the scope: not only on the members of the parent.
            assert not any(reference.evaluate_expr(segment.rule, row, reference.own_events(project, data, row),
                                                   as_of, metrics=known)
                           for row, known in zip(rows, metrics)), (finding.message, segment.text)


def _ranked(rule) -> bool:
    from segdsl.dsl import typed as t

    return any(isinstance(n, (t.Rank, t.SegmentRef)) for n in t.walk(rule))


def _metrics(project, data, row, as_of) -> dict | None:
    """The row's metric values; None when a metric ranks (its value needs the whole entity)."""
    own = reference.own_events(project, data, row)
    known: dict = {}
    for metric in project.metrics:
        if _ranked(metric.expr):
            return None
        known[metric.name] = reference.evaluate_expr(metric.expr, row, own, as_of, metrics=known)
    return known
