"""The problem spec: what the team wants to decide, with which data, judged how.

Loaded once at the edge (`load_problem`) into typed models; everything inside gonogo takes a
`Problem`, never a dict. Unknown keys are rejected so that a typo is an error, not a silent
default. Checks that need the data (do the columns exist?) happen when the spec is bound to a
table, in `gonogo.data.dataset`.
"""

from __future__ import annotations

import difflib
import fnmatch
import math
import types
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, model_validator

from gonogo import strict_yaml
from gonogo.errors import SpecError
from gonogo.metrics import METRICS

Task = Literal["regression", "binary", "multiclass"]
Scalar = str | int | float | bool


class _Strict(BaseModel):
    # A field's docstring is its description: docs/spec.md is generated from them.
    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, use_attribute_docstrings=True
    )


class DataSpec(_Strict):
    """Where the table comes from, a file (`path`) or a SQL query (`sql`), and how to read
    it."""

    path: str | None = None
    """The table's file, relative to the spec: `.parquet`, `.csv` or `.tsv`. E.g.
    `data/chicago.parquet`."""
    sql: Annotated[str, Field(min_length=1)] | None = None
    """A query giving the table, instead of `path`. E.g. `SELECT * FROM 'data/churn.parquet'
    WHERE state <> 'CA'`."""
    connection: str | None = None
    """Where `sql` runs: a `.duckdb` file, or a SQLAlchemy URL with `${VARIABLES}` expanded;
    an embedded DuckDB over the spec's folder when omitted. E.g.
    `postgresql+psycopg://me:${PGPASSWORD}@db/shop`."""
    time: str | None = None
    """The column of when each example happened (dates, dates as text, or years as whole
    numbers): the split follows time, intervals use moving blocks, and its calendar and trend
    become feature groups. E.g. `date`."""
    entity: str | None = None
    """The column of who or what each example is about; an entity is never on both sides of
    a split, unless `split.strategy: time` forecasts the same entities' future (a panel).
    E.g. `customer_id`."""
    delimiter: Annotated[str, Field(min_length=1, max_length=1)] | None = None
    """A text file's delimiter (one character, or `tab`); sniffed when omitted. E.g. `;`."""
    decimal: Literal[".", ","] | None = None
    """A text file's decimal mark; sniffed when omitted. E.g. `,`."""
    date_format: Annotated[str, Field(min_length=1)] | None = None
    """How text dates are written (a strftime format, `ISO8601`, or `%Y Q%q` for quarters such
    as `1998 Q1`); inferred, one format per column, when omitted or `mixed`. A value the format
    does not read is read as ISO 8601 (`2001-01-31`), which no other format reads the same, so
    a column may mix ISO dates with one other format. E.g. `%d/%m/%Y`."""
    unseen: Literal["missing", "refuse"] = "missing"
    """A text column's level that training never held, met by the served model or a batch
    prediction: read as a missing value (`missing`, the models' own way), or refused
    (`refuse`: a request gets a 400 naming the column and the value, a batch stops). A column
    of more than 1,000 levels keeps no list of them and is never refused. E.g. `refuse`."""

    @model_validator(mode="before")
    @classmethod
    def _tab(cls, raw: Any) -> Any:
        if isinstance(raw, dict) and raw.get("delimiter") == "tab":
            return raw | {"delimiter": "\t"}
        return raw

    @model_validator(mode="after")
    def _one_source(self) -> DataSpec:
        if self.path is not None and self.sql is not None:
            raise ValueError("give path or sql, not both")
        if self.connection is not None and self.sql is None:
            raise ValueError("connection goes with sql")
        if self.delimiter == "," and self.decimal == ",":
            raise ValueError("a comma cannot be both the delimiter and the decimal mark")
        return self


class LabelSpec(_Strict):
    """What is predicted."""

    column: str
    """The label's column. E.g. `churn`."""
    task: Task | None = None
    """What kind of prediction: inferred from the label when omitted (two values: binary;
    other numbers: regression; other text: multiclass). E.g. `binary`."""
    positive: Scalar | None = None
    """Binary: the positive class; else one named like yes/true/1, else the rarer one. E.g.
    `yes`."""


class DeriveSpec(_Strict):
    """A derived group: the calendar of a date column (holidays when a country is given), the
    trend, the time elapsed since the start of the data, or the lags of a column, its values
    some periods earlier (the kind is `lags` when `column` is given)."""

    source: str | None = Field(None, alias="from")
    """Calendar and trend: the date column it is derived from. E.g. `date`."""
    kind: Literal["calendar", "trend", "lags"] = "calendar"
    """`calendar`: day of week, day of year, month, year (and hour, holiday); `trend`:
    days since the start of the data; `lags`: past values of `column` (the kind when `column`
    is given). E.g. `trend`."""
    country: str | None = None
    """Calendar: add public holidays of this country (ISO code, from the `holidays` package).
    E.g. `US`."""
    column: str | None = None
    """Lags: the column whose past values are features (the label's own past, often). E.g.
    `ridership`."""
    by: str | None = None
    """Lags: one series per value of this column; `data.entity` when omitted. E.g. `store`."""
    periods: list[Annotated[int, Field(ge=1)]] = []
    """Lags: how many steps back, each a column `<column>_lag_<period>`. E.g. `[14, 21]`."""
    horizon: Annotated[int, Field(ge=1)] = 1
    """Lags: how many steps ahead the prediction is made; a lag inside it would read a row not
    yet known then, so every period must be at least the horizon. E.g. `14`."""
    every: str | None = None
    """Lags: the length of a step (a pandas offset: `1D`, `1h`, `7D`); the most common gap
    between a series' times when omitted. E.g. `1D`."""

    @model_validator(mode="before")
    @classmethod
    def _lags(cls, raw: Any) -> Any:
        if isinstance(raw, dict) and "kind" not in raw and "column" in raw:
            return raw | {"kind": "lags"}
        return raw

    @model_validator(mode="after")
    def _fields_of_kind(self) -> DeriveSpec:
        lag_fields = {"column", "by", "periods", "horizon", "every"}
        if self.kind != "lags":
            if self.source is None:
                raise ValueError(f"a {self.kind} needs `from`, the date column")
            # Values, not the fields written: a spec's record (model_dump) writes them all.
            fields = type(self).model_fields
            given = sorted(f for f in lag_fields if getattr(self, f) != fields[f].default)
            if given:
                raise ValueError(f"{given[0]} goes with lags (a `column` and its `periods`)")
            return self
        if self.column is None or not self.periods:
            raise ValueError("lags need a `column` and its `periods`")
        if self.source is not None or self.country is not None:
            raise ValueError(
                "lags read `column` along data.time; `from` and `country` do not apply"
            )
        inside = [p for p in self.periods if p < self.horizon]
        if inside:
            raise ValueError(
                f"period {inside[0]} is inside the horizon {self.horizon}: that row is not known "
                "when the prediction is made"
            )
        return self


COST_KINDS = {
    "binary": ("true_positive", "false_positive", "false_negative", "true_negative"),
    "multiclass": ("matrix",),
    "regression": ("under", "over"),
}


class Costs(_Strict):
    """What each outcome of one decision costs, in `unit` (a gain is a negative cost).
    Binary: the four outcomes (missing ones cost 0); acting must cost less than not acting on
    a positive, and more on a negative unless there is a budget. Multiclass:
    `matrix[true][decided]`, by class label (missing entries cost 0). Regression: the cost of
    one unit of error when the prediction is `under` or `over` the truth."""

    true_positive: float | None = None
    """Binary: acting on a positive. E.g. `-223` (a kept customer's value net of the offer)."""
    false_positive: float | None = None
    """Binary: acting on a negative. E.g. `65` (an offer to someone who would have stayed)."""
    false_negative: float | None = None
    """Binary: not acting on a positive. E.g. `0` (the customer leaves either way)."""
    true_negative: float | None = None
    """Binary: not acting on a negative. E.g. `0`."""
    matrix: dict[str, dict[str, float]] | None = None
    """Multiclass: `matrix[true class][decided class]`. E.g. `{Adelie: {Gentoo: 5}}`."""
    under: Annotated[float, Field(ge=0)] | None = None
    """Regression: the cost of one unit of error when the prediction is under the truth. E.g.
    `40` (a rider left on the platform)."""
    over: Annotated[float, Field(ge=0)] | None = None
    """Regression: the cost of one unit of error when the prediction is over the truth. E.g.
    `10` (an empty seat run)."""
    unit: str = ""
    """The costs' unit, for the report. E.g. `USD`."""

    @model_validator(mode="after")
    def _one_kind(self) -> Costs:
        kinds = [k for k, keys in COST_KINDS.items() if any(self._given(keys))]
        if len(kinds) != 1:
            raise ValueError(
                "costs are one of: the binary outcomes (true_positive, false_positive, "
                "false_negative, true_negative), a multiclass matrix, or regression's under and "
                f"over; found {' and '.join(kinds) or 'none'}"
            )
        if kinds == ["regression"] and (self.under or 0) + (self.over or 0) <= 0:
            raise ValueError("under and over: at least one must be above 0")
        return self

    @property
    def task(self) -> str:
        """The task these costs price."""
        return next(k for k, keys in COST_KINDS.items() if any(self._given(keys)))

    def _given(self, keys: tuple[str, ...]) -> list[bool]:
        return [getattr(self, k) is not None for k in keys]


class DecisionSpec(_Strict):
    """The decision the prediction drives: in words, and optionally priced. A plain string in
    the spec is the words alone."""

    what: str = ""
    """The decision, in words. E.g. `Who gets a retention offer this month`."""
    costs: Costs | None = None
    """What each outcome costs: then a threshold (or a quantile) is tuned by cross-validation
    and the verdict speaks in value per 1,000 decisions."""
    budget: Annotated[float, Field(gt=0, lt=1)] | None = None
    """Binary: the share of cases the decision can act on (a campaign's reach); the report's
    confusion matrix is counted there, at the base rate when omitted, and priced decisions
    act on at most that share, the highest scores first. E.g. `0.2`."""

    @model_validator(mode="before")
    @classmethod
    def _words(cls, raw: Any) -> Any:
        return {"what": raw} if isinstance(raw, str) else raw


class Success(_Strict):
    """When a model is worth building."""

    min_improvement: Annotated[float, Field(ge=0)] = 0.05
    """The least relative gain over the best heuristic that is worth it; for r2, the share of
    the heuristic's unexplained variance removed (its squared error cut by that share). E.g.
    `0.1` (10%)."""
    target: float | None = None
    """A value of the metric that is good enough: a heuristic reaching it means no-go. E.g.
    `0.8`."""


class BaselineSpec(_Strict):
    """A heuristic or the existing system the model must beat: exactly one of `expression`,
    `group_by`, `column`."""

    name: str
    """How the report names it. E.g. `two-weeks-ago`."""
    expression: str | None = None
    """A formula over columns (see Expressions). E.g. `Clark_Lake * 1.02`."""
    group_by: list[str] | None = None
    """The training label's statistic per group of these columns. E.g. `[day_of_week]`."""
    statistic: Literal["mean", "median", "rate"] | None = None
    """With `group_by`: which statistic; the metric's own when omitted. E.g. `median`."""
    column: str | None = None
    """A column holding the existing system's predictions or scores; it stays an input, in a
    feature group named after the baseline. A lag the spec derives (`sales_lag_12`) is a
    heuristic instead, already an input in its lag group. E.g. `forecast`."""

    @model_validator(mode="after")
    def _one_kind(self) -> BaselineSpec:
        given = [k for k in ("expression", "group_by", "column") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                "a baseline needs exactly one of expression, group_by, column; "
                f"found {given or 'none'}"
            )
        if self.statistic is not None and self.group_by is None:
            raise ValueError("statistic goes with group_by")
        return self


class ModelSpec(_Strict):
    """A model to try, behind the same preprocessing as the default ones."""

    name: str
    """How the report names it. E.g. `forest`."""
    estimator: Annotated[str, Field(pattern=r"^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)+$")]
    """A scikit-learn compatible estimator's import path. E.g.
    `sklearn.ensemble.RandomForestRegressor`."""
    params: dict[str, Any] = {}
    """Its fixed parameters. E.g. `{n_estimators: 200}`."""
    grid: dict[str, list[Any]] = {}
    """Parameters chosen by cross-validation on the training part. E.g.
    `{max_depth: [8, null]}`."""

    @model_validator(mode="after")
    def _finite(self) -> ModelSpec:
        # verdict.json and MLflow record these values, and JSON holds no NaN or infinity.
        for part, values in (("params", self.params), ("grid", self.grid)):
            for key, value in values.items():
                if any(not math.isfinite(v) for v in _floats(value)):
                    raise ValueError(f"{part}.{key}: expected finite numbers (null for None)")
        return self


def _floats(value: Any) -> Iterator[float]:
    if isinstance(value, float):
        yield value
    elif isinstance(value, list | tuple | dict):
        for item in value.values() if isinstance(value, dict) else value:
            yield from _floats(item)


class Hypothesis(_Strict):
    """A feature group's worth, measured by leaving it out."""

    name: str
    """In words. E.g. `weather forecast is informative`."""
    group: str
    """The feature group (a `features` group, a derived one, or a column baseline's). E.g.
    `weather`."""
    min_effect: Annotated[float, Field(ge=0)] = 0.01
    """The least relative loss without the group that confirms it. E.g. `0.02` (2%)."""


class SplitSpec(_Strict):
    """How rows are held out for testing, and how candidates are chosen on the rest."""

    strategy: Literal["time", "random", "group"] | None = None
    """How rows are held out: by entity with `data.entity`, by time with `data.time`, else at
    random, when omitted. `time` with an entity judges forecasts of the same entities' future.
    E.g. `time`."""
    holdout: Annotated[float, Field(gt=0, lt=1)] = 0.2
    """The share of rows held out for testing; on a time split over several outer splits, at
    least enough for one rolling origin of 30 rows per split (three by default), or on a
    shorter series about its last half. E.g. `0.25`."""
    folds: Annotated[int, Field(ge=2, le=20)] = 5
    """Cross-validation folds on the training part, which choose settings and candidates.
    E.g. `10`."""
    outer: Annotated[int, Field(ge=1, le=50)] | None = None
    """How many outer splits the comparison runs over (1: a single holdout); several on tables
    under 10,000 rows when omitted. E.g. `1`."""


class ColumnGate(_Strict):
    """One column's own data gate limits, in place of the problem's: a column that follows
    time (a `year`, a running total) leaves the training range by design. A column read as
    dates takes `missing_rise` only: its drift and range are never compared."""

    drift: Annotated[float, Field(gt=0, allow_inf_nan=False)] | None = None
    """The largest drift of this column. E.g. `5`."""
    unseen: Annotated[float, Field(ge=0, le=1)] | None = None
    """The largest share of its rows with a category never seen in training. E.g. `0.2`."""
    out_of_range: Annotated[float, Field(ge=0, le=1)] | None = None
    """The largest share of its values outside the schema's range. E.g. `1`."""
    missing_rise: Annotated[float, Field(ge=0, le=1)] | None = None
    """The largest rise in its share of missing values. E.g. `0.2`."""


class GateSpec(_Strict):
    """What the pipeline's gates let through. Data: shares of rows, a row-count factor, and
    the drift distance (Wasserstein in training standard deviations, or Jensen-Shannon),
    with limits of its own for any column. Model: how much worse than production a new
    model may be (relative), and how much worse on any slice of `slices`."""

    drift: Annotated[float, Field(gt=0, allow_inf_nan=False)] = 0.1
    """Data: the largest drift of a column (Wasserstein in training standard deviations, or
    Jensen-Shannon for categories, which is at most 1: a bound of 1 or more lets every
    category column pass). E.g. `0.2`, or `2` for a seasonal number. Never below the drift
    that samples of training reach by chance."""
    unseen: Annotated[float, Field(ge=0, le=1)] = 0.01
    """Data: the largest share of rows with a category never seen in training. E.g. `0.05`."""
    out_of_range: Annotated[float, Field(ge=0, le=1)] = 0.01
    """Data: the largest share of values outside the schema's range. E.g. `0.02`."""
    missing_rise: Annotated[float, Field(ge=0, le=1)] = 0.05
    """Data: the largest rise in a column's share of missing values. E.g. `0.1`."""
    rows_ratio: Annotated[float, Field(ge=1)] = 2.0
    """Data: the row count within this factor of training's. E.g. `3`."""
    tolerance: Annotated[float, Field(ge=0, le=1)] = 0.01
    """Model: how much worse than production a new model may be (relative). E.g. `0.02`."""
    slice_tolerance: Annotated[float, Field(ge=0, le=1)] = 0.1
    """Model: how much worse than production on any slice of `slices`. E.g. `0.2`."""
    columns: dict[str, ColumnGate] = {}
    """Data: limits of a column's own, in place of those above. E.g. `{year: {out_of_range:
    1, drift: 5}}`."""

    def of(self, column: str) -> GateSpec:
        """The limits that hold for `column`."""
        own = self.columns.get(column)
        if own is None:
            return self
        return self.model_copy(update=own.model_dump(exclude_none=True))


class Problem(_Strict):
    """A problem: the question, the decision it drives, the data, and how to judge."""

    name: Annotated[str, Field(min_length=1)]
    """The problem's name (the registered model's too). E.g. `chicago-ridership`."""
    question: str = ""
    """The question the prediction answers. E.g. `How many riders will enter Clark/Lake on a
    day two weeks from now?`"""
    decision: DecisionSpec = DecisionSpec()
    """The decision the prediction drives: words, or words and costs."""
    seed: int = 0
    """Seeds every split, resample and fit: a run is reproducible. E.g. `7`."""
    data: DataSpec = DataSpec()
    """Where the table comes from and how to read it."""
    label: LabelSpec
    """What is predicted."""
    features: dict[str, list[str]] | None = None
    """Named groups of feature columns (names or patterns; `*` is all the others), the unit of
    a hypothesis; every column but the label, time, entity and excluded ones when omitted. A
    row number or row name (a column such as R's `rownames` or a saved pandas index, numbering
    the rows from 0 or 1 or naming each row) is a feature only when named here. E.g.
    `{weather: [temp, percip], stations: ['*']}`."""
    exclude: list[str] = []
    """Columns that are never features (names or patterns). E.g. `[rownames, 'id_*']`."""
    derive: dict[str, DeriveSpec | Literal[False]] = {}
    """Derived feature groups by name; `false` switches off one gonogo adds. E.g.
    `{calendar: {from: date, country: US}, trend: false}`."""
    metric: str | None = None
    """How predictions are judged: mae, rmse, mape, r2 (regression), roc_auc, pr_auc,
    log_loss, brier, accuracy, balanced_accuracy, f1; mae, roc_auc or log_loss by task when
    omitted. E.g. `pr_auc`."""
    success: Success = Success()
    """When a model is worth building."""
    baselines: list[BaselineSpec] = []
    """The heuristics and the existing system to beat; the constant and a found simple rule
    are always added."""
    models: Annotated[list[ModelSpec], Field(min_length=1)] | None = None
    """The models to try; a linear model and gradient boosting when omitted."""
    hypotheses: list[Hypothesis] = []
    """Feature groups to test by leaving them out; gonogo adds one for each calendar, trend
    and existing system's column that no hypothesis here tests."""
    slices: list[str] = []
    """Columns whose values are sub-populations reported side by side. E.g. `[region]`."""
    split: SplitSpec = SplitSpec()
    """How rows are held out and candidates chosen."""
    bootstrap: Annotated[int, Field(ge=100, le=10000)] = 1000
    """Bootstrap resamples for every interval. E.g. `2000`."""
    gate: GateSpec = GateSpec()
    """What the pipeline's data and model gates let through."""

    _base_dir: Path = PrivateAttr(default_factory=Path.cwd)
    _source: str = PrivateAttr(default="problem")

    @model_validator(mode="after")
    def _consistent(self) -> Problem:
        if self.metric is not None and self.metric not in METRICS:
            raise ValueError(f"metric: expected one of {', '.join(METRICS)}; found {self.metric!r}")
        groups = set(self.features or {"all": []}) | set(derivations(self)) | set(systems(self))
        alone = "" if self.features else "; without features, the columns are one group, all"
        for i, hyp in enumerate(self.hypotheses):
            if hyp.group not in groups:
                raise ValueError(
                    f"hypotheses[{i}].group: expected a feature group "
                    f"({', '.join(sorted(groups))}); found {hyp.group!r}{alone}"
                )
        empty = [g for g, cols in (self.features or {}).items() if not cols]
        if empty:
            raise ValueError(
                f"features.{empty[0]}: lists no columns; expected a column name or a pattern "
                "(or leave the group out)"
            )
        lags = [g for g, d in self.derive.items() if d and d.kind == "lags"]
        if lags and self.data.time is None:
            raise ValueError(f"derive.{lags[0]}: lags need data.time, the order of the series")
        clash = set(self.features or {}) & set(self.derive)
        if clash:
            raise ValueError(
                f"derive: group {sorted(clash)[0]!r} is also a features group; a derived group "
                "is a feature group of its own, so rename one of them"
            )
        clash = (set(self.features or {}) | set(self.derive)) & set(systems(self))
        if clash:
            raise ValueError(
                f"features: group {sorted(clash)[0]!r} has the name of a column baseline, whose "
                "column becomes a feature group of that name; rename one of them"
            )
        _one_role(self)
        _acting_depends(self.decision)
        names = [c.name for c in self.baselines] + [m.name for m in self.models or []]
        dup = {n for n in names if names.count(n) > 1} | ({"constant", "simple-rule"} & set(names))
        if dup:
            raise ValueError(f"candidate name {sorted(dup)[0]!r} is used twice or is reserved")
        return self

    @property
    def base_dir(self) -> Path:
        """Folder that relative data paths are resolved against (the spec's folder)."""
        return self._base_dir

    @property
    def source(self) -> str:
        """How error messages name this spec (its file name)."""
        return self._source

    def located(self, base_dir: Path, source: str) -> Problem:
        """The same spec, remembering where it came from."""
        copy = self.model_copy()
        copy._base_dir = base_dir
        copy._source = source
        return copy


def _acting_depends(decision: DecisionSpec) -> None:
    """Binary costs under which one action is best whatever is predicted leave no decision
    for a model to change (a gain written as a cost, `true_positive: 40`, acted on no one,
    and the verdict still named a rule to launch). Under a budget, acting on negatives for
    free still leaves the choice of whom to act on."""
    c = decision.costs
    if c is None or c.task != "binary":
        return
    tp, fp, fn, tn = (
        getattr(c, k) or 0.0
        for k in ("true_positive", "false_positive", "false_negative", "true_negative")
    )
    if tp >= fn:
        raise ValueError(
            f"decision.costs: acting on a positive costs {tp:g}, not acting {fn:g}: acting "
            "never pays, whatever is predicted; a gain is a negative cost: expected "
            "true_positive below false_negative"
        )
    if fp <= tn and decision.budget is None:
        raise ValueError(
            f"decision.costs: acting on a negative costs {fp:g}, not acting {tn:g}: acting on "
            "everyone is best, whatever is predicted; expected false_positive above "
            "true_negative, or a decision.budget"
        )


def _one_role(problem: Problem) -> None:
    """The label, the time and the entity are three columns, none of them an existing
    system's output, and neither the label nor the time a series' key: one column in two of
    these roles reads the label as an input (a baseline that is the label scores perfectly)
    or splits on the wrong thing."""
    roles = {
        "label.column": problem.label.column,
        "data.time": problem.data.time,
        "data.entity": problem.data.entity,
    }
    taken: dict[str, str] = {}
    for place, column in roles.items():
        if column is not None and taken.setdefault(column, place) != place:
            raise ValueError(f"{place}: {column!r} is {taken[column]}; expected another column")
    # A series' key may be the entity (it is by default), an existing system's output not.
    others = [(f"baselines[{i}].column", b.column, taken) for i, b in enumerate(problem.baselines)]
    label = {problem.label.column: "label.column"}  # a heuristic never reads what it predicts
    others += [
        (f"baselines[{i}].group_by", key, label)
        for i, b in enumerate(problem.baselines)
        for key in b.group_by or []
    ]
    keys = {c: p for c, p in taken.items() if p != "data.entity"}
    others += [(f"derive.{g}.by", d.by, keys) for g, d in problem.derive.items() if d and d.by]
    for place, column, used in others:
        if column in used:
            raise ValueError(f"{place}: {column!r} is {used[column]}; expected another column")


def derivations(problem: Problem) -> dict[str, DeriveSpec]:
    """Derived groups of a run: the spec's, and, when there is a time column, its calendar and
    trend unless the spec derives them itself or switches them off (`derive: {trend: false}`).
    Time is then a signal, not only an order."""
    out = {g: d for g, d in problem.derive.items() if d is not False}
    time = problem.data.time
    if time is None:
        return out
    taken = set(problem.features or {}) | set(problem.derive)
    for kind in ("calendar", "trend"):
        if kind in problem.derive or any(d.kind == kind and d.source == time for d in out.values()):
            continue
        name = kind if kind not in taken else f"{time}_{kind}"
        out[name] = DeriveSpec(source=time, kind=kind)
    return out


def date_columns(problem: Problem) -> frozenset[str]:
    """The columns read as dates: the time column and the derived groups' sources."""
    sources = [problem.data.time, *(d.source for d in derivations(problem).values())]
    return frozenset(s for s in sources if s is not None)


OTHERS = "*"  # in a features group: every column no other entry takes


def is_pattern(entry: str) -> bool:
    """Whether a features or exclude entry is a glob pattern (`M*`, `P?_count`, `[AB]*`)."""
    return any(ch in entry for ch in "*?[")


def matches(entry: str, column: str) -> bool:
    """Whether a features or exclude entry names the column: it is its name, or a pattern that
    matches it (case-sensitively, like a name)."""
    return entry == column or (is_pattern(entry) and fnmatch.fnmatchcase(column, entry))


def lag_name(column: str, period: int) -> str:
    return f"{column}_lag_{period}"


def lag_of(name: str) -> tuple[str, int] | None:
    """The column and period a lag's name says (`births_lag_7`: births, 7), if it is one."""
    column, _, period = name.rpartition("_lag_")
    return (column, int(period)) if column and period.isdigit() else None


def lagged(problem: Problem) -> frozenset[str]:
    """The columns the spec's lags make."""
    return frozenset(
        lag_name(d.column, k)
        for d in problem.derive.values()
        if d and d.kind == "lags" and d.column is not None
        for k in d.periods
    )


def _outputs(problem: Problem) -> list[BaselineSpec]:
    """Column baselines that are an existing system's output. One on a lag the spec derives
    is a heuristic (the series' own past, "same month last year"), not a system that runs."""
    lags = lagged(problem)
    return [b for b in problem.baselines if b.column is not None and b.column not in lags]


def running(problem: Problem) -> frozenset[str]:
    """Baselines that are an existing system's output: already running, so kept rather than
    launched when ML is not worth it."""
    return frozenset(b.name for b in _outputs(problem))


def systems(problem: Problem) -> dict[str, str]:
    """Feature groups holding an existing system's output: a `column` baseline's column stays
    an input, in a group named after the baseline, unless excluded (by name or pattern) or
    named in a features group (a pattern there does not take it)."""
    listed = {e for entries in (problem.features or {}).values() for e in entries}
    return {
        b.name: b.column
        for b in _outputs(problem)
        if b.column is not None
        and not any(matches(e, b.column) for e in problem.exclude)
        and b.column not in listed
    }


def hypotheses(
    problem: Problem, groups: Mapping[str, tuple[str, ...]] | None = None
) -> list[Hypothesis]:
    """The spec's hypotheses, then one per calendar, trend or existing system's output that
    the spec does not test itself: each is measured as an ablation, whether gonogo adds the
    group or the spec derives it (`gonogo init` writes the calendar it finds into the spec).
    Given the data's `groups`, only those on a group it has: a derived group left with no
    columns (the calendar of yearly dates) has nothing to measure."""
    tested = {h.group for h in problem.hypotheses}
    auto = {
        g: f"the {d.kind} of {d.source} is a signal"
        for g, d in derivations(problem).items()
        if d.kind in ("calendar", "trend")
    }
    auto |= {g: f"the model builds on the existing system {g!r}" for g in systems(problem)}
    out = [
        *problem.hypotheses,
        *(Hypothesis(name=text, group=g) for g, text in auto.items() if g not in tested),
    ]
    return out if groups is None else [h for h in out if h.group in groups]


def _union_tag(part: int | str) -> bool:
    """Whether a part of an error's location names a member of a union (`DeriveSpec`,
    `literal[False]`, `function-after[...]`), pydantic's, not the spec's."""
    if not isinstance(part, str):
        return False
    return part in {m.__name__ for _, m in sections()} or part.startswith(("function-", "literal["))


def _field_path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in (p for p in loc if not _union_tag(p)):
        # A key with a line break or other control character is quoted: one line, always.
        key = str(part) if str(part).isprintable() else repr(part)
        out += f"[{part}]" if isinstance(part, int) else (f".{key}" if out else key)
    return out


def model_of(annotation: Any) -> type[BaseModel] | None:
    """The spec model an annotation holds (directly, in a list, or as a mapping's value)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = model_of(arg)
        if found is not None:
            return found
    return None


def sections(
    model: type[BaseModel] | None = None, path: str = ""
) -> Iterator[tuple[str, type[BaseModel]]]:
    """The spec's models (`Problem` and each one under it), each with its path
    (`baselines[]`, `derive.<group>`), in order."""
    model = model or Problem
    yield path, model
    for name, field in model.model_fields.items():
        inner = model_of(field.annotation)
        if inner is None:
            continue
        key = field.alias or name
        origin = get_origin(_required(field.annotation))
        keyed = ".<column>" if key == "columns" else ".<group>"  # what a dict's keys name
        suffix = "[]" if origin is list else keyed if origin is dict else ""
        yield from sections(inner, f"{path}.{key}{suffix}" if path else f"{key}{suffix}")


def _required(annotation: Any) -> Any:
    """The annotation without its `| None` and its constraints."""
    if get_origin(annotation) is Annotated:
        return _required(get_args(annotation)[0])
    if get_origin(annotation) in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        return _required(args[0]) if len(args) == 1 else annotation
    return annotation


def _known_keys() -> list[str]:
    models = [m for _, m in sections()]
    return sorted({f.alias or name for m in models for name, f in m.model_fields.items()})


# Pydantic's wording names its own classes ("a valid dictionary or instance of LabelSpec"):
# said as a spec's author reads it.
_EXPECTED = {
    "model_type": "expected a mapping of fields",
    "dict_type": "expected a mapping",
    "list_type": "expected a list",
    "string_type": "expected text",
    "int_parsing": "expected a whole number",
    "int_type": "expected a whole number",
    "int_from_float": "expected a whole number",
    "float_parsing": "expected a number",
    "float_type": "expected a number",
    "bool_parsing": "expected true or false",
    "bool_type": "expected true or false",
}


def _said(error: Any) -> str:
    """One pydantic error as the spec's author reads it."""
    kind = error["type"]
    if kind == "extra_forbidden":
        near = difflib.get_close_matches(str(error["loc"][-1]), _known_keys(), n=1)
        return "unknown key" + (f" (did you mean {near[0]!r}?)" if near else "")
    if kind == "missing":
        return "required field is missing"
    msg = _EXPECTED.get(kind, str(error["msg"]).removeprefix("Value error, "))
    if "input" in error and kind not in {"value_error", "assertion_error"}:
        return f"{msg}; found {error['input']!r}"
    return msg


def _explain(err: ValidationError, source: str) -> SpecError:
    # A misspelt key also makes the intended one "missing": report the typo first. A union
    # member the value was never meant to be (`false` for a derived group) is noise.
    errors = [e for e in err.errors() if not str(e["loc"][-1:]).startswith("('literal[")]
    errors = sorted(errors or err.errors(), key=lambda e: e["type"] != "extra_forbidden")
    path = _field_path(tuple(errors[0]["loc"]))
    suffix = ""
    if len(errors) > 1:
        later = f", and {len(errors) - 2} more" if len(errors) > 2 else ""
        suffix = f" (also {_field_path(tuple(errors[1]['loc']))}: {_said(errors[1])}{later})"
    place = f"{source}: {path}" if path else source
    return SpecError(place, _said(errors[0]) + suffix)


def parse_problem(raw: Any, base_dir: Path | None = None, source: str = "problem") -> Problem:
    """Validate a mapping (e.g. parsed YAML, or a dict in a notebook) into a `Problem`."""
    if raw is None:
        raise SpecError(source, "the spec is empty; expected a mapping of fields (name, label...)")
    if not isinstance(raw, dict):
        raise SpecError(source, f"expected a mapping of fields; found {type(raw).__name__}")
    try:
        problem = Problem.model_validate(raw)
    except ValidationError as err:
        raise _explain(err, source) from None
    return problem.located(base_dir or Path.cwd(), source)


def load_problem(path: str | Path) -> Problem:
    """Read and validate a problem spec from a YAML file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError(str(path), "file not found") from None
    except (OSError, UnicodeDecodeError) as err:
        raise SpecError(str(path), f"cannot be read ({err.__class__.__name__})") from None
    try:
        raw = strict_yaml.load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        reason = getattr(err, "problem", None) or "not valid YAML"
        raise SpecError(str(path), f"malformed YAML{where}: {reason}") from None
    return parse_problem(raw, path.resolve().parent, str(path))
