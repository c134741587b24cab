"""The value of more data: the learning curve's law, fitted and extrapolated."""

import numpy as np
import pandas as pd
import pytest

import gonogo
from gonogo.evaluation.compare import Estimate
from gonogo.evaluation.projection import Law, Projection, fit
from gonogo.metrics import METRICS
from gonogo.problem import DecisionSpec
from gonogo.verdict import Evidence, decide
from tests.conftest import EXAMPLES

ROWS = np.array([100.0, 250.0, 500.0, 1000.0])


def test_the_fit_recovers_a_known_law_for_every_resample_at_once():
    truth = 0.2 + 3.0 * ROWS**-0.5
    noisy = truth + np.random.default_rng(0).normal(scale=1e-4, size=(50, 4))
    a, b, c = fit(ROWS, np.vstack([truth, noisy]))
    assert a[0] == pytest.approx(0.2, abs=0.01) and c[0] == pytest.approx(0.5, abs=0.03)
    assert np.all(np.abs(a[1:] - 0.2) < 0.03) and np.all(b >= 0)


def test_a_curve_that_gets_worse_with_data_is_flat_not_a_promise():
    a, b, _ = fit(ROWS, np.array([[0.5, 0.55, 0.6, 0.7]]))
    assert b[0] == 0 and a[0] == pytest.approx(0.5875)


def test_a_steep_curve_keeps_its_floor_at_the_perfect_value():
    steep = np.array([1.0, 0.55, 0.25, 0.1])  # mae: a straight line in n^-c crosses zero
    assert fit(ROWS, steep)[0][0] < 0
    a, b, c = fit(ROWS, steep, floor=0.0)
    assert a[0] == 0 and b[0] > 0
    law = Law(a[0], b[0], c[0], 1.0, 1.0, 0.0)
    assert law.needed(0.05) > 1000  # beyond the last point, which scored 0.1


def test_a_law_gives_the_rows_for_a_target_and_never_passes_perfect():
    # AUC = 1 - (0.05 + 2 n^-0.5), with n training rows = labeled rows / 1.25
    auc = METRICS["roc_auc"]
    law = Law(-(1 - 0.05), 2.0, 0.5, -1.0, 1.25, auc.perfect)
    needed = law.needed(0.9)  # 0.05 + 2 n^-0.5 = 0.1: n = 1,600 training rows
    assert needed == pytest.approx(1600 * 1.25)
    assert law.value(needed) == pytest.approx(0.9)
    assert law.needed(0.96) == float("inf")  # beyond the law's ceiling of 0.95
    assert Law(-1.2, 2.0, 0.5, -1.0, 1.0, auc.perfect).value(1e9) == 1.0


def _projection(law_a: float, rows: int = 1000) -> Projection:
    law = Law(law_a, 10.0, 0.5, 1.0, 1.25, 0.0)  # mae = a + 10 n^-0.5
    return Projection(1.0, "the spec's target", rows, law, (law,) * 3, 2.0)


def _evidence(projection: Projection) -> Evidence:
    return Evidence(
        METRICS["mae"],
        0.05,
        1.0,
        "gbm",
        "rule",
        Estimate(1.3, (1.2, 1.4)),
        Estimate(1.6, (1.5, 1.7)),
        Estimate(0.2, (0.1, 0.3)),
        Estimate(0.4, (0.3, 0.5)),
        0.02,
        projection=projection,
    )


def test_an_unmet_target_says_how_many_rows_reaching_it_needs():
    verdict = decide([], _evidence(_projection(0.8)))
    # 0.8 + 10 n^-0.5 = 1 at n = 2,500 training rows, 3,125 labeled rows.
    assert verdict.decision == "inconclusive"
    assert verdict.reasons[-1] == (
        "more data would help: reaching mae 1 (the spec's target) needs about 3,125 labeled rows "
        "(95% range 3,125 to 3,125), by the law fitted to the learning curve; there are 1,000"
    )


def test_rows_needed_are_whole_and_never_fewer_than_those_that_fall_short():
    """Resamples whose law reaches the target with fewer rows than there are say nothing of
    a table that does not reach it: the range starts at the rows in hand."""
    law = Law(0.8, 10.0, 0.5, 1.0, 1.25, 0.0)
    early = Law(0.5, 10.0, 0.5, 1.0, 1.0, 0.0)  # reaches mae 1 at 400 rows
    p = Projection(1.0, "the spec's target", 1000, law, (law, early, early), 2.0)
    assert p.needed().value == 3125 and p.needed().ci == (1000, 3125)
    # Every resample reaches it with the rows in hand: the range is those rows, not inverted.
    assert Projection(1.0, "", 1000, law, (early,), 2.0).needed().ci == (1000, 1000)
    later = Law(0.8, 10.0, 0.5, 1.0, 0.3, 0.0)  # reaches it at 750 rows: met, as it says
    assert Projection(1.0, "", 1000, later, (later,), 2.0).needed().ci == (750, 750)


def test_a_target_beyond_ten_times_the_data_says_so():
    verdict = decide([], _evidence(_projection(0.99)))
    assert verdict.reasons[-1].startswith(
        "more data is unlikely to get there: reaching mae 1 (the spec's target) is not within "
        "10x the data; at 10,000 labeled rows the learning curve's law predicts 1.1"
    )


def test_the_extrapolation_from_a_fifth_of_a_table_holds_for_the_whole(churn_result):
    """Churn at 1,000 rows, its curve extrapolated to all 5,000: the full table's own score
    lies inside the stated range."""
    problem = gonogo.load_problem(EXAMPLES / "churn" / "problem.yaml")
    problem = problem.model_copy(update={"decision": DecisionSpec(), "hypotheses": []})
    frame = pd.read_parquet(EXAMPLES / "churn" / "data" / "churn.parquet")
    small = gonogo.run(problem, data=frame.sample(1000, random_state=0))
    assert small.best_model == churn_result.best_model == "gbm"
    predicted = small.projection.at(len(frame))
    full = next(c for c in churn_result.candidates if c.name == "gbm").holdout.value
    assert predicted.ci[0] <= full <= predicted.ci[1]
    assert predicted.ci[1] - predicted.ci[0] < 0.15  # a range that says something
    assert small.to_dict()["more_data"]["rows"] == 1000
