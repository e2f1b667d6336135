"""The headless command line on the bundled demo data, run as a user would run it."""

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "resources" / "demo"


def main_py(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "main.py"), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env=None if env is None else {**os.environ, **env},
    )


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_analyze_demo_writes_every_output(tmp_path):
    bad = tmp_path / "in"
    bad.mkdir()
    (bad / "broken.csv").write_bytes(b"\x00\x01\x02binary junk\xff\xfe")
    for i in range(20):  # files of other kinds: one line on the terminal, each in problems.csv
        (bad / f"script{i}.py").write_text("print()\n")
    done = main_py("analyze", str(DEMO / "tables"), str(bad), "--out", str(tmp_path / "out"), "--k", "3")
    assert done.returncode == 0, done.stderr
    out = tmp_path / "out"
    rows = read_csv(out / "assignments.csv")
    assert len(rows) == 300
    assert list(rows[0]) == ["item", "path", "row", "cluster", "cluster_name", "known_label", "x", "y"]
    assert {r["cluster"] for r in rows} == {"0", "1", "2"}
    clusters = read_csv(out / "clusters.csv")
    assert list(clusters[0]) == ["cluster", "size", "name", "keywords", "typical_items"]
    assert sorted(int(c["size"]) for c in clusters) == sorted(
        sum(r["cluster"] == c["cluster"] for r in rows) for c in clusters
    )
    named = {c["cluster"]: c["name"] for c in clusters}
    assert all(r["cluster_name"] == named[r["cluster"]] for r in rows)
    # the demo's segments: families spend, students visit often, retirees are old and shop in store
    assert any("high income" in n for n in named.values()) and any("high age" in n for n in named.values())
    typical = [c["typical_items"].split("; ") for c in clusters]
    assert all(len(t) == 5 and set(t) <= {r["item"] for r in rows} for t in typical)
    assert sorted(int(r["row"]) for r in rows) == list(range(300))
    document = json.loads((out / "metrics.json").read_text())
    assert document["k"] == 3 and document["metrics"]["ari"] > 0.9
    assert "cluster" in document["timings_s"]
    problems = read_csv(out / "problems.csv")
    assert any("broken.csv" in p["path"] for p in problems)
    assert sum(p["severity"] == "skipped" and p["path"].endswith(".py") for p in problems) == 20
    lines = done.stderr.splitlines()
    assert [line for line in lines if ".py" in line] == ["skipped: 20 files of kinds not read (.py 20)."]
    assert "broken.csv" in done.stderr and "1 problem, 20 files skipped; results written" in done.stderr
    assert (document["n_problems"], document["n_skipped"]) == (1, 20)
    assert (out / "scatter.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_nothing_to_analyse_exits_non_zero_with_a_message(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "notes.json").write_text("{}")
    done = main_py("analyze", str(tmp_path / "in"), "--out", str(tmp_path / "out"))
    assert done.returncode == 1
    assert "error: No usable items were found (1 problem; 1 file of kinds not read (.json 1);" in done.stderr


def test_bad_arguments_and_help():
    assert main_py("analyze", "x", "--out", "y", "--k", "many").returncode == 2
    helped = main_py("analyze", "--help")
    assert helped.returncode == 0
    for option in ("--out", "--k", "--label-column", "--csv-kind", "--modality", "--embedder", "--seed"):
        assert option in helped.stdout


def test_models_lists_every_embedder_and_remembers_a_choice(tmp_path):
    listed = main_py("models")
    assert listed.returncode == 0
    for name in ("table-standardized", "text-minilm", "text-tfidf", "image-efficientnet", "image-openclip"):
        assert name in listed.stdout
    assert "MISSING, falls back to image-efficientnet" in listed.stdout  # no CLIP weights ship anywhere
    weights = tmp_path / "ViT-B-32.pt"
    weights.write_bytes(b"junk")
    assert main_py("models", "--set", "image-openclip", str(weights)).returncode == 0
    assert main_py("models", "--set", "no-such-embedder", str(weights)).returncode == 1
    assert main_py("models", "--unset", "image-openclip").returncode == 0


def test_compare_scores_every_embedder_on_labelled_series(tmp_path):
    done = main_py(
        "compare",
        str(DEMO / "timeseries"),
        "--embedders",
        "ts-resampled,ts-catch22",
        "--out",
        str(tmp_path),
        env={
            "DATAMINING6_CACHE_DIR": str(tmp_path / "cache")
        },  # vectors an earlier test cached would skip the embed step
    )
    assert done.returncode == 0, done.stderr
    assert "120 timeseries items, 3 known classes, k = 3" in done.stdout
    rows = read_csv(tmp_path / "compare.csv")
    assert [r["embedder"] for r in rows] == ["ts-resampled", "ts-catch22"]
    ari = {r["embedder"]: float(r["ARI"]) for r in rows}
    assert ari["ts-catch22"] > 0.9 > ari["ts-resampled"]
    # progress on stderr: each combination and its stages
    assert "[1/2] ts-resampled + kmeans" in done.stderr and "[2/2] ts-catch22 + kmeans" in done.stderr
    assert "embed (ts-catch22): " in done.stderr and "k-means: " in done.stderr


def test_every_method_runs_from_the_command_line(tmp_path):
    for algorithm, extra in (
        ("agglomerative", ["--linkage", "average", "--k", "3"]),
        ("divisive", ["--split-rule", "sse", "--k", "3"]),
        ("gmm", ["--covariance", "diag", "--k", "3"]),
        ("dbscan", ["--min-samples", "8", "--dbscan-backend", "sklearn"]),
        ("hdbscan", ["--min-samples", "10"]),
    ):
        out = tmp_path / algorithm
        done = main_py("analyze", str(DEMO / "tables"), "--out", str(out), "--algorithm", algorithm, *extra,
                       "--detector", "ecod", "--contamination", "0.1", "--quiet")  # fmt: skip
        assert done.returncode == 0, (algorithm, done.stderr)
        rows = read_csv(out / "assignments.csv")
        assert list(rows[0])[-2:] == ["anomaly_score", "outlier"]
        assert sum(int(r["outlier"]) for r in rows) == 30  # 10 % of 300
        document = json.loads((out / "metrics.json").read_text())
        assert document["algorithm"] == algorithm and document["metrics"]["ari"] > 0.5, document["metrics"]


def test_analyze_writes_the_report_clusters_csv_and_a_project_the_window_opens(tmp_path):
    from engine.store import load

    out, project = tmp_path / "out", tmp_path / "projects" / "demo.dm6"
    done = main_py(
        "analyze", str(DEMO / "tables"), "--out", str(out), "--k", "3", "--report", "--save", str(project)
    )
    assert done.returncode == 0, done.stderr
    assert {p.name for p in out.iterdir()} >= {"report.html", "clusters.csv", "assignments.csv"}
    clusters = read_csv(out / "clusters.csv")
    assert sorted(r["cluster"] for r in clusters) == ["0", "1", "2"]
    assert "<div class='cluster' id='cluster-2'>" in (out / "report.html").read_text(encoding="utf-8")
    result, view = load(project)
    assert result.n_clusters == 3 and len(result.analysed.items) == 300 and view == {}
    assert f"python main.py {project}" in done.stderr


def test_an_unwritable_save_target_or_a_missing_project_is_refused_before_any_work(tmp_path):
    from engine.cli import main

    (tmp_path / "file").write_text("x")
    code = main(
        [
            "analyze",
            str(DEMO / "tables"),
            "--out",
            str(tmp_path / "out"),
            "--save",
            str(tmp_path / "file" / "p.dm6"),
        ]
    )
    assert code == 2 and not (tmp_path / "out" / "assignments.csv").exists()
    code = main(["analyze", str(DEMO / "tables"), "--out", str(tmp_path / "out"), "--save", str(tmp_path)])
    assert code == 2
    done = main_py(str(tmp_path / "nothing.dm6"))
    assert done.returncode == 2 and "nothing.dm6 is not a project file" in done.stderr


def test_a_bad_seed_or_a_mistyped_compare_option_exits_2_before_any_work(tmp_path, capsys, monkeypatch):
    # The seed was refused by numpy after the embedding ("Seed must be between 0 and 2**32 - 1", exit 1);
    # an unknown embedder in compare became a "failed" row and exit 0.
    import engine.pipeline
    from engine.cli import main

    def no_work(*_args, **_kwargs):
        raise AssertionError("the run started")

    monkeypatch.setattr(engine.pipeline, "run", no_work)
    out = str(tmp_path / "out")
    assert main(["analyze", str(DEMO / "tables"), "--out", out, "--seed", "-3"]) == 2
    assert "error: --seed must be in [0, 2147483647]; got -3." in capsys.readouterr().err
    for option, value, message in (
        ("--embedders", "ts-catch22,nope", "unknown embedder 'nope'"),
        ("--algorithms", "kmeans,nope", "got 'nope'"),
    ):
        assert main(["compare", str(DEMO / "timeseries"), "--out", out, option, value]) == 2
        assert message in capsys.readouterr().err
