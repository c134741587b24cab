"""Formulation checks: small functions `(Problem, Dataset, Split) -> list[Finding]`.

Label checks run first: when one blocks, nothing else can be learned and the run stops there.
"""

from __future__ import annotations

from collections.abc import Callable

from gonogo.checks import features, frame, label, leakage, metric, split
from gonogo.checks.finding import Finding
from gonogo.data.dataset import Dataset
from gonogo.data.split import Split
from gonogo.problem import Problem

Check = Callable[[Problem, Dataset, Split], list[Finding]]

LABEL_CHECKS: tuple[Check, ...] = label.CHECKS
DATA_CHECKS: tuple[Check, ...] = (
    *frame.CHECKS,
    *leakage.CHECKS,
    *split.CHECKS,
    *features.CHECKS,
    *metric.CHECKS,
)


def run_checks(
    checks: tuple[Check, ...], problem: Problem, ds: Dataset, sp: Split
) -> list[Finding]:
    """Every finding of the given checks, in order."""
    return [f for check in checks for f in check(problem, ds, sp)]


__all__ = ["DATA_CHECKS", "LABEL_CHECKS", "Finding", "run_checks"]
