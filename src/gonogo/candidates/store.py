"""Saving and loading a fitted candidate without pickle.

A saved candidate is a folder: `candidate.json` describes it (input schema, featurizer, label
codec, provenance) in plain JSON, and `estimator.skops` holds the fitted estimator in skops'
format, which rebuilds objects only of types on an explicit list instead of running whatever
a file says, as unpickling would. A digest over both is checked on load, so a file changed
after saving, or one that gonogo did not write, is refused with a one-line error.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import re
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from gonogo.candidates.fitted import FittedCandidate
from gonogo.data.featurize import Featurizer
from gonogo.data.label import LabelCodec
from gonogo.data.schema import InputSchema
from gonogo.errors import DataError
from gonogo.files import write_folder

# 2: the calendar lost its weekend flag and reads the hour to the minute, and the simple rule
# prints dates; a candidate of format 1 would derive other inputs than it was fitted on.
FORMAT = "gonogo.fitted-candidate/2"
FAMILY = FORMAT.rpartition("/")[0] + "/"
MANIFEST = "candidate.json"
ESTIMATOR = "estimator.skops"
SKOPS_SCHEMA = "schema.json"  # the entry of a skops archive that describes the others
# The packages whose code a saved estimator is rebuilt with: another version may rebuild it
# differently, so a load under other versions says so.
MADE_WITH = ("gonogo", "scikit-learn", "numpy")
log = logging.getLogger("gonogo.candidates")

# Types a gonogo candidate is made of that skops does not trust by itself: gonogo's own
# estimators and the parts of scikit-learn's that skops leaves to the caller. A partial is
# safe to rebuild because the function it wraps must be trusted on its own.
TRUSTED = (
    "functools.partial",
    "sklearn.utils.validation.check_array",
    "gonogo.candidates.baselines.ColumnBaseline",
    "gonogo.candidates.baselines.ExpressionBaseline",
    "gonogo.candidates.baselines.GroupStatistic",
    "gonogo.candidates.encode.CategoryCodes",
    "gonogo.candidates.rule.SimpleRule",
    "gonogo.candidates.rule._Ranked",
    "gonogo.candidates.rule._Tree",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.tree._tree.Tree",
    "numpy.dtype",
)


def _describe(fitted: FittedCandidate) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "name": fitted.name,
        "kind": fitted.kind,
        "place": fitted.place,
        "columns": list(fitted.columns),
        "schema": fitted.schema.to_dict(),
        "featurizer": fitted.featurizer.to_dict(),
        "codec": fitted.codec.to_dict(),
        "provenance": fitted.provenance,
        "estimator": ESTIMATOR,
        "versions": _versions(),
    }


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    def known(package: str) -> str:
        try:
            return version(package)
        except PackageNotFoundError:  # gonogo run from its source tree, not installed
            return "unknown"

    return {package: known(package) for package in MADE_WITH}


def _warn_if_other_versions(path: Path, saved: Any) -> None:
    if not isinstance(saved, dict):  # saved before candidates recorded their versions
        return
    now = _versions()
    changed = [f"{p} {saved[p]} (now {now[p]})" for p in now if saved.get(p, now[p]) != now[p]]
    if changed:
        log.warning(
            "%s was saved with %s: its predictions may differ from those checked when it "
            "was fitted",
            path,
            ", ".join(changed),
        )


def _digest(manifest: dict[str, Any], estimator: bytes) -> str:
    described = {k: v for k, v in manifest.items() if k != "digest"}
    h = hashlib.sha256(json.dumps(described, sort_keys=True).encode())
    h.update(estimator)
    return h.hexdigest()


def _stable(archive: bytes) -> bytes:
    """skops' zip archive made reproducible, so the same estimator gives the same bytes (and
    digest) whenever it is saved: skops names array files after object ids and stamps the
    time, and numbers shared objects by their ids; here files and objects are numbered in the
    order the schema first names them, and the entries are undated."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(archive)) as zin, zipfile.ZipFile(out, "w") as zout:
        schema = zin.read(SKOPS_SCHEMA).decode()
        files = [e.filename for e in zin.infolist() if e.filename != SKOPS_SCHEMA]
        order = sorted(files, key=lambda f: schema.find(f'"{f}"'))
        renamed = {old: f"{i}{Path(old).suffix}" for i, old in enumerate(order)}
        for old, new in renamed.items():
            schema = schema.replace(f'"{old}"', f'"{new}"')
        ids: dict[str, int] = {}
        schema = re.sub(
            r'"__id__": (\d+)', lambda m: f'"__id__": {ids.setdefault(m[1], len(ids))}', schema
        )
        entries = [(SKOPS_SCHEMA, schema.encode())]
        entries += [(renamed[f], zin.read(f)) for f in order]
        for name, content in entries:
            entry = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            zout.writestr(entry, content)
    return out.getvalue()


def as_files(fitted: FittedCandidate, folder: str = "") -> dict[str, str | bytes]:
    """The files of a saved candidate (under `folder`), for a writer of a larger folder."""
    import skops.io as sio

    estimator = _stable(sio.dumps(fitted.estimator))
    manifest = _describe(fitted)
    manifest["digest"] = _digest(manifest, estimator)
    text = json.dumps(manifest, indent=2, sort_keys=True) + "\n"
    prefix = f"{folder}/" if folder else ""
    return {f"{prefix}{ESTIMATOR}": estimator, f"{prefix}{MANIFEST}": text}


def save(fitted: FittedCandidate, path: str | Path) -> Path:
    """Write `fitted` into the folder `path`, all or nothing; returns the folder."""
    path = Path(path)
    if path.exists() and not (path / MANIFEST).is_file():
        raise DataError(str(path), "exists and is not a saved candidate; name a new folder")
    return write_folder(path, as_files(fitted))


class OtherFormatError(DataError):
    """A candidate saved by a gonogo whose format this one does not read."""


def _read(path: Path) -> tuple[dict[str, Any], bytes]:
    try:
        manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
        estimator = (path / ESTIMATOR).read_bytes()
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        raise DataError(str(path), "is not a saved gonogo candidate") from None
    found = manifest.get("format") if isinstance(manifest, dict) else None
    if isinstance(found, str) and found.startswith(FAMILY) and found != FORMAT:
        raise OtherFormatError(
            str(path),
            f"was saved by another gonogo (format {found}; this one reads {FORMAT}): "
            "fit it again (gonogo pipeline) to serve or score it here",
        )
    if found != FORMAT:
        raise DataError(str(path), f"is not a saved gonogo candidate (format {FORMAT})")
    if manifest.get("digest") != _digest(manifest, estimator):
        raise DataError(str(path), "does not match its digest: changed after it was saved")
    return manifest, estimator


def load(path: str | Path, trusted: Iterable[str] = ()) -> FittedCandidate:
    """The candidate saved in `path`. Types beyond gonogo's own and scikit-learn's (an
    estimator the spec named, e.g. from another library) load only when listed in `trusted`."""
    import skops.io as sio

    path = Path(path)
    manifest, estimator = _read(path)
    allowed = set(TRUSTED) | set(trusted)
    unknown = sorted(set(sio.get_untrusted_types(data=estimator)) - allowed)
    if unknown:
        raise DataError(
            str(path / ESTIMATOR),
            f"holds types gonogo does not trust: {', '.join(unknown)}; "
            "pass them as trusted if you know where the file comes from",
        )
    try:
        schema = InputSchema.from_dict(manifest["schema"])
        featurizer = Featurizer.from_dict(manifest["featurizer"])
        codec = LabelCodec.from_dict(manifest["codec"])
        columns = tuple(manifest["columns"])
        name, kind, place = manifest["name"], manifest["kind"], manifest["place"]
    except (KeyError, TypeError, ValueError) as err:
        raise DataError(str(path / MANIFEST), f"is malformed: {err}") from None
    _warn_if_other_versions(path, manifest.get("versions"))
    model = sio.loads(estimator, trusted=sorted(allowed))
    provenance = manifest.get("provenance", {})
    return FittedCandidate(name, kind, schema, featurizer, codec, columns, model, provenance, place)
