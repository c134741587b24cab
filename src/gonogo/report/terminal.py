"""The short summary printed after a run."""

from __future__ import annotations

from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from gonogo.metrics import number
from gonogo.result import Result

_STYLE = {
    "go": "bold green",
    "no-go": "bold red",
    "inconclusive": "bold yellow",
    "blocked": "bold magenta",
}
_SEVERITY_STYLE = {"block": "magenta", "warn": "yellow", "info": "dim"}
# Columns left out by the spec's own roles; the others gonogo left out on its judgment.
_ROLES = frozenset({"label", "time", "entity", "excluded", "not in features"})


def summary(r: Result, console: Console) -> None:
    """Verdict with reasons, the candidates, hypotheses and findings (information dimmed)."""
    style = _STYLE[r.verdict.decision]
    body = "\n".join(f"• {reason}" for reason in r.verdict.reasons)
    console.print(
        Panel(
            body, title=f"[{style}]{r.verdict.decision.upper()}[/] · {r.problem.name}", expand=False
        )
    )
    if r.candidates:
        table = Table(title=f"holdout {r.metric.name} (95% CI)", title_justify="left")
        for col in ("candidate", "kind", "CV", "holdout", "interval"):
            table.add_column(
                col, justify="right" if col in ("CV", "holdout", "interval") else "left"
            )
        for c in r.candidates:
            star = " ★" if c.name in (r.best_model, r.best_baseline) else ""
            table.add_row(
                c.name + star,
                c.kind,
                number(c.cv),
                number(c.holdout.value),
                f"{number(c.holdout.ci[0])} – {number(c.holdout.ci[1])}",
            )
        console.print(table)
    judged = {c: why for c, why in r.data.unused.items() if why not in _ROLES}
    if judged:
        console.print("left out: " + ", ".join(f"{c} ({why})" for c, why in judged.items()))
    for h in r.hypotheses:
        console.print(
            f"hypothesis [bold]{h.name}[/]: {h.outcome} ({h.effect.percent(bracketed=True)})"
        )
    for f in r.findings:
        console.print(f"[{_SEVERITY_STYLE[f.severity]}]{f.severity}[/] {f.check}: {f.message}")
