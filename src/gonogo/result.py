"""What a PoC run found: the verdict and the evidence behind it.

`to_dict` is the `verdict.json` contract that other tools read; numbers are rounded to six
significant digits so the file is byte-identical across runs and machines.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from gonogo.candidates.fitted import FittedCandidate
from gonogo.candidates.pinned import plain
from gonogo.checks.finding import Finding
from gonogo.errors import InputError
from gonogo.evaluation.budget import Budget
from gonogo.evaluation.compare import Estimate
from gonogo.evaluation.decisions import Value
from gonogo.evaluation.outer import CurvePoint, SplitFits
from gonogo.evaluation.projection import HORIZON, Projection
from gonogo.evaluation.slices import SliceRow
from gonogo.files import write_folder
from gonogo.metrics import Array, Metric
from gonogo.problem import Problem
from gonogo.verdict import Verdict


@dataclass(frozen=True)
class CandidateResult:
    name: str
    kind: str
    description: str
    config: dict[str, Any]
    cv: float
    holdout: Estimate


@dataclass(frozen=True)
class HypothesisResult:
    name: str
    group: str
    outcome: str
    effect: Estimate
    without: float
    min_effect: float
    origin: str = "spec"  # or "gonogo": a hypothesis gonogo added (calendar, trend, a system)


@dataclass(frozen=True)
class Importance:
    """How much worse the best model gets with a group or a feature shuffled (relative)."""

    name: str
    kind: str  # "group" or "feature"
    effect: Estimate


@dataclass(frozen=True)
class Evaluation:
    """How the comparison was run: the outer splits, and how often they agree."""

    scheme: str
    splits: int
    tested: int
    ahead: int
    clears: int
    models: dict[str, int]
    baselines: dict[str, int]
    # Each split's chosen model (baseline) pooled over the tested rows: what the improvement
    # and the reasons compare.
    model: Estimate
    baseline: Estimate


@dataclass(frozen=True)
class DataSummary:
    rows: int
    train: int
    holdout: int
    split: str
    task: str
    classes: tuple[str, ...]
    label: str
    time: str | None
    entity: str | None
    groups: dict[str, tuple[str, ...]]
    unused: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Holdout:
    """Holdout truth and the predictions of the best model and baseline, for the plots."""

    y: Array
    model: Array
    baseline: Array
    worst: pd.DataFrame
    times: pd.Series | None = None


@dataclass
class Result:
    problem: Problem
    data: DataSummary
    metric: Metric
    findings: list[Finding]
    verdict: Verdict
    candidates: list[CandidateResult] = field(default_factory=list)
    best_baseline: str | None = None
    best_model: str | None = None
    improvement: Estimate | None = None
    hypotheses: list[HypothesisResult] = field(default_factory=list)
    slices: list[SliceRow] = field(default_factory=list)
    learning_curve: list[CurvePoint] = field(default_factory=list)
    projection: Projection | None = None
    refine: list[str] = field(default_factory=list)
    holdout: Holdout | None = None
    evaluation: Evaluation | None = None
    importance: list[Importance] = field(default_factory=list)
    value: Value | None = None
    budget: Budget | None = None
    fits: tuple[SplitFits, ...] = field(default=(), repr=False, compare=False)
    # The report renders a result, so the result cannot import it: whoever makes one (the
    # PoC run) hands it the renderer.
    renderer: Callable[[Result], str] | None = field(default=None, repr=False, compare=False)

    def fitted(self, name: str | None = None) -> FittedCandidate:
        """A candidate (the best model by default) as fitted in the last outer split: on the
        most recent history of a time split, else on the last fold's training rows."""
        wanted = name or self.best_model
        if not self.fits or wanted is None:
            raise InputError("result", "nothing was fitted: the run was blocked")
        if wanted not in self.fits[-1].candidates:
            known = ", ".join(self.fits[-1].candidates)
            raise InputError("result", f"no candidate {wanted!r}; the candidates are {known}")
        return self.fits[-1].candidates[wanted]

    def to_dict(self) -> dict[str, Any]:
        """The verdict.json contract."""
        contract: dict[str, Any] = _clean(
            {
                "problem": self.problem.name,
                "verdict": self.verdict.decision,
                "reasons": list(self.verdict.reasons),
                "metric": {
                    "name": self.metric.name,
                    "greater_is_better": self.metric.greater_is_better,
                },
                "candidates": [
                    {
                        "name": c.name,
                        "kind": c.kind,
                        "description": c.description,
                        "cv": c.cv,
                        "holdout": _estimate(c.holdout),
                    }
                    for c in self.candidates
                ],
                "best_baseline": self.best_baseline,
                "best_model": self.best_model,
                "improvement": _relative(self.improvement),
                "hypotheses": [
                    {
                        "name": h.name,
                        "group": h.group,
                        "origin": h.origin,
                        "outcome": h.outcome,
                        **_relative(h.effect),
                    }
                    for h in self.hypotheses
                ],
                "importance": [
                    {"name": i.name, "kind": i.kind, **_relative(i.effect)} for i in self.importance
                ],
                "evaluation": asdict(self.evaluation) if self.evaluation else None,
                "value": _value(self.value),
                "budget": asdict(self.budget) if self.budget else None,
                "findings": [
                    {
                        "check": f.check,
                        "severity": f.severity,
                        "columns": list(f.columns),
                        "message": f.message,
                        "evidence": f.evidence,
                    }
                    for f in self.findings
                ],
                "slices": [asdict(s) for s in self.slices],
                "learning_curve": [asdict(p) for p in self.learning_curve],
                "more_data": _more_data(self.projection),
                "refine": self.refine,
                "data": {
                    "rows": self.data.rows,
                    "train": self.data.train,
                    "holdout": self.data.holdout,
                    "split": self.data.split,
                    "task": self.data.task,
                    "unused": self.data.unused,
                },
            }
        )
        # Exact, not rounded like the figures: a pipeline fits this configuration again.
        for entry, c in zip(contract["candidates"], self.candidates, strict=True):
            entry["config"] = plain(c.config)
        return contract

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    def to_html(self) -> str:
        """The report, one self-contained page."""
        if self.renderer is None:
            raise InputError("result", "has no report renderer; results of gonogo.run have one")
        return self.renderer(self)

    def _repr_html_(self) -> str:
        """The report in a notebook, in an iframe so its styles stay out of the notebook's."""
        page = html.escape(self.to_html(), quote=True)
        return (
            f'<iframe srcdoc="{page}" style="width:100%;height:900px;border:1px solid #e5e7eb"'
            f' title="gonogo report: {html.escape(self.problem.name)}"></iframe>'
        )

    def save(self, out: str | Path) -> Path:
        """Write verdict.json and report.html into `out`, all or nothing."""
        out = check_out(out)
        return write_folder(out, {"verdict.json": self.to_json(), "report.html": self.to_html()})


def verdict_schema() -> dict[str, Any]:
    """The JSON Schema of verdict.json, for tools that read it."""
    from importlib.resources import files

    schema: dict[str, Any] = json.loads(
        files("gonogo").joinpath("schemas/verdict.schema.json").read_text(encoding="utf-8")
    )
    return schema


OUTPUTS = frozenset({"verdict.json", "report.html"})


def check_out(out: str | Path) -> Path:
    """`out` as a path, refusing a folder that holds anything but an earlier run's output."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out}", "is a file; name a new folder")
    if out.exists() and {p.name for p in out.iterdir()} - OUTPUTS:
        raise InputError(f"--out {out}", "exists and holds other files; name a new folder")
    return out


def _estimate(e: Estimate) -> dict[str, Any]:
    return {"value": e.value, "ci": list(e.ci)}


def _relative(e: Estimate | None) -> dict[str, Any]:
    return {"relative": None, "ci": None} if e is None else {"relative": e.value, "ci": list(e.ci)}


def _value(v: Value | None) -> dict[str, Any] | None:
    if v is None:
        return None
    return {
        "unit": v.unit,
        "per": v.per,
        "policies": [
            {
                "role": p.role,
                "name": p.name,
                "policy": p.policy,
                "parameters": list(p.parameters),
                **_estimate(p.value),
            }
            for p in v.policies
        ],
        "against": v.against,
        "gain": _estimate(v.gain),
    }


def _more_data(p: Projection | None) -> dict[str, Any] | None:
    if p is None:
        return None
    law = p.law
    return {
        "target": p.target,
        "why": p.why,
        "rows": p.rows,
        "needed": _estimate(p.needed()),
        "horizon": HORIZON,
        "at_horizon": _estimate(p.at(HORIZON * p.rows)),
        "law": {"a": law.sign * law.a, "b": law.sign * law.b, "c": law.c, "scale": law.scale},
    }


def _clean(obj: Any) -> Any:
    """JSON-safe and stable: six significant digits, NaN as null, numpy scalars as Python, no
    negative zero (an importance of exactly nothing read -0.0)."""
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_clean(v) for v in obj]
    if hasattr(obj, "item") and not isinstance(obj, str):
        obj = obj.item()
    if isinstance(obj, float):
        return None if not math.isfinite(obj) else float(f"{obj:.6g}") + 0.0
    return obj
