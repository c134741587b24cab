"""Text files in the dialects spreadsheets and databases export: sniffed, or given."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gonogo import DataError
from gonogo.data import dialect
from gonogo.data.dialect import Given
from gonogo.data.sources import batches, read_table


def _same(read: pd.DataFrame, frame: pd.DataFrame) -> None:
    assert list(read.columns) == list(frame.columns)
    for column in frame.columns:
        if pd.api.types.is_numeric_dtype(frame[column]):
            np.testing.assert_allclose(read[column], frame[column])
        else:
            assert read[column].astype(str).tolist() == frame[column].astype(str).tolist()


def test_semicolons_and_decimal_commas_are_sniffed(tmp_path: Path, churn_frame):
    path = tmp_path / "churn.csv"
    churn_frame.to_csv(path, sep=";", decimal=",", index=False)
    found = dialect.of(path, "data.path")
    assert (found.delimiter, found.decimal, found.sniffed) == (";", ",", ("delimiter", "decimal"))
    _same(read_table(path, "data.path"), churn_frame)


@pytest.mark.parametrize(("name", "sep"), [("churn.tsv", "\t"), ("churn.csv", "|")])
def test_tabs_and_pipes_are_read(tmp_path: Path, churn_frame, name, sep):
    path = tmp_path / name
    churn_frame.to_csv(path, sep=sep, index=False)
    _same(read_table(path, "data.path"), churn_frame)


def test_the_streamed_batches_read_in_the_same_dialect(tmp_path: Path, churn_frame):
    path = tmp_path / "churn.csv"
    churn_frame.to_csv(path, sep=";", decimal=",", index=False)
    got = pd.concat(b.to_pandas() for b in batches(path, "csv", "--input", 1000))
    _same(got, churn_frame)


def test_the_spec_settles_what_sniffing_cannot(tmp_path: Path):
    # One column of decimal-comma numbers: no delimiter splits every line alike, so the sniffed
    # comma splits the numbers; the spec says what the file is.
    path = tmp_path / "x.csv"
    path.write_text("x\n1,5\n2,5\n")
    with pytest.raises(DataError, match="comma-delimited .* Expected 1 columns, got 2"):
        read_table(path, "data.path")
    assert read_table(path, "data.path", Given(";", ","))["x"].tolist() == [1.5, 2.5]


@pytest.mark.parametrize(
    ("given", "message"),
    [
        (
            Given(),
            r"as comma-delimited with decimal '.' \(sniffed\): .*Expected 3 columns, got 2.*; "
            r"set data.delimiter and data.decimal if that is wrong$",
        ),
        (  # given in part: which part was sniffed, and the one field left to set
            Given(delimiter=","),
            r"as comma-delimited \(given\) with decimal '.' \(sniffed\): .*; "
            r"set data.decimal if that is wrong$",
        ),
    ],
)
def test_a_file_no_dialect_reads_names_the_one_tried(tmp_path: Path, given, message):
    path = tmp_path / "ragged.csv"
    path.write_text("a,b,c\n1,2,3\n4,5\n")
    with pytest.raises(DataError, match=r"data.path: cannot read ragged.csv " + message):
        read_table(path, "data.path", given)


@pytest.mark.parametrize("given", [Given(), Given(decimal=",")])
def test_thousands_grouped_with_points_beside_decimal_commas_are_refused(tmp_path: Path, given):
    """A de-DE spreadsheet export of house prices (mosaicData's SaratogaHouses): read as it
    was, 132.500 became 132.5 and 0,09 text, and the run went on to a go."""
    path = tmp_path / "houses.csv"
    path.write_text("price;lotSize;landValue\n132.500;0,09;22.450\n181.115;0,92;900\n")
    message = (
        r"data.path: houses.csv: column 'price' writes thousands with points \('132.500'\) "
        r"beside decimal commas; gonogo reads no thousands separator"
    )
    with pytest.raises(DataError, match=message):
        read_table(path, "data.path", given)


def test_a_column_of_numbers_grouped_with_commas_is_refused_and_text_is_not(tmp_path: Path):
    """Quoted "111,000" in a comma-delimited file: Arrow reads it as text, and a label of
    counts became 294 classes, blocked for having too few examples of each."""
    path = tmp_path / "calls.csv"
    path.write_text('day,calls,note\n1,"111,000",a\n2,950,"1,000 or so"\n3,NA,b\n4,1e5,c\n5,,d\n')
    message = r"calls.csv: column 'calls' writes thousands with commas \('111,000'\); gonogo"
    with pytest.raises(DataError, match=message):
        read_table(path, "data.path")
    path.write_text('day,note\n1,"1,000 or so"\n2,"1,000"\n3,many\n')
    assert read_table(path, "data.path")["note"].tolist() == ["1,000 or so", "1,000", "many"]


def test_blank_cells_and_na_spellings_are_missing_in_text_columns(tmp_path: Path):
    path = tmp_path / "t.csv"
    path.write_text("label,x\nyes,1\n,2\nNA,3\nno,4\n")
    assert read_table(path, "data.path")["label"].isna().tolist() == [False, True, True, False]


def test_a_windows_1252_export_reads(tmp_path: Path):
    path = tmp_path / "t.csv"
    path.write_bytes("région;prix\nÎle-de-France;1,5\nCôte d'Azur;2,25\n".encode("cp1252"))
    frame = read_table(path, "data.path")
    assert frame["région"].tolist() == ["Île-de-France", "Côte d'Azur"]
    assert frame["prix"].tolist() == [1.5, 2.25]


def test_excels_unicode_text_reads(tmp_path: Path, churn_frame):
    """Excel's "Unicode text": tab-delimited UTF-16 with a byte-order mark. Read as UTF-8 it
    was one column, and the parse error printed a NUL byte."""
    rows = churn_frame.head(50)
    path = tmp_path / "churn.txt.csv"
    path.write_bytes(rows.to_csv(sep="\t", index=False).encode("utf-16"))
    frame = read_table(path, "data.path")
    pd.testing.assert_frame_equal(frame, rows.reset_index(drop=True), check_dtype=False)


@pytest.mark.parametrize("ascii_rows", [0, 5000])  # a short file; a long plain-ASCII start
def test_windows_1252_past_the_sniffed_start_still_reads_as_text(tmp_path: Path, ascii_rows):
    path = tmp_path / "t.csv"
    rows = "".join(f"plain,{i}\n" for i in range(ascii_rows))
    path.write_bytes(("town,n\n" + rows + "Orléans,1\ncafé,2").encode("cp1252"))
    frame = read_table(path, "data.path")
    assert frame["town"].tolist()[-2:] == ["Orléans", "café"]
