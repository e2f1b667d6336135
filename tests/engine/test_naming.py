"""Cluster names: keywords of documents, ImageNet classes of pictures, distinctive features of
tables, series and sounds; typical items; naming that never fails a run; matching clusters."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engine import naming
from engine.cluster import Clustering
from engine.items import Collection, Item
from engine.naming import ClusterName, match_labels, name_clusters
from engine.naming.text import class_tfidf
from engine.pipeline import Result, Spec, run

DEMO = Path(__file__).resolve().parents[2] / "resources" / "demo"
SITE = Path(np.__file__).resolve().parents[1]


def result_of(items: list[Item], labels, embeddings=None, **collection) -> Result:
    """A Result of given items and labels, as the pipeline would hand it to the namers."""
    labels = np.asarray(labels)
    if embeddings is None:
        embeddings = np.eye(labels.max() + 1)[labels] + 0.01 * np.arange(len(labels))[:, None]
    analysed = Collection(items=items, **collection)
    return Result(
        spec=Spec(paths=("x",)),
        collection=analysed,
        analysed=analysed,
        modality=items[0].modality,
        embedder="test",
        embeddings=np.asarray(embeddings, dtype=np.float32),
        clustering=Clustering(labels=labels),
        coords=np.zeros((len(labels), 2), dtype=np.float32),
    )


def files(folder: Path, modality: str, contents: dict[str, object]) -> list[Item]:
    folder.mkdir(exist_ok=True)
    items = []
    for i, (name, content) in enumerate(contents.items()):
        path = folder / name
        if isinstance(content, str):
            path.write_text(content)
        else:
            content.save(path)
        items.append(Item(id=i, path=path, modality=modality))
    return items


HOCKEY = [
    "The hockey team won the game on the ice; the goalie stopped every puck.",
    "Our hockey team lost the game, but the team played well on the ice.",
    "A hockey game needs skates, a puck and a team that passes.",
    "The goalie of the hockey team was the star of the game.",
]
COOKING = [
    "Bake the bread in a hot oven; the dough needs flour, water and salt.",
    "Knead the dough, let the bread rise, then bake it in the oven.",
    "Fresh bread from the oven: flour, yeast and a slow rising dough.",
    "The recipe for this bread uses rye flour and a sour dough.",
]


def test_document_clusters_are_named_by_their_class_tfidf_keywords(tmp_path):
    texts = {f"h{i}.txt": t for i, t in enumerate(HOCKEY)} | {f"c{i}.md": t for i, t in enumerate(COOKING)}
    items = files(tmp_path, "text", texts)
    names = name_clusters(result_of(items, [0] * 4 + [1] * 4))
    hockey, cooking = names
    assert set(hockey.name.split(", ")) <= {"hockey", "team", "game", "goalie", "ice"}
    assert set(hockey.keywords[:3]) == {"hockey", "team", "game"}  # "team" is the most frequent
    assert set(cooking.name.split(", ")) <= {"bread", "dough", "oven", "flour", "bake"}
    assert not set(hockey.keywords) & set(cooking.keywords)
    assert "the" not in hockey.keywords  # stop words never name a cluster
    assert hockey.typical[0] in range(4) and len(hockey.typical) == 4


def test_a_word_from_one_document_only_does_not_name_the_cluster():
    docs = {0: ["zamboni zamboni zamboni zamboni hockey"] + ["hockey team"] * 4, 1: ["bread dough"] * 5}
    keywords = class_tfidf(docs)
    assert keywords[0][0] == "hockey" and "zamboni" not in keywords[0]


@pytest.mark.slow
def test_image_clusters_are_named_by_the_classifier_head_or_their_look(tmp_path):
    from PIL import Image, ImageOps

    photos = {
        "china": SITE / "sklearn/datasets/images/china.jpg",  # a temple on a lake
        "flower": SITE / "sklearn/datasets/images/flower.jpg",
    }
    pictures: dict[str, object] = {}
    for name, path in photos.items():
        image = Image.open(path).convert("RGB")
        w, h = image.size
        variants = [image, ImageOps.mirror(image), image.crop((w // 10, h // 10, w, h))]
        pictures |= {f"{name}_{i}.jpg": v for i, v in enumerate(variants)}
    for i in range(3):  # small grayscale drawings: far from ImageNet, the head is unsure
        block = np.zeros((28, 28), np.uint8)
        block[5 + i : 20, 8 : 22 - i] = 200
        pictures[f"shape_{i}.png"] = Image.fromarray(block)
    items = files(tmp_path, "image", pictures)
    names = name_clusters(result_of(items, [0] * 3 + [1] * 3 + [2] * 3))
    assert names[0].name.split(", ")[0] == "palace" and names[0].keywords[0] == "palace"
    assert names[1].name.split(", ")[0] == "daisy"
    assert "grey" in names[2].keywords and not names[2].name.startswith("like ")  # unsure: described


def _pictures() -> dict[str, object]:
    """Three looks far from ImageNet: dark grey blurs, bright coloured stripes, mid-grey noise."""
    from PIL import Image

    rng = np.random.default_rng(0)
    x = np.arange(96)
    out: dict[str, object] = {}
    for i in range(4):
        blur = np.full((96, 96), 30 + 3 * i, np.uint8)
        stripes = np.zeros((96, 96, 3), np.uint8)
        stripes[:, (x // (6 + i)) % 2 == 0] = (250, 200, 30)
        stripes[:, (x // (6 + i)) % 2 == 1] = (40, 90, 250)
        noise = rng.integers(90, 160, size=(96, 96)).astype(np.uint8)
        out |= {f"blur{i}.png": Image.fromarray(blur), f"stripes{i}.png": Image.fromarray(stripes)}
        out[f"noise{i}.png"] = Image.fromarray(noise)
    return out


def test_picture_features_measure_what_their_words_say():
    from engine.naming.images import PICTURE_FEATURES, picture_features

    words = [f.high for f in PICTURE_FEATURES]
    look = {
        name.rstrip(".png0123456789"): dict(zip(words, picture_features(p), strict=True))
        for name, p in _pictures().items()
    }
    assert look["stripes"]["lined"] > 0.9 > 0.2 > look["noise"]["lined"]
    assert look["stripes"]["colourful"] > 0.23 and look["blur"]["colourful"] < 0.06
    assert look["blur"]["bright"] < 0.2 < look["noise"]["bright"]
    assert look["blur"]["detailed"] == 0 < look["stripes"]["detailed"]
    assert look["stripes"]["yellowish"] > 0.04  # more yellow than blue


def test_image_clusters_the_classifier_is_unsure_of_are_described_by_their_look(monkeypatch, tmp_path):
    import engine.embed
    from engine.embed import Readiness
    from engine.ingest.images import open_image

    class Unsure:  # the ImageNet head on pictures unlike its photos: no class above 0.1 %
        def readiness(self):
            return Readiness(True, "test", "")

        def load(self, item, collection):
            return open_image(item.path)

        def classify(self, pictures):
            return np.full((len(pictures), 1000), 1e-3)

    monkeypatch.setattr(engine.embed, "get_embedder", lambda *args, **kwargs: Unsure())
    items = files(tmp_path, "image", _pictures())
    labels = [int(i % 3) for i in range(len(items))]  # blur, stripes, noise in turn
    blur, stripes, noise = name_clusters(result_of(items, labels))
    assert {"dark", "grey", "smooth"} <= set(blur.keywords) and blur.name.startswith(("dark", "grey"))
    assert {"lined", "colourful"} <= set(stripes.keywords) and "grey" not in stripes.keywords
    assert "detailed" in noise.keywords and "lined" not in noise.keywords


def real_photos() -> list:
    """Photos that ship in installed packages, with mirrored and cropped variants: 9 pictures."""
    from PIL import Image, ImageOps

    paths = [SITE / "sklearn/datasets/images/china.jpg", SITE / "sklearn/datasets/images/flower.jpg"]
    paths.append(SITE / "matplotlib/mpl-data/sample_data/grace_hopper.jpg")
    photos = []
    for path in paths:
        image = Image.open(path).convert("RGB")
        w, h = image.size
        photos += [image, ImageOps.mirror(image), image.crop((w // 4, h // 4, w, h))]
    return photos


@pytest.mark.slow  # exports EfficientNet-Lite0 to ONNX once per session when no earlier test did
def test_the_onnx_class_head_gives_the_torch_heads_probabilities_and_names():
    import torch

    from engine.embed import get_embedder
    from engine.naming.images import name_from_probabilities

    photos = real_photos()
    onnx = get_embedder("image-efficientnet", runtime="onnx", device="cpu")
    found = onnx.classify(photos)
    assert onnx.runtime_note == "image-efficientnet ran on ONNX Runtime."
    net = get_embedder("image-efficientnet", runtime="torch", device="cpu")._ensure_model()
    with torch.inference_mode():  # the network's own forward, head included, as the weights define it
        expected = net(torch.from_numpy(onnx._pixels(photos))).softmax(dim=1).numpy()
    assert found.shape == (9, 1000) and np.allclose(found.sum(axis=1), 1.0, atol=1e-5)
    assert np.abs(found - expected).max() < 1e-4
    top = np.argsort(-found, axis=1, kind="stable")[:, :5]
    assert (top == np.argsort(-expected, axis=1, kind="stable")[:, :5]).all()
    for rows in (slice(0, 3), slice(3, 6), slice(6, 9)):
        assert name_from_probabilities(found[rows]) == name_from_probabilities(expected[rows])
    assert name_from_probabilities(found[3:6]).name.startswith("daisy")


def test_imagenet_class_names_are_read_without_importing_torchvision():
    import subprocess
    import sys

    code = (
        "import sys; from engine.naming.images import imagenet_classes as c; n = c(); "
        "print(len(n), n[281], n[985], 'torchvision' in sys.modules, 'torch' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["1000", "tabby", "daisy", "False", "False"]


def test_the_shipped_imagenet_class_names_equal_torchvisions():
    import importlib.util

    from engine.naming.images import imagenet_classes

    if importlib.util.find_spec("torchvision") is None:
        pytest.skip("torchvision, the source of the class names, is not installed")
    script = Path(__file__).resolve().parents[2] / "build_scripts" / "imagenet_classes.py"
    spec = importlib.util.spec_from_file_location("imagenet_classes_script", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    # if this fails, run build_scripts/imagenet_classes.py to write the file again
    assert list(imagenet_classes()) == module.torchvision_classes()


def test_a_missing_or_cut_class_name_file_makes_the_namer_unavailable(monkeypatch, tmp_path):
    from engine.naming import images

    monkeypatch.setattr(images, "resource_path", lambda name: tmp_path / name)
    images.imagenet_classes.cache_clear()
    try:
        with pytest.raises(naming.NamerUnavailable, match="could not be read"):
            images.imagenet_classes()
        (tmp_path / images.CLASSES_FILE).write_text("tench\ngoldfish\n", encoding="utf-8")
        with pytest.raises(naming.NamerUnavailable, match="2 ImageNet class names instead of 1000"):
            images.imagenet_classes()
    finally:
        images.imagenet_classes.cache_clear()


def test_table_clusters_are_named_by_their_most_different_features_with_a_direction():
    rng = np.random.default_rng(0)
    features = rng.normal(size=(60, 4))
    features[:20, 0] += 3.0  # cluster 0: high proline, low hue
    features[:20, 1] -= 2.0
    features[20:40, 2] += 2.5  # cluster 1: high alcohol
    items = [Item(id=i, path=Path("wine.csv"), modality="table", row=i) for i in range(60)]
    labels = np.repeat([0, 1, 2], 20)
    names = name_clusters(
        result_of(items, labels, table_features=features, feature_names=["proline", "hue", "alcohol", "ash"])
    )
    assert names[0].name.startswith("high proline, low hue")
    assert names[1].name.startswith("high alcohol")
    assert "ash" not in names[0].name and "ash" not in names[1].name


def test_a_category_and_a_yes_no_column_are_named_as_such():
    # Was "high member, not region=east, not region=north" for the members from the south.
    rng = np.random.default_rng(0)
    region = np.repeat([0, 1, 2], 20)  # east, north, south
    member = (region == 2).astype(float)
    age = rng.normal(40, 5, 60) + 15 * (region == 0)
    features = np.column_stack([age, member, *(region == r for r in range(3))]).astype(float)
    names = ["age", "member", "region=east", "region=north", "region=south"]
    items = [Item(id=i, path=Path("survey.csv"), modality="table", row=i) for i in range(60)]
    named = name_clusters(result_of(items, region, table_features=features, feature_names=names))
    east, north, south = (n.name for n in named)
    assert south == "member, region=south" and "not region" not in south
    assert "high age" in east and "region=east" in east and "not region" not in east
    assert "not member" in north and "region=north" in north


def test_time_series_clusters_are_named_by_their_shape():
    t = np.linspace(0, 1, 200)
    rng = np.random.default_rng(1)
    periodic = [np.sin(2 * np.pi * 8 * t + p) for p in rng.uniform(0, 6, 10)]
    rising = [5 * t + 0.05 * rng.normal(size=200) for _ in range(10)]
    series = dict(enumerate(periodic + rising))
    items = [Item(id=i, path=Path("s.csv"), modality="timeseries", row=i) for i in range(20)]
    names = name_clusters(result_of(items, np.repeat([0, 1], 10), series=series))
    assert "periodic" in names[0].keywords[:3] and "rising" in names[1].keywords[:3]
    assert "rising" not in names[0].keywords and "periodic" not in names[1].keywords


def test_quiet_series_with_a_few_bursts_are_named_bursty_not_just_noisy():
    # The demo's "bursts" pattern was named "noisy", the word for its quiet stretches.
    t = np.linspace(0, 1, 200)
    rng = np.random.default_rng(2)
    bursts = []
    for _ in range(10):
        x = 0.1 * rng.normal(size=200)
        for centre in rng.uniform(0.1, 0.9, 2):
            x += 3 * np.exp(-(((t - centre) / 0.02) ** 2))
        bursts.append(x)
    periodic = [np.sin(2 * np.pi * 8 * t + p) for p in rng.uniform(0, 6, 10)]
    steps = [np.where(t < c, 0.0, 2.0) + 0.02 * rng.normal(size=200) for c in rng.uniform(0.3, 0.7, 10)]
    series = dict(enumerate(bursts + periodic + steps))
    items = [Item(id=i, path=Path("s.csv"), modality="timeseries", row=i) for i in range(30)]
    names = name_clusters(result_of(items, np.repeat([0, 1, 2], 10), series=series))
    assert names[0].keywords[0] == "bursty"
    assert "bursty" not in names[1].keywords and "bursty" not in names[2].keywords


def test_sound_clusters_are_named_loud_and_low_or_quiet_and_high(tmp_path):
    import soundfile as sf

    sr = 16000
    t = np.arange(sr) / sr
    items = []
    for i in range(8):
        low = i < 4
        signal = (0.8 if low else 0.02) * np.sin(2 * np.pi * (110 if low else 3000) * (1 + 0.01 * i) * t)
        sf.write(tmp_path / f"clip{i}.wav", signal, sr)
        items.append(Item(id=i, path=tmp_path / f"clip{i}.wav", modality="audio"))
    names = name_clusters(result_of(items, np.repeat([0, 1], 4)))
    assert {"loud", "low-pitched"} <= set(names[0].keywords)
    assert {"quiet", "high-pitched"} <= set(names[1].keywords)


def test_noise_is_named_noise_and_duplicate_names_are_told_apart():
    items = [Item(id=i, path=Path(f"f{i}.png"), modality="image") for i in range(6)]
    result = result_of(items, [0, 0, 1, 1, 1, 0])
    result.clustering = Clustering(labels=np.array([-1, 0, 0, 1, 1, 0]))
    result.modality = "unknown"  # no namer: typical members name the clusters
    names = name_clusters(result)
    assert [n.cluster for n in names] == [-1, 0, 1]
    assert names[0].name == "noise" and names[1].name.startswith("like f")
    assert naming._unique(naming.Naming("tabby", ()), {"tabby", "tabby 2"}) == "tabby 3"
    # Look-alike clusters are told apart by their next keyword where they have one.
    lined = naming.Naming("lined, smooth", ("lined", "smooth", "bright", "grey"))
    assert naming._unique(lined, {"lined, smooth"}) == "lined, smooth, bright"
    assert naming._unique(lined, {"lined, smooth", "lined, smooth, bright"}) == "lined, smooth, bright, grey"
    used = {"lined, smooth", "lined, smooth, bright", "lined, smooth, bright, grey"}
    assert naming._unique(lined, used) == "lined, smooth 2"


def test_typical_items_are_those_closest_to_the_cluster_centre():
    vectors = np.array([[0.0], [10.0], [1.0], [2.0], [11.0], [30.0]])
    order = naming.typical_order(vectors, np.array([0, 1, 0, 0, 1, 1]))
    assert order[0].tolist() == [2, 0, 3] and order[1][0] in (1, 4)


def test_the_pipeline_names_clusters_and_reuses_the_names_until_the_clusters_change():
    first = run(Spec(paths=(str(DEMO / "tables"),), k=3))
    assert len(first.names) == 3 and all(isinstance(n, ClusterName) for n in first.names)
    assert "name" in first.timings
    again = run(first.spec.replace(layout="pca", detector="ecod"), previous=first)
    assert "name" not in again.timings and again.names is first.names
    other = run(first.spec.replace(k=4), previous=first)
    assert "name" in other.timings and len(other.names) == 4


def test_cancel_while_naming_ends_the_run():
    from engine.progress import Cancelled, CancelToken

    token = CancelToken()

    def progress(stage, done, total):
        if stage == naming.STAGE:
            token.cancel()

    with pytest.raises(Cancelled):
        run(Spec(paths=(str(DEMO / "tables"),), k=3), progress=progress, cancel=token)


def test_a_failing_namer_never_fails_the_run(monkeypatch):
    from engine.naming import features

    def broken(*args):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(features, "name_tables", broken)
    result = run(Spec(paths=(str(DEMO / "tables"),), k=3, use_cache=False))
    assert [n.name for n in result.names] == ["cluster 0", "cluster 1", "cluster 2"]
    assert all(len(n.typical) == 5 for n in result.names)
    assert any("could not be named (division by zero)" in note for note in result.notes)


def test_an_unavailable_classifier_names_clusters_after_their_typical_items(monkeypatch, tmp_path):
    from engine.embed import Readiness
    from engine.embed.image import EfficientNetLite0

    monkeypatch.setattr(EfficientNetLite0, "readiness", lambda self: Readiness(False, "x", "No weights."))
    items = [Item(id=i, path=tmp_path / f"cat{i}.png", modality="image") for i in range(4)]
    names, note = naming.name_stage(result_of(items, [0, 0, 1, 1]))
    assert [n.name for n in names] == ["like cat0.png", "like cat2.png"]
    assert note and "No weights." in note


def test_new_clusters_are_matched_to_the_old_clusters_they_overlap_most():
    old = np.repeat([0, 1, 2], 30)
    new = old.copy()
    new[old == 0] = 2  # ids permuted
    new[old == 2] = 0
    new[75:] = 3  # k 3 -> 4: the old cluster 2 split in two
    assert match_labels(old, new) == {2: 0, 1: 1, 0: 2}
    assert match_labels(old, np.arange(90) % 4) == {}  # unrelated: nothing inherited
    noisy = new.copy()
    noisy[:5] = -1
    assert match_labels(old, noisy)[2] == 0  # noise is never matched
    with pytest.raises(ValueError):
        match_labels(old, new[:10])
