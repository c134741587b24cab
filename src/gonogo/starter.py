"""`gonogo init`: a starter problem spec inferred from the data, for the team to edit."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from gonogo.data import dates, dialect, lags
from gonogo.data.label import infer_task, learn, present
from gonogo.data.sources import form_of, read_table
from gonogo.errors import DataError, InputError, SpecError
from gonogo.metrics import DEFAULT_METRIC
from gonogo.problem import lag_name, parse_problem

RARE = 0.10  # positives rarer than this are judged by average precision, not ROC AUC

_TIME_NAMES = ("date", "time", "timestamp", "datetime", "day", "ds", "quarter", "period")
_YEAR_NAMES = ("year", "yr")
# Words naming the units of a panel in a column of codes: numbers are read as units only when
# named so, as a count can come once per time by chance.
_UNIT_WORDS = {"id", "code", "fips", "no", "nr", "state", "country", "region", "county", "city"}
_UNIT_WORDS |= {"store", "shop", "station", "site", "unit", "firm", "plant", "sensor", "person"}


def _time_column(frame: pd.DataFrame, label: str) -> str | None:
    """A column of dates, else one named as dates that reads as such, else the years of a
    panel (states by year: a random split would train on later years than it tests)."""
    for col in frame.columns:
        if col != label and pd.api.types.is_datetime64_any_dtype(frame[col]):
            return str(col)
    for col in frame.columns:
        name = str(col).lower()
        if col == label or not (name in _TIME_NAMES or name.endswith(("_date", "_at", "_time"))):
            continue
        if pd.api.types.is_numeric_dtype(frame[col]):  # lead_time: a duration, not a date
            continue
        if dates.quarters(frame[col]):  # `1998 Q1`, which no date format reads
            return str(col)
        parsed = pd.to_datetime(frame[col], errors="coerce", format="mixed")
        if parsed.notna().mean() > 0.95:
            return str(col)
    for col in frame.columns:
        if col != label and str(col).lower() in _YEAR_NAMES and _panel_years(frame, str(col)):
            return str(col)
    return None


def _date_format(values: pd.Series) -> tuple[str | None, str]:
    """The format of text dates that two formats read differently (01/07/1967: 7 January or
    1 July) when one reading alone puts them on a regular calendar: monthly data written
    day-first is every 1st of a month, and month-first the first twelve days of each January.
    None when the dates are not ambiguous or nothing tells the readings apart (then the run
    asks for the format); with the reason."""
    if pd.api.types.is_datetime64_any_dtype(values) or dates.years(values):
        return None, ""
    _, reads = dates.guesses(values)
    fits = {f: read for f, read in reads.items() if read.notna().all()}
    if len({tuple(read) for read in fits.values()}) < 2:
        return None, ""
    regular = [f for f in fits if _regular(pd.to_datetime(values, errors="coerce", format=f))]
    if len(regular) != 1:
        return None, ""
    (fmt,) = regular
    others = " and ".join(repr(f) for f in fits if f != fmt)
    return fmt, f"dates read as {fmt!r}, a regular calendar; {others} read them off one"


def _regular(times: pd.Series) -> bool:
    distinct = pd.DatetimeIndex(times.dropna().drop_duplicates().sort_values())
    with pd.option_context("future.infer_freq_returns_offset", True):
        return len(distinct) >= 3 and pd.infer_freq(distinct) is not None


def _panel_years(frame: pd.DataFrame, year: str) -> bool:
    """Whether `year` holds the years of a panel: whole numbers that can only be years, and
    units that each come once a year. A car's model year or a customer's birth year is a
    feature: no unit repeats over them."""
    if frame[year].nunique() < 2 or not dates.years(frame[year]):
        return False
    return _units(frame, year) is not None


def _units(frame: pd.DataFrame, time: str, label: str | None = None) -> str | None:
    """A column naming the units of a panel: each unit comes once per time, in several
    times. Text first, then whole numbers named as codes (a state's FIPS number)."""
    coded = [
        c
        for c in frame.columns
        if pd.api.types.is_integer_dtype(frame[c])
        and _UNIT_WORDS.intersection(re.split(r"[^a-z0-9]+", str(c).lower()))
    ]
    text = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
    for col in text + coded:
        if col in (time, label) or frame[col].nunique() == len(frame):
            continue
        if not frame.duplicated([col, time]).any():
            return str(col)
    return None


# A series' step and its season: the same slot one cycle back, the naive forecast of
# seasonal data (births a day: the same weekday last week did 3 times better than yesterday).
_SEASONS = (
    (pd.Timedelta(hours=1), 24, "same-hour-yesterday"),
    (pd.Timedelta(days=1), 7, "same-day-last-week"),
    (pd.Timedelta(days=7), 52, "same-week-last-year"),
    (pd.Timedelta(days=30.4), 12, "same-month-last-year"),
    (pd.Timedelta(days=91.3), 4, "same-quarter-last-year"),
)


def _season(times: pd.Series) -> tuple[int, str] | None:
    """The periods in a cycle of the series' step, and the naive forecast's name, for an
    hourly, daily, weekly, monthly or quarterly series (a step within 10% of one)."""
    distinct = pd.Series(times.drop_duplicates().sort_values())
    if len(distinct) < 3:
        return None
    step = pd.Timedelta(distinct.diff().median())
    for length, periods, name in _SEASONS:
        if abs(step - length) <= 0.1 * length:
            return periods, name
    return None


def _last_value(
    frame: pd.DataFrame, label: str, time: str, fmt: str | None
) -> tuple[dict[str, Any], list[dict[str, str]]] | None:
    """The label's value one step back in its own series, and one cycle back for a seasonal
    step, as a lags group, with a baseline for each, when the table is one series (one row
    per time) or a panel of units and the value is known on at least half of the rows: the
    naive forecasts, the heuristics a forecast must beat first."""
    repeated = frame[time].duplicated().any()
    by = _units(frame, time, label) if repeated else None
    if repeated and by is None:  # events, not a series
        return None
    data = {"path": "-", "time": time, **({"date_format": fmt} if fmt else {})}
    raw = {"name": "starter", "data": data, "label": {"column": label}}
    try:
        season = _season(dates.time_of(parse_problem(raw), frame[time]))
        names = {1: "last-value"} | ({season[0]: season[1]} if season else {})
        history = {"column": label, "periods": list(names), **({"by": by} if by else {})}
        made, _ = lags.add(parse_problem(raw | {"derive": {"history": history}}), frame)
    except (DataError, SpecError):
        return None
    labeled = frame[label].notna()
    known = [k for k in names if made.loc[labeled, lag_name(label, k)].notna().mean() >= 0.5]
    if 1 not in known:
        return None
    history["periods"] = known
    return history, [{"name": names[k], "column": lag_name(label, k)} for k in known]


def _id_columns(frame: pd.DataFrame, skip: set[str]) -> list[str]:
    out = []
    for col in frame.columns:
        s = frame[col]
        if col in skip or s.isna().any():
            continue
        textual = not pd.api.types.is_numeric_dtype(s)
        if s.nunique() == len(s) and (textual or pd.api.types.is_integer_dtype(s)):
            out.append(str(col))
    return out


def _readable(labels: pd.Series, task: str) -> None:
    """A DataError on --label when the label does not read as its task: quantities with a
    text code among them (a trace of rain as 'T') would otherwise be written up as classes,
    or as a regression the run then refuses."""
    problem = parse_problem({"name": "starter", "label": {"column": labels.name, "task": task}})
    try:
        learn(problem, labels)
    except DataError as err:
        raise DataError("--label", err.problem) from None


def _metric(label: pd.Series, task: str) -> tuple[str, str]:
    """The metric for the label, and why."""
    if task != "binary":
        return DEFAULT_METRIC[task], _WHY[task]
    problem = parse_problem({"name": "starter", "label": {"column": label.name}})
    share = float(learn(problem, label)[0].mean())
    if share < RARE:
        return "pr_auc", f"{share:.1%} positive: average precision; ROC AUC flatters rare ones"
    return "roc_auc", f"{share:.1%} positive: how well positives rank above negatives"


_WHY = {
    "regression": "the mean absolute error, in the label's unit",
    "multiclass": "log loss: honest probabilities for every class, rare ones too",
}


def _dialect(data: Path) -> dict[str, str]:
    """A text file's sniffed dialect when it is not comma and point, so the spec says it."""
    if form_of([data], "--data") == "parquet":
        return {}
    found = dialect.of(data, "--data")
    given = {"delimiter": found.delimiter, "decimal": found.decimal}
    return {} if given == {"delimiter": ",", "decimal": "."} else given


def starter(data: Path, label: str, out: Path) -> dict[str, Any]:
    """The spec for `data` with `label`, as a mapping."""
    return _draft(data, label, out)[0]


def _draft(data: Path, label: str, out: Path) -> tuple[dict[str, Any], dict[str, str]]:
    """The spec, and a note on each choice gonogo made for it (by top-level key)."""
    frame = read_table(data, "--data")
    if label not in frame.columns:
        raise DataError(
            "--label",
            f"column {label!r} not found in {data.name}; columns: "
            + ", ".join(map(str, frame.columns[:20])),
        )
    labels = frame[label][present(frame[label])]
    if labels.nunique() < 2:
        held = f"holds one value, {labels.iloc[0]}" if len(labels) else "has no values"
        raise DataError("--label", f"column {label!r} {held}: nothing to predict")
    task = infer_task(labels)
    _readable(labels, task)
    metric, why = _metric(labels, task)
    time = _time_column(frame, label)
    fmt, read = _date_format(frame[time]) if time else (None, "")
    found = _dialect(data) | ({"date_format": fmt} if fmt else {})
    spec: dict[str, Any] = {
        "name": data.stem.replace("_", "-"),
        "question": f"What will {label} be for a new example?",
        "decision": "(which decision will the prediction drive?)",
        "seed": 0,
        "data": {
            "path": os.path.relpath(data.resolve(), out.resolve().parent),
            "time": time,
            **found,
        },
        "label": {"column": label, "task": task},
        "exclude": _id_columns(frame, {label, *([time] if time else [])}),
        "metric": metric,
        "success": {"min_improvement": 0.05},
    }
    notes = {
        "decision": "what the prediction drives; price it below",
        "exclude": "a distinct value on every row: identifiers" if spec["exclude"] else "",
        "data": "; ".join(
            part
            for part in (
                "delimiter and decimal mark as sniffed" if found.keys() - {"date_format"} else "",
                read if fmt else "",
                _entity(spec, frame) if time is None else "",
            )
            if part
        ),
        "metric": why,
        "success": "the least gain over the best heuristic worth building",
    }
    derive: dict[str, Any] = {}
    if time and not dates.years(frame[time]):  # a year has no calendar; its trend is added
        derive["calendar"] = {"from": time}
    found_lags = _last_value(frame, label, time, fmt) if time and task == "regression" else None
    if found_lags:
        derive["history"], spec["baselines"] = found_lags
    if derive:
        spec["derive"] = derive
        notes["derive"] = "time as a signal: " + " and ".join(
            _DERIVED[g] for g in ("calendar", "history") if g in derive
        )
    return spec, notes


# Named as an id is, last (`job_ad_id`, `personId`, `person_nr`): a column init declares the
# entity with no model to confirm it, unlike the run's check (`account_length` repeats too).
_ENTITY_NAME = re.compile(r"(^|[^A-Za-z])(id|ID|nr|no|num|number)$|[a-z](Id|ID|Nr|No|Num|Number)$")


def _entity(spec: dict[str, Any], frame: pd.DataFrame) -> str:
    """Declare, in `spec`, the column that names what repeats over rows (a job ad with four
    résumés sent to it), and say why: a random split would test on the same ads the model
    learned, a better score than new ads will get. Its note says how to undo it."""
    from gonogo.checks.leakage import repeats

    label = spec["label"]["column"]
    named = [
        c
        for c in map(str, frame.columns)
        if c != label and _ENTITY_NAME.search(c) and repeats(c, frame[c])
    ]
    if not named:
        return ""
    column = max(named, key=lambda c: frame[c].nunique())
    spec["data"]["entity"] = column
    each = frame[column].notna().sum() / frame[column].nunique()
    return (
        f"entity: {column} repeats ({each:.1f} rows each), so the test holds unseen ones; "
        "remove it if predictions are for the same ones"
    )


_DERIVED = {
    "calendar": "its calendar (and a trend)",
    "history": (
        "the label's last values (one step back, and one cycle back for a seasonal step; for "
        "a forecast further ahead, raise history's horizon and periods)"
    ),
}


_FOOTER = """
# Optional sections: uncomment and edit. The constant baseline and a found simple rule are
# always added; name the heuristics and the existing system the model must beat.
# baselines:
#   - {name: my-rule, expression: "calls >= 4"}       # a rule over columns
#   - {name: per-segment, group_by: [segment]}        # the training rate per group
#   - {name: current-system, column: score}           # the existing system's output
# features:                                           # named groups; omitted = every column
#   usage: [minutes, calls]                           # names, or patterns such as 'M*'
#   other: ["*"]                                      # all the others
# hypotheses:                                         # a group's worth, measured by leaving it out
#   - {name: usage is informative, group: usage}
# slices: [segment]                                   # sub-populations reported side by side
# models:                                             # default: linear and gradient boosting
#   - {name: forest, estimator: sklearn.ensemble.FOREST,
#      params: {n_estimators: 200}, grid: {max_depth: [8, null]}}
# split: {strategy: random, holdout: 0.2}             # time when data.time is set
# decision:                                           # instead of the one above: priced
#   what: (the decision, in words)
#   costs: COSTS
"""

# What the footer's examples are for each task: a forest of the task, costs of its kind.
_EXAMPLES = {
    "regression": ("RandomForestRegressor", "{under: 40, over: 10, unit: USD}   # per unit"),
    "binary": ("RandomForestClassifier", "{true_positive: -100, false_positive: 10, unit: USD}"),
    "multiclass": ("RandomForestClassifier", "{matrix: {a: {b: 5}}, unit: USD}   # true, decided"),
}


def _commented(text: str, notes: dict[str, str]) -> str:
    """The YAML with each top-level key's note after it."""
    lines = []
    for line in text.splitlines():
        key = line.split(":", 1)[0]
        note = notes.get(key) if not line.startswith(" ") else None
        lines.append(f"{line}  # {note}" if note else line)
    return "\n".join(lines) + "\n"


def _entry(baseline: dict[str, str]) -> str:
    """A baseline as one line of the YAML list, in flow style."""
    flow = yaml.safe_dump(
        [baseline], default_flow_style=True, sort_keys=False, allow_unicode=True, width=999
    )
    return f"  - {flow.strip()[1:-1]}"


def write_starter(data: Path, label: str, out: Path, force: bool = False) -> Path:
    """Write the starter spec to `out`, each choice with its reason and the optional sections
    commented out; refuses to overwrite unless `force`."""
    if out.exists() and not force:
        raise InputError(f"--out {out}", "exists already; pass --force to overwrite")
    spec, notes = _draft(data, label, out)
    header = (
        f"# Starter spec for {data.name}, written by `gonogo init`. "
        f"Edit, then: gonogo run {out.name}\n"
    )
    baselines = spec.pop("baselines", [])
    body = _commented(
        yaml.safe_dump(spec, sort_keys=False, allow_unicode=True, default_flow_style=None), notes
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    forest, costs = _EXAMPLES[spec["label"]["task"]]
    footer = _FOOTER.replace("FOREST", forest).replace("COSTS", costs)
    if baselines:  # proposed, above the examples that go with them
        said = ["the naive forecast", "the seasonal naive forecast"]
        active = "".join(
            f"{_entry(b):<53} # {why}\n" for b, why in zip(baselines, said, strict=False)
        )
        footer = footer.replace("# baselines:\n", f"baselines:\n{active}")
    out.write_text(header + body + footer, encoding="utf-8")
    return out
