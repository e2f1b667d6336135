"""Running the default models through ONNX Runtime: several times faster than PyTorch eager on a CPU.

A model is exported once from its weights with ``torch.onnx.export`` into ``<cache folder>/onnx``,
under a name made of the weights' content hash, the export settings and the exported file's own
hash. Loading checks that last hash, so a file cut short or damaged on disk is exported again
instead of failing (or, worse, giving wrong vectors). Anything that goes wrong here (onnxruntime
missing, an export that fails) is reported as :class:`OnnxUnavailable`; the embedders then use
their torch path and say so in a note: never a failed run.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

RUNTIMES = ("auto", "onnx", "torch")
OPSET = 17
_LOG = logging.getLogger(__name__)


class OnnxUnavailable(Exception):
    """ONNX Runtime cannot run this model here; the message says why, for a note to the user."""


def resolve_runtime(runtime: str, device: str) -> str:
    """Either "onnx" or "torch": the runtime for a torch ``device`` and the ``runtime`` option.

    ``auto`` means ONNX Runtime on the CPU, and on CUDA when onnxruntime-gpu provides it; Apple's
    MPS keeps torch (onnxruntime's CoreML provider is not worth the conversion risk here).
    """
    if runtime not in RUNTIMES:
        raise ValueError(f"Unknown runtime {runtime!r}; choose one of: {', '.join(RUNTIMES)}.")
    if runtime != "auto":
        return runtime
    if device == "cpu":
        return "onnx"
    return "onnx" if device == "cuda" and "CUDAExecutionProvider" in _providers() else "torch"


def runtime_and_device(runtime: str, device: str, torch_weights_left_out: bool) -> tuple[str, str, str]:
    """(runtime, device, why): ONNX Runtime on the CPU where PyTorch would need weights the bundle left out.

    The packaged app ships the default models' ONNX exports and may leave their PyTorch weights
    out: forcing the torch runtime (or a GPU that only torch drives) then runs ONNX on the CPU
    and says why, instead of failing.
    """
    chosen = resolve_runtime(runtime, device)
    if chosen == "torch" and torch_weights_left_out:
        return "onnx", "cpu", f"runtime {runtime} on device {device} needs PyTorch weights the app leaves out"
    return chosen, device, ""


def _providers() -> list[str]:
    try:
        import onnxruntime
    except ImportError:
        return []
    return list(onnxruntime.get_available_providers())


@functools.lru_cache(maxsize=16)
def _file_digest(path: str, size: int, mtime_ns: int) -> str:
    digest = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def file_digest(path: Path) -> str:
    """Content hash of a file, remembered per (path, size, mtime) so a session hashes it once."""
    stat = Path(path).stat()
    return _file_digest(str(Path(path).resolve()), stat.st_size, stat.st_mtime_ns)


def onnx_folder() -> Path:
    from engine.embed.cache import default_cache_dir

    return default_cache_dir() / "onnx"


def _intact(path: Path, prefix: str) -> bool:
    """Whether the file's content still hashes to the digest its name ends with."""
    try:
        return file_digest(path) == path.stem.removeprefix(prefix)
    except OSError:
        return False


def _shipped_model(prefix: str) -> Path | None:
    """The packaged app's copy of a model (exported at build time, read-only), if it is intact."""
    from engine.resources import bundled_models

    for found in sorted(bundled_models("onnx").glob(f"{prefix}*.onnx")):
        if _intact(found, prefix):
            return found
        _LOG.warning("The packaged ONNX model %s is damaged; using an export in the user cache.", found)
    return None


def has_shipped(name: str) -> bool:
    """Whether the packaged app ships an ONNX file of model ``name`` (a cheap look, no hashing)."""
    from engine.resources import bundled_models

    return any(bundled_models("onnx").glob(f"{name}-*.onnx"))


def shipped_variant(name: str) -> str:
    """What sets the shipped ONNX file of model ``name`` apart in vector cache keys ("" if none ships).

    The packaged app stores the default models' weights as float16 (build_scripts/onnx_fp16.py);
    their vectors differ from a float32 export's (cosine >= 0.99998), so the two never share
    cached vectors.
    """
    return "onnx float16 weights" if has_shipped(name) else ""


def exported_model(name: str, key: str, export: Callable[[], bytes], folder: Path | None = None) -> Path:
    """The ONNX file for model ``name`` whose weights and settings hash to ``key``; exported if needed.

    The packaged app's read-only ``models/onnx`` folder is looked in first (unless ``folder`` is
    given); exports always go to the user cache, never into the bundle.
    The file is ``<name>-<key>-<digest>.onnx``, ``digest`` being the hash of the file itself: a file
    whose content no longer matches its name is deleted and exported again. ``export()`` returns the
    model's bytes, written in one atomic rename so that a crash never leaves half a file.
    """
    prefix = f"{name}-{key}-"
    shipped = _shipped_model(prefix) if folder is None else None
    if shipped is not None:
        return shipped
    folder = Path(folder) if folder is not None else onnx_folder()
    for found in sorted(folder.glob(f"{prefix}*.onnx")):
        if _intact(found, prefix):
            return found
        _LOG.warning("The cached ONNX model %s is damaged; exporting it again.", found)
        found.unlink(missing_ok=True)
    from engine.atomic import atomic_write

    try:
        data = export()
        final = folder / f"{prefix}{hashlib.blake2b(data, digest_size=16).hexdigest()}.onnx"
        with atomic_write(final, "wb") as handle:
            handle.write(data)
    except Exception as error:  # noqa: BLE001 - a failed export means "use torch", whatever failed
        raise OnnxUnavailable(f"exporting {name} to ONNX failed ({type(error).__name__}: {error})") from error
    return final


def weights_digest(weights: Path) -> str:
    """Content hash of a weights file; for packaged weights the bundle leaves out, the recorded one."""
    from engine.resources import left_out_weights, weights_left_out

    return left_out_weights()[Path(weights).resolve()] if weights_left_out(weights) else file_digest(weights)


def settings_key(weights: Path, settings: str) -> str:
    """A short key for the weights' content and the export settings (opset, input layout...)."""
    digest = hashlib.blake2b(f"{weights_digest(weights)}|{settings}|opset{OPSET}".encode(), digest_size=8)
    return digest.hexdigest()


def require() -> Any:
    """The onnxruntime module, or :class:`OnnxUnavailable` when it is not installed (checked first)."""
    try:
        import onnxruntime
    except ImportError as error:
        raise OnnxUnavailable("onnxruntime is not installed (pip install onnxruntime)") from error
    return onnxruntime


def session(path: Path, device: str) -> Any:
    """An inference session for ``path``: CUDA when asked for and available, else every CPU core."""
    onnxruntime = require()
    options = onnxruntime.SessionOptions()
    threads = os.environ.get("OMP_NUM_THREADS")
    options.intra_op_num_threads = int(threads) if threads and threads.isdigit() else (os.cpu_count() or 1)
    options.inter_op_num_threads = 1
    providers = ["CPUExecutionProvider"]
    if device == "cuda" and "CUDAExecutionProvider" in onnxruntime.get_available_providers():
        providers.insert(0, "CUDAExecutionProvider")
    try:
        return onnxruntime.InferenceSession(str(path), options, providers=providers)
    except Exception as error:  # noqa: BLE001 - a file onnxruntime cannot read: torch takes over
        raise OnnxUnavailable(f"onnxruntime could not load {path.name} ({error})") from error


def torch_export(
    module: Any,
    inputs: tuple[Any, ...],
    names: list[str],
    dynamic: dict[str, dict[int, str]],
    outputs: tuple[str, ...] = ("out",),
) -> Callable[[], bytes]:
    """An export function for :func:`exported_model`: ``torch.onnx.export`` with the settings used here.

    ``outputs`` names the module's outputs, in the order ``session.run(None, ...)`` returns them.
    """

    def export() -> bytes:
        import io
        import warnings

        import torch

        buffer = io.BytesIO()
        # not inference_mode: the exporter traces the module; its advice and deprecations are noise here
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                module,
                inputs,
                buffer,
                input_names=names,
                output_names=list(outputs),
                dynamic_axes=dynamic,
                opset_version=OPSET,
                dynamo=False,
            )
        return buffer.getvalue()

    return export


def unit_rows(x: np.ndarray) -> np.ndarray:
    """Rows scaled to length 1 (zero rows stay zero), float32."""
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (x / norms).astype(np.float32)


def runtime_note(embedder: str, used: str, why: str = "", instead: str = "") -> str:
    """The sentence the run's notes carry about which runtime embedded the items.

    ``instead``: why ONNX Runtime ran although PyTorch was asked for (see :func:`runtime_and_device`).
    """
    if used == "onnx":
        return f"{embedder} ran on ONNX Runtime" + (f" on the CPU: {instead}." if instead else ".")
    return f"{embedder} ran on PyTorch" + (f": {why}." if why else ".")
