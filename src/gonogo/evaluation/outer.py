"""Every candidate over every outer split, with the choices nested inside each split.

In each outer split the best model and the best baseline are chosen by that split's inner
cross-validation, never by its test rows. What is evaluated is therefore the procedure "fit the
candidates, keep the best by CV", and its stacked test predictions are honest even when the
choice differs from split to split; the name reported is the one chosen most often.

The work of one split (fits, ablations, shuffles, learning curve) depends on nothing of the
others, so splits run in parallel worker processes on tables large enough to pay for it.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import pandas as pd

from gonogo.candidates.candidate import Candidate
from gonogo.candidates.fitted import FittedCandidate
from gonogo.data.split import Fold, Index, Split
from gonogo.evaluation.compare import Stack, split_values
from gonogo.evaluation.decisions import Policy
from gonogo.evaluation.selection import Choice, Fitted, Fitter, Inner
from gonogo.metrics import Array, Metric

CURVE = (0.1, 0.25, 0.5, 1.0)
PARALLEL_FROM = 500  # labeled rows from which splits run in worker processes
PARALLEL_BELOW = 50_000  # above, gradient boosting's own threads use the cores instead
T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class CurvePoint:
    """The best model's score when trained on a fraction of each split's training rows."""

    fraction: float
    rows: int
    value: float


@dataclass(frozen=True)
class Work:
    """What to compute in every split besides the candidates: the best model without each
    group (`drops`), with each set of columns shuffled (`shuffles`), on less data, and the
    priced decisions of the best model, the best baseline and the constant (`policy`)."""

    drops: dict[str, tuple[str, ...]]
    shuffles: dict[str, tuple[str, ...]]
    seed: int
    curve: bool = True
    policy: Policy | None = None


@dataclass(frozen=True)
class Decided:
    """A policy's parameter, tuned on the split's inner predictions, and its test decisions."""

    parameter: float
    decisions: Array


@dataclass(frozen=True)
class SplitRun:
    """One outer split's results: each candidate fitted, the best of each kind (by inner CV),
    and the best model's test predictions without a group, shuffled, or on less data."""

    fitted: tuple[Fitted, ...]
    model: Fitted
    baseline: Fitted
    ablations: dict[str, Array]
    shuffled: dict[str, Array]
    curve: tuple[tuple[float, int, Array], ...]
    decided: dict[str, Decided]


@dataclass(frozen=True)
class SplitFits:
    """One outer split's test rows, every candidate as fitted on its training rows, and its
    predictions for the test rows."""

    test: Index
    candidates: dict[str, FittedCandidate]
    predictions: dict[str, Array]


@dataclass(frozen=True)
class Outcome:
    """Every outer split's run, and how their test rows stack."""

    runs: tuple[SplitRun, ...]
    stack: Stack

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.runs[0].fitted]

    def candidate(self, name: str) -> Array:
        i = self.names.index(name)
        return np.concatenate([run.fitted[i].test for run in self.runs])

    def model(self) -> Array:
        return np.concatenate([run.model.test for run in self.runs])

    def baseline(self) -> Array:
        return np.concatenate([run.baseline.test for run in self.runs])

    def ablation(self, group: str) -> Array:
        return np.concatenate([run.ablations[group] for run in self.runs])

    def shuffled(self, name: str) -> Array:
        return np.concatenate([run.shuffled[name] for run in self.runs])

    def decisions(self, role: str) -> Array:
        return np.concatenate([run.decided[role].decisions for run in self.runs])

    def parameters(self, role: str) -> tuple[float, ...]:
        return tuple(run.decided[role].parameter for run in self.runs)

    def fits(self, split: Split) -> tuple[SplitFits, ...]:
        """Each outer split's fitted candidates, with the rows they were tested on."""
        return tuple(
            SplitFits(
                fold.test,
                {f.name: f.estimator for f in run.fitted},
                {f.name: f.test for f in run.fitted},
            )
            for run, fold in zip(self.runs, split.outer, strict=True)
        )

    def choices(self, kind: str) -> Counter[str]:
        """How often each candidate of a kind was the best, over the outer splits."""
        return Counter((run.model if kind == "model" else run.baseline).name for run in self.runs)

    def best(self, kind: str) -> str:
        """The candidate of a kind chosen most often (the first in the spec on a tie)."""
        counts = self.choices(kind)
        return max(counts, key=lambda name: (counts[name], -self.names.index(name)))


def most_frequent(values: Sequence[object]) -> int:
    """The position of the value that occurs most often (its first occurrence; the earliest
    such value on a tie)."""
    return max(range(len(values)), key=lambda j: (values.count(values[j]), -j))


def _best(fits: Sequence[Fitted], kind: str, metric: Metric) -> Fitted:
    """The best of a kind by inner cross-validation, never by the test rows."""
    sign = 1.0 if metric.greater_is_better else -1.0
    return max(
        (f for f in fits if f.kind == kind),
        key=lambda f: sign * f.cv if np.isfinite(f.cv) else -np.inf,
    )


def workers(rows: int) -> int:
    """Worker processes for a table of `rows` labeled rows (1: in this process)."""
    if not PARALLEL_FROM <= rows < PARALLEL_BELOW:
        return 1
    return max(1, min(os.cpu_count() or 1, int(os.environ.get("GONOGO_WORKERS", "2"))))


def pmap(fn: Callable[[T], R], items: Sequence[T], n: int, done: Callable[[T, R], None]) -> list[R]:
    """`fn` over `items`, in order, in `n` worker processes when n > 1; `done(item, result)`
    is called here as each result arrives."""
    if n <= 1 or len(items) <= 1:
        results = (fn(item) for item in items)
    else:
        from joblib import Parallel, delayed

        parallel = Parallel(n_jobs=min(n, len(items)), backend="loky", return_as="generator")
        results = parallel(delayed(fn)(item) for item in items)
    out = []
    for item, result in zip(items, results, strict=True):
        done(item, result)
        out.append(result)
    return out


Tick = Callable[[str, int], None]


def evaluate(
    fitter: Fitter, candidates: list[Candidate], split: Split, work: Work, tick: Tick
) -> Outcome:
    """Choose settings in every split (once per set of inner folds), then fit, test, ablate,
    shuffle and shrink in every split; `tick(label, fits)` reports progress."""
    n = workers(len(fitter.ds.y))
    columns = fitter.ds.features
    firsts = {fold.selection: fold for fold in split.outer}
    keys = [(c, s, i) for c in candidates for s in firsts for i in range(len(c.configs))]
    scores = pmap(
        lambda key: fitter.cv(key[0], key[2], firsts[key[1]], columns),
        keys,
        n,
        lambda key, _: tick(key[0].name, len(firsts[key[1]].inner)),
    )
    by: dict[tuple[str, int], list[Inner]] = {}
    for (c, s, _), score in zip(keys, scores, strict=True):
        by.setdefault((c.name, s), []).append(score)
    chosen = {key: fitter.pick(cv) for key, cv in by.items()}
    curves = curve_splits(split) if work.curve else frozenset()

    def one(i: int) -> SplitRun:
        return run_split(
            fitter, candidates, split.outer[i], chosen, work, (i in curves, split.ordered)
        )

    runs = pmap(one, list(range(len(split.outer))), n, lambda _, r: tick("outer split", _fits(r)))
    return Outcome(tuple(runs), Stack.of(split))


def curve_splits(split: Split) -> frozenset[int]:
    """Where the learning curve is drawn: the latest origin of a time-ordered comparison (the
    longest history), else every split of the first pass (each row tested once)."""
    if split.ordered:
        return frozenset({len(split.outer) - 1})
    return frozenset(i for i, fold in enumerate(split.outer) if not fold.repeat)


def fits(candidates: list[Candidate], split: Split, work: Work) -> int:
    """Fits `evaluate` makes, for a progress bar."""
    inner = {fold.selection: len(fold.inner) for fold in split.outer}
    per_split = len(candidates) + len(work.drops)
    curves = len(curve_splits(split)) if work.curve else 0
    return (
        sum(len(c.configs) for c in candidates) * sum(inner.values())
        + per_split * len(split.outer)
        + (len(CURVE) - 1) * curves
    )


def _fits(run: SplitRun) -> int:
    return len(run.fitted) + len(run.ablations) + max(0, len(run.curve) - 1)


def run_split(
    fitter: Fitter,
    candidates: list[Candidate],
    fold: Fold,
    chosen: dict[tuple[str, int], Choice],
    work: Work,
    curve: tuple[bool, bool],
) -> SplitRun:
    """Everything one outer split computes; `curve`: whether to draw the learning curve here,
    and whether the rows are time-ordered (then shorter histories keep the recent rows)."""
    columns = fitter.ds.features
    fitted = tuple(
        fitter.select(c, fold, columns, chosen[(c.name, fold.selection)]) for c in candidates
    )
    model = _best(fitted, "model", fitter.metric)
    baseline = _best(fitted, "baseline", fitter.metric)
    ablations = {
        group: _without(fitter, model, fold, set(drop), candidates[0])
        for group, drop in work.drops.items()
    }
    shuffled = _shuffled(fitter, model, fold, work.shuffles, work.seed + fold.selection)
    shrunk = _curve(fitter, model, fold, curve[1], work.seed) if curve[0] else ()
    roles = {"model": model, "baseline": baseline, "constant": fitted[0]}
    decided = _decide(work.policy, fitter.ds.y, fold, roles) if work.policy else {}
    return SplitRun(fitted, model, baseline, ablations, shuffled, shrunk, decided)


def _decide(policy: Policy, y: Array, fold: Fold, roles: dict[str, Fitted]) -> dict[str, Decided]:
    """Each role's policy tuned on its inner validation predictions (the outer test rows are
    never seen), then applied to its test predictions."""
    seen = np.concatenate([val for _, val in fold.inner]) if fold.inner else np.empty(0, np.intp)
    out = {}
    for role, f in roles.items():
        parameter = policy.tune(y[seen], f.inner.predictions)
        out[role] = Decided(parameter, policy.decide(f.test, parameter))
    return out


def _without(
    fitter: Fitter, best: Fitted, fold: Fold, drop: set[str], constant: Candidate
) -> Array:
    """The best model refitted without the `drop` columns; the constant when none is left."""
    columns = [c for c in fitter.ds.features if c not in drop]
    cand, config = (best.candidate, best.config) if columns else (constant, {})
    return fitter.fit_predict(cand, config, fold.train, fold.test, columns)


def _subset(fold: Fold, fraction: float, ordered: bool, seed: int) -> Index:
    k = max(1, round(len(fold.train) * fraction))
    if ordered:
        return fold.train[-k:]  # the most recent rows: what a shorter history would have been
    return np.sort(np.random.default_rng(seed).permutation(fold.train)[:k])


def _curve(
    fitter: Fitter, best: Fitted, fold: Fold, ordered: bool, seed: int
) -> tuple[tuple[float, int, Array], ...]:
    """The best model trained on growing fractions of the split's training rows."""
    ds, out = fitter.ds, []
    for fraction in CURVE:
        rows = _subset(fold, fraction, ordered, seed)
        if ds.task != "regression" and len(np.unique(ds.y[rows])) < 2:
            continue
        if len(rows) == len(fold.train):
            pred = best.test
        else:
            pred = fitter.fit_predict(best.candidate, best.config, rows, fold.test, ds.features)
        out.append((fraction, len(rows), pred))
    return tuple(out)


Drawn = list[tuple[SplitRun, Fold]]


def curve_drawn(outcome: Outcome, split: Split) -> tuple[Drawn, list[float]]:
    """The splits that drew the learning curve, and the fractions every one of them could use."""
    drawn = [(run, fold) for run, fold in zip(outcome.runs, split.outer, strict=True) if run.curve]
    if not drawn:
        return [], []
    common = set.intersection(*({p[0] for p in run.curve} for run, _ in drawn))
    return drawn, sorted(common)


def curve_point(drawn: Drawn, fraction: float) -> tuple[float, Array]:
    """One fraction's mean training rows over the drawn splits, and its stacked predictions."""
    points = [next(p for p in run.curve if p[0] == fraction) for run, _ in drawn]
    return float(np.mean([p[1] for p in points])), np.concatenate([p[2] for p in points])


def learning_curve(outcome: Outcome, split: Split, y: Array, metric: Metric) -> list[CurvePoint]:
    """Each fraction's score over the splits that drew the curve, weighted by their rows."""
    drawn, fractions = curve_drawn(outcome, split)
    if not drawn:
        return []
    stack = Stack.of_folds([fold for _, fold in drawn])
    sizes = [len(fold.test) for _, fold in drawn]
    points = []
    for fraction in fractions:
        used, pred = curve_point(drawn, fraction)
        values = split_values(metric, y[stack.rows], pred, stack)
        points.append(CurvePoint(fraction, round(used), float(np.average(values, weights=sizes))))
    return points


def _shuffled(
    fitter: Fitter, best: Fitted, fold: Fold, sets: dict[str, tuple[str, ...]], seed: int
) -> dict[str, Array]:
    """The best model's test predictions with each set of columns shuffled among the test rows
    (one shuffle per split, shared by every set, so that they compare)."""
    X = fitter.frame(best.candidate, fold.test, fitter.ds.features)
    order = np.random.default_rng(seed).permutation(len(X))
    return {
        name: best.estimator.predict_inputs(_permuted(X, columns, order))
        for name, columns in sets.items()
    }


def _permuted(X: pd.DataFrame, columns: tuple[str, ...], order: Index) -> pd.DataFrame:
    out = X.copy()
    for c in columns:
        out[c] = X[c].iloc[order].set_axis(X.index)
    return out
