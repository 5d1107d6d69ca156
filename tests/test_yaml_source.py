"""Tests for `segdsl.dsl.yaml_source`: YAML nodes that know where every character came from."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from segdsl.dsl.diagnostics import FileSpan
from segdsl.dsl.yaml_positions import char_map
from segdsl.dsl.yaml_source import YMap, YScalar, YSeq, load_yaml

BREAKS = "\r\n\x85\u2028\u2029"


def load(text: str):
    node, diagnostics = load_yaml(text, "rules/x.yml")
    assert diagnostics == [], diagnostics
    return node


def rule_of(text: str, key: str = "rule") -> YScalar:
    node = load(text)
    assert isinstance(node, YMap)
    rule = node.get(key)
    assert isinstance(rule, YScalar)
    assert rule.chars is not None, "the re-reading disagreed with PyYAML"
    return rule


def line_col(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of an offset, counting "\\n" as the line break."""
    line_start = text.rfind("\n", 0, offset) + 1
    return text.count("\n", 0, offset) + 1, offset - line_start + 1


def assert_literal_chars_map_home(text: str, node: YScalar, exceptions: dict[int, int] | None = None):
    """Every decoded character sits at its mapped offset, except the listed ones (escapes and
    folds), which must map exactly to the offsets given."""
    exceptions = exceptions or {}
    for i, ch in enumerate(node.text):
        if i in exceptions:
            assert node.index_of(i) == exceptions[i], (i, ch)
        else:
            assert text[node.index_of(i)] == ch, (i, ch, node.index_of(i))


# --- every scalar style ---------------------------------------------------------------------

def test_plain_single_line():
    text = "rule: industry = tech AND purchase_freq > 4/mo\n"
    rule = rule_of(text)
    assert rule.value == "industry = tech AND purchase_freq > 4/mo"
    assert rule.style is None
    assert (rule.start, rule.end) == (6, len(text) - 1)
    assert_literal_chars_map_home(text, rule)
    assert rule.index_of(len(rule.text)) == rule.end
    assert rule.span(16, 20) == FileSpan("rules/x.yml", 22, 26)  # "tech"
    assert rule.span() == FileSpan("rules/x.yml", 6, len(text) - 1)


def test_plain_multi_line_folds_breaks_and_keeps_empty_lines():
    text = "rule: industry = tech   \n   AND x > 4/mo\n\n\n  OR y\nnext: 1\n"
    rule = rule_of(text)
    assert rule.value == "industry = tech AND x > 4/mo\n\nOR y"
    fold = rule.text.index(" AND")
    first_break = text.index("\n")
    empty_lines = [i for i, ch in enumerate(rule.text) if ch == "\n"]
    second, third = [i for i, ch in enumerate(text) if ch == "\n"][2:4]
    assert_literal_chars_map_home(text, rule, {
        fold: first_break, empty_lines[0]: second, empty_lines[1]: third})
    assert rule.end == text.index("OR y") + 4


def test_single_quoted_doubles_quote_and_folds():
    text = "rule: 'name = ''O''Brien'' AND\n    city = x'\n"
    rule = rule_of(text)
    assert rule.value == "name = 'O'Brien' AND city = x"
    assert rule.style == "'"
    assert (rule.start, rule.end) == (6, len(text) - 1)
    quote = rule.text.index("'")
    assert rule.index_of(quote) == text.index("''")
    assert rule.span(quote, quote + 1) == FileSpan("rules/x.yml", 14, 16)  # both quotes
    fold = rule.text.index(" city")
    assert_literal_chars_map_home(text, rule, {fold: text.index("\n")})
    assert rule.index_of(len(rule.text)) == len(text) - 2  # just before the closing quote


def test_single_quoted_keeps_backslashes_and_double_quotes():
    text = """rule: 'a \\n "b"'\n"""
    rule = rule_of(text)
    assert rule.value == 'a \\n "b"'
    assert_literal_chars_map_home(text, rule)


@pytest.mark.parametrize(("escape", "decoded"), [
    ("\\\\", "\\"), ('\\"', '"'), ("\\n", "\n"), ("\\t", "\t"), ("\\x41", "A"),
    ("\\u00e9", "é"), ("\\U0001F600", "\U0001F600"), ("\\/", "/"), ("\\0", "\0"),
    ("\\_", "\xa0"), ("\\N", "\x85"), ("\\L", "\u2028"),
])
def test_double_quoted_escapes_point_at_the_backslash(escape, decoded):
    text = f'rule: "x = {escape} AND y"\n'
    rule = rule_of(text)
    assert rule.value == f"x = {decoded} AND y"
    at = text.index("\\")
    assert_literal_chars_map_home(text, rule, {4: at})
    assert rule.span(4, 5) == FileSpan("rules/x.yml", at, at + len(escape))
    assert text[rule.index_of(5)] == " "


def test_double_quoted_escaped_line_break_and_folding():
    text = 'rule: "a = \\\n     1 AND\n   b\n\n   = 2"\n'
    rule = rule_of(text)
    assert rule.value == "a = 1 AND b\n= 2"
    fold = rule.text.index(" b")
    newline = rule.text.index("\n")
    breaks = [i for i, ch in enumerate(text) if ch == "\n"]
    assert_literal_chars_map_home(text, rule, {fold: breaks[1], newline: breaks[3]})
    assert rule.index_of(4) == text.index("1 AND")  # the escaped break left no character


def test_double_quoted_single_quote_is_literal():
    text = "rule: \"name = 'b2b'\"\n"
    rule = rule_of(text)
    assert rule.value == "name = 'b2b'"
    assert_literal_chars_map_home(text, rule)


@pytest.mark.parametrize(("header", "value"), [
    ("|", "a = 1\n  AND b\n\nOR c\n"),
    ("|-", "a = 1\n  AND b\n\nOR c"),
    ("|+", "a = 1\n  AND b\n\nOR c\n\n"),
    ("|2", " a = 1\n   AND b\n\n OR c\n"),  # indentation 2 more than the mapping's 4
    ("|-1 # a comment", "  a = 1\n    AND b\n\n  OR c"),
])
def test_literal_blocks(header, value):
    text = f"segments:\n  - rule: {header}\n       a = 1\n         AND b\n\n       OR c\n\n    name: x\n"
    rule = load(text).get("segments").items[0].get("rule")
    assert rule.value == value
    assert rule.style == "|"
    assert rule.chars is not None
    assert rule.start == text.index("|")
    assert rule.end == text.index("OR c") + 4  # the blank line after it is not part of it
    assert_literal_chars_map_home(text, rule)  # every "\n" maps to a line break
    newlines = [rule.index_of(i) for i, ch in enumerate(value) if ch == "\n"]
    assert text.index("\n\n") + 1 in newlines  # the empty line inside
    assert (text.index("\n\n    name") + 1 in newlines) == header.startswith("|+")  # kept


@pytest.mark.parametrize(("header", "value"), [
    (">", "a = 1 AND b\nOR c\n   more indented\nlast\n"),
    (">-", "a = 1 AND b\nOR c\n   more indented\nlast"),
    (">2", "  a = 1\n  AND b\n\n  OR c\n     more indented\n  last\n"),  # no folding
])
def test_folded_blocks(header, value):
    text = f"rule: {header}\n    a = 1\n    AND b\n\n    OR c\n       more indented\n    last\nnext: 1\n"
    rule = rule_of(text)
    assert rule.value == value
    assert rule.style == ">"
    if header != ">2":
        fold = rule.text.index(" AND")
        assert rule.index_of(fold) == text.index("\n    AND")  # the space is the line break
        assert rule.span(fold, fold + 1) == FileSpan("rules/x.yml", rule.index_of(fold),
                                                     rule.index_of(fold) + 1)
        assert_literal_chars_map_home(text, rule, {fold: text.index("\n    AND")})
    else:
        assert_literal_chars_map_home(text, rule)


def test_block_scalar_at_the_end_of_the_file_without_a_line_break():
    text = "rule: |-\n  a = 1"
    rule = rule_of(text)
    assert rule.value == "a = 1"
    assert_literal_chars_map_home(text, rule)
    assert rule.index_of(5) == len(text)


def test_crlf_line_endings():
    text = "plain: a = 1\r\n  AND b\r\n\r\n  OR c\r\nquoted: 'x\r\n  y'\r\nblock: |\r\n  p\r\n  q\r\n"
    plain = rule_of(text, "plain")
    assert plain.value == "a = 1 AND b\nOR c"
    breaks = [i for i, ch in enumerate(text) if ch == "\r"]
    assert_literal_chars_map_home(text, plain, {5: breaks[0], 11: breaks[2]})
    assert plain.span(5, 6) == FileSpan("rules/x.yml", breaks[0], breaks[0] + 2)  # "\r\n"
    quoted = rule_of(text, "quoted")
    assert quoted.value == "x y"
    assert quoted.index_of(1) == breaks[4]
    block = rule_of(text, "block")
    assert block.value == "p\nq\n"
    assert [block.index_of(i) for i in (1, 3)] == [breaks[7], breaks[8]]
    assert [text[block.index_of(i)] for i in (0, 2)] == ["p", "q"]


def test_non_ascii_offsets_are_characters_not_bytes():
    text = "# café ☕\nrule: city = 'Zürich' AND name = \"日本\\u00e9\" AND 😀\n"
    rule = rule_of(text)
    assert rule.value == "city = 'Zürich' AND name = \"日本\\u00e9\" AND 😀"
    assert_literal_chars_map_home(text, rule)
    assert text[rule.index_of(rule.text.index("😀"))] == "😀"
    quoted = rule_of('rule: "日本\\u00e9 ☕"\n')
    assert quoted.value == "日本é ☕"
    assert quoted.index_of(2) == 9 and quoted.index_of(3) == 15


def test_anchor_and_tag_are_not_part_of_the_scalar():
    text = "a: &r !!str industry = tech\nb: *r\n"
    node = load(text)
    assert node.get("a") is node.get("b")  # an alias is the same node
    assert node.get("a").start == text.index("industry")
    assert_literal_chars_map_home(text, node.get("a"))


def test_scalars_in_flow_collections():
    text = "segments: [{name: tech, rule: 'industry IN (a, b)'}, {name: x, rule: y > 1}]\n"
    seq = load(text).get("segments")
    assert isinstance(seq, YSeq) and seq.flow
    first, second = seq.items
    assert first.flow and first.get("rule").value == "industry IN (a, b)"
    assert_literal_chars_map_home(text, first.get("rule"))
    assert_literal_chars_map_home(text, second.get("rule"))
    assert text[seq.start:seq.end] == text.strip()[len("segments: "):]


def test_values_are_resolved_like_safe_load():
    text = "a: 42\nb: 2.5\nc: true\nd: ~\ne: 2026-11-01\nf: 2026-11-01T12:00:00\ng: '42'\nh:\n"
    node = load(text)
    assert [node.get(k).value for k in "abcdefgh"] == [
        42, 2.5, True, None, dt.date(2026, 11, 1), dt.datetime(2026, 11, 1, 12), "42", None]
    assert node.get("e").text == "2026-11-01"
    empty = node.get("h")
    assert (empty.text, empty.start, empty.end) == ("", len(text) - 1, len(text) - 1)
    assert empty.index_of(0) == empty.start
    assert node.keys() == list("abcdefgh")
    assert node.key("c").start == text.index("c:")
    assert node.get("missing") is None


def test_empty_quoted_scalar_points_inside_the_quotes():
    rule = rule_of("rule: ''\n")
    assert rule.value == "" and rule.index_of(0) == 7


def test_block_collections_end_at_their_last_content():
    text = "segments:\n  - name: a\n    rule: |\n      x\n\n# trailing comment\n\nother: 1\n"
    seq = load(text).get("segments")
    assert text[seq.start:seq.end] == "- name: a\n    rule: |\n      x"
    assert text[seq.items[0].start:seq.items[0].end] == "name: a\n    rule: |\n      x"


def test_merge_keys_keep_written_keys_first():
    text = "base: &b {path: a.csv, key: id}\norders:\n  <<: *b\n  path: o.csv\n"
    orders = load(text).get("orders")
    assert {k.value: v.value for k, v in orders.items} == {"path": "o.csv", "key": "id"}
    assert orders.get("path").start == text.index("o.csv")


def test_offset_outside_the_scalar_is_a_programming_error():
    with pytest.raises(IndexError):
        rule_of("rule: abc\n").index_of(4)


def test_disagreeing_reread_falls_back_to_the_start():
    assert char_map("rule: abc", 6, 9, None, 0, "xyz") is None
    scalar = YScalar("abc", "abc", None, 6, 9, "f.yml")  # built by hand: no map
    assert [scalar.index_of(i) for i in range(4)] == [6, 6, 6, 6]
    assert scalar.span(1, 2) == FileSpan("f.yml", 6, 9)


# --- diagnostics ----------------------------------------------------------------------------

def only(diagnostics):
    assert len(diagnostics) == 1, diagnostics
    return diagnostics[0]


@pytest.mark.parametrize(("text", "line", "col", "message"), [
    ("segments:\n  - name: a\n    rule: a: b\n", 3, 12, "mapping values are not allowed here"),
    ("a: 'x\nb: 1\n", 3, 1, "found unexpected end of file"),
    ("a:\n\tb: 1\n", 2, 1, "found a tab that cannot start any token"),
    ("a:\n  - b\n c: d\n", 3, 2, "expected the end of the indented block, but found a new mapping"),
    ("a: [1, 2\n", 2, 1, "expected ',' or ']', but found the end of the file"),
    ("a: *nope\n", 1, 4, "found undefined alias 'nope'"),
    ("a: 1\n---\nb: 2\n", 2, 1, "a rules file holds one YAML document"),
    ("a: 1\r\nb: x: y\r\n", 2, 5, "mapping values are not allowed here"),
])
def test_syntax_errors_become_e001_at_the_mark(text, line, col, message):
    node, diagnostics = load_yaml(text, "rules/x.yml")
    d = only(diagnostics)
    assert node is None
    assert (d.code, d.severity, d.message) == ("E001", "error", message)
    assert d.span.file == "rules/x.yml"
    assert line_col(text, d.span.start) == (line, col)


def test_syntax_error_has_a_hint_and_a_note_on_the_context():
    d = only(load_yaml("a: \"unclosed\nb: 1\n", "x.yml")[1])
    assert d.hint == "close the quote"
    assert d.notes == ("while reading a quoted value that starts on line 1",)
    d = only(load_yaml("rule: industry: tech\n", "x.yml")[1])
    assert "quote" in d.hint


def test_empty_file_and_comment_only_file():
    assert load_yaml("", "x.yml") == (None, [])
    assert load_yaml("# nothing yet\n\n", "x.yml") == (None, [])


@pytest.mark.parametrize("text", [
    "a: \x01\n", "a: \"\\U99999999\"\n", "&a [*a]\n", "[" * 1200 + "]" * 1200,
    "a: &x 1\nb: &x 2\n", "a: |0\n x\n", "\ufeffa: [\n",
], ids=["control-char", "bad-escape", "recursive-alias", "deep-nesting", "duplicate-anchor",
        "zero-indentation", "bom-then-error"])
def test_bad_yaml_never_raises(text):
    node, diagnostics = load_yaml(text, "x.yml")
    assert node is None
    assert [d.code for d in diagnostics] == ["E001"]


def test_control_character_points_at_it():
    d = only(load_yaml("a: b\x07c\n", "x.yml")[1])
    assert d.span == FileSpan("x.yml", 4, 5) and "U+0007" in d.message


def test_value_errors_keep_the_tree_and_point_at_the_scalar():
    text = "as_of: 2026-02-30\nx: !mytag y\nok: 1\n"
    node, diagnostics = load_yaml(text, "x.yml")
    assert [d.code for d in diagnostics] == ["E001", "E001"]
    assert diagnostics[0].message == "'2026-02-30' is not a valid date: day is out of range for month"
    assert diagnostics[0].span == FileSpan("x.yml", 7, 17)
    assert diagnostics[1].message == "unknown tag '!mytag'"
    assert node.get("as_of").value == "2026-02-30" and node.get("ok").value == 1


def test_duplicate_key_is_e005_at_the_second_occurrence():
    text = "segments:\n  - name: a\n    rule: x > 1\n    name: b\n"
    node, diagnostics = load_yaml(text, "rules/x.yml")
    d = only(diagnostics)
    assert (d.code, d.severity, d.message) == ("E005", "error", "duplicate key 'name'")
    assert d.span == FileSpan("rules/x.yml", text.rindex("name"), text.rindex("name") + 4)
    assert line_col(text, d.span.start) == (4, 5)
    assert d.notes == ("'name' first appears on line 2",)
    item = node.get("segments").items[0]
    assert [k.value for k, _ in item.items] == ["name", "rule", "name"]  # both kept
    assert item.get("name").value == "a"


def test_duplicate_keys_in_flow_mappings_and_quoted_keys():
    d = only(load_yaml("{a: 1, 'a': 2}\n", "x.yml")[1])
    assert (d.code, d.span.start) == ("E005", 7)


def test_keys_of_different_types_are_not_duplicates():
    node, diagnostics = load_yaml("1: a\ntrue: b\n'1': c\n", "x.yml")
    assert diagnostics == [] and node.keys() == [1, True, "1"]


def test_merged_key_overridden_is_not_a_duplicate():
    assert load_yaml("b: &b {x: 1}\nc: {<<: *b, x: 2}\n", "x.yml")[1] == []


# --- property tests: any string, any style, written by PyYAML -------------------------------

RULE_CHARS = st.sampled_from(
    list("abcxyzABC019_ ") + list("'\"()<>=!,/%.-#:&*") + list("éß日本😀\u00a0") + ["\n", "\t", "\\"])


def check_positions(text: str, rule: YScalar, original: str) -> None:
    assert rule.value == original
    assert rule.chars is not None, "the re-reading disagreed with PyYAML"
    for i, ch in enumerate(original):
        at = rule.index_of(i)
        assert rule.start <= at <= len(text)
        source = text[at]
        if source == ch:
            continue
        if rule.style == '"' and source == "\\":
            continue  # an escape
        assert ch in " \n" and source in BREAKS, (i, ch, source, text)  # a fold or a break
    assert rule.index_of(len(original)) > rule.index_of(len(original) - 1)
    assert rule.start <= rule.index_of(0) and rule.index_of(len(original)) <= len(text)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rule=st.text(RULE_CHARS, min_size=1, max_size=60),
       style=st.sampled_from([None, "'", '"', "|", ">"]),
       width=st.integers(min_value=8, max_value=40),
       nested=st.booleans(), indent=st.sampled_from([2, 4, 7]), crlf=st.booleans())
def test_any_rule_written_by_pyyaml_maps_back(rule, style, width, nested, indent, crlf):
    doc = {"segments": [{"name": "x", "rule": rule}]} if nested else {"rule": rule}
    text = yaml.safe_dump(doc, default_style=style, width=width, indent=indent, allow_unicode=True)
    if crlf:
        text = text.replace("\n", "\r\n")
    node, diagnostics = load_yaml(text, "x.yml")
    assert diagnostics == []
    holder = node.get("segments").items[0] if nested else node
    check_positions(text, holder.get("rule"), rule)


YAMLISH = st.sampled_from(list("ab1 :-'\"|>#&*![]{},?\n\n  \t\\") + ["\r\n", "é", "\u2028"])


@settings(max_examples=300, deadline=None)
@given(st.lists(YAMLISH, max_size=40).map("".join))
def test_any_text_loads_without_raising_and_scalars_map_exactly(text):
    node, diagnostics = load_yaml(text, "x.yml")
    assert all(d.code in ("E001", "E005") and d.span is not None for d in diagnostics)
    stack = [node] if node is not None else []
    while stack:
        current = stack.pop()
        if isinstance(current, YMap):
            stack += [n for item in current.items for n in item]
        elif isinstance(current, YSeq):
            stack += current.items
        else:
            assert current.chars is not None, (text, current)
            for i, ch in enumerate(current.text):
                source = text[current.index_of(i)]
                assert source == ch or source in BREAKS or source in "\\'", (text, current, i)
