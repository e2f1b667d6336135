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


def test_a_date_column_is_left_out_as_dates_not_as_text(tmp_path):
    """An orders table: its order date is left out, and the note says it is because it holds dates."""
    rng = np.random.default_rng(2)
    n = 80
    days = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 365, n), unit="D")
    frame = pd.DataFrame(
        {
            "order_id": [f"A{1000 + i}" for i in range(n)],
            "order_date": days.strftime("%d/%m/%Y"),
            "amount": rng.normal(100, 20, n).round(2),
            "comment": [f"note {i % 40}" for i in range(n)],
        }
    )
    path = tmp_path / "orders.csv"
    frame.to_csv(path, index=False)
    collection = scan([path])
    assert collection.feature_names == ["amount"]
    note = collection.notes[0]
    assert "date column(s) 'order_date' left out (dates are not features)" in note
    assert "text column(s) 'comment' left out (too many distinct values)" in note


def test_table_files_with_the_same_columns_are_combined_and_categories_aligned(tmp_path):
    (tmp_path / "a.csv").write_text("x,y,kind\n1,2,p\n3,4,q\n5,6,p\n")
    (tmp_path / "b.csv").write_text("y,x,kind\n10,20,p\n30,40,r\n50,60,r\n")  # same columns, other order
    collection = scan([tmp_path], label_column="")
    assert collection.feature_names == ["x", "y", "kind=p", "kind=q", "kind=r"]
    expected = [
        [1, 2, 1, 0, 0],
        [3, 4, 0, 1, 0],
        [5, 6, 1, 0, 0],
        [20, 10, 1, 0, 0],  # categories a file never has are 0 there
        [40, 30, 0, 0, 1],
        [60, 50, 0, 0, 1],
    ]
    np.testing.assert_allclose(collection.table_features, expected)
    assert any("2 table files combined" in n for n in collection.notes)
    assert [g.n_items for g in collection.groups] == [6] and collection.groups[0].analysed


def test_iris_and_wine_in_one_folder_are_two_inputs_never_merged(tmp_path, iris_csv):
    wine = tmp_path / "wine.csv"
    load_wine(as_frame=True).frame.to_csv(wine, index=False)
    collection = scan([tmp_path])
    assert len(collection.items) == 178 and collection.table_features.shape == (178, 13)  # the larger
    assert {it.path for it in collection.items} == {wine}
    groups = [(g.key, g.n_items, g.analysed) for g in collection.groups]
    assert groups == [(str(iris_csv), 150, False), (str(wine), 178, True)]
    assert collection.groups[1].label.startswith("wine.csv: 178 rows (13 columns: alcalinity_of_ash,")
    note = next(n for n in collection.notes if "not merged" in n)
    assert "analysed wine.csv: 178 rows" in note and "left out iris.csv: 150 rows" in note
    assert not [p for p in collection.problems if "median" in p.message]
    assert not [n for n in collection.notes if n.startswith("iris.csv: read as")]  # only the group note

    iris = scan([tmp_path], csv_group="iris.csv")
    assert len(iris.items) == 150 and iris.feature_names == list(load_iris().feature_names)
    assert [it.id for it in iris.items] == list(range(150))
    assert [g.analysed for g in iris.groups] == [True, False]
    assert scan([tmp_path], csv_group=str(wine)).groups[1].analysed


def test_time_series_files_of_different_kinds_are_separate_inputs(tmp_path):
    t = np.arange(40)
    for i in range(3):
        walk = pd.DataFrame({"x": np.sin(t / (i + 2)), "y": np.cos(t)})
        walk.to_csv(tmp_path / f"walk{i}.csv", index=False)
    for i in range(2):
        pd.DataFrame({"temperature": np.sin(t / 3) + i}).to_csv(tmp_path / f"temp{i}.csv", index=False)
    collection = scan([tmp_path], csv_kind="timeseries")
    assert {it.path.name for it in collection.items} == {"walk0.csv", "walk1.csv", "walk2.csv"}
    assert sorted(collection.series) == [0, 1, 2]
    assert all(a.shape == (40, 2) for a in collection.series.values())
    groups = [(g.modality, g.n_items, g.analysed) for g in collection.groups]
    assert groups == [("timeseries", 2, False), ("timeseries", 3, True)]
    assert not [p for p in collection.problems if "different numbers of channels" in p.message]
    temps = scan([tmp_path], csv_kind="timeseries", csv_group="temp1.csv")
    assert {it.path.name for it in temps.items} == {"temp0.csv", "temp1.csv"}


def test_tsv_and_headerless_numbers(tmp_path):
    tsv = tmp_path / "t.tsv"
    tsv.write_text("a\tb\n1.5\t2\n3\t4\n")
    plain = tmp_path / "plain.csv"
    plain.write_text("1,2,3\n4,5,6\n7,8,9\n")
    collection = scan([tsv, plain])
    assert collection.csv_files[tsv].delimiter == "\t"
    assert collection.csv_files[plain].header is False
    assert collection.feature_names == ["column 1", "column 2", "column 3"]  # the larger of two kinds
    np.testing.assert_allclose(collection.table_features, [[1, 2, 3], [4, 5, 6], [7, 8, 9]])
    tsv_only = scan([tsv, plain], csv_group="t.tsv")
    np.testing.assert_allclose(tsv_only.table_features, [[1.5, 2], [3, 4]])


def test_forcing_table_on_a_series_shaped_file(tmp_path):
    path = tmp_path / "signal.csv"
    path.write_text("value\n" + "\n".join(str(np.sin(i / 3)) for i in range(50)) + "\n")
    assert scan([path]).modalities == ["timeseries"]
    forced = scan([path], csv_kind="table")
    assert forced.modalities == ["table"] and len(forced) == 50


def test_big_numeric_table_loads_whole(tmp_path):
    # Its speed is for a benchmark to measure, not a unit test on a shared machine.
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(100_000, 64)).round(4), columns=[f"f{i}" for i in range(64)])
    path = tmp_path / "big.csv"
    frame.to_csv(path, index=False)
    collection = scan([path])
    assert collection.table_features.shape == (100_000, 64)
    np.testing.assert_allclose(collection.table_features[-1], frame.to_numpy()[-1])


def test_numeric_identifiers_name_items_as_written(tmp_path):
    """A whole-number id column names its rows "1088", not "1088.0" (the reader keeps numbers as floats)."""
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"order_id": np.arange(1000, 1050), "amount": rng.normal(size=50), "items": 3})
    path = tmp_path / "orders.csv"
    frame.to_csv(path, index=False)
    collection = scan([path])
    assert "items named by 'order_id'" in collection.notes[0]
    assert [it.name for it in collection.items[:3]] == ["1000", "1001", "1002"]
