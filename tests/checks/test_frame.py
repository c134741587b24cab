from gonogo.checks import frame
from tests.conftest import bound, noise_frame


def test_an_unnamed_decision_warns_and_a_missing_question_informs():
    problem, ds, split = bound(
        noise_frame(), decision="(which decision will the prediction drive?)"
    )
    found = [f for c in frame.CHECKS for f in c(problem, ds, split)]
    assert [(f.check, f.severity) for f in found] == [
        ("frame.question", "info"),
        ("frame.decision", "warn"),
    ]


def test_a_framed_problem_is_fine():
    problem, ds, split = bound(noise_frame(), question="Will x0 tip y?", decision="Call first.")
    assert [f for c in frame.CHECKS for f in c(problem, ds, split)] == []
