"""The train step: one candidate, in the configuration the PoC chose, fitted on every labeled
row. The same `fit` as every fit of a run, so what is trained is what was evaluated.

Which configurations a pipeline run fits: those a PoC chose (its verdict.json, `--config`), by
default those of the run that trained production, so retraining on new data does not choose
again; `--reselect` chooses afresh, as the first run does.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from gonogo.candidates.candidate import Candidate, Pinned, assemble, plain
from gonogo.candidates.fitted import FittedCandidate, fit
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
    if dict(config) not in [dict(c) for c in cand.configs]:
        raise InputError(
            "config", f"{dict(config)} is not one of {cand.name}'s configurations {cand.configs}"
        )
    return dict(config)


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


@dataclass(frozen=True)
class Choice:
    """Where a pipeline run's configurations come from: `given` (a PoC's choice), or chosen
    afresh (`reselect`); neither: those of the run that trained production."""

    given: Pinned | None = None
    reselect: bool = False

    def __post_init__(self) -> None:
        if self.given is not None and self.reselect:
            raise InputError("--reselect", "chooses afresh; it cannot go with --config")

    def key(self) -> Any:
        """What distinguishes runs that choose differently, for their fingerprint."""
        if self.given is not None:
            return {k: plain(v) for k, v in self.given.configs.items()}
        return "reselect" if self.reselect else "production's"


def chosen(verdict: Mapping[str, Any], source: str, problem: str) -> Pinned:
    """The configurations a run's `verdict` (verdict.json) chose, one per candidate."""
    if verdict.get("problem") != problem:
        raise InputError(source, f"is a verdict of {verdict.get('problem')!r}, not of {problem!r}")
    entries = verdict.get("candidates")
    if not isinstance(entries, list) or not all(isinstance(c, dict) for c in entries):
        raise InputError(source, "has no candidates list; expected a verdict.json of gonogo run")
    lacking = [str(c.get("name")) for c in entries if not isinstance(c.get("config"), dict)]
    if lacking:
        raise InputError(
            source,
            f"gives no configuration for {', '.join(lacking)} (written by an older gonogo); "
            "run the PoC again or choose afresh (--reselect)",
        )
    return Pinned(source, {str(c["name"]): c["config"] for c in entries})


def read_chosen(path: Path, problem: str) -> Pinned:
    """The configurations in the verdict.json at `path` (e.g. `gonogo run --out`'s)."""
    try:
        verdict = json.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise InputError(str(path), f"cannot be read ({err.strerror or err})") from None
    except ValueError as err:
        raise InputError(str(path), f"is not JSON ({err})") from None
    if not isinstance(verdict, dict):
        raise InputError(str(path), "is not a verdict.json (expected an object)")
    return chosen(verdict, str(path), problem)
