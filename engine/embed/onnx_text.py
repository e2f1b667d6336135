"""A sentence-transformers model run by ONNX Runtime: `tokenizers` for the words, mean pooling in the graph.

Only the common layout is taken (a transformer at the model folder's root, then mean pooling,
optionally normalisation): that is all-MiniLM-L6-v2 and most sentence models. Any other layout
raises :class:`~engine.embed.onnx_runtime.OnnxUnavailable` and the text embedder keeps its torch path.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from engine.embed import onnx_runtime as ort

_LAYOUTS = (("Transformer", "Pooling"), ("Transformer", "Pooling", "Normalize"))
"""The module lists taken, by class name: sentence-transformers 6 saves them under new module paths
(``sentence_transformers.base.modules.transformer.Transformer`` for ``...models.Transformer``)."""
WEIGHTS_FILES = ("model.safetensors", "pytorch_model.bin")
"""Where a sentence-transformers folder keeps its transformer's weights, in the order looked for."""
BATCH = 64
"""Texts per session call: measured best for MiniLM on a 2-core CPU with length-sorted input."""


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ort.OnnxUnavailable(f"{path.name} cannot be read ({error})") from error


def _weights_file(folder: Path) -> Path:
    """The model folder's weights, after checking its layout is one this runner reproduces exactly."""
    modules = _read_json(folder / "modules.json") if (folder / "modules.json").is_file() else None
    types = [str(m.get("type", "")) for m in modules] if isinstance(modules, list) else []
    ours = all(t.startswith("sentence_transformers.") for t in types)
    if not ours or tuple(t.rsplit(".", 1)[-1] for t in types) not in _LAYOUTS or modules[0].get("path"):
        raise ort.OnnxUnavailable("the model is not a plain transformer with mean pooling")
    modes = _pooling_modes(_read_json(folder / modules[1]["path"] / "config.json"))
    if modes != {"mean"}:
        raise ort.OnnxUnavailable(f"the model pools by {', '.join(sorted(modes)) or 'nothing'}, not the mean")
    from engine.resources import weights_left_out

    for name in WEIGHTS_FILES:
        if (folder / name).is_file() or weights_left_out(folder / name):
            return folder / name
    raise ort.OnnxUnavailable("the model folder has no model.safetensors or pytorch_model.bin")


def _pooling_modes(config: dict[str, Any]) -> set[str]:
    """The pooling modes a Pooling config turns on: ``{"mean"}`` for mean pooling, in either format.

    sentence-transformers up to 5 writes one flag per mode (``"pooling_mode_mean_tokens": true``),
    version 6 a name or a list of names (``"pooling_mode": "mean"``).
    """
    named = config.get("pooling_mode")
    if named is not None:
        return set([named] if isinstance(named, str) else named)
    flags = {
        k.removeprefix("pooling_mode_") for k, v in config.items() if k.startswith("pooling_mode_") and v
    }
    return {"mean" if mode == "mean_tokens" else mode for mode in flags}


def _max_length(folder: Path) -> int:
    """Tokens per text: sentence_bert_config's max_seq_length, else (sentence-transformers 6) the
    tokenizer's model_max_length capped by the model's positions, as SentenceTransformer reads it."""
    length = _read_json(folder / "sentence_bert_config.json").get("max_seq_length")
    if not length and (folder / "tokenizer_config.json").is_file():
        length = _read_json(folder / "tokenizer_config.json").get("model_max_length")
        positions = (
            _read_json(folder / "config.json").get("max_position_embeddings")
            if (folder / "config.json").is_file()
            else None
        )
        length = min(length, positions) if length and positions else length
    if not isinstance(length, int) or not 2 <= length <= 1_000_000:
        raise ort.OnnxUnavailable(
            "neither sentence_bert_config.json nor tokenizer_config.json names a usable maximum length"
        )
    return length


class OnnxSentenceEncoder:
    """Unit-length sentence vectors from ONNX Runtime; the same numbers as ``SentenceTransformer.encode``."""

    def __init__(self, folder: Path, device: str, transformer: Callable[[], Any]) -> None:
        """``transformer()`` gives the torch transformer module (only called to export it once)."""
        ort.require()
        weights = _weights_file(folder)
        if not (folder / "tokenizer.json").is_file():
            raise ort.OnnxUnavailable("the model folder has no tokenizer.json")
        self.max_length = _max_length(folder)
        from tokenizers import Tokenizer

        self._tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        pad = self._tokenizer.padding or {}
        self._tokenizer.enable_padding(pad_id=pad.get("pad_id", 0), pad_token=pad.get("pad_token", "[PAD]"))
        self._tokenizer.enable_truncation(max_length=self.max_length)
        key = ort.settings_key(weights, "mean-pooled|ids,mask,types")
        path = ort.exported_model(f"text-{folder.name}", key, lambda: _export(transformer()))
        self._session = ort.session(path, device)
        self._inputs = [i.name for i in self._session.get_inputs()]
        self.dimension = int(self._session.get_outputs()[0].shape[-1])
        """Length of each sentence vector (the graph's last output axis)."""

    def encode(self, texts: list[str]) -> np.ndarray:
        """(len(texts), dim) unit vectors; pass texts sorted by length so batches pad little."""
        rows = []
        for start in range(0, len(texts), BATCH):
            encoded = self._tokenizer.encode_batch(texts[start : start + BATCH])
            feed = {
                "input_ids": np.array([e.ids for e in encoded], dtype=np.int64),
                "attention_mask": np.array([e.attention_mask for e in encoded], dtype=np.int64),
                "token_type_ids": np.array([e.type_ids for e in encoded], dtype=np.int64),
            }
            rows.append(self._session.run(None, {name: feed[name] for name in self._inputs})[0])
        return ort.unit_rows(np.concatenate(rows)) if rows else np.empty((0, 0), dtype=np.float32)


def _export(transformer: Any) -> bytes:
    import inspect

    import torch

    takes_types = "token_type_ids" in inspect.signature(transformer.forward).parameters

    class MeanPooled(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.transformer = transformer

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            extra = {"token_type_ids": token_type_ids} if takes_types else {}
            tokens = self.transformer(input_ids=input_ids, attention_mask=attention_mask, **extra)[0]
            mask = attention_mask.unsqueeze(-1).to(tokens.dtype)
            return (tokens * mask).sum(1) / mask.sum(1).clamp(min=1e-9)

    ids = torch.ones(2, 8, dtype=torch.int64, device=next(transformer.parameters()).device)
    names = ["input_ids", "attention_mask", "token_type_ids"]
    axes = {name: {0: "n", 1: "tokens"} for name in names}
    return ort.torch_export(MeanPooled().eval(), (ids, ids, torch.zeros_like(ids)), names, axes)()
