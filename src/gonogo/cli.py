"""The command line: a thin layer over the Python API."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from gonogo.errors import GonogoError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="An honest, evidenced go/no-go on an ML problem.",
)


@contextmanager
def _input_errors() -> Iterator[None]:
    """Bad input: one line on stderr and exit code 2, never a traceback."""
    try:
        yield
    except GonogoError as err:
        typer.echo(f"gonogo: {err}", err=True)
        raise typer.Exit(2) from None
    except KeyboardInterrupt:
        typer.echo("gonogo: interrupted; nothing was written", err=True)
        raise typer.Exit(130) from None


@contextmanager
def _progress_bar(enabled: bool) -> Iterator[Callable[[str, int], None] | None]:
    if not enabled:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("{task.description:<28}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        transient=True,
    ) as bar:
        task = bar.add_task("checking the data", total=None)

        def advance(label: str, total: int) -> None:
            bar.update(task, total=total, advance=1, description=f"fitting {label}")

        yield advance


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"gonogo {version('gonogo')}")
        raise typer.Exit


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="print the version and exit"
        ),
    ] = False,
) -> None:
    """An honest, evidenced go/no-go on an ML problem."""


@app.command()
def run(
    spec: Annotated[Path, typer.Argument(help="the problem spec (problem.yaml)")],
    out: Annotated[
        Path | None,
        typer.Option(help="folder for verdict.json and report.html [default: runs/<name>]"),
    ] = None,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="no progress bar or summary")
    ] = False,
) -> None:
    """Test the premise: checks, baselines, models, hypotheses, and a verdict with reasons.

    Exits 0 whatever the verdict; 2 on bad input, with nothing written.
    """
    from rich.console import Console

    from gonogo.poc import run as run_poc
    from gonogo.problem import load_problem
    from gonogo.report.terminal import summary
    from gonogo.result import check_out

    with _input_errors():
        problem = load_problem(spec)
        target = check_out(out or Path("runs") / re.sub(r"[^\w.-]+", "-", problem.name))
        with _progress_bar(not quiet and sys.stderr.isatty()) as progress:
            result = run_poc(problem, progress=progress)
        result.save(target)
    if not quiet:
        console = Console()
        summary(result, console)
        console.print(f"report: {target / 'report.html'}")


@app.command()
def init(
    data: Annotated[Path, typer.Option(help="the table: .csv or .parquet")],
    label: Annotated[str, typer.Option(help="the column to predict")],
    out: Annotated[Path, typer.Option(help="where to write the spec")] = Path("problem.yaml"),
    force: Annotated[bool, typer.Option(help="overwrite an existing spec")] = False,
) -> None:
    """Write a starter problem spec inferred from the data."""
    from gonogo.starter import write_starter

    with _input_errors():
        path = write_starter(data, label, out, force)
    typer.echo(f"wrote {path}; edit it, then: gonogo run {path}")


def main() -> None:
    """Entry point of the `gonogo` command."""
    app()
