"""Bootstrap resamples of the holdout, shared by every candidate so comparisons are paired.

Resamples are drawn as count matrices (see `metrics`). Time-ordered holdouts use the moving-block
bootstrap, which keeps neighbouring days together: their errors are correlated, and resampling
single days would make the intervals too narrow.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from gonogo.metrics import Array

_CHUNK_CELLS = 4_000_000  # weights held at once: ~32 MB, whatever the holdout size


@dataclass(frozen=True)
class Resampler:
    """`rounds` resamples of `n` rows; blocks of `block` consecutive rows when block > 1."""

    n: int
    rounds: int
    seed: int
    block: int = 1

    @classmethod
    def for_holdout(cls, n: int, rounds: int, seed: int, ordered: bool) -> Resampler:
        """Block length n^(1/3) for ordered data, the usual rate for the moving-block bootstrap."""
        return cls(n, rounds, seed, max(1, round(n ** (1 / 3))) if ordered else 1)

    def head(self, rounds: int) -> Resampler:
        """The first `rounds` of these same resamples (the draws come out in the same order)."""
        return Resampler(self.n, min(rounds, self.rounds), self.seed, self.block)

    def chunks(self) -> Iterator[Array]:
        """Weight matrices, a few hundred resamples at a time; the same every call."""
        rng = np.random.default_rng(self.seed)
        per_chunk = max(1, min(self.rounds, _CHUNK_CELLS // max(self.n, 1)))
        for start in range(0, self.rounds, per_chunk):
            yield self._weights(rng, min(per_chunk, self.rounds - start))

    def _weights(self, rng: np.random.Generator, rows: int) -> Array:
        L, n = min(self.block, self.n), self.n
        blocks = -(-n // L)
        starts = rng.integers(0, n - L + 1, size=(rows, blocks))
        idx = (starts[:, :, None] + np.arange(L)).reshape(rows, -1)[:, :n]
        flat = idx + (np.arange(rows) * n)[:, None]
        return np.bincount(flat.ravel(), minlength=rows * n).reshape(rows, n).astype(np.float64)


def interval(values: Array, level: float = 0.95) -> tuple[float, float]:
    """Percentile interval, ignoring resamples where the metric is undefined."""
    tail = 100 * (1 - level) / 2
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return (float("nan"), float("nan"))
    lo, hi = np.percentile(finite, [tail, 100 - tail])
    return (float(lo), float(hi))
