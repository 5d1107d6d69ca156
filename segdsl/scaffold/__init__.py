"""Folder → a new rules project with sample data (`segdsl init`).

Input: a target folder; it may be missing (then it is created), empty, or hold unrelated files.
Output: `Scaffold`: the files written, by path relative to the folder; or, when any of them
already exists, those files, and nothing written at all.

The scaffold (`contents()`) is the same bytes on every run: settings, a rules file with rule
tests (`templates.py`), a sample data set (`sample.py`) and the JSON Schema of the YAML files,
which the YAML files point editors at with a relative path that stays right wherever the
folder is moved.

Nothing is half-written: every file is written into a hidden staging folder inside the target
first and then moved into place; if a move fails, the files already moved and the folders made
for them are removed again.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from segdsl.scaffold import sample, templates

SCHEMA_PATH = "schema/segdsl.schema.json"


@dataclass(frozen=True)
class Scaffold:
    root: Path
    written: tuple[str, ...] = ()
    """Files written, relative to `root`, in the order of `contents()`."""
    existing: tuple[str, ...] = ()
    """Paths that are in the way (files it would overwrite, or files where it needs a folder);
    when there are any, nothing was written."""
    other_yaml: tuple[str, ...] = ()
    """YAML files already below `root` that segdsl will read as rules files too."""

    @property
    def ok(self) -> bool:
        return not self.existing


def contents() -> dict[str, bytes]:
    """Every file of the scaffold, by path relative to the project folder."""
    from segdsl.schema import build_schema

    data = sample.generate()
    files = templates.texts(data.customers, data.orders)
    files[SCHEMA_PATH] = json.dumps(build_schema("both"), indent=2) + "\n"
    files["data/customers.csv"] = data.customers_csv
    files["data/orders.csv"] = data.orders_csv
    return {path: text.encode("utf-8") for path, text in files.items()}


def scaffold(target: str | Path) -> Scaffold:
    """Write the scaffold into `target`, unless a file of it is already there.

    Raises `NotADirectoryError` when `target` is a file, and `OSError` when writing fails
    (nothing is left behind then either).
    """
    root = Path(target)
    for here in (root, *root.parents):
        if here.exists() and not here.is_dir():
            raise NotADirectoryError(f"{here} is a file, not a folder")
    files = contents()
    in_the_way = _in_the_way(root, files)
    if in_the_way:
        return Scaffold(root, existing=in_the_way)
    others = _yaml_files(root)
    _write(root, files)
    return Scaffold(root, written=tuple(files), other_yaml=others)


def _in_the_way(root: Path, files: dict[str, bytes]) -> tuple[str, ...]:
    """Paths that exist where the scaffold puts a file, or are files where it needs a folder."""
    found: set[str] = set()
    for relative in files:
        parts = Path(relative).parts
        for depth in range(1, len(parts) + 1):
            here = root.joinpath(*parts[:depth])
            is_folder_needed = depth < len(parts)
            if here.is_symlink() or (here.exists() and not (is_folder_needed and here.is_dir())):
                found.add("/".join(parts[:depth]))
                break
    return tuple(sorted(found))


def _yaml_files(root: Path) -> tuple[str, ...]:
    """Files the loader would read as rules besides the scaffold's own."""
    from segdsl.dsl.loader import rule_files

    if not root.is_dir():
        return ()
    return tuple(path.relative_to(root).as_posix() for path in rule_files(root))


def _write(root: Path, files: dict[str, bytes]) -> None:
    made: list[Path] = []  # folders this call created, parents first
    moved: list[Path] = []
    staging: Path | None = None
    try:
        _make_folder(root, made)
        staging = Path(tempfile.mkdtemp(prefix=".segdsl-init-", dir=root))
        for relative, data in files.items():
            path = staging / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        for relative in files:
            destination = root / relative
            _make_folder(destination.parent, made)
            # Checked again right before the move: a file that appeared meanwhile is kept.
            if destination.exists() or destination.is_symlink():
                raise FileExistsError(f"{destination} appeared while segdsl init was writing")
            os.replace(staging / relative, destination)
            moved.append(destination)
    except BaseException:
        for path in moved:
            path.unlink(missing_ok=True)
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
        for folder in reversed(made):
            try:
                folder.rmdir()
            except OSError:
                pass
        raise
    if staging is not None:
        shutil.rmtree(staging, ignore_errors=True)


def _make_folder(folder: Path, made: list[Path]) -> None:
    """Create `folder` and its missing parents, remembering each one created."""
    missing = []
    for here in (folder, *folder.parents):
        if here.is_dir():
            break
        missing.append(here)
    for here in reversed(missing):
        here.mkdir()
        made.append(here)
