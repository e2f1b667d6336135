"""Time-series embedders: resampled values, catch22 features, MiniRocket, text and pictures.

A payload is ``collection.series[item.id]``: a float array, 1-D (one channel) or 2-D (length x
channels). Every embedder here works on series of unequal length. None needs numba: catch22
(:mod:`engine.embed.catch22`) and MiniRocket (:mod:`engine.embed.minirocket`) are numpy.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from engine.embed import Embedder, Readiness, get_embedder, register
from engine.embed.audio import standardise_blocks
from engine.embed.catch22 import catch24
from engine.embed.minirocket import MiniRocket
from engine.embed.pictures import PictureEmbedder
from engine.items import Collection, Item, ItemError
from engine.progress import LOAD_MODEL, CancelToken, Progress


def _majority_channels(collection: Collection) -> int:
    counts: dict[int, int] = {}
    for values in collection.series.values():
        c = 1 if np.ndim(values) == 1 else np.shape(values)[1]
        counts[c] = counts.get(c, 0) + 1
    return max(counts, key=lambda c: counts[c]) if counts else 1


def _as_2d(values: np.ndarray) -> np.ndarray:
    values = np.asarray(values, dtype=np.float64)
    return values[:, None] if values.ndim == 1 else values


def znormalise(series: np.ndarray) -> np.ndarray:
    """Per-channel z-normalisation; a flat channel becomes zeros instead of NaN."""
    series = _as_2d(series)
    std = series.std(axis=0)
    std[std == 0] = 1.0
    return (series - series.mean(axis=0)) / std


def resample(series: np.ndarray, length: int) -> np.ndarray:
    """Linear interpolation of every channel onto ``length`` evenly spaced points."""
    series = _as_2d(series)
    if len(series) == length:
        return series
    old = np.linspace(0.0, 1.0, len(series))
    new = np.linspace(0.0, 1.0, length)
    return np.column_stack([np.interp(new, old, series[:, c]) for c in range(series.shape[1])])


class ResampledSeries(Embedder):
    """Each series z-normalised and resampled to one length: shape matters, not level or scale."""

    name = "ts-resampled"
    modality = "timeseries"
    description = "z-normalised values resampled to a common length (channels concatenated)"
    batch_size = 1024

    def params(self) -> dict[str, object]:
        return {"length": self.options.get("length", 128)}

    def load(self, item: Item, collection: Collection) -> np.ndarray:
        return collection.series[item.id]

    def embed_batch(self, payloads: list[np.ndarray]) -> np.ndarray:
        length = self.params()["length"]
        return np.stack([resample(znormalise(s), length).ravel(order="F") for s in payloads])


class _SeriesEmbedder(Embedder):
    """Shared loading: the series, checked for length and for the collection's channel count."""

    modality = "timeseries"
    min_length = 2
    same_channels = False
    """Whether every series must have the collection's (most common) number of channels."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._channels: tuple[int, int] | None = None  # (id of the collection, its channel count)

    def load(self, item: Item, collection: Collection) -> np.ndarray:
        values = np.asarray(collection.series[item.id], dtype=np.float64)
        values = values[:, None] if values.ndim == 1 else values
        if len(values) < self.min_length:
            raise ItemError(
                f"is too short for {self.name} ({len(values)} points; at least {self.min_length} are needed)."
            )
        if not np.isfinite(values).all():
            raise ItemError("holds missing or infinite values; fill or drop them first.")
        if self.same_channels:
            if self._channels is None or self._channels[0] != id(collection):
                self._channels = (id(collection), _majority_channels(collection))
            want = self._channels[1]
            if values.shape[1] != want:
                raise ItemError(
                    f"has {values.shape[1]} channel(s) but most series here have {want}; {self.name} "
                    "compares series with the same channels only."
                )
        return values


class Catch22Features(_SeriesEmbedder):
    """24 interpretable statistics per channel (autocorrelation, periodicity, entropy, level, spread...).

    aeon's catch24 in numpy (:mod:`engine.embed.catch22`, the same vectors to float rounding).
    The series are not z-normalised first: level and spread (the two added to catch22) tell
    standing from running; the other 22 hardly depend on the scale anyway. On aeon's bundled
    sets this beat catch22 of z-normalised series (BasicMotions ARI 0.97 against 0.85).
    """

    name = "ts-catch22"
    description = (
        "catch22 features plus mean and spread (aeon's catch24, in numpy) of each channel, "
        "standardised over the collection (no weights)"
    )
    batch_size = 256
    min_length = 5
    same_channels = True
    fallback: str | None = None
    # Each series' raw features depend on that series only and are what the cache keeps; the
    # scaling over the collection (catch22 values range from 0-1 fractions to lags in points) follows.
    cacheable = True

    def readiness(self) -> Readiness:
        return Readiness(True, "numpy (no weights)")

    def params(self) -> dict[str, Any]:
        # version 2: aeon's catch24 vectors, which engine.embed.catch22 reproduces to rounding
        return {"features": "catch24", "version": 2}

    def embed_batch(self, payloads: list[np.ndarray]) -> np.ndarray:
        # Vectors are kept as float32: a feature beyond its range (the power of a 1e30 spike) is
        # clipped to it rather than turned into inf, so such a series still gets a vector.
        largest = float(np.finfo(np.float32).max)
        return np.clip(catch24(payloads), -largest, largest)

    def finish(self, vectors: np.ndarray, progress: Progress, cancel: CancelToken) -> np.ndarray:
        return vectors if self.options.get("scale") == "none" else standardise_blocks(vectors)


class MiniRocketFeatures(_SeriesEmbedder):
    """Random convolution features fitted on the collection, reduced by PCA: strong on shapes."""

    name = "ts-minirocket"
    description = (
        "MiniRocket random-convolution features (numpy, aeon's features) fitted on the collection, reduced "
        "by PCA to at most 64 dims; series resampled to their median length (no weights)"
    )
    batch_size = 256  # progress about every half second at 300 points
    min_length = 2
    same_channels = True
    fallback: str | None = None
    cacheable = False  # the kernels' biases and the PCA are fitted on the whole collection
    fits_corpus = True

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._length: tuple[int, int] | None = None
        self._scaling: tuple[np.ndarray, np.ndarray] | None = None  # per channel: centre, spread
        self._rocket: MiniRocket | None = None  # None after a fit on fewer than two series

    def params(self) -> dict[str, Any]:
        return {
            "kernels": int(self.options.get("kernels", 10_000)),
            "dims": int(self.options.get("dims", 64)),
            "max_length": int(self.options.get("max_length", 512)),
        }

    def _common_length(self, collection: Collection) -> int:
        """The median length, between MiniRocket's minimum of 9 and ``max_length`` points."""
        if self._length is None or self._length[0] != id(collection):
            lengths = [len(v) for v in collection.series.values()] or [9]
            common = int(np.clip(np.median(lengths), 9, self.params()["max_length"]))
            self._length = (id(collection), common)
        return self._length[1]

    def load(self, item: Item, collection: Collection) -> np.ndarray:
        values = super().load(item, collection)
        # channels x length; float32 as the features are (10 000 series would double in float64)
        return resample(values, self._common_length(collection)).T.astype(np.float32)

    def fit(
        self, payloads: list[np.ndarray], collection: Collection, progress: Progress, cancel: CancelToken
    ) -> None:
        """The channels' scaling over the collection, then the kernels' biases (two series at least)."""
        series = np.stack(payloads)
        # Each channel scaled by its spread over the whole collection, not per series: channels in
        # different units weigh alike, while one series' level and amplitude still count (that
        # beat z-normalising each series on BasicMotions, ARI 1.0 against 0.55, and JapaneseVowels).
        spread = series.std(axis=(0, 2), keepdims=True)
        self._scaling = (series.mean(axis=(0, 2), keepdims=True), np.where(spread > 0, spread, 1.0))
        self._rocket = None
        if len(series) < 2:
            return
        # seed 0: the same kernels' channels and biases as aeon's MiniRocket(random_state=0)
        rocket = MiniRocket(n_kernels=self.params()["kernels"], random_state=0)
        self._rocket = rocket.fit(self._scaled(series))

    def _scaled(self, series: np.ndarray) -> np.ndarray:
        centre, spread = self._scaling
        return ((series - centre) / spread).astype(np.float32)

    def embed_batch(self, payloads: list[np.ndarray]) -> np.ndarray:
        """The MiniRocket features of each series (zeros when fewer than two series could be read)."""
        if self._scaling is None:
            raise RuntimeError("ts-minirocket fits on the whole collection: call embed(), not embed_batch()")
        if self._rocket is None:
            return np.zeros((len(payloads), 1), dtype=np.float32)
        return self._rocket.transform(self._scaled(np.stack(payloads)), between_chunks=self.check_cancelled)

    def finish(self, vectors: np.ndarray, progress: Progress, cancel: CancelToken) -> np.ndarray:
        """Features standardised over the collection, then reduced by PCA to ``dims``."""
        # float32 throughout: 10 000 features for 10 000 series are 0.4 GB, a float64 copy twice that.
        features = vectors
        features -= features.mean(axis=0)
        spread = features.std(axis=0)
        features /= np.where(spread > 1e-6, spread, 1.0)
        dims = min(self.params()["dims"], len(features), features.shape[1])
        if dims < features.shape[1]:
            from sklearn.decomposition import PCA

            features = PCA(dims, random_state=0).fit_transform(features)
        return features


def series_text(series: np.ndarray, points: int = 64, decimals: int = 1) -> str:
    """A z-normalised series as short text: at most ``points`` numbers over all channels, rounded.

    A sentence model reads at most 256 word pieces and a number such as ``-1.2`` costs about
    four, hence the small budget; channels are written one after another, separated by ``|``.
    """
    values = znormalise(series)
    per_channel = max(4, points // values.shape[1])
    values = resample(values, min(per_channel, len(values)))
    return " | ".join(
        " ".join(f"{v:.{decimals}f}".replace("-0.0", "0.0") for v in values[:, c])
        for c in range(values.shape[1])
    )


class SeriesAsText(_SeriesEmbedder):
    """The series written out as numbers and read by a sentence model: a baseline, weaker than shape."""

    name = "ts-text"
    description = "z-normalised values (64 points) written as text and embedded by the MiniLM sentence model"
    needs_weights = True
    batch_size = 64
    fallback: str | None = "ts-resampled"

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._text: Embedder | None = None

    warm_up_stage = LOAD_MODEL

    def warm_up(self) -> None:
        self._text_embedder().warm_up()

    def _text_embedder(self) -> Embedder:
        if self._text is None:
            options = {k: v for k, v in self.options.items() if k in ("device", "model")}
            self._text = get_embedder(
                str(self.options.get("text_embedder", "text-minilm")), "text", **options
            )
        return self._text

    def readiness(self) -> Readiness:
        try:
            ready = self._text_embedder().readiness()
        except ValueError as error:
            return Readiness(False, "no text model", f"{error} Until then ts-resampled is used instead.")
        if not ready.ready:
            return Readiness(False, ready.source, f"{ready.message} Until then ts-resampled is used instead.")
        return Readiness(True, f"{self._text_embedder().name}: {ready.source}")

    def params(self) -> dict[str, Any]:
        text = self._text_embedder()
        return {
            "points": int(self.options.get("points", 64)),
            "text_embedder": text.name,
            "text": text.params(),
        }

    def embed_batch(self, payloads: list[np.ndarray]) -> np.ndarray:
        points = int(self.options.get("points", 64))
        return self._text_embedder().embed_batch([series_text(p, points) for p in payloads])


_PALETTE = ((31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189), (140, 86, 75))


def series_image(series: np.ndarray, size: int = 224, layout: str = "bands"):
    """A line plot of the z-normalised series on white, as a ``size`` x ``size`` RGB PIL image.

    ``bands`` gives each channel its own horizontal strip; ``overlay`` draws all channels across
    the whole height in different colours. The y range is fixed (-3 to 3 standard deviations), so
    a flat stretch looks flat whatever the series' scale.
    """
    from PIL import Image, ImageDraw

    values = resample(znormalise(series), size)
    image = Image.new("RGB", (size, size), "white")
    draw = ImageDraw.Draw(image)
    n = values.shape[1]
    x = np.arange(size, dtype=np.float64)
    for c in range(n):
        top, height = (c * size / n, size / n) if layout == "bands" else (0.0, float(size))
        y = top + (1.0 - (np.clip(values[:, c], -3, 3) + 3) / 6) * (height - 1)
        colour = _PALETTE[c % len(_PALETTE)] if layout != "bands" or n > 1 else (0, 0, 0)
        draw.line(list(zip(x.tolist(), y.tolist(), strict=True)), fill=colour, width=2)
    return image


class SeriesAsImage(PictureEmbedder, _SeriesEmbedder):
    """The series drawn as a line plot and embedded by the image model: shapes as a person sees them."""

    name = "ts-image"
    description = (
        "line plot of the z-normalised series (224x224, one strip per channel) embedded by the image model "
        "(OpenCLIP when configured, else EfficientNet-Lite0)"
    )
    needs_weights = True
    batch_size = 32
    fallback: str | None = "ts-resampled"

    def params(self) -> dict[str, Any]:
        image = self.image_embedder()
        layout = str(self.options.get("layout", "bands"))
        return {"layout": layout, "image_embedder": image.name, "image": image.params()}

    def embed_batch(self, payloads: list[np.ndarray]) -> np.ndarray:
        layout = str(self.options.get("layout", "bands"))
        return self.image_embedder().embed_batch([series_image(p, layout=layout) for p in payloads])


register(Catch22Features, default=True)
register(ResampledSeries)
register(MiniRocketFeatures)
register(SeriesAsText)
register(SeriesAsImage)
