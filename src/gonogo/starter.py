"""`gonogo init`: a starter problem spec inferred from the data, for the team to edit."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from gonogo.data.label import infer_task, present
from gonogo.data.sources import read_table
from gonogo.errors import DataError, InputError
from gonogo.metrics import DEFAULT_METRIC

_TIME_NAMES = ("date", "time", "timestamp", "datetime", "day", "ds")


def _time_column(frame: pd.DataFrame, label: str) -> str | None:
    for col in frame.columns:
        if col != label and pd.api.types.is_datetime64_any_dtype(frame[col]):
            return str(col)
    for col in frame.columns:
        name = str(col).lower()
        if col == label or not (name in _TIME_NAMES or name.endswith(("_date", "_at", "_time"))):
            continue
        parsed = pd.to_datetime(frame[col], errors="coerce", format="mixed")
        if parsed.notna().mean() > 0.95:
            return str(col)
    return None


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


def starter(data: Path, label: str, out: Path) -> dict[str, Any]:
    """The spec for `data` with `label`, as a mapping."""
    frame = read_table(data, "--data")
    if label not in frame.columns:
        raise DataError(
            "--label",
            f"column {label!r} not found in {data.name}; columns: "
            + ", ".join(map(str, frame.columns[:20])),
        )
    task = infer_task(frame[label][present(frame[label])])
    time = _time_column(frame, label)
    spec: dict[str, Any] = {
        "name": data.stem.replace("_", "-"),
        "question": f"What will {label} be for a new example?",
        "decision": "(which decision will the prediction drive?)",
        "seed": 0,
        "data": {"path": os.path.relpath(data.resolve(), out.resolve().parent), "time": time},
        "label": {"column": label, "task": task},
        "exclude": _id_columns(frame, {label, *([time] if time else [])}),
        "metric": DEFAULT_METRIC[task],
        "success": {"min_improvement": 0.05},
    }
    if time:
        spec["derive"] = {"calendar": {"from": time}}
    return spec


_FOOTER = """
# Next: name the heuristics and the existing system to beat, the hypotheses to test, and the
# sub-populations to watch. The constant baseline and a found simple rule are always added.
# baselines:
#   - {name: my-rule, expression: "calls >= 4"}       # a rule over columns
#   - {name: per-segment, group_by: [segment]}        # the training rate per group
# features:                                           # named groups; omitted = every column
#   usage: [minutes, calls]                           # names, or patterns such as 'M*'
#   other: ["*"]                                      # all the others
# hypotheses:
#   - {name: usage is informative, group: usage}
# slices: [segment]
"""


def write_starter(data: Path, label: str, out: Path, force: bool = False) -> Path:
    """Write the starter spec to `out`; refuses to overwrite unless `force`."""
    if out.exists() and not force:
        raise InputError(f"--out {out}", "exists already; pass --force to overwrite")
    spec = starter(data, label, out)
    header = (
        f"# Starter spec for {data.name}, written by `gonogo init`. "
        f"Edit, then: gonogo run {out.name}\n"
    )
    text = header + yaml.safe_dump(spec, sort_keys=False, allow_unicode=True) + _FOOTER
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    return out
