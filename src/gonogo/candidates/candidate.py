"""A candidate is anything that predicts the label: baselines, heuristics, the existing
system and models share this type so that one evaluation path serves all of them."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from gonogo.candidates import models
from gonogo.candidates.baselines import ColumnBaseline, ExpressionBaseline, GroupStatistic
from gonogo.candidates.expression import Expression
from gonogo.candidates.pinned import plain
from gonogo.candidates.rule import FAMILIES, SimpleRule
from gonogo.data.dataset import Dataset
from gonogo.errors import SpecError
from gonogo.metrics import Metric
from gonogo.problem import BaselineSpec, Problem

Kind = Literal["baseline", "model"]
Maker = Callable[[dict[str, Any], list[str]], Any]


@dataclass(frozen=True)
class Candidate:
    """Something to fit and compare. `make(config, columns)` gives a fresh estimator that
    reads `columns` (the features it is given), or `reads` when a heuristic names its own."""

    name: str
    kind: Kind
    describe: str
    make: Maker
    configs: tuple[dict[str, Any], ...] = ({},)
    place: str = ""
    reads: tuple[str, ...] | None = None
    # Settings a fit chooses for itself (the rule's family), with their possible values: a
    # pinned configuration fixes them, so that a refit is what was scored.
    settles: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def configured(self, wanted: Mapping[str, Any]) -> dict[str, Any] | None:
        """Its configuration that `wanted` names (compared as JSON reads them back), with the
        settings its fit chooses fixed as `wanted` gives them; None when it has none such."""
        wanted = plain(wanted)
        settled = {k: v for k, v in wanted.items() if k in self.settles}
        if any(v not in self.settles[k] for k, v in settled.items()):
            return None
        own = {k: v for k, v in wanted.items() if k not in self.settles}
        found = [c for c in self.configs if plain(c) == own]
        return {**found[0], **settled} if found else None

    def choices(self) -> str:
        """Its configurations, and what may pin what its fit settles, in words."""
        settled = "".join(f"; {k}: one of {list(v)}" for k, v in self.settles.items())
        return f"{[plain(c) for c in self.configs]}{settled}"

    def inputs(self, columns: list[str]) -> list[str]:
        """The columns it reads when given the feature `columns`."""
        return list(self.reads) if self.reads is not None else columns


def _constant(ds: Dataset, metric: Metric) -> Candidate:
    from sklearn.dummy import DummyClassifier, DummyRegressor

    if ds.task == "regression":
        how = "median" if metric.loss in ("absolute", "relative") else "mean"
        return Candidate(
            "constant",
            "baseline",
            f"the training label's {how}",
            lambda _c, _cols: DummyRegressor(strategy=how),
            reads=(),
        )
    return Candidate(
        "constant",
        "baseline",
        "the training class rates",
        lambda _c, _cols: DummyClassifier(strategy="prior"),
        reads=(),
    )


def _simple_rule(problem: Problem, ds: Dataset, metric: Metric, ordered: bool) -> Candidate:
    def make(config: dict[str, Any], columns: list[str]) -> SimpleRule:
        cats = [c for c in columns if ds.is_categorical(c)]
        days, family = ds.featurizer.day_counts, config.get("family", "")
        return SimpleRule(
            ds.task, ds.classes, metric.name, ordered, problem.seed, cats, days, family
        )

    settles = {"family": FAMILIES}
    return Candidate("simple-rule", "baseline", "found on the training part", make, settles=settles)


def _baseline(
    spec: BaselineSpec, i: int, problem: Problem, ds: Dataset, metric: Metric
) -> Candidate:
    place = f"{problem.source}: baselines[{i}]"
    task, classes, rank = ds.task, ds.classes, metric.rank
    calibrate = not (metric.rank or metric.threshold)
    if spec.expression is not None:
        text, where = spec.expression, f"{place}.expression"
        expr = Expression(text, list(ds.frame.columns), where)
        if problem.label.column in expr.columns:
            raise SpecError(
                where, f"{problem.label.column!r} is label.column; expected other columns"
            )
        return Candidate(
            spec.name,
            "baseline",
            text,
            lambda _c, _cols: ExpressionBaseline(text, task, classes, where, rank, calibrate),
            place=place,
            reads=tuple(expr.columns),
        )
    if spec.column is not None:
        col = spec.column
        return Candidate(
            spec.name,
            "baseline",
            f"column {col}",
            lambda _c, _cols: ColumnBaseline(col, task, classes, place, rank, calibrate),
            place=place,
            reads=(col,),
        )
    assert spec.group_by is not None
    statistic = spec.statistic or ("rate" if task != "regression" else "mean")
    if statistic == "median" and task != "regression":
        raise SpecError(f"{place}.statistic", "median needs a regression label; use rate or mean")
    keys = list(spec.group_by)
    return Candidate(
        spec.name,
        "baseline",
        f"training {statistic} per {', '.join(keys)}",
        lambda _c, _cols: GroupStatistic(keys, statistic, task, classes, place),
        place=place,
        reads=tuple(keys),
    )


_LOSS_WORDS = {
    "absolute": "absolute error",
    "relative": "relative error",
    "squared": "squared error",
    "log": "log loss",
}


def _model(recipe: models.Recipe, ds: Dataset, metric: Metric) -> Candidate:
    def make(config: dict[str, Any], columns: list[str]) -> Any:
        return models.build(recipe, config, ds, columns)

    chosen_by_cv = any("loss" in config for config in recipe.grid)
    fits = "" if chosen_by_cv else f" fitting {_LOSS_WORDS[metric.loss]}"
    describe = recipe.describe or f"{recipe.cls.__name__}{fits}"
    return Candidate(recipe.name, "model", describe, make, recipe.grid, recipe.place)


def assemble(problem: Problem, ds: Dataset, metric: Metric, ordered: bool) -> list[Candidate]:
    """Every candidate of a run: constant, simple rule, the spec's baselines, the models."""
    out = [_constant(ds, metric), _simple_rule(problem, ds, metric, ordered)]
    out += [_baseline(b, i, problem, ds, metric) for i, b in enumerate(problem.baselines)]
    recipes = models.recipes(problem.models, ds.task, problem.seed, problem.source, metric.loss)
    return out + [_model(r, ds, metric) for r in recipes]
