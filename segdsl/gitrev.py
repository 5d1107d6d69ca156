"""A rules project as it was at a git revision, without touching the working tree or the index.

Input: a project folder inside a git repository and a revision (`HEAD~1`, a branch, a tag, a sha).
Output: a `Checkout`: the commit the revision names, and a temporary folder holding the project
folder's YAML files (all a rules project is made of) as they were in that commit (None when
the folder did not exist then). The folder is removed when the `with` block ends.

Only read-only plumbing is used (`rev-parse`, `ls-tree`, `cat-file`), so the working tree, the
index and the refs stay exactly as they were.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


class GitError(Exception):
    """The revision cannot be read: not a repository, an unknown revision, git missing."""


@dataclass(frozen=True)
class Checkout:
    revision: str
    """As the user wrote it, for messages (`HEAD~1`)."""
    commit: str
    folder: Path | None
    """The project folder as it was; None when it did not exist at the revision."""


def _git(cwd: Path, *args: str, binary: bool = False, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    # LC_ALL=C: messages quoted in our errors stay in one language; no prompt can block a CI job.
    env = {**os.environ, "LC_ALL": "C", "GIT_TERMINAL_PROMPT": "0"}
    try:
        return subprocess.run(["git", "-C", str(cwd), *args], capture_output=True, env=env,
                              text=not binary and stdin is None, input=stdin, check=False)
    except FileNotFoundError:
        raise GitError("git is not installed (segdsl diff reads the base revision with git)") from None


@contextmanager
def checkout(project: str | Path, revision: str) -> Iterator[Checkout]:
    """The project folder as it was at `revision`, in a temporary folder."""
    folder = Path(project)
    if not folder.is_dir():
        raise GitError(f"{project} is not a folder (a rules project is a folder with segdsl.yml)")
    found = _git(folder, "rev-parse", "--show-toplevel")
    if found.returncode != 0:
        raise GitError(f"{project} is not inside a git repository, so there is no revision {revision!r} "
                       "to compare with; run segdsl diff on a rules project kept in git")
    top = Path(found.stdout.strip())
    inside = folder.resolve().relative_to(top.resolve()).as_posix()
    if revision.startswith("-"):  # would be read as an option by git
        raise GitError(f"unknown revision {revision!r}")
    resolved = _git(top, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{revision}^{{commit}}")
    if resolved.returncode != 0:
        raise GitError(f"unknown revision {revision!r} in the git repository at {top} "
                       "(try a commit, a branch, a tag or HEAD~1)")
    commit = resolved.stdout.strip()
    spec = f"{commit}:{'' if inside == '.' else inside}"
    if _git(top, "cat-file", "-t", spec).stdout.strip() != "tree":
        yield Checkout(revision, commit, None)
        return
    temp = Path(tempfile.mkdtemp(prefix="segdsl-base-"))
    try:
        _write_yaml_files(top, commit, inside, temp)
        yield Checkout(revision, commit, temp)
    finally:
        shutil.rmtree(temp, ignore_errors=True)


def _write_yaml_files(top: Path, commit: str, inside: str, into: Path) -> None:
    """The folder's YAML files at `commit` (all a project is made of), read from git's objects.

    Listing the tree and reading blobs, rather than `git archive`, sees files that
    `.gitattributes` marks `export-ignore`, and never writes a symlink or a submodule.
    """
    where = [] if inside == "." else ["--", inside]
    listed = _git(top, "ls-tree", "-r", "-z", "--full-tree", commit, *where, binary=True)
    if listed.returncode != 0:
        raise GitError(f"cannot list {inside} at {commit[:12]}: {listed.stderr.decode(errors='replace').strip()}")
    prefix = "" if inside == "." else inside + "/"
    blobs: list[tuple[str, str]] = []
    for entry in listed.stdout.decode("utf-8", errors="surrogateescape").split("\0"):
        meta, _, path = entry.partition("\t")
        if not path.startswith(prefix) or not path.endswith((".yml", ".yaml")):
            continue
        mode, kind, sha = meta.split()
        if kind == "blob" and mode in ("100644", "100755"):
            blobs.append((path[len(prefix):], sha))
    read = _git(top, "cat-file", "--batch", stdin="".join(f"{sha}\n" for _, sha in blobs).encode())
    if read.returncode != 0:
        raise GitError(f"cannot read {inside} at {commit[:12]}: {read.stderr.decode(errors='replace').strip()}")
    data, at = read.stdout, 0
    for relative, _ in blobs:
        header_end = data.index(b"\n", at)
        header = data[at:header_end].split()
        if len(header) != 3:  # `<sha> missing`: a partial clone without that object
            raise GitError(f"cannot read {relative} at {commit[:12]}: git has no copy of it here (fetch it first)")
        size = int(header[2])
        target = into / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data[header_end + 1:header_end + 1 + size])
        at = header_end + 1 + size + 1  # the blob is followed by a newline
