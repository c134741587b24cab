import numpy as np
import pytest

from gonogo.evaluation.bootstrap import Resampler, interval
from gonogo.evaluation.compare import Stack, score_all
from gonogo.metrics import METRICS


def test_every_resample_draws_n_rows_and_is_reproducible():
    r = Resampler(1000, 300, seed=7)
    W = np.vstack(list(r.chunks()))
    assert W.shape == (300, 1000) and (W.sum(axis=1) == 1000).all()
    assert np.array_equal(W, np.vstack(list(Resampler(1000, 300, seed=7).chunks())))


def test_a_head_is_the_first_resamples_of_the_same_stream():
    for n, block in ((1000, 1), (5000, 17), (9000, 1)):  # 9,000 rows: several chunks
        r = Resampler(n, 1000, seed=3, block=block)
        full = np.vstack(list(r.chunks()))
        assert np.array_equal(np.vstack(list(r.head(200).chunks())), full[:200])


def test_blocks_keep_neighbours_together():
    r = Resampler.for_holdout(1000, 50, seed=0, ordered=True)
    assert r.block == 10
    W = next(r.chunks())
    drawn = W[0] > 0
    runs = np.diff(np.flatnonzero(np.diff(np.r_[0, drawn.astype(int), 0]) != 0))[::2]
    assert runs.min() >= 10 or drawn.all()


def test_large_holdouts_are_drawn_in_chunks():
    r = Resampler(50_000, 1000, seed=0)
    shapes = [W.shape for W in r.chunks()]
    assert sum(s[0] for s in shapes) == 1000 and len(shapes) > 1


def test_the_interval_covers_the_truth_about_95_percent_of_the_time():
    rng = np.random.default_rng(0)
    mae = METRICS["mae"]
    hits = 0
    for i in range(200):
        err = rng.exponential(1.0, size=300)  # true mean absolute error: 1.0
        scores = score_all(
            mae, err, {"m": np.zeros(300)}, Stack.single(300), Resampler(300, 400, i)
        )
        lo, hi = scores.point["m"].ci
        hits += lo <= 1.0 <= hi
    assert 0.90 <= hits / 200 <= 0.99


def test_undefined_resamples_are_ignored():
    assert interval(np.array([np.nan, 1.0, 2.0, 3.0])) == pytest.approx((1.05, 2.95))
    assert all(np.isnan(interval(np.array([np.nan]))))
