"""Strip the debug information out of a built bundle's shared libraries (Linux; build_app.sh runs it).

    .venv/bin/python build_scripts/strip_debug.py dist/DataMining6

Some wheels ship their libraries with DWARF debug information that nothing reads at run time
(libpython 23 MB, of which 18 MB is debug information). ``strip --strip-debug`` removes only that.
Libraries under a ``*.libs/`` folder are left alone: auditwheel moved them there and patched them
with patchelf, and stripping numpy's OpenBLAS once gave "ELF load command address/offset not
page-aligned". Each stripped library is then loaded in a fresh interpreter; one that no longer
loads gets its original back.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

_LOADS = """
import ctypes, os, sys
for path in sys.argv[1:]:
    try:
        ctypes.CDLL(path, mode=os.RTLD_LAZY)
    except OSError as error:
        print(path, error, sep="\\t")
"""


def has_debug_info(path: Path) -> bool:
    """Whether ``path`` is a shared library (by name and ELF magic) carrying a .debug_info section."""
    if not (path.name.endswith(".so") or ".so." in path.name) or path.is_symlink():
        return False
    with path.open("rb") as file:
        if file.read(4) != b"\x7fELF":
            return False
    sections = subprocess.run(["readelf", "-S", "-W", str(path)], capture_output=True, text=True).stdout
    return ".debug_info" in sections


def unloadable(paths: list[Path]) -> dict[Path, str]:
    """The libraries among ``paths`` that a fresh interpreter cannot load, with the loader's error."""
    done = subprocess.run([sys.executable, "-c", _LOADS, *map(str, paths)], capture_output=True, text=True)
    return {Path(line.split("\t")[0]): line for line in done.stdout.splitlines() if line}


def strip_bundle(app: Path) -> tuple[int, int]:
    """Strip every eligible library in ``app``; the number stripped and the bytes saved."""
    found = [p for p in sorted(app.rglob("*")) if not any(d.endswith(".libs") for d in p.parts)]
    found = [p for p in found if p.is_file() and has_debug_info(p)]
    failed_before = unloadable(found)  # some need others loaded first: judge only what stripping changed
    before = sum(p.stat().st_size for p in found)
    with tempfile.TemporaryDirectory(prefix="dm6-strip-") as tmp:
        originals = {}
        for i, path in enumerate(found):
            originals[path] = Path(tmp, str(i))
            shutil.copy2(path, originals[path])
            subprocess.run(["strip", "--strip-debug", str(path)], check=True)
        for path, error in unloadable(found).items():
            if path not in failed_before:
                print(f"strip_debug: {path} no longer loads after stripping ({error}); kept as it was")
                shutil.copy2(originals[path], path)
    return len(found), before - sum(p.stat().st_size for p in found)


if __name__ == "__main__":
    if shutil.which("strip") is None or shutil.which("readelf") is None:
        print("strip_debug: binutils (strip, readelf) not found; nothing stripped")
        raise SystemExit(0)
    count, saved = strip_bundle(Path(sys.argv[1]))
    print(f"strip_debug: {count} libraries lost their debug information, {saved / 2**20:.0f} MB")
