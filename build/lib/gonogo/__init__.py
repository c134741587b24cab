"""gonogo: an honest, evidenced go/no-go on an ML problem.

    problem = gonogo.load_problem("problem.yaml")
    result = gonogo.run(problem)            # or gonogo.run(problem, data=frame)
    result.verdict.decision, result.to_json(), result.save("runs/first")

Names are imported on first use, so that `import gonogo` (and `gonogo --help`) stays instant.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from gonogo.errors import DataError, GonogoError, InputError, SpecError

if TYPE_CHECKING:
    from gonogo.poc import run
    from gonogo.problem import Problem, load_problem, parse_problem
    from gonogo.result import Result
    from gonogo.verdict import Verdict

_LAZY = {
    "run": "gonogo.poc",
    "Problem": "gonogo.problem",
    "load_problem": "gonogo.problem",
    "parse_problem": "gonogo.problem",
    "Result": "gonogo.result",
    "Verdict": "gonogo.verdict",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'gonogo' has no attribute {name!r}")


__all__ = [
    "DataError",
    "GonogoError",
    "InputError",
    "Problem",
    "Result",
    "SpecError",
    "Verdict",
    "load_problem",
    "parse_problem",
    "run",
]
