"""Image clusters named by what an ImageNet classifier sees in their most typical pictures.

The packaged EfficientNet-Lite0 carries its 1000-class head; it runs on at most
:data:`SAMPLE` typical images per cluster, so naming costs seconds, not minutes. On pictures far
from ImageNet's photos (small grayscale thumbnails, drawings) the head guesses with low
confidence (28x28 boots came out as "hatchet"): below :data:`MIN_CONFIDENCE` the cluster keeps
its typical member's name instead.
"""

from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from engine.naming import STAGE, NamerUnavailable, Naming
from engine.progress import CancelToken, Progress

if TYPE_CHECKING:
    from engine.pipeline import Result

SAMPLE = 8
"""Most typical images per cluster shown to the classifier (16 took 3-5 s per cluster on a busy
two-core machine; 8 name the clusters alike)."""
MIN_CONFIDENCE = 0.15
"""Mean probability the top class needs over the sample for the cluster to be named after it."""
RUNNER_UP = 0.5
"""A second class joins the name when its mean probability is at least this share of the first's."""
N_KEYWORDS = 5


@lru_cache(maxsize=1)
def imagenet_classes() -> tuple[str, ...]:
    """The 1000 ImageNet class names in the head's order, from torchvision's weight metadata.

    Its ``models/_meta.py`` is plain data: executing that file alone takes milliseconds, while
    importing torchvision took 4 s here. A bundle that keeps no source files imports it instead.
    """
    spec = importlib.util.find_spec("torchvision")
    if spec is None:
        raise NamerUnavailable("torchvision, which holds the ImageNet class names, is not installed")
    try:
        meta = Path(next(iter(spec.submodule_search_locations or []))) / "models" / "_meta.py"
        loader = importlib.util.spec_from_file_location("_imagenet_meta", meta)
        module = importlib.util.module_from_spec(loader)
        loader.loader.exec_module(module)
        return tuple(module._IMAGENET_CATEGORIES)
    except (OSError, StopIteration, AttributeError):
        from engine.torch_compat import ensure_torchvision

        ensure_torchvision()
        from torchvision.models._meta import _IMAGENET_CATEGORIES

        return tuple(_IMAGENET_CATEGORIES)


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


def name_images(
    result: Result, order: dict[int, np.ndarray], progress: Progress, cancel: CancelToken
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
    for done, (cluster, rows) in enumerate(order.items()):
        cancel.raise_if_cancelled()
        pictures = []
        for row in rows[:SAMPLE]:
            try:
                pictures.append(classifier.load(items[int(row)], result.analysed))
            except Exception:  # noqa: BLE001, S112 - changed since the run: the other pictures still name it
                continue
        found[cluster] = name_from_probabilities(classifier.classify(pictures)) if pictures else None
        progress(STAGE, done + 1, len(order))
    return found
