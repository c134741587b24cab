"""Which configurations a pipeline run fits: those a PoC chose (its verdict.json, `--config`),
by default those of the run that trained production, so retraining on new data does not
choose again; `--reselect` chooses afresh, as the first run does."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gonogo.candidates.pinned import Pinned, plain
from gonogo.errors import InputError


@dataclass(frozen=True)
class Choice:
    """Where a pipeline run's configurations come from: `given` (a PoC's choice), or chosen
    afresh (`reselect`); neither: those of the run that trained production."""

    given: Pinned | None = None
    reselect: bool = False

    def __post_init__(self) -> None:
        if self.given is not None and self.reselect:
            raise InputError("--reselect", "chooses afresh; it cannot go with --config")

    def key(self) -> Any:
        """What distinguishes runs that choose differently, for their fingerprint."""
        if self.given is not None:
            return {k: plain(v) for k, v in self.given.configs.items()}
        return "reselect" if self.reselect else "production's"


def chosen(verdict: Mapping[str, Any], source: str, problem: str) -> Pinned:
    """The configurations a run's `verdict` (verdict.json) chose, one per candidate."""
    if verdict.get("problem") != problem:
        raise InputError(source, f"is a verdict of {verdict.get('problem')!r}, not of {problem!r}")
    entries = verdict.get("candidates")
    if not isinstance(entries, list) or not all(
        isinstance(c, dict) and isinstance(c.get("name"), str) for c in entries
    ):
        raise InputError(source, "has no candidates list; expected a verdict.json of gonogo run")
    if not entries:
        raise InputError(source, "lists no candidates: its run was blocked before any fit")
    lacking = [c["name"] for c in entries if not isinstance(c.get("config"), dict)]
    if lacking:
        raise InputError(
            source,
            f"gives no configuration for {', '.join(lacking)} (written by an older gonogo); "
            "run the PoC again or choose afresh (--reselect)",
        )
    return Pinned(source, {c["name"]: c["config"] for c in entries})


def recorded(verdict: Mapping[str, Any], source: str, problem: str) -> Pinned | None:
    """The configurations production's run chose, or None when its verdict records none
    (written before verdicts listed them): such a store chooses afresh once."""
    entries = verdict.get("candidates")
    if isinstance(entries, list) and any(
        isinstance(c, dict) and "config" not in c for c in entries
    ):
        return None
    return chosen(verdict, source, problem)


def described(pinned: Pinned | None) -> str:
    """How a run's configurations were chosen, in words for its record."""
    return f"as {pinned.source} chose" if pinned is not None else "chosen by cross-validation"


def read_chosen(path: Path, problem: str) -> Pinned:
    """The configurations in the verdict.json at `path` (e.g. `gonogo run --out`'s)."""
    try:
        verdict = json.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise InputError(str(path), f"cannot be read ({err.strerror or err})") from None
    except ValueError as err:
        raise InputError(str(path), f"is not JSON ({err})") from None
    if not isinstance(verdict, dict):
        raise InputError(str(path), "is not a verdict.json (expected an object)")
    return chosen(verdict, str(path), problem)
