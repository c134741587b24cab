"""Will the estimate hold in production, where the future is unknown?

A model trained on a random sample of rows has seen the days around every test day; one trained
on the past has not. Both are trained on as many rows and scored on the same test rows (every
other row of the most recent period), so the difference is the optimism of a random split, with
a paired block-bootstrap interval instead of the noise of two different holdouts.
"""

from __future__ import annotations

import numpy as np

from gonogo.checks.finding import Finding
from gonogo.checks.probe import paired
from gonogo.data.dataset import Dataset
from gonogo.data.dates import shown
from gonogo.data.split import ORIGINS, Split, outer_count, split_like
from gonogo.metrics import number
from gonogo.problem import Problem

OPTIMISM = 0.10


def optimism(problem: Problem, ds: Dataset, split: Split) -> list[Finding]:
    if ds.time is None or len(split.holdout) < 20:
        return []
    past, recent = split_like("time", problem, ds)
    test = recent[::2]
    pool = np.concatenate([past, recent[1::2]])
    rng = np.random.default_rng(problem.seed)
    shuffled = np.sort(rng.choice(pool, size=len(past), replace=False))
    scores = paired(problem, ds, test, {"time": past, "random": shuffled}, ordered=True)
    effect = scores.gain("random", "time")
    (lo, hi), gain = effect.ci, effect.value
    values = {name: scores.point[name].value for name in ("time", "random")}
    metric = scores.metric
    if not (gain > OPTIMISM and lo > 0):
        return []
    # Under the time split the run's own estimates hold; what is left to say is the drift.
    timed = split.strategy == "time"
    using = (
        "this run uses the time split; expect drift and plan retraining"
        if timed
        else "this run's estimates come from a random split and will not hold in production"
    )
    return [
        Finding(
            "split.optimism",
            "info" if timed else "warn",
            f"trained on a random sample instead of the past, a quick gradient boosting probe "
            f"scores {gain:.0%} "
            f"better (95% CI {lo:.0%} to {hi:.0%}; {metric.name} {number(values['random'])} vs "
            f"{number(values['time'])}): {using}",
            (ds.time,),
            {"random": values["random"], "time": values["time"], "relative": gain, "ci": [lo, hi]},
        )
    ]


def entity_over_time(problem: Problem, ds: Dataset, split: Split) -> list[Finding]:
    """Say when a table with both an entity and a time is split by entity, as it is unless the
    spec says otherwise: new entities are judged, and training holds later times than some
    test rows, which a forecast of the same entities' future never has."""
    if ds.time is None or ds.entity is None or split.strategy != "group":
        return []
    if problem.split.strategy is not None:
        return []
    return [
        Finding(
            "split.by_entity",
            "info",
            f"split by {ds.entity} (data.entity): the estimates are for {ds.entity} values never "
            f"seen in training, and training holds later times ({ds.time}) than some test rows; "
            "to judge forecasts of the same ones' future, set split.strategy: time",
            (ds.entity, ds.time),
        )
    ]


def one_stretch(problem: Problem, ds: Dataset, split: Split) -> list[Finding]:
    """Say when a small time-ordered table is judged on one stretch at its end: rows of one
    time stay in one rolling origin, and the rows tested share too few times to make
    several. The verdict then rests on what that stretch holds (a season, a regime), and its
    interval, resampled within the stretch, cannot show what another would say."""
    if not split.ordered or ds.time is None or len(split.outer) != 1:
        return []
    if outer_count(problem, ds, split.strategy) == 1:  # one was asked for: a large table
        return []
    test = split.outer[0].test
    stamps = ds.frame[ds.time].iloc[test]
    return [
        Finding(
            "split.one_stretch",
            "warn",
            f"the comparison rests on one stretch, the last {len(test)} rows (from "
            f"{shown(stamps.iloc[0])}): they share {stamps.nunique()} time(s) of {ds.time}, "
            "and rows of one time stay in one rolling origin, so they make no more; its "
            f"interval cannot show what another stretch would say. {_more(ds, stamps.nunique())}",
            (ds.time,),
            {"rows": len(test)},
        )
    ]


def _more(ds: Dataset, tested: int) -> str:
    """How to test more: the holdout that covers the last ORIGINS times, when the table has
    them (six years of arrests were judged on the last, 5% of the rows)."""
    times = ds.frame[ds.time].value_counts().sort_index()
    if len(times) <= max(tested, ORIGINS):
        return "More periods of history test more of it"
    share = times.iloc[-ORIGINS:].sum() / times.sum()
    return (
        f"split.holdout: {np.ceil(share * 20) / 20:.2f} covers the last {ORIGINS} times of "
        f"{len(times)}, one rolling origin each"
    )


def fewer_origins(problem: Problem, ds: Dataset, split: Split) -> list[Finding]:
    """Say when the time split makes fewer rolling origins than split.outer asks for: rows of
    one time stay in one origin, and the tested rows hold fewer times (or fewer rows than
    the origins need). Asked for three, two came without a word."""
    asked, made = problem.split.outer, len(split.outer)
    if asked is None or not split.ordered or ds.time is None or not 1 < made < asked:
        return []  # one origin is one_stretch's to say
    tested = np.concatenate([f.test for f in split.outer])
    times = ds.frame[ds.time].iloc[tested].nunique()
    return [
        Finding(
            "split.fewer_origins",
            "info",
            f"split.outer asks for {asked} rolling origins; the {len(tested)} tested rows hold "
            f"{times} time(s) of {ds.time} and make {made}: rows of one time stay "
            "in one origin; a larger split.holdout tests more times",
            (ds.time,),
            {"asked": asked, "made": len(split.outer)},
        )
    ]


CHECKS = (optimism, entity_over_time, one_stretch, fewer_origins)
