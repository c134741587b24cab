"""The train step: one candidate, in the configuration the PoC chose, fitted on every labeled
row. The same `fit` as every fit of a run, so what is trained is what was evaluated."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from gonogo.candidates.candidate import Candidate, assemble
from gonogo.candidates.fitted import FittedCandidate, fit
from gonogo.candidates.pinned import Pinned
from gonogo.data.dataset import Dataset, load
from gonogo.data.split import make_split
from gonogo.errors import InputError
from gonogo.metrics import DEFAULT_METRIC, METRICS, Metric
from gonogo.problem import Problem


def _candidate(candidates: list[Candidate], name: str) -> Candidate:
    found = [c for c in candidates if c.name == name]
    if not found:
        known = ", ".join(c.name for c in candidates)
        raise InputError("candidate", f"no candidate {name!r}; the candidates are {known}")
    return found[0]


def _config(cand: Candidate, config: Mapping[str, Any] | None) -> dict[str, Any]:
    if config is None:
        if len(cand.configs) > 1:
            raise InputError(
                "config",
                f"{cand.name} has {len(cand.configs)} configurations; pass the one the PoC "
                "chose (verdict.json: candidates[].config)",
            )
        return dict(cand.configs[0])
    found = cand.configured(config)
    if found is None:
        raise InputError(
            "config", f"{dict(config)} is not one of {cand.name}'s configurations {cand.choices()}"
        )
    return found


def train(
    problem: Problem,
    name: str,
    config: Mapping[str, Any] | None = None,
    data: Any = None,
    ds: Dataset | None = None,
) -> FittedCandidate:
    """Candidate `name` in `config` (needed when it has several), fitted on all labeled rows
    of the spec's data (or `data`, or an already bound `ds`)."""
    ds = ds if ds is not None else load(problem, data)
    metric = _metric(problem, ds)
    cand = _candidate(candidates(problem, ds), name)
    rows = np.arange(len(ds.y))
    return fit(cand, _config(cand, config), ds, rows, ds.features, metric)


def _metric(problem: Problem, ds: Dataset) -> Metric:
    return METRICS[problem.metric or DEFAULT_METRIC[ds.task]]


def candidates(problem: Problem, ds: Dataset) -> list[Candidate]:
    return assemble(problem, ds, _metric(problem, ds), make_split(problem, ds).ordered)


def check(problem: Problem, ds: Dataset, pinned: Pinned) -> None:
    """Stop, before a run writes anything, on a configuration its candidates do not have."""
    pinned.apply(candidates(problem, ds))
