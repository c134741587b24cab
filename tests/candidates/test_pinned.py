"""Configurations chosen before are fitted as they were chosen, and one a candidate no longer
has is named."""

from __future__ import annotations

import pytest

from gonogo.candidates.candidate import Candidate
from gonogo.candidates.pinned import Pinned, plain
from gonogo.errors import InputError


def _cand(name: str, *configs: dict) -> Candidate:
    return Candidate(name, "model", name, lambda _c, _cols: None, configs)


def test_a_pinned_candidate_keeps_its_one_configuration_and_the_others_choose():
    tree = _cand("tree", {"depth": 2, "shape": (1, 2)}, {"depth": 4, "shape": (1, 2)})
    free = _cand("linear", {"C": 0.1}, {"C": 1.0})
    # As JSON wrote it: the tuple comes back as a list and still matches.
    pinned = Pinned("verdict.json", {"tree": {"depth": 4, "shape": [1, 2]}, "gone": {}})
    out = pinned.apply([tree, free])
    assert out[0].configs == ({"depth": 4, "shape": (1, 2)},)
    assert out[1] is free
    assert plain({"shape": (1, 2)}) == {"shape": [1, 2]}


def test_a_configuration_the_candidate_no_longer_has_is_named():
    tree = _cand("tree", {"depth": 2}, {"depth": 4})
    pinned = Pinned("version 1's run", {"tree": {"depth": 8}})
    # Most often the spec's metric changed, and with it the losses and their grids: said.
    said = r"^version 1's run: tree's configuration \{'depth': 8\}.*the spec's metric \(which"
    with pytest.raises(InputError, match=said):
        pinned.apply([tree])


def test_what_a_fit_chose_for_itself_is_pinned_with_its_configuration():
    rule = Candidate(
        "rule", "baseline", "rule", lambda _c, _cols: None, settles={"family": ("a", "b")}
    )
    assert Pinned("verdict.json", {"rule": {"family": "b"}}).apply([rule])[0].configs == (
        {"family": "b"},
    )
    assert Pinned("verdict.json", {"rule": {}}).apply([rule])[0].configs == ({},)
    with pytest.raises(
        InputError, match=r"\{'family': 'c'\} is not .* family: one of \['a', 'b'\]"
    ):
        Pinned("verdict.json", {"rule": {"family": "c"}}).apply([rule])
