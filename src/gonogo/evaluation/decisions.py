"""Priced decisions: how a candidate's predictions become decisions, and what they are worth.

A spec's `decision.costs` price each outcome of one decision. A policy turns predictions into
decisions and is tuned on an outer split's inner validation predictions, never on its test
rows; the test rows then price the decisions it makes:

| task       | decision             | tuned on the inner predictions                           |
|------------|----------------------|----------------------------------------------------------|
| binary     | act when p >= t      | t, the cut with the lowest cost (any score, not only p)  |
| multiclass | the cheapest class   | nothing: the class whose expected cost under p is lowest |
| regression | predict p + offset   | the offset, the residuals' quantile under/(under + over) |

With `decision.budget`, a binary policy acts on at most that share of the cases, the highest
scores first, a tie at the cap split at random (the constant's share is a random one): the
cut is the cheapest within it, or the whole share when filling it is cheapest.

A value is minus the mean cost, per 1,000 decisions, so that more is better and "+X per 1,000
decisions" reads as money earned or saved.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gonogo.errors import SpecError
from gonogo.evaluation.compare import Estimate
from gonogo.metrics import Array, Metric, mean, number
from gonogo.problem import Costs, Problem

PER = 1000
NONE = float("inf")  # the threshold of a binary policy that acts on no one
TOP = -float("inf")  # ...and of one that acts on as many as the budget allows, best first


@dataclass(frozen=True)
class Policy:
    """Priced decisions for one task. `cost`: binary and multiclass, a matrix
    [true class, decided class]; regression, the cost of a unit of error under and over.
    `budget`: binary, the largest share of cases that can be acted on (a team's capacity)."""

    task: str
    cost: Array
    unit: str = ""
    budget: float | None = None

    def tune(self, y: Array, p: Array) -> float:
        """The policy's parameter, from predictions of rows whose labels are known; without
        any (no inner folds), the parameter that suits calibrated predictions."""
        if self.task == "multiclass":
            return float("nan")
        if self.task == "regression":
            under, over = self.cost
            quantile = under / (under + over)
            if not len(y):
                return 0.0
            return float(np.quantile(y - p, quantile, method="inverted_cdf"))
        return _threshold(self.cost, y, p, self.budget) if len(y) else _bayes(self.cost)

    def decide(self, p: Array, parameter: float) -> Array:
        """Decisions for predictions `p`: 1.0/0.0 (act or not), class codes, or values."""
        if self.task == "regression":
            return p + parameter
        if self.task == "multiclass":
            return np.asarray((p @ self.cost).argmin(axis=1), dtype=np.float64)
        acted = p >= parameter
        k = _capacity(self.budget, len(p))
        if acted.sum() > k:
            # A fixed shuffle orders each tie, so a constant's share is not the first rows,
            # which on a time split are the earliest.
            shuffle = np.random.default_rng(0).permutation(len(p))
            acted = np.zeros(len(p), dtype=bool)
            acted[np.lexsort((shuffle, -p))[:k]] = True
        return np.asarray(acted, dtype=np.float64)

    def costs(self, y: Array, decided: Array) -> Array:
        """What each decision cost, given the truth."""
        if self.task == "regression":
            under, over = self.cost
            error = y - decided
            return np.asarray(np.where(error > 0, under * error, -over * error))
        return np.asarray(self.cost[y.astype(int), decided.astype(int)])

    def value(self, y: Array, decided: Array, W: Array) -> Array:
        """Value per 1,000 decisions under each row of weights of W."""
        return np.asarray(-PER * mean(W, self.costs(y, decided)))

    @property
    def metric(self) -> Metric:
        """The value as a metric, so that decisions are scored like predictions."""
        return Metric("value", frozenset({self.task}), True, self.value)

    def describe(self, parameter: float, decisions: Array) -> str:
        """The tuned policy in words (`parameter`: a typical one; `decisions`: all it made)."""
        if self.task == "multiclass":
            return "the class with the lowest expected cost"
        if self.task == "regression":
            under, over = self.cost
            share = under / (under + over)
            shift = number(parameter, signed=True)
            return f"the prediction {shift} (the {share:.0%} quantile of the errors)"
        acted = float(decisions.mean()) if len(decisions) else 0.0
        if parameter == TOP and self.budget is not None:
            return f"act on the {self.budget:.0%} with the highest scores (the budget)"
        if acted in (0.0, 1.0):
            return "act on everyone" if acted else "act on no one"
        return f"act when the score is at least {number(parameter)} ({acted:.0%} of cases)"


@dataclass(frozen=True)
class PricedPolicy:
    """One candidate's decisions: who (`role`: model, baseline or constant), its policy in
    words, its parameter in each outer split, and their value per `PER` decisions."""

    role: str
    name: str
    policy: str
    parameters: tuple[float, ...]
    value: Estimate


@dataclass(frozen=True)
class Value:
    """The priced decisions, and the model's gain in value (paired) over the more valuable of
    the best baseline's and the constant's: acting on everyone, or on no one, may be worth
    more than any heuristic."""

    unit: str
    per: int
    policies: tuple[PricedPolicy, ...]
    against: str
    gain: Estimate

    def of(self, role: str) -> PricedPolicy:
        return next(p for p in self.policies if p.role == role)


def policy(problem: Problem, task: str, classes: tuple[str, ...]) -> Policy | None:
    """The problem's priced decisions, or None when the spec gives no costs."""
    costs = problem.decision.costs
    if costs is None:
        return None
    place = f"{problem.source}: decision.costs"
    if costs.task != task:
        raise SpecError(place, f"prices a {costs.task} decision; the label is {task}")
    if task == "regression":
        return Policy(task, np.array([costs.under or 0.0, costs.over or 0.0]), costs.unit)
    if task == "binary":
        c = costs
        matrix = [[c.true_negative, c.false_positive], [c.false_negative, c.true_positive]]
        cost = np.nan_to_num(np.array(matrix, dtype=np.float64))
        return Policy(task, cost, costs.unit, problem.decision.budget)
    return Policy(task, _matrix(costs, classes, place), costs.unit)


def _matrix(costs: Costs, classes: tuple[str, ...], place: str) -> Array:
    assert costs.matrix is not None
    out = np.zeros((len(classes), len(classes)))
    for true, row in costs.matrix.items():
        for decided, cost in row.items():
            for name in (true, decided):
                if name not in classes:
                    raise SpecError(
                        f"{place}.matrix",
                        f"expected classes of the label ({', '.join(classes)}); found {name!r}",
                    )
            out[classes.index(true), classes.index(decided)] = cost
    return out


def _bayes(cost: Array) -> float:
    """The threshold at which acting and not acting cost the same for a calibrated p."""
    saved = (cost[0, 1] - cost[0, 0]) + (cost[1, 0] - cost[1, 1])
    if saved <= 0:
        return 0.0 if cost[1, 1] + cost[0, 1] < cost[1, 0] + cost[0, 0] else NONE
    return float((cost[0, 1] - cost[0, 0]) / saved)


def _capacity(budget: float | None, n: int) -> int:
    """How many of `n` cases a budget lets the decision act on (all without one)."""
    return n if budget is None else round(budget * n)


def _threshold(cost: Array, y: Array, p: Array, budget: float | None = None) -> float:
    """The cut with the lowest total cost on (y, p): act on every row scoring at least it.
    Cuts fall between distinct scores; acting on no one is a cut too. With a `budget`, a cut
    past capacity acts on the top rows only, a tie through the cap priced at its share: such
    a cut, when cheapest, is the budget's top share (TOP), which fills the capacity on new
    rows where the cut's own score would leave it short."""
    order = np.argsort(-p, kind="stable")
    ranked, pos = p[order], y[order]
    ends = np.flatnonzero(np.r_[ranked[1:] != ranked[:-1], True])  # last row of each tie
    bounds = np.r_[0, ends + 1]
    k = _capacity(budget, len(pos))
    acted_on = np.minimum(ends + 1, k)
    tp = np.interp(acted_on, bounds, np.r_[0.0, np.cumsum(pos)[ends]])
    fp = acted_on - tp
    positives, negatives = pos.sum(), len(pos) - pos.sum()
    acted = (
        tp * cost[1, 1]
        + fp * cost[0, 1]
        + (positives - tp) * cost[1, 0]
        + (negatives - fp) * cost[0, 0]
    )
    nobody = positives * cost[1, 0] + negatives * cost[0, 0]
    best = int(np.argmin(acted))
    if nobody < acted[best]:
        return NONE
    return TOP if budget is not None and ends[best] + 1 >= k else float(ranked[ends[best]])
