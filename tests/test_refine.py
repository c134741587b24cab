"""Suggestions follow the evidence: the shuffled label and the real one call for different next steps."""

import dataclasses

import numpy as np

import gonogo
from gonogo.data.dataset import load
from gonogo.evaluation.compare import Estimate
from gonogo.evaluation.projection import Law, Projection
from gonogo.evaluation.slices import SliceRow
from gonogo.metrics import METRICS
from gonogo.problem import BaselineSpec
from gonogo.refine import suggest
from gonogo.verdict import Evidence


def _row(day: str, gain: float, ci: tuple[float, float], positives: int | None = None) -> SliceRow:
    model = Estimate(1.0 - gain, (0.9 - gain, 1.1 - gain))
    return SliceRow(
        "day_of_week", day, 100, positives, model, Estimate(1.0, (0.9, 1.1)), Estimate(gain, ci)
    )


def test_a_winning_model_points_at_the_slices_where_it_surely_loses(
    chicago_result, chicago_problem
):
    rows = [
        _row("Mon", -0.10, (-0.25, 0.05)),  # a loss, but the interval reaches zero: noise
        _row("Tue", -0.50, (-0.60, -0.40)),
        _row("Wed", 0.10, (0.02, 0.18)),
        _row("Thu", -0.30, (-0.40, -0.20)),
        _row("Fri", -0.20, (-0.30, -0.10)),
    ]
    crafted = dataclasses.replace(chicago_result, slices=rows)
    ds = load(chicago_problem)
    found = [s for s in suggest(chicago_problem, ds, crafted, None) if s.startswith("in ")]
    assert [s.split(" (n=")[0] for s in found] == [
        "in day_of_week = Tue",
        "in day_of_week = Thu",
        "in day_of_week = Fri",
    ]
    assert "(-50.0%, 95% CI -60.0% to -40.0%;" in found[0]


def test_no_slice_advice_on_a_handful_of_positives(chicago_result, chicago_problem):
    rows = [_row("Tue", -0.50, (-0.60, -0.40), positives=4)]
    crafted = dataclasses.replace(chicago_result, slices=rows)
    found = suggest(chicago_problem, load(chicago_problem), crafted, None)
    assert not any(s.startswith("in ") for s in found)


def test_no_signal_suggests_launching_the_heuristic_and_nothing_about_slices(
    chicago_problem, chicago_frame
):
    shuffled = chicago_frame.assign(
        ridership=np.random.default_rng(1).permutation(chicago_frame["ridership"].to_numpy())
    )
    r = gonogo.run(chicago_problem, data=shuffled)
    assert r.refine[0].startswith(f"launch without ML: ship {r.best_baseline!r}")
    assert not any(s.startswith(("in ", "collect more")) for s in r.refine)
    # The same heuristic as an existing system's output (a column) is already running.
    column = BaselineSpec(name=r.best_baseline, column="Clark_Lake")
    running = chicago_problem.model_copy(update={"baselines": [column]})
    kept = suggest(running, load(chicago_problem, shuffled), r, None)
    assert kept[0].startswith(f"launch without ML: keep {r.best_baseline!r}")


def _reaching(floor: float) -> Projection:
    """mae = floor + 10 n^-0.5 on 1,000 labeled rows, against a target of 1."""
    law = Law(floor, 10.0, 0.5, 1.0, 1.25, 0.0)
    return Projection(1.0, "the spec's target", 1000, law, (law,), 2.0)


def test_more_data_is_advised_only_when_it_can_reach_the_target(chicago_result, chicago_problem):
    """The verdict says more data is unlikely to reach a target 10x the rows away: the
    suggestions must not then say to collect more, however much the last doubling gained."""
    ev = Evidence(
        METRICS["mae"], 0.05, 1.0, "gbm", "rule", Estimate(1.3, (1.2, 1.4)),
        Estimate(1.6, (1.5, 1.7)), Estimate(0.2, (0.1, 0.3)), Estimate(0.4, (0.3, 0.5)), 0.05,
    )  # fmt: skip
    ds = load(chicago_problem)

    def advised(projection: Projection) -> bool:
        found = suggest(
            chicago_problem, ds, chicago_result, dataclasses.replace(ev, projection=projection)
        )
        return any(s.startswith("collect more labeled data") for s in found)

    assert not advised(_reaching(0.99))  # 1 needs about 1.25 million rows
    assert advised(_reaching(0.8))  # 3,125 rows
