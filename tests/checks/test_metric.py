import numpy as np

from gonogo.checks.metric import imbalance
from tests.conftest import bound, noise_frame


def _rare():
    return noise_frame(1000).assign(y=lambda f: (np.arange(len(f)) % 25 == 0).astype(int))


def test_accuracy_on_a_rare_class_warns():
    problem, ds, split = bound(_rare(), metric="accuracy")
    (found,) = imbalance(problem, ds, split)
    assert found.check == "metric.imbalance" and found.evidence["rarest_share"] == 0.04


def test_a_prevalence_aware_metric_is_fine():
    problem, ds, split = bound(_rare(), metric="pr_auc")
    assert imbalance(problem, ds, split) == []
