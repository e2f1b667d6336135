"""Make torchvision importable beside the CPU build of torch.

Why: PyPI's torchvision wheel for x86_64 is a CUDA build. Beside the CPU torch this project pins,
its compiled ops fail to register and ``import torchvision`` raises
``RuntimeError: operator torchvision::nms does not exist``. transformers imports torchvision
whenever it is installed, and open_clip and timm import it unconditionally, so every model
library breaks with it. Declaring the two missing operator schemas lets the pure-Python parts
(transforms, models) import; only torchvision's compiled ops (nms, roi_align...) stay unavailable,
and nothing in this project uses them.

Call :func:`ensure_torchvision` before importing sentence_transformers, transformers or open_clip.
Where torchvision imports cleanly (a matching build), it does nothing.
"""

from __future__ import annotations

import sys

_MISSING_OP = "operator torchvision::nms does not exist"
_fragment = None  # the torch.library.Library must stay alive for the schemas to stay defined
_checked = False


def ensure_torchvision() -> None:
    """Import torchvision once, repairing the known CPU/CUDA mismatch; safe to call repeatedly."""
    global _checked, _fragment
    if _checked:
        return
    try:
        import torchvision  # noqa: F401
    except ModuleNotFoundError:
        pass  # not installed: nothing imports it, nothing to repair
    except RuntimeError as error:
        if _MISSING_OP not in str(error):
            raise
        import torch

        for name in [m for m in sys.modules if m == "torchvision" or m.startswith("torchvision.")]:
            del sys.modules[name]
        _fragment = torch.library.Library("torchvision", "FRAGMENT")
        _fragment.define("nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
        _fragment.define("qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
        import torchvision  # noqa: F401
    _checked = True
