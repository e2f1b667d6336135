"""DataMining6: ``python main.py`` opens the window; ``python main.py analyze ...`` runs headless."""

import sys


def main() -> int:
    from engine.cli import COMMANDS

    if len(sys.argv) > 1 and (sys.argv[1] in COMMANDS or sys.argv[1].startswith("-")):
        from engine.cli import main as cli_main

        return cli_main(sys.argv[1:])
    from gui.app import main as gui_main

    return gui_main(sys.argv)


if __name__ == "__main__":
    # The engine runs in a spawned process (engine.server); in a PyInstaller bundle that process
    # starts this executable again, and freeze_support() turns it into the engine, not a window.
    import multiprocessing

    multiprocessing.freeze_support()
    raise SystemExit(main())
