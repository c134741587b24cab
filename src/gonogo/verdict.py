"""The conclusion: "I should (not) use this model, because X, Y and Z".

Decision rules over findings and estimates, in order: blocked, no-go, go, inconclusive. Every
reason cites its numbers, so the verdict can be argued with.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from gonogo.checks.finding import Finding
from gonogo.evaluation.compare import Estimate
from gonogo.evaluation.metrics import Metric

Decision = Literal["go", "no-go", "inconclusive", "blocked"]
MORE_DATA = 0.01
_CAVEATS = ("label.", "leakage.", "split.", "metric.")


@dataclass(frozen=True)
class Verdict:
    decision: Decision
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Evidence:
    """What the decision rules read."""

    metric: Metric
    min_improvement: float
    target: float | None
    best_model: str
    best_baseline: str
    model: Estimate
    baseline: Estimate
    improvement: Estimate
    signal: Estimate
    curve_gain: float | None


def _pct(e: Estimate) -> str:
    return f"{e.value:+.1%} (95% CI {e.ci[0]:+.1%} to {e.ci[1]:+.1%})"


def _val(metric: Metric, name: str, e: Estimate) -> str:
    return f"{name} {metric.name} {e.value:.4g} [{e.ci[0]:.4g}, {e.ci[1]:.4g}]"


def _meets(metric: Metric, value: float, target: float | None) -> bool:
    return target is not None and (value >= target if metric.greater_is_better else value <= target)


def _no_go(ev: Evidence) -> list[str]:
    m, launch = ev.metric, f"launch the heuristic {ev.best_baseline!r} without ML"
    if ev.signal.ci[0] <= 0:
        return [
            f"no model is better than the constant baseline: {ev.best_model} vs constant "
            f"{_pct(ev.signal)}; the features carry no usable signal",
            launch,
        ]
    if _meets(m, ev.baseline.value, ev.target):
        return [
            f"the baseline already meets the target {ev.target:g}: "
            f"{_val(m, ev.best_baseline, ev.baseline)}",
            launch,
        ]
    if ev.improvement.ci[1] < ev.min_improvement:
        return [
            f"{ev.best_model} improves on {ev.best_baseline} by {_pct(ev.improvement)}; even the "
            f"upper end is below the {ev.min_improvement:.0%} needed",
            launch,
        ]
    return []


def _curve(ev: Evidence) -> str:
    if ev.curve_gain is None:
        return "no learning curve to say whether more data would help"
    if ev.curve_gain > MORE_DATA:
        return (
            f"more data would likely help: doubling the training data from half to all "
            f"improved {ev.metric.name} by {ev.curve_gain:.1%}"
        )
    return (
        f"more data is unlikely to help much: the last doubling changed {ev.metric.name} by "
        f"{ev.curve_gain:.1%}"
    )


def _caveats(findings: Sequence[Finding]) -> list[str]:
    """Warnings that question the estimate itself (framing and feature hygiene do not)."""
    warned = list(
        dict.fromkeys(
            f.check for f in findings if f.severity == "warn" and f.check.startswith(_CAVEATS)
        )
    )
    return [f"before relying on it, look at the warnings: {', '.join(warned)}"] if warned else []


def decide(findings: Sequence[Finding], ev: Evidence | None) -> Verdict:
    """Apply the rules; `ev` is None when a block stopped the run before any model."""
    blocks = [f"{f.check}: {f.message}" for f in findings if f.severity == "block"]
    if blocks:
        return Verdict("blocked", ("fix the formulation first", *blocks))
    assert ev is not None
    no_go = _no_go(ev)
    if no_go:
        return Verdict("no-go", tuple(no_go))
    m = ev.metric
    comparison = (
        f"{ev.best_model} improves on {ev.best_baseline} by {_pct(ev.improvement)} "
        f"(needed: {ev.min_improvement:.0%})"
    )
    values = (
        f"holdout: {_val(m, ev.best_model, ev.model)} vs {_val(m, ev.best_baseline, ev.baseline)}"
    )
    target_ok = ev.target is None or _meets(m, ev.model.value, ev.target)
    caveats = _caveats(findings)
    if ev.improvement.ci[0] >= ev.min_improvement and target_ok:
        return Verdict("go", (comparison, values, *caveats))
    reasons = [comparison, values, *caveats]
    if not target_ok:
        reasons.append(f"{ev.best_model} does not reach the target {ev.target:g}")
    else:
        reasons.append(
            f"the interval reaches below {ev.min_improvement:.0%}: the gain is not certain"
        )
    return Verdict("inconclusive", (*reasons, _curve(ev)))
