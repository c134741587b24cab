"""SQL sources: DuckDB over the example's files, SQLite, and a real PostgreSQL server."""

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import sqlalchemy
import yaml

import gonogo
from gonogo.data import sql
from gonogo.problem import DataSpec, Problem
from tests.conftest import EXAMPLES
from tests.postgres import PASSWORD, server
from tests.stores import Done
from tests.stores import gonogo as gonogo_cli

pytestmark = pytest.mark.xdist_group("postgres")  # one process starts the server
CHURN = EXAMPLES / "churn"
ORDERED = "SELECT * FROM churn ORDER BY rownames"


@pytest.fixture(scope="module")
def postgres(churn_frame: pd.DataFrame) -> Iterator[str]:
    """A server holding the churn table."""
    with server() as url:
        engine = sqlalchemy.create_engine(url)
        churn_frame.to_sql("churn", engine, index=False)
        engine.dispose()
        yield url


def _churn(churn_problem: Problem, **data: str) -> Problem:
    return churn_problem.model_copy(update={"data": DataSpec(**data)})


def test_a_duckdb_query_over_the_examples_parquet_reads_the_file(churn_problem, churn_frame):
    # Relative paths in the query are the spec folder's, like data.path.
    problem = _churn(churn_problem, sql="SELECT * FROM 'data/churn.parquet'")
    pd.testing.assert_frame_equal(sql.read(problem).to_pandas(), churn_frame)


def test_a_duckdb_file_sqlite_and_postgres_give_the_same_table(
    churn_problem, churn_frame, postgres, tmp_path
):
    database = tmp_path / "churn.db"
    engine = sqlalchemy.create_engine(f"sqlite:///{database}")
    churn_frame.to_sql("churn", engine, index=False)
    engine.dispose()
    with duckdb.connect(str(tmp_path / "churn.duckdb")) as con:
        con.execute(f"CREATE TABLE churn AS SELECT * FROM '{CHURN}/data/churn.parquet'")
    for connection in (str(tmp_path / "churn.duckdb"), f"sqlite:///{database}", postgres):
        problem = _churn(churn_problem, sql=ORDERED, connection=connection)
        pd.testing.assert_frame_equal(sql.read(problem).to_pandas(), churn_frame)


def test_the_verdict_from_postgres_is_the_verdict_from_the_file(
    churn_problem, churn_result, postgres, monkeypatch
):
    # The password comes from the environment, as a spec should hold none.
    monkeypatch.setenv("CHURN_DB_PASSWORD", PASSWORD)
    connection = postgres.replace(f":{PASSWORD}@", ":${CHURN_DB_PASSWORD}@")
    r = gonogo.run(_churn(churn_problem, sql=ORDERED, connection=connection))
    assert r.to_dict() == churn_result.to_dict()


@pytest.mark.parametrize("engine", ["duckdb", "postgres"])
def test_results_arrive_in_batches_as_they_are_fetched(engine, postgres):
    query = "SELECT * FROM 'data/churn.parquet'" if engine == "duckdb" else ORDERED
    connection = None if engine == "duckdb" else postgres
    stream = sql.batches(query, connection, CHURN, "p.yaml: data.sql", size=1000)
    first = next(stream)
    assert first.num_rows == 1000  # the first batch, before the rest is fetched
    rest = list(stream)
    assert len(rest) >= 4 and sum(b.num_rows for b in rest) == 4000


def _run_cli(tmp_path: Path, data: dict[str, str]) -> Done:
    raw = yaml.safe_load((CHURN / "problem.yaml").read_text())
    raw["data"] = data
    spec = tmp_path / "problem.yaml"
    spec.write_text(yaml.safe_dump(raw))
    (tmp_path / "data").symlink_to(CHURN / "data")
    return gonogo_cli("run", spec, "--out", tmp_path / "out")


BAD = {
    "bad query": (
        lambda pg: {"sql": "SELEC * FROM 'data/churn.parquet'"},
        "problem.yaml: data.sql: query \"SELEC * FROM 'data/churn.parquet'\" failed: Parser Error",
    ),
    "missing file": (
        lambda pg: {"sql": "SELECT * FROM 'data/nope.parquet'"},
        'No files found that match the pattern "data/nope.parquet"',
    ),
    "missing table": (
        lambda pg: {"sql": "SELECT * FROM nope", "connection": pg},
        "data.sql: query 'SELECT * FROM nope' failed: relation \"nope\" does not exist",
    ),
    "wrong password": (
        lambda pg: {"sql": ORDERED, "connection": pg.replace(PASSWORD, "guess")},
        "data.connection: cannot connect to postgresql+psycopg://gonogo:***@127.0.0.1:",
    ),
    "missing driver": (
        lambda pg: {"sql": ORDERED, "connection": "mysql+pymysql://u:p@127.0.0.1/shop"},
        "data.connection: its driver 'pymysql' is not installed: pip install 'PyMySQL'",
    ),
    "not a url": (
        lambda pg: {"sql": ORDERED, "connection": "churn database"},
        "data.connection: expected a SQLAlchemy URL",
    ),
    "no rows": (
        lambda pg: {"sql": "SELECT * FROM 'data/churn.parquet' WHERE false"},
        "returned no rows",
    ),
    "path and sql": (
        lambda pg: {"path": "data/churn.parquet", "sql": "SELECT 1"},
        "problem.yaml: data: give path or sql, not both",
    ),
}


@pytest.mark.parametrize("case", BAD)
def test_a_bad_source_is_one_line_and_exit_2(case, postgres, tmp_path):
    data, expected = BAD[case]
    done = _run_cli(tmp_path, data(postgres))
    assert done.returncode == 2, done.stderr
    assert expected in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "s3cret" not in done.stderr and not (tmp_path / "out").exists()
