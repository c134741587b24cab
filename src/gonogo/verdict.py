"""The conclusion: "I should (not) use this model, because X, Y and Z".

Decision rules over findings and estimates, in order: blocked, no-go, go, inconclusive. Every
reason cites its numbers, so the verdict can be argued with.

A no-go says why there is nothing to gain, because each cause calls for a different next step:
no signal at all (the features do not predict the label, even on a proper scoring rule), a
metric that hides the signal (a hard-label metric on a rare class, while log loss shows it),
signal that drifts (the model trained on the past loses, a quick gradient boosting probe
trained on a random sample of the same period wins), a signal too weak for the bar (the model
beats the constant, by less than the bar), or a heuristic the model does not beat by enough.
An interval that reaches zero but clears the bar at its upper end is inconclusive, not "no
signal". A model that inner CV never chose but that beats the chosen one on the test rows is
named, not chosen; a gain over a baseline that the constant beats on the test rows is given
over the constant too.

When the spec prices the decision, every verdict states the gain in value, and a model that
wins on the metric but whose decisions are worth no more than the heuristic's is not a go.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from gonogo.checks.finding import Finding
from gonogo.evaluation.compare import Estimate
from gonogo.evaluation.decisions import Value
from gonogo.evaluation.projection import HORIZON, Projection
from gonogo.metrics import Metric, number

HIDDEN_RARE = 0.15  # a hard-label metric hides signal when the rarest class is below this

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
    split_gains: tuple[float, ...] = ()
    proper: Estimate | None = None
    rarest: float | None = None
    drift: Finding | None = None
    time_groups: tuple[str, ...] = ()
    value: Value | None = None
    projection: Projection | None = None
    overlooked: tuple[str, Estimate] | None = None
    under_constant: bool = False  # the best baseline does worse than the constant, clearly
    choices: tuple[tuple[str, tuple[tuple[str, int], ...]], ...] = ()  # kind, (name, splits)
    running: frozenset[str] = frozenset()  # baselines that are the existing system's output
    # A group measured by default that hurts: its effect, the score without it, its switch.
    hurting: tuple[tuple[str, Estimate, float, str], ...] = ()
    named_ahead: tuple[str, Estimate] | None = None  # a spec's baseline ahead of the model

    def clears(self) -> int:
        """Outer splits in which the model beats the baseline by the bar."""
        return sum(g >= self.min_improvement for g in self.split_gains)

    @property
    def hides_signal(self) -> bool:
        """A hard-label metric on a rare class, while log loss shows signal."""
        return self.proper is not None and self.proper.ci[0] > 0 and self.rarest is not None


def _val(metric: Metric, name: str, e: Estimate) -> str:
    return f"{name} {metric.name} {number(e.value)} [{number(e.ci[0])}, {number(e.ci[1])}]"


def _role(ev: Evidence, kind: str, name: str) -> str:
    """The best of a kind as the pooled figures stand for it: where the outer splits chose
    different candidates, each split's own choice, which no candidate's row shows."""
    counts = dict(ev.choices).get(kind, ())
    return f"each split's {kind} ({_counted(counts)})" if len(counts) > 1 else name


def _counted(counts: tuple[tuple[str, int], ...]) -> str:
    """How many outer splits chose each candidate: `gbm in 7, linear in 3`."""
    return ", ".join(f"{name} in {n}" for name, n in counts)


def amount(x: float, unit: str = "") -> str:
    """A sum of money (or of any unit): signed, thousands grouped, cents only when small."""
    return f"{number(x, signed=True)} {unit}".rstrip()


def _priced(ev: Evidence) -> list[str]:
    """The decisions' value, when the spec prices them."""
    v = ev.value
    if v is None:
        return []
    model, other, u = v.of("model"), v.of(v.against), v.unit
    return [
        f"priced: {model.name}'s decisions are worth {amount(model.value.value, u)} per "
        f"{v.per:,} decisions against {amount(other.value.value, u)} for {other.name}'s: "
        f"{amount(v.gain.value, u)} (95% CI {amount(v.gain.ci[0], u)} to "
        f"{amount(v.gain.ci[1], u)})"
    ]


def _value_ahead(ev: Evidence) -> list[str]:
    """In a no-go on the metric, decisions worth more by a whole interval: the metric's bar
    and the decision's value disagree, which only the spec can settle."""
    v = ev.value
    if v is None or not v.gain.ci[0] > 0:
        return []
    return [
        f"yet in value {v.of('model').name}'s decisions are ahead by a whole interval: if "
        f"what they are worth is what counts, the {ev.min_improvement:.0%} bar on "
        f"{ev.metric.name} (success.min_improvement) may be too high for this decision"
    ]


def _meets(metric: Metric, value: float, target: float | None) -> bool:
    return target is not None and (value >= target if metric.greater_is_better else value <= target)


def _nothing(ev: Evidence) -> str:
    """Why a model that does not beat the constant by the bar is no use: no signal, a metric
    that hides it, signal that drifts, or a signal too weak."""
    m, vs = ev.metric, f"{ev.best_model} vs constant"
    if ev.hides_signal:
        assert ev.proper is not None and ev.rarest is not None
        return (
            f"the metric hides the signal: {vs} {ev.signal.percent()} on {m.name}, which reads "
            f"hard labels and on a class of {ev.rarest:.1%} rewards always predicting the "
            f"majority; on log loss the same model beats the constant by {ev.proper.percent()}. "
            "Judge with pr_auc or log_loss, and price the decision it drives (what a missed "
            "case and a false alarm each cost)"
        )
    if ev.drift is not None:
        random_gain = ev.drift.evidence.get("relative", float("nan"))
        tried = (
            f"the time-derived groups {', '.join(ev.time_groups)} were features"
            if ev.time_groups
            else "the calendar and trend of the time column are switched off: switch them on"
        )
        return (
            f"the signal drifts: trained on the past, {vs} {ev.signal.percent()}, while a quick "
            f"gradient boosting probe trained on a random sample of the same period scores "
            f"{random_gain:.0%} better than on the past; {tried}. What held before the holdout "
            "does not hold after it: retrain often, or model the drift"
        )
    if ev.signal.ci[0] > 0:
        return (
            f"the features carry a signal, too weak for the bar: {vs} {ev.signal.percent()}, "
            f"short of the {ev.min_improvement:.0%} needed even at its upper end"
        )
    if ev.proper is not None and ev.proper.ci[0] > 0:
        return (
            f"no model is better than the constant baseline on {m.name}: {vs} "
            f"{ev.signal.percent()}; on log loss it is ({ev.proper.percent()}): the signal is in "
            f"the probabilities, which {m.name} does not reward"
        )
    proper = f"; on log loss too: {ev.proper.percent()}" if ev.proper is not None else ""
    return (
        f"no model is better than the constant baseline: {vs} {ev.signal.percent()}{proper}; the "
        "features carry no usable signal"
    )


def _no_go(ev: Evidence) -> list[str]:
    m, launch = ev.metric, _without_ml(ev, ev.best_baseline)
    if _meets(m, ev.baseline.value, ev.target):
        return [
            f"the baseline already meets the target {ev.target:g}: "
            f"{_val(m, _role(ev, 'baseline', ev.best_baseline), ev.baseline)}",
            launch,
        ]
    if ev.improvement.ci[1] >= ev.min_improvement:
        return []
    if ev.signal.value <= 0 or ev.signal.ci[1] < ev.min_improvement:
        if ev.hides_signal:
            launch = "rerun with a metric that sees the signal before launching anything"
        return [_nothing(ev), *_stability(ev), launch]
    return [
        f"{ev.best_model} improves on {ev.best_baseline} by {ev.improvement.percent()}; even the "
        f"upper end is below the {ev.min_improvement:.0%} needed",
        *_stability(ev),
        launch,
    ]


def _stability(ev: Evidence) -> list[str]:
    """How many outer splits agree, when there are several."""
    n = len(ev.split_gains)
    if n < 2:
        return []
    ahead = sum(g > 0 for g in ev.split_gains)
    return [
        f"over {n} outer splits, {ev.best_model} is ahead of {ev.best_baseline} in {ahead} "
        f"and clears the {ev.min_improvement:.0%} bar in {ev.clears()}",
        *_pooled(ev),
    ]


def _pooled(ev: Evidence) -> list[str]:
    """Where the outer splits chose different candidates of a kind, the figures named after
    the one chosen most often pool each split's own choice: said, not hidden."""
    return [
        f"the outer splits chose different {kind}s ({_counted(counts)}): the {kind}'s figures "
        "pool each split's own choice"
        for kind, counts in ev.choices
        if len(counts) > 1
    ]


def _curve(ev: Evidence) -> str:
    """What more data would bring: from the fitted law when it says how far the target is,
    else from the last doubling of the curve."""
    p = ev.projection
    if p is not None and not p.met:
        return _projected(ev.metric, p)
    if ev.curve_gain is None:
        return "no learning curve to say whether more data would help"
    if ev.curve_gain > MORE_DATA:
        # Each further doubling gains less than the last: one under the bar helps a little.
        how = "would likely help" if ev.curve_gain >= ev.min_improvement else "would help a little"
        return (
            f"more data {how}: doubling the training data from half to all "
            f"improved {ev.metric.name} by {ev.curve_gain:.1%}"
        )
    return (
        f"more data is unlikely to help much: the last doubling changed {ev.metric.name} by "
        f"{ev.curve_gain:.1%}"
    )


def _projected(metric: Metric, p: Projection) -> str:
    goal = f"reaching {metric.name} {number(p.target)} ({p.why})"
    limit = HORIZON * p.rows
    if not p.within_reach:
        at = p.at(limit)
        return (
            f"more data is unlikely to get there: {goal} is not within {HORIZON}x the data; at "
            f"{limit:,} labeled rows the learning curve's law predicts {number(at.value)} (95% "
            f"range {number(at.ci[0])} to {number(at.ci[1])})"
        )
    needed = p.needed()
    lo, hi = needed.ci
    upper = f"{hi:,.0f}" if hi <= limit else f"more than {HORIZON}x the data"
    return (
        f"more data would help: {goal} needs about {needed.value:,.0f} labeled rows (95% range "
        f"{lo:,.0f} to {upper}), by the law fitted to the learning curve; there are {p.rows:,}"
    )


def _unpriced(ev: Evidence) -> str:
    assert ev.value is not None
    model, other = ev.value.of("model"), ev.value.of(ev.value.against)
    return (
        f"{model.name} is ahead on {ev.metric.name} but not in value: under the given costs its "
        f"decisions ({model.policy}) are worth no more than {other.name}'s ({other.policy}); "
        + (
            _without_ml(ev, other.name)
            if ev.value.against == "baseline"
            else f"launch without ML: {other.policy}"
        )
    )


def _without_ml(ev: Evidence, baseline: str) -> str:
    """What to do instead of ML: a system already running is kept, a heuristic launched."""
    if baseline in ev.running:
        return f"keep the existing system {baseline!r} without ML"
    return f"launch the heuristic {baseline!r} without ML"


def _overlooked(ev: Evidence) -> list[str]:
    """A model inner CV ranked lower that does clearly better on the test rows: said, never
    chosen, since a choice made on the test rows is no evidence for it."""
    if ev.overlooked is None:
        return []
    name, gain = ev.overlooked
    return [
        f"{name}, which inner CV ranked below {ev.best_model}, does better on the test rows by "
        f"{gain.percent()}; a choice made there is not evidence: judge {name} on rows this run "
        "has not seen"
    ]


def _named_ahead(ev: Evidence) -> list[str]:
    """A heuristic the spec names, which inner CV ranked below the compared one, that does
    better than the model on the test rows: the comparison a decision-maker would make."""
    if ev.named_ahead is None:
        return []
    name, gain = ev.named_ahead
    return [
        f"{name}, a heuristic of the spec that inner CV ranked below {ev.best_baseline}, "
        f"scores better than {ev.best_model} on the test rows, by {gain.percent()}: against it "
        "the model shows no gain"
    ]


def _hurting(ev: Evidence) -> list[str]:
    """A group measured by default (calendar, trend, the existing system's output) that the
    model does better without, by more than the bar: said, never dropped, for the reason
    `_overlooked` gives."""
    return [
        f"{ev.best_model} does better without the {group} group, measured by default: "
        f"{ev.metric.name} {number(without)} without it against {number(ev.model.value)} "
        f"with it (its effect {effect.percent(bracketed=True)}); a choice made on the test rows "
        f"is not evidence: {switch} and run again"
        for group, effect, without, switch in ev.hurting
    ]


def _beaten_baseline(ev: Evidence) -> list[str]:
    """The gain over the constant too, when the baseline compared with does worse than it on
    the test rows: a gain over a baseline the constant beats overstates the model's worth."""
    if not ev.under_constant:
        return []
    return [
        f"{ev.best_baseline}, the baseline inner CV chose, does worse than the constant on the "
        f"test rows; over the constant, {ev.best_model} improves by {ev.signal.percent()}"
    ]


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
    no_go, caveats = _no_go(ev), _caveats(findings)
    if no_go:
        worth = (*_priced(ev), *_value_ahead(ev))
        # The way forward comes last; what questions it (a rule on a suspect column) before.
        found = (*_overlooked(ev), *_named_ahead(ev), *_hurting(ev))
        return Verdict("no-go", (*no_go[:-1], *worth, *found, *caveats, no_go[-1]))
    m = ev.metric
    comparison = (
        f"{ev.best_model} improves on {ev.best_baseline} by {ev.improvement.percent()} "
        f"(needed: {ev.min_improvement:.0%})"
    )
    model, baseline = _role(ev, "model", ev.best_model), _role(ev, "baseline", ev.best_baseline)
    values = f"holdout: {_val(m, model, ev.model)} vs {_val(m, baseline, ev.baseline)}"
    target_ok = ev.target is None or _meets(m, ev.model.value, ev.target)
    priced = _priced(ev)
    if ev.value is not None and ev.value.gain.ci[1] <= 0:
        return Verdict("no-go", (comparison, *priced, *caveats, _unpriced(ev)))
    clears = ev.improvement.ci[0] >= ev.min_improvement
    beaten = _beaten_baseline(ev)
    # A heuristic of the spec clearly ahead of the model on the test rows: no go, whatever
    # the baseline inner CV chose.
    ahead = ev.named_ahead is not None and ev.named_ahead[1].ci[0] > 0
    if clears and target_ok and not ahead and (ev.value is None or ev.value.gain.ci[0] > 0):
        found = (*_named_ahead(ev), *_hurting(ev))
        return Verdict(
            "go", (comparison, *beaten, *priced, values, *_stability(ev), *found, *caveats)
        )
    reasons = [comparison, *beaten, *priced, values, *_stability(ev), *caveats]
    if not target_ok:
        reasons.append(f"{ev.best_model} does not reach the target {ev.target:g}")
    elif not clears:
        reasons.append(
            f"the interval reaches below {ev.min_improvement:.0%}: the gain is not certain"
        )
    elif ahead:
        reasons.append("a heuristic of the spec does clearly better: the gain does not hold")
    else:
        reasons.append("the interval of the gain in value reaches 0: the gain is not certain")
    found = (*_overlooked(ev), *_named_ahead(ev), *_hurting(ev))
    return Verdict("inconclusive", (*reasons, *found, _curve(ev)))
