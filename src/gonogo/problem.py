"""The problem spec: what the team wants to decide, with which data, judged how.

Loaded once at the edge (`load_problem`) into typed models; everything inside gonogo takes a
`Problem`, never a dict. Unknown keys are rejected so that a typo is an error, not a silent
default. Checks that need the data (do the columns exist?) happen when the spec is bound to a
table, in `gonogo.data.dataset`.
"""

from __future__ import annotations

import difflib
import fnmatch
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, model_validator

from gonogo.errors import SpecError
from gonogo.metrics import METRICS

Task = Literal["regression", "binary", "multiclass"]
Scalar = str | int | float | bool


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class DataSpec(_Strict):
    """Where the table comes from: a file (`path`), or a SQL query (`sql`) run where
    `connection` says (an embedded DuckDB by default; see `gonogo.data.sql`). A text file's
    `delimiter` and `decimal` mark are sniffed unless given; `date_format` (a strftime format,
    or `ISO8601`) settles how the time column and derived dates are read when their text does
    not (day-first or month-first)."""

    path: str | None = None
    sql: Annotated[str, Field(min_length=1)] | None = None
    connection: str | None = None
    time: str | None = None
    entity: str | None = None
    delimiter: Annotated[str, Field(min_length=1, max_length=1)] | None = None
    decimal: Literal[".", ","] | None = None
    date_format: Annotated[str, Field(min_length=1)] | None = None

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
    column: str
    task: Task | None = None
    positive: Scalar | None = None


class DeriveSpec(_Strict):
    """A derived group: the calendar of a date column (holidays when a country is given), or
    the trend, the time elapsed since the start of the data."""

    source: str = Field(alias="from")
    kind: Literal["calendar", "trend"] = "calendar"
    country: str | None = None


COST_KINDS = {
    "binary": ("true_positive", "false_positive", "false_negative", "true_negative"),
    "multiclass": ("matrix",),
    "regression": ("under", "over"),
}


class Costs(_Strict):
    """What each outcome of one decision costs, in `unit` (a gain is a negative cost).
    Binary: the four outcomes (missing ones cost 0). Multiclass: `matrix[true][decided]`, by
    class label (missing entries cost 0). Regression: the cost of one unit of error when the
    prediction is `under` or `over` the truth."""

    true_positive: float | None = None
    false_positive: float | None = None
    false_negative: float | None = None
    true_negative: float | None = None
    matrix: dict[str, dict[str, float]] | None = None
    under: Annotated[float, Field(ge=0)] | None = None
    over: Annotated[float, Field(ge=0)] | None = None
    unit: str = ""

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
    costs: Costs | None = None

    @model_validator(mode="before")
    @classmethod
    def _words(cls, raw: Any) -> Any:
        return {"what": raw} if isinstance(raw, str) else raw


class Success(_Strict):
    min_improvement: Annotated[float, Field(ge=0)] = 0.05
    target: float | None = None


class BaselineSpec(_Strict):
    name: str
    expression: str | None = None
    group_by: list[str] | None = None
    statistic: Literal["mean", "median", "rate"] | None = None
    column: str | None = None

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
    name: str
    estimator: Annotated[str, Field(pattern=r"^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)+$")]
    params: dict[str, Any] = {}
    grid: dict[str, list[Any]] = {}


class Hypothesis(_Strict):
    name: str
    group: str
    min_effect: Annotated[float, Field(ge=0)] = 0.01


class SplitSpec(_Strict):
    """`outer`: how many outer splits the comparison runs over (1: a single holdout). By
    default several on small tables, where one holdout is too noisy to decide on."""

    strategy: Literal["time", "random", "group"] | None = None
    holdout: Annotated[float, Field(gt=0, lt=1)] = 0.2
    folds: Annotated[int, Field(ge=2, le=20)] = 5
    outer: Annotated[int, Field(ge=1, le=50)] | None = None


class GateSpec(_Strict):
    """What the pipeline's gates let through. Data: shares of rows, a row-count factor, and
    the drift distance (Wasserstein in training standard deviations, or Jensen-Shannon).
    Model: how much worse than production a new model may be (relative), and how much worse
    on any slice of `slices`."""

    drift: Annotated[float, Field(gt=0, le=1)] = 0.1
    unseen: Annotated[float, Field(ge=0, le=1)] = 0.01
    out_of_range: Annotated[float, Field(ge=0, le=1)] = 0.01
    missing_rise: Annotated[float, Field(ge=0, le=1)] = 0.05
    rows_ratio: Annotated[float, Field(ge=1)] = 2.0
    tolerance: Annotated[float, Field(ge=0, le=1)] = 0.01
    slice_tolerance: Annotated[float, Field(ge=0, le=1)] = 0.1


class Problem(_Strict):
    name: Annotated[str, Field(min_length=1)]
    question: str = ""
    decision: DecisionSpec = DecisionSpec()
    seed: int = 0
    data: DataSpec = DataSpec()
    label: LabelSpec
    features: dict[str, list[str]] | None = None
    exclude: list[str] = []
    derive: dict[str, DeriveSpec | Literal[False]] = {}
    metric: str | None = None
    success: Success = Success()
    baselines: list[BaselineSpec] = []
    models: Annotated[list[ModelSpec], Field(min_length=1)] | None = None
    hypotheses: list[Hypothesis] = []
    slices: list[str] = []
    split: SplitSpec = SplitSpec()
    bootstrap: Annotated[int, Field(ge=100, le=10000)] = 1000
    gate: GateSpec = GateSpec()

    _base_dir: Path = PrivateAttr(default_factory=Path.cwd)
    _source: str = PrivateAttr(default="problem")

    @model_validator(mode="after")
    def _consistent(self) -> Problem:
        if self.metric is not None and self.metric not in METRICS:
            raise ValueError(f"metric: expected one of {', '.join(METRICS)}; found {self.metric!r}")
        groups = set(self.features or {"all": []}) | set(derivations(self)) | set(systems(self))
        for i, hyp in enumerate(self.hypotheses):
            if hyp.group not in groups:
                raise ValueError(
                    f"hypotheses[{i}].group: expected a feature group "
                    f"({', '.join(sorted(groups))}); found {hyp.group!r}"
                )
        clash = set(self.features or {}) & set(self.derive)
        if clash:
            raise ValueError(f"derive: group {sorted(clash)[0]!r} is also a features group")
        clash = (set(self.features or {}) | set(self.derive)) & set(systems(self))
        if clash:
            raise ValueError(
                f"features: group {sorted(clash)[0]!r} has the name of a column baseline, whose "
                "column becomes a feature group of that name; rename one of them"
            )
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


OTHERS = "*"  # in a features group: every column no other entry takes


def is_pattern(entry: str) -> bool:
    """Whether a features or exclude entry is a glob pattern (`M*`, `P?_count`, `[AB]*`)."""
    return any(ch in entry for ch in "*?[")


def matches(entry: str, column: str) -> bool:
    """Whether a features or exclude entry names the column: it is its name, or a pattern that
    matches it (case-sensitively, like a name)."""
    return entry == column or (is_pattern(entry) and fnmatch.fnmatchcase(column, entry))


def systems(problem: Problem) -> dict[str, str]:
    """Feature groups holding an existing system's output: a `column` baseline's column stays
    an input, in a group named after the baseline, unless excluded or already a feature (by
    name or pattern; the catch-all `*` does not take it)."""
    listed = [e for entries in (problem.features or {}).values() for e in entries if e != OTHERS]
    return {
        b.name: b.column
        for b in problem.baselines
        if b.column is not None
        and not any(matches(e, b.column) for e in [*problem.exclude, *listed])
        and b.column != problem.label.column
    }


def hypotheses(problem: Problem) -> list[Hypothesis]:
    """The spec's hypotheses, then one per group gonogo adds (calendar, trend, an existing
    system's output) that the spec does not test itself: each is measured as an ablation."""
    tested = {h.group for h in problem.hypotheses}
    spec_groups = {g for g, d in problem.derive.items() if d is not False}
    auto = {
        g: f"the {d.kind} of {d.source} is a signal"
        for g, d in derivations(problem).items()
        if g not in spec_groups
    }
    auto |= {g: f"the model builds on the existing system {g!r}" for g in systems(problem)}
    return [
        *problem.hypotheses,
        *(Hypothesis(name=text, group=g) for g, text in auto.items() if g not in tested),
    ]


def _field_path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        # A key with a line break or other control character is quoted: one line, always.
        key = str(part) if str(part).isprintable() else repr(part)
        out += f"[{part}]" if isinstance(part, int) else (f".{key}" if out else key)
    return out


def _known_keys() -> list[str]:
    models: list[type[BaseModel]] = [
        Problem,
        DataSpec,
        LabelSpec,
        DeriveSpec,
        Costs,
        DecisionSpec,
        Success,
        BaselineSpec,
        ModelSpec,
        Hypothesis,
        SplitSpec,
    ]
    return sorted({f.alias or name for m in models for name, f in m.model_fields.items()})


def _explain(err: ValidationError, source: str) -> SpecError:
    # A misspelt key also makes the intended one "missing": report the typo first.
    errors = sorted(err.errors(), key=lambda e: e["type"] != "extra_forbidden")
    first = errors[0]
    path = _field_path(tuple(first["loc"]))
    msg = str(first["msg"]).removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        near = difflib.get_close_matches(str(first["loc"][-1]), _known_keys(), n=1)
        msg = "unknown key" + (f" (did you mean {near[0]!r}?)" if near else "")
    elif first["type"] == "missing":
        msg = "required field is missing"
    elif "input" in first and first["type"] not in {"value_error", "assertion_error"}:
        msg = f"{msg}; found {first['input']!r}"
    more = len(err.errors()) - 1
    suffix = f" (+{more} more)" if more else ""
    place = f"{source}: {path}" if path else source
    return SpecError(place, msg + suffix)


def parse_problem(raw: Any, base_dir: Path | None = None, source: str = "problem") -> Problem:
    """Validate a mapping (e.g. parsed YAML, or a dict in a notebook) into a `Problem`."""
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
        raw = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        reason = getattr(err, "problem", None) or "not valid YAML"
        raise SpecError(str(path), f"malformed YAML{where}: {reason}") from None
    return parse_problem(raw, path.resolve().parent, str(path))
