"""How far a column's distribution moved: one number per column, with the test that gave it.

Numbers: the Wasserstein distance between the two samples, in units of the reference's
standard deviation (0.1 means the mass moved a tenth of a standard deviation on average).
Categories: the Jensen-Shannon distance between the level shares (0 same, 1 disjoint), with
unseen levels counted. Both follow Evidently's defaults for large samples, whose threshold (0.1
in either unit) is the spec's `gate.drift`.

A small span's distance is noisy (a thousand rows over fifty states stray 0.1 by chance), so a
column drifts only when its distance also exceeds what samples of the same size drawn from the
training data reach in 95% of draws.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from gonogo.data.statistics import ColumnStats

DRAWS = 40


@dataclass(frozen=True)
class Drift:
    column: str
    method: str  # "wasserstein/std" or "jensen-shannon"
    distance: float
    chance: float  # the distance that same-size samples of the training data stay under (95%)

    def beyond(self, threshold: float) -> bool:
        return self.distance > max(threshold, self.chance)


def _numeric(reference: ColumnStats, current: ColumnStats, rng: np.random.Generator) -> Drift:
    from scipy.stats import wasserstein_distance

    scale = reference.std or 1.0

    def distance(values: np.ndarray[Any, np.dtype[np.float64]]) -> float:
        return float(wasserstein_distance(reference.sample, values) / scale)

    n = len(current.sample)
    chance = [distance(rng.choice(reference.sample, n)) for _ in range(DRAWS)]
    return Drift(reference.name, "wasserstein/std", distance(current.sample), _upper(chance))


def _categorical(reference: ColumnStats, current: ColumnStats, rng: np.random.Generator) -> Drift:
    from scipy.spatial.distance import jensenshannon

    levels = sorted(set(reference.counts) | set(current.counts))
    p = np.array([reference.counts.get(v, 0) for v in levels] + [reference.other], float)
    q = np.array([current.counts.get(v, 0) for v in levels] + [current.other], float)
    p /= p.sum()

    def distance(counts: np.ndarray[Any, np.dtype[np.float64]]) -> float:
        return float(jensenshannon(p, counts / counts.sum(), base=2))

    n = int(q.sum())
    chance = [distance(rng.multinomial(n, p).astype(float)) for _ in range(DRAWS)]
    return Drift(reference.name, "jensen-shannon", distance(q), _upper(chance))


def _upper(values: list[float]) -> float:
    return float(np.quantile(values, 0.95))


def drift(reference: ColumnStats, current: ColumnStats, seed: int = 0) -> Drift | None:
    """The column's drift, or None when either side has no values to compare."""
    rng = np.random.default_rng(seed)
    if reference.kind == "text":
        if not sum(reference.counts.values()) or not sum(current.counts.values()):
            return None
        return _categorical(reference, current, rng)
    if not len(reference.sample) or not len(current.sample):
        return None
    return _numeric(reference, current, rng)
