"""Suggestions follow the evidence: the shuffled label and the real one call for different next steps."""

import dataclasses

import numpy as np

import gonogo
from gonogo.data.dataset import load
from gonogo.evaluation.slices import SliceRow
from gonogo.refine import suggest


def test_a_winning_model_points_at_the_few_slices_where_it_still_loses(
    chicago_result, chicago_problem
):
    rows = [
        SliceRow("day_of_week", day, 100, model, 1.0)
        for day, model in [("Mon", 1.1), ("Tue", 1.5), ("Wed", 0.9), ("Thu", 1.3), ("Fri", 1.2)]
    ]
    crafted = dataclasses.replace(chicago_result, slices=rows)
    ds = load(chicago_problem)
    found = [s for s in suggest(chicago_problem, ds, crafted, None) if s.startswith("in ")]
    assert [s.split(" (n=")[0] for s in found] == [
        "in day_of_week = Tue",
        "in day_of_week = Thu",
        "in day_of_week = Fri",
    ]


def test_no_signal_suggests_launching_the_heuristic_and_nothing_about_slices(
    chicago_problem, chicago_frame
):
    shuffled = chicago_frame.assign(
        ridership=np.random.default_rng(1).permutation(chicago_frame["ridership"].to_numpy())
    )
    r = gonogo.run(chicago_problem, data=shuffled)
    assert r.refine[0].startswith(f"launch without ML: ship {r.best_baseline!r}")
    assert not any(s.startswith(("in ", "collect more")) for s in r.refine)
