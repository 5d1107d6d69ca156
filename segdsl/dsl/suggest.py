"""Did-you-mean suggestions for unknown names.

Input: a name the user wrote (a field, metric, source or segment that does not exist) and the
names that do exist.
Output: the closest existing name, or None when nothing is close enough to be worth showing;
`suggestion_text` formats it for a diagnostic message (` (did you mean 'industry'?)`).

Similarity is difflib's `SequenceMatcher.ratio()` on lower-cased names, so `Industry` finds
`industry` and a dropped or doubled letter (`industy`, `ordrs`) scores about 0.9.
"""

from __future__ import annotations

from collections.abc import Iterable
from difflib import SequenceMatcher

CUTOFF = 0.6
"""Lowest ratio still suggested (difflib's own default). Measured on typical rule names: typos
score 0.9 and above, a name missing its suffix (`spend` for `spend_365d`) about 0.67, and
unrelated names (`gender` for `age`, `city` for `country`) below 0.55."""


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    """The candidate closest to `name`, or None if none reaches `CUTOFF`.

    A candidate equal to `name` is skipped: it cannot be the correction of itself. Ties go to
    the alphabetically first candidate, so the answer does not depend on the iteration order of
    a set.
    """
    matcher = SequenceMatcher(autojunk=False)
    # SequenceMatcher caches what it learns about its second sequence, so the typed name goes
    # there and each candidate is swapped in as the first.
    matcher.set_seq2(name.lower())
    best: tuple[float, str] | None = None
    for candidate in sorted(set(candidates)):
        if candidate == name:
            continue
        matcher.set_seq1(candidate.lower())
        # The quick upper bounds reject most candidates without the full comparison.
        if matcher.real_quick_ratio() < CUTOFF or matcher.quick_ratio() < CUTOFF:
            continue
        score = matcher.ratio()
        if score >= CUTOFF and (best is None or score > best[0]):
            best = (score, candidate)
    return None if best is None else best[1]


def suggestion_text(name: str, candidates: Iterable[str]) -> str:
    """` (did you mean 'x'?)` to append to a message, or `""` when there is no suggestion."""
    match = did_you_mean(name, candidates)
    return "" if match is None else f" (did you mean '{match}'?)"
