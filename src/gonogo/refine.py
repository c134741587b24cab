"""Refine and repeat: what to try next, drawn from this run's evidence."""

from __future__ import annotations

from collections.abc import Callable

from gonogo.data.dataset import Dataset
from gonogo.evaluation.compare import signed
from gonogo.metrics import number
from gonogo.problem import Problem, derivations, running
from gonogo.result import Result
from gonogo.verdict import MORE_DATA, Evidence

MIN_POSITIVES = 10  # a slice's positives below which no advice is given
MIN_SLICE = 20
MAX_SLICES = 3
Rule = Callable[[Problem, Dataset, Result, Evidence | None], list[str]]


def _blocks(p: Problem, ds: Dataset, r: Result, ev: Evidence | None) -> list[str]:
    return [
        f"fix {f.check} on {', '.join(f.columns) or 'the data'} and run again"
        for f in r.findings
        if f.severity == "block"
    ]


def _unused_time(p: Problem, ds: Dataset, r: Result, ev: Evidence | None) -> list[str]:
    used = {d.source for d in derivations(p).values()}
    out = []
    if ds.time and ds.time not in used:
        out.append(
            f"the time column {ds.time!r} orders the data but its calendar is switched off: "
            "remove `calendar: false` from derive to test it as a hypothesis"
        )
    out += [
        f"{c!r} is used as a plain day count; derive its calendar (`from: {c}`)"
        for c in ds.raw_datetimes
        if c not in used
    ]
    return out


def _slices(p: Problem, ds: Dataset, r: Result, ev: Evidence | None) -> list[str]:
    """Where a model that wins overall surely loses: the worst few slices whose whole interval
    is a loss, on enough rows (and positives) to say so."""
    m = r.metric
    if r.improvement is None or not r.improvement.value > 0:
        return []
    losing = [
        s
        for s in r.slices
        if s.n >= MIN_SLICE
        and (s.positives is None or s.positives >= MIN_POSITIVES)
        and s.gain.ci[1] < 0
    ]
    losing.sort(key=lambda s: s.gain.value)
    return [
        f"in {s.column} = {s.value} (n={s.n}"
        + (f", {s.positives} positive" if s.positives is not None else "")
        + f") {r.best_model} does worse than {r.best_baseline} "
        f"({s.gain.percent(bracketed=True)}; {m.name} {number(s.model.value)} vs "
        f"{number(s.baseline.value)}): keep the heuristic there, or study that sub-population"
        for s in losing[:MAX_SLICES]
    ]


def _hypotheses(p: Problem, ds: Dataset, r: Result, ev: Evidence | None) -> list[str]:
    advice = {
        "not-supported": "drop group {g!r} ({name!r}): it adds at most {hi}; a simpler "
        "model is cheaper to run and to explain",
        "hurts": "drop group {g!r} ({name!r}): the model is better without it ({lo} to "
        "{hi} with it)",
        "inconclusive": "hypothesis {name!r} is inconclusive ({lo} to {hi}): more data "
        "or a sharper feature for {g!r} would settle it",
    }
    return [
        advice["hurts" if h.effect.ci[1] < 0 else h.outcome].format(
            g=h.group, name=h.name, lo=signed(h.effect.ci[0]), hi=signed(h.effect.ci[1])
        )
        for h in r.hypotheses
        if h.outcome in advice
    ]


def _data(p: Problem, ds: Dataset, r: Result, ev: Evidence | None) -> list[str]:
    if ev is None or ev.curve_gain is None or ev.curve_gain <= MORE_DATA:
        return []
    if ev.signal.ci[0] <= 0:  # a model no better than the constant learns noise faster, not signal
        return []
    if ev.projection is not None and not ev.projection.met and not ev.projection.within_reach:
        return []  # the verdict says more data alone will not reach the target
    return [
        f"collect more labeled data: the last doubling improved {r.metric.name} by "
        f"{ev.curve_gain:.1%}"
    ]


def _warnings(p: Problem, ds: Dataset, r: Result, ev: Evidence | None) -> list[str]:
    checks = sorted({f.check for f in r.findings if f.severity == "warn"})
    return (
        [f"look into the warnings ({', '.join(checks)}) before trusting the numbers"]
        if checks
        else []
    )


def _launch(p: Problem, ds: Dataset, r: Result, ev: Evidence | None) -> list[str]:
    if r.verdict.decision != "no-go":
        return []
    if ev is not None and ev.hides_signal:
        return [
            f"rerun with `metric: log_loss` or `metric: pr_auc`: {r.metric.name} cannot tell "
            "a useful model from always predicting the majority here"
        ]
    what = "keep" if r.best_baseline in running(p) else "ship"
    return [
        f"launch without ML: {what} {r.best_baseline!r}, log its inputs and outcomes, and "
        "revisit once the logs add signal the heuristic cannot use"
    ]


RULES: tuple[Rule, ...] = (_blocks, _launch, _slices, _hypotheses, _unused_time, _data, _warnings)


def suggest(p: Problem, ds: Dataset, r: Result, ev: Evidence | None) -> list[str]:
    """Suggestions for the next iteration, most pressing first."""
    return [s for rule in RULES for s in rule(p, ds, r, ev)]
