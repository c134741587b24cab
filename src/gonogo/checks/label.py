"""Is there a label to learn from: present, varying, plentiful, balanced enough?"""

from __future__ import annotations

import numpy as np

from gonogo.checks.finding import Finding, Severity
from gonogo.data.dataset import Dataset
from gonogo.data.split import Split
from gonogo.metrics import DEFAULT_METRIC
from gonogo.problem import Problem

MIN_ROWS = 100
MIN_PER_CLASS = 20
AWARE = ("pr_auc", "balanced_accuracy", "log_loss")  # metrics that weigh a rare class fairly


def _shares(ds: Dataset) -> dict[str, float]:
    counts = np.bincount(ds.y.astype(int), minlength=ds.n_classes)
    return {c: float(n / len(ds.y)) for c, n in zip(ds.classes, counts, strict=True)}


def missing(problem: Problem, ds: Dataset, split: Split) -> list[Finding]:
    if not ds.missing_label:
        return []
    total = ds.missing_label + len(ds.y)
    return [
        Finding(
            "label.missing",
            "warn",
            f"{ds.missing_label} of {total} rows ({ds.missing_label / total:.1%}) have no "
            f"label and were left out; are they missing at random?",
            (ds.label,),
            {"rows": ds.missing_label, "fraction": ds.missing_label / total},
        )
    ]


def constant(problem: Problem, ds: Dataset, split: Split) -> list[Finding]:
    distinct = len(np.unique(ds.y))
    if distinct > 1:
        return []
    return [
        Finding(
            "label.constant",
            "block",
            f"the label {ds.label!r} has a single value; there is nothing to predict",
            (ds.label,),
            {"distinct": distinct},
        )
    ]


def too_few(problem: Problem, ds: Dataset, split: Split) -> list[Finding]:
    out = []
    if len(ds.y) < MIN_ROWS:
        out.append(
            Finding(
                "label.too_few",
                "block",
                f"only {len(ds.y)} labeled rows; at least {MIN_ROWS} are needed to "
                "estimate anything with a useful interval",
                (ds.label,),
                {"rows": len(ds.y), "minimum": MIN_ROWS},
            )
        )
    if ds.task != "regression":
        counts = np.bincount(ds.y.astype(int), minlength=ds.n_classes)
        rare = {c: int(n) for c, n in zip(ds.classes, counts, strict=True) if 0 < n < MIN_PER_CLASS}
        if rare:
            out.append(
                Finding(
                    "label.too_few",
                    "block",
                    f"{_few(list(rare))} have fewer than {MIN_PER_CLASS} examples; "
                    "collect more or merge classes",
                    (ds.label,),
                    {"counts": rare, "minimum": MIN_PER_CLASS},
                )
            )
    return out


def _few(classes: list[str]) -> str:
    """Classes named in a message: the first five, then how many more."""
    more = f" and {len(classes) - 5} more" if len(classes) > 5 else ""
    return f"{len(classes)} class(es) ({', '.join(classes[:5])}{more})"


def imbalance(problem: Problem, ds: Dataset, split: Split) -> list[Finding]:
    if ds.task == "regression" or ds.n_classes < 2:
        return []
    shares = _shares(ds)
    floor = 0.10 if ds.task == "binary" else 0.05
    rare = {c: s for c, s in shares.items() if s < floor}
    if not rare:
        return []
    names = ", ".join(f"{c!r} {s:.1%}" for c, s in list(rare.items())[:5])
    names += f" and {len(rare) - 5} more" if len(rare) > 5 else ""
    metric = problem.metric or DEFAULT_METRIC[ds.task]
    if metric in AWARE:  # the advice is taken already: what is left to say is no warning
        severity: Severity = "info"
        advice = f"{metric} weighs them as they are; expect wide intervals"
    else:
        severity = "warn"
        advice = (
            f"judge with a prevalence-aware metric ({', '.join(AWARE)}) and expect wide intervals"
        )
    return [
        Finding(
            "label.imbalance",
            severity,
            f"rare class(es): {names}; {advice}",
            (ds.label,),
            {"shares": shares},
        )
    ]


CHECKS = (missing, constant, too_few, imbalance)
