"""image-openclip: CLIP image features from an open_clip checkpoint or model folder the user supplies.

No OpenCLIP weights ship in any package, so this embedder says where to put them and falls back to
``image-efficientnet`` until then. It shares image loading and error wording with
:mod:`engine.embed.image`.
"""

from __future__ import annotations

import importlib.util
from difflib import get_close_matches
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from engine.embed import Embedder, Readiness, register
from engine.embed.image import _SET_MODEL, _brief, _file_identity, _imaging, _open
from engine.embed.models import configured_model, hf_cached_snapshot
from engine.items import Collection, Item
from engine.progress import LOAD_MODEL
from engine.resources import install_hint


def _normalised(features: Any) -> np.ndarray:
    import torch

    return torch.nn.functional.normalize(features.float(), dim=1).cpu().numpy().astype(np.float32)


class OpenClipImage(Embedder):
    """CLIP image features from any open_clip architecture, with weights the user supplies."""

    name = "image-openclip"
    modality = "image"
    description = (
        "OpenCLIP image features from a checkpoint you supply (.pt/.bin/.safetensors; architecture from "
        "the option or the file name, else ViT-B-32) or an open_clip model folder"
    )
    needs_weights = True
    warm_up_stage = LOAD_MODEL
    batch_size = 32
    fallback: str | None = "image-efficientnet"
    default_architecture = "ViT-B-32"
    hub_models = ("laion/CLIP-ViT-B-32-laion2B-s34B-b79K", "laion/CLIP-ViT-B-16-laion2B-s34B-b88K")
    """open_clip models on the Hugging Face hub, used when one is already in the local cache."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._model: Any = None
        self._preprocess: Any = None
        self._fit: tuple[str, int] = ("shortest", 224)
        self._device = "cpu"
        self._source: tuple[str, Any] | None = None

    def _where(self) -> tuple[str, Any]:
        """("file" | "folder" | "missing" | "none", location), looked up once per instance."""
        if self._source is None:
            self._source = self._look_up()
        return self._source

    def _look_up(self) -> tuple[str, Any]:
        chosen = self.options.get("model") or configured_model(self.name)
        if chosen:
            text = str(chosen)
            if text.startswith("hf-hub:"):
                snapshot = hf_cached_snapshot(text.removeprefix("hf-hub:"))
                return ("folder", snapshot) if snapshot else ("missing", text)
            path = Path(text).expanduser()
            return ("file" if path.is_file() else "folder" if path.is_dir() else "missing"), path
        for repo in self.hub_models:
            snapshot = hf_cached_snapshot(repo)
            if snapshot is not None:
                return "folder", snapshot
        return "none", None

    def readiness(self) -> Readiness:
        instead = f"Until then {self.fallback} is used instead."
        where = _SET_MODEL.format(name=self.name)
        if importlib.util.find_spec("open_clip") is None:
            message = f"OpenCLIP needs {install_hint('open_clip_torch')}. {instead}"
            return Readiness(False, "missing package", message)
        kind, location = self._where()
        if kind == "file":
            return Readiness(True, f"checkpoint {location}")
        if kind == "folder" and (Path(location) / "open_clip_config.json").is_file():
            return Readiness(True, f"open_clip model folder {location}")
        if kind == "folder":
            message = (
                f"The folder {location} has no open_clip_config.json. Choose the checkpoint file itself in "
                f"{where} (and name its architecture: {self.default_architecture} is assumed). {instead}"
            )
            return Readiness(False, f"folder {location}", message)
        if kind == "missing":
            message = (
                f"The chosen OpenCLIP model {location} is not on this computer; choose another in {where}."
            )
            return Readiness(False, f"missing {location}", f"{message} {instead}")
        message = (
            "No OpenCLIP weights are on this computer (none ship in any package). Supply an open_clip "
            f"checkpoint file (.pt, .bin or .safetensors) for the {self.default_architecture} architecture "
            "(or one whose file name starts with its architecture, e.g. ViT-L-14-laion2b.bin), or a folder "
            f"holding open_clip_config.json and its weights, in {where}. {instead}"
        )
        return Readiness(False, "no weights", message)

    def params(self) -> dict[str, Any]:
        kind, location = self._where()
        model = _file_identity(Path(location)) if kind == "file" else str(location)
        return {"model": model, "architecture": self.options.get("architecture")}

    def _architecture(self, path: Path, known: list[str]) -> str:
        """The option, else the longest architecture name the file name starts with, else ViT-B-32."""
        chosen = self.options.get("architecture")
        if chosen:
            if chosen not in known:
                close = ", ".join(get_close_matches(chosen, known)) or "none"
                raise ValueError(
                    f"Unknown OpenCLIP architecture {chosen!r}; close names: {close} "
                    "(open_clip.list_models() lists them all)."
                )
            return str(chosen)
        prefixes = [name for name in known if path.name.lower().startswith(name.lower())]
        return max(prefixes, key=len) if prefixes else self.default_architecture

    def warm_up(self) -> None:
        self._ensure_model()

    def _ensure_model(self) -> Any:
        if self._model is not None:
            return self._model
        from engine.embed.device import choose_device, configure_torch_threads
        from engine.torch_compat import ensure_torchvision

        configure_torch_threads()
        ready = self.readiness()
        if not ready.ready:
            raise ValueError(ready.message)
        ensure_torchvision()
        import open_clip

        kind, location = self._where()
        hint = ""
        if kind == "file":
            architecture = self._architecture(Path(location), open_clip.list_models())
            model_name, pretrained = architecture, str(location)
            what = f"an open_clip {architecture} checkpoint"
            hint = " If it is another architecture, name it in the architecture option or the file name."
        else:
            model_name, pretrained = f"local-dir:{Path(location).resolve()}", None
            what = "an open_clip model folder"
        device = choose_device(self.options.get("device", "auto"))
        try:
            model, _, preprocess = open_clip.create_model_and_transforms(
                model_name, pretrained=pretrained, device=device
            )
        except Exception as error:  # noqa: BLE001 - unpickling, key and shape errors all mean "wrong file"
            reason = _brief(error).rstrip(".!")
            raise ValueError(f"{location} could not be loaded as {what}: {reason}.{hint}") from error
        config = open_clip.get_model_preprocess_cfg(model)
        size = config.get("size", 224)
        size = max(size) if isinstance(size, tuple | list) else int(size)
        self._fit = (str(config.get("resize_mode", "shortest")), size)
        self._device, self._preprocess, self._model = device, preprocess, model.eval()
        return self._model

    def load(self, item: Item, collection: Collection) -> Image.Image:
        self._ensure_model()  # its input size decides how far to shrink each image
        mode, size = self._fit
        image = _open(item, size)
        # Shrink to the model's input size now, so a batch of camera photos does not hold gigabytes;
        # the model's own transform then finds an image of the size it makes anyway.
        if mode == "shortest":
            return _imaging().fit_square(image, size, Image.Resampling.BICUBIC)
        if mode == "squash":
            return image.resize((size, size), Image.Resampling.BICUBIC)
        image.thumbnail((size, size), Image.Resampling.BICUBIC)
        return image

    def embed_batch(self, payloads: list[Any]) -> np.ndarray:
        """L2-normalised image features of PIL images (or uint8 arrays), via the model's own transform."""
        import torch

        model = self._ensure_model()
        batch = torch.stack([self._preprocess(_imaging().as_rgb(p)) for p in payloads]).to(self._device)
        with torch.inference_mode():
            return _normalised(model.encode_image(batch))


register(OpenClipImage)
