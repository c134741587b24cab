"""Every metric, on every resample, agrees with scikit-learn given the same weights."""

import numpy as np
import pytest
from sklearn import metrics as skm

from gonogo.evaluation.bootstrap import Resampler
from gonogo.metrics import METRICS, mean


def _softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


@pytest.fixture(scope="module")
def cases(chicago_frame, churn_frame):
    """Real labels with real, imperfect predictions made from other columns."""
    reg_y = chicago_frame["ridership"].to_numpy(float)
    reg_p = chicago_frame["Clark_Lake"].to_numpy(float)
    bin_y = (churn_frame["churn"] == "yes").to_numpy(float)
    minutes = churn_frame["total_day_minutes"].to_numpy(float)
    bin_p = np.round((minutes - minutes.min()) / np.ptp(minutes), 2)  # rounded: ties happen
    codes = churn_frame["area_code"].astype("category").cat.codes.to_numpy()
    z = churn_frame[["total_eve_minutes", "total_night_minutes", "total_intl_minutes"]].to_numpy(
        float
    )
    multi_p = _softmax((z - z.mean(0)) / z.std(0))
    return {
        "regression": (reg_y, reg_p),
        "binary": (bin_y, bin_p),
        "multiclass": (codes.astype(float), multi_p),
    }


def _sklearn(name, y, p, w):
    label = p.argmax(1) if p.ndim == 2 else (p >= 0.5).astype(int)
    multi = p.ndim == 2
    onehot = np.eye(p.shape[1])[y.astype(int)] if multi else None
    ref = {
        "mae": lambda: skm.mean_absolute_error(y, p, sample_weight=w),
        "rmse": lambda: skm.root_mean_squared_error(y, p, sample_weight=w),
        "mape": lambda: skm.mean_absolute_percentage_error(y, p, sample_weight=w),
        "r2": lambda: skm.r2_score(y, p, sample_weight=w),
        "roc_auc": lambda: (
            skm.roc_auc_score(y, p, sample_weight=w, multi_class="ovr", average="macro")
            if multi
            else skm.roc_auc_score(y, p, sample_weight=w)
        ),
        "pr_auc": lambda: skm.average_precision_score(
            onehot if multi else y, p, sample_weight=w, average="macro"
        ),
        "log_loss": lambda: skm.log_loss(
            y, p, sample_weight=w, labels=list(range(p.shape[1])) if multi else [0, 1]
        ),
        "brier": lambda: (
            np.average(((p - onehot) ** 2).sum(1), weights=w)
            if multi
            else skm.brier_score_loss(y, p, sample_weight=w)
        ),
        "accuracy": lambda: skm.accuracy_score(y, label, sample_weight=w),
        "balanced_accuracy": lambda: skm.balanced_accuracy_score(y, label, sample_weight=w),
        "f1": lambda: skm.f1_score(
            y, label, sample_weight=w, average="macro" if multi else "binary"
        ),
    }
    return ref[name]()


@pytest.mark.parametrize("name", list(METRICS))
def test_matches_scikit_learn_on_resamples(name, cases):
    metric = METRICS[name]
    for task in sorted(metric.tasks):
        y, p = cases[task]
        assert metric.value(y, p) == pytest.approx(_sklearn(name, y, p, None), rel=1e-9)
        W = next(Resampler(len(y), 5, seed=3).chunks())
        ours = metric.many(y, p, W)
        for w, value in zip(W, ours, strict=True):
            assert value == pytest.approx(_sklearn(name, y, p, w), rel=1e-9), task


def test_gain_is_relative_in_the_good_direction():
    mae, auc = METRICS["mae"], METRICS["roc_auc"]
    assert mae.gain(np.array(1.2), np.array(1.6)) == pytest.approx(0.25)
    assert auc.gain(np.array(0.9), np.array(0.75)) == pytest.approx(0.2)
    assert mae.better(1.0, 2.0) and auc.better(0.9, 0.8)


def test_a_gain_in_r2_is_the_cut_in_squared_error(cases):
    """A ratio of two R² near zero means nothing; the share of the unexplained variance
    removed is the relative cut in squared error, whatever the R² values."""
    y, p = cases["regression"]
    worse = p + np.random.default_rng(0).normal(0, np.std(y - p), len(y))
    r2, rmse = METRICS["r2"], METRICS["rmse"]
    mse = lambda q: rmse.value(y, q) ** 2  # noqa: E731
    gain = r2.gain(r2.value(y, p), r2.value(y, worse))
    assert gain == pytest.approx(1 - mse(p) / mse(worse))
    assert r2.gain(0.06, 0.01) == pytest.approx(0.05 / 0.99)  # not +500%


@pytest.mark.parametrize("name", sorted(METRICS))
def test_the_bar_is_what_the_gain_measures(name):
    metric = METRICS[name]
    for base in (0.2, 0.6, -0.3) if metric.greater_is_better else (0.2, 3.0):
        assert metric.gain(metric.bar(base, 0.05), base) == pytest.approx(0.05)


def test_a_resample_of_no_weight_has_no_mean_and_no_warning():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpy's "invalid value in divide" leaked to users
        got = mean(np.array([[0.0, 0.0], [1.0, 3.0]]), np.array([2.0, 6.0]))
    assert np.isnan(got[0]) and got[1] == 5.0


def test_values_read_as_people_write_them():
    from gonogo.metrics import number

    assert number(36730.4) == "36,730" and number(-16840.2, signed=True) == "-16,840"
    assert number(0.612345) == "0.6123" and number(5.5, signed=True) == "+5.5"
    assert number(-0.0) == "0" and number(-0.0, signed=True) == "+0"  # never a negative zero
