"""The command line: a thin layer over the Python API."""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Annotated, Any

import typer
import yaml

from gonogo.errors import GonogoError, InputError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="An honest, evidenced go/no-go on an ML problem.",
)

StoreOption = Annotated[
    Path,
    typer.Option(
        "--store", envvar="GONOGO_STORE", help="the store: schema, cache, embedded MLflow"
    ),
]
Json = Annotated[bool, typer.Option("--json", help="print JSON for tools")]
Name = Annotated[str, typer.Argument(help="the problem's name")]
Ref = Annotated[str, typer.Argument(help="NAME@ALIAS or NAME@VERSION")]


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
    track: Annotated[
        bool,
        typer.Option(
            "--track",
            help="also log the run to MLflow (the store's, or MLFLOW_TRACKING_URI's, which "
            "turns this on)",
        ),
    ] = False,
    store: StoreOption = Path(".gonogo"),
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
        tracker = _tracker(store, problem.name, track or "MLFLOW_TRACKING_URI" in os.environ)
        with _progress_bar(not quiet and sys.stderr.isatty()) as progress:
            result = run_poc(problem, progress=progress)
        result.save(target)
        if tracker is not None:
            from gonogo.pipeline.tracking import log_poc

            run_id = log_poc(tracker, problem, result, target)
    if not quiet:
        console = Console()
        summary(result, console)
        console.print(f"report: {target / 'report.html'}")
        if tracker is not None:
            console.print(f"tracked: MLflow run {run_id}")


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


pipeline_app = typer.Typer(no_args_is_help=True, help="The production pipeline, gated.")
models_app = typer.Typer(no_args_is_help=True, help="Registered versions and the alias.")
runs_app = typer.Typer(no_args_is_help=True, help="Pipeline runs in the tracking store.")
app.add_typer(pipeline_app, name="pipeline")
app.add_typer(models_app, name="models")
app.add_typer(runs_app, name="runs")


def _needs(modules: list[str], extra: str, what: str) -> None:
    """Exit with the extra to install when a module of an optional part is missing."""
    from importlib.util import find_spec

    missing = [m for m in modules if find_spec(m) is None]
    if missing:
        raise GonogoError(f"{what} needs {missing[0]}: pip install 'gonogo[{extra}]'")


def _pipeline_installed() -> None:
    _needs(["mlflow", "filelock"], "pipeline", "the pipeline")


def _registry(call: Callable[[ModuleType], Any]) -> Any:
    """`call` on the registry module: bad input one line and exit 2."""
    with _input_errors():
        _pipeline_installed()
        from gonogo.pipeline import registry

        return call(registry)


def _moved(call: Callable[[ModuleType], tuple[int | None, int]]) -> None:
    before, now = _registry(call)
    typer.echo(f"production: version {before} → {now}")


def _tracker(store: Path, name: str, wanted: bool) -> Any:
    """The problem's MLflow tracker when tracking is wanted, connected before the run so an
    unreachable server stops it before anything is written."""
    if not wanted:
        return None
    _pipeline_installed()
    from gonogo.pipeline.store import Store
    from gonogo.pipeline.tracking import Tracker

    return Tracker(Store(store, name))


def _show(value: Any, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(value, indent=2, default=str))
    elif isinstance(value, list):
        for item in value:
            typer.echo("  ".join(f"{k}={v}" for k, v in item.items() if not isinstance(v, dict)))
    else:
        typer.echo(yaml.safe_dump(json.loads(json.dumps(value, default=str)), sort_keys=False))


@pipeline_app.command("run")
def pipeline_run(
    spec: Annotated[Path, typer.Argument(help="the problem spec (problem.yaml)")],
    data: Annotated[
        str | None, typer.Option(help="a file or glob of files [default: the spec's data]")
    ] = None,
    store: StoreOption = Path(".gonogo"),
    no_cache: Annotated[bool, typer.Option("--no-cache", help="redo every step")] = False,
    config: Annotated[
        Path | None,
        typer.Option(help="fit the configurations this verdict.json (gonogo run's) chose"),
    ] = None,
    reselect: Annotated[
        bool, typer.Option("--reselect", help="choose the configurations afresh by CV")
    ] = False,
    as_json: Json = False,
) -> None:
    """ingest → statistics → schema → data gate → train → model gate → register.

    Train fits the configurations the run that trained production chose (the first run
    chooses them by cross-validation), or those of --config, or afresh with --reselect.
    Exits 0 when something was registered or nothing was to do, 3 when the data gate failed,
    4 when the model was not blessed, 2 on bad input.
    """
    from gonogo.pipeline.choice import Choice, read_chosen
    from gonogo.pipeline.runner import run as run_pipeline
    from gonogo.problem import load_problem

    with _input_errors():
        _pipeline_installed()
        problem = load_problem(spec)
        given = read_chosen(config, problem.name) if config is not None else None
        choice = Choice(given, reselect)
        outcome = run_pipeline(problem, data, store, cache=not no_cache, choice=choice)
    typer.echo(json.dumps(outcome.to_dict(), indent=2) if as_json else "\n".join(outcome.lines()))
    raise typer.Exit(outcome.code)


@models_app.command("list")
def models_list(
    name: Name,
    store: StoreOption = Path(".gonogo"),
    as_json: Json = False,
) -> None:
    """Every version of a problem's model, and which one production serves."""
    _show(_registry(lambda r: [v.to_dict() for v in r.versions(name, store)]), as_json)


@models_app.command("show")
def models_show(
    ref: Ref,
    store: StoreOption = Path(".gonogo"),
    as_json: Json = False,
) -> None:
    """One version: its role, candidate, and the gate decision that made it."""
    _show(_registry(lambda r: r.show(ref, store)), as_json)


@models_app.command("promote")
def models_promote(
    ref: Annotated[str, typer.Argument(help="NAME@VERSION")],
    store: StoreOption = Path(".gonogo"),
) -> None:
    """Point production at a version."""
    _moved(lambda r: r.promote(ref, store))


@models_app.command("rollback")
def models_rollback(
    name: Name,
    store: StoreOption = Path(".gonogo"),
) -> None:
    """Point production back at the version that held it before."""
    _moved(lambda r: r.rollback(name, store))


@runs_app.command("list")
def runs_list(
    name: Name,
    store: StoreOption = Path(".gonogo"),
    as_json: Json = False,
) -> None:
    """A problem's pipeline runs, newest first."""
    _show(_registry(lambda r: r.runs(name, store)), as_json)


@runs_app.command("show")
def runs_show(
    name: Name,
    run_id: Annotated[str, typer.Argument(help="the run's id")],
    store: StoreOption = Path(".gonogo"),
    as_json: Json = False,
) -> None:
    """One run: status, metrics, parameters and what it decided."""
    _show(_registry(lambda r: r.run(name, run_id, store)), as_json)


@app.command()
def lineage(
    ref: Ref,
    store: StoreOption = Path(".gonogo"),
    as_json: Json = False,
) -> None:
    """What made a version: data digests, spec, code and package versions."""
    _show(_registry(lambda r: r.lineage(ref, store)), as_json)


@app.command()
def predict(
    ref: Ref,
    input_: Annotated[
        str, typer.Option("--input", help="a Parquet or CSV file, or a glob of them")
    ],
    output: Annotated[Path, typer.Option("--output", help="a new folder for the predictions")],
    keep: Annotated[
        list[str] | None, typer.Option("--keep", help="an input column to copy (repeatable)")
    ] = None,
    batch_size: Annotated[int, typer.Option(help="rows per batch: bounds the memory")] = 65_536,
    workers: Annotated[
        int | None, typer.Option(help="local processes [default: every core]")
    ] = None,
    engine: Annotated[
        str, typer.Option(help="local, or dask (on the cluster at --address)")
    ] = "local",
    address: Annotated[
        str | None, typer.Option(help="the Dask scheduler, e.g. tcp://10.0.0.5:8786")
    ] = None,
    store: StoreOption = Path(".gonogo"),
    as_json: Json = False,
) -> None:
    """Batch predictions of a registered version for every row of the input files."""
    with _input_errors():
        _pipeline_installed()
        from gonogo.serving import batch, runtime

        written = batch.predict(
            runtime.load(ref, store),
            input_,
            output,
            keep=keep or (),
            batch_size=batch_size,
            workers=workers,
            engine=engine,
            address=address,
        )
    typer.echo(json.dumps(written.to_dict(), indent=2) if as_json else "\n".join(written.lines()))


@app.command()
def export(
    ref: Ref,
    out: Annotated[Path, typer.Option("--out", help="the file to write, e.g. model.onnx")],
    format_: Annotated[str, typer.Option("--format", help="onnx, the one format")] = "onnx",
    data: Annotated[
        str | None,
        typer.Option(help="rows to check parity on [default: the version's training data]"),
    ] = None,
    store: StoreOption = Path(".gonogo"),
    as_json: Json = False,
) -> None:
    """Export a registered version (featurizer and model) as one ONNX file, checked for
    parity with gonogo's own predictions before it is written."""
    with _input_errors():
        if format_ != "onnx":
            raise GonogoError(f"--format: expected onnx; found {format_!r}")
        _pipeline_installed()
        _needs(["onnx", "onnxruntime"], "onnx", "export")
        from gonogo.serving import export as exporting

        rt, rows = exporting.load(ref, store, data)
        done = exporting.export(rt, out, rows)
    typer.echo(json.dumps(done.to_dict(), indent=2) if as_json else "\n".join(done.lines()))


@app.command()
def package(
    ref: Ref,
    out: Annotated[Path, typer.Option("--out", help="a new folder for the image's files")],
    tracking_uri: Annotated[
        str | None,
        typer.Option(
            help="serve the alias from this registry, following it, instead of a copy of the store"
        ),
    ] = None,
    store: StoreOption = Path(".gonogo"),
) -> None:
    """Write a Dockerfile, gonogo's source, the store and Kubernetes manifests (a Deployment
    with health probes, a Service) for serving a registered version."""
    with _input_errors():
        _pipeline_installed()
        from gonogo.serving import runtime
        from gonogo.serving.package import package as packaging

        done = packaging(runtime.load(ref, store), ref, store, out, tracking_uri)
    typer.echo("\n".join(done.lines()))


@app.command()
def serve(
    ref: Annotated[str, typer.Argument(help="NAME, NAME@ALIAS or NAME@VERSION")],
    host: Annotated[str, typer.Option(help="the address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="the REST port")] = 8080,
    grpc_port: Annotated[int, typer.Option(help="the gRPC port (0: no gRPC)")] = 8081,
    max_batch: Annotated[int, typer.Option(help="the most rows in one request")] = 10_000,
    poll: Annotated[
        float, typer.Option(help="seconds between checks that the alias moved (0: never)")
    ] = 5.0,
    log: Annotated[
        bool, typer.Option(help="keep a prediction log (Parquet, in the store) for monitoring")
    ] = True,
    token: Annotated[
        str | None,
        typer.Option(
            envvar="GONOGO_TOKEN",
            help="require 'Authorization: Bearer <token>' (health probes excepted)",
        ),
    ] = None,
    store: StoreOption = Path(".gonogo"),
) -> None:
    """Serve a registered version: Open Inference Protocol v2 and MLflow's /invocations.

    Given an alias (or only the name: production), the server follows it: when the alias
    moves, the new version is loaded and swapped in without dropping a request."""
    with _input_errors():
        _pipeline_installed()
        _needs(["uvicorn", "starlette"], "serve", "serving")
        from gonogo.serving import rest, runtime
        from gonogo.serving.dataplane import DataPlane
        from gonogo.serving.follow import following
        from gonogo.serving.predlog import PredictionLog

        rest.check_ports(host, port, grpc_port or None)
        if max_batch < 1:
            raise InputError("--max-batch", f"expected a positive number of rows; got {max_batch}")
        rt = runtime.load(ref, store)
        kept = PredictionLog(store / rt.model / "predictions") if log else None
        plane = DataPlane(rt, max_batch, kept, token or None)
        typer.echo(
            f"serving {rt.ref} ({rt.role}, {rt.candidate.name}, {rt.served_by})"
            f" at http://{host}:{port}/v2"
            + (f" and grpc://{host}:{grpc_port}" if grpc_port else ""),
            err=True,
        )
        with following(plane, ref, store, poll):
            rest.serve(plane, host, port, grpc_port or None)


def _stop(signum: int, _frame: object) -> None:
    """A stop asked by SIGTERM (an orchestrator's, a `kill`) unwinds like Ctrl-C: the worker
    processes stop with the command instead of idling on for minutes, a tracked run ends as
    failed rather than running forever, and nothing half-written stays."""
    import signal

    signal.signal(signum, signal.SIG_IGN)  # a second one must not interrupt the unwinding
    with contextlib.suppress(OSError):  # stderr may be gone with the terminal
        print("gonogo: stopped (SIGTERM)", file=sys.stderr)
    sys.exit(128 + signum)


_REPEATABLE = frozenset({"--keep"})


def _once(args: list[str]) -> None:
    """An InputError naming an option given twice that takes one value: the command line
    parser keeps the last, and the first (`--data a.csv --data b.csv`) would be ignored."""
    seen: set[str] = set()
    for arg in args:
        if arg == "--":
            return
        name = arg.split("=", 1)[0]
        if not name.startswith("--") or name in _REPEATABLE:
            continue
        if name in seen:
            raise InputError(name, "is given twice, and only the last would count; give it once")
        seen.add(name)


def main() -> None:
    """Entry point of the `gonogo` command."""
    import signal

    signal.signal(signal.SIGTERM, _stop)  # `gonogo serve` replaces it with its own drain
    try:
        _once(sys.argv[1:])
    except InputError as err:  # before the app runs: its own exit is not there yet
        print(f"gonogo: {err}", file=sys.stderr)
        sys.exit(2)
    app()
