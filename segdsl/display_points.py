"""What `segdsl eval` shows for several points: a compact table per level, a row per point.

Input: the summaries (segments.json dicts) of the points, in time order.
Output: rich tables: the entity count and each top-level segment's count per point, then per
layer each tier's count per point. The full tree of a point is in its own segments.json.
"""

from __future__ import annotations

from rich.console import Group
from rich.table import Table


def points(summaries: list[dict]) -> Group:
    first = summaries[0]
    tables = [_table(f"[bold]{first['entity']}[/] and top-level segments", summaries,
                     ["rows", *(s["name"] for s in first["segments"])],
                     lambda summary: [summary["count"], *(s["count"] for s in summary["segments"])])]
    for index, layer in enumerate(first["layers"]):
        names = [tier["name"] for tier in layer["tiers"]]
        within = f" (within {layer['within']})" if layer["within"] else ""
        tables.append(_table(f"layer [bold]{layer['name']}[/]{within}", summaries, [*names, "(no tier)"],
                             lambda summary, i=index: [*(t["count"] for t in summary["layers"][i]["tiers"]),
                                                       summary["layers"][i]["unassigned"]]))
    return Group(*tables)


def _table(title: str, summaries: list[dict], headers: list[str], counts) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column("as of", no_wrap=True)
    for header in headers:
        table.add_column(header, justify="right")
    for summary in summaries:
        table.add_row(summary["as_of"].removesuffix("T00:00:00"), *(f"{n:,}" for n in counts(summary)))
    return table
