"""Image clusters named by what an ImageNet classifier sees in their most typical pictures.

The packaged EfficientNet-Lite0 carries its 1000-class head, inside its ONNX export too (so the
lean app, without PyTorch, names them alike); it runs on at most :data:`SAMPLE` typical images
per cluster, so naming costs seconds, not minutes. On pictures far
from ImageNet's photos (small grayscale thumbnails, drawings) the head guesses with low
confidence (28x28 boots came out as "hatchet"): below :data:`MIN_CONFIDENCE` the cluster is
described by how its pictures look instead, in the words in which it differs most from the other
clusters (:data:`PICTURE_FEATURES`: "lined, detailed", "dark, smooth"), as table clusters are
named by their columns; when nothing sets it apart it keeps its typical member's name.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from engine.naming import STAGE, NamerUnavailable, Naming
from engine.naming.features import Feature, contrasts
from engine.progress import CancelToken, Progress
from engine.resources import resource_path

if TYPE_CHECKING:
    from PIL import Image

    from engine.naming import Clustered

SAMPLE = 8
"""Most typical images per cluster shown to the classifier (16 took 3-5 s per cluster on a busy
two-core machine; 8 name the clusters alike)."""
MIN_CONFIDENCE = 0.15
"""Mean probability the top class needs over the sample for the cluster to be named after it."""
RUNNER_UP = 0.5
"""A second class joins the name when its mean probability is at least this share of the first's."""
N_KEYWORDS = 5
CLASSES_FILE = "imagenet_classes.txt"


@lru_cache(maxsize=1)
def imagenet_classes() -> tuple[str, ...]:
    """The 1000 ImageNet class names in the head's order, from ``resources/imagenet_classes.txt``.

    A copy of torchvision's labels (build_scripts/imagenet_classes.py writes it), so the app
    names image clusters without torchvision or PyTorch.
    """
    path = resource_path(CLASSES_FILE)
    try:
        classes = tuple(path.read_text(encoding="utf-8").splitlines())
    except OSError as error:
        raise NamerUnavailable(f"the ImageNet class names ({path}) could not be read: {error}") from error
    if len(classes) != 1000:
        raise NamerUnavailable(f"{path} holds {len(classes)} ImageNet class names instead of 1000")
    return classes


def name_from_probabilities(probabilities: np.ndarray) -> Naming | None:
    """A cluster's name from its sample's class probabilities (images x 1000); None when unsure."""
    if len(probabilities) == 0:
        return None
    mean = probabilities.mean(axis=0)
    best = np.argsort(-mean, kind="stable")[:N_KEYWORDS]
    if mean[best[0]] < MIN_CONFIDENCE:
        return None
    classes = imagenet_classes()
    in_name = [j for j in best[:2] if mean[j] >= RUNNER_UP * mean[best[0]]]
    return Naming(", ".join(classes[j] for j in in_name), tuple(classes[j] for j in best))


PICTURE_FEATURES = [
    Feature("bright", "dark"),
    Feature("colourful", "grey", high_from=0.23, low_to=0.06),
    Feature("reddish", "greenish", high_from=0.04, low_to=-0.04),
    Feature("yellowish", "bluish", high_from=0.04, low_to=-0.04),
    Feature("lined", "", high_from=0.5),
    Feature("detailed", "smooth"),
    Feature("high-contrast", "low-contrast"),
]
"""In the order of :func:`picture_features`. Colourfulness is Hasler and Suesstrunk's (2003) measure
on a 0-1 scale: below 0.06 they call a picture not colourful, from 0.23 quite colourful."""


def picture_features(picture: Image.Image) -> np.ndarray:
    """Brightness, colourfulness, red-green and yellow-blue casts, lines, detail and contrast.

    Lines are the coherence of the brightness gradients' directions (1 when they all point one
    way, as in stripes or a single stroke; near 0 for photos and noise); detail is the mean
    gradient on a 128-pixel square, so that it does not depend on the picture's size.
    """
    rgb = np.asarray(picture.convert("RGB").resize((128, 128)), dtype=np.float64) / 255.0
    red, green, blue = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    luma = 0.299 * red + 0.587 * green + 0.114 * blue
    rg, yb = red - green, (red + green) / 2 - blue
    colourful = np.hypot(rg.std(), yb.std()) + 0.3 * np.hypot(rg.mean(), yb.mean())
    gy, gx = np.gradient(luma)
    xx, yy, xy = (gx * gx).mean(), (gy * gy).mean(), (gx * gy).mean()
    coherence = np.hypot(xx - yy, 2 * xy) / (xx + yy) if xx + yy > 1e-12 else 0.0
    detail = np.hypot(gx, gy).mean()
    return np.array([luma.mean(), colourful, rg.mean(), yb.mean(), coherence, detail, luma.std()])


def name_images(
    result: Clustered, order: dict[int, np.ndarray], progress: Progress, cancel: CancelToken
) -> dict[int, Naming | None]:
    """Each cluster named by the classes the head predicts most for its typical images."""
    from engine.embed import get_embedder

    options = {"device": result.spec.device}
    if result.spec.model and result.embedder == "image-efficientnet":
        options["model"] = result.spec.model
    classifier = get_embedder("image-efficientnet", "image", **options)
    ready = classifier.readiness()
    if not ready.ready:
        raise NamerUnavailable(f"the image classifier is not ready: {ready.message}")
    items = result.analysed.items
    found: dict[int, Naming | None] = {}
    looks: list[np.ndarray] = []
    members: dict[int, np.ndarray] = {}
    for done, (cluster, rows) in enumerate(order.items()):
        cancel.raise_if_cancelled()
        pictures = []
        for row in rows[:SAMPLE]:
            try:
                pictures.append(classifier.load(items[int(row)], result.analysed))
            except Exception:  # noqa: BLE001, S112 - changed since the run: the other pictures still name it
                continue
        found[cluster] = name_from_probabilities(classifier.classify(pictures)) if pictures else None
        members[cluster] = np.arange(len(looks), len(looks) + len(pictures))
        looks += [picture_features(p) for p in pictures]
        progress(STAGE, done + 1, len(order))
    unsure = [c for c, naming in found.items() if naming is None and len(members[c])]
    if unsure and len(members) > 1:
        described = contrasts(np.array(looks), PICTURE_FEATURES, {c: m for c, m in members.items() if len(m)})
        found |= {c: described[c] for c in unsure}
    return found
