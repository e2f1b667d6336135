"""Headless command line over :func:`engine.pipeline.run`, for batch work without a display.

``python main.py analyze PATH... --out DIR`` writes assignments.csv, metrics.json, scatter.png and
problems.csv. Exit status: 0 when the run finished (even if some files were bad), 1 when nothing
could be analysed, 2 for wrong arguments.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
COMMANDS = ("analyze",)
"""Sub-commands; ``main.py`` sends these to the command line and anything else to the window."""


def _k_value(text: str) -> int | None:
    if text.lower() == "auto":
        return None
    try:
        k = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"k must be a whole number or 'auto', not {text!r}") from None
    if k < 1:
        raise argparse.ArgumentTypeError("k must be at least 1")
    return k


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="main.py",
        description="DataMining6: cluster folders of CSV tables and time series, documents, images "
        "and audio. Run without arguments to open the window.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    analyze = commands.add_parser(
        "analyze",
        help="run the whole analysis headless and write the results to a folder",
        description="Read PATHs (files or folders), embed, cluster and map the items, and write "
        "assignments.csv, metrics.json, scatter.png and problems.csv into --out.",
    )
    analyze.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="files or folders to analyse")
    analyze.add_argument("--out", required=True, type=Path, help="folder for the results (created if needed)")
    analyze.add_argument(
        "--k",
        type=_k_value,
        default=None,
        metavar="N|auto",
        help="number of clusters, or 'auto' to pick the best silhouette in --k-min..--k-max (default: auto)",
    )
    analyze.add_argument("--k-min", type=int, default=2, help="smallest k tried when k is auto (default: 2)")
    analyze.add_argument("--k-max", type=int, default=10, help="largest k tried when k is auto (default: 10)")
    analyze.add_argument(
        "--label-column",
        default=None,
        metavar="NAME",
        help="table column holding known classes (default: a column named class, label, target...); "
        "'' for none. Labels are left out of the features and used for ARI/NMI",
    )
    analyze.add_argument(
        "--csv-kind",
        choices=("auto", "table", "timeseries"),
        default="auto",
        help="read CSV files as tables (rows are items) or time series; default: guess per file",
    )
    analyze.add_argument(
        "--modality",
        choices=("table", "timeseries", "text", "image", "audio"),
        default=None,
        help="which kind of item to analyse when the input holds several (default: the most common)",
    )
    analyze.add_argument("--embedder", default=None, help="embedder name (default: the modality's default)")
    analyze.add_argument("--algorithm", default="kmeans", help="clustering algorithm (default: kmeans)")
    analyze.add_argument("--layout", default="pca", help="2-D map method (default: pca)")
    analyze.add_argument("--seed", type=int, default=0, help="random seed, for repeatable runs (default: 0)")
    analyze.add_argument("--quiet", action="store_true", help="print only problems and errors")
    return parser


def _progress_printer(quiet: bool):
    last = {"stage": None, "time": 0.0}

    def progress(stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        if quiet or (stage == last["stage"] and now - last["time"] < 1.0 and done < total):
            return
        last.update(stage=stage, time=now)
        print(f"  {stage}: {done}/{total}", file=sys.stderr, flush=True)

    return progress


def analyze(args: argparse.Namespace) -> int:
    from engine import export
    from engine.pipeline import PipelineError, Spec, run

    spec = Spec(
        paths=tuple(str(p) for p in args.paths),
        modality=args.modality,
        csv_kind=args.csv_kind,
        label_column=args.label_column,
        embedder=args.embedder,
        algorithm=args.algorithm,
        k=args.k,
        k_min=args.k_min,
        k_max=args.k_max,
        layout=args.layout,
        random_state=args.seed,
    )
    try:
        result = run(spec, progress=_progress_printer(args.quiet))
    except (PipelineError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_FAILED
    out = args.out
    export.write_assignments(result, out / "assignments.csv")
    export.write_metrics(result, out / "metrics.json")
    export.write_problems(result, out / "problems.csv")
    export.write_scatter_png(result, out / "scatter.png")
    _print_summary(result, out, quiet=args.quiet)
    return EXIT_OK


def _print_summary(result, out: Path, quiet: bool) -> None:
    problems = result.collection.problems
    for p in problems:
        print(f"{p.severity}: {p}", file=sys.stderr)
    if quiet:
        return
    for note in result.collection.notes:
        print(f"note: {note}", file=sys.stderr)
    m = result.metrics
    parts = [f"{len(result.labels)} {result.modality} items", f"{result.n_clusters} clusters"]
    parts += [f"{name} {m[name]:.3f}" for name in ("silhouette", "ari", "nmi") if name in m]
    print("; ".join(parts), file=sys.stderr)
    print(f"{len(problems)} problem(s); results written to {out}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the headless commands; returns the process exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    return {"analyze": analyze}[args.command](args)


if __name__ == "__main__":
    raise SystemExit(main())
