"""What `segdsl eval` shows on the terminal: the segment tree, layers, microsegments, progress.

Input: the summary dict (what segments.json holds) and the engine's progress reports.
Output: rich renderables on stderr/stdout. Nothing here computes a count.
"""

from __future__ import annotations

from contextlib import contextmanager

from rich.columns import Columns
from rich.console import Console, Group
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.tree import Tree

TOP_MICROSEGMENT_KEYS = 10


def _share(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"


def tree(summary: dict) -> Tree:
    root = Tree(f"[bold]{summary['entity']}[/] {summary['count']:,} rows · as of {summary['as_of']}")

    def add(parent: Tree, node: dict) -> None:
        label = (f"[bold]{node['name']}[/]  {node['count']:,}  "
                 f"[dim]{_share(node['share_of_parent'])} of parent · {_share(node['share_of_all'])} of all[/]")
        branch = parent.add(label)
        for child in node["segments"]:
            add(branch, child)

    for node in summary["segments"]:
        add(root, node)
    return root


def layers(summary: dict) -> list[Table]:
    tables = []
    for layer in summary["layers"]:
        within = f" within {layer['within']}" if layer["within"] else ""
        table = Table(title=f"layer [bold]{layer['name']}[/]", title_justify="left",
                      caption=f"{layer['count']:,} rows{within}", caption_justify="left")
        table.add_column("tier")
        table.add_column("rows", justify="right")
        table.add_column("share", justify="right")
        for tier in layer["tiers"]:
            table.add_row(tier["name"], f"{tier['count']:,}", _share(tier["share"]))
        if layer["unassigned"]:
            table.add_row("[dim](no tier)[/]", f"{layer['unassigned']:,}", "")
        tables.append(table)
    return tables


def microsegments(summary: dict) -> list[Table]:
    tables = []
    for ms in summary["microsegments"]:
        keys = ms["keys"]
        shown = keys[:TOP_MICROSEGMENT_KEYS]
        more = f" · largest {len(shown)} of {len(keys)}" if len(keys) > len(shown) else ""
        table = Table(title=f"microsegment [bold]{ms['name']}[/]", title_justify="left",
                      caption=" × ".join(ms["layers"]) + more, caption_justify="left")
        table.add_column("key")
        table.add_column("rows", justify="right")
        table.add_column("share", justify="right")
        for key in shown:
            table.add_row(key["key"], f"{key['count']:,}", _share(key["share"]))
        tables.append(table)
    return tables


def report(summary: dict) -> Group:
    """The tree, then the layers and microsegments side by side as far as the terminal allows."""
    tables = [*layers(summary), *microsegments(summary)]
    return Group(tree(summary), Columns(tables, padding=(1, 2)) if tables else Group())


@contextmanager
def progress(console: Console, enabled: bool):
    """A progress display on stderr; yields the callback the engine reports to."""
    if not enabled:
        yield None
        return
    bar = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
                   console=console, transient=True)
    task = bar.add_task("loading rules", total=None)
    with bar:
        def tell(stage: str, fraction: float | None) -> None:
            if fraction is None:
                bar.update(task, description=stage, total=None)
            else:
                bar.update(task, description=stage, total=1.0, completed=fraction)

        yield tell
