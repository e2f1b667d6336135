"""Time-series CSV files: wide (a series per row), long (id, time, value) and one series per file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_iris

from engine.ingest import scan


def series_of(collection) -> list[np.ndarray]:
    return [collection.series[it.id] for it in collection.items]


def test_wide_with_label_column_and_time_step_headers(tmp_path):
    rng = np.random.default_rng(0)
    values = rng.normal(size=(30, 50))
    frame = pd.DataFrame(values, columns=[f"t{i}" for i in range(50)])
    frame.insert(0, "class", ["A" if i % 2 else "B" for i in range(30)])
    path = tmp_path / "wide.csv"
    frame.to_csv(path, index=False)
    collection = scan([path])
    assert collection.modalities == ["timeseries"] and len(collection) == 30
    assert collection.labels() == frame["class"].tolist()
    assert [it.row for it in collection.items] == list(range(30))
    got = series_of(collection)
    assert all(s.shape == (50,) and s.dtype == np.float64 for s in got)
    np.testing.assert_allclose(np.vstack(got), values)
    info = collection.csv_files[path]
    assert info.kind == "timeseries" and info.format == "wide" and info.label_column == "class"
    assert "wide format" in collection.notes[0] and "30 series of length 50" in collection.notes[0]


def test_wide_headerless_with_leading_class_code(tmp_path):
    rng = np.random.default_rng(1)
    values = rng.normal(size=(40, 60))
    classes = np.arange(40) % 3 + 1
    lines = [",".join([str(c)] + [f"{v:.6f}" for v in row]) for c, row in zip(classes, values, strict=True)]
    path = tmp_path / "ucr_TRAIN.csv"
    path.write_text("\n".join(lines) + "\n")
    collection = scan([path])
    assert len(collection) == 40
    assert collection.labels() == [str(c) for c in classes]
    np.testing.assert_allclose(np.vstack(series_of(collection)), values, atol=1e-6)


def test_wide_rows_of_different_lengths_are_trimmed(tmp_path):
    header = "id," + ",".join(f"{i}" for i in range(25))
    rows = [
        "s1," + ",".join(str(i) for i in range(25)),
        "s2," + ",".join(str(i) for i in range(20)) + "," * 5,
    ]
    rows.append("s3," + ",".join("" if i == 7 else str(i) for i in range(25)))
    path = tmp_path / "ragged_lengths.csv"
    path.write_text(header + "\n" + "\n".join(rows) + "\n")
    collection = scan([path])
    got = series_of(collection)
    assert [it.name for it in collection.items] == ["s1", "s2", "s3"]
    assert [len(s) for s in got] == [25, 20, 25]
    assert got[2][7] == pytest.approx(7.0)  # interior gap interpolated
    assert any("interpolation" in p.message for p in collection.problems)


def test_wide_rows_with_numeric_ids_are_named_as_written(tmp_path):
    """Series ids 101, 102... name their series "101", not "101.0"."""
    rng = np.random.default_rng(4)
    lines = ["id," + ",".join(f"t{i}" for i in range(30))]
    lines += [f"{101 + r}," + ",".join(f"{v:.3f}" for v in rng.normal(size=30)) for r in range(12)]
    path = tmp_path / "sensors.csv"
    path.write_text("\n".join(lines) + "\n")
    collection = scan([path])
    assert [it.name for it in collection.items[:3]] == ["101", "102", "103"]


def test_long_format_orders_by_time_and_takes_labels(tmp_path):
    rng = np.random.default_rng(2)
    records = []
    for sid, label in (("u1", "walk"), ("u2", "run"), ("u3", "walk")):
        for t in range(30):
            records.append({"series": sid, "t": t, "value": 100 * int(sid[1]) + t, "label": label})
    frame = pd.DataFrame(records).sample(frac=1.0, random_state=3)  # shuffled rows
    frame = pd.concat([frame[frame.series == "u1"].head(1), frame]).drop_duplicates()
    path = tmp_path / "long.csv"
    frame.to_csv(path, index=False)
    collection = scan([path])
    order = list(dict.fromkeys(frame["series"]))  # ids in order of first appearance
    assert order[0] == "u1" and [it.name for it in collection.items] == order
    assert collection.labels() == [{"u1": "walk", "u2": "run", "u3": "walk"}[sid] for sid in order]
    for sid, s in zip(order, series_of(collection), strict=True):
        np.testing.assert_array_equal(s, 100 * int(sid[1]) + np.arange(30))
    info = collection.csv_files[path]
    assert info.format == "long" and info.id_column == "series" and info.time_column == "t"
    assert "long format" in collection.notes[0]
    del rng


def test_long_format_multivariate(tmp_path):
    lines = ["id,timestamp,x,y"]
    for sid in ("a", "b"):
        for day in range(10):
            lines.append(f"{sid},2024-01-{day + 1:02d},{day},{-day}")
    path = tmp_path / "sensors.csv"
    path.write_text("\n".join(lines) + "\n")
    collection = scan([path])
    assert len(collection) == 2
    first = series_of(collection)[0]
    assert first.shape == (10, 2)
    np.testing.assert_array_equal(first[:, 1], -np.arange(10))


def _series_file(path: Path, values: np.ndarray, header: str = "value") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(header + "\n" + "\n".join(f"{v:.5f}" for v in values) + "\n")


def test_folder_of_class_folders_with_one_series_per_file(tmp_path):
    root = tmp_path / "gestures"
    t = np.linspace(0, 6, 80)
    for label, freq in (("run", 3.0), ("walk", 1.0)):
        for k in range(3):
            _series_file(root / label / f"{k}.csv", np.sin(freq * t + k))
    collection = scan([root])
    assert len(collection) == 6 and collection.modalities == ["timeseries"]
    assert collection.labels() == ["run"] * 3 + ["walk"] * 3
    assert all(s.shape == (80,) for s in series_of(collection))
    np.testing.assert_allclose(series_of(collection)[4], np.sin(t + 1), atol=1e-5)
    assert all(it.row is None for it in collection.items)
    assert len(collection.notes) == 1
    assert "6 CSV files read as one time series each" in collection.notes[0]
    assert collection.csv_files[root / "run" / "0.csv"].format == "file"


def test_one_file_multichannel_series_with_time_column(tmp_path):
    n = 50
    frame = pd.DataFrame(
        {"time": np.arange(n)[::-1] * 0.01, "x": np.arange(n), "y": np.ones(n), "z": np.zeros(n)}
    )
    path = tmp_path / "jump" / "rec.csv"
    path.parent.mkdir()
    frame.to_csv(path, index=False)
    collection = scan([path])
    (series,) = series_of(collection)
    assert series.shape == (n, 3)
    np.testing.assert_array_equal(series[:, 0], np.arange(n)[::-1])  # sorted by time
    assert collection.labels() == ["jump"]


def test_date_and_value_file(tmp_path):
    days = pd.date_range("2024-01-01", periods=40, freq="D")
    path = tmp_path / "prices.csv"
    pd.DataFrame({"date": days.strftime("%Y-%m-%d"), "close": np.arange(40.0)}).to_csv(path, index=False)
    collection = scan([path])
    assert collection.modalities == ["timeseries"]
    np.testing.assert_array_equal(series_of(collection)[0], np.arange(40.0))


def test_several_value_columns_without_time_are_a_table_unless_forced(tmp_path):
    path = tmp_path / "acc.csv"
    rng = np.random.default_rng(4)
    pd.DataFrame(rng.normal(size=(100, 3)), columns=["x", "y", "z"]).to_csv(path, index=False)
    assert scan([path]).modalities == ["table"]
    forced = scan([path], csv_kind="timeseries")
    assert len(forced) == 1 and series_of(forced)[0].shape == (100, 3)


def test_forcing_timeseries_on_a_labelled_table_reads_rows(tmp_path):
    data = load_iris(as_frame=True)
    frame = data.frame.drop(columns="target")
    frame["species"] = [data.target_names[t] for t in data.target]
    path = tmp_path / "iris.csv"
    frame.to_csv(path, index=False)
    collection = scan([path], csv_kind="timeseries")
    assert len(collection) == 150 and collection.modalities == ["timeseries"]
    assert collection.labels()[0] == "setosa"
    np.testing.assert_allclose(series_of(collection)[0], data.data.to_numpy()[0])


def test_missing_values_inside_a_series_file(tmp_path):
    values = [str(float(i)) for i in range(30)]
    values[5] = ""
    values[0] = "NA"
    path = tmp_path / "gappy.csv"
    path.write_text("value\n" + "\n".join(values) + "\n")
    collection = scan([path])
    (series,) = series_of(collection)
    assert np.isfinite(series).all() and series[5] == pytest.approx(5.0) and series[0] == pytest.approx(1.0)
    assert any("2 missing values" in p.message and p.severity == "warning" for p in collection.problems)


def test_series_file_with_label_column_setting_keeps_folder_label(tmp_path):
    _series_file(tmp_path / "calm" / "a.csv", np.zeros(30))
    collection = scan([tmp_path], label_column="species")
    assert collection.labels() == ["calm"] and not collection.problems
