"""Decisions at a budget: acting on the top k% of the cases by score ("mail 20% of the
customers"), for a binary label.

For each share acted on, the precision (how many acted on are positive), the recall (how many
positives are reached) and the lift (precision over the base rate) of the best model and the
best baseline, each with a paired interval on the run's own resamples: the top k% is taken
again within every resample, so the interval covers the cut moving too. Ties in a score (a
heuristic's hard labels) are broken at random, the same way for every resample, so that a
cut through a tie takes a fair share of it. The confusion matrix is counted at the decision's
own budget (`decision.budget`, else the base rate: as many acted on as there are positives),
not at a 0.5 threshold that means nothing on a 6%-positive label.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gonogo.data.split import Index
from gonogo.evaluation.bootstrap import Resampler, interval
from gonogo.evaluation.compare import Estimate, Stack
from gonogo.metrics import Array

SHARES = (0.05, 0.1, 0.2, 0.3, 0.5)
MEASURES = ("precision", "recall", "lift")


@dataclass(frozen=True)
class AtShare:
    """One candidate acting on the top `share` of the cases."""

    share: float
    role: str
    name: str
    precision: Estimate
    recall: Estimate
    lift: Estimate


@dataclass(frozen=True)
class Confusion:
    """The outcomes of acting on the top `share` of the cases."""

    role: str
    name: str
    true_positive: int
    false_positive: int
    false_negative: int
    true_negative: int


@dataclass(frozen=True)
class Budget:
    """The decision at several budgets, and the confusion at the decision's own (`share`,
    `given` when the spec sets it, else the base rate)."""

    share: float
    given: bool
    rows: list[AtShare]
    confusion: list[Confusion]
    hard: list[str]  # candidates whose scores are hard labels (two values at most)


def at_budget(
    y: Array,
    scores: dict[tuple[str, str], Array],
    stack: Stack,
    resampler: Resampler,
    budget: float | None,
) -> Budget:
    """The budget table of each (role, name) → stacked scores of a binary label `y`."""
    rng = np.random.default_rng(resampler.seed)
    jitter = rng.random(len(y))  # the tie-break, shared by every candidate and resample
    share = budget if budget is not None else float(np.mean(y))
    rows, confusion = [], []
    hard = [name for (_, name), score in scores.items() if len(np.unique(score)) <= 2]
    for (role, name), score in scores.items():
        order = np.lexsort((jitter, -score))
        ranked = y[order]
        rows += _rows(role, name, ranked, stack.position[order], resampler)
        confusion.append(_confusion(role, name, ranked, share))
    rows.sort(key=lambda r: (r.share, r.role != "model"))
    return Budget(share, budget is not None, rows, confusion, hard)


def _rows(
    role: str, name: str, ranked: Array, position: Index, resampler: Resampler
) -> list[AtShare]:
    """Precision, recall and lift at each share, on the whole sample then on each resample."""
    point = _measures(ranked, np.ones((1, len(ranked))))
    draws = [_measures(ranked, W[:, position]) for W in resampler.chunks()]
    out = []
    for i, share in enumerate(SHARES):
        estimates = {
            m: Estimate(
                float(point[m][0, i]), interval(np.concatenate([d[m][:, i] for d in draws]))
            )
            for m in MEASURES
        }
        out.append(AtShare(share, role, name, **estimates))
    return out


def _measures(ranked: Array, W: Array) -> dict[str, Array]:
    """Each measure at each share (columns) under each row of weights; the row at the cut
    counts for the part of it that falls inside."""
    total = W.sum(axis=1, keepdims=True)
    positives = (W * ranked).sum(axis=1, keepdims=True)
    before = np.cumsum(W, axis=1) - W
    out: dict[str, list[Array]] = {m: [] for m in MEASURES}
    with np.errstate(invalid="ignore", divide="ignore"):
        for share in SHARES:
            inside = np.clip(share * total - before, 0.0, W)
            hits = (inside * ranked).sum(axis=1)
            precision = hits / inside.sum(axis=1)
            out["precision"].append(precision)
            out["recall"].append(hits / positives[:, 0])
            out["lift"].append(precision / (positives[:, 0] / total[:, 0]))
    return {m: np.stack(v, axis=1) for m, v in out.items()}


def _confusion(role: str, name: str, ranked: Array, share: float) -> Confusion:
    acted = np.arange(len(ranked)) < round(share * len(ranked))
    positive = ranked == 1
    return Confusion(
        role,
        name,
        int((acted & positive).sum()),
        int((acted & ~positive).sum()),
        int((~acted & positive).sum()),
        int((~acted & ~positive).sum()),
    )
