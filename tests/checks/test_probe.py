"""Probes: small models that checks fit, capped in rows so that large tables stay quick."""

from __future__ import annotations

import numpy as np

from gonogo.checks import probe


def test_probes_train_on_a_fixed_random_sample_of_a_large_training_part(monkeypatch):
    monkeypatch.setattr(probe, "PROBE_ROWS", 1_000)
    train = np.arange(0, 9_000, 3)
    kept = probe.capped(train, seed=4)
    assert len(kept) == 1_000 and np.isin(kept, train).all() and np.all(np.diff(kept) > 0)
    assert np.array_equal(kept, probe.capped(train, seed=4))  # the same rows every run
    assert kept.max() > 8_000 and kept.min() < 1_000  # drawn over the whole part, not its head
    small = train[:1_000]
    assert probe.capped(small, seed=4) is small


def test_a_capped_single_column_probe_still_finds_a_label_copy(churn_frame, monkeypatch):
    from gonogo.data.dataset import bind
    from tests.conftest import spec

    frame = churn_frame.assign(copy=(churn_frame["churn"] == "yes").astype(int))
    problem = spec(label={"column": "churn", "positive": "yes"}, exclude=["rownames"])
    ds = bind(problem, frame)
    monkeypatch.setattr(probe, "PROBE_ROWS", 500)
    rows = np.arange(len(ds.y))
    pred = probe.single_feature(ds, "copy", rows[:4_000], rows[4_000:], seed=0)
    assert probe.determination(ds, ds.y[4_000:], pred) == 1.0
