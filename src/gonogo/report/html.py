"""The HTML report: one self-contained file, readable offline, one section per step of the
talk's framework (Frame, Hypotheses, Data, Test, Analyze, Conclusion, Refine)."""

from __future__ import annotations

import math
from typing import Any

from gonogo.evaluation.compare import signed
from gonogo.metrics import number
from gonogo.report import frame, plots
from gonogo.result import Result
from gonogo.verdict import amount

_COLORS = {"go": "#15803d", "no-go": "#b91c1c", "inconclusive": "#a16207", "blocked": "#6b21a8"}


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return "—" if math.isnan(value) else number(value)
    return str(value)


def _plain(value: float) -> str:
    """A table's value, whole from 1,000 on but ungrouped: a year or an id reads 2015."""
    return number(value, grouped=False)


def _gain(value: float) -> str:
    """A relative gain in percent, signed; a dash where the metric is undefined (a slice of
    one class has no AUC)."""
    return "—" if math.isnan(value) else signed(value)


def _unused(r: Result) -> list[tuple[str, list[str]]]:
    """Columns the models do not see, grouped by the reason."""
    by: dict[str, list[str]] = {}
    for column, why in r.data.unused.items():
        by.setdefault(why, []).append(column or "'' (no name)")  # a saved index's empty header
    return sorted(by.items())


def render(r: Result) -> str:
    """The report for one result."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(
        loader=PackageLoader("gonogo", "report/templates"),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["fmt"] = _fmt
    env.filters["money"] = amount
    env.filters["gain"] = _gain
    worst = r.holdout.worst if r.holdout is not None else None
    return env.get_template("report.html.j2").render(
        r=r,
        color=_COLORS[r.verdict.decision],
        terms=frame.terms(r),
        worst=worst.to_html(index=False, float_format=_plain, border=0, classes="worst")
        if worst is not None
        else "",
        plots={
            "candidates": plots.candidates(r),
            "hypotheses": plots.hypotheses(r),
            "curve": plots.learning_curve(r),
            "slices": plots.slices(r),
            "errors": plots.errors(r),
            "importance": plots.importance(r),
            "curves": plots.curves(r),
            "time": plots.over_time(r),
        },
        unused=_unused(r),
    )
