"""The engine is a plain library: importing every module of it must never pull in Qt."""

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_engine_never_imports_qt():
    script = textwrap.dedent(
        """
        import importlib, pkgutil, sys
        import engine
        names = [m.name for m in pkgutil.walk_packages(engine.__path__, "engine.")]
        for name in names:
            importlib.import_module(name)
        qt_roots = ("PySide6", "PyQt5", "PyQt6", "pyqtgraph", "shiboken6")
        qt = sorted(m for m in sys.modules if m.split(".")[0] in qt_roots)
        print(len(names), "modules")
        assert not qt, f"engine imported Qt: {qt[:5]}"
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert int(done.stdout.split()[0]) >= 8  # the walk really found the engine's modules


def test_engine_source_has_no_qt_import_lines():
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "engine").rglob("*.py")
        if any(
            line.lstrip().startswith(("import PySide6", "from PySide6", "import pyqtgraph", "from pyqtgraph"))
            for line in path.read_text(encoding="utf-8").splitlines()
        )
    ]
    assert offenders == []


def test_methods_embedders_and_readers_never_import_the_pipeline():
    """engine/cluster, engine/embed and engine/ingest sit below the pipeline: not even a type import."""
    import ast

    offenders = []
    for package in ("cluster", "embed", "ingest"):
        for path in (ROOT / "engine" / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
                if isinstance(node, ast.ImportFrom):
                    names = [node.module or ""] + [f"{node.module}.{a.name}" for a in node.names]
                if any(n == "engine.pipeline" or n.startswith("engine.pipeline.") for n in names):
                    offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []
