"""A project that moved together with its input files (a study folder sent to a colleague) finds them."""

import json
import shutil
import zipfile
from pathlib import Path

import pytest

from engine.pipeline import Spec, run
from engine.store import PROJECT_JSON, load, save

DEMO = Path(__file__).resolve().parents[2] / "resources" / "demo"


def _study(folder: Path) -> Path:
    """``folder/data`` holding the demo's two CSV files, analysed and saved as ``folder/p.dm6``."""
    (folder / "data").mkdir(parents=True)
    shutil.copy(DEMO / "tables" / "customers.csv", folder / "data" / "customers.csv")
    shutil.copy(DEMO / "timeseries" / "sensors.csv", folder / "data" / "sensors.csv")
    result = run(Spec(paths=(str(folder / "data"),), use_cache=False, modality="timeseries", k=3))
    save(result, folder / "p.dm6")
    return folder / "p.dm6"


def _forbid_reading(monkeypatch):
    import engine.ingest
    from engine.embed import Embedder

    def forbidden(*args, **kwargs):
        raise AssertionError("re-clustering an opened project must not read or embed files again")

    monkeypatch.setattr(engine.ingest, "scan", forbidden)
    monkeypatch.setattr(Embedder, "embed", forbidden)


def test_a_study_folder_moved_elsewhere_opens_with_its_files_found_beside_the_project(tmp_path, monkeypatch):
    project = _study(tmp_path / "study")
    shutil.move(tmp_path / "study", tmp_path / "colleague" / "copy")
    here = tmp_path / "colleague" / "copy"
    loaded, _ = load(here / project.name)
    assert {Path(it.path) for it in loaded.analysed.items} == {here / "data" / "sensors.csv"}
    assert loaded.spec.paths == (str(here / "data"),)
    [found] = [p for p in loaded.problems if p.stage == "project"]  # and nothing is "missing"
    assert found.severity == "warning" and found.path == here
    assert found.message.startswith(
        f"2 input files were found where they lie relative to the project, now in {here},"
    )
    _forbid_reading(monkeypatch)  # the stages' keys followed the paths: nothing is read again
    assert run(loaded.spec.replace(k=2), previous=loaded).n_clusters == 2

    save(loaded, here / "again.dm6")  # saved where it now is: the new places are recorded
    again, _ = load(here / "again.dm6")
    assert [p for p in again.problems if p.stage == "project"] == []
    assert {r["path"] for r in again.collection.info["project_files"]} == {
        str(here / "data" / "customers.csv"),
        str(here / "data" / "sensors.csv"),
    }


def test_inputs_beside_the_projects_folder_travel_with_it_too(tmp_path):
    # study/analysis/p.dm6 reading study/data: the layout of many a student's study folder.
    (tmp_path / "study" / "data").mkdir(parents=True)
    shutil.copy(DEMO / "timeseries" / "sensors.csv", tmp_path / "study" / "data" / "sensors.csv")
    result = run(Spec(paths=(str(tmp_path / "study" / "data"),), use_cache=False, k=3))
    (tmp_path / "study" / "analysis").mkdir()
    save(result, tmp_path / "study" / "analysis" / "p.dm6")
    shutil.move(tmp_path / "study", tmp_path / "usb")
    loaded, _ = load(tmp_path / "usb" / "analysis" / "p.dm6")
    assert {Path(it.path) for it in loaded.analysed.items} == {tmp_path / "usb" / "data" / "sensors.csv"}
    assert [p.message[:24] for p in loaded.problems if p.stage == "project"] == ["1 input file was found w"]


def test_a_project_moved_without_its_files_still_reads_them_where_they_are(tmp_path):
    project = _study(tmp_path / "study")
    (tmp_path / "desktop").mkdir()
    shutil.copy(project, tmp_path / "desktop" / "p.dm6")
    loaded, _ = load(tmp_path / "desktop" / "p.dm6")
    assert {Path(it.path) for it in loaded.analysed.items} == {tmp_path / "study" / "data" / "sensors.csv"}
    assert [p for p in loaded.problems if p.stage == "project"] == []
    shutil.rmtree(tmp_path / "study" / "data")  # and gone altogether: missing, as before
    loaded, _ = load(tmp_path / "desktop" / "p.dm6")
    messages = [p.message for p in loaded.problems if p.stage == "project"]
    assert len(messages) == 2 and all(m.startswith("is missing (moved or deleted)") for m in messages)


@pytest.mark.parametrize("saved_in", ["C:\\Users\\ana\\study", "/Users/ana/study"])
def test_a_project_saved_on_another_system_finds_its_files_here(tmp_path, saved_in):
    project = _study(tmp_path / "study")
    here = str(tmp_path / "study")
    separator = "\\" if saved_in.startswith("C:") else "/"

    def elsewhere(value):
        """Every path below the project's folder written as the other system wrote it."""
        if isinstance(value, str) and value.startswith(here):
            return saved_in + value[len(here) :].replace("/", separator)
        if isinstance(value, list):
            return [elsewhere(v) for v in value]
        if isinstance(value, dict):
            return {k: elsewhere(v) for k, v in value.items()}
        return value

    with zipfile.ZipFile(project) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    members[PROJECT_JSON] = json.dumps(elsewhere(json.loads(members[PROJECT_JSON]))).encode()
    assert here.encode() not in members[PROJECT_JSON]
    with zipfile.ZipFile(project, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    loaded, _ = load(project)
    assert {Path(it.path) for it in loaded.analysed.items} == {tmp_path / "study" / "data" / "sensors.csv"}
    assert loaded.spec.paths == (str(tmp_path / "study" / "data"),)
    [found] = [p for p in loaded.problems if p.stage == "project"]
    assert f"when it was saved in {saved_in};" in found.message
