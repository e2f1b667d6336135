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
    # First thing: in the packaged app, a spawned engine process re-runs this executable, and
    # freeze_support() turns it into that child instead of a second window.
    import multiprocessing

    multiprocessing.freeze_support()
    raise SystemExit(main())
