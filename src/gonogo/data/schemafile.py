"""The schema as an editable, versioned YAML file.

The pipeline writes the schema it infers on its first run; a team edits it (bounds a number,
admits a category, marks a column optional) and later runs validate new data against it. A
file edited into something that is not a schema is one error naming the line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from gonogo import strict_yaml
from gonogo.data.schema import InputSchema, Kind
from gonogo.errors import DataError
from gonogo.files import write_file

VERSION = 1
HEADER = (
    "# gonogo schema: what the data gate accepts. Edit it to admit a category, mark a column\n"
    "# optional, or bound a number (minimum, maximum; without them, new values are compared\n"
    "# with the range of the data production was trained on).\n"
)


class _Column(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    type: Kind
    optional: bool = False
    categories: list[str] | None = None
    minimum: float | None = None
    maximum: float | None = None

    @model_validator(mode="after")
    def _bounds(self) -> _Column:
        low, high = self.minimum, self.maximum
        if low is not None and high is not None and low > high:
            raise ValueError(f"minimum {self.minimum} is above maximum {self.maximum}")
        if self.categories is not None and self.type != "text":
            raise ValueError(f"categories go with type text, not {self.type}")
        return self


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: Literal[1]
    columns: list[_Column]


def write(schema: InputSchema, path: Path) -> None:
    """Write the schema to `path`, all or nothing."""
    body = {"version": VERSION, **schema.to_dict()}
    text = yaml.safe_dump(body, sort_keys=False, allow_unicode=True, width=100)
    write_file(path, HEADER + text)


def _line(node: yaml.Node, loc: tuple[int | str, ...]) -> int:
    """The line of the node at `loc`, or of its nearest existing parent."""
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            found = [v for k, v in node.value if k.value == key]
            if not found:
                break
            node = found[0]
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
        else:
            break
    return node.start_mark.line + 1


def read(path: Path) -> InputSchema:
    """The schema in `path`; raises DataError naming the file and line of the first problem."""
    try:
        text = path.read_text(encoding="utf-8")
        tree = yaml.compose(text)
        data: Any = strict_yaml.load(text)
    except OSError as err:
        raise DataError(str(path), f"cannot read: {err.strerror}") from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        raise DataError(
            f"{path}:{line}", f"not valid YAML ({getattr(err, 'problem', err)})"
        ) from None
    if tree is None or not isinstance(data, dict):
        raise DataError(f"{path}:1", "expected a schema: version and columns")
    try:
        parsed = _File.model_validate(data)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        line = _line(tree, tuple(first["loc"]))
        raise DataError(f"{path}:{line}", f"{where}: {first['msg']}") from None
    return InputSchema.from_dict({"columns": [c.model_dump() for c in parsed.columns]})
