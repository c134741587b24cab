"""What a pipeline run did, and its exit code for CI: 0 registered, unchanged (production
already is what the run trains) or nothing to do (a cached run), 3 the
data gate failed, 4 the model was not blessed."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from gonogo.evaluation.compare import Estimate

CODES = {"registered": 0, "unchanged": 0, "data gate failed": 3, "not blessed": 4}


@dataclass
class Outcome:
    """What a pipeline run did, for people (`lines`) and tools (`to_dict`)."""

    status: str
    problem: str
    run_id: str | None = None
    registered: list[int] = field(default_factory=list)
    production: int | None = None
    findings: list[dict[str, Any]] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    gains: dict[str, dict[str, Any]] = field(default_factory=dict)
    cached: bool = False

    @property
    def code(self) -> int:
        return CODES[self.status]

    def decision(self) -> dict[str, Any]:
        """What was decided and why, as the run records it once it has registered it."""
        keys = ("status", "findings", "reasons", "gains")
        return {k: v for k, v in self.to_dict().items() if k in keys}

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"code": self.code}

    def lines(self) -> list[str]:
        head = f"{self.problem}: {self.status}"
        if self.cached:
            head = f"{self.problem}: nothing to do, the same spec and data were run before"
            head += f" ({self.status}, exit {self.code})"
        out = [head]
        # A rerun answers from the cache, without asking the registry (which moves since).
        then = "that run " if self.cached else ""
        out += [f"  {then}registered version {v}" for v in self.registered]
        if self.production is not None:
            now = "was version {} after it" if self.cached else "is version {}"
            out.append("  production " + now.format(self.production))
        out += [f"  [{f['severity']}] {f['message']}" for f in self.findings]
        out += [
            f"  gain over {k}: {Estimate(e['value'], tuple(e['ci'])).percent()}"
            for k, e in self.gains.items()
        ]
        prefix = "not blessed: " if self.status == "not blessed" else ""
        return out + [f"  {prefix}{r}" for r in self.reasons]
