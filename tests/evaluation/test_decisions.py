"""Priced decisions: policies tuned inside the training part, valued on the test rows."""

import numpy as np
import pandas as pd
import pytest

import gonogo
from gonogo.data.dataset import bind
from gonogo.errors import SpecError
from gonogo.evaluation.decisions import NONE, PER, TOP, Policy, policy
from tests.conftest import ROOT, spec
from tests.fixtures.make_fixtures import SPECS

FIXTURES = ROOT / "tests" / "fixtures"
# [true class, decided class]: a call costs 65 and saves 288 from a leaver.
CALLS = np.array([[0.0, 65.0], [0.0, -223.0]])


def _fixture(name: str, **more) -> tuple[gonogo.Problem, pd.DataFrame]:
    return spec(**{**SPECS[name], **more}), pd.read_parquet(FIXTURES / f"{name}.parquet")


def _brute_threshold(cost, y, p):
    cuts = [*np.unique(p), NONE]
    totals = [cost[y.astype(int), (p >= t).astype(int)].sum() for t in cuts]
    return min(totals)


@pytest.mark.parametrize("seed", range(5))
def test_the_binary_threshold_is_the_cheapest_cut_even_with_ties(seed):
    rng = np.random.default_rng(seed)
    p = np.round(rng.uniform(size=300), 1)  # ten distinct scores: many ties
    y = (rng.uniform(size=300) < p).astype(float)
    pol = Policy("binary", CALLS)
    t = pol.tune(y, p)
    chosen = pol.costs(y, pol.decide(p, t)).sum()
    assert chosen == pytest.approx(_brute_threshold(CALLS, y, p))


@pytest.mark.parametrize("seed", range(3))
def test_a_budget_caps_the_share_acted_on_and_the_cut_is_the_cheapest_within_it(seed):
    rng = np.random.default_rng(seed)
    p = np.round(rng.uniform(size=300), 2)
    y = (rng.uniform(size=300) < p).astype(float)
    # A call pays only from p = 0.7: the cheapest cut stays inside a budget of 60%.
    dear = np.array([[0.0, 70.0], [0.0, -30.0]])
    pol = Policy("binary", dear, budget=0.6)
    t = pol.tune(y, p)
    cheapest = min(dear[y.astype(int), (p >= c).astype(int)].sum() for c in [*np.unique(p), NONE])
    assert 0 < t < 1 and pol.costs(y, pol.decide(p, t)).sum() == pytest.approx(cheapest)


def test_when_filling_the_budget_pays_the_top_share_is_taken_on_new_rows_too():
    rng = np.random.default_rng(0)
    p = rng.uniform(size=600)
    y = (rng.uniform(size=600) < p).astype(float)
    pol = Policy("binary", CALLS, budget=0.2)  # a call pays from p = 0.23: every top case
    assert pol.tune(y, p) == TOP
    assert pol.describe(TOP, np.empty(0)) == "act on the 20% with the highest scores (the budget)"
    fresh = rng.uniform(size=150) * 0.9  # new rows score lower: a cut's score would fall short
    acted = pol.decide(fresh, TOP)
    assert acted.sum() == 30 and fresh[acted == 1].min() >= fresh[acted == 0].max()


def test_a_tie_at_the_cap_is_split_at_random_not_by_row_order():
    pol = Policy("binary", CALLS, budget=0.2)
    acted = pol.decide(np.full(1000, 0.46), TOP)
    assert acted.sum() == 200 and 0.1 < acted[:500].mean() < 0.3  # not the first 200 rows
    # Tuned on a tie, the cost of acting on a fifth of it is the fifth's share of its labels.
    y = np.r_[np.ones(500), np.zeros(500)]  # the positives first in row order
    assert (
        Policy("binary", np.array([[0.0, 65.0], [0.0, -60.0]]), budget=0.2).tune(
            y, np.full(1000, 0.5)
        )
        == NONE
    )  # a random fifth: 100 x -60 + 100 x 65 > 0, though the first fifth would pay


def test_any_monotone_score_works_not_only_probabilities():
    rng = np.random.default_rng(0)
    p = rng.uniform(size=500)
    y = (rng.uniform(size=500) < p).astype(float)
    pol = Policy("binary", CALLS)
    ratio = 3 * p  # an existing score on 0-3
    assert pol.tune(y, ratio) == pytest.approx(3 * pol.tune(y, p))


def test_when_every_action_costs_no_one_is_acted_on():
    pol = Policy("binary", np.array([[0.0, 65.0], [0.0, 29.0]]))
    y, p = np.array([0.0, 1.0, 1.0, 0.0]), np.array([0.1, 0.9, 0.8, 0.2])
    assert pol.tune(y, p) == NONE
    assert pol.decide(p, NONE).sum() == 0
    assert pol.describe(NONE, pol.decide(p, NONE)) == "act on no one"


def test_without_inner_predictions_the_calibrated_threshold_stands_in():
    # Acting on p costs 65 (1 - p) - 223 p: it pays from p = 65 / 288.
    assert Policy("binary", CALLS).tune(np.empty(0), np.empty(0)) == pytest.approx(65 / 288)


def test_the_regression_offset_is_the_cost_quantile_of_the_errors():
    rng = np.random.default_rng(1)
    p = rng.normal(size=2000)
    y = p + rng.exponential(size=2000)
    pol = Policy("regression", np.array([9.0, 1.0]))  # under-predicting costs 9x more
    offset = pol.tune(y, p)
    assert np.mean(y <= pol.decide(p, offset)) == pytest.approx(0.9, abs=0.002)
    cost = pol.costs(y, pol.decide(p, offset)).sum()
    for nudge in (-0.05, 0.05):
        assert cost < pol.costs(y, pol.decide(p, offset + nudge)).sum()


def test_multiclass_decides_the_class_with_the_lowest_expected_cost():
    # Missing class 2 costs 10, anything else wrong costs 1.
    cost = np.ones((3, 3)) - np.eye(3)
    cost[2, :2] = 10
    pol = Policy("multiclass", cost)
    p = np.array([[0.6, 0.3, 0.1], [0.5, 0.4, 0.1], [0.05, 0.94, 0.01]])
    # Expected costs of deciding 0, 1, 2: row 0 (1.3, 1.6, 0.9); row 1 (1.4, 1.5, 0.9);
    # row 2 (1.04, 0.15, 0.99).
    assert pol.decide(p, pol.tune(np.zeros(3), p)).tolist() == [2.0, 2.0, 1.0]


def test_value_is_minus_the_mean_cost_per_thousand_decisions():
    pol = Policy("regression", np.array([2.0, 1.0]))
    y, decided = np.array([10.0, 10.0]), np.array([8.0, 11.0])  # under by 2, over by 1
    assert pol.value(y, decided, np.ones((1, 2)))[0] == pytest.approx(-PER * (4 + 1) / 2)


def test_costs_for_another_task_or_an_unknown_class_are_named():
    regression = spec(decision={"costs": {"under": 1, "over": 2}})
    with pytest.raises(SpecError, match=r"decision.costs: prices a regression decision; the lab"):
        policy(regression, "binary", ("no", "yes"))
    matrix = spec(decision={"costs": {"matrix": {"Adelie": {"Gentoo": 5}}}})
    with pytest.raises(SpecError, match=r"costs.matrix: expected classes .*found 'Gentoo'"):
        policy(matrix, "multiclass", ("Adelie", "Chinstrap"))
    assert policy(spec(decision="words only"), "binary", ("no", "yes")) is None


def test_churn_is_priced_and_the_model_earns_its_go(churn_result):
    v = churn_result.value
    assert churn_result.verdict.decision == "go" and v.unit == "USD" and v.per == PER
    model, constant = v.of("model"), v.of("constant")
    # Calling no one is the constant's best: worth nothing against the cost of doing nothing.
    assert constant.policy == "act on no one" and constant.value.value == 0
    assert v.against == "baseline" and v.gain.ci[0] > 0
    assert all(0 < t < 1 for t in model.parameters)
    assert any(
        r.startswith("priced: gbm's decisions are worth +") for r in churn_result.verdict.reasons
    )
    assert "In value" in churn_result.to_html()


def test_a_model_ahead_on_auc_but_not_in_value_is_not_a_go():
    # Swiss labour participation: reaching out costs 30 and gains 100 from a participant, and
    # 46% participate, so reaching out to everyone is hard to beat.
    problem, frame = _fixture(
        "ordinary_swisslabor", decision={"costs": {"true_positive": -100, "false_positive": 30}}
    )
    r = gonogo.run(problem, data=frame)
    assert r.improvement.ci[0] > 0.05  # clears the bar on roc_auc
    assert r.value.against == "constant" and r.value.of("constant").policy == "act on everyone"
    assert r.value.gain.value < 0 and r.verdict.decision != "go"
    assert "reaches 0" in r.verdict.reasons[-2]


def test_a_budget_makes_ranking_worth_what_acting_on_everyone_was():
    # The same Swiss outreach, for a team that can reach a fifth of the people: acting on
    # everyone is out, the constant's fifth is a random one, the model's the likeliest.
    costs = {"true_positive": -100, "false_positive": 30}
    problem, frame = _fixture("ordinary_swisslabor", decision={"costs": costs, "budget": 0.2})
    r = gonogo.run(problem, data=frame)
    constant, model = r.value.of("constant"), r.value.of("model")
    assert constant.policy == model.policy == "act on the 20% with the highest scores (the budget)"
    # A random fifth still pays (46% take part); the model's likeliest fifth pays clearly more.
    assert constant.value.value > 0 and constant.value.ci[1] < model.value.ci[0]


@pytest.mark.parametrize(
    ("costs", "said"),
    [
        # A gain written as a cost: the run acted on no one, and the verdict named a rule.
        ({"true_positive": 20, "false_positive": 50}, "acting never pays, whatever"),
        ({"true_positive": -20, "false_positive": -5}, "acting on everyone is best, whatever"),
    ],
)
def test_costs_under_which_no_prediction_matters_are_refused(costs, said):
    with pytest.raises(SpecError, match=f"decision.costs: .*{said} is predicted"):
        _fixture("ordinary_pima", decision={"costs": costs})


def test_a_free_action_under_a_budget_still_leaves_whom_to_act_on():
    costs = {"true_positive": -100}  # an offer to a non-participant costs nothing
    problem, _ = _fixture("ordinary_pima", decision={"costs": costs, "budget": 0.2})
    assert problem.decision.budget == 0.2


def test_asymmetric_costs_move_the_predicted_quantile():
    problem, frame = _fixture("rain", decision={"costs": {"under": 9, "over": 1}})
    r = gonogo.run(problem, data=frame)
    offsets = r.value.of("model").parameters
    y = bind(problem, frame).y
    raw, priced = [], []
    for fits, offset in zip(r.fits, offsets, strict=True):
        p = fits.predictions[r.best_model]
        raw.append(y[fits.test] <= p)
        priced.append(y[fits.test] <= p + offset)
    # The model fits absolute error (a median); the costs move it up to about the 90% quantile.
    assert 0.35 < np.mean(np.concatenate(raw)) < 0.65
    assert 0.85 < np.mean(np.concatenate(priced)) < 0.95
    assert all(o > 0 for o in offsets)


def test_the_holdout_labels_never_move_a_threshold():
    frame = pd.read_parquet(FIXTURES / "ordinary_pima.parquet")
    frame["day"] = pd.date_range("2020-01-01", periods=len(frame), freq="D")
    fields = {
        **SPECS["ordinary_pima"],
        "data": {"time": "day"},
        "derive": {"calendar": False, "trend": False},
        "split": {"outer": 1},
        "decision": {"costs": {"true_positive": -100, "false_positive": 30}},
    }
    first = gonogo.run(spec(**fields), data=frame)
    holdout = first.fits[0].test
    flipped = frame.copy()
    labels = flipped["type"].to_numpy(copy=True)
    labels[holdout] = np.where(labels[holdout] == "Yes", "No", "Yes")
    flipped["type"] = labels
    second = gonogo.run(spec(**fields), data=flipped)
    assert (second.fits[0].test == holdout).all()
    for role in ("model", "baseline", "constant"):
        assert first.value.of(role).parameters == second.value.of(role).parameters
    assert first.value.of("model").value != second.value.of("model").value
