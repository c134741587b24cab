"""Decisions at a budget: precision, recall and lift of the top k%, with intervals."""

import numpy as np
import pytest

from gonogo.evaluation.bootstrap import Resampler
from gonogo.evaluation.budget import SHARES, at_budget
from gonogo.evaluation.compare import Stack


def _budget(y, scores, budget=None, rounds=300):
    stack = Stack.single(len(y))
    named = {(role, role): s for role, s in scores.items()}
    return at_budget(y, named, stack, Resampler(len(y), rounds, 0), budget)


def _at(budget, role, share):
    return next(a for a in budget.rows if a.role == role and a.share == share)


def test_a_perfect_ranking_and_a_random_one():
    rng = np.random.default_rng(0)
    y = (rng.random(4000) < 0.2).astype(float)
    found = _budget(y, {"model": y + rng.random(4000) * 0.5, "baseline": rng.random(4000)})
    top = _at(found, "model", 0.1)
    assert top.precision.value == 1.0 and top.lift.value == pytest.approx(1 / y.mean())
    assert _at(found, "model", 0.3).recall.value == 1.0  # every positive within the top 30%
    noise = _at(found, "baseline", 0.2)
    assert noise.lift.ci[0] < 1.0 < noise.lift.ci[1]  # chance is inside the interval
    assert noise.precision.ci[0] <= noise.precision.value <= noise.precision.ci[1]
    assert [a.share for a in found.rows if a.role == "model"] == list(SHARES)


def test_the_confusion_is_counted_at_the_decisions_budget_or_the_base_rate():
    rng = np.random.default_rng(1)
    y = (rng.random(1000) < 0.06).astype(float)
    score = y * 0.3 + rng.random(1000)
    at_rate = _budget(y, {"model": score, "baseline": score})
    acted = at_rate.confusion[0].true_positive + at_rate.confusion[0].false_positive
    assert not at_rate.given and acted == round(y.mean() * 1000)
    reach = _budget(y, {"model": score, "baseline": score}, budget=0.2)
    tp, fp, fn, tn = (
        getattr(reach.confusion[0], k)
        for k in ("true_positive", "false_positive", "false_negative", "true_negative")
    )
    assert reach.given and tp + fp == 200 and tp + fn == y.sum() and tp + fp + fn + tn == 1000


def test_a_cut_through_hard_labels_takes_a_fair_share_of_the_tie():
    # A heuristic's yes/no: 30% flagged, half of them positive; acting on 10% takes a third
    # of the flagged, whichever rows come first in the table.
    y = np.tile([1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0], 300)
    flagged = np.zeros(3000)
    flagged[np.flatnonzero(y)[:450]] = 1.0
    flagged[np.flatnonzero(y == 0)[:450]] = 1.0
    found = _budget(y, {"model": flagged, "baseline": flagged})
    assert found.hard == ["model", "baseline"]
    assert _at(found, "model", 0.1).precision.value == pytest.approx(0.5, abs=0.05)
