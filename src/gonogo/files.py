"""Writing a file, or a folder of files, all or nothing: staged beside it, then renamed into
place."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path


def write_folder(out: Path, files: dict[str, str | bytes], replace: bool = True) -> Path:
    """`out` holding exactly `files` (relative path to text or bytes), replacing what was
    there (or, with `replace=False`, leaving a folder another writer made first); a crash
    leaves the old folder or the new one, never a mix."""
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    umask = os.umask(0)
    os.umask(umask)
    staging.chmod(0o777 & ~umask)  # mkdtemp makes it private; the result is an ordinary folder
    try:
        for name, content in files.items():
            target = staging / name
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                target.write_bytes(content)
            else:
                target.write_text(content, encoding="utf-8")
        if out.exists():
            if not replace:
                return out
            shutil.rmtree(out)
        try:
            os.replace(staging, out)
        except OSError:
            if replace or not out.is_dir():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return out


def write_file(out: Path, content: str | bytes) -> Path:
    """`out` holding `content`; a crash leaves the old file or the new one, never a part."""
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, staged = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(content.encode("utf-8") if isinstance(content, str) else content)
        os.replace(staged, out)
    finally:
        Path(staged).unlink(missing_ok=True)
    return out
