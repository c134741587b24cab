"""Scores on shared resamples: equal predictions are resampled once, and worker processes give
exactly the draws of one process."""

from __future__ import annotations

import numpy as np
import pytest

from gonogo.evaluation import compare
from gonogo.evaluation.bootstrap import Resampler
from gonogo.evaluation.compare import Stack, score_all
from gonogo.metrics import METRICS


@pytest.fixture(scope="module")
def churn_scores(churn_frame):
    """Real churn labels, and three real imperfect scores made of single columns."""
    y = (churn_frame["churn"] == "yes").to_numpy(float)
    columns = ["total_day_minutes", "number_customer_service_calls", "total_eve_minutes"]
    preds = {c: churn_frame[c].to_numpy(float) for c in columns}
    preds["copy"] = preds["total_day_minutes"].copy()
    return y, preds


def _scores(y, preds):
    return score_all(METRICS["roc_auc"], y, preds, Stack.single(len(y)), Resampler(len(y), 300, 7))


def test_worker_processes_draw_exactly_what_one_process_draws(churn_scores, monkeypatch):
    y, preds = churn_scores
    alone = _scores(y, preds)
    monkeypatch.setenv("GONOGO_WORKERS", "2")
    monkeypatch.setattr(compare, "PARALLEL_CELLS", 0)
    spread = _scores(y, preds)
    for name in preds:
        assert np.array_equal(alone.draws[name], spread.draws[name])
        assert alone.point[name] == spread.point[name]
    assert spread.gain("total_day_minutes", "total_eve_minutes").ci[0] > 0


def test_equal_predictions_share_their_draws_and_different_ones_do_not(churn_scores):
    y, preds = churn_scores
    scores = _scores(y, preds)
    assert np.array_equal(scores.draws["copy"], scores.draws["total_day_minutes"])
    assert not np.array_equal(scores.draws["total_eve_minutes"], scores.draws["total_day_minutes"])
    assert scores.gain("copy", "total_day_minutes").ci == (0.0, 0.0)


def test_a_relative_value_near_zero_keeps_its_sign_and_nothing_reads_as_no_loss():
    e = compare.Estimate(-0.00001, (-0.0204, -0.0004))
    assert e.percent() == "+0.0% (95% CI -2.0% to -0.04%)"
    assert e.percent(bracketed=True) == "+0.0%, 95% CI -2.0% to -0.04%"
    assert compare.signed(-0.0006) == "-0.1%" and compare.signed(0.1234) == "+12.3%"
