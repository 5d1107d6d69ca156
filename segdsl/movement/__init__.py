"""Movement between evaluations: who moved from which tier, key and segment to which.

Input: `eval` output folders, or points of a history file (`segdsl eval --history`).
Output: `compare(old, new) -> Movement` (transition matrices per layer and microsegment, entered /
left / stayed per segment) and `paths(history, ...) -> Series` (each entity's path through a
layer's tiers over the points, the most common paths, the mean time in each tier); the
renderers in `render.py` turn either into text, JSON, CSV or markdown.

    from segdsl import movement
    m = movement.compare(movement.from_folder("out/2026-01-01"), movement.from_folder("out/2026-02-01"))
    m.layers["lifecycle"]        # [Transition(from_label, to_label, count, share), ...]
"""

from __future__ import annotations

import os
from pathlib import Path

from segdsl.movement import transitions
from segdsl.movement.transitions import (APPEARED, DISAPPEARED, NONE_LABEL, Movement, SegmentMovement, Totals,
                                     Transition)
from segdsl.movement.series import Duration, LayerSeries, PathCount, Series, entity_paths, paths
from segdsl.movement.snapshots import Snapshot, SnapshotError, from_folder, from_history

__all__ = ["APPEARED", "DISAPPEARED", "NONE_LABEL", "Duration", "LayerSeries", "Movement", "PathCount",
           "SegmentMovement", "Series", "Snapshot", "SnapshotError", "Totals", "Transition", "compare",
           "entity_paths", "from_folder", "from_history", "paths"]


def compare(old: Snapshot | str | os.PathLike, new: Snapshot | str | os.PathLike) -> Movement:
    """The movement from `old` to `new`; a path stands for the eval output folder there."""
    return transitions.compare(_snapshot(old), _snapshot(new))


def _snapshot(value: Snapshot | str | os.PathLike) -> Snapshot:
    return value if isinstance(value, Snapshot) else from_folder(Path(value))
