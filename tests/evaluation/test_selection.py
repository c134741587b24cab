"""Choosing configurations: successive halving on large tables, every configuration on all the
rows otherwise, and the progress count matching the fits made."""

from __future__ import annotations

import numpy as np
import pytest

from gonogo.candidates.candidate import assemble
from gonogo.evaluation import parallel, selection
from gonogo.evaluation.outer import Work, evaluate, fits
from gonogo.evaluation.selection import Fitter
from gonogo.metrics import METRICS
from tests.conftest import bound, noise_frame


def _run(rows_for_halving: int, monkeypatch: pytest.MonkeyPatch, models=None, watch="linear"):
    """Evaluate the constant and the linear model (four configurations), or the constant and
    the `models` given, on a 3,000-row table, recording every inner cross-validation of the
    `watch`ed one: (configuration, inner training sizes)."""
    monkeypatch.setattr(selection, "HALVING_FROM", rows_for_halving)
    fields = {"split": {"outer": 1}} | ({"models": models} if models else {})
    problem, ds, split = bound(noise_frame(n=3000), **fields)
    metric = METRICS["roc_auc"]
    candidates = [
        c
        for c in assemble(problem, ds, metric, split.ordered)
        if c.name == "constant" or (c.kind == "model" and (models or c.name == "linear"))
    ]
    fitter = Fitter(ds, metric)
    folds: dict[int, set[tuple[int, ...]]] = {}
    real = fitter.fold_predictions

    def fold_predictions(cand, config, fold, k, columns):
        if cand.name == watch:
            folds.setdefault(config, set()).add(tuple(len(tr) for tr, _ in fold.inner))
        return real(cand, config, fold, k, columns)

    monkeypatch.setattr(fitter, "fold_predictions", fold_predictions)
    ticks: list[str] = []
    work = Work({}, {}, problem.seed, curve=False)
    outcome = evaluate(fitter, candidates, split, work, ticks.append)
    assert len(ticks) == fits(candidates, split, work)  # the progress bar ends at its total
    calls = sorted((config, sizes) for config, seen in folds.items() for sizes in seen)
    return split, fitter, outcome, calls


def _cv(fitter, cand, config, fold):
    preds = [
        fitter.fold_predictions(cand, config, fold, k, fitter.ds.features)
        for k in range(len(fold.inner))
    ]
    return fitter.inner(fold, preds)


def test_large_tables_rank_every_configuration_on_a_third_then_the_best_third_on_all(
    monkeypatch,
):
    split, fitter, outcome, calls = _run(500, monkeypatch)
    full = tuple(len(tr) for tr, _ in split.outer[0].inner)
    third = tuple(n // 3 for n in full)
    assert min(full) >= 3 * 500
    first = [config for config, sizes in calls if sizes == third]
    second = [config for config, sizes in calls if sizes == full]
    assert sorted(first) == [0, 1, 2, 3] and len(second) == 2 and len(calls) == 6
    # The two that go on are the best two of the first rung, and the choice is the better of
    # them on all the rows, with its inner scores from all the rows.
    fold = split.outer[0]
    linear = next(c for c in outcome.runs[0].fitted if c.name == "linear")
    rung = {i: _cv(fitter, linear.candidate, i, selection.thinned(fold, 0)) for i in range(4)}
    assert set(second) == set(fitter.ranked(rung)[:2])
    again = {i: _cv(fitter, linear.candidate, i, fold) for i in second}
    assert linear.config == linear.candidate.configs[fitter.pick(again).index]
    assert linear.cv == pytest.approx(max(v.score for v in again.values()))


def _logistic(name: str, c: list[float]) -> dict:
    return {"name": name, "estimator": "sklearn.linear_model.LogisticRegression", "grid": {"C": c}}


def test_a_model_that_loses_every_inner_fold_of_the_first_rung_goes_no_further(monkeypatch):
    """A halving search over one grid of both models: the one that cannot rank (a prior-only
    classifier, AUC 0.5 on every fold) stops at a third of the rows; it is still fitted (on a
    third of the training rows, as its rung was) and tested on all the outer test rows, with
    its inner scores marked as a third's, and never best."""
    trained: dict[str, list[int]] = {}
    select = Fitter.select

    def recorded(self, cand, fold, columns, choice):
        trained.setdefault(cand.name, []).append(len(fold.train))
        return select(self, cand, fold, columns, choice)

    monkeypatch.setattr(Fitter, "select", recorded)
    models = [
        _logistic("linear", [0.1, 1.0]),
        {
            "name": "prior",
            "estimator": "sklearn.dummy.DummyClassifier",
            "grid": {"strategy": ["prior", "uniform"]},
        },
    ]
    split, _, outcome, calls = _run(500, monkeypatch, models, watch="prior")
    third = tuple(len(tr) // 3 for tr, _ in split.outer[0].inner)
    assert len(third) >= selection.LEFT_AFTER
    assert sorted(calls) == [(0, third), (1, third)]
    run = outcome.runs[0]
    prior = next(f for f in run.fitted if f.name == "prior")
    assert prior.inner.behind == "linear" and len(prior.test) == len(split.outer[0].test)
    assert run.model.name == "linear" and not run.model.inner.behind
    rows = len(split.outer[0].train)
    assert trained == {"constant": [rows], "linear": [rows], "prior": [rows // 3]}


def test_models_that_trade_inner_folds_both_go_on_to_all_the_rows(monkeypatch):
    """Two models alike (the same linear model and grid under two names): neither wins every
    fold, so both finish on all the rows."""
    models = [_logistic("linear", [0.1, 1.0]), _logistic("twin", [0.1, 1.0])]
    split, _, outcome, calls = _run(500, monkeypatch, models, watch="twin")
    full = tuple(len(tr) for tr, _ in split.outer[0].inner)
    assert any(sizes == full for _, sizes in calls)
    assert not any(f.inner.behind for f in outcome.runs[0].fitted)


def test_small_tables_try_every_configuration_on_all_the_rows(monkeypatch):
    split, _, _, calls = _run(selection.HALVING_FROM, monkeypatch)
    full = tuple(len(tr) for tr, _ in split.outer[0].inner)
    assert min(full) < 3 * selection.HALVING_FROM
    assert sorted(calls) == [(i, full) for i in range(4)]


def test_a_thinned_fold_keeps_a_third_of_each_training_part_and_the_same_validation():
    _, _, split = bound(noise_frame(n=3000), split={"outer": 1})
    fold = split.outer[0]
    thin = selection.thinned(fold, seed=3)
    for (tr, val), (kept, same) in zip(fold.inner, thin.inner, strict=True):
        assert np.array_equal(val, same)
        assert len(kept) == len(tr) // 3 and np.all(np.diff(kept) > 0)
        assert np.isin(kept, tr).all()
    assert np.array_equal(thin.train, fold.train) and np.array_equal(thin.test, fold.test)


def test_every_table_from_a_few_hundred_rows_runs_in_worker_processes(monkeypatch):
    monkeypatch.setenv("GONOGO_WORKERS", "2")
    monkeypatch.setattr(parallel.os, "cpu_count", lambda: 2)
    assert parallel.workers(parallel.PARALLEL_FROM - 1) == 1
    assert parallel.workers(parallel.PARALLEL_FROM) == 2
    assert parallel.workers(10_000_000) == 2
