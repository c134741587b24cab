import re

import numpy as np
import pandas as pd
import pytest

from gonogo.candidates.rule import SimpleRule
from tests.conftest import ROOT


def test_a_planted_threshold_is_found_and_printed():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"calls": rng.integers(0, 10, 2000), "noise": rng.normal(size=2000)})
    y = np.where(frame["calls"] >= 4, rng.random(2000) < 0.8, rng.random(2000) < 0.1).astype(float)
    rule = SimpleRule("binary", ("no", "yes"), "roc_auc", False, 0, []).fit(frame, y)
    text = rule.describe()
    assert text.startswith("if calls <= 3 then 0.1") and "else 0.8" in text
    assert "noise" not in text


def test_thousands_read_as_people_write_them():
    """mosaicData::Births: a day's births from the same day last week, in the tens of
    thousands, read 11,720 in the rule, not 1.172e+04."""
    from tests.fixtures.make_fixtures import HERE

    births = pd.read_parquet(HERE / "births.parquet")
    frame = pd.DataFrame({"last_week": births["births"].shift(7)}).iloc[7:]
    y = births["births"].iloc[7:].to_numpy(np.float64)
    text = SimpleRule("regression", (), "mae", False, 0, []).fit(frame, y).describe()
    assert "e+0" not in text and re.search(r"last_week <= \d{4,5} then \d{1,2},\d{3}", text)


def test_a_category_rate_table_is_found():
    rng = np.random.default_rng(1)
    plan = pd.Series(rng.choice(["basic", "plus", "pro"], 3000)).astype("category")
    rate = plan.map({"basic": 0.5, "plus": 0.2, "pro": 0.05}).astype(float)
    y = (rng.random(3000) < rate).astype(float)
    frame = pd.DataFrame({"plan": plan, "noise": rng.normal(size=3000)})
    rule = SimpleRule("binary", ("no", "yes"), "log_loss", False, 0, ["plan"]).fit(frame, y)
    pred = rule.predict_scores(frame)
    for name, expected in {"basic": 0.5, "plus": 0.2, "pro": 0.05}.items():
        assert abs(pred[(plan == name).to_numpy()].mean() - expected) < 0.05
    assert "plan" in rule.describe()


def test_churn_rule_reads_like_a_person_wrote_it(churn_result):
    rule = next(c for c in churn_result.candidates if c.name == "simple-rule")
    assert rule.description.startswith("if ")
    assert "number_customer_service_calls" in rule.description
    assert ".5" not in rule.description.split("number_customer_service_calls")[1][:8]


def test_a_threshold_on_a_count_of_days_reads_as_its_date():
    """A trend (days since the first date) or a date read as a number: the rule names the date
    column and the day, not a count of days a reader would have to add up."""
    rng = np.random.default_rng(3)
    days = {"daily": np.sort(rng.integers(0, 400, 2000)), "hourly": np.arange(2000) / 24}
    cut = {"daily": 200, "hourly": 10.0}
    dates = {"trend": ("date", "2020-01-01T00:00:00")}
    said = {}
    for kind, values in days.items():
        y = np.where(values >= cut[kind], 10.0, 0.0) + rng.normal(size=2000)
        rule = SimpleRule("regression", (), "mae", True, 0, [], dates)
        said[kind] = rule.fit(pd.DataFrame({"trend": values.astype(float)}), y).describe()
    assert said["daily"].startswith("if date <= 2020-07-18 then")  # 199 days on, a leap year
    # Between the 239th and the 240th hour: the midpoint, to the minute.
    assert said["hourly"].startswith("if date <= 2020-01-10 23:30 then")
    assert "trend" not in said["daily"] + said["hourly"]


def test_a_validation_stretch_with_one_class_still_chooses_a_rule():
    rng = np.random.default_rng(2)
    x = rng.normal(size=400)
    y = np.r_[(x[:300] > 0).astype(float), np.zeros(100)]  # the last quarter: one class only
    rule = SimpleRule("binary", ("no", "yes"), "roc_auc", True, 0, [])
    rule.fit(pd.DataFrame({"x": x}), y)
    assert rule.describe().startswith(("if x <=", "rank by x: the higher"))


def test_the_rule_fits_the_metrics_loss_on_a_skewed_label():
    """Under mae the rule predicts medians, which a squared-error rule pulls towards the tail."""
    rng = np.random.default_rng(3)
    group = rng.integers(0, 2, 3000)
    y = rng.exponential(np.where(group == 1, 3.0, 1.0)) ** 2  # skewed: mean far above median
    frame = pd.DataFrame({"group": group.astype(float)})
    for metric, statistic in (("mae", np.median), ("rmse", np.mean)):
        rule = SimpleRule("regression", (), metric, False, 0, []).fit(frame, y)
        pred = rule.predict_scores(frame)
        for g in (0, 1):
            truth = statistic(y[group == g])
            assert abs(pred[group == g].mean() - truth) < 0.15 * truth


def test_a_rule_never_lists_an_id():
    """A crash's id, shared by its two or so occupants, sorts the training rows; as a rule it
    listed thousands of ids. A category whose levels hold fewer rows than a leaf stays out."""
    frame = pd.read_parquet(ROOT / "tests" / "fixtures" / "crashes.parquet")
    y = (frame.pop("dead") == "dead").to_numpy(np.float64)
    text = [c for c in frame.columns if frame[c].dtype == "string"]
    assert frame["caseid"].nunique() > len(frame) / 3
    rule = SimpleRule("binary", ("alive", "dead"), "pr_auc", False, 0, text).fit(frame, y)
    assert "caseid" not in rule.describe() and len(rule.describe()) < 500


def test_a_number_that_ranks_the_positives_is_the_rule_of_a_ranking_metric():
    """Pima women's glucose and pedigree each rank the diabetic ones better than a depth-2
    tree's few steps: sorted by one of them, the rule is what a person would use, and its
    scores keep that number's very order."""
    from sklearn.metrics import roc_auc_score

    frame = pd.read_parquet(ROOT / "tests" / "fixtures" / "ordinary_pima.parquet")
    y = (frame.pop("type") == "Yes").to_numpy(float)
    fit, test = np.arange(len(y)) < 400, np.arange(len(y)) >= 400
    rule = SimpleRule("binary", ("No", "Yes"), "roc_auc", False, 0, [])
    rule.fit(frame[fit], y[fit])
    column = rule.rule_.column
    assert rule.describe().startswith(f'rank by {column}: the higher, the likelier "Yes" (')
    scores = rule.predict_scores(frame[test])
    alone = roc_auc_score(y[test], frame[column][test])
    assert roc_auc_score(y[test], scores) == pytest.approx(alone, abs=1e-9)
    assert ((scores > 0) & (scores < 1)).all()
    # A quantity gets no ranking: its rule is a tree.
    bmi = frame.pop("bmi").to_numpy()
    quantity = SimpleRule("regression", (), "mae", False, 0, []).fit(frame[fit], bmi[fit])
    assert quantity.describe().startswith("if ")


def test_a_pinned_family_is_kept_where_another_would_win():
    """What a final fit ships is the family that was scored: on Pima, the ranking wins
    unpinned, and a rule pinned to the depth-2 tree stays a tree. A family the rows cannot
    hold (rates, without a category) gives way to the choice; an unknown one is an error."""
    frame = pd.read_parquet(ROOT / "tests" / "fixtures" / "ordinary_pima.parquet")
    y = (frame.pop("type") == "Yes").to_numpy(float)
    args = ("binary", ("No", "Yes"), "roc_auc", False, 0, [])
    free = SimpleRule(*args).fit(frame, y)
    assert free.settled() == {"family": "rank"}
    tree = SimpleRule(*args, family="tree").fit(frame, y)
    assert tree.settled() == {"family": "tree"} and tree.rule_.model.get_depth() == 2
    assert SimpleRule(*args, family="rate").fit(frame, y).settled() == free.settled()
    with pytest.raises(ValueError, match="family is one of"):
        SimpleRule(*args, family="forest").fit(frame, y)
    del tree.__dict__["family"]  # as a rule saved before families could be pinned loads
    assert tree.get_params()["family"] == ""
