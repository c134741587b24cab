"""The PoC: test the premise that ML is worth it, and conclude with a verdict.

Frame → checks → candidates over the outer splits (settings and the best of each kind chosen by
CV inside each split) → estimates with paired bootstrap intervals → hypotheses as ablations →
importance, slices and learning curve → verdict → suggestions for the next iteration.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from gonogo.candidates.candidate import assemble
from gonogo.candidates.pinned import Pinned
from gonogo.checks import DATA_CHECKS, LABEL_CHECKS, Finding, run_checks
from gonogo.checks.outcome import past_misleads, worse_than_constant
from gonogo.data.dataset import Dataset, load
from gonogo.data.split import Index, Split, make_split
from gonogo.evaluation.bootstrap import Resampler, interval
from gonogo.evaluation.budget import Budget, at_budget
from gonogo.evaluation.compare import Estimate, Scores, score_all
from gonogo.evaluation.decisions import PER, Policy, PricedPolicy, Value, policy
from gonogo.evaluation.outer import (
    CurvePoint,
    Outcome,
    Work,
    evaluate,
    fits,
    learning_curve,
    most_frequent,
)
from gonogo.evaluation.projection import Projection, project
from gonogo.evaluation.selection import Fitted, Fitter
from gonogo.evaluation.slices import SliceRow, slice_rows, worst
from gonogo.metrics import DEFAULT_METRIC, METRICS, Array
from gonogo.problem import Problem, derivations, hypotheses, running
from gonogo.refine import suggest
from gonogo.result import (
    CandidateResult,
    DataSummary,
    Evaluation,
    Holdout,
    HypothesisResult,
    Importance,
    Result,
)
from gonogo.verdict import HIDDEN_RARE, Evidence, decide

Progress = Callable[[str, int], None]
SINGLE_THREAD_BELOW = 50_000
MAX_FEATURES_RANKED = 100
IMPORTANCE_ROUNDS = 200


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
        ds.unused,
    )


def _outcome(effect: Estimate, min_effect: float) -> str:
    """Not supported when even the upper end is below the minimum effect, a real but smaller
    effect than the spec asks for included; else supported when the whole interval is a gain."""
    if effect.ci[1] < min_effect:
        return "not-supported"
    return "supported" if effect.ci[0] > 0 else "inconclusive"


WORST_COLUMNS = 5  # the features a worst-predictions row shows: the page's width


def _ranked(ds: Dataset, importance: list[Importance]) -> list[str]:
    """The features, those that matter most to the model first (by feature when they were
    ranked one by one, else by group), then the rest in their order."""
    ranked = [i.name for i in importance if i.kind == "feature"]
    if not ranked:
        ranked = [c for i in importance if i.kind == "group" for c in ds.groups.get(i.name, ())]
    return list(dict.fromkeys([c for c in ranked if c in ds.features] + ds.features))


def _worst_rows(
    ds: Dataset, rows: Index, y: Array, pred: Array, importance: list[Importance]
) -> pd.DataFrame:
    pos = worst(y, pred, ds.task)
    shown = [c for c in [ds.time, ds.entity] if c] + _ranked(ds, importance)[:WORST_COLUMNS]
    picked = ds.frame.iloc[rows[pos]]
    out = picked[[ds.label, *shown]].copy()
    out.insert(
        1,
        "prediction",
        pred[pos] if pred.ndim == 1 else [ds.classes[i] for i in pred[pos].argmax(1)],
    )
    return out


def _candidate(name: str) -> str:
    return f"candidate:{name}"


class _Run:
    """One run's state while it is being computed."""

    def __init__(
        self, problem: Problem, ds: Dataset, progress: Progress | None, pinned: Pinned | None
    ) -> None:
        self.problem, self.ds = problem, ds
        self.split = make_split(problem, ds)
        self.metric = METRICS[problem.metric or DEFAULT_METRIC[ds.task]]
        self.candidates = assemble(problem, ds, self.metric, self.split.ordered)
        if pinned is not None:
            self.candidates = pinned.apply(self.candidates)
        self.policy = policy(problem, ds.task, ds.classes)
        self.hypotheses = hypotheses(problem, ds.groups)
        self.fitter = Fitter(ds, self.metric)
        self.progress = progress

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
            result = Result(
                self.problem,
                summary,
                self.metric,
                findings,
                decide(findings, None),
                renderer=_render,
            )
            result.refine = suggest(self.problem, self.ds, result, None)
            return result
        outcome = self._evaluate()
        p, n = self.problem, len(outcome.stack.distinct)
        resampler = Resampler.for_holdout(n, p.bootstrap, p.seed, self.split.ordered)
        scores = self._scores(outcome, resampler)
        findings += worse_than_constant(scores, self.candidates, _thin(outcome))
        findings += past_misleads(outcome, self.split, self.ds.y, self.metric, resampler)
        curve = learning_curve(outcome, self.split, self.ds.y, self.metric)
        proper = self._proper(outcome, resampler)
        value = self._value(outcome, resampler, self.policy) if self.policy else None
        target = partial(self._target, outcome.best("baseline"))
        ahead = project(outcome, self.split, self.ds.y, self.metric, resampler, target)
        hyps = self._hypotheses(scores)
        evidence = self._evidence(scores, outcome, curve, findings, proper, value, ahead, hyps)
        model, baseline = outcome.best("model"), outcome.best("baseline")
        importance = self._importance(outcome, resampler)
        result = Result(
            self.problem,
            summary,
            self.metric,
            findings,
            decide(findings, evidence),
            candidates=self._candidates(outcome, scores),
            best_baseline=baseline,
            best_model=model,
            improvement=evidence.improvement,
            hypotheses=hyps,
            slices=self._slices(outcome, resampler),
            learning_curve=curve,
            projection=ahead,
            holdout=self._holdout(outcome, importance),
            evaluation=self._evaluation(outcome, evidence),
            importance=importance,
            value=value,
            budget=self._budget(outcome, resampler),
            fits=outcome.fits(self.split),
            renderer=_render,
        )
        result.refine = suggest(self.problem, self.ds, result, evidence)
        return result

    def _sets(self) -> dict[str, tuple[str, ...]]:
        """Column sets to shuffle for importance: each group, and each feature."""
        sets = {f"group:{g}": cols for g, cols in self.ds.groups.items() if cols}
        if len(self.ds.features) <= MAX_FEATURES_RANKED:
            sets |= {f"feature:{c}": (c,) for c in self.ds.features}
        return sets

    def _evaluate(self) -> Outcome:
        drops = {h.group: self.ds.groups[h.group] for h in self.hypotheses}
        work = Work(drops, self._sets(), self.problem.seed, policy=self.policy)
        total = fits(self.candidates, self.split, work)
        progress = self.progress
        return evaluate(
            self.fitter,
            self.candidates,
            self.split,
            work,
            (lambda label: progress(label, total)) if progress else (lambda _label: None),
        )

    def _scores(self, outcome: Outcome, resampler: Resampler) -> Scores:
        """Every candidate, ablation and shuffle on the same resamples: all gains are paired."""
        preds = {_candidate(name): outcome.candidate(name) for name in outcome.names}
        preds["model"] = outcome.model()
        preds["baseline"] = outcome.baseline()
        preds |= {f"without:{h.group}": outcome.ablation(h.group) for h in self.hypotheses}
        stack = outcome.stack
        return score_all(self.metric, self.ds.y[stack.rows], preds, stack, resampler)

    def _importance(self, outcome: Outcome, resampler: Resampler) -> list[Importance]:
        """Each shuffle against the model on the first resamples of the same stream: paired,
        and a few hundred resamples are plenty for a ranking."""
        sets = self._sets()
        preds = {"model": outcome.model()} | {key: outcome.shuffled(key) for key in sets}
        stack = outcome.stack
        scores = score_all(
            self.metric, self.ds.y[stack.rows], preds, stack, resampler.head(IMPORTANCE_ROUNDS)
        )
        out = [
            Importance(key.split(":", 1)[1], key.split(":", 1)[0], scores.gain("model", key))
            for key in sets
        ]
        return sorted(out, key=lambda i: (i.kind != "group", -i.effect.value))

    def _proper(self, outcome: Outcome, resampler: Resampler) -> Estimate | None:
        """The model against the constant on log loss, when the metric is not a proper
        scoring rule for probabilities: it tells "no signal" from "a metric that hides it"."""
        if self.ds.task == "regression" or self.metric.name in ("log_loss", "brier"):
            return None
        preds = {"model": outcome.model(), "constant": outcome.candidate("constant")}
        stack = outcome.stack
        proper = score_all(METRICS["log_loss"], self.ds.y[stack.rows], preds, stack, resampler)
        return proper.gain("model", "constant")

    def _value(self, outcome: Outcome, resampler: Resampler, policy: Policy) -> Value:
        """What the decisions of the best model, the best baseline and the constant are worth,
        each with its policy tuned inside the training part, on the same resamples: paired.
        The model is judged against the more valuable of the other two (the choice can only
        make its gain smaller)."""
        roles = {
            "model": outcome.best("model"),
            "baseline": outcome.best("baseline"),
            "constant": "constant",
        }
        stack = outcome.stack
        decided = {role: outcome.decisions(role) for role in roles}
        scores = score_all(policy.metric, self.ds.y[stack.rows], decided, stack, resampler)
        priced = []
        for role, name in roles.items():
            parameters = outcome.parameters(role)
            described = policy.describe(float(np.median(parameters)), decided[role])
            priced.append(PricedPolicy(role, name, described, parameters, scores.point[role]))
        against = max(("baseline", "constant"), key=lambda role: scores.point[role].value)
        draws = scores.draws["model"] - scores.draws[against]
        gain = scores.point["model"].value - scores.point[against].value
        return Value(policy.unit, PER, tuple(priced), against, Estimate(gain, interval(draws)))

    def _target(self, baseline: str, base: float, where: str) -> tuple[float, str]:
        """What more data would have to reach: the spec's target, else the value that would
        clear the bar over the best baseline, which scores `base` on the rows `where` says."""
        s, m = self.problem.success, self.metric
        if s.target is not None:
            return s.target, "the spec's target"
        bar = m.bar(base, s.min_improvement)
        return bar, f"{s.min_improvement:.0%} better than {baseline}{where}"

    def _rarest(self) -> float | None:
        if self.ds.task == "regression" or not self.metric.threshold:
            return None
        shares = np.bincount(self.ds.y.astype(int), minlength=self.ds.n_classes) / len(self.ds.y)
        rarest = float(shares.min())
        return rarest if rarest < HIDDEN_RARE else None

    def _evidence(
        self,
        scores: Scores,
        outcome: Outcome,
        curve: list[CurvePoint],
        findings: list[Finding],
        proper: Estimate | None,
        value: Value | None,
        projection: Projection | None,
        hyps: list[HypothesisResult],
    ) -> Evidence:
        s = self.problem.success
        drift = next((f for f in findings if f.check == "split.optimism"), None)
        # A group measured by default that the model does better without, beyond the bar.
        hurting = tuple(
            (h.group, h.effect, h.without, self._switch(h.group))
            for h in hyps
            if h.origin == "gonogo" and h.effect.ci[1] < -s.min_improvement
        )
        return Evidence(
            self.metric,
            s.min_improvement,
            s.target,
            outcome.best("model"),
            outcome.best("baseline"),
            scores.point["model"],
            scores.point["baseline"],
            scores.gain("model", "baseline"),
            scores.gain("model", _candidate("constant")),
            _curve_gain(self.metric.gain, curve),
            tuple(float(g) for g in scores.split_gains("model", "baseline")),
            proper,
            self._rarest(),
            drift if self.split.ordered else None,
            tuple(g for g, d in derivations(self.problem).items() if d.source == self.ds.time),
            value,
            projection,
            self._overlooked(scores, outcome),
            scores.gain("baseline", _candidate("constant")).ci[1] < 0,
            tuple((k, tuple(outcome.choices(k).most_common())) for k in ("model", "baseline")),
            running(self.problem),
            hurting,
            self._overlooked(scores, outcome, "baseline"),
        )

    def _switch(self, group: str) -> str:
        """The spec's setting that leaves `group` out: a derivation switched off, or the
        existing system's columns excluded."""
        if group in derivations(self.problem):
            return f"set derive.{group}: false"
        return f"add {', '.join(self.ds.groups[group])} to exclude"

    def _overlooked(
        self, scores: Scores, outcome: Outcome, kind: str = "model"
    ) -> tuple[str, Estimate] | None:
        """The candidate of `kind` inner CV never chose that does better than the chosen models
        on the test rows: a model by the widest clear margin (the highest lower end of its
        interval, above zero); a baseline the spec names by the most, whatever its interval
        (the heuristic a team runs is the one its decision-makers compare with)."""
        chosen = outcome.choices(kind)
        others = [
            c.name
            for c in self.candidates
            if c.kind == kind and c.name not in chosen and (kind == "model" or c.place)
        ]
        gains = {name: scores.gain(_candidate(name), "model") for name in others}
        low = kind == "model"

        def margin(g: Estimate) -> float:
            return g.ci[0] if low else g.value

        ahead = {name: gain for name, gain in gains.items() if margin(gain) > 0}
        if not ahead:
            return None
        name = max(ahead, key=lambda n: margin(ahead[n]))
        return name, ahead[name]

    def _candidates(self, outcome: Outcome, scores: Scores) -> list[CandidateResult]:
        out = []
        for i, name in enumerate(outcome.names):
            # Described as chosen most often over the outer splits (the earliest on a tie):
            # the configuration a final fit uses.
            configs = [_settled(run.fitted[i]) for run in outcome.runs]
            k = most_frequent(configs)
            chosen, fold = outcome.runs[k].fitted[i], self.split.outer[k]
            X = self.fitter.frame(chosen.candidate, fold.test, self.ds.features)
            cv = float(np.nanmean([run.fitted[i].cv for run in outcome.runs]))
            point = scores.point[_candidate(name)]
            describe = _describe(chosen, X)
            if chosen.inner.behind:
                describe += (
                    f"\n(left at halving's first rung: behind {chosen.inner.behind} on every "
                    "inner fold with a third of the rows; its CV score is from those rows, "
                    "and it is fitted on a third of the training rows too)"
                )
            out.append(CandidateResult(name, chosen.kind, describe, configs[k], cv, point))
        return out

    def _hypotheses(self, scores: Scores) -> list[HypothesisResult]:
        spec = {h.group for h in self.problem.hypotheses}
        out = []
        for h in self.hypotheses:
            effect = scores.gain("model", f"without:{h.group}")
            out.append(
                HypothesisResult(
                    h.name,
                    h.group,
                    _outcome(effect, h.min_effect),
                    effect,
                    scores.point[f"without:{h.group}"].value,
                    h.min_effect,
                    "spec" if h.group in spec else "gonogo",
                )
            )
        return out

    def _budget(self, outcome: Outcome, resampler: Resampler) -> Budget | None:
        """Binary labels: the best model and baseline acting on the top k% of the cases."""
        if self.ds.task != "binary":
            return None
        scores = {
            ("model", outcome.best("model")): outcome.model(),
            ("baseline", outcome.best("baseline")): outcome.baseline(),
        }
        stack = outcome.stack
        return at_budget(
            self.ds.y[stack.rows], scores, stack, resampler, self.problem.decision.budget
        )

    def _slices(self, outcome: Outcome, resampler: Resampler) -> list[SliceRow]:
        stack = outcome.stack
        y = self.ds.y[stack.rows]
        preds = (outcome.model(), outcome.baseline())
        return [
            row
            for col in self.problem.slices
            for row in slice_rows(
                col, self.ds.frame[col].iloc[stack.rows], y, preds, self.metric, stack, resampler
            )
        ]

    def _holdout(self, outcome: Outcome, importance: list[Importance]) -> Holdout:
        """The first pass over the tested rows (each once), for plots and the worst rows."""
        first = outcome.stack.first_pass()
        rows = outcome.stack.rows[first]
        order = np.argsort(rows, kind="stable")
        rows, first = rows[order], first[order]
        y = self.ds.y[rows]
        model = outcome.model()[first]
        baseline = outcome.baseline()[first]
        times = self.ds.frame[self.ds.time].iloc[rows] if self.ds.time else None
        worst_rows = _worst_rows(self.ds, rows, y, model, importance)
        return Holdout(y, model, baseline, worst_rows, times)

    def _evaluation(self, outcome: Outcome, ev: Evidence) -> Evaluation:
        return Evaluation(
            self.split.scheme,
            len(self.split.outer),
            len(outcome.stack.distinct),
            sum(g > 0 for g in ev.split_gains),
            ev.clears(),
            dict(outcome.choices("model")),
            dict(outcome.choices("baseline")),
            ev.model,
            ev.baseline,
        )


def _thin(outcome: Outcome) -> dict[str, tuple[int, int]]:
    """Each per-group heuristic's groups of too few training rows, as the first split fitted it."""
    fitted = outcome.runs[0].fitted
    return {
        f.name: f.estimator.estimator.thin()
        for f in fitted
        if hasattr(f.estimator.estimator, "thin")
    }


def _settled(fitted: Fitted) -> dict[str, Any]:
    """A fit's configuration with what it chose for itself (the rule's family)."""
    est = fitted.estimator.estimator
    return {**fitted.config, **(est.settled() if hasattr(est, "settled") else {})}


def _describe(fitted: Any, X: pd.DataFrame) -> str:
    """What a fitted candidate is, in words, with how often a heuristic had no answer."""
    est = fitted.estimator.estimator
    describe = est.describe() if hasattr(est, "describe") else fitted.candidate.describe
    # What a fit settles for itself (the rule's family) shows in the rule it prints.
    shown = {k: v for k, v in fitted.config.items() if k not in fitted.candidate.settles}
    if shown:
        describe += ", " + ", ".join(f"{k}={v}" for k, v in shown.items())
    reads = est.reads_as() if hasattr(est, "reads_as") else ""
    if reads:
        describe += f" ({reads})"
    if hasattr(est, "coverage") and len(X):
        missing = 1.0 - est.coverage(X)
        if missing > 0:
            describe += (
                f"\n(no answer for {missing:.1%} of test rows: "
                "the training label's overall value stood in)"
            )
    return str(describe)


def _render(result: Result) -> str:
    from gonogo.report.html import render  # jinja2 and matplotlib: only when a page is made

    return render(result)


def _curve_gain(gain: Callable[[float, float], Any], curve: list[CurvePoint]) -> float | None:
    by = {p.fraction: p.value for p in curve}
    if 0.5 not in by or 1.0 not in by:
        return None
    return float(gain(by[1.0], by[0.5]))


def run(
    problem: Problem,
    data: Any = None,
    progress: Progress | None = None,
    pinned: Pinned | None = None,
) -> Result:
    """Run the PoC for `problem`; `data` (a pandas or polars frame, an Arrow table, or a
    Dataset already bound to the problem) overrides the spec's data.path. Candidates
    `pinned` keep the configuration chosen before, everything else is measured as usual."""
    ds = data if isinstance(data, Dataset) else load(problem, data)
    with _threads(len(ds.y)):
        return _Run(problem, ds, progress, pinned).compute()


def _threads(rows: int) -> AbstractContextManager[object]:
    """One thread (OpenMP and BLAS) for small tables, unless the user chose a number.

    Measured on 2 cores: Chicago takes 11.7 s with two threads and 12.0 s with one, but two runs
    at once take 949 s with two threads each (their spin-waiting threads starve each other)
    and 12 s with one. BLAS threads cost even alone: four logistic regressions on 3,200 churn
    rows take 1.37 s with two OpenBLAS threads and 0.31 s with one. Large tables keep them
    for what this process fits itself (a lone item of work); worker processes get their share
    of the cores from joblib.
    """
    if rows >= SINGLE_THREAD_BELOW or "OMP_NUM_THREADS" in os.environ:
        return nullcontext()
    import sklearn.ensemble  # noqa: F401  (loads the OpenMP runtime that threadpoolctl limits)
    from threadpoolctl import threadpool_limits

    limits: AbstractContextManager[object] = threadpool_limits(limits=1)
    return limits
