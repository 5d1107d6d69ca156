"""Sample rules text and diagnostics shared by the renderer tests."""

from __future__ import annotations

from segdsl.dsl.diagnostics import Diagnostic, FileSpan, error

B2B = """\
segments:
  - name: tech
    description: Software and IT companies
    rule: industry IN (software, saas)
    segments:
      - name: power_buyers
        rule: vip OR industy = saas
"""


def span(text: str, needle: str, file: str = "rules/b2b.yml", length: int | None = None):
    """The span of the first `needle` in `text` (or of `length` characters from there)."""
    start = text.index(needle)
    return FileSpan(file, start, start + (len(needle) if length is None else length))


def unknown_industy(text: str = B2B, file: str = "rules/b2b.yml") -> Diagnostic:
    return error(
        "E201",
        "unknown field 'industy' (did you mean 'industry'?)",
        span(text, "industy", file),
        label="not a field of customers or a metric",
        hint="did you mean 'industry'?",
    )


LIFECYCLE = """\
segments:
  - name: dormant
    rule: >
      last_order_at < 90d ago
      OR last_order_at IS MISSING
"""
