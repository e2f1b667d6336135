"""Table CSV files with real data shapes: labels, identifiers, categories, several files, overrides."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_iris, load_wine

from engine.ingest import scan


@pytest.fixture
def iris_csv(tmp_path) -> Path:
    data = load_iris(as_frame=True)
    frame = data.frame.drop(columns="target")
    frame["species"] = [data.target_names[t] for t in data.target]
    path = tmp_path / "iris.csv"
    frame.to_csv(path, index=False)
    return path


def test_iris_with_label_column(iris_csv):
    collection = scan([iris_csv])
    data = load_iris()
    assert len(collection) == 150
    assert collection.modalities == ["table"]
    assert collection.feature_names == list(data.feature_names)
    np.testing.assert_allclose(collection.table_features, data.data)
    assert collection.labels() == [data.target_names[t] for t in data.target]
    assert [it.row for it in collection.items] == list(range(150))
    assert collection.items[5].display_name == "iris.csv[5]"
    assert collection.notes == [
        "iris.csv: read as a table, 150 rows, 4 numeric features, label column 'species'"
    ]
    info = collection.csv_files[iris_csv]
    assert info.kind == "table" and info.label_column == "species" and info.delimiter == ","
    assert not collection.problems


def test_wine_with_saved_index_and_numeric_target(tmp_path):
    path = tmp_path / "wine.csv"
    load_wine(as_frame=True).frame.to_csv(path)  # leading unnamed index column
    collection = scan([path])
    assert len(collection) == 178
    assert collection.table_features.shape == (178, 13)
    assert set(collection.labels()) == {"0", "1", "2"}
    assert "column 1" not in collection.feature_names


def test_label_column_override_and_none(iris_csv):
    by_name = scan([iris_csv], label_column="petal width (cm)")
    assert by_name.labels()[0] == "0.2"
    assert "species=setosa" in by_name.feature_names and "petal width (cm)" not in by_name.feature_names

    none = scan([iris_csv], label_column="")
    assert none.labels() == [None] * 150
    assert none.feature_names[-3:] == ["species=setosa", "species=versicolor", "species=virginica"]
    assert none.table_features.shape == (150, 7)

    case_insensitive = scan([iris_csv], label_column="SPECIES")
    assert case_insensitive.labels()[0] == "setosa"


def test_missing_label_column_is_an_error_for_that_file(iris_csv, tmp_path):
    other = tmp_path / "other.csv"
    other.write_text("kind,x\na,1\nb,2\n")
    collection = scan([iris_csv, other], label_column="species")
    assert len(collection) == 150
    (problem,) = collection.problems
    assert problem.path == other and problem.severity == "error"
    assert "'species' is not in this file" in problem.message and "'kind'" in problem.message


def test_identifier_category_and_wordy_columns(tmp_path):
    rng = np.random.default_rng(1)
    n = 60
    frame = pd.DataFrame(
        {
            "name": [f"item{i}" for i in range(n)],
            "height": rng.normal(size=n),
            "colour": rng.choice(["red", "green", "blue"], n),
            "comment": [f"note {i % 40}" for i in range(n)],
            "Class": rng.choice(["a", "b"], n),
        }
    )
    path = tmp_path / "things.csv"
    frame.to_csv(path, index=False)
    collection = scan([path])
    assert collection.feature_names == ["height", "colour=blue", "colour=green", "colour=red"]
    assert [it.name for it in collection.items[:2]] == ["item0", "item1"]
    assert collection.labels() == frame["Class"].tolist()
    np.testing.assert_array_equal(collection.table_features[:, 1:].sum(axis=1), np.ones(n))
    note = collection.notes[0]
    assert "'comment'" in note and "left out" in note and "named by 'name'" in note


def test_several_table_files_align_by_column_name(tmp_path):
    (tmp_path / "a.csv").write_text("x,y,kind\n1,2,p\n3,4,q\n5,6,p\n")
    (tmp_path / "b.csv").write_text("y,z,kind\n10,20,p\n30,40,r\n50,60,r\n")
    collection = scan([tmp_path], label_column="")
    assert collection.feature_names == ["x", "y", "kind=p", "kind=q", "z", "kind=r"]
    expected = [
        [1, 2, 1, 0, 40, 0],  # z filled with the median of b.csv
        [3, 4, 0, 1, 40, 0],
        [5, 6, 1, 0, 40, 0],
        [3, 10, 1, 0, 20, 0],  # x filled with the median of a.csv; absent categories are 0
        [3, 30, 0, 0, 40, 1],
        [3, 50, 0, 0, 60, 1],
    ]
    np.testing.assert_allclose(collection.table_features, expected)
    warned = {p.path.name: p.message for p in collection.problems if p.severity == "warning"}
    assert "'z'" in warned["a.csv"] and "'x'" in warned["b.csv"]
    assert any("2 table files combined" in n for n in collection.notes)


def test_tsv_and_headerless_numbers(tmp_path):
    tsv = tmp_path / "t.tsv"
    tsv.write_text("a\tb\n1.5\t2\n3\t4\n")
    plain = tmp_path / "plain.csv"
    plain.write_text("1,2,3\n4,5,6\n7,8,9\n")
    collection = scan([tsv, plain])
    assert collection.csv_files[tsv].delimiter == "\t"
    assert collection.csv_files[plain].header is False
    assert collection.feature_names == ["a", "b", "column 1", "column 2", "column 3"]
    assert collection.table_features.shape == (5, 5)
    np.testing.assert_allclose(collection.table_features[2:, 2:], [[1, 2, 3], [4, 5, 6], [7, 8, 9]])


def test_forcing_table_on_a_series_shaped_file(tmp_path):
    path = tmp_path / "signal.csv"
    path.write_text("value\n" + "\n".join(str(np.sin(i / 3)) for i in range(50)) + "\n")
    assert scan([path]).modalities == ["timeseries"]
    forced = scan([path], csv_kind="table")
    assert forced.modalities == ["table"] and len(forced) == 50


def test_big_numeric_table_loads_fast(tmp_path):
    import time

    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(100_000, 64)).round(4), columns=[f"f{i}" for i in range(64)])
    path = tmp_path / "big.csv"
    frame.to_csv(path, index=False)
    start = time.perf_counter()
    collection = scan([path])
    elapsed = time.perf_counter() - start
    assert collection.table_features.shape == (100_000, 64)
    np.testing.assert_allclose(collection.table_features[-1], frame.to_numpy()[-1])
    assert elapsed < 10, f"100 000 x 64 table took {elapsed:.1f} s"
