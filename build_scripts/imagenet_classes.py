"""Write ``resources/imagenet_classes.txt``: the 1000 ImageNet class names, one a line, in the head's order.

    .venv/bin/python build_scripts/imagenet_classes.py

Cluster naming (engine/naming/images.py) reads the file, so the app needs neither torchvision nor
PyTorch for them. The names come from torchvision's weight metadata (``models/_meta.py``, BSD-3-Clause),
its short labels for the ImageNet-1k (ILSVRC 2012) classes; tests/engine/test_naming.py checks that
the file still equals them.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "resources" / "imagenet_classes.txt"


def torchvision_classes() -> list[str]:
    """torchvision's ``_IMAGENET_CATEGORIES``, read from its plain-data ``_meta.py`` without importing it.

    Importing torchvision takes seconds and, beside a CPU torch, fails on its CUDA-built ops.
    """
    spec = importlib.util.find_spec("torchvision")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("torchvision is not installed: it holds the ImageNet class names")
    meta = Path(next(iter(spec.submodule_search_locations))) / "models" / "_meta.py"
    loader = importlib.util.spec_from_file_location("_imagenet_meta", meta)
    module = importlib.util.module_from_spec(loader)
    loader.loader.exec_module(module)
    return list(module._IMAGENET_CATEGORIES)


def main() -> None:
    classes = torchvision_classes()
    if len(classes) != 1000 or any("\n" in name for name in classes):
        raise SystemExit(f"unexpected ImageNet class list ({len(classes)} names)")
    OUT.write_text("\n".join(classes) + "\n", encoding="utf-8")
    print(f"wrote {len(classes)} class names to {OUT}")


if __name__ == "__main__":
    main()
