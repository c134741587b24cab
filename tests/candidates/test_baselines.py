import numpy as np
import pandas as pd
import pytest

from gonogo import SpecError
from gonogo.candidates.baselines import ColumnBaseline, ExpressionBaseline, GroupStatistic
from gonogo.metrics import METRICS
from tests.conftest import ROOT


def test_a_group_statistic_learns_on_training_rows_and_falls_back():
    train = pd.DataFrame({"day": ["Mon", "Mon", "Sun", "Sun", "Sun"]})
    y = np.array([10.0, 14.0, 2.0, 3.0, 100.0])
    est = GroupStatistic(["day"], "median", "regression", (), "b").fit(train, y)
    pred = est.predict_scores(pd.DataFrame({"day": ["Sun", "Mon", "Holiday"]}))
    assert pred[:2].tolist() == [3.0, 12.0]
    # Unseen groups get the overall median: the statistic the heuristic uses.
    assert pred[2] == pytest.approx(np.median(y))
    assert est.coverage(pd.DataFrame({"day": ["Sun", "Mon", "Holiday"]})) == pytest.approx(2 / 3)
    assert est.thin(3) == (1, 2)  # Monday learned from 2 rows, Sunday from 3


def test_a_multiclass_rate_table_gives_probabilities():
    train = pd.DataFrame({"g": ["a", "a", "b", "b"]})
    est = GroupStatistic(["g"], "rate", "multiclass", ("x", "y", "z"), "b").fit(
        train, np.array([0.0, 2, 1, 1])
    )
    assert est.predict_scores(pd.DataFrame({"g": ["a", "b"]})).tolist() == [
        [0.5, 0, 0.5],
        [0, 1, 0],
    ]


def test_an_existing_system_column_may_hold_labels_or_probabilities():
    y = np.array([0.0, 1.0])
    frame = pd.DataFrame({"pred": ["yes", "no", None]})
    labels = ColumnBaseline("pred", "binary", ("no", "yes"), "b").fit(frame.iloc[:2], y)
    assert labels.predict_scores(frame).tolist() == [1.0, 0.0, 0.5]
    frame = pd.DataFrame({"pred": [0.2, 0.9, 0.4]})
    probabilities = ColumnBaseline("pred", "binary", ("no", "yes"), "b").fit(frame.iloc[:2], y)
    assert probabilities.predict_scores(frame).tolist() == [0.2, 0.9, 0.4]
    assert probabilities.reads_as() == ""


def test_numbers_outside_zero_one_are_a_score_ranked_or_calibrated():
    rng = np.random.default_rng(0)
    ratio = pd.Series(rng.uniform(0, 3, 2000))  # e.g. payments over income
    y = (rng.random(2000) < 1 / (1 + np.exp(-(ratio.to_numpy() * 2 - 3)))).astype(float)
    frame = pd.DataFrame({"ratio": ratio})
    ranked = ColumnBaseline("ratio", "binary", ("no", "yes"), "b", rank=True).fit(frame, y)
    assert ranked.predict_scores(frame).tolist() == ratio.tolist()
    assert "ranked as it is" in ranked.reads_as()
    calibrated = ColumnBaseline("ratio", "binary", ("no", "yes"), "b").fit(frame, y)
    p = calibrated.predict_scores(frame)
    assert ((p > 0) & (p < 1)).all()
    assert (np.argsort(p, kind="stable") == np.argsort(ratio.to_numpy(), kind="stable")).all()
    assert abs(p.mean() - y.mean()) < 0.01  # calibrated: the rate comes out right


def test_values_that_are_neither_labels_nor_numbers_are_an_input_error():
    frame = pd.DataFrame({"pred": ["yes", "no"]})
    est = ColumnBaseline("pred", "binary", ("no", "yes"), "baselines[2]")
    est.fit(frame, np.array([0.0, 1.0]))
    with pytest.raises(
        SpecError, match=r"baselines\[2\]: yields values that are neither .* 'maybe'"
    ):
        est.predict_scores(pd.DataFrame({"pred": ["yes", "maybe"]}))


def test_labels_under_a_probability_metric_become_the_class_shares_they_got():
    """Ecdat's Fishing, a rule naming the cheaper of boat and charter: read as certain, every
    wrong label costs log loss its clipped maximum (23 against 1.27 for the constant). Read
    as the shares of the classes among the training rows given each label, it is a forecast."""
    frame = pd.read_parquet(ROOT / "tests" / "fixtures" / "fishing.parquet")
    classes = tuple(sorted(frame["mode"].unique()))
    y = frame["mode"].map({c: i for i, c in enumerate(classes)}).to_numpy(np.float64)
    rule = "'boat' if pboat <= pcharter else 'charter'"
    train, test = frame.iloc[:900], frame.iloc[900:]
    log_loss = METRICS["log_loss"]
    certain = ExpressionBaseline(rule, "multiclass", classes).fit(train, y[:900])
    shares = ExpressionBaseline(rule, "multiclass", classes, calibrate=True).fit(train, y[:900])
    assert log_loss.value(y[900:], certain.predict_scores(test)) > 10
    p = shares.predict_scores(test)
    assert log_loss.value(y[900:], p) < 1.5 and np.allclose(p.sum(axis=1), 1)
    boat = train.eval("pboat <= pcharter").to_numpy()
    said_boat = p[test.eval("pboat <= pcharter").to_numpy()][0]
    # One row of overall shares added to the boat rows' own counts.
    counts = np.bincount(y[:900][boat].astype(int), minlength=len(classes))
    overall = np.bincount(y[:900].astype(int), minlength=len(classes)) / 900
    assert said_boat == pytest.approx((counts + overall) / (boat.sum() + 1))
    assert "calibrated to the class shares" in shares.reads_as()


def test_binary_labels_under_a_probability_metric_and_probabilities_as_they_are():
    y = np.array([0.0, 1.0, 1.0, 0.0, 0.0])
    frame = pd.DataFrame({"pred": ["yes", "yes", "yes", "no", "no"]})
    labels = ColumnBaseline("pred", "binary", ("no", "yes"), "b", calibrate=True).fit(frame, y)
    # yes: 2 of 3 positive, plus a row of the overall rate (0.4); no: 0 of 2, plus 0.4.
    assert labels.predict_scores(frame.iloc[[0, 3]]).tolist() == pytest.approx([2.4 / 4, 0.4 / 3])
    soft = pd.DataFrame({"pred": [0.2, 0.9, 0.4, 0.1, 0.3]})
    kept = ColumnBaseline("pred", "binary", ("no", "yes"), "b", calibrate=True).fit(soft, y)
    assert kept.predict_scores(soft).tolist() == soft["pred"].tolist()
