"""Where models run: CUDA, then Apple's MPS, then the CPU, unless the user says otherwise."""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

DEVICES = ("auto", "cuda", "mps", "cpu")


def choose_device(preference: str = "auto") -> str:
    """The torch device to use; asking for one that is not there is a clear error, not a crash.

    Without torch (the lean packaged app) the answer is the CPU, where ONNX Runtime runs the models.
    """
    if preference not in DEVICES:
        raise ValueError(f"Unknown device {preference!r}; choose one of: {', '.join(DEVICES)}.")
    from engine.resources import has_torch, install_hint

    if not has_torch():
        if preference in ("auto", "cpu"):
            return "cpu"
        raise ValueError(f"Device {preference!r} needs PyTorch, which is not here: {install_hint('torch')}.")
    if preference == "cpu" or (preference == "auto" and no_gpu_for_torch()):
        return "cpu"  # without importing torch: seconds saved where ONNX Runtime does the work
    import torch

    has_cuda = torch.cuda.is_available()
    has_mps = getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available()
    if preference == "cuda" and not has_cuda:
        raise ValueError("Device 'cuda' was asked for, but torch sees no CUDA GPU here; use 'auto' or 'cpu'.")
    if preference == "mps" and not has_mps:
        raise ValueError("Device 'mps' was asked for, but there is no Apple GPU here; use 'auto' or 'cpu'.")
    if preference != "auto":
        return preference
    return "cuda" if has_cuda else "mps" if has_mps else "cpu"


def no_gpu_for_torch() -> bool:
    """True when torch can see no GPU here, known without importing it (which takes seconds).

    That is a CPU-only torch build (its version ends in ``+cpu``, as the packaged app's does), or
    Linux without an NVIDIA or AMD GPU driver. Elsewhere only torch itself can tell.
    """
    from importlib.metadata import PackageNotFoundError, version

    try:
        if version("torch").partition("+")[2] == "cpu":
            return True
    except PackageNotFoundError:
        return False
    drivers = (Path("/proc/driver/nvidia"), Path("/dev/kfd"))
    return sys.platform.startswith("linux") and not any(driver.exists() for driver in drivers)


_configured = False


def configure_torch_threads() -> None:
    """Use every core for one model at a time, once; respect OMP_NUM_THREADS when the user set it.

    Inter-op threads are kept at 1: the engine runs one batch at a time, and a second pool only
    competes with the GUI thread on a small laptop.
    """
    global _configured
    if _configured:
        return
    import torch

    if "OMP_NUM_THREADS" not in os.environ:
        torch.set_num_threads(max(1, os.cpu_count() or 1))
    with contextlib.suppress(RuntimeError):  # already set, or work has started: keep torch's choice
        torch.set_num_interop_threads(1)
    _configured = True
