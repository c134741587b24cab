"""The PoC: test the premise that ML is worth it, and conclude with a verdict.

Frame → checks → candidates (chosen by CV on the training part) → holdout estimates with
paired bootstrap intervals → hypotheses as ablations → slices and learning curve → verdict →
suggestions for the next iteration.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import Any

import numpy as np
import pandas as pd

from gonogo.candidates.candidate import Candidate, assemble
from gonogo.checks import DATA_CHECKS, LABEL_CHECKS, Finding, run_checks
from gonogo.data.dataset import Dataset, load
from gonogo.data.split import Index, Split, make_split
from gonogo.evaluation.bootstrap import Resampler
from gonogo.evaluation.compare import Estimate, Scores, score_all
from gonogo.evaluation.metrics import DEFAULT_METRIC, METRICS, Array, Metric
from gonogo.evaluation.selection import Fitted, Fitter, count_fits
from gonogo.evaluation.slices import SliceRow, slice_rows, worst
from gonogo.problem import Hypothesis, Problem
from gonogo.refine import suggest
from gonogo.result import (
    CandidateResult,
    CurvePoint,
    DataSummary,
    Holdout,
    HypothesisResult,
    Result,
)
from gonogo.verdict import Evidence, decide

Progress = Callable[[str, int], None]
CURVE = (0.1, 0.25, 0.5, 1.0)
SINGLE_THREAD_BELOW = 50_000


def _summary(ds: Dataset, split: Split) -> DataSummary:
    return DataSummary(
        len(ds.y),
        len(split.train),
        len(split.holdout),
        split.strategy,
        ds.task,
        ds.classes,
        ds.label,
        ds.time,
        ds.entity,
        ds.groups,
    )


def _best(fitted: list[Fitted], kind: str, metric: Metric) -> Fitted:
    """The best of a kind by cross-validation on the training part, never by the holdout."""
    sign = 1.0 if metric.greater_is_better else -1.0
    return max(
        (f for f in fitted if f.kind == kind),
        key=lambda f: sign * f.cv if np.isfinite(f.cv) else -np.inf,
    )


def _outcome(effect: Estimate, min_effect: float) -> str:
    if effect.ci[0] > 0:
        return "supported"
    return "not-supported" if effect.ci[1] < min_effect else "inconclusive"


def _ablate(
    fitter: Fitter, best: Fitted, constant: Candidate, hyp: Hypothesis, ds: Dataset, split: Split
) -> Array:
    """Holdout predictions of the best model's configuration without the hypothesis' group;
    without any feature left, that is the constant baseline."""
    drop = set(ds.groups[hyp.group])
    columns = [c for c in ds.features if c not in drop]
    cand, config = (best.candidate, best.config) if columns else (constant, {})
    return fitter.fit_predict(cand, config, split.train, split.holdout, columns)


def _curve_rows(split: Split, fraction: float, seed: int) -> Index:
    train = split.train
    k = max(1, round(len(train) * fraction))
    if split.ordered:
        return train[-k:]
    return np.sort(np.random.default_rng(seed).permutation(train)[:k])


def _learning_curve(
    fitter: Fitter, best: Fitted, ds: Dataset, split: Split, seed: int
) -> list[CurvePoint]:
    points = []
    for fraction in CURVE:
        rows = _curve_rows(split, fraction, seed)
        if ds.task != "regression" and len(np.unique(ds.y[rows])) < 2:
            continue
        pred = (
            best.holdout
            if len(rows) == len(split.train)
            else fitter.fit_predict(best.candidate, best.config, rows, split.holdout, ds.features)
        )
        points.append(
            CurvePoint(fraction, len(rows), fitter.metric.value(ds.y[split.holdout], pred))
        )
    return points


def _curve_gain(metric: Metric, curve: list[CurvePoint]) -> float | None:
    by = {p.fraction: p.value for p in curve}
    if 0.5 not in by or 1.0 not in by:
        return None
    return float(metric.gain(by[1.0], by[0.5]))


def _worst_rows(ds: Dataset, split: Split, pred: Array) -> pd.DataFrame:
    pos = worst(ds.y[split.holdout], pred, ds.task)
    shown = [c for c in [ds.time, ds.entity] if c] + ds.features[:12]
    rows = ds.frame.iloc[split.holdout[pos]]
    out = rows[[ds.label, *shown]].copy()
    out.insert(
        1,
        "prediction",
        pred[pos] if pred.ndim == 1 else [ds.classes[i] for i in pred[pos].argmax(1)],
    )
    return out


class _Run:
    """One run's state while it is being computed."""

    def __init__(self, problem: Problem, ds: Dataset, progress: Progress | None) -> None:
        self.problem, self.ds = problem, ds
        self.split = make_split(problem, ds)
        self.metric = METRICS[problem.metric or DEFAULT_METRIC[ds.task]]
        self.candidates = assemble(problem, ds, self.metric, self.split.ordered)
        total = count_fits(self.candidates, self.split) + len(problem.hypotheses) + len(CURVE) - 1
        tick = (lambda label: progress(label, total)) if progress else None
        self.fitter = Fitter(ds, self.metric, tick)

    def findings(self) -> list[Finding]:
        """Label checks, then (unless the label blocks) every data check: a blocked run still
        lists everything there is to fix, but fits nothing."""
        p, ds, split = self.problem, self.ds, self.split
        found = run_checks(LABEL_CHECKS, p, ds, split)
        if not split.folds and not any(f.severity == "block" for f in found):
            found.append(
                Finding(
                    "label.too_few",
                    "block",
                    f"{len(split.train)} training rows cannot "
                    f"make {p.split.folds} cross-validation folds",
                )
            )
        if any(f.severity == "block" for f in found):
            return found
        return found + run_checks(DATA_CHECKS, p, ds, split)

    def compute(self) -> Result:
        findings = self.findings()
        summary = _summary(self.ds, self.split)
        if any(f.severity == "block" for f in findings):
            result = Result(self.problem, summary, self.metric, findings, decide(findings, None))
            result.refine = suggest(self.problem, self.ds, result, None)
            return result
        fitted = [self.fitter.select(c, self.split, self.ds.features) for c in self.candidates]
        model = _best(fitted, "model", self.metric)
        baseline = _best(fitted, "baseline", self.metric)
        scores = self._scores(fitted, model)
        curve = _learning_curve(self.fitter, model, self.ds, self.split, self.problem.seed)
        evidence = self._evidence(scores, model, baseline, curve)
        result = Result(
            self.problem,
            summary,
            self.metric,
            findings,
            decide(findings, evidence),
            candidates=[
                CandidateResult(f.name, f.kind, f.description, f.config, f.cv, scores.point[f.name])
                for f in fitted
            ],
            best_baseline=baseline.name,
            best_model=model.name,
            improvement=evidence.improvement,
            hypotheses=self._hypotheses(scores, model),
            slices=self._slices(model, baseline),
            learning_curve=curve,
            holdout=self._holdout(model, baseline),
        )
        result.refine = suggest(self.problem, self.ds, result, evidence)
        return result

    def _scores(self, fitted: list[Fitted], model: Fitted) -> Scores:
        """Every candidate and every ablation on the same resamples, so all gains are paired."""
        p, split = self.problem, self.split
        preds = {f.name: f.holdout for f in fitted}
        for h in p.hypotheses:
            preds[f"without {h.group}"] = _ablate(
                self.fitter, model, self.candidates[0], h, self.ds, split
            )
        y = self.ds.y[split.holdout]
        resampler = Resampler.for_holdout(len(y), p.bootstrap, p.seed, split.ordered)
        return score_all(self.metric, y, preds, resampler)

    def _evidence(
        self, scores: Scores, model: Fitted, baseline: Fitted, curve: list[CurvePoint]
    ) -> Evidence:
        s = self.problem.success
        return Evidence(
            self.metric,
            s.min_improvement,
            s.target,
            model.name,
            baseline.name,
            scores.point[model.name],
            scores.point[baseline.name],
            scores.gain(model.name, baseline.name),
            scores.gain(model.name, "constant"),
            _curve_gain(self.metric, curve),
        )

    def _hypotheses(self, scores: Scores, model: Fitted) -> list[HypothesisResult]:
        out = []
        for h in self.problem.hypotheses:
            effect = scores.gain(model.name, f"without {h.group}")
            out.append(
                HypothesisResult(
                    h.name,
                    h.group,
                    _outcome(effect, h.min_effect),
                    effect,
                    scores.point[f"without {h.group}"].value,
                    h.min_effect,
                )
            )
        return out

    def _slices(self, model: Fitted, baseline: Fitted) -> list[SliceRow]:
        rows, y = self.split.holdout, self.ds.y[self.split.holdout]
        return [
            row
            for col in self.problem.slices
            for row in slice_rows(
                col, self.ds.frame[col].iloc[rows], y, model.holdout, baseline.holdout, self.metric
            )
        ]

    def _holdout(self, model: Fitted, baseline: Fitted) -> Holdout:
        y = self.ds.y[self.split.holdout]
        worst_rows = _worst_rows(self.ds, self.split, model.holdout)
        return Holdout(y, model.holdout, baseline.holdout, worst_rows)


def run(problem: Problem, data: Any = None, progress: Progress | None = None) -> Result:
    """Run the PoC for `problem`; `data` (a pandas or polars frame, or an Arrow table)
    overrides the spec's data.path."""
    ds = load(problem, data)
    with _threads(len(ds.y)):
        return _Run(problem, ds, progress).compute()


def _threads(rows: int) -> AbstractContextManager[object]:
    """One OpenMP thread for small tables, unless the user chose a number.

    Measured on 2 cores: Chicago takes 11.7 s with two threads and 12.0 s with one, but two runs
    at once take 949 s with two threads each (their spin-waiting threads starve each other)
    and 12 s with one. On 336k rows two threads save 14% (111 s against 129 s), so large
    tables keep them.
    """
    if rows >= SINGLE_THREAD_BELOW or "OMP_NUM_THREADS" in os.environ:
        return nullcontext()
    import sklearn.ensemble  # noqa: F401  (loads the OpenMP runtime that threadpoolctl limits)
    from threadpoolctl import threadpool_limits

    limits: AbstractContextManager[object] = threadpool_limits(limits=1, user_api="openmp")
    return limits
