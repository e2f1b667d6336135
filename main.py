"""DataMining6: ``python main.py`` opens the window; ``python main.py analyze ...`` runs headless.

``python main.py FILE.dm6`` opens a saved project in the window (see :mod:`engine.store`).
"""

import sys
from pathlib import Path


def compile_into_user_cache() -> None:
    """In the packaged app, compile the library sources it ships into the user's cache, once.

    torch and transformers ship as sources only (OpenCLIP and the ONNX export read their source
    code); the packaged app writes no bytecode by default, so each start would compile them again.
    """
    if getattr(sys, "frozen", False) and sys.pycache_prefix is None:
        from engine.embed.cache import default_cache_dir

        sys.pycache_prefix = str(default_cache_dir() / "pycache")
        sys.dont_write_bytecode = False


def main() -> int:
    from engine.cli import COMMANDS

    if len(sys.argv) > 1 and (sys.argv[1] in COMMANDS or sys.argv[1].startswith("-")):
        from engine.cli import main as cli_main

        return cli_main(sys.argv[1:])
    projects = [a for a in sys.argv[1:] if a.lower().endswith(".dm6") and not Path(a).is_file()]
    if projects:  # say so here, not in a window that would open empty
        print(
            f"error: {projects[0]} is not a project file here; give the path of a saved .dm6 file.",
            file=sys.stderr,
        )
        return 2
    from gui.app import main as gui_main

    return gui_main(sys.argv)


if __name__ == "__main__":
    # The engine runs in a spawned process (engine.server); in a PyInstaller bundle that process
    # starts this executable again, and freeze_support() turns it into the engine, not a window.
    import multiprocessing

    compile_into_user_cache()
    multiprocessing.freeze_support()
    raise SystemExit(main())
