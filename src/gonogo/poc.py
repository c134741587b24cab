"""The PoC: test the premise that ML is worth it, and conclude with a verdict.

Frame → checks → candidates (chosen by CV on the training part) → holdout estimates with
paired bootstrap intervals → hypotheses as ablations → slices and learning curve → verdict →
suggestions for the next iteration.
"""

from __future__ import annotations

from collections.abc import Callable

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
from gonogo.evaluation.slices import slice_rows, worst
from gonogo.problem import Hypothesis, Problem
from gonogo.refine import suggest
from gonogo.result import CandidateResult, CurvePoint, DataSummary, Holdout, HypothesisResult, Result
from gonogo.verdict import Evidence, decide

Progress = Callable[[str, int], None]
CURVE = (0.1, 0.25, 0.5, 1.0)


def _summary(ds: Dataset, split: Split) -> DataSummary:
    return DataSummary(len(ds.y), len(split.train), len(split.holdout), split.strategy, ds.task,
                       ds.classes, ds.label, ds.time, ds.entity, ds.groups)


def _best(fitted: list[Fitted], kind: str, metric: Metric, scores: Scores) -> Fitted:
    """The best of a kind by CV score (holdout only when CV was impossible)."""
    pool = [f for f in fitted if f.kind == kind]
    sign = 1.0 if metric.greater_is_better else -1.0

    def key(f: Fitted) -> float:
        value = f.cv if np.isfinite(f.cv) else scores.point[f.name].value
        return sign * value if np.isfinite(value) else -np.inf

    return max(pool, key=key)


def _outcome(effect: Estimate, min_effect: float) -> str:
    if effect.ci[0] > 0:
        return "supported"
    return "not-supported" if effect.ci[1] < min_effect else "inconclusive"


def _ablate(fitter: Fitter, best: Fitted, constant: Candidate, hyp: Hypothesis, ds: Dataset,
            split: Split) -> Array:
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


def _learning_curve(fitter: Fitter, best: Fitted, ds: Dataset, split: Split, seed: int) -> list[CurvePoint]:
    points = []
    for fraction in CURVE:
        rows = _curve_rows(split, fraction, seed)
        if ds.task != "regression" and len(np.unique(ds.y[rows])) < 2:
            continue
        pred = fitter.fit_predict(best.candidate, best.config, rows, split.holdout, ds.features)
        points.append(CurvePoint(fraction, len(rows), fitter.metric.value(ds.y[split.holdout], pred)))
    return points


def _curve_gain(metric: Metric, curve: list[CurvePoint]) -> float | None:
    by = {p.fraction: p.value for p in curve}
    if 0.5 not in by or 1.0 not in by:
        return None
    return float(metric.gain(np.asarray(by[1.0]), np.asarray(by[0.5])))


def _worst_rows(ds: Dataset, split: Split, pred: Array) -> pd.DataFrame:
    pos = worst(ds.y[split.holdout], pred, ds.task)
    shown = [c for c in [ds.time, ds.entity] if c] + ds.features[:12]
    rows = ds.frame.iloc[split.holdout[pos]]
    out = rows[[ds.label, *shown]].copy()
    out.insert(1, "prediction", pred[pos] if pred.ndim == 1 else [ds.classes[i] for i in pred[pos].argmax(1)])
    return out


class _Run:
    """One run's state while it is being computed."""

    def __init__(self, problem: Problem, ds: Dataset, progress: Progress | None) -> None:
        self.problem, self.ds = problem, ds
        self.split = make_split(problem, ds)
        self.metric = METRICS[problem.metric or DEFAULT_METRIC[ds.task]]
        self.candidates = assemble(problem, ds, self.metric, self.split.ordered)
        total = count_fits(self.candidates, self.split) + len(problem.hypotheses) + len(CURVE)
        tick = (lambda label: progress(label, total)) if progress else None
        self.fitter = Fitter(ds, self.metric, tick)

    def result(self, findings: list[Finding], **parts: object) -> Result:
        return Result(self.problem, _summary(self.ds, self.split), self.metric, findings,
                      decide(findings, parts.pop("evidence", None)), **parts)  # type: ignore[arg-type]

    def compute(self) -> Result:
        p, ds, split, fitter = self.problem, self.ds, self.split, self.fitter
        findings = run_checks(LABEL_CHECKS, p, ds, split)
        if not split.folds and not any(f.severity == "block" for f in findings):
            findings.append(Finding("label.too_few", "block", f"{len(split.train)} training rows "
                                    f"cannot make {p.split.folds} cross-validation folds"))
        if any(f.severity == "block" for f in findings):
            result = self.result(findings)
            result.refine = suggest(p, ds, result, None)
            return result
        findings += run_checks(DATA_CHECKS, p, ds, split)
        fitted = [fitter.select(c, split, ds.features) for c in self.candidates]
        preds = {f.name: f.holdout for f in fitted}
        y = ds.y[split.holdout]
        provisional = score_all(self.metric, y, preds, Resampler(len(y), 1, p.seed))
        model = _best(fitted, "model", self.metric, provisional)
        baseline = _best(fitted, "baseline", self.metric, provisional)
        for h in p.hypotheses:
            preds[f"without {h.group}"] = _ablate(fitter, model, self.candidates[0], h, ds, split)
        scores = score_all(self.metric, y, preds, Resampler.for_holdout(len(y), p.bootstrap, p.seed, split.ordered))
        curve = _learning_curve(fitter, model, ds, split, p.seed)
        evidence = Evidence(self.metric, p.success.min_improvement, p.success.target, model.name,
                            baseline.name, scores.point[model.name], scores.point[baseline.name],
                            scores.gain(model.name, baseline.name), scores.gain(model.name, "constant"),
                            _curve_gain(self.metric, curve))
        hyps = [HypothesisResult(h.name, h.group, _outcome(e, h.min_effect), e,
                                 scores.point[f"without {h.group}"].value, h.min_effect)
                for h in p.hypotheses for e in [scores.gain(model.name, f"without {h.group}")]]
        slices = [row for col in p.slices for row in slice_rows(
            col, ds.frame[col].iloc[split.holdout], y, model.holdout, baseline.holdout, self.metric)]
        result = self.result(
            findings, evidence=evidence,
            candidates=[CandidateResult(f.name, f.kind, f.description, f.config, f.cv,
                                        scores.point[f.name]) for f in fitted],
            best_baseline=baseline.name, best_model=model.name,
            improvement=evidence.improvement, hypotheses=hyps, slices=slices, learning_curve=curve,
            holdout=Holdout(y, model.holdout, baseline.holdout, _worst_rows(ds, split, model.holdout)),
        )
        result.refine = suggest(p, ds, result, evidence)
        return result


def run(problem: Problem, data: pd.DataFrame | None = None, progress: Progress | None = None) -> Result:
    """Run the PoC for `problem`; `data` overrides the spec's data.path (e.g. a pandas frame)."""
    ds = load(problem, data)
    return _Run(problem, ds, progress).compute()
