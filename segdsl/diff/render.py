"""A diff report as text: a terminal table, a markdown table for a pull request, or JSON.

Input: a `Report` (rule changes and, when computed, the effect cells).
Output: text. Rows are the items that changed or whose members moved (an unchanged item
whose members moved is shown: a parent's or a metric's change reaches it); the JSON holds
every item and every cell, unchanged ones included, under stable keys (docs/diff.md).
"""

from __future__ import annotations

import io
import json
import shutil
from dataclasses import dataclass

from segdsl.diff import Report
from segdsl.diff.effect import Cell
from segdsl.diff.rules import Change

JSON_VERSION = 1


@dataclass(frozen=True)
class Row:
    item: str
    change: Change
    cell: Cell | None


def rows(report: Report) -> list[Row]:
    """One row per changed item and per cell that moved, in the rule diff's order."""
    by_item: dict[tuple[str, str], list[Cell]] = {}
    for cell in report.cells or ():
        by_item.setdefault((cell.kind, cell.name), []).append(cell)
    out: list[Row] = []
    for change in report.diff.changes:
        key = (change.kind, change.name) if change.kind != "tier" else ("tier", change.layer or "")
        if change.kind == "tier":
            found = [c for c in by_item.get(key, []) if c.label == change.name]
        elif change.kind in ("layer", "metric", "source", "setting"):
            found = []
        else:
            found = by_item.get(key, [])
        moved = [c for c in found if c.enter or c.leave]
        if not change.changed and not moved:
            continue
        label = _label(change)
        if not moved:
            out.append(Row(label, change, None))
        for cell in moved:
            item = label if cell.kind != "microsegment" else f"{label} = {cell.label}"
            out.append(Row(item, change, cell))
    return out


def _label(change: Change) -> str:
    if change.kind == "tier":
        return f"tier {change.layer}: {change.name}"
    return f"{change.kind} {change.name}"


def _describe(change: Change, quote=str) -> str:
    """The change in words; `quote` marks up rule texts (code spans in markdown)."""
    if not change.changed:
        return "no rule change"
    parts = []
    if change.status == "renamed":
        parts.append(f"renamed from {change.old_name}")
    elif change.status != "changed":
        parts.append(change.status)
    if change.status != "removed" and change.old is not None and change.new is not None:
        parts.append(f"{quote(change.old)} → {quote(change.new)}")
    elif change.status == "added" and change.new:
        parts.append(quote(change.new))
    elif change.status == "removed" and change.old:
        parts.append(f"was {quote(change.old)}")
    parts += change.reasons
    return "; ".join(parts)


def _ids(ids: tuple[object, ...], total: int) -> str:
    if not ids:
        return ""
    more = ", …" if total > len(ids) else ""
    return ", ".join(str(x) for x in ids) + more


def _summary(report: Report) -> str:
    n = len(report.changes)
    head = f"Rule changes since {report.base} ({report.commit[:12]}): " + (
        f"{n} item{'s' if n != 1 else ''} changed" if n else "none")
    if report.cells is not None:
        entered = sum(c.enter for c in report.cells)
        left = sum(c.leave for c in report.cells)
        head += f"; memberships: {entered} gained, {left} lost"
        if report.as_of is not None:
            head += f" (as of {report.as_of.isoformat(sep=' ')})"
    return head


def markdown(report: Report) -> str:
    lines = [f"### segdsl diff: {report.project}", "", _summary(report) + ".", ""]
    lines += [f"> {note}" for note in report.notes]
    if report.notes:
        lines.append("")
    table = rows(report)
    if not table:
        lines.append("Nothing changed.")
        return "\n".join(lines) + "\n"
    effect = report.cells is not None
    header = ["item", "change"] + (["enter", "leave", "stay", "examples"] if effect else [])
    lines.append("| " + " | ".join(header) + " |")
    lines.append("|" + "|".join("---:" if h in ("enter", "leave", "stay") else "---" for h in header) + "|")
    for row in table:
        cells = [_code(row.item), _describe(row.change, _code)]
        if effect:
            cells += _figures(row.cell, lambda ids: _md(ids))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _figures(cell: Cell | None, escape) -> list[str]:
    if cell is None:
        return ["", "", "", ""]
    examples = []
    if cell.entered:
        examples.append("+ " + _ids(cell.entered, cell.enter))
    if cell.left:
        examples.append("− " + _ids(cell.left, cell.leave))
    return [str(cell.enter), str(cell.leave), str(cell.stay), escape("; ".join(examples))]


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _code(text: str) -> str:
    """A GitHub code span that survives backticks and pipes inside a table cell."""
    fence = "``" if "`" in text else "`"
    pad = " " if "`" in text else ""
    return f"{fence}{pad}{_md(text)}{pad}{fence}"


def text(report: Report, color: bool = False, width: int | None = None) -> str:
    """A rich table, as the terminal shows it."""
    from rich.console import Console
    from rich.table import Table

    out = io.StringIO()
    console = Console(file=out, force_terminal=color, no_color=not color,
                      width=width or max(100, shutil.get_terminal_size().columns))
    console.print(_summary(report), markup=False, highlight=False, soft_wrap=True)
    for note in report.notes:
        console.print(f"note: {note}", markup=False, highlight=False, soft_wrap=True)
    table_rows = rows(report)
    if table_rows:
        effect = report.cells is not None
        table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
        table.add_column("item")
        table.add_column("change", overflow="fold")
        if effect:
            for name in ("enter", "leave", "stay"):
                table.add_column(name, justify="right")
            table.add_column("examples", overflow="fold")
        for row in table_rows:
            table.add_row(row.item, _describe(row.change), *(_figures(row.cell, str) if effect else []))
        console.print(table)
    return out.getvalue()


def to_json(report: Report) -> str:
    data = {
        "version": JSON_VERSION,
        "project": report.project,
        "base": report.base,
        "base_commit": report.commit,
        "as_of": report.as_of.isoformat() if report.as_of else None,
        "changed": report.changed,
        "moved": report.moved,
        "notes": list(report.notes),
        "changes": [{
            "kind": c.kind, "name": c.name, "layer": c.layer, "status": c.status, "old_name": c.old_name,
            "old": c.old, "new": c.new, "reasons": list(c.reasons),
        } for c in report.diff.changes],
        "effect": None if report.cells is None else [{
            "kind": c.kind, "name": c.name, "label": c.label, "enter": c.enter, "leave": c.leave, "stay": c.stay,
            "entered_examples": list(c.entered), "left_examples": list(c.left),
        } for c in report.cells],
    }
    return json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n"
