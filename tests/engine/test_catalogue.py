"""The catalogue is the one list of methods and parameters: the command line, the methods, the
README and the option checks all agree with it."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest
from sklearn.datasets import make_blobs

from engine import catalogue, cli
from engine.anomaly import DETECTORS
from engine.cluster import METHODS, cluster
from engine.embed import list_embedders
from engine.layout import LAYOUTS
from engine.pipeline import Spec, method_params
from engine.progress import STAGES, stage_of

ROOT = Path(__file__).resolve().parents[2]
DEMO_TABLES = ROOT / "resources" / "demo" / "tables"
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _section(title: str) -> str:
    start = README.index(f"## {title}")
    end = README.find("\n## ", start + 1)
    return README[start : end if end > 0 else None]


def _cli_choices(option: str) -> tuple[str, ...]:
    analyze = cli.build_parser()._subparsers._group_actions[0].choices["analyze"]
    action = next(a for a in analyze._actions if option in a.option_strings)
    return tuple(action.choices or ())


def test_readme_cli_and_catalogue_name_the_same_methods():
    algorithms = re.findall(r"^\| [^|]*\(`(\w+)`", _section("Clustering methods"), re.M)
    assert tuple(algorithms) == catalogue.names(catalogue.ALGORITHMS) == tuple(METHODS)
    assert _cli_choices("--algorithm") == tuple(algorithms)

    bullets = {b.split("**")[1]: b for b in _section("Clustering methods").split("\n- ")[1:]}
    assert tuple(re.findall(r"`(\w+)`", bullets["Outliers"].split("*Contamination*")[0])) == DETECTORS
    assert _cli_choices("--detector") == DETECTORS == catalogue.names(catalogue.DETECTORS)
    assert tuple(re.findall(r"\(`(\w+)`", bullets["Maps"])) == LAYOUTS == _cli_choices("--layout")


def test_readme_embedders_table_is_the_registry():
    rows = re.findall(r"^\| ([a-z ]+) \| `([\w-]+)` \| (yes)? ?\|", _section("Embedders"), re.M)
    documented = {(modality.replace(" ", ""), name) for modality, name, _ in rows}
    assert documented == {(e.modality, e.name) for e in list_embedders()}
    for modality in catalogue.names(catalogue.MODALITIES):
        assert set(catalogue.embedders(modality)) == {n for m, n in documented if m == modality}


def test_every_choice_parameter_is_an_option_with_the_catalogue_default():
    analyze = cli.build_parser()._subparsers._group_actions[0].choices["analyze"]
    by_dest = {a.dest: a for a in analyze._actions}
    for p in catalogue.PARAMETERS.values():
        action = by_dest[p.name]
        assert p.option in action.option_strings and action.default == p.default
        assert tuple(action.choices or ()) == p.values
    assert Spec() == Spec(**{p.name: p.default for p in catalogue.PARAMETERS.values()})


def test_methods_take_exactly_their_catalogue_parameters():
    for algorithm, method in METHODS.items():
        target = {
            "kmeans": "engine.cluster.kmeans",
            "agglomerative": "engine.cluster.hierarchical",
            "divisive": "engine.cluster.hierarchical",
            "gmm": "engine.cluster.gmm",
            "dbscan": "engine.cluster.dbscan",
            "hdbscan": "engine.cluster.dbscan",
        }[algorithm]
        fit = getattr(__import__(target, fromlist=["x"]), f"fit_{algorithm}")
        keywords = set(inspect.signature(fit).parameters) - {"vectors", "progress", "cancel"}
        assert keywords == set(method_params(Spec(algorithm=algorithm))), algorithm
        assert method.__name__ == f"_{algorithm}"


def test_every_method_reports_only_catalogued_stages():
    X, _ = make_blobs(60, centers=3, n_features=4, random_state=0)
    for algorithm in METHODS:
        seen: list[str] = []
        result = cluster(
            X,
            algorithm,
            progress=lambda stage, *_, seen=seen: seen.append(stage),
            **method_params(Spec(algorithm=algorithm)),
        )
        assert len(result.labels) == len(X)
        assert seen and {stage_of(s) for s in seen} <= set(STAGES), algorithm


def test_engine_sources_report_stages_by_their_constants():
    literal = re.compile(r"""progress\(\s*f?["']""")
    offenders = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in (ROOT / "engine").rglob("*.py")
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if literal.search(line) and not re.search(r"""progress\(\s*f["']\{[A-Z_]+\}""", line)
    ]
    assert offenders == []


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--k-min", "0"], "--k-min must be at least 1; got 0."),
        (["--k-min", "8", "--k-max", "3"], "--k-min (8) must not be larger than --k-max (3)."),
        (["--embedder", "text-minilm", "--modality", "table"], "text-minilm embeds text items, not table"),
        (["--embedder", "no-such"], "--embedder: unknown embedder 'no-such'"),
        (["--contamination", "0"], "--contamination must be in (0, 0.5]; got 0."),
        (["--contamination", "2"], "--contamination must be in (0, 0.5]; got 2."),
        (["--eps", "-1"], "--eps must be above 0; got -1."),
        (["--min-samples", "0"], "--min-samples must be at least 1; got 0."),
    ],
)
def test_bad_option_values_exit_2_with_one_line_before_any_work(tmp_path, capsys, options, message):
    out = tmp_path / "out"
    status = cli.main(["analyze", str(tmp_path / "does-not-exist"), "--out", str(out), *options])
    error = capsys.readouterr().err
    assert status == cli.EXIT_USAGE
    assert error.startswith("error: ") and message in error and error.count("\n") == 1
    assert not out.exists()  # refused before reading anything


def test_k_above_the_number_of_items_is_an_option_error(tmp_path, capsys):
    status = cli.main(["analyze", str(DEMO_TABLES), "--out", str(tmp_path), "--k", "500", "--quiet"])
    assert status == cli.EXIT_USAGE
    assert "k must be between 1 and the number of items (300); got 500." in capsys.readouterr().err


def test_check_options_accepts_the_defaults_and_names_the_option():
    catalogue.check_options(Spec().to_dict())
    with pytest.raises(catalogue.OptionError, match="--covariance must be one of full, tied"):
        catalogue.check_options({"covariance_type": "round"})
    with pytest.raises(catalogue.OptionError, match="--contamination must be a number; got 'high'"):
        catalogue.check_options({"contamination": "high"})
