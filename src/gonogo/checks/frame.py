"""Is the problem framed: a question, and a decision that the prediction will drive?

The talk's first extension of supervised learning: "Do we know the decisions the ML system will
help driving?" A prediction nobody acts on is not worth a model, however good.
"""

from __future__ import annotations

from gonogo.checks.finding import Finding
from gonogo.data.dataset import Dataset
from gonogo.data.split import Split
from gonogo.problem import Problem


def _stated(text: str) -> bool:
    """Whether a field says something (the starter spec's "(…)" placeholders do not)."""
    text = text.strip()
    return bool(text) and not (text.startswith("(") and text.endswith(")"))


def decision(problem: Problem, ds: Dataset, split: Split) -> list[Finding]:
    if _stated(problem.decision.what):
        return []
    return [
        Finding(
            "frame.decision",
            "warn",
            "no decision is named: who will act on the prediction, and how? Without one, "
            "'better than the heuristic' has no price",
        )
    ]


def question(problem: Problem, ds: Dataset, split: Split) -> list[Finding]:
    if _stated(problem.question):
        return []
    return [
        Finding(
            "frame.question",
            "info",
            f"no question is stated; the report assumes 'what will {ds.label} be?'",
        )
    ]


CHECKS = (question, decision)
