"""Configurations chosen before (by the PoC, or by the run that trained production), fitted
again as they were chosen instead of choosing anew. Light: a pipeline run reads them before
it knows whether it has anything to do."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from gonogo.errors import InputError

if TYPE_CHECKING:
    from gonogo.candidates.candidate import Candidate


def plain(config: Mapping[str, Any]) -> dict[str, Any]:
    """A configuration as JSON reads it back (tuples as lists), so one written to a file and
    read again compares equal to the grid's."""
    value: dict[str, Any] = json.loads(json.dumps(dict(config), default=str))
    return value


@dataclass(frozen=True)
class Pinned:
    """Configurations chosen before (by name, e.g. by the PoC), and where they come from:
    a candidate named here is fitted in that one configuration instead of choosing again."""

    source: str
    configs: Mapping[str, Mapping[str, Any]]

    def apply(self, candidates: list[Candidate]) -> list[Candidate]:
        """`candidates`, each named one restricted to its pinned configuration (one outside
        its grid is an error: the spec changed since the choice); names the run does not
        have are left alone."""
        return [self._one(c) if c.name in self.configs else c for c in candidates]

    def _one(self, cand: Candidate) -> Candidate:
        config = cand.configured(self.configs[cand.name])
        if config is None:
            raise InputError(
                self.source,
                f"{cand.name}'s configuration {plain(self.configs[cand.name])} is not one of "
                f"its configurations now {cand.choices()}: the spec's metric (which picks the "
                "losses, and with them the grids), models or grids changed since it was "
                "chosen; choose again (--reselect)",
            )
        return replace(cand, configs=(config,))
