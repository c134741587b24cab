"""The result of one check."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Severity = Literal["info", "warn", "block"]
SEVERITIES: tuple[Severity, ...] = ("block", "warn", "info")


@dataclass(frozen=True)
class Finding:
    """What a check saw: `block` stops a verdict, `warn` asks for a look, `info` informs."""

    check: str
    severity: Severity
    message: str
    columns: tuple[str, ...] = ()
    evidence: dict[str, Any] = field(default_factory=dict)
