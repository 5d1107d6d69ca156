"""Golden tests of the full diagnostic renderer: each expected output is written out in full."""

from __future__ import annotations


import pytest

from segdsl.dsl.diagnostics import FileSpan, error, warning
from segdsl.dsl.render import line_col, render_concise, render_full
from render_samples import B2B, LIFECYCLE, span, unknown_industy


# --- line_col ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "index", "expected"),
    [
        ("abc", 0, (1, 1)),
        ("abc", 2, (1, 3)),
        ("abc", 3, (1, 4)),  # end of text
        ("", 0, (1, 1)),
        ("ab\ncd", 2, (1, 3)),  # the line break belongs to the line it ends
        ("ab\ncd", 3, (2, 1)),
        ("ab\n", 3, (2, 1)),  # end of text after a final newline is the empty last line
        ("ab\r\ncd", 2, (1, 3)),
        ("ab\r\ncd", 4, (2, 1)),  # CRLF is one line break
        ("a\r\nb\r\ncd", 7, (3, 2)),
        ("ab\rcd", 3, (2, 1)),  # a lone CR breaks the line too
        ("\n\n\n", 2, (3, 1)),
        ("größe = 1", 6, (1, 7)),  # columns count characters, not UTF-8 bytes
        ("🙂 = x", 2, (1, 3)),  # nor UTF-16 code units
    ],
)
def test_line_col(text, index, expected):
    assert line_col(text, index) == expected


@pytest.mark.parametrize("index", [-1, 4])
def test_line_col_rejects_offsets_outside_the_text(index):
    with pytest.raises(ValueError, match="outside a text of 3 characters"):
        line_col("abc", index)


# --- full: the shape -----------------------------------------------------------------------


def test_full_spec_example():
    expected = """\
rules/b2b.yml:7:22: error[E201]: unknown field 'industy' (did you mean 'industry'?)
  |
7 |         rule: vip OR industy = saas
  |                      ^^^^^^^ not a field of customers or a metric
  = help: did you mean 'industry'?

1 error
"""
    assert render_full([unknown_industy()], {"rules/b2b.yml": B2B}) == expected


def test_full_header_matches_concise_line():
    full = render_full([unknown_industy()], {"rules/b2b.yml": B2B})
    concise = render_concise([unknown_industy()], {"rules/b2b.yml": B2B})
    assert full.splitlines()[0] == concise.splitlines()[0]


def test_full_keeps_given_order_and_separates_blocks():
    text = "segments:\n  - name: Tech\n    rule: spend > 4/mo\n"
    diagnostics = [
        warning(
            "W210",
            "'spend' has no declared unit; 4/mo is compared as the number 4",
            span(text, "4/mo", "rules/a.yml"),
            label="rate literal",
            notes=("declare the field under `fields:` with `type: rate`",),
        ),
        error(
            "E101",
            "segment name 'Tech' must be lower case",
            span(text, "Tech", "rules/a.yml"),
            label="here",
            hint="rename it to 'tech'",
        ),
        error("E008", "no segments in the project"),
    ]
    expected = """\
rules/a.yml:3:19: warning[W210]: 'spend' has no declared unit; 4/mo is compared as the number 4
  |
3 |     rule: spend > 4/mo
  |                   ^^^^ rate literal
  = note: declare the field under `fields:` with `type: rate`

rules/a.yml:2:11: error[E101]: segment name 'Tech' must be lower case
  |
2 |   - name: Tech
  |           ^^^^ here
  = help: rename it to 'tech'

error[E008]: no segments in the project

2 errors, 1 warning
"""
    assert render_full(diagnostics, {"rules/a.yml": text}) == expected


def test_full_help_then_every_note():
    diagnostic = error(
        "E305",
        "segment 'a' references itself",
        span(B2B, "tech"),
        label="cycle starts here",
        hint="remove one of the in_segment() references",
        notes=("tech -> tech/power_buyers -> tech", "segments are evaluated once, in order"),
    )
    expected = """\
rules/b2b.yml:2:11: error[E305]: segment 'a' references itself
  |
2 |   - name: tech
  |           ^^^^ cycle starts here
  = help: remove one of the in_segment() references
  = note: tech -> tech/power_buyers -> tech
  = note: segments are evaluated once, in order

1 error
"""
    assert render_full([diagnostic], {"rules/b2b.yml": B2B}) == expected


def test_full_without_label_has_bare_carets():
    diagnostic = error("E201", "unknown field 'industy'", span(B2B, "industy"))
    expected = """\
rules/b2b.yml:7:22: error[E201]: unknown field 'industy'
  |
7 |         rule: vip OR industy = saas
  |                      ^^^^^^^

1 error
"""
    assert render_full([diagnostic], {"rules/b2b.yml": B2B}) == expected


# --- full: spans ---------------------------------------------------------------------------

def test_full_multiline_span_shows_first_line_and_ellipsis():
    start = LIFECYCLE.index("last_order_at")
    end = LIFECYCLE.index("MISSING") + len("MISSING")
    diagnostic = error(
        "E310",
        "this rule is always true",
        FileSpan("rules/life.yml", start, end),
        label="every row matches",
    )
    expected = """\
rules/life.yml:4:7: error[E310]: this rule is always true
  |
4 |       last_order_at < 90d ago
  |       ^^^^^^^^^^^^^^^^^^^^^^^... every row matches

1 error
"""
    assert render_full([diagnostic], {"rules/life.yml": LIFECYCLE}) == expected


def test_full_span_ending_with_its_line_break_is_one_line():
    start = LIFECYCLE.index("last_order_at")
    end = LIFECYCLE.index("ago") + len("ago\n")
    diagnostic = error("E311", "x", FileSpan("rules/life.yml", start, end), label="this line")
    expected = """\
rules/life.yml:4:7: error[E311]: x
  |
4 |       last_order_at < 90d ago
  |       ^^^^^^^^^^^^^^^^^^^^^^^ this line

1 error
"""
    assert render_full([diagnostic], {"rules/life.yml": LIFECYCLE}) == expected


def test_full_zero_width_span_in_a_line_gets_one_caret():
    text = "segments:\n  - name: a\n    rule: age  30\n"
    at = text.index("  30") + 1
    diagnostic = error(
        "E102",
        "expected an operator after 'age'",
        FileSpan("rules/a.yml", at, at),
        label="an operator such as `>` goes here",
    )
    expected = """\
rules/a.yml:3:15: error[E102]: expected an operator after 'age'
  |
3 |     rule: age  30
  |               ^ an operator such as `>` goes here

1 error
"""
    assert render_full([diagnostic], {"rules/a.yml": text}) == expected


def test_full_zero_width_span_at_line_end_points_past_the_last_character():
    text = "segments:\n  - name: a\n    rule: orders_90d >\n  - name: b\n"
    at = text.index(">") + 1
    diagnostic = error(
        "E103",
        "expected a value after `>` but the rule ends",
        FileSpan("rules/a.yml", at, at),
        label="a value goes here",
    )
    expected = """\
rules/a.yml:3:23: error[E103]: expected a value after `>` but the rule ends
  |
3 |     rule: orders_90d >
  |                       ^ a value goes here

1 error
"""
    assert render_full([diagnostic], {"rules/a.yml": text}) == expected


def test_full_zero_width_span_at_end_of_file():
    text = "segments:\n  - name: a\n    rule: age >"
    at = len(text)
    diagnostic = error("E103", "the file ends inside a rule", FileSpan("rules/a.yml", at, at))
    expected = """\
rules/a.yml:3:16: error[E103]: the file ends inside a rule
  |
3 |     rule: age >
  |                ^

1 error
"""
    assert render_full([diagnostic], {"rules/a.yml": text}) == expected


def test_full_span_outside_the_text_is_clamped_not_fatal():
    text = "rule: a\n"
    diagnostic = error("E201", "stale span", FileSpan("rules/a.yml", 6, 40))
    expected = """\
rules/a.yml:1:7: error[E201]: stale span
  |
1 | rule: a
  |       ^

1 error
"""
    assert render_full([diagnostic], {"rules/a.yml": text}) == expected


# --- full: what the line contains ----------------------------------------------------------


def test_full_tabs_are_expanded_and_carets_follow():
    text = "\trule: tech\tAND industy = x\n"
    diagnostics = [
        error("E201", "unknown field 'industy'", span(text, "industy", "rules/t.yml")),
        error("E202", "span over a tab", span(text, "tech\tAND", "rules/t.yml")),
    ]
    # The tab at column 0 fills 4 cells, the one after `tech` fills the 2 up to the next stop.
    expected = """\
rules/t.yml:1:17: error[E201]: unknown field 'industy'
  |
1 |     rule: tech  AND industy = x
  |                     ^^^^^^^

rules/t.yml:1:8: error[E202]: span over a tab
  |
1 |     rule: tech  AND industy = x
  |           ^^^^^^^^^

2 errors
"""
    assert render_full(diagnostics, {"rules/t.yml": text}) == expected


def test_full_crlf_renders_like_lf():
    crlf = B2B.replace("\n", "\r\n")
    rendered = render_full([unknown_industy(crlf)], {"rules/b2b.yml": crlf})
    assert rendered == render_full([unknown_industy()], {"rules/b2b.yml": B2B})
    assert "\r" not in rendered


def test_full_unicode_before_the_span_counts_characters():
    text = 'segments:\n  - name: zurich\n    rule: city = "Zürich" AND industy = saas\n'
    diagnostic = error("E201", "unknown field 'industy'", span(text, "industy", "rules/geo.yml"))
    expected = """\
rules/geo.yml:3:31: error[E201]: unknown field 'industy'
  |
3 |     rule: city = "Zürich" AND industy = saas
  |                               ^^^^^^^

1 error
"""
    assert render_full([diagnostic], {"rules/geo.yml": text}) == expected


def test_full_wide_characters_shift_the_carets_by_their_display_width():
    text = 'rule: city = "東京" AND industy = saas\n'
    diagnostic = error("E201", "unknown field 'industy'", span(text, "industy", "rules/geo.yml"))
    # Column 23 in characters; two wide characters push the carets two cells further.
    expected = """\
rules/geo.yml:1:23: error[E201]: unknown field 'industy'
  |
1 | rule: city = "東京" AND industy = saas
  |                         ^^^^^^^

1 error
"""
    assert render_full([diagnostic], {"rules/geo.yml": text}) == expected


def test_full_control_characters_cannot_reach_the_terminal():
    text = "rule: a\x1b[31m = x AND industy = 1\n"
    diagnostic = error("E201", "unknown field 'industy'", span(text, "industy", "rules/c.yml"))
    expected = """\
rules/c.yml:1:22: error[E201]: unknown field 'industy'
  |
1 | rule: a\u241b[31m = x AND industy = 1
  |                      ^^^^^^^

1 error
"""
    rendered = render_full([diagnostic], {"rules/c.yml": text})
    assert rendered == expected
    assert "\x1b" not in rendered


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            9,
            """\
rules/b2b.yml:9:7: error[E201]: unknown field 'industy'
  |
9 | rule: industy = saas
  |       ^^^^^^^ unknown
  = help: did you mean 'industry'?
""",
        ),
        (
            10,
            """\
rules/b2b.yml:10:7: error[E201]: unknown field 'industy'
   |
10 | rule: industy = saas
   |       ^^^^^^^ unknown
   = help: did you mean 'industry'?
""",
        ),
        (
            100,
            """\
rules/b2b.yml:100:7: error[E201]: unknown field 'industy'
    |
100 | rule: industy = saas
    |       ^^^^^^^ unknown
    = help: did you mean 'industry'?
""",
        ),
    ],
)
def test_full_gutter_width_follows_the_line_number(line, expected):
    text = "#\n" * (line - 1) + "rule: industy = saas\n"
    diagnostic = error(
        "E201",
        "unknown field 'industy'",
        span(text, "industy"),
        label="unknown",
        hint="did you mean 'industry'?",
    )
    assert render_full([diagnostic], {"rules/b2b.yml": text}) == expected + "\n1 error\n"


def test_full_empty_source_line_has_no_trailing_space():
    text = "rule: a\n\n"
    diagnostic = error("E104", "empty line", FileSpan("rules/a.yml", 8, 8))
    expected = """\
rules/a.yml:2:1: error[E104]: empty line
  |
2 |
  | ^

1 error
"""
    assert render_full([diagnostic], {"rules/a.yml": text}) == expected


# --- full: no excerpt ----------------------------------------------------------------------


def test_full_without_span():
    diagnostic = error(
        "E008",
        "no segments in the project",
        hint="add a `segments:` list to a .yml file in the project folder",
        notes=("segdsl.yml holds settings, not segments",),
    )
    expected = """\
error[E008]: no segments in the project
  = help: add a `segments:` list to a .yml file in the project folder
  = note: segdsl.yml holds settings, not segments

1 error
"""
    assert render_full([diagnostic], {}) == expected


def test_full_file_missing_from_sources_names_the_file_only():
    diagnostic = unknown_industy(file="rules/gone.yml")
    expected = """\
rules/gone.yml: error[E201]: unknown field 'industy' (did you mean 'industry'?)
  = help: did you mean 'industry'?

1 error
"""
    assert render_full([diagnostic], {"rules/b2b.yml": B2B}) == expected
