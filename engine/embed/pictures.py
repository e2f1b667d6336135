"""Embedding items through pictures of them (spectrograms, line plots) and an image model."""

from __future__ import annotations

import contextlib
from typing import Any

from engine.embed import Embedder, Readiness, get_embedder


def picture_embedder(options: dict[str, Any]) -> Embedder:
    """The image embedder for pictures drawn from other items (spectrograms, plots).

    ``options["image_embedder"]`` when given, else OpenCLIP when its weights are on this computer,
    else EfficientNet-Lite0. ``device``, ``model`` and ``runtime`` are passed on.
    """
    name = options.get("image_embedder")
    if not name:
        name = "image-efficientnet"
        with contextlib.suppress(ValueError):  # OpenCLIP not registered in this build
            if get_embedder("image-openclip").readiness().ready:
                name = "image-openclip"
    passed = {k: v for k, v in options.items() if k in ("device", "model", "runtime")}
    return get_embedder(str(name), "image", **passed)


class PictureEmbedder(Embedder):
    """Base for embedders that draw each item and hand the pictures to an image model.

    Subclasses set ``fallback`` and draw their pictures in ``embed_batch`` through
    :meth:`image_embedder`; readiness is the image model's.
    """

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._image: Embedder | None = None

    def image_embedder(self) -> Embedder:
        if self._image is None:
            self._image = picture_embedder(self.options)
        return self._image

    @property
    def runtime_note(self) -> str | None:
        """The image model's note on which runtime embedded the pictures."""
        return getattr(self._image, "runtime_note", None)

    @property
    def warm_up_stage(self) -> str | None:  # the image model's (none for raw pixels)
        return self.image_embedder().warm_up_stage

    def warm_up(self) -> None:
        self.image_embedder().warm_up()

    def readiness(self) -> Readiness:
        instead = f" Until then {self.fallback} is used instead." if self.fallback else ""
        try:
            image = self.image_embedder()
        except ValueError as error:
            return Readiness(False, "no image model", f"{error}{instead}")
        ready = image.readiness()
        if not ready.ready:
            return Readiness(False, ready.source, f"{ready.message}{instead}")
        return Readiness(True, f"{image.name}: {ready.source}")
