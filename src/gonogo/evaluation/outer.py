"""Every candidate over every outer split, with the choices nested inside each split.

In each outer split the best model and the best baseline are chosen by that split's inner
cross-validation, never by its test rows. What is evaluated is therefore the procedure "fit the
candidates, keep the best by CV", and its stacked test predictions are honest even when the
choice differs from split to split; the name reported is the one chosen most often.

Once the configurations are chosen, every fit of every split (candidates, ablations, the
learning curve) depends on nothing but them, so each is a job of its own for the worker
processes: one large split shares the cores as well as many small ones do.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from gonogo.candidates.candidate import Candidate
from gonogo.candidates.fitted import FittedCandidate
from gonogo.data.dataset import Dataset
from gonogo.data.split import Fold, Index, Split
from gonogo.evaluation.compare import Stack, split_values
from gonogo.evaluation.decisions import Policy
from gonogo.evaluation.parallel import pmap, workers
from gonogo.evaluation.selection import (
    FACTOR,
    Choice,
    Chosen,
    Fitted,
    Fitter,
    Tick,
    choose,
    halving,
    left_fold,
    survivors,
)
from gonogo.metrics import Array, Metric

CURVE = (0.1, 0.25, 0.5, 1.0)


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


def evaluate(
    fitter: Fitter, candidates: list[Candidate], split: Split, work: Work, tick: Tick
) -> Outcome:
    """Choose settings in every split (once per set of inner folds), then fit, test, ablate,
    shuffle and shrink in every split; `tick(label)` reports each fit."""
    n = workers(len(fitter.ds.y))
    firsts = {fold.selection: fold for fold in split.outer}
    chosen = choose(fitter, candidates, firsts, work.seed, n, tick)
    plan = Plan(fitter, candidates, split, chosen, work)
    jobs = plan.jobs()
    results = pmap(_run_job, plan, jobs, n, lambda _job, _result: tick("outer split"))
    done = dict(zip(jobs, results, strict=True))
    return Outcome(tuple(plan.assemble(i, done) for i in range(len(split.outer))), Stack.of(split))


@dataclass(frozen=True)
class Job:
    """One fit in an outer split: a candidate as chosen (`fit`; the split's best model also
    predicts with columns shuffled), the best model without a group (`without`), or on a
    fraction of the training rows (`curve`)."""

    split: int
    kind: Literal["fit", "without", "curve"]
    candidate: int
    group: str = ""
    fraction: float = 1.0


Shrunk = tuple[float, int, Array]  # a fraction of the training rows, their count, predictions
Done = dict[Job, Any]


@dataclass(frozen=True)
class Plan:
    """What every outer split fits once the configurations are chosen: each fit is a job of
    its own, so that the processes share the work of one large split as well as many small
    ones. The best of each kind is known before anything is fitted: it is the best by inner
    CV, never by the test rows."""

    fitter: Fitter
    candidates: list[Candidate]
    split: Split
    chosen: Chosen
    work: Work

    def choice(self, i: int, j: int) -> Choice:
        return self.chosen[(self.candidates[j].name, self.split.outer[i].selection)]

    def best(self, i: int, kind: str) -> int:
        """The position of the best candidate of a kind in split i, by inner CV; one left at
        halving's first rung is behind every one that went on, whatever its score there."""
        of_kind = (j for j, c in enumerate(self.candidates) if c.kind == kind)
        ranked = self.fitter.ranked({j: self.choice(i, j).inner for j in of_kind})
        return min(ranked, key=lambda j: bool(self.choice(i, j).inner.behind))

    def jobs(self) -> list[Job]:
        """Every split's jobs, the costliest first (as the candidate's inner fits went, per
        training row), so that the processes end together."""
        curves = curve_splits(self.split) if self.work.curve else frozenset()
        out = []
        for i in range(len(self.split.outer)):
            model = self.best(i, "model")
            out += [Job(i, "fit", j) for j in range(len(self.candidates))]
            out += [Job(i, "without", model, group) for group in self.work.drops]
            if i in curves:
                out += [Job(i, "curve", model, fraction=f) for f in CURVE if f < 1]
        return sorted(out, key=lambda job: (-self.cost(job), -self.rows(job)))

    def rows(self, job: Job) -> float:
        left = job.kind == "fit" and self.choice(job.split, job.candidate).inner.behind
        return len(self.split.outer[job.split].train) * job.fraction / (FACTOR if left else 1)

    def cost(self, job: Job) -> float:
        """A job's seconds, foreseen from its candidate's inner fits."""
        return self.choice(job.split, job.candidate).inner.per_row * self.rows(job)

    def run(self, job: Job) -> Any:
        fitter, fold = self.fitter, self.split.outer[job.split]
        cand = self.candidates[job.candidate]
        choice = self.choice(job.split, job.candidate)
        if job.kind == "fit":
            seed = self.work.seed + fold.selection
            trained = left_fold(fold, seed) if choice.inner.behind else fold
            fitted = fitter.select(cand, trained, fitter.ds.features, choice)
            if job.candidate != self.best(job.split, "model"):
                return fitted, {}
            return fitted, _shuffled(fitter, fitted, fold, self.work.shuffles, seed)
        config = cand.configs[choice.index]
        if job.kind == "without":
            return _without(
                fitter, cand, config, fold, set(self.work.drops[job.group]), self.candidates[0]
            )
        return _shrunk(
            fitter, cand, config, fold, job.fraction, (self.split.ordered, self.work.seed)
        )

    def assemble(self, i: int, done: Done) -> SplitRun:
        """Split i's run from its jobs' results, with each role's priced decisions."""
        fold = self.split.outer[i]
        fits = [done[Job(i, "fit", j)] for j in range(len(self.candidates))]
        fitted = tuple(f for f, _ in fits)
        model, baseline = self.best(i, "model"), self.best(i, "baseline")
        ablations = {g: done[Job(i, "without", model, g)] for g in self.work.drops}
        shrunk = [done.get(Job(i, "curve", model, fraction=f)) for f in CURVE if f < 1]
        curve = [p for p in shrunk if p is not None]
        if Job(i, "curve", model, fraction=CURVE[0]) in done and _trainable(
            self.fitter.ds, fold.train
        ):
            curve.append((1.0, len(fold.train), fitted[model].test))
        roles = {"model": fitted[model], "baseline": fitted[baseline], "constant": fitted[0]}
        policy = self.work.policy
        decided = _decide(policy, self.fitter.ds.y, fold, roles) if policy else {}
        return SplitRun(
            fitted,
            fitted[model],
            fitted[baseline],
            ablations,
            fits[model][1],
            tuple(curve),
            decided,
        )


def _run_job(plan: Plan, job: Job) -> Any:
    return plan.run(job)


def curve_splits(split: Split) -> frozenset[int]:
    """Where the learning curve is drawn: the latest origin of a time-ordered comparison (the
    longest history), else every split of the first pass (each row tested once)."""
    if split.ordered:
        return frozenset({len(split.outer) - 1})
    return frozenset(i for i, fold in enumerate(split.outer) if not fold.repeat)


def fits(candidates: list[Candidate], split: Split, work: Work) -> int:
    """Fits `evaluate` makes, for a progress bar."""
    firsts = {fold.selection: fold for fold in split.outer}
    per_split = len(candidates) + len(work.drops)
    curves = len(curve_splits(split)) if work.curve else 0
    return (
        sum(_inner_fits(c, fold) for c in candidates for fold in firsts.values())
        + per_split * len(split.outer)
        + (len(CURVE) - 1) * curves
    )


def _inner_fits(cand: Candidate, fold: Fold) -> int:
    k = len(cand.configs)
    configs = k + survivors(k) if k > 1 and halving(fold) else k
    return configs * len(fold.inner)


def _decide(policy: Policy, y: Array, fold: Fold, roles: dict[str, Fitted]) -> dict[str, Decided]:
    """Each role's policy tuned on its inner validation predictions (the outer test rows are
    never seen), then applied to its test predictions. A binary constant ranks no one: its
    inner folds' slightly different rates would rank their rows, and a cut between them would
    leave its one test value on either side by chance, so it is tuned on that one value."""
    seen = np.concatenate([val for _, val in fold.inner]) if fold.inner else np.empty(0, np.intp)
    out = {}
    for role, f in roles.items():
        inner = f.inner.predictions
        if role == "constant" and policy.task == "binary" and len(f.test):
            inner = np.broadcast_to(f.test[:1], inner.shape)
        parameter = policy.tune(y[seen], inner)
        out[role] = Decided(parameter, policy.decide(f.test, parameter))
    return out


def _without(
    fitter: Fitter,
    cand: Candidate,
    config: dict[str, Any],
    fold: Fold,
    drop: set[str],
    constant: Candidate,
) -> Array:
    """The best model refitted without the `drop` columns; the constant when none is left."""
    columns = [c for c in fitter.ds.features if c not in drop]
    cand, config = (cand, config) if columns else (constant, {})
    return fitter.fit_predict(cand, config, fold.train, fold.test, columns)


def _subset(fold: Fold, fraction: float, ordered: bool, seed: int) -> Index:
    k = max(1, round(len(fold.train) * fraction))
    if ordered:
        return fold.train[-k:]  # the most recent rows: what a shorter history would have been
    return np.sort(np.random.default_rng(seed).permutation(fold.train)[:k])


def _trainable(ds: Dataset, rows: Index) -> bool:
    """Whether a model can learn from `rows`: any label for regression, two classes or more."""
    return ds.task == "regression" or len(np.unique(ds.y[rows])) > 1


def _shrunk(
    fitter: Fitter,
    cand: Candidate,
    config: dict[str, Any],
    fold: Fold,
    fraction: float,
    how: tuple[bool, int],
) -> Shrunk | None:
    """The best model trained on a fraction of the split's training rows (the most recent
    ones when `how[0]`, the rows are time-ordered; else a random draw seeded `how[1]`); None
    when those rows hold a single class."""
    ds = fitter.ds
    rows = _subset(fold, fraction, *how)
    if not _trainable(ds, rows):
        return None
    return fraction, len(rows), fitter.fit_predict(cand, config, rows, fold.test, ds.features)


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
