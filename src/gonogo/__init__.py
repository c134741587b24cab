"""gonogo: an honest, evidenced go/no-go on an ML problem.

problem = gonogo.load_problem("problem.yaml")
result = gonogo.run(problem)            # or gonogo.run(problem, data=frame)
result.verdict.decision, result.to_json(), result.save("runs/first")
"""

from gonogo.errors import DataError, GonogoError, InputError, SpecError
from gonogo.poc import run
from gonogo.problem import Problem, load_problem, parse_problem
from gonogo.result import Result
from gonogo.verdict import Verdict

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
