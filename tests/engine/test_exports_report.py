"""Exports write what they say and nothing else; the HTML report holds every cluster and its pictures."""

import base64
import csv
import hashlib
import io
import os
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from engine import export
from engine.pipeline import Spec, run
from engine.report import write_report
from engine.store import load, save

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "resources" / "demo"
ODD = '<b>&"odd"'
LATIN1 = os.fsdecode(b"caf\xe9")  # a name that is not UTF-8, as Linux hands it to Python


class Page(HTMLParser):
    """What a browser would see: sections by id, tags used, image sources and the visible text."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.sections, self.tags, self.images, self.text = [], [], [], []
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append(tag)
        if tag == "div" and attrs.get("class") == "cluster":
            self.sections.append(attrs.get("id"))
        if tag == "img":
            self.images.append(attrs["src"])

    def handle_data(self, data):
        self.text.append(data)


def _pngs(page: Page) -> list[Image.Image]:
    """Every image of the page decoded: each must be a data URI holding a real PNG."""
    pictures = []
    for src in page.images:
        head, data = src.split(",", 1)
        assert head == "data:image/png;base64"
        raw = base64.b64decode(data, validate=True)
        assert raw.startswith(b"\x89PNG\r\n\x1a\n")
        pictures.append(Image.open(__import__("io").BytesIO(raw)))
    return pictures


def _hashes(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def image_result(tmp_path_factory):
    """Reds and blues in two folders, with file names that hold markup and non-UTF-8 bytes."""
    folder = tmp_path_factory.mktemp("photos")
    rng = np.random.default_rng(0)
    for colour, name in (((220, 30, 30), "reds"), ((30, 30, 220), "blues")):
        (folder / name).mkdir()
        for i in range(6):
            pixels = np.clip(np.array(colour) + rng.normal(0, 20, (24, 32, 3)), 0, 255).astype(np.uint8)
            stem = f"{ODD}{i}" if i == 0 else f"{LATIN1}{i}" if i == 1 else f"{name}{i}"
            Image.fromarray(pixels).save(folder / name / f"{stem}.png")
    (folder / "reds" / "palette.xyz").write_text("a file of a kind not read")
    return run(Spec(paths=(str(folder),), use_cache=False, embedder="image-pixels", k=2))


def test_the_report_has_every_cluster_with_its_name_and_thumbnails_and_escapes_file_names(
    image_result, tmp_path
):
    view = {"names": {"0": ODD, "1": "blues"}, "colours": {"1": [0, 0, 255]}}
    write_report(image_result, tmp_path / "report.html", view)
    page = Page((tmp_path / "report.html").read_text(encoding="utf-8"))
    assert page.sections == ["cluster-0", "cluster-1"]
    assert "b" not in page.tags  # the markup in names and file names stayed text
    text = "".join(page.text)
    assert ODD in text and "blues" in text and "caf\\xe9" in text
    pictures = _pngs(page)
    thumbnails = [p for p in pictures if max(p.size) <= 96]
    assert len(thumbnails) == 12 and all(p.mode in ("RGB", "P", "RGBA") for p in thumbnails)
    assert max(p.size[0] for p in pictures) >= 800  # the map
    assert "Problems (0)" in text and "Skipped: 1 file of kinds not read (.xyz 1)." in text


def _series_result(folder: Path):
    shutil.copy(DEMO / "timeseries" / "sensors.csv", folder / "sensors.csv")
    return run(Spec(paths=(str(folder),), use_cache=False, embedder="ts-resampled", algorithm="gmm", k=3))


def _audio_result(folder: Path, write_tone):
    for i in range(4):
        write_tone(folder / f"low{i}.wav", 0.5, 220 + 5 * i)
        write_tone(folder / f"high{i}.wav", 0.5, 3000 + 50 * i)
    return run(Spec(paths=(str(folder),), use_cache=False, embedder="audio-mfcc", k=2))


def _table_result(folder: Path):
    shutil.copy(DEMO / "tables" / "customers.csv", folder / "customers.csv")
    return run(Spec(paths=(str(folder),), use_cache=False, algorithm="dbscan", detector="ecod"))


@pytest.mark.parametrize("modality", ["timeseries", "text", "audio", "table"])
def test_each_modality_shows_its_own_kind_of_example(modality, tmp_path, write_tone, two_topic_texts):
    (tmp_path / "in").mkdir()
    build = {"timeseries": _series_result, "text": two_topic_texts, "table": _table_result}
    result = (
        _audio_result(tmp_path / "in", write_tone)
        if modality == "audio"
        else build[modality](tmp_path / "in")
    )
    write_report(result, tmp_path / "report.html")
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    page = Page(html)
    clusters = sorted(set(result.labels.tolist()))
    assert page.sections == [f"cluster-{c}" for c in sorted(clusters, key=lambda c: (c < 0, c))]
    pictures = _pngs(page)
    if modality in ("timeseries", "audio"):
        assert len(pictures) >= 1 + len(clusters)  # the map, then a plot or spectrogram per cluster
    if modality == "text":
        assert html.count("class='snippet'") >= 2 and "Second line about football" in html
    if modality == "table":
        assert html.count("cluster mean") == len(clusters) and "k-distance curve" in html
        assert "Outliers (ecod" in html


def test_exports_write_what_they_say_and_never_touch_the_input(image_result, tmp_path):
    source = Path(image_result.spec.paths[0])
    before = _hashes(source)
    out = tmp_path / "out"
    names = {0: "red/ones: *", 1: "CON"}
    export.write_assignments(image_result, out / "all.csv", names=names)
    export.write_assignments(image_result, out / "some.csv", rows=[5, 1, 1])
    copied = export.copy_cluster_files(image_result, out / "copies", names)
    linked = export.copy_cluster_files(image_result, out / "links", link=True, rows=[0, 1])
    write_report(image_result, out / "report.html")
    save(image_result, out / "p.dm6")
    export.write_scatter_png(image_result, out / "map.png")
    assert _hashes(source) == before  # byte-identical, and no file added
    assert copied == 12 and linked == 2
    assert sorted(p.name for p in (out / "copies").iterdir()) == ["_CON", "red_ones_ _"]
    written = {str(p.relative_to(out)).split("/")[0] for p in out.rglob("*")}
    assert written == {"all.csv", "some.csv", "copies", "links", "report.html", "p.dm6", "map.png"}
    links = [p for p in (out / "links").rglob("*") if p.is_file()]
    assert all(p.is_symlink() and p.resolve().parent.parent == source.resolve() for p in links)
    copies = [p for p in (out / "copies").rglob("*.png")]
    assert not any(p.is_symlink() for p in copies)
    pictures = [digest for name, digest in before.items() if name.endswith(".png")]
    assert sorted(_hashes(out / "copies").values()) == sorted(pictures)  # the skipped .xyz is not copied
    loaded, _ = load(out / "p.dm6")
    assert not [p for p in loaded.problems if p.stage == "project"]


def test_copying_again_never_overwrites_and_a_missing_file_is_skipped(image_result, tmp_path):
    first = export.copy_cluster_files(image_result, tmp_path, rows=[2, 3])
    again = export.copy_cluster_files(image_result, tmp_path, rows=[2, 3])
    files = sorted(p.name for p in tmp_path.rglob("*.png"))
    assert first == again == 2 and len(files) == 4
    assert sum(" (2)" in f for f in files) == 2


def test_assignments_of_the_selection_with_names_and_known_labels(image_result, tmp_path):
    export.write_assignments(image_result, tmp_path / "a.csv", rows=[3, 0], names={0: "=SUM(A1)"})
    with open(tmp_path / "a.csv", encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["item", "path", "row", "cluster", "cluster_name", "known_label", "x", "y"]
    items = image_result.analysed.items
    assert [r["path"] for r in rows] == [export.escape_text(str(items[i].path)) for i in (0, 3)]
    assert {r["known_label"] for r in rows} <= {"reds", "blues"}
    named = [r for r in rows if r["cluster"] == "0"]
    assert all(r["cluster_name"] == "'=SUM(A1)" for r in named)  # never run as a formula
    with pytest.raises(ValueError):
        export.write_assignments(image_result, tmp_path / "b.csv", rows=[99])


def test_exported_csv_files_carry_a_utf8_mark_so_excel_keeps_accents(image_result, tmp_path):
    # Without the mark Excel reads the file in the system's code page: "Café" became "CafÃ©".
    export.write_assignments(image_result, tmp_path / "a.csv", names={0: "Café crème"})
    export.write_clusters(image_result, tmp_path / "c.csv")
    export.write_problems([], tmp_path / "p.csv")
    import pandas as pd

    from engine.ingest.csv_reader import read_csv

    starts = [(tmp_path / name).read_bytes()[:8] for name in ("a.csv", "c.csv", "p.csv")]
    assert starts == [b"\xef\xbb\xbf" + head for head in (b"item,", b"clust", b"path,")]
    assert "Café crème" in (tmp_path / "a.csv").read_text(encoding="utf-8-sig")
    assert list(pd.read_csv(tmp_path / "a.csv").columns)[0] == "item"  # pandas skips the mark
    assert list(read_csv(tmp_path / "a.csv").frame.columns)[0] == "item"  # and so does our reader


def test_folder_names_are_safe_everywhere():
    assert export.folder_name('a/b\\c:d*e?f"g<h>i|j', "x") == "a_b_c_d_e_f_g_h_i_j"
    assert export.folder_name(" .. ", "cluster 3") == "cluster 3"
    assert export.folder_name("nul.txt", "x") == "_nul.txt"
    assert export.folder_name(LATIN1, "x") == "caf_xe9"  # the backslash of \\xe9 is unsafe on Windows
    assert len(export.folder_name("y" * 500, "x")) == 100


def test_the_reports_k_curve_draws_each_measured_score_stability_included():
    from types import SimpleNamespace

    from engine.report_figures import k_curve_plot

    unmeasured = SimpleNamespace(ks=[2, 3, 4], best_k=3, silhouette=[None] * 3, stability=[None] * 3)
    assert k_curve_plot(unmeasured) is None
    stable = SimpleNamespace(ks=[2, 3, 4], best_k=3, silhouette=[None] * 3, stability=[1.0, 0.9, None])
    one = Image.open(io.BytesIO(k_curve_plot(stable)))
    both = SimpleNamespace(**{**vars(stable), "silhouette": [0.5, 0.4, 0.3]})
    two = Image.open(io.BytesIO(k_curve_plot(both)))
    assert one.size == two.size and np.asarray(one).std() > 0
    assert np.abs(np.asarray(one, float) - np.asarray(two, float)).mean() > 1  # a second panel appears


def test_the_reports_scores_are_named_and_explained_and_its_threshold_reads_plainly(tmp_path):
    # The report listed raw keys ("davies_bouldin 1.514") and Isolation Forest's zero threshold as
    # "-1.908e-17"; it now reads like the window's Summary.
    shutil.copy(DEMO / "tables" / "customers.csv", tmp_path / "customers.csv")
    result = run(Spec(paths=(str(tmp_path),), use_cache=False, k=3, detector="iforest"))
    write_report(result, tmp_path / "report.html")
    text = "".join(Page((tmp_path / "report.html").read_text(encoding="utf-8")).text)
    assert "Davies-Bouldin" in text and "≥ 0, lower is better" in text and "davies_bouldin" not in text
    assert "ARI (vs. labels)" in text and "Known labels" in text and "Outliers at the threshold" in text
    threshold = re.search(r"Outliers \(iforest, threshold (\S+)\)", text).group(1)
    assert "e" not in threshold and float(threshold) == pytest.approx(result.anomaly.threshold, abs=1e-3)
