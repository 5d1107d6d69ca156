"""What `segments.json` says (SPEC §5): the nested tree with counts and shares, and provenance.

Input: the checked project, the evaluated members table, each input's location and row count,
as_of and timings.
Output: a plain dict, ready for `json.dumps`; the CLI renders the same dict as a tree.

Counts come from a few grouped queries over the members table (DuckDB, not Python loops).
Shares are fractions (0.25 for a quarter), rounded to 6 places; a share of an empty parent is
null. A definition hash covers everything a membership depends on: the segment's canonical
rule, its parent's hash, the metrics and segments it reads, and the sources' keys and times;
so the same hash means the same rules, whatever the formatting or the file they live in.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import subprocess
from functools import cache
from pathlib import Path

from sqlglot import exp

from segdsl.compiler.build import SEGMENTS_COLUMN
from segdsl.compiler.names import column
from segdsl.compiler.plan import walk
from segdsl.dsl import typed as t
from segdsl.engine.local import Evaluation
from segdsl.engine.sources import Location

FINGERPRINT_BYTES = 65536


def summarize(project: t.Project, evaluation: Evaluation, locations: dict[str, Location],
              as_of: dt.datetime, version: str) -> dict:
    con = evaluation.con
    total = evaluation.rows[project.entity]
    members = evaluation.relation()
    counts = _segment_counts(con, members)
    hashes = Hashes(project)

    def node(segment: t.Segment, parent_count: int) -> dict:
        count = counts.get(segment.path, 0)
        return {
            "path": segment.path, "name": segment.name, "description": segment.description,
            "owner": segment.owner, "rule": segment.text, "definition_hash": hashes.segment(segment.path),
            "count": count, "share_of_parent": _share(count, parent_count), "share_of_all": _share(count, total),
            "segments": [node(project.segment(child), count) for child in segment.children],
        }

    roots = [s for s in project.segments if s.parent is None]
    segments = [node(s, total) for s in roots]
    layers = [_layer(con, members, layer, counts, total, hashes) for layer in project.layers]
    microsegments = [_microsegment(con, members, ms, counts, total, hashes) for ms in project.microsegments]
    return {
        "segdsl_version": version,
        "as_of": as_of.isoformat(),
        "entity": project.entity,
        "key": project.key,
        "count": total,
        "rules": {"git_revision": git_revision(project.root)},
        "rules_hash": rules_hash(segments, layers, microsegments),
        "segments": segments,
        "layers": layers,
        "microsegments": microsegments,
        "inputs": {name: {"format": loc.format, "rows": evaluation.rows[name], "fingerprint": fingerprint(loc)}
                   for name, loc in sorted(locations.items())},
        "warnings": list(evaluation.warnings),
        "timings": {"compile_seconds": round(evaluation.compile_seconds, 3),
                    "eval_seconds": round(evaluation.eval_seconds, 3)},
    }


def _share(count: int, whole: int) -> float | None:
    return round(count / whole, 6) if whole else None


def rules_hash(segments: list[dict], layers: list[dict], microsegments: list[dict]) -> str:
    """The whole rule set's hash: sha256 hex of every definition hash, sorted, joined by newlines."""
    found: list[str] = []
    pending = list(segments)
    while pending:
        segment = pending.pop()
        found.append(segment["definition_hash"])
        pending += segment["segments"]
    found += [item["definition_hash"] for item in (*layers, *microsegments)]
    return hashlib.sha256("\n".join(sorted(found)).encode("utf-8")).hexdigest()


def _segment_counts(con, members: exp.Expression) -> dict[str, int]:
    path = exp.alias_(exp.Explode(this=column(SEGMENTS_COLUMN)), "path")
    inner = exp.select(path).from_(members.copy())
    query = exp.select(exp.column("path"), exp.Count(this=exp.Star())).from_(inner.subquery("s")).group_by(
        exp.column("path"))
    return {p: int(n) for p, n in con.execute(query.sql(dialect="duckdb")).fetchall()}


def _grouped(con, members: exp.Expression, name: str) -> dict[str | None, int]:
    label = column(name)
    query = exp.select(label, exp.Count(this=exp.Star())).from_(members.copy()).group_by(label.copy())
    return {value: int(n) for value, n in con.execute(query.sql(dialect="duckdb")).fetchall()}


def _scope(within: str | None, counts: dict[str, int], total: int) -> int:
    return total if within is None else counts.get(within, 0)


def _layer(con, members: exp.Expression, layer: t.Layer, counts: dict[str, int], total: int,
           hashes: Hashes) -> dict:
    groups = _grouped(con, members, layer.name)
    rows = _scope(layer.within, counts, total)
    assigned = sum(n for tier, n in groups.items() if tier is not None)
    return {
        "name": layer.name, "within": layer.within, "count": rows,
        "definition_hash": hashes.layer(layer),
        "tiers": [{"name": tier.name, "rule": tier.text if tier.rule is not None else None,
                   "count": groups.get(tier.name, 0), "share": _share(groups.get(tier.name, 0), rows)}
                  for tier in layer.tiers],
        "unassigned": rows - assigned,
    }


def _microsegment(con, members: exp.Expression, ms: t.Microsegment, counts: dict[str, int], total: int,
                  hashes: Hashes) -> dict:
    groups = _grouped(con, members, ms.name)
    rows = _scope(ms.within, counts, total)
    keys = sorted(((key, n) for key, n in groups.items() if key is not None), key=lambda kv: (-kv[1], kv[0]))
    return {
        "name": ms.name, "layers": list(ms.layers), "within": ms.within, "count": rows,
        "definition_hash": hashes.microsegment(ms),
        "keys": [{"key": key, "count": n, "share": _share(n, rows)} for key, n in keys],
        "unassigned": rows - sum(n for _, n in keys),
    }


# --- provenance ----------------------------------------------------------------------------


class Hashes:
    """Definition hashes: sha256 over the canonical form of what a membership depends on."""

    def __init__(self, project: t.Project):
        self.project = project
        self.metrics = {m.name: m for m in project.metrics}
        self.sources = {name: [s.key, s.time] for name, s in sorted(project.sources.items())}

    @cache  # noqa: B019 - one Hashes per summary
    def segment(self, path: str) -> str:
        segment = self.project.segment(path)
        parent = self.segment(segment.parent) if segment.parent else None
        return self._hash({"path": path, "rule": self._reads(segment.rule), "parent": parent})

    def layer(self, layer: t.Layer) -> str:
        tiers = [[tier.name, self._reads(tier.rule) if tier.rule is not None else None] for tier in layer.tiers]
        within = self.segment(layer.within) if layer.within else None
        return self._hash({"layer": layer.name, "tiers": tiers, "within": within})

    def microsegment(self, ms: t.Microsegment) -> str:
        layers = {layer.name: layer for layer in self.project.layers}
        within = self.segment(ms.within) if ms.within else None
        return self._hash({"microsegment": ms.name, "layers": [self.layer(layers[name]) for name in ms.layers],
                           "within": within})

    def _reads(self, rule: t.TExpr) -> dict:
        """The rule in canonical form with the definitions of every metric and segment it reads."""
        metrics: dict[str, str] = {}
        pending = [rule]
        while pending:
            for node in walk(pending.pop()):
                if isinstance(node, t.MetricRef) and node.name not in metrics:
                    metrics[node.name] = canonical(self.metrics[node.name].text)
                    pending.append(self.metrics[node.name].expr)
        segments = sorted({n.path for n in walk(rule) if isinstance(n, t.SegmentRef)})
        return {"rule": repr(rule), "metrics": dict(sorted(metrics.items())),
                "segments": {p: self.segment(p) for p in segments}, "sources": self.sources,
                "entity": [self.project.entity, self.project.key]}

    @staticmethod
    def _hash(value: object) -> str:
        text = json.dumps(value, sort_keys=True, separators=(",", ":"))
        return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def canonical(text: str) -> str:
    """A rule's canonical text: the same for every way of writing it."""
    from segdsl.dsl.parser import parse_rule
    from segdsl.dsl.printer import to_text

    return to_text(parse_rule(text))


def fingerprint(location: Location) -> str | None:
    """Identifies an input's files cheaply at any size: names, sizes, first and last 64 KiB.

    Not a hash of every byte (that would read gigabytes twice); a changed file almost always
    changes its size or its Parquet footer, which the last 64 KiB hold. A table in a database
    server (the postgres engine) has no files to read: None.
    """
    import glob

    if location.format == "postgres":
        return None

    paths = sorted(glob.glob(location.path, recursive=True)) if glob.has_magic(location.path) else [location.path]
    digest = hashlib.sha256()
    base = Path(location.path.split("*")[0]).parent if "*" in location.path else Path(location.path).parent
    for path in paths:
        size = Path(path).stat().st_size
        digest.update(f"{Path(path).relative_to(base) if Path(path).is_relative_to(base) else Path(path).name}"
                      f"\0{size}\0".encode())
        with open(path, "rb") as f:
            digest.update(f.read(FINGERPRINT_BYTES))
            if size > FINGERPRINT_BYTES:
                f.seek(max(FINGERPRINT_BYTES, size - FINGERPRINT_BYTES))
                digest.update(f.read())
    if location.table:
        digest.update(f"\0table={location.table}".encode())
    return "sha256:" + digest.hexdigest()


def git_revision(root: str) -> str | None:
    """The commit the rules folder is at, with `+changes` when its files differ; None outside git."""
    try:
        head = subprocess.run(["git", "-C", root, "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10)
        if head.returncode != 0:
            return None
        dirty = subprocess.run(["git", "-C", root, "status", "--porcelain", "--", "."], capture_output=True,
                               text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    revision = head.stdout.strip()
    return revision + ("+changes" if dirty.stdout.strip() else "")
