"""How alike a typed name is to the names a person may read: every name's score, or only the
best few of a big list, found without scoring every name.

A score is the better of rapidfuzz's ``ratio`` and ``token_sort_ratio`` (0..100): 100 × (1 −
d / (a + b)), d the insertions and deletions that turn one text into the other (the words sorted
first, for the second), a and b their lengths. Each insertion or deletion changes how often one
character occurs by one, and sorting words changes no count, so d is at least a + b − 2c, c the
characters (with repeats) the two texts have in common, and neither score can exceed
``200 × c / (a + b)``. `CharCounts` holds, for a big list, a byte per name and character group
(counts of a group can only share more than those of its characters, so the bound holds); a
query's bound for every name is then a few passes of numpy over a byte per name, and only the
names whose bound reaches the best few's scores are scored at all (`best_scores`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from rapidfuzz import fuzz, process

SUGGESTION_MIN = 50.0  # scores below this are not a likeness worth showing
_LETTERS = "abcdefghijklmnopqrstuvwxyz0123456789 "
_OTHER_GROUPS = 3  # every other character falls in one of these groups, by code point
GROUPS = len(_LETTERS) + _OTHER_GROUPS
_ASCII_GROUP = np.array(
    [
        _LETTERS.index(chr(c)) if chr(c) in _LETTERS else len(_LETTERS) + c % _OTHER_GROUPS
        for c in range(128)
    ],
    dtype=np.int64,
)
_CHUNK = 8192  # names counted at a time (a few MB of temporary arrays)
_MOST = 255  # counts are bytes: a longer query is scored against every name
_FIRST_SCORED = 64  # the best bounds scored first, to learn how high the best few score
_ROUNDING = 1e-3  # a bound equal to a score may come out a hair lower (in float32)


def _groups(text: str) -> np.ndarray:
    points = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(
        np.int64
    )
    ascii_group = _ASCII_GROUP[np.minimum(points, 127)]
    return np.where(points < 128, ascii_group, len(_LETTERS) + points % _OTHER_GROUPS)


class CharCounts:
    """How often each character group occurs in each of ``keys``, and their lengths."""

    def __init__(self, keys: Sequence[str]) -> None:
        lengths = np.fromiter(map(len, keys), dtype=np.int64, count=len(keys))
        self._lengths = lengths.astype(np.float32)
        self.counts = np.zeros((GROUPS, len(keys)), dtype=np.uint8)  # a row per group
        for first in range(0, len(keys), _CHUNK):
            part = keys[first : first + _CHUNK]
            owner = np.repeat(np.arange(len(part)), lengths[first : first + len(part)])
            cells = _groups("".join(part)) * len(part) + owner  # (group, name), row by row
            tally = np.bincount(cells, minlength=GROUPS * len(part))
            self.counts[:, first : first + len(part)] = np.minimum(tally, _MOST).reshape(
                GROUPS, len(part)
            )

    def __len__(self) -> int:
        return len(self._lengths)

    def bounds(self, query: str) -> np.ndarray:
        """The highest score each name could have against ``query`` (at most 255 characters:
        the characters in common are added up in a byte)."""
        wanted = np.bincount(_groups(query), minlength=GROUPS).astype(np.uint8)
        common = np.zeros(len(self), dtype=np.uint8)
        least = np.empty_like(common)
        for group in np.flatnonzero(wanted):
            np.minimum(self.counts[group], wanted[group : group + 1], out=least)
            common += least
        return common * np.float32(200.0) / (self._lengths + np.float32(max(len(query), 1)))


def _scores(query: str, keys: Sequence[str]) -> np.ndarray:
    """Every key's score, 0 for those below SUGGESTION_MIN; rapidfuzz in C, no Python per key."""
    return np.maximum(
        *(
            process.cdist(
                [query],
                keys,
                scorer=scorer,
                processor=None,
                score_cutoff=SUGGESTION_MIN,
                dtype=np.float64,
            )[0]
            for scorer in (fuzz.ratio, fuzz.token_sort_ratio)
        )
    )


def _kept(scores: dict[int, float], best: int | None) -> dict[int, float]:
    """Those at or above SUGGESTION_MIN (with ``best``: scoring at least the ``best``-th
    highest, ties included)."""
    hits = {index: score for index, score in scores.items() if score >= SUGGESTION_MIN}
    if best is not None and len(hits) > best:
        floor = sorted(hits.values(), reverse=True)[best - 1]
        hits = {index: score for index, score in hits.items() if score >= floor}
    return hits


def fuzzy_scores(query: str, keys: Sequence[str], *, best: int | None = None) -> dict[int, float]:
    """How alike ``query`` is to every key, by position, for the keys at or above
    SUGGESTION_MIN (with ``best``: only those scoring at least the ``best``-th highest score,
    ties included)."""
    if not keys:
        return {}
    scores = _scores(query, keys)
    return _kept({int(i): float(scores[i]) for i in np.flatnonzero(scores)}, best)


def best_scores(
    query: str, keys: Sequence[str], counts: CharCounts, *, best: int
) -> dict[int, float]:
    """``fuzzy_scores(query, keys, best=best)``, scoring only the names that could be among
    them: the best bounds first, then every name whose bound reaches the ``best``-th score
    found (or SUGGESTION_MIN while fewer than ``best`` reach it)."""
    if len(keys) <= _FIRST_SCORED or len(query) > _MOST:
        return fuzzy_scores(query, keys, best=best)
    bounds = counts.bounds(query)
    # the highest whole bound that at least _FIRST_SCORED names reach (a histogram, where a
    # partition would crawl over a book of equal bounds), and those names
    reaching = np.cumsum(np.bincount(bounds.astype(np.int64), minlength=101)[::-1])[::-1]
    enough = np.flatnonzero(reaching >= _FIRST_SCORED)  # whole bounds that many names reach
    high = max(float(enough[-1]) if len(enough) else 0.0, SUGGESTION_MIN)
    first = np.flatnonzero(bounds >= high)[: _FIRST_SCORED * 4]
    found = _scores(query, [keys[i] for i in first])
    scores = {int(i): float(s) for i, s in zip(first, found, strict=True) if s}
    so_far = _kept(scores, best)
    floor = min(so_far.values()) if len(so_far) >= best else SUGGESTION_MIN
    scored = set(first.tolist())
    rest = [i for i in np.flatnonzero(bounds >= floor - _ROUNDING).tolist() if i not in scored]
    if rest:
        found = _scores(query, [keys[i] for i in rest])
        scores |= {i: float(s) for i, s in zip(rest, found, strict=True) if s}
    return _kept(scores, best)
