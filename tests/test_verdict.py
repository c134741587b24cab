from gonogo.checks.finding import Finding
from gonogo.evaluation.compare import Estimate
from gonogo.evaluation.decisions import PricedPolicy, Value
from gonogo.metrics import METRICS
from gonogo.verdict import Evidence, decide


def _evidence(improvement, signal=(0.3, 0.5), baseline=1.6, target=None, curve=0.0, **more):
    return Evidence(
        METRICS[more.pop("metric", "mae")],
        0.05,
        target,
        "gbm",
        "rule",
        Estimate(1.2, (1.1, 1.3)),
        Estimate(baseline, (1.5, 1.7)),
        Estimate(sum(improvement) / 2, improvement),
        Estimate(sum(signal) / 2, signal),
        curve,
        **more,
    )


def test_a_block_wins_over_everything():
    block = Finding("leakage.single_feature", "block", "x copies the label", ("x",))
    verdict = decide([block], _evidence((0.2, 0.3)))
    assert (
        verdict.decision == "blocked"
        and "leakage.single_feature: x copies the label" in verdict.reasons
    )


def test_go_needs_the_whole_interval_above_the_bar():
    assert decide([], _evidence((0.05, 0.3))).decision == "go"
    assert decide([], _evidence((0.049, 0.3))).decision == "inconclusive"


def test_no_go_when_even_the_best_case_is_too_small():
    verdict = decide([], _evidence((-0.02, 0.04)))
    assert verdict.decision == "no-go"
    assert "even the upper end is below the 5% needed" in verdict.reasons[0]
    assert verdict.reasons[-1] == "launch the heuristic 'rule' without ML"
    # An existing system's output (a column baseline) is already running: it is kept.
    running = decide([], _evidence((-0.02, 0.04), running=frozenset({"rule"})))
    assert running.reasons[-1] == "keep the existing system 'rule' without ML"


def test_no_go_without_signal_beyond_the_constant():
    verdict = decide([], _evidence((-0.03, 0.02), signal=(-0.03, 0.02)))
    assert verdict.decision == "no-go"
    assert "no model is better than the constant" in verdict.reasons[0]
    assert "no usable signal" in verdict.reasons[0]


def test_a_signal_above_zero_but_under_the_bar_is_weak_not_absent():
    # Purchases of 100 households, grouped by household: +2.3% over the constant is a signal.
    verdict = decide([], _evidence((-0.01, 0.03), signal=(0.005, 0.042)))
    assert verdict.decision == "no-go"
    assert verdict.reasons[0] == (
        "the features carry a signal, too weak for the bar: gbm vs constant +2.4% "
        "(95% CI +0.5% to +4.2%), short of the 5% needed even at its upper end"
    )
    assert not any("no usable signal" in r or "no model is better" in r for r in verdict.reasons)


def test_an_interval_reaching_zero_but_clearing_the_bar_is_inconclusive_not_no_signal():
    verdict = decide([], _evidence((-0.02, 0.44), signal=(-0.02, 0.44)))
    assert verdict.decision == "inconclusive"
    assert not any("no usable signal" in r for r in verdict.reasons)


def test_a_hard_label_metric_on_a_rare_class_hides_the_signal():
    hidden = _evidence(
        (-0.01, 0.01),
        signal=(-0.01, 0.01),
        metric="accuracy",
        proper=Estimate(0.08, (0.05, 0.11)),
        rarest=0.06,
    )
    verdict = decide([], hidden)
    assert verdict.decision == "no-go"
    assert verdict.reasons[0].startswith("the metric hides the signal")
    assert "class of 6.0%" in verdict.reasons[0] and "pr_auc or log_loss" in verdict.reasons[0]


def test_a_model_that_loses_on_time_but_wins_on_a_random_split_says_the_signal_drifts():
    drift = Finding("split.optimism", "warn", "random is better", ("date",), {"relative": 0.8})
    verdict = decide([drift], _evidence((-0.3, -0.1), signal=(-0.3, -0.1), drift=drift))
    assert verdict.decision == "no-go"
    assert verdict.reasons[0].startswith("the signal drifts") and "80% better" in verdict.reasons[0]
    assert "switch them on" in verdict.reasons[0]
    tried = _evidence((-0.3, -0.1), signal=(-0.3, -0.1), drift=drift, time_groups=("trend",))
    assert "the time-derived groups trend were features" in decide([drift], tried).reasons[0]


def test_several_outer_splits_report_how_many_agree():
    verdict = decide([], _evidence((0.1, 0.3), split_gains=(0.2, 0.08, 0.01, -0.02)))
    assert verdict.decision == "go"
    assert "over 4 outer splits, gbm is ahead of rule in 3 and clears the 5% bar in 2" in (
        verdict.reasons
    )


def test_no_go_when_the_heuristic_already_meets_the_target():
    verdict = decide([], _evidence((0.1, 0.5), baseline=1.6, target=1.7))
    assert verdict.decision == "no-go" and "already meets the target 1.7" in verdict.reasons[0]


def test_a_missed_target_keeps_it_inconclusive_and_the_curve_speaks():
    verdict = decide([], _evidence((0.1, 0.5), target=1.0, curve=0.08))
    assert verdict.decision == "inconclusive"
    assert "does not reach the target 1" in verdict.reasons[2]
    assert "more data would likely help" in verdict.reasons[3]
    # A doubling that gained 1.2%, under the 5% bar (Seatbelts): a little help, not likely.
    verdict = decide([], _evidence((0.1, 0.5), target=1.0, curve=0.012))
    assert verdict.reasons[3].startswith("more data would help a little: doubling")


def test_warnings_travel_with_a_go():
    warn = Finding("split.optimism", "warn", "a random split flatters", ("date",))
    verdict = decide([warn, warn], _evidence((0.1, 0.3)))
    assert verdict.decision == "go"
    assert verdict.reasons[-1] == "before relying on it, look at the warnings: split.optimism"


def test_warnings_travel_with_a_no_go_before_the_rule_it_would_launch():
    """The rule a no-go launches may stand on the column a warning doubts (a test result read
    after the outcome, in a covid testing table)."""
    warn = Finding("leakage.single_feature", "warn", "ct_result dwarfs the rest", ("ct_result",))
    verdict = decide([warn], _evidence((-0.1, 0.02)))
    assert verdict.decision == "no-go"
    assert verdict.reasons[-2:] == (
        "before relying on it, look at the warnings: leakage.single_feature",
        "launch the heuristic 'rule' without ML",
    )


def test_feature_hygiene_does_not_cast_doubt_on_the_estimate():
    warn = Finding("features.high_cardinality", "warn", "state has 51 levels", ("state",))
    assert decide([warn], _evidence((0.1, 0.3))).reasons[-1].startswith("holdout:")


def test_an_unframed_decision_is_no_caveat_on_the_numbers():
    warn = Finding("frame.decision", "warn", "no decision is named")
    assert decide([warn], _evidence((0.1, 0.3))).reasons[-1].startswith("holdout:")


def _priced(gain, against="baseline"):
    policies = tuple(
        PricedPolicy(role, name, f"{name}'s policy", (0.3,), Estimate(v, (v - 1, v + 1)))
        for role, name, v in [
            ("model", "gbm", 50.0),
            ("baseline", "rule", 40.0),
            ("constant", "constant", 0.0),
        ]
    )
    return Value("EUR", 1000, policies, against, Estimate(sum(gain) / 2, gain))


def test_a_priced_go_states_its_gain_in_value():
    verdict = decide([], _evidence((0.1, 0.3), value=_priced((2.0, 9.0))))
    assert verdict.decision == "go"
    assert verdict.reasons[1] == (
        "priced: gbm's decisions are worth +50 EUR per 1,000 decisions against +40 EUR for "
        "rule's: +5.5 EUR (95% CI +2 EUR to +9 EUR)"
    )


def test_ahead_on_the_metric_but_not_in_value_is_no_go():
    verdict = decide([], _evidence((0.1, 0.3), value=_priced((-3.0, 0.0), "constant")))
    assert verdict.decision == "no-go"
    assert "ahead on mae but not in value" in verdict.reasons[-1]
    assert verdict.reasons[-1].endswith("launch without ML: constant's policy")


def test_an_uncertain_gain_in_value_keeps_a_clear_metric_gain_inconclusive():
    verdict = decide([], _evidence((0.1, 0.3), value=_priced((-3.0, 9.0))))
    assert verdict.decision == "inconclusive"
    assert "the interval of the gain in value reaches 0" in verdict.reasons[-2]


def test_a_metric_no_go_still_states_the_value():
    verdict = decide([], _evidence((-0.02, 0.04), value=_priced((-1.0, 9.0))))
    assert verdict.decision == "no-go" and verdict.reasons[-2].startswith("priced: ")
    assert verdict.reasons[-1] == "launch the heuristic 'rule' without ML"


def test_a_metric_no_go_worth_more_in_value_says_the_two_disagree():
    verdict = decide([], _evidence((-0.02, 0.04), value=_priced((1.0, 9.0))))
    assert verdict.decision == "no-go" and verdict.reasons[-3].startswith("priced: ")
    assert verdict.reasons[-2] == (
        "yet in value gbm's decisions are ahead by a whole interval: if what they are worth is "
        "what counts, the 5% bar on mae (success.min_improvement) may be too high for this "
        "decision"
    )


def test_a_gain_over_a_baseline_the_constant_beats_is_also_given_over_the_constant():
    # A runner's pace: the median pace by distance, chosen by inner CV, loses to the constant.
    verdict = decide([], _evidence((0.3, 0.5), signal=(0.2, 0.4), under_constant=True))
    assert verdict.decision == "go"
    assert verdict.reasons[1] == (
        "rule, the baseline inner CV chose, does worse than the constant on the test rows; over "
        "the constant, gbm improves by +30.0% (95% CI +20.0% to +40.0%)"
    )
    assert not any("inner CV chose" in r for r in decide([], _evidence((0.3, 0.5))).reasons)


def test_splits_that_chose_different_baselines_say_their_figures_pool_them():
    """SaratogaHouses: simple-rule in 6 splits, per-sqft in 4, and the figures named
    simple-rule pooled both."""
    mixed = (("model", (("gbm", 10),)), ("baseline", (("rule", 6), ("per-sqft", 4))))
    gains = (0.2,) * 10
    verdict = decide([], _evidence((0.2, 0.3), split_gains=gains, choices=mixed))
    assert (
        "the outer splits chose different baselines (rule in 6, per-sqft in 4): the baseline's "
        "figures pool each split's own choice"
    ) in verdict.reasons
    # The holdout line does not name one candidate for figures that are not its own.
    holdout = next(r for r in verdict.reasons if r.startswith("holdout: "))
    assert "vs each split's baseline (rule in 6, per-sqft in 4) mae" in holdout
    assert holdout.startswith("holdout: gbm mae")
    alike = (("model", (("gbm", 10),)), ("baseline", (("rule", 10),)))
    verdict = decide([], _evidence((0.2, 0.3), split_gains=gains, choices=alike))
    assert not any("chose different" in r for r in verdict.reasons)


def test_a_heuristic_of_the_spec_ahead_of_the_model_is_named_whatever_its_interval():
    """Puerto Rico's daily deaths: inner CV preferred the constant to the naive forecast (the
    hurricane's weeks in its folds), and the verdict read +3.7% over the constant while the
    naive forecast beat the model on the test rows."""
    ahead = ("last-value", Estimate(0.16, (-0.06, 0.32)))
    for improvement in ((0.01, 0.2), (-0.02, 0.04), (0.1, 0.3)):  # inconclusive, no-go, go
        verdict = decide([], _evidence(improvement, named_ahead=ahead))
        assert (
            "last-value, a heuristic of the spec that inner CV ranked below rule, scores "
            "better than gbm on the test rows, by +16.0% (95% CI -6.0% to +32.0%): against it "
            "the model shows no gain"
        ) in verdict.reasons, verdict
    # Clearly ahead, it turns a go into inconclusive.
    clear = ("last-value", Estimate(0.16, (0.05, 0.32)))
    verdict = decide([], _evidence((0.1, 0.3), named_ahead=clear))
    assert verdict.decision == "inconclusive" and "the gain does not hold" in verdict.reasons[-3]


def test_a_model_inner_cv_ranked_lower_that_wins_on_the_test_rows_is_named_not_chosen():
    overlooked = ("linear", Estimate(0.12, (0.04, 0.2)))
    verdict = decide([], _evidence((0.01, 0.2), overlooked=overlooked))
    assert verdict.decision == "inconclusive"
    assert verdict.reasons[-2] == (
        "linear, which inner CV ranked below gbm, does better on the test rows by +12.0% "
        "(95% CI +4.0% to +20.0%); a choice made there is not evidence: judge linear on rows "
        "this run has not seen"
    )
    no_go = decide([], _evidence((-0.02, 0.04), overlooked=overlooked))
    assert no_go.decision == "no-go" and any(r.startswith("linear, which") for r in no_go.reasons)
