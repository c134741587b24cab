"""Runs and the model registry, on MLflow.

The tracking store is `MLFLOW_TRACKING_URI` when set (a team's server), else an embedded
SQLite database in the store (`sqlite:///.gonogo/mlflow.db`, artifacts beside it). Telemetry is
off. Each registered model is named after the problem; its `production` alias is what is
served. A version is created only after its artifacts are logged, and the alias moves last,
so a crash leaves at worst an unregistered run, never a version without its files.

Every MLflow or connection error becomes a one-line InputError naming the tracking URI.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import closing, contextmanager, nullcontext
from dataclasses import dataclass, field, replace
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Any

from gonogo.candidates.fitted import FittedCandidate
from gonogo.candidates.store import load
from gonogo.data.statistics import Statistics
from gonogo.errors import InputError
from gonogo.pipeline.store import Store, slug
from gonogo.problem import Problem
from gonogo.result import Result

ALIAS = "production"
HISTORY = "gonogo.production_history"  # the versions that held the alias, oldest first
PACKAGES = ("gonogo", "numpy", "pandas", "pyarrow", "scikit-learn", "skops", "mlflow-skinny")
_QUIET = {
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "DO_NOT_TRACK": "true",
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "1",
    "MLFLOW_HTTP_REQUEST_TIMEOUT": "30",
}


def tracking_uri(store: Store) -> str:
    return os.environ.get("MLFLOW_TRACKING_URI") or f"sqlite:///{store.root.resolve()}/mlflow.db"


def relocate(db: Path, to: Path) -> None:
    """Point an embedded store's database at the artifacts under `to`, the folder that holds
    it (or will, in an image). MLflow names artifacts by absolute paths: a store copied or
    moved elsewhere would read the old folder's artifacts while it exists, and fail with "No
    such artifact" once it is gone. Only local locations ending in `artifacts`, the kind an
    embedded store gives its experiments, are moved."""
    import sqlite3

    here = (to / "artifacts").as_uri()
    try:
        with closing(sqlite3.connect(db)) as conn, conn:
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
            if "experiments" not in tables:  # not made yet: MLflow creates it
                return
            found = conn.execute("SELECT artifact_location FROM experiments").fetchall()
            old = {str(loc) for (loc,) in found if str(loc).startswith("file:")} - {here}
            for before in sorted(o for o in old if o.endswith("/artifacts") and _away(o, to)):
                _replace_prefix(
                    conn, before.removesuffix("artifacts"), here.removesuffix("artifacts")
                )
    except sqlite3.Error as err:
        raise InputError(str(db), f"cannot be opened as gonogo's MLflow database: {err}") from None


def _away(location: str, store: Path) -> bool:
    """Whether a `file:` artifact location lies in another folder than `store`'s, not merely
    in the same one reached by another path (a symbolic link, a bind mount): rewriting the
    database on each open through a second path would flip it back and forth."""
    from urllib.parse import urlparse
    from urllib.request import url2pathname

    folder = Path(url2pathname(urlparse(location).path)).parent
    try:
        return not folder.samefile(store)
    except OSError:  # either is not here (a store packaged for an image): another folder
        return True


def _replace_prefix(conn: Any, old: str, new: str) -> None:
    """Every text value of the database starting with `old` starts with `new` instead."""
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    for table in tables:
        for column in conn.execute(f'PRAGMA table_info("{table}")').fetchall():
            name = column[1]
            conn.execute(
                f'UPDATE "{table}" SET "{name}" = ? || substr("{name}", ?) '
                f'WHERE typeof("{name}") = \'text\' AND substr("{name}", 1, ?) = ?',
                (new, len(old) + 1, len(old), old),
            )


@contextmanager
def translated(uri: str) -> Iterator[None]:
    """MLflow's and the network's errors as one line naming the tracking store."""
    from mlflow.exceptions import MlflowException
    from requests.exceptions import RequestException

    try:
        yield
    except (MlflowException, RequestException, OSError) as err:
        text = str(getattr(err, "message", err)).strip()
        first = text.splitlines()[0] if text else type(err).__name__
        raise InputError(f"tracking {uri}", first[:300]) from None


@dataclass(frozen=True)
class Version:
    """A registered version: its number, the run that made it, its tags."""

    number: int
    run_id: str
    source: str
    tags: dict[str, str] = field(default_factory=dict)
    aliases: tuple[str, ...] = ()

    @property
    def role(self) -> str:
        return self.tags.get("gonogo.role", "?")


def _version(mv: Any) -> Version:
    return Version(int(mv.version), mv.run_id, mv.source, dict(mv.tags), tuple(mv.aliases))


class Tracker:
    """One problem's runs and registered model, in the configured tracking store."""

    def __init__(self, store: Store, create: bool = True) -> None:
        """Connect; without `create`, a store or problem not there yet is an error, and
        nothing is written (but for pointing a moved store at its own artifacts)."""
        for key, value in _QUIET.items():
            os.environ.setdefault(key, value)
        self.store = store
        self.uri = tracking_uri(store)
        self.name = slug(store.problem)
        embedded = "MLFLOW_TRACKING_URI" not in os.environ
        if not create and embedded and not (store.root / "mlflow.db").is_file():
            raise InputError(str(store.root), "no gonogo store here: run `gonogo pipeline run`")
        with store.lock() if embedded else nullcontext(), translated(self.uri):
            from mlflow import MlflowClient

            if embedded and (store.root / "mlflow.db").is_file():
                relocate(store.root / "mlflow.db", store.root.resolve())

            for noisy in ("mlflow", "alembic"):  # database migrations log at INFO
                logging.getLogger(noisy).setLevel(logging.ERROR)
            self.client = MlflowClient(self.uri, self.uri)
            self.experiment = self._experiment(create)

    def _experiment(self, create: bool) -> str:
        found = self.client.get_experiment_by_name(self.name)
        if found is not None:
            return str(found.experiment_id)
        if not create:
            raise InputError(
                self.name, f"no problem of this name in the tracking store {self.uri}{self._held()}"
            )
        location = None
        if "MLFLOW_TRACKING_URI" not in os.environ:
            location = (self.store.root.resolve() / "artifacts").as_uri()
        return str(self.client.create_experiment(self.name, artifact_location=location))

    def _held(self) -> str:
        """The problems the store holds, for an error naming another: the nearest first."""
        import difflib

        names = [e.name for e in self.client.search_experiments() if e.name != "Default"]
        near = difflib.get_close_matches(self.name, names, n=1)
        if near:
            return f" (did you mean {near[0]!r}?)"
        return f"; it holds {', '.join(sorted(names)[:10])}" if names else ""

    @contextmanager
    def errors(self) -> Iterator[None]:
        """Errors translated, warnings silenced, and MLflow's module-level calls pointed at
        this store. MLflow also exports the URI to the environment, for subprocesses; that
        is undone, so a later store in the same process is not mistaken for a team server."""
        import mlflow

        exported = os.environ.get("MLFLOW_TRACKING_URI")
        with translated(self.uri), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            mlflow.set_tracking_uri(self.uri)
            mlflow.set_registry_uri(self.uri)
            if exported is None:
                os.environ.pop("MLFLOW_TRACKING_URI", None)
            yield

    # reading the registry

    def version(self, ref: str | int) -> Version:
        """A version by number or alias; a one-line error when there is none."""
        from mlflow.exceptions import MlflowException

        with self.errors():
            try:
                if isinstance(ref, int) or str(ref).isdigit():
                    return _version(self.client.get_model_version(self.name, str(ref)))
                return _version(self.client.get_model_version_by_alias(self.name, str(ref)))
            except MlflowException:
                raise InputError(
                    f"{self.name}@{ref}", "no such version or alias in the registry"
                ) from None

    def versions(self) -> list[Version]:
        """Every version, oldest first (with their aliases: a search does not return them)."""
        from mlflow.exceptions import MlflowException

        with self.errors():
            try:
                aliases = self.client.get_registered_model(self.name).aliases
            except MlflowException:
                return []
            found = self.client.search_model_versions(f"name = '{self.name}'")
        at = {int(v): a for a, v in aliases.items()}
        listed = [
            replace(_version(v), aliases=(at[int(v.version)],) if int(v.version) in at else ())
            for v in found
        ]
        return sorted(listed, key=lambda v: v.number)

    def production(self) -> Version | None:
        """The version the `production` alias points at, if any."""
        from mlflow.exceptions import MlflowException

        with self.errors():
            try:
                return _version(self.client.get_model_version_by_alias(self.name, ALIAS))
            except MlflowException:
                return None

    def download(self, run_id: str, path: str, into: Path) -> Path:
        import mlflow

        with self.errors():
            return Path(
                mlflow.artifacts.download_artifacts(
                    run_id=run_id, artifact_path=path, dst_path=str(into)
                )
            )

    def run_json(self, run_id: str, name: str) -> dict[str, Any]:
        """A JSON artifact of a run."""
        with tempfile.TemporaryDirectory() as tmp:
            data: dict[str, Any] = json.loads(self.download(run_id, name, Path(tmp)).read_text())
        return data

    def onnx_said(self, v: Version) -> str:
        """What registering the version said of its ONNX model (`gonogo.onnx.<role>`)."""
        with self.errors():
            tags = self.client.get_run(v.run_id).data.tags
        return str(tags.get(f"gonogo.onnx.{v.role}", ""))

    def candidate(self, v: Version) -> FittedCandidate:
        """The fitted candidate of a version, loaded as MLflow loads it (its digest checked)."""
        return self.loaded(v)[0]

    def loaded(self, v: Version) -> tuple[FittedCandidate, bytes | None]:
        """A version's fitted candidate, and its ONNX model when one was logged beside it."""
        import mlflow

        with self.errors():
            # MLflow's check of the logged requirements scans every installed distribution
            # (0.2-0.3 s of a server's start); the candidate checks the versions that matter.
            model = mlflow.pyfunc.load_model(
                f"models:/{self.name}/{v.number}", suppress_warnings=True
            ).unwrap_python_model()
        candidate: FittedCandidate = model.candidate
        onnx: bytes | None = model.onnx
        return candidate, onnx

    def columns(self, v: Version) -> frozenset[str]:
        """The columns of the data that trained a version (none known for a run that logged
        no statistics). Any other failure is raised: a server following an alias keeps the
        version it has and tries again, rather than serving one that refuses them."""
        with self.errors():
            logged = {a.path for a in self.client.list_artifacts(v.run_id)}
        if "statistics.json" not in logged:
            return frozenset()
        stats = self.run_json(v.run_id, "statistics.json")
        return frozenset(str(c["name"]) for c in stats["columns"])

    def reference(self, v: Version) -> tuple[Statistics, set[str]]:
        """The statistics of the data that trained a version, and those files' digests."""
        lineage = self.run_json(v.run_id, "lineage.json")
        stats = Statistics.from_dict(self.run_json(v.run_id, "statistics.json"))
        return stats, {f["digest"] for f in lineage["data"]}

    # writing

    def register(
        self, role: str, model_uri: str, run_id: str, fp: str, tags: dict[str, str]
    ) -> int:
        """A version for a logged model, or the one an interrupted run already made for the
        same fingerprint."""
        from mlflow.exceptions import MlflowException

        with self.errors():
            try:
                self.client.create_registered_model(self.name)
            except MlflowException as err:
                if err.error_code != "RESOURCE_ALREADY_EXISTS":
                    raise
            for v in self.versions():
                if v.tags.get("gonogo.fingerprint") == fp and v.role == role:
                    return v.number
            tags = tags | {"gonogo.fingerprint": fp, "gonogo.role": role}
            made = self.client.create_model_version(self.name, model_uri, run_id, tags=tags)
            return int(made.version)

    def conclude(self, run_id: str, status: str, decision: dict[str, Any]) -> None:
        """Record what a logged run decided: its outcome tag and outcome.json."""
        with self.errors():
            self.client.set_tag(run_id, "gonogo.outcome", status)
            self.client.log_dict(run_id, decision, "outcome.json")

    @contextmanager
    def failing(self, run_id: str) -> Iterator[None]:
        """The logged run marked failed if what follows its logging raises."""
        try:
            yield
        except BaseException:
            with self.errors():
                self.client.set_terminated(run_id, "FAILED")
            raise

    def move(self, number: int, history: list[int] | None = None) -> None:
        """Point `production` at version `number`, appending it to the alias's history (or
        setting the history to `history`, which ends with it, as a rollback does)."""
        if history is None:
            history = self.history()
            history += [number] if not history or history[-1] != number else []
        with self.errors():
            self.client.set_registered_model_alias(self.name, ALIAS, str(number))
            self.client.set_registered_model_tag(self.name, HISTORY, ",".join(map(str, history)))

    def history(self) -> list[int]:
        with self.errors():
            model = self.client.get_registered_model(self.name)
        return [int(h) for h in model.tags.get(HISTORY, "").split(",") if h]


@dataclass
class RunLog:
    """What one pipeline run logs: tags, parameters, metrics, JSON and file artifacts, its
    data files (path, digest, role) and the models it may register (role to the folder of a
    saved candidate and a few raw rows for the signature)."""

    tags: dict[str, str] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    documents: dict[str, Any] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)
    inputs: list[tuple[str, str, str]] = field(default_factory=list)
    models: dict[str, tuple[Path, Any]] = field(default_factory=dict)


def _log_model(role: str, folder: Path, rows: Any) -> str:
    """Log the candidate saved in `folder` as a pyfunc model and, when it converts and its
    predictions of the holdout `rows` match, its ONNX model beside it (the servers' fast
    path); a tag says which, and why not."""
    import mlflow
    from mlflow.models import infer_signature

    from gonogo.candidates.onnxgraph.check import attempt
    from gonogo.pipeline import pyfunc_model

    candidate = load(folder)
    inputs = rows[[c for c in candidate.schema.names if c in rows.columns]]
    example = inputs.head(5)
    signature = infer_signature(example, pyfunc_model.output(candidate, example))
    onnx, said = attempt(candidate, inputs, {"gonogo.candidate": candidate.name})
    mlflow.set_tag(f"gonogo.onnx.{role}", said)
    with tempfile.TemporaryDirectory() as tmp:
        artifacts = {"candidate": str(folder)}
        if onnx is not None:
            artifacts["onnx"] = str(Path(tmp) / "model.onnx")
            Path(artifacts["onnx"]).write_bytes(onnx)
        info = mlflow.pyfunc.log_model(
            name=role,
            python_model=pyfunc_model.__file__,
            artifacts=artifacts,
            signature=signature,
            pip_requirements=[f"gonogo=={package_version('gonogo')}"],
        )
    return str(info.model_uri)


def _log_input(path: str, digest: str, context: str) -> None:
    import mlflow
    from mlflow.data.dataset_source_registry import resolve_dataset_source
    from mlflow.data.meta_dataset import MetaDataset

    source = resolve_dataset_source(Path(path).resolve().as_uri())
    mlflow.log_input(MetaDataset(source, name=Path(path).name, digest=digest[:16]), context)


def log_run(tracker: Tracker, entry: RunLog) -> tuple[str, dict[str, str]]:
    """Log one pipeline run; its id and the URI of each logged model."""
    import mlflow

    with tracker.errors(), mlflow.start_run(experiment_id=tracker.experiment) as run:
        mlflow.set_tags(entry.tags)
        mlflow.log_params(entry.params)
        mlflow.log_metrics(entry.metrics)
        for name, document in entry.documents.items():
            mlflow.log_dict(document, name)
        for path in entry.files:
            mlflow.log_artifact(str(path))
        for source, digest, context in entry.inputs:
            _log_input(source, digest, context)
        uris = {r: _log_model(r, folder, rows) for r, (folder, rows) in entry.models.items()}
        return str(run.info.run_id), uris


def log_poc(tracker: Tracker, problem: Problem, result: Result, out: Path) -> str:
    """Record a PoC run (`gonogo run --track`) as an MLflow run in the problem's experiment, so
    the iterations of the refine loop can be compared; its id."""
    from gonogo.pipeline.ingest import spec_digest

    names = {"best_model": result.best_model, "best_baseline": result.best_baseline}
    entry = RunLog(
        tags={"gonogo.kind": "poc", "gonogo.verdict": result.verdict.decision},
        params={"spec_digest": spec_digest(problem)} | {k: v for k, v in names.items() if v},
        metrics={f"holdout.{c.name}": c.holdout.value for c in result.candidates},
        files=[out / "verdict.json", out / "report.html"],
    )
    run_id, _ = log_run(tracker, entry)
    return run_id


def packages() -> dict[str, str]:
    """The versions of the packages that make a model what it is."""
    return {p: package_version(p) for p in PACKAGES}
