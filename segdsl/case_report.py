"""Rule test results → text for people, JUnit XML for CI systems (`segdsl test`).

Input: a `TestReport` (`Project.test()`): each test's outcomes, the explain trace of what
failed, and the file texts to place each test at its file, line and column.
Output: text (failures in full, a summary line; every test with `verbose`) or JUnit XML.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict

from segdsl.dsl.render import line_col
from segdsl.engine.cases import CaseResult, Outcome


def location(result: CaseResult, texts: dict[str, str]) -> tuple[str, int, int]:
    """The file, line and column where the test's name is written."""
    span = result.case.name.span
    line, col = line_col(texts.get(span.file, ""), span.start)
    return span.file, line, col


def describe(outcome: Outcome) -> str:
    """What was expected and what happened, in one line."""
    e, got = outcome.expectation, outcome.actual
    match e.kind:
        case "in":
            return f"expected to be in {e.target.name}, but is not"
        case "not_in":
            return f"expected not to be in {e.target.name}, but is"
        case "layer":
            return f"expected layer {e.target.name} to be {_tier(e.value)}, got {_tier(got)}"
    return f"expected microsegment {e.target.name} to be {_tier(e.value)}, got {_tier(got)}"


def _tier(value: object) -> str:
    return "no value (null)" if value is None else str(value)


def render_text(report, verbose: bool = False) -> str:
    lines: list[str] = []
    for result in report.results:
        file, line, col = location(result, report.texts)
        where = f"{file}:{line}:{col}"
        if result.passed:
            if verbose:
                lines.append(f"{where}: ok: {result.case.name.name}")
            continue
        lines.append(f"{where}: FAILED: {result.case.name.name}")
        lines += [f"  {describe(o)}" for o in result.failures]
        if result.trace:
            lines.append("  why (segdsl explain):")
            lines += [f"    {x}" if x else "" for x in result.trace.rstrip("\n").split("\n")]
        lines.append("")
    lines.append(summary(report))
    return "\n".join(lines) + "\n"


def summary(report) -> str:
    failed = sum(not r.passed for r in report.results)
    total = len(report.results)
    if not total:
        return "no tests: add `tests:` to a rules file (see docs/testing.md)"
    noun = "test" if total == 1 else "tests"
    return f"{total} {noun}: {total - failed} passed, {failed} failed"


def render_junit(report) -> str:
    """One `<testsuite>` per rules file, one `<testcase>` per test (JUnit XML)."""
    by_file: dict[str, list[CaseResult]] = defaultdict(list)
    for result in report.results:
        by_file[result.case.name.span.file].append(result)
    root = ET.Element("testsuites", name="segdsl test", tests=str(len(report.results)),
                      failures=str(sum(not r.passed for r in report.results)))
    for file, results in by_file.items():
        suite = ET.SubElement(root, "testsuite", name=file, tests=str(len(results)),
                              failures=str(sum(not r.passed for r in results)))
        for result in results:
            _, line, _ = location(result, report.texts)
            case = ET.SubElement(suite, "testcase", name=result.case.name.name, classname=_classname(file),
                                 file=file, line=str(line))
            if not result.passed:
                failure = ET.SubElement(case, "failure", message=describe(result.failures[0]), type="expectation")
                failure.text = "\n".join([describe(o) for o in result.failures] + ["", result.trace or ""]).rstrip()
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _classname(file: str) -> str:
    """`rules/b2b.yml` → `rules.b2b`, as JUnit readers group by dotted class names."""
    stem = file.rsplit(".", 1)[0]
    return stem.replace("/", ".").replace("\\", ".").strip(".")
