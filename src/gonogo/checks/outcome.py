"""Findings that only the fitted candidates can show."""

from __future__ import annotations

from gonogo.candidates.baselines import THIN
from gonogo.candidates.candidate import Candidate
from gonogo.checks.finding import Finding
from gonogo.data.split import Split
from gonogo.evaluation.bootstrap import Resampler
from gonogo.evaluation.compare import Scores, Stack, score_all
from gonogo.evaluation.outer import Outcome, curve_drawn, curve_point
from gonogo.metrics import Array, Metric, number

# The recent windows worth training on: the learning curve's points of half and a quarter of
# the training rows (its tenth is too few to suggest training on).
WINDOWS = (0.5, 0.25)


def worse_than_constant(
    scores: Scores, candidates: list[Candidate], thin: dict[str, tuple[int, int]] | None = None
) -> list[Finding]:
    """A heuristic or existing system of the spec that always predicting the constant beats,
    with the whole paired interval: a finding in itself, whatever the models do. `thin`: for
    a per-group statistic, its groups of too few training rows, and all its groups."""
    out = []
    m = scores.metric
    constant = scores.point["candidate:constant"].value
    for cand in candidates:
        if cand.kind != "baseline" or not cand.place:
            continue
        key = f"candidate:{cand.name}"
        gain = scores.gain(key, "candidate:constant")
        if gain.ci[1] >= 0:
            continue
        value = scores.point[key].value
        few, groups = (thin or {}).get(cand.name, (0, 0))
        why = (
            f"; {few} of its {groups} groups learned from fewer than {THIN} training rows, "
            "whose statistic is mostly noise"
            if few
            else ""
        )
        out.append(
            Finding(
                "baseline.worse_than_constant",
                "warn",
                f"the heuristic {cand.name!r} does worse than always predicting the constant: "
                f"{m.name} {number(value)} vs {number(constant)} "
                f"({gain.percent(bracketed=True)}){why}; "
                "if it is in use today, replacing it with the constant is already an improvement",
                (),
                {"candidate": cand.name, "relative": gain.value, "ci": list(gain.ci)},
            )
        )
    return out


def past_misleads(
    outcome: Outcome, split: Split, y: Array, metric: Metric, resampler: Resampler
) -> list[Finding]:
    """On time-ordered rows, the best model trained on only the most recent part of its
    training rows (the learning curve's points, drawn on the latest period) against all of
    them, paired on the same test rows: a recent window that wins with its whole interval
    says the older rows mislead the model, which no added row or feature would fix."""
    drawn, fractions = curve_drawn(outcome, split)
    windows = [f for f in fractions if f in WINDOWS]
    if not split.ordered or not windows or 1.0 not in fractions:
        return []
    stack = Stack.of_folds([fold for _, fold in drawn])
    points = {f: curve_point(drawn, f) for f in [*windows, 1.0]}
    sampler = Resampler(len(stack.distinct), resampler.rounds, resampler.seed, resampler.block)
    preds = {str(f): pred for f, (_, pred) in points.items()}
    scores = score_all(metric, y[stack.rows], preds, stack, sampler)
    gains = {f: scores.gain(str(f), "1.0") for f in windows}
    clear = [f for f in windows if gains[f].ci[0] > 0]
    if not clear:
        return []
    best = max(clear, key=lambda f: gains[f].value)
    gain = gains[best]
    used, every = points[best][0], points[1.0][0]
    return [
        Finding(
            "split.past_misleads",
            "warn",
            f"trained on only its most recent {best:.0%} of training rows ({used:,.0f} of "
            f"{every:,.0f}), {outcome.best('model')} scores {metric.name} "
            f"{number(scores.point[str(best)].value)} against "
            f"{number(scores.point['1.0'].value)} with "
            f"all of them ({gain.percent(bracketed=True)}), on the latest period's test rows: "
            "the older rows mislead the model; keep only recent rows (a filtered file, or "
            "data.sql with a WHERE on the time) and run again",
            (),
            {"window": best, "rows": round(used), "relative": gain.value, "ci": list(gain.ci)},
        )
    ]
