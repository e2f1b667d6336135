"""The pipeline end to end on the bundled demo data and on generated tables."""

from pathlib import Path

import numpy as np
import pytest

from engine.pipeline import PipelineError, Spec, run, stage_key
from engine.progress import Cancelled, CancelToken

DEMO = Path(__file__).resolve().parents[2] / "resources" / "demo"


@pytest.fixture(scope="module")
def demo_table_result():
    return run(Spec(paths=(str(DEMO / "tables"),)))


def test_demo_table_finds_the_three_segments(demo_table_result):
    r = demo_table_result
    assert r.modality == "table"
    assert len(r.analysed.items) == 300
    assert r.embeddings.shape[0] == r.labels.shape[0] == r.coords.shape[0] == 300
    assert r.embeddings.dtype == np.float32 and r.coords.shape == (300, 2)
    assert r.n_clusters == 3  # chosen automatically by silhouette
    assert r.metrics["ari"] > 0.9 and r.metrics["n_classes"] == 3
    assert r.k_curve is not None and r.k_curve.best_k == 3


def test_demo_time_series_are_grouped_by_shape():
    r = run(Spec(paths=(str(DEMO / "timeseries"),), k=3))
    assert r.modality == "timeseries" and len(r.analysed.items) == 120
    assert r.metrics["ari"] > 0.8


def test_changing_k_reclusters_without_reading_or_embedding_again(demo_table_result):
    first = demo_table_result
    second = run(first.spec.replace(k=5), previous=first)
    assert "ingest" not in second.timings and "embed" not in second.timings and "layout" not in second.timings
    assert "cluster" in second.timings
    assert second.embeddings is first.embeddings and second.coords is first.coords
    assert second.n_clusters == 5 and second.k_curve is None


def test_stage_keys_follow_the_spec_fields():
    spec = Spec(paths=("a",))
    assert stage_key(spec, "cluster") != stage_key(spec.replace(k=4), "cluster")
    assert stage_key(spec, "embed") == stage_key(spec.replace(k=4), "embed")
    assert stage_key(spec, "layout") == stage_key(spec.replace(k=4), "layout")
    assert stage_key(spec, "ingest") != stage_key(spec.replace(paths=("b",)), "ingest")


def test_progress_reports_every_stage():
    seen = []
    run(Spec(paths=(str(DEMO / "tables"),), k=3), progress=lambda s, d, t: seen.append((s, d, t)))
    stages = {s.split(" (")[0] for s, _, _ in seen}  # "embed (table-standardized)" counts as embed
    assert {"ingest", "embed", "layout", "done"} <= stages
    assert all(0 <= d <= t for _, d, t in seen)


def test_cancel_stops_the_run():
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        run(Spec(paths=(str(DEMO / "tables"),)), cancel=token)


def test_nothing_to_analyse_is_a_clear_error(tmp_path):
    with pytest.raises(PipelineError, match="No usable items"):
        run(Spec(paths=(str(tmp_path),)))
    with pytest.raises(PipelineError, match="add a folder"):
        run(Spec())


def test_a_csv_read_as_one_time_series_says_how_to_cluster_its_rows(tmp_path):
    readings = tmp_path / "readings.csv"
    readings.write_text("value\n" + "\n".join(f"{(i * 37) % 11}.5" for i in range(40)) + "\n")
    with pytest.raises(PipelineError, match=r"Only 1 usable timeseries item.*--csv-kind table"):
        run(Spec(paths=(str(readings),), use_cache=False))
    assert len(run(Spec(paths=(str(readings),), csv_kind="table", use_cache=False)).analysed.items) == 40


def test_missing_modality_is_a_clear_error():
    with pytest.raises(PipelineError, match="No image items"):
        run(Spec(paths=(str(DEMO / "tables"),), modality="image"))


def test_spec_round_trips_through_a_dict():
    spec = Spec(paths=("x", "y"), k=4, label_column="")
    assert Spec.from_dict(spec.to_dict()) == spec


def test_a_folder_of_several_kinds_says_which_kind_was_clustered_and_how_to_pick_another(tmp_path):
    # The other kinds used to get only "48 audio file(s) found; their content is read when embedding".
    from PIL import Image

    rows = "\n".join(f"{i % 3 * 5 + i * 0.01},{i % 3 * 2}" for i in range(30))
    (tmp_path / "t.csv").write_text("a,b\n" + rows + "\n")
    for i in range(4):
        Image.new("RGB", (16, 16), (i * 60, 0, 0)).save(tmp_path / f"p{i}.png")
    result = run(Spec(paths=[tmp_path], k=2, embedder="table-standardized"))
    assert result.modality == "table"
    note = next(n for n in result.notes if n.startswith("The input holds"))
    assert "30 table and 4 image items; this run clusters the 30 table items" in note
    assert "(image)" in note and "--modality" in note
    images = run(Spec(paths=[tmp_path], k=2, modality="image", embedder="image-pixels"))
    assert "this run clusters the 4 image items. To cluster the others (table)" in " ".join(images.notes)
    # How t.csv was read concerns its rows only: the image run does not repeat it.
    assert any(n.startswith("t.csv: read as a table") for n in result.notes)
    assert not any(n.startswith("t.csv") for n in images.notes)
    alone = run(Spec(paths=[tmp_path / "t.csv"], k=2))
    assert not any(n.startswith("The input holds") for n in alone.notes)


def test_the_demo_tables_run_does_not_describe_the_series_files_and_back():
    demo = Path(__file__).resolve().parents[2] / "resources" / "demo"
    tables = run(Spec(paths=[str(demo)], modality="table", k=3))
    series = run(Spec(paths=[str(demo)], modality="timeseries", k=3), previous=tables)
    assert any(n.startswith("customers.csv") for n in tables.notes)
    assert not any("sensors.csv" in n for n in tables.notes)
    assert any(n.startswith("sensors.csv") for n in series.notes)
    assert not any(n.startswith("customers.csv") for n in series.notes)
