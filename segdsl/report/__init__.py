"""`segdsl report`: one self-contained HTML page from an `eval` output folder (and a history).

Input: an eval output folder (`segments.json` + members file); optionally a history database
and two of its points. Output: the HTML text (`build`), written atomically by `write`.
Stages: `inputs.read_outputs` → `inputs.overlap` → `history.flows` → `page.render`.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from segdsl.engine.local import DataError
from segdsl.report.history import Flows, flows
from segdsl.report.inputs import overlap, read_outputs
from segdsl.report.page import render

__all__ = ["build", "write"]


def build(folder: str | Path, history: str | Path | None = None, old: str | None = None,
          new: str | None = None) -> tuple[str, Flows | None]:
    """The report's HTML, and the movement it shows (None without a history)."""
    outputs = read_outputs(folder)
    moved = flows(history, old, new) if history is not None else None
    return render(outputs, overlap(outputs), moved), moved


def write(html: str, path: str | Path) -> Path:
    """Write the page through a temporary file and a rename: a failed write leaves the old page."""
    path = Path(path)
    if path.is_dir():
        raise DataError(f"cannot write {path}: it is a folder", "give a file name with --output")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".segdsl-report-", suffix=".html", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(html)
        os.replace(tmp, path)
    except OSError as exc:
        raise DataError(f"cannot write {path}: {exc.strerror or exc}") from None
    return path
