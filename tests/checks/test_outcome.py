"""Findings that only fitted candidates can show."""

import numpy as np

from gonogo.candidates.candidate import Candidate
from gonogo.checks.outcome import worse_than_constant
from gonogo.evaluation.bootstrap import Resampler
from gonogo.evaluation.compare import Stack, score_all
from gonogo.metrics import METRICS


def _candidate(name: str, place: str) -> Candidate:
    return Candidate(name, "baseline", name, lambda _c, _cols: None, place=place)


def test_a_heuristic_that_a_constant_beats_is_a_finding_in_itself():
    rng = np.random.default_rng(0)
    y = rng.exponential(2.0, 2000)
    preds = {
        "candidate:constant": np.full(2000, np.median(y)),
        "candidate:ten-percent-up": y * 1.1,  # close to the truth: fine
        "candidate:legacy": np.full(2000, 8.0),  # far off: worse than the median
        "candidate:simple-rule": np.full(2000, 9.0),  # gonogo's own: never reported
    }
    scores = score_all(METRICS["mae"], y, preds, Stack.single(2000), Resampler(2000, 300, seed=0))
    cands = [
        _candidate("constant", ""),
        _candidate("ten-percent-up", "baselines[0]"),
        _candidate("legacy", "baselines[1]"),
        _candidate("simple-rule", ""),
    ]
    (found,) = worse_than_constant(scores, cands)
    assert found.check == "baseline.worse_than_constant" and found.evidence["candidate"] == "legacy"
    assert found.evidence["ci"][1] < 0 and "'legacy'" in found.message
    assert "groups learned from fewer" not in found.message
    # A per-group heuristic says how many of its groups had too few rows to learn from.
    (thin,) = worse_than_constant(scores, cands, {"legacy": (37, 88)})
    assert "; 37 of its 88 groups learned from fewer than 10 training rows" in thin.message
