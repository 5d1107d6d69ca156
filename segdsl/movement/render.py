"""A movement or a series as text: rich tables for the terminal, JSON, CSV (long form) or markdown.

Input: a `Movement` (two snapshots compared) or a `Series` (paths over a history).
Output: text. The JSON keys and the CSV columns are stable and documented in docs/movement.md.
In every format a label None prints as `(none)`; appeared and disappeared entities are the rows
`(new)` and the columns `(gone)`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import shutil

from segdsl.movement.series import Series
from segdsl.movement.snapshots import Snapshot, iso
from segdsl.movement.transitions import NONE_LABEL, Movement, Transition, labels

JSON_VERSION = 1
ARROW = " → "
WIDEST = 9
"""Terminal matrices with more to labels than this are shown as one line per cell."""


def label(value: str | None) -> str:
    return NONE_LABEL if value is None else value


def _time(value: dt.datetime | None) -> str | None:
    return iso(value) if value is not None else None


def _matrices(movement: Movement):
    """(kind, name, rows, tiers in rule order) for every layer, then every microsegment."""
    order = {**movement.old.tier_order, **movement.new.tier_order}
    yield from (("layer", name, rows, order.get(name, ())) for name, rows in movement.layers.items())
    yield from (("microsegment", name, rows, ()) for name, rows in movement.microsegments.items())


def _grid(rows: list[Transition], tiers: tuple[str, ...]) -> tuple[list[str], list[list[str]]]:
    """Header and body of a matrix: rows = from, columns = to, cells `count (share)`, row totals."""
    froms, tos = labels(rows, tiers)
    cell = {(r.from_label, r.to_label): r for r in rows}
    header = ["from \\ to", *(label(t) for t in tos), "total"]
    body = []
    for f in froms:
        total = sum(r.count for r in rows if r.from_label == f)
        line = [label(f)]
        for t in tos:
            r = cell.get((f, t))
            line.append(f"{r.count} ({_share(r.share)})" if r else "")
        body.append([*line, str(total)])
    return header, body


def _share(share: float) -> str:
    return "<1%" if 0 < share < 0.005 else f"{share:.0%}"


def _heading(movement: Movement) -> list[str]:
    t = movement.totals

    def side(s: Snapshot) -> str:
        return s.label + (f" (as of {_time(s.as_of)})" if s.as_of and _time(s.as_of) not in s.label else "")

    return [f"movement from {side(movement.old)} to {side(movement.new)}",
            f"{movement.old.entity} by {movement.old.key_column}: {t.old} then {t.new}; {t.stayed} in both, "
            f"{t.appeared} appeared, {t.disappeared} disappeared",
            *(f"note: {note}" for note in movement.notes)]


def text(movement: Movement, color: bool = False, width: int | None = None) -> str:
    """Rich tables, as the terminal shows them."""
    from rich.console import Console
    from rich.table import Table

    out = io.StringIO()
    console = Console(file=out, force_terminal=color, no_color=not color,
                      width=width or max(100, shutil.get_terminal_size().columns))
    for line in _heading(movement):
        console.print(line, markup=False, highlight=False, soft_wrap=True)
    for kind, name, rows, tiers in _matrices(movement):
        header, body = _grid(rows, tiers)
        if len(header) > WIDEST + 2:  # too many columns to read: one line per cell instead
            header = ["from", "to", "count", "share"]
            body = [[label(r.from_label), label(r.to_label), str(r.count), _share(r.share)] for r in rows]
        table = Table(title=f"{kind} {name}", title_justify="left", show_lines=False)
        for i, h in enumerate(header):
            table.add_column(h, justify="right" if h in ("count", "share") or (i and header[0] != "from")
                             else "left")
        for line in body:
            table.add_row(*line)
        console.print(table)
    if movement.segments:
        table = Table(title="segments", title_justify="left")
        for h in ("segment", "entered", "left", "stayed"):
            table.add_column(h, justify="left" if h == "segment" else "right")
        for path, s in movement.segments.items():
            table.add_row(path, str(s.entered), str(s.left), str(s.stayed))
        console.print(table)
    return out.getvalue()


def markdown(movement: Movement) -> str:
    """Markdown tables, for a pull request or a wiki page."""
    lines = [f"### {_md(_heading(movement)[0])}", "", _md(_heading(movement)[1])]
    lines += [""] * bool(movement.notes) + [f"> note: {_md(note)}" for note in movement.notes]
    for kind, name, rows, tiers in _matrices(movement):
        header, body = _grid(rows, tiers)
        lines += ["", f"#### {kind} `{name}`", "", _md_row(header), _md_row(["---"] * len(header))]
        lines += [_md_row(line) for line in body]
    if movement.segments:
        lines += ["", "#### segments", "", _md_row(["segment", "entered", "left", "stayed"]),
                  _md_row(["---"] * 4)]
        lines += [_md_row([f"`{p}`", str(s.entered), str(s.left), str(s.stayed)])
                  for p, s in movement.segments.items()]
    return "\n".join(lines) + "\n"


def _md(value: str) -> str:
    return value.replace("|", "\\|")


def _md_row(cells: list[str]) -> str:
    return "| " + " | ".join(_md(c) for c in cells) + " |"


def _snapshot_json(s: Snapshot) -> dict:
    return {"label": s.label, "as_of": _time(s.as_of), "rules_hash": s.rules_hash, "entity": s.entity,
            "key_column": s.key_column}


def to_json(movement: Movement) -> str:
    t = movement.totals
    doc = {
        "version": JSON_VERSION,
        "old": _snapshot_json(movement.old),
        "new": _snapshot_json(movement.new),
        "notes": list(movement.notes),
        "totals": {"old": t.old, "new": t.new, "stayed": t.stayed, "appeared": t.appeared,
                   "disappeared": t.disappeared},
        "layers": {n: [_transition_json(r) for r in rows] for n, rows in movement.layers.items()},
        "microsegments": {n: [_transition_json(r) for r in rows] for n, rows in movement.microsegments.items()},
        "segments": {p: {"entered": s.entered, "left": s.left, "stayed": s.stayed}
                     for p, s in movement.segments.items()},
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def _transition_json(r: Transition) -> dict:
    return {"from": r.from_label, "to": r.to_label, "count": r.count, "share": round(r.share, 6)}


def to_csv(movement: Movement) -> str:
    """Long form: kind, name, from, to, count, share (segments: from/to are `out`/`in`)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["kind", "name", "from", "to", "count", "share"])
    t = movement.totals
    for f, to, n in (("present", "present", t.stayed), ("(new)", "present", t.appeared),
                     ("present", "(gone)", t.disappeared)):
        writer.writerow(["entities", movement.old.entity, f, to, n, ""])
    for kind, name, rows, _ in _matrices(movement):
        for r in rows:
            writer.writerow([kind, name, label(r.from_label), label(r.to_label), r.count, f"{r.share:.6f}"])
    for path, s in movement.segments.items():
        for f, to, n in (("out", "in", s.entered), ("in", "out", s.left), ("in", "in", s.stayed)):
            writer.writerow(["segment", path, f, to, n, ""])
    return out.getvalue()


def _path_text(path: tuple[str | None, ...]) -> str:
    return ARROW.join(label(x) for x in path)


def series_text(series: Series, color: bool = False, width: int | None = None) -> str:
    from rich.console import Console
    from rich.table import Table

    out = io.StringIO()
    console = Console(file=out, force_terminal=color, no_color=not color,
                      width=width or max(100, shutil.get_terminal_size().columns))
    console.print(f"paths over {len(series.points)} points of {series.history}: "
                  f"{_time(series.points[0])} to {_time(series.points[-1])}",
                  markup=False, highlight=False, soft_wrap=True)
    for note in series.notes:
        console.print(f"note: {note}", markup=False, highlight=False, soft_wrap=True)
    for name, layer in series.layers.items():
        table = Table(title=f"layer {name}: {layer.entities} entities, {layer.distinct_paths} distinct paths",
                      title_justify="left")
        for h in ("path", "entities", "share"):
            table.add_column(h, justify="left" if h == "path" else "right")
        for p in layer.top:
            table.add_row(_path_text(p.path), str(p.count), f"{p.share:.1%}")
        console.print(table)
        table = Table(title=f"layer {name}: mean time in a tier before moving on", title_justify="left")
        for h in ("tier", "runs", "mean days"):
            table.add_column(h, justify="left" if h == "tier" else "right")
        for d in layer.durations:
            table.add_row(label(d.tier), str(d.runs), f"{d.mean_days:.1f}")
        console.print(table)
    return out.getvalue()


def series_markdown(series: Series) -> str:
    lines = [f"### paths over {len(series.points)} points: {_time(series.points[0])} to "
             f"{_time(series.points[-1])}"]
    lines += [""] * bool(series.notes) + [f"> note: {_md(note)}" for note in series.notes]
    for name, layer in series.layers.items():
        lines += ["", f"#### layer `{name}`: {layer.entities} entities, {layer.distinct_paths} distinct paths", "",
                  _md_row(["path", "entities", "share"]), _md_row(["---"] * 3)]
        lines += [_md_row([_path_text(p.path), str(p.count), f"{p.share:.1%}"]) for p in layer.top]
        lines += ["", _md_row(["tier", "runs", "mean days"]), _md_row(["---"] * 3)]
        lines += [_md_row([label(d.tier), str(d.runs), f"{d.mean_days:.1f}"]) for d in layer.durations]
    return "\n".join(lines) + "\n"


def series_json(series: Series) -> str:
    doc = {
        "version": JSON_VERSION,
        "history": str(series.history),
        "points": [{"as_of": _time(a), "rules_hash": h} for a, h in zip(series.points, series.rules_hashes)],
        "notes": list(series.notes),
        "layers": {name: {"entities": layer.entities, "distinct_paths": layer.distinct_paths,
                          "paths": [{"path": list(p.path), "count": p.count, "share": round(p.share, 6)}
                                    for p in layer.top],
                          "durations": [{"tier": d.tier, "runs": d.runs, "mean_days": round(d.mean_days, 6)}
                                        for d in layer.durations]}
                   for name, layer in series.layers.items()},
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def series_csv(series: Series) -> str:
    """Long form: kind (path or duration), layer, label (the path or the tier), count, value
    (the path's share, or the mean days)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["kind", "layer", "label", "count", "value"])
    for name, layer in series.layers.items():
        for p in layer.top:
            writer.writerow(["path", name, _path_text(p.path), p.count, f"{p.share:.6f}"])
        for d in layer.durations:
            writer.writerow(["duration", name, label(d.tier), d.runs, f"{d.mean_days:.6f}"])
    return out.getvalue()
