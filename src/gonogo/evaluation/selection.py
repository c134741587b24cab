"""Fitting candidates, and choosing each one's configuration by cross-validation.

Only the training part's folds are used to choose; the holdout is predicted once, by the
configuration chosen, fitted on the whole training part.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from gonogo.candidates.candidate import Candidate
from gonogo.candidates.predict import scores
from gonogo.data.dataset import Dataset
from gonogo.data.split import Index, Split
from gonogo.errors import GonogoError, SpecError
from gonogo.evaluation.metrics import Array, Metric

Tick = Callable[[str], None]


@dataclass(frozen=True)
class Fitted:
    """A candidate with its chosen configuration, fitted on the training part."""

    candidate: Candidate
    config: dict[str, Any]
    cv: float
    estimator: Any
    holdout: Array
    description: str

    @property
    def name(self) -> str:
        return self.candidate.name

    @property
    def kind(self) -> str:
        return self.candidate.kind


def _first_line(err: Exception) -> str:
    text = str(err).strip()
    return f"{type(err).__name__}: {text.splitlines()[0]}" if text else type(err).__name__


class Fitter:
    """Fits and predicts candidates on row subsets of one dataset."""

    def __init__(self, ds: Dataset, metric: Metric, tick: Tick | None = None) -> None:
        self.ds = ds
        self.metric = metric
        self.tick = tick or (lambda _label: None)
        self._all = [c for c in ds.frame.columns if c != ds.label]

    def frame(self, cand: Candidate, rows: Index, columns: list[str]) -> pd.DataFrame:
        """What the candidate sees: baselines see every column, models their features."""
        return self.ds.frame[self._all if cand.sees_all_columns else columns].iloc[rows]

    def _guard(self, cand: Candidate, action: Callable[[], Any]) -> Any:
        """User-written candidates failing is an input error; ours failing is a bug."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if not cand.place:
                return action()
            try:
                return action()
            except GonogoError:
                raise
            except Exception as err:
                raise SpecError(cand.place, f"failed: {_first_line(err)}") from None

    def fit(self, cand: Candidate, config: dict[str, Any], rows: Index, columns: list[str]) -> Any:
        est = cand.make(config, columns)
        X = self.frame(cand, rows, columns)
        self._guard(cand, lambda: est.fit(X, self.ds.y[rows]))
        self.tick(cand.name)
        return est

    def predict(self, cand: Candidate, est: Any, rows: Index, columns: list[str]) -> Array:
        X = self.frame(cand, rows, columns)
        return np.asarray(
            self._guard(cand, lambda: scores(est, X, self.ds.task, self.ds.n_classes))
        )

    def fit_predict(
        self, cand: Candidate, config: dict[str, Any], train: Index, test: Index, columns: list[str]
    ) -> Array:
        est = self.fit(cand, config, train, columns)
        return self.predict(cand, est, test, columns)

    def cv_score(
        self, cand: Candidate, config: dict[str, Any], split: Split, columns: list[str]
    ) -> float:
        values = [
            self.metric.value(self.ds.y[val], self.fit_predict(cand, config, tr, val, columns))
            for tr, val in split.folds
        ]
        return float(np.nanmean(values)) if values else float("nan")

    def select(self, cand: Candidate, split: Split, columns: list[str]) -> Fitted:
        """Best configuration by CV, refitted on the whole training part."""
        cv = [self.cv_score(cand, cfg, split, columns) for cfg in cand.configs]
        sign = 1.0 if self.metric.greater_is_better else -1.0
        ranked = [sign * v if np.isfinite(v) else -np.inf for v in cv]
        best = int(np.argmax(ranked))
        est = self.fit(cand, cand.configs[best], split.train, columns)
        pred = self.predict(cand, est, split.holdout, columns)
        describe = est.describe() if hasattr(est, "describe") else cand.describe
        if getattr(est, "fallback_rate_", 0) > 0:
            describe += (
                f"\n(no answer for {est.fallback_rate_:.1%} of holdout rows: "
                "the training label's overall value stood in)"
            )
        return Fitted(cand, cand.configs[best], cv[best], est, pred, describe)


def count_fits(cands: list[Candidate], split: Split) -> int:
    """Fits `select` will make, for a progress bar."""
    return sum(len(c.configs) * len(split.folds) + 1 for c in cands)
