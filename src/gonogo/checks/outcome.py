"""Findings that only the fitted candidates can show."""

from __future__ import annotations

from gonogo.candidates.baselines import THIN
from gonogo.candidates.candidate import Candidate
from gonogo.checks.finding import Finding
from gonogo.evaluation.compare import Scores


def worse_than_constant(
    scores: Scores, candidates: list[Candidate], thin: dict[str, tuple[int, int]] | None = None
) -> list[Finding]:
    """A heuristic or existing system of the spec that always predicting the constant beats,
    with the whole paired interval: a finding in itself, whatever the models do. `thin`: for
    a per-group statistic, its groups of too few training rows, and all its groups."""
    out = []
    m = scores.metric
    constant = scores.point["candidate:constant"].value
    for cand in candidates:
        if cand.kind != "baseline" or not cand.place:
            continue
        key = f"candidate:{cand.name}"
        gain = scores.gain(key, "candidate:constant")
        if gain.ci[1] >= 0:
            continue
        value = scores.point[key].value
        few, groups = (thin or {}).get(cand.name, (0, 0))
        why = (
            f"; {few} of its {groups} groups learned from fewer than {THIN} training rows, "
            "whose statistic is mostly noise"
            if few
            else ""
        )
        out.append(
            Finding(
                "baseline.worse_than_constant",
                "warn",
                f"the heuristic {cand.name!r} does worse than always predicting the constant: "
                f"{m.name} {value:.4g} vs {constant:.4g} ({gain.percent(bracketed=True)}){why}; "
                "if it is in use today, replacing it with the constant is already an improvement",
                (),
                {"candidate": cand.name, "relative": gain.value, "ci": list(gain.ci)},
            )
        )
    return out
