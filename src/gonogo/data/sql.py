"""Reading a table from a SQL query: DuckDB embedded by default, any SQLAlchemy URL otherwise.

`data.sql` is the query; `data.connection` where it runs:

- nothing: an in-memory DuckDB, whose relative file paths (`FROM 'data/t.parquet'`) are the
  spec folder's, so a query over the example's Parquet or CSV files works as is;
- a `.duckdb` file (or `duckdb:PATH`): that database, read-only;
- anything else: a SQLAlchemy URL (`postgresql+psycopg://user:${PGPASSWORD}@host/db`,
  `sqlite:///data/t.db`), environment variables expanded so that no password sits in a spec.

Results arrive as Arrow record batches (DuckDB's own reader; the driver's server-side cursor
for SQLAlchemy, a batch of rows at a time), so the rows are never all held as Python objects.
Exact decimals become doubles, as a Parquet file of measurements would be read.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gonogo.data.sources import first_line
from gonogo.errors import DataError, SpecError

if TYPE_CHECKING:
    import pyarrow as pa

    from gonogo.problem import Problem

BATCH = 65_536
# The package to install for a SQLAlchemy driver module that is missing.
PACKAGES = {
    "psycopg": "psycopg[binary]",
    "psycopg2": "psycopg2-binary",
    "pymysql": "PyMySQL",
    "MySQLdb": "mysqlclient",
    "pyodbc": "pyodbc",
    "oracledb": "oracledb",
    "pymssql": "pymssql",
    "duckdb": "duckdb",
}


def read(problem: Problem) -> pa.Table:
    """The spec's query's result, one Arrow table."""
    import pyarrow as pa

    assert problem.data.sql is not None
    place = f"{problem.source}: data.sql"
    tables = [
        pa.Table.from_batches([b])
        for b in batches(problem.data.sql, problem.data.connection, problem.base_dir, place)
    ]
    if not tables or not sum(t.num_rows for t in tables):
        raise DataError(place, f"query {_short(problem.data.sql)} returned no rows")
    return _floats(pa.concat_tables(tables, promote_options="permissive"))


def batches(
    sql: str, connection: str | None, base_dir: Path, place: str, size: int = BATCH
) -> Iterator[pa.RecordBatch]:
    """The query's result, `size` rows at a time, as they are fetched."""
    target = os.path.expandvars(connection) if connection else None
    if target is None or target.startswith("duckdb:") or target.endswith(".duckdb"):
        yield from _duckdb(sql, target, base_dir, place, size)
    else:
        yield from _sqlalchemy(sql, target, base_dir, place, size)


def _duckdb(
    sql: str, target: str | None, base_dir: Path, place: str, size: int
) -> Iterator[pa.RecordBatch]:
    duckdb = _driver("duckdb", place)
    file = None if target is None else base_dir / target.removeprefix("duckdb:")
    try:
        con = duckdb.connect(str(file) if file else ":memory:", read_only=file is not None)
    except duckdb.Error as err:
        raise DataError(
            _at(place, "connection"), f"cannot open {file}: {first_line(err)}"
        ) from None
    with con:
        try:
            con.execute(f"SET file_search_path = '{_quoted(base_dir)}'")
            yield from con.sql(sql).to_arrow_reader(size)
        except duckdb.Error as err:
            raise DataError(place, f"query {_short(sql)} failed: {first_line(err)}") from None


def _sqlalchemy(
    sql: str, target: str, base_dir: Path, place: str, size: int
) -> Iterator[pa.RecordBatch]:
    import pyarrow as pa

    sqlalchemy = _driver("sqlalchemy", place)
    from sqlalchemy import exc

    engine = _engine(sqlalchemy, target, base_dir, _at(place, "connection"))
    try:
        con = engine.connect()
    except exc.DBAPIError as err:
        shown = engine.url.render_as_string(hide_password=True)
        engine.dispose()
        raise DataError(
            _at(place, "connection"), f"cannot connect to {shown}: {_message(err)}"
        ) from None
    try:
        result = con.execution_options(stream_results=True).execute(sqlalchemy.text(sql))
        names = list(result.keys())
        for rows in result.partitions(size):
            arrays = [pa.array(column, from_pandas=True) for column in zip(*rows, strict=True)]
            yield pa.RecordBatch.from_arrays(arrays, names=names)
    except exc.DBAPIError as err:
        raise DataError(place, f"query {_short(sql)} failed: {_message(err)}") from None
    finally:
        con.close()
        engine.dispose()


def _engine(sqlalchemy: Any, target: str, base_dir: Path, place: str) -> Any:
    from sqlalchemy import exc

    try:
        url = sqlalchemy.make_url(target)
        if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
            url = url.set(database=str(base_dir / url.database))
        return sqlalchemy.create_engine(url)
    except exc.ArgumentError:
        raise SpecError(
            place,
            "expected a SQLAlchemy URL (dialect+driver://user:password@host/database) or a "
            f".duckdb file; found {target.rsplit('@', maxsplit=1)[-1]!r}",
        ) from None
    except exc.NoSuchModuleError as err:
        raise DataError(place, f"no SQLAlchemy dialect for it: {first_line(err)}") from None
    except ModuleNotFoundError as err:
        module = (err.name or "").split(".")[0]
        package = PACKAGES.get(module, module)
        raise DataError(
            place, f"its driver {module!r} is not installed: pip install '{package}'"
        ) from None


def _driver(module: str, place: str) -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ModuleNotFoundError:
        raise DataError(
            place, f"{module} is not installed: pip install 'gonogo[sql]' (or '{module}')"
        ) from None


def _floats(table: pa.Table) -> pa.Table:
    """Decimal columns as doubles: what the models and the statistics read."""
    import pyarrow as pa

    for i, field in enumerate(table.schema):
        if pa.types.is_decimal(field.type):
            table = table.set_column(i, field.name, table.column(i).cast(pa.float64()))
    return table


def _message(err: Any) -> str:
    return first_line(err.orig if getattr(err, "orig", None) is not None else err)


def _short(sql: str) -> str:
    text = " ".join(sql.split())
    return repr(text if len(text) <= 80 else text[:77] + "...")


def _quoted(path: Path) -> str:
    return str(path).replace("'", "''")


def _at(place: str, field: str) -> str:
    return place.rsplit(".", 1)[0] + f".{field}"
