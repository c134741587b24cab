"""Whole runs on the real examples and on crafted failures."""

import re

import numpy as np
import pandas as pd
import pytest

import gonogo
from gonogo import SpecError
from gonogo.data.dataset import bind
from gonogo.data.split import make_split
from gonogo.evaluation.parallel import workers as workers_of
from tests.conftest import PENGUINS_GROUP, ROOT, noise_frame, spec

FIXTURES = ROOT / "tests" / "fixtures"


def _candidate(result, name):
    return next(c for c in result.candidates if c.name == name)


def test_chicago_tells_the_story_of_the_talk(chicago_result):
    r = chicago_result
    assert r.verdict.decision == "go"
    heuristic = _candidate(r, "two-weeks-ago").holdout
    assert heuristic.value == pytest.approx(1.6439, abs=1e-3)  # the two-weeks-ago heuristic
    assert r.best_baseline == "two-weeks-ago" and r.best_model == "gbm"
    hyps = {h.group: h for h in r.hypotheses}
    # Without the calendar, the model of lags, weather and trend does not clear the bar over
    # the heuristic...
    assert hyps["calendar"].without > heuristic.value * (1 - 0.05)
    assert hyps["calendar"].outcome == "supported"
    # ...with it, the model wins, by more than the bar, with an interval to show for it.
    assert _candidate(r, "gbm").holdout.value < 1.3
    assert r.improvement.ci[0] > 0.05
    # Whether weather helps is answered with an interval, not a yes. On this data it reaches
    # above the 1% asked for, and its low end lies near zero: supported when it clears zero,
    # inconclusive when it does not (the calendar's weekend flag, gone, moved it from below
    # zero to +0.5%).
    weather = hyps["weather"]
    assert weather.effect.ci[0] < weather.effect.value < weather.effect.ci[1]
    assert -0.02 < weather.effect.ci[0] < 0.01 < weather.effect.ci[1]
    assert weather.outcome == ("supported" if weather.effect.ci[0] > 0 else "inconclusive")
    # Time is a signal by default: the trend is measured like any hypothesis. Here it hurts
    # (the future lies outside the training range), which the run says rather than hides.
    trend = hyps["trend"]
    assert trend.origin == "gonogo" and r.data.groups["trend"] == ("trend",)
    assert trend.outcome == "not-supported" and trend.effect.ci[1] < 0
    # Every row of history helps here: no recent window does better than all of them.
    assert "split.past_misleads" not in {f.check for f in r.findings}


@pytest.mark.parametrize(
    ("ci", "outcome"),
    [
        ((0.003, 0.009), "not-supported"),  # a real gain, all of it below the 1% asked for
        ((-0.02, 0.005), "not-supported"),
        ((0.003, 0.02), "supported"),
        ((-0.01, 0.02), "inconclusive"),
    ],
)
def test_a_hypothesis_is_judged_against_its_minimum_effect(ci, outcome):
    from gonogo.evaluation.compare import Estimate
    from gonogo.poc import _outcome

    assert _outcome(Estimate(sum(ci) / 2, ci), 0.01) == outcome


def test_chicago_reports_its_evidence(chicago_result):
    d = chicago_result.to_dict()
    unused = d["data"].pop("unused")
    assert d["data"] == {
        "rows": 5698,
        "train": 4558,
        "holdout": 1140,
        "split": "time",
        "task": "regression",
    }
    assert unused["date"] == "time" and unused["ridership"] == "label"
    assert unused["rownames"] == "excluded" and unused["Belmont"] == "not in features"
    assert d["evaluation"]["scheme"] == "rolling origins" and d["evaluation"]["splits"] == 3
    assert d["evaluation"]["tested"] == 1140
    assert [p["fraction"] for p in d["learning_curve"]] == [0.1, 0.25, 0.5, 1.0]
    assert {s["column"] for s in d["slices"]} == {"weather_rain", "day_of_week"}
    for s in d["slices"]:  # paired intervals around each slice's values; rows, no positives
        for part in ("model", "baseline", "gain"):
            assert s[part]["ci"][0] <= s[part]["value"] <= s[part]["ci"][1]
        assert s["positives"] is None and s["n"] >= 1
    assert sum(s["n"] for s in d["slices"] if s["column"] == "day_of_week") == 1140
    assert d["budget"] is None  # a regression has no top k%
    assert [f["check"] for f in d["findings"]] == ["split.optimism"]
    assert all(
        c["holdout"]["ci"][0] <= c["holdout"]["value"] <= c["holdout"]["ci"][1]
        for c in d["candidates"]
    )


def test_more_data_is_judged_on_the_rows_the_learning_curve_is_drawn_on(
    chicago_result, chicago_problem, chicago_frame
):
    """The curve is drawn on the latest origin (the longest history), so the target its law
    is asked about is set on those rows too: 5% better than the heuristic there, not over
    every origin (whose rows the law knows nothing of)."""
    r, latest = chicago_result, chicago_result.fits[-1]
    truth = bind(chicago_problem, chicago_frame).y[latest.test]
    there = float(np.mean(np.abs(truth - latest.predictions["two-weeks-ago"])))
    assert r.projection.target == pytest.approx(0.95 * there)
    assert r.projection.why.endswith("on the latest period's test rows, where the curve is drawn")
    assert abs(there - _candidate(r, "two-weeks-ago").holdout.value) > 0.01


def test_a_target_from_the_spec_is_sought_as_it_is(chicago_problem):
    """An absolute target is no score of any rows: the law is asked about it unchanged."""
    success = chicago_problem.success.model_copy(update={"target": 1.0})
    r = gonogo.run(chicago_problem.model_copy(update={"success": success}))
    assert (r.projection.target, r.projection.why) == (1.0, "the spec's target")


def test_the_worst_predictions_show_the_features_that_matter_most(chicago_result):
    ranked = [i.name for i in chicago_result.importance if i.kind == "feature"]
    worst = chicago_result.holdout.worst
    assert list(worst.columns) == ["ridership", "prediction", "date", *ranked[:5]]


def test_worker_processes_give_the_verdict_one_process_gives(monkeypatch):
    # 534 rows: the fits run in worker processes unless told otherwise.
    frame = pd.read_parquet(FIXTURES / "ordinary_cps1985.parquet")
    problem = spec(
        label={"column": "wage"},
        models=[{"name": "tree", "estimator": "sklearn.tree.DecisionTreeRegressor"}],
        bootstrap=200,
        split={"outer": 2},
    )
    verdicts = []
    for workers in ("2", "1"):
        monkeypatch.setenv("GONOGO_WORKERS", workers)
        verdicts.append(gonogo.run(problem, data=frame).to_json())
    assert workers_of(len(frame)) == 1 and verdicts[0] == verdicts[1]
    monkeypatch.setenv("GONOGO_WORKERS", "2")
    assert workers_of(len(frame)) == 2


def test_churn_beats_the_support_teams_rule(churn_result):
    r = churn_result
    assert r.verdict.decision == "go" and r.best_model == "gbm"
    rule = _candidate(r, "many-service-calls").holdout.value
    assert rule < _candidate(r, "simple-rule").holdout.value < _candidate(r, "gbm").holdout.value
    hyps = {h.group: h.outcome for h in r.hypotheses}
    assert hyps["service"] == "supported"


@pytest.mark.parametrize("seed", [1, 3])  # two seeds besides 0: four cost CI two minutes
@pytest.mark.parametrize("example", ["chicago", "churn"])
def test_the_examples_keep_their_verdict_under_other_seeds(example, seed, request):
    at_zero = request.getfixturevalue(f"{example}_result")
    problem = request.getfixturevalue(f"{example}_problem").model_copy(update={"seed": seed})
    r = gonogo.run(problem)
    assert r.verdict.decision == at_zero.verdict.decision == "go"
    assert (r.best_model, r.best_baseline) == (at_zero.best_model, at_zero.best_baseline)


def test_a_shuffled_label_is_no_go(chicago_problem, chicago_frame):
    shuffled = chicago_frame.assign(
        ridership=np.random.default_rng(0).permutation(chicago_frame["ridership"].to_numpy())
    )
    r = gonogo.run(chicago_problem, data=shuffled)
    assert r.verdict.decision == "no-go"
    assert r.improvement.ci[1] < 0.05


def test_a_hidden_label_copy_blocks(churn_problem, churn_frame):
    leaky = churn_frame.assign(total_day_minutes=(churn_frame["churn"] == "yes") * 300.0)
    r = gonogo.run(churn_problem, data=leaky)
    assert r.verdict.decision == "blocked"
    (block,) = [f for f in r.findings if f.severity == "block"]
    assert block.check == "leakage.single_feature" and block.columns == ("total_day_minutes",)
    assert r.candidates == []


def test_a_one_class_label_is_blocked_not_an_error(churn_frame):
    r = gonogo.run(spec(label={"column": "churn"}), data=churn_frame.assign(churn="no"))
    assert r.verdict.decision == "blocked"
    assert [f.check for f in r.findings] == ["label.constant"]


def test_a_failing_user_estimator_is_an_input_error(churn_frame):
    bad = spec(
        label={"column": "churn"},
        exclude=["rownames"],
        models=[
            {
                "name": "tree",
                "estimator": "sklearn.tree.DecisionTreeClassifier",
                "params": {"max_depth": -3},
            }
        ],
    )
    with pytest.raises(SpecError, match=r"models\[0\]: failed: InvalidParameterError"):
        gonogo.run(bad, data=churn_frame)


def test_an_unknown_estimator_path_is_an_input_error(churn_frame):
    bad = spec(
        label={"column": "churn"},
        models=[{"name": "x", "estimator": "sklearn.ensemble.RandomForrest"}],
    )
    with pytest.raises(
        SpecError, match=r"models\[0\].estimator: cannot import 'sklearn.ensemble.RandomForrest'"
    ):
        gonogo.run(bad, data=churn_frame)
    wrong_task = spec(
        label={"column": "churn"}, models=[{"name": "x", "estimator": "sklearn.linear_model.Ridge"}]
    )
    with pytest.raises(SpecError, match="a binary problem needs a classifier with predict_proba"):
        gonogo.run(wrong_task, data=churn_frame)


@PENGUINS_GROUP
def test_multiclass_end_to_end_on_penguins(penguins_result):
    r = penguins_result
    assert r.data.task == "multiclass" and r.data.classes == ("Adelie", "Chinstrap", "Gentoo")
    # A small table: repeated K-fold, and every row tested in the first pass.
    assert r.holdout is not None and r.holdout.model.shape == (344, 3)
    assert r.evaluation.scheme == "repeated k-fold" and r.evaluation.splits >= 10
    constant = _candidate(r, "constant").holdout.value
    assert _candidate(r, r.best_model).holdout.value < constant / 5  # log loss far below priors
    assert r.hypotheses[0].outcome == "supported"
    assert "predicted (" in r.to_html()


def test_an_existing_system_with_gaps_says_how_often_it_fell_back():
    frame = noise_frame(600, seed=3)
    frame["legacy"] = np.where(np.arange(600) % 5 == 0, np.nan, (frame["x0"] > 0) * 1.0)
    problem = spec(
        exclude=[],
        baselines=[{"name": "legacy", "column": "legacy"}],
        models=[
            {
                "name": "tree",
                "estimator": "sklearn.tree.DecisionTreeClassifier",
                "grid": {"max_depth": [2, 4]},
            }
        ],
    )
    r = gonogo.run(problem, data=frame)
    holdout = make_split(problem, bind(problem, frame)).holdout
    gaps = frame["legacy"].iloc[holdout].isna().mean()
    assert f"no answer for {gaps:.1%} of test rows" in _candidate(r, "legacy").description
    # The existing system's output is an input of its own, measured as a hypothesis.
    assert "legacy" not in r.data.groups["all"] and r.data.groups["legacy"] == ("legacy",)
    (builds_on,) = [h for h in r.hypotheses if h.group == "legacy"]
    assert builds_on.origin == "gonogo" and "existing system" in builds_on.name
    assert _candidate(r, "tree").kind == "model" and r.best_model == "tree"


@pytest.mark.parametrize("section", ["params", "grid"])
def test_an_unknown_estimator_parameter_is_named_where_it_is(section, chicago_frame):
    forest = {"name": "forest", "estimator": "sklearn.ensemble.RandomForestRegressor"}
    bad = spec(label={"column": "ridership"}, models=[forest | {section: {"max_dept": [3]}}])
    with pytest.raises(
        SpecError,
        match=rf"models\[0\].{section}: RandomForestRegressor has no parameter 'max_dept'",
    ):
        gonogo.run(bad, data=chicago_frame)


def test_small_tables_run_on_one_thread_and_large_ones_keep_theirs(monkeypatch):
    import sklearn.ensemble  # noqa: F401  (loads the OpenMP runtime)
    from threadpoolctl import threadpool_info, threadpool_limits

    from gonogo.poc import SINGLE_THREAD_BELOW, _threads

    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)

    def threads() -> set[int]:
        return {p["num_threads"] for p in threadpool_info()}

    with threadpool_limits(limits=2):  # as on a two-core machine (the tests keep to one)
        with _threads(SINGLE_THREAD_BELOW - 1):
            assert threads() == {1}  # OpenMP and BLAS alike
        with _threads(SINGLE_THREAD_BELOW):
            assert threads() == {2}
        assert threads() == {2}


def test_the_most_frequent_choice_is_found_whatever_comes_first():
    from gonogo.evaluation.outer import most_frequent

    a, b = {"C": 0.1}, {"C": 1.0}
    assert most_frequent([a, b, b]) == 1 and most_frequent([b, a, a, b]) == 0
    assert most_frequent([a]) == 0


def test_the_configuration_reported_is_the_one_chosen_most_often(churn_result):
    # Repeated K-fold chooses in every outer split; a final fit takes the most frequent choice.
    chosen = [fits.candidates["gbm"].provenance["config"] for fits in churn_result.fits]
    reported = next(c.config for c in churn_result.candidates if c.name == "gbm")
    assert chosen.count(reported) == max(chosen.count(c) for c in chosen)
    assert len(chosen) == churn_result.evaluation.splits > 1


def test_a_per_group_rate_worse_than_the_constant_says_its_groups_are_thin():
    """60 groups of 10 rows, a label that ignores them: each group's raw training rate, some
    learned from a handful of rows, loses to the constant on log loss, and the finding says
    how many groups were too small to learn from."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {"shop": np.repeat([f"s{i}" for i in range(60)], 10), "x": rng.normal(size=600)}
    )
    frame["y"] = (rng.random(600) < 0.3).astype(int)
    problem = spec(
        metric="log_loss",
        baselines=[{"name": "shop-rate", "group_by": ["shop"], "statistic": "rate"}],
    )
    result = gonogo.run(problem, data=frame)
    [found] = [f for f in result.findings if f.check == "baseline.worse_than_constant"]
    assert re.search(
        r"; \d+ of its \d+ groups learned from fewer than 10 training rows", found.message
    )
