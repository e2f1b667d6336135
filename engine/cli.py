"""Headless command line over :func:`engine.pipeline.run`, for batch work without a display.

``analyze`` writes assignments.csv, clusters.csv, metrics.json, scatter.png and problems.csv (with
``--report`` also report.html; with ``--save`` a project file the window opens); ``models`` lists
the embedders and where their models come from; ``compare`` scores every embedder and algorithm
combination against known labels. Exit status: 0 when the run finished (even if some files were
bad), 1 when nothing could be analysed, 2 for wrong arguments: the options come from
:mod:`engine.catalogue` and its :func:`~engine.catalogue.check_options` checks their values before
any work (a k above the number of items, known only after reading, is exit status 2 as well).
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from engine import catalogue

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
COMMANDS = ("analyze", "models", "compare")
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


def _option(parser: Any, name: str, **extra: Any) -> None:
    """Add the option of a catalogue parameter: its flag, choices, default and help written once."""
    p = catalogue.PARAMETERS[name]
    shown = f" (default: {p.default})" if p.default is not None else ""
    options: dict[str, Any] = {"dest": p.name, "default": p.default, "help": p.help + shown}
    if p.choices:
        options["choices"] = p.values
    elif p.kind is not None or isinstance(p.default, int | float):
        options["type"] = p.kind or type(p.default)
    parser.add_argument(p.option, **(options | extra))


def _add_input_options(parser: argparse.ArgumentParser) -> None:
    """Options that say what to read and how; shared by analyze and compare."""
    parser.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="files or folders to analyse")
    parser.add_argument(
        "--label-column",
        default=None,
        metavar="NAME",
        help="table column holding known classes (default: a column named class, label, target...); "
        "'' for none. Labels are left out of the features and used for ARI/NMI",
    )
    parser.add_argument(
        "--csv-group",
        default=None,
        metavar="FILE",
        help="CSV files with different columns are separate inputs and the largest is analysed; "
        "name a file (or its path) of the kind to analyse instead",
    )
    parser.add_argument(
        "--sheet",
        default=None,
        metavar="NAME",
        help="the sheet to read in spreadsheets (default: each workbook's first sheet holding a table)",
    )
    for name in ("csv_kind", "modality"):
        _option(parser, name)
    parser.add_argument(
        "--model", default=None, help="model file or folder for the embedder (default: configured)"
    )
    _option(parser, "device")
    parser.add_argument("--no-cache", action="store_true", help="neither read nor write the vector cache")
    _option(parser, "random_state")


METHOD_OPTIONS = (
    "algorithm", "linkage", "split_rule", "covariance_type", "criterion", "eps", "min_samples",
    "dbscan_backend", "detector", "contamination", "layout",
)  # fmt: skip
"""Catalogue parameters that ``analyze`` offers beside k (clustering, outliers, map)."""


def _add_method_options(parser: argparse.ArgumentParser) -> None:
    """Clustering, outlier and map options: every method's parameters, named as in the Spec."""
    group = parser.add_argument_group("methods")
    for name in METHOD_OPTIONS:
        _option(group, name)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="main.py",
        description="DataMining6: cluster folders of CSV tables and time series, documents, images "
        "and audio. Run without arguments to open the window.",
    )
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="analyse the bundled demo and run the default models headless; one line, exit 0 if all works",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    analyze = commands.add_parser(
        "analyze",
        help="run the whole analysis headless and write the results to a folder",
        description="Read PATHs (files or folders), embed, cluster and map the items, and write "
        "assignments.csv, clusters.csv (names, keywords, typical items), metrics.json, scatter.png and "
        "problems.csv into --out.",
    )
    analyze.add_argument(
        "--report",
        action="store_true",
        help="also write report.html: the map, metrics and every cluster with examples, in one file",
    )
    analyze.add_argument(
        "--save",
        type=Path,
        default=None,
        metavar="FILE.dm6",
        help="also save the analysis as a project that 'python main.py FILE.dm6' opens in the window",
    )
    _add_input_options(analyze)
    analyze.add_argument("--out", required=True, type=Path, help="folder for the results (created if needed)")
    _option(analyze, "k", type=_k_value, metavar="N|auto")
    _option(analyze, "k_min")
    _option(analyze, "k_max")
    analyze.add_argument(
        "--embedder", default=None, help="embedder name, see 'models' (default: per modality)"
    )
    _add_method_options(analyze)
    analyze.add_argument("--quiet", action="store_true", help="print only problems and errors")

    models = commands.add_parser(
        "models",
        help="list the embedders, whether their models are here, and where they load from",
        description="List every embedder. --set NAME PATH remembers a model file or folder for an embedder "
        "(e.g. an OpenCLIP checkpoint for image-openclip); --unset NAME forgets it.",
    )
    models.add_argument(
        "--set", nargs=2, metavar=("NAME", "PATH"), help="use the model at PATH for embedder NAME"
    )
    models.add_argument("--unset", metavar="NAME", help="forget the model chosen for embedder NAME")

    compare = commands.add_parser(
        "compare",
        help="score every embedder x algorithm combination against known labels",
        description="Cluster PATHs with each embedder and algorithm and print ARI, NMI and silhouette "
        "for every combination. Labels come from sub-folder names or a label column; k defaults to "
        "the number of known classes.",
    )
    _add_input_options(compare)
    compare.add_argument(
        "--embedders", default=None, help="comma-separated names (default: all for the modality)"
    )
    compare.add_argument("--algorithms", default="kmeans", help="comma-separated names (default: kmeans)")
    compare.add_argument(
        "--k", type=_k_value, default=None, metavar="N|auto", help="default: number of classes"
    )
    compare.add_argument("--out", type=Path, default=None, help="also write the table to OUT/compare.csv")
    compare.add_argument("--quiet", action="store_true", help="no progress on stderr")
    return parser


def _progress_printer(quiet: bool) -> Callable[[str, int, int], None]:
    """Progress on stderr: every stage, then a line a second with the rate and time left."""
    from engine.progress import Meter, Throttle

    meter, throttle = Meter(), Throttle(1.0)

    def progress(stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        counts = meter.describe(stage, done, total, now)
        if not quiet and (throttle.due(stage, now) or done >= total):
            print(f"  {stage}: {counts or ('done' if done >= total else '…')}", file=sys.stderr, flush=True)

    return progress


def _spec_from(args: argparse.Namespace, **more: object):
    from engine.pipeline import Spec

    return Spec(
        paths=tuple(str(p) for p in args.paths),
        modality=args.modality,
        csv_kind=args.csv_kind,
        label_column=args.label_column,
        csv_group=args.csv_group,
        sheet=args.sheet,
        model=args.model,
        device=args.device,
        use_cache=not args.no_cache,
        random_state=args.random_state,
        **more,
    )


def analyze(args: argparse.Namespace) -> int:
    from engine import export
    from engine.items import plural, tally
    from engine.pipeline import PipelineError, run

    spec = _spec_from(
        args,
        embedder=args.embedder,
        k=args.k,
        k_min=args.k_min,
        k_max=args.k_max,
        **{name: getattr(args, name) for name in METHOD_OPTIONS},
    )
    out = args.out
    try:
        # Option values first: a refused option must leave nothing behind, not even the --out folder.
        catalogue.check_options(spec.to_dict())
    except catalogue.OptionError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    unusable = _unusable_out(out)
    if unusable:
        print(f"error: --out {unusable}", file=sys.stderr)
        return EXIT_USAGE
    if args.save is not None:
        unusable = (
            f"{args.save} is a folder; give a file name such as analysis.dm6." if args.save.is_dir() else None
        )
        unusable = unusable or _unusable_out(args.save.parent)
        if unusable:
            print(f"error: --save {unusable}", file=sys.stderr)
            return EXIT_USAGE
    try:
        result = run(spec, progress=_progress_printer(args.quiet))
    except catalogue.OptionError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except (PipelineError, ValueError) as error:
        problems = getattr(error, "problems", [])
        _print_problems(problems)
        if problems:
            export.write_problems(problems, out / "problems.csv")
        print(f"error: {error}", file=sys.stderr)
        return EXIT_FAILED
    export.write_assignments(result, out / "assignments.csv")
    export.write_clusters(result, out / "clusters.csv")
    export.write_metrics(result, out / "metrics.json")
    export.write_problems(result, out / "problems.csv")
    export.write_scatter_png(result, out / "scatter.png")
    if args.report:
        from engine.report import write_report

        write_report(result, out / "report.html")
    if args.save is not None:
        from engine.store import save

        save(result, args.save)
    _print_problems_and_notes(result, quiet=args.quiet)
    if not args.quiet:
        m = result.metrics
        parts = [plural(len(result.labels), f"{result.modality} item"), plural(result.n_clusters, "cluster")]
        parts += [f"{name} {m[name]:.3f}" for name in ("silhouette", "ari", "nmi") if name in m]
        print("; ".join(parts), file=sys.stderr)
        print(f"{tally(result.problems)}; results written to {out}", file=sys.stderr)
        if args.save is not None:
            print(f"project saved as {args.save}; open it with: python main.py {args.save}", file=sys.stderr)
    return EXIT_OK


def _unusable_out(out: Path) -> str | None:
    """Why the results could not be written to ``out`` (checked before minutes of work), or None."""
    import tempfile

    if out.exists() and not out.is_dir():
        return f"{out} is a file; give a folder for the results."
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out):
            pass
    except OSError as error:
        return f"{out} cannot be written to ({error.strerror or error}); give a folder you can write to."
    return None


def _print_problems(problems: list) -> None:
    """One line per problem, worst first; files of kinds not read in a single line (problems.csv has each)."""
    from engine.export import escape_text
    from engine.items import needing_a_look, skipped_summary, worst_first

    for p in needing_a_look(worst_first(problems)):
        print(f"{p.severity}: {escape_text(str(p))}", file=sys.stderr)
    skipped = skipped_summary(problems)
    if skipped:
        print(f"skipped: {escape_text(skipped)}.", file=sys.stderr)


def _print_problems_and_notes(result, quiet: bool) -> None:
    from engine.export import escape_text

    _print_problems(result.problems)
    if not quiet:
        for note in result.notes:
            print(f"note: {escape_text(note)}", file=sys.stderr)


def models(args: argparse.Namespace) -> int:
    from engine.embed import get_embedder, list_embedders
    from engine.embed.models import set_configured_model

    try:
        if args.set:
            name, path = args.set
            get_embedder(name)  # unknown names are an error before anything is written
            if not Path(path).exists():
                raise ValueError(f"{path} does not exist; give the model file or folder.")
            set_configured_model(name, Path(path))
        if args.unset:
            get_embedder(args.unset)
            set_configured_model(args.unset, None)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_FAILED
    import textwrap

    from engine.embed import default_embedder
    from engine.embed.models import models_file_note

    if models_file_note():
        print(f"note: {models_file_note()}", file=sys.stderr)
    wrap = textwrap.TextWrapper(width=100, initial_indent="    ", subsequent_indent="          ")
    for e in list_embedders():
        ready = e.readiness()
        default = " (default)" if default_embedder(e.modality) == e.name else ""
        fallback = f", falls back to {e.fallback}" if e.fallback else ""
        status = "ready" if ready.ready else f"MISSING{fallback}"
        print(f"{e.modality:<11} {e.name + default:<32} {status}")
        print(wrap.fill(f"what: {e.description}"))
        print(wrap.fill(f"from: {ready.source}"))
        if not ready.ready and ready.message:
            print(wrap.fill(f"todo: {ready.message}"))
    return EXIT_OK


def compare(args: argparse.Namespace) -> int:
    from engine.atomic import atomic_write
    from engine.embed import list_embedders
    from engine.export import CSV_ENCODING, SafeCsvWriter
    from engine.pipeline import PipelineError, run

    base = _spec_from(args, k=args.k)
    progress = _progress_printer(quiet=args.quiet)
    chosen = [n.strip() for n in args.embedders.split(",")] if args.embedders else []
    algorithms = [a.strip() for a in args.algorithms.split(",")]
    try:
        catalogue.check_options(base.to_dict())
        for name in chosen:  # before any work: a typo must not cost an embedding run
            catalogue.check_embedder(name, base.modality)
        for algorithm in algorithms:
            catalogue.check_options({"algorithm": algorithm})
        first = run(base, progress=progress)
        for name in chosen:
            catalogue.check_embedder(name, first.modality)
    except catalogue.OptionError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except (PipelineError, ValueError) as error:
        _print_problems(getattr(error, "problems", []))  # "see the problems list": here they are
        print(f"error: {error}", file=sys.stderr)
        return EXIT_FAILED
    classes = {it.label for it in first.analysed.items if it.label is not None}
    if len(classes) < 2:
        print(
            "note: the items carry no known classes (sub-folders or a label column); "
            "only silhouette can be compared.",
            file=sys.stderr,
        )
    k = args.k or max(2, len(classes))
    names = chosen or [e.name for e in list_embedders(first.modality)]
    rows, previous = [], first
    for n, (name, algorithm) in enumerate(itertools.product(names, algorithms), start=1):
        if not args.quiet:
            print(f"[{n}/{len(names) * len(algorithms)}] {name} + {algorithm}", file=sys.stderr, flush=True)
        spec = base.replace(modality=first.modality, embedder=name, algorithm=algorithm, k=k)
        start = time.perf_counter()
        try:
            previous = run(spec, progress=progress, previous=previous)
        except (PipelineError, ValueError) as error:
            rows.append([name, algorithm, "", "", "", "", f"failed: {error}"])
            continue
        m = previous.metrics
        # "image-openclip → image-efficientnet (fallback)": the row says what was asked and what ran.
        used = name if previous.embedder == name else f"{name} → {previous.embedder} (fallback)"
        rows.append(
            [
                used,
                algorithm,
                previous.n_clusters,
                *(_fmt(m.get(s)) for s in ("ari", "nmi", "silhouette")),
                f"{time.perf_counter() - start:.1f}",
            ]
        )
    header = ["embedder", "algorithm", "k", "ARI", "NMI", "silhouette", "seconds"]
    print(f"{len(first.analysed.items)} {first.modality} items, {len(classes)} known classes, k = {k}")
    _print_table(header, rows)
    if args.out is not None:
        with atomic_write(args.out / "compare.csv", encoding=CSV_ENCODING) as handle:
            SafeCsvWriter(handle).writerows([header, *rows])
    return EXIT_OK


def _fmt(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}"


def _print_table(header: list[str], rows: list[list[object]]) -> None:
    cells = [header, *[[str(c) for c in row] for row in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    for n, row in enumerate(cells):
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
        if n == 0:
            print("  ".join("-" * w for w in widths))


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the headless commands; returns the process exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.self_test:
        from engine.selftest import main as self_test

        return self_test()
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    return {"analyze": analyze, "models": models, "compare": compare}[args.command](args)


if __name__ == "__main__":
    raise SystemExit(main())
