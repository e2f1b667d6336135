"""The engine is a plain library layered one way: no Qt, no import cycles between its packages,
and the packages below the pipeline never import it."""

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

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


# ---- layering ----------------------------------------------------------------------------------


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported(node: ast.AST, module: str, is_package: bool) -> list[str]:
    """The modules (or module.attribute names) an import statement names, relative ones resolved."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if not isinstance(node, ast.ImportFrom):
        return []
    if node.level:
        base = module.split(".") if is_package else module.split(".")[:-1]
        base = base[: len(base) - (node.level - 1)]
        source = ".".join([*base, node.module] if node.module else base)
    else:
        source = node.module or ""
    # `from engine import export` imports the module engine.export
    return [source, *(f"{source}.{alias.name}" for alias in node.names)]


def engine_imports() -> dict[str, set[str]]:
    """Every engine module -> the engine names it imports anywhere: at the top, inside functions
    (the lazy imports that keep start-up fast) and under TYPE_CHECKING (a dependency all the same)."""
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / "engine").rglob("*.py")):
        module = _module_name(path)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = (n for node in ast.walk(tree) for n in _imported(node, module, path.name == "__init__.py"))
        found[module] = {n for n in names if n.startswith("engine.")}
    return found


def _package(name: str) -> str:
    """``engine.embed.text`` -> ``embed``; ``engine.pipeline.Spec`` -> ``pipeline``."""
    return name.split(".")[1]


def package_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for module, names in engine_imports().items():
        if module == "engine":
            continue
        edges = graph.setdefault(_package(module), set())
        edges.update(_package(n) for n in names if _package(n) != _package(module))
    return graph


def _reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen: set[str] = set()
    todo = list(graph.get(start, ()))
    while todo:
        node = todo.pop()
        if node not in seen:
            seen.add(node)
            todo.extend(graph.get(node, ()))
    return seen


GRAPH = package_graph()


def test_the_walk_finds_the_engines_imports():
    assert {"ingest", "embed", "cluster", "pipeline", "items", "atomic"} <= set(GRAPH)
    assert {"ingest", "embed", "cluster", "items"} <= GRAPH["pipeline"]
    assert "ingest" in GRAPH["embed"]  # the text embedder reads documents lazily, inside a function
    assert "atomic" in GRAPH["export"]


@pytest.mark.parametrize(
    "package",
    sorted(GRAPH),
)
def test_no_import_cycle_through(package):
    partners = sorted(p for p in _reachable(GRAPH, package) - {package} if package in _reachable(GRAPH, p))
    assert partners == [], f"engine.{package} imports, directly or not, {partners}, which import it back"


@pytest.mark.parametrize("package", ["ingest", "embed", "cluster"])
def test_packages_below_the_pipeline_do_not_import_it(package):
    offenders = sorted(
        module
        for module, names in engine_imports().items()
        if module.startswith(f"engine.{package}") and any(_package(n) == "pipeline" for n in names)
    )
    assert offenders == []
