"""The exceptions gonogo raises, one root so callers can catch everything of ours.

    GonogoError
    └── InputError     bad input the user can fix; the CLI prints its one line and exits 2
        ├── SpecError  problem.yaml unreadable, malformed, or a field that fails validation
        ├── DataError  the data: unreadable file, missing column, wrong type, empty table
        └── RequestError  a request to the server: malformed, or not what the model reads
                          (the client's mistake: 400, or gRPC's INVALID_ARGUMENT)

Every message names the place (file, field path or column), what was expected and what was
found, on one line, so that it reads well in a terminal and in a log.
"""

from __future__ import annotations


class GonogoError(Exception):
    """Root of every exception gonogo raises on purpose."""


class InputError(GonogoError):
    """Input the user can fix; `place` is the file, field path or column it concerns."""

    def __init__(self, place: str, problem: str) -> None:
        self.place = place
        self.problem = problem
        super().__init__(f"{place}: {problem}" if place else problem)

    def __reduce__(self) -> tuple[type[InputError], tuple[str, str]]:
        # Rebuilt from both parts when it crosses a process boundary (a parallel worker).
        return (type(self), (self.place, self.problem))


class SpecError(InputError):
    """The problem spec is unreadable, malformed or inconsistent with its data."""


class DataError(InputError):
    """The data cannot be read or does not have what the spec asks for."""


class RequestError(InputError):
    """A request to the server that is malformed or not what the model reads."""
