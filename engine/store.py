"""Projects: :func:`save` and :func:`load` keep a whole analysis as one file (``name.dm6``).

A project is an ordinary zip: ``project.json`` (the schema version, the Spec, every input file's
size, mtime and content digest, the view state and every other field of the
:class:`~engine.pipeline.Result` as tagged JSON) and one ``.npy`` member per array (``np.load``
opens the file as an npz). Nothing is pickled: arrays are read with ``allow_pickle=False`` and
objects are rebuilt only from the classes :data:`TYPES` lists, so a project from a stranger
cannot run code. Saving goes through :func:`engine.atomic.atomic_write`: a save killed half-way
leaves the previous project intact.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib
import json
import os
import re
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from engine.atomic import atomic_write
from engine.relocate import Relocator

if TYPE_CHECKING:
    from engine.pipeline import Result

SCHEMA_VERSION = 1
"""Version of the project layout; a project with a higher number was written by a newer version."""
FORMAT = "datamining6-project"
PROJECT_JSON = "project.json"
SUFFIX = ".dm6"
STAGE = "project"
FILES = "project_files"
"""``Collection.info`` key of the file records an opened project was saved with (see :func:`save`)."""
"""The stage of the problems :func:`load` adds for input files that moved or changed."""


class ProjectError(Exception):
    """A project file cannot be opened; the message says why and what to do, for the user."""


# ---- content digests ------------------------------------------------------------------------------
_digests: dict[tuple[str, int, int], str] = {}
"""(path, size, mtime_ns) -> digest, so that saving again in one session reads no file twice."""


def file_digest(path: Path | str) -> str:
    """BLAKE2b (20 bytes, as the vector cache keys content) of a file's bytes, read in chunks."""
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, lambda: hashlib.blake2b(digest_size=20)).hexdigest()


def _file_record(path: str) -> dict[str, Any]:
    """Size, mtime and digest of one input file; ``missing`` when it cannot be read now.

    Paths stay strings here: building 100 000 ``Path`` objects costs more than stating the files.
    """
    try:
        stat = os.stat(path)
        key = (path, stat.st_size, stat.st_mtime_ns)
        if key not in _digests:
            _digests[key] = file_digest(path)
    except OSError:
        return {"path": path, "missing": True}
    return {"path": path, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "digest": _digests[key]}


def _changed(record: dict[str, Any]) -> str | None:
    """Why a saved file no longer matches its record, or None when it does (or was already missing)."""
    if record.get("missing"):
        return None
    path = record["path"]
    try:
        stat = os.stat(path)
    except OSError:
        return "is missing (moved or deleted)"
    if stat.st_size != record["size"]:
        return "has changed (its size differs)"
    if stat.st_mtime_ns == record["mtime_ns"]:
        return None
    try:
        digest = file_digest(path)
    except OSError as error:
        return f"cannot be read ({error.strerror or error})"
    if digest != record["digest"]:
        return "has changed (its content differs)"
    _digests[(path, stat.st_size, stat.st_mtime_ns)] = digest
    return None


# ---- tagged JSON plus arrays ------------------------------------------------------------------------
TYPES: dict[str, str] = {
    "Result": "engine.pipeline",
    "Spec": "engine.spec",
    "Collection": "engine.items",
    "Item": "engine.items",
    "Problem": "engine.items",
    "CsvFile": "engine.items",
    "CsvGroup": "engine.items",
    "ClusterName": "engine.naming",
    "Clustering": "engine.cluster",
    "Tree": "engine.cluster.tree",
    "KCurve": "engine.cluster.choose_k",
    "CriterionCurve": "engine.cluster.gmm_k",
    "Anomalies": "engine.anomaly",
    "Silhouettes": "engine.metrics",
}
"""The only classes a project may hold, by the name written in the file -> the module defining them.

A class that moves to another module changes its entry here, never its name in old files. Modules
are imported only when a project holds one of their classes (scikit-learn takes seconds to import).
"""


def _class(name: str) -> type:
    module = TYPES.get(name)
    if module is None:
        raise ProjectError(f"it holds a {name!r}, which this version does not know")
    return getattr(importlib.import_module(module), name)


class _Writer:
    """Turns a Result into JSON-able data, setting its arrays aside under readable names."""

    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}
        self._ids: dict[int, int] = {}
        self._keep: list[Any] = []  # holds every shared object so that no id is reused meanwhile

    def array(self, value: np.ndarray, where: str) -> dict[str, str]:
        name = re.sub(r"[^A-Za-z0-9_.-]", "_", where.strip("."))[:60] or "array"
        if name in self.arrays:
            name = f"{name}.{len(self.arrays)}"
        if value.dtype.hasobject:
            raise TypeError(f"{where}: an array of Python objects cannot be stored without pickle.")
        self.arrays[name] = value
        return {"$array": name}

    def encode(self, value: Any, where: str = "") -> Any:
        if value is None or isinstance(value, bool | int | float | str):
            return value
        if isinstance(value, np.generic):
            return value.item()
        if isinstance(value, np.ndarray):
            return self.array(value, where)
        if isinstance(value, Path):
            return {"$path": str(value)}
        if isinstance(value, tuple):
            return {"$tuple": [self.encode(v, f"{where}.{i}") for i, v in enumerate(value)]}
        if isinstance(value, list):
            return [self.encode(v, f"{where}.{i}") for i, v in enumerate(value)]
        if isinstance(value, set | frozenset):
            return {"$set": [self.encode(v) for v in sorted(value)]}
        if isinstance(value, dict):
            if all(isinstance(k, str) and not k.startswith("$") for k in value):
                return {k: self.encode(v, f"{where}.{k}") for k, v in value.items()}
            return {"$map": [[self.encode(k), self.encode(v, f"{where}.{k}")] for k, v in value.items()]}
        name = type(value).__name__
        if TYPES.get(name) != type(value).__module__:
            raise TypeError(f"{where}: a {type(value).__name__} cannot be stored in a project.")
        return self.dataclass(value, name, where)

    def dataclass(self, value: Any, name: str, where: str) -> dict[str, Any]:
        """An object by its fields; one met twice (``analysed`` is often ``collection``) is a reference."""
        if id(value) in self._ids:
            return {"$ref": self._ids[id(value)]}
        self._ids[id(value)] = len(self._ids)
        self._keep.append(value)
        if name == "Collection":
            fields = self.collection(value, where)
        else:
            fields = {
                f.name: self.encode(getattr(value, f.name), f"{where}.{f.name}") for f in _fields(value)
            }
        return {"$type": name, "$id": self._ids[id(value)], "fields": fields}

    def collection(self, value: Any, where: str) -> dict[str, Any]:
        """Items as columns and series as one flat array: 100 000 small objects would be slow JSON."""
        items = value.items
        fields = {
            f.name: self.encode(getattr(value, f.name), f"{where}.{f.name}")
            for f in _fields(value)
            if f.name not in ("items", "series", "info")
        }
        info = {k: v for k, v in value.info.items() if k != FILES}  # the records go in "files"
        fields["info"] = self.encode(info, f"{where}.info")
        fields["items"] = {
            "id": self.array(np.asarray([it.id for it in items], dtype=np.int64), f"{where}.items.id"),
            "path": [str(it.path) for it in items],
            "modality": [it.modality for it in items],
            "label": [it.label for it in items],
            "row": [it.row for it in items],
            "name": [it.name for it in items],
        }
        series = value.series
        parts = [np.asarray(series[k]) for k in series]
        flat = np.concatenate([p.ravel() for p in parts]) if parts else np.zeros(0)
        fields["series"] = {
            "ids": [int(k) for k in series],
            "shapes": [list(p.shape) for p in parts],
            "dtypes": [p.dtype.str for p in parts],
            "values": self.array(flat, f"{where}.series"),
        }
        return fields


def _fields(value: Any) -> tuple[dataclasses.Field, ...]:
    return tuple(f for f in dataclasses.fields(value) if f.init)


class _Reader:
    """The reverse of :class:`_Writer`: rebuilds objects from the listed classes only."""

    def __init__(self, array: Callable[[str], np.ndarray], relocate: Callable[[str], str]) -> None:
        self.array, self.relocate = array, relocate
        self._objects: dict[int, Any] = {}

    def decode(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.decode(v) for v in value]
        if not isinstance(value, dict):
            return value
        if "$array" in value:
            return self.array(value["$array"])
        if "$path" in value:
            return Path(self.relocate(value["$path"]))
        if "$tuple" in value:
            return tuple(self.decode(v) for v in value["$tuple"])
        if "$set" in value:
            return {self.decode(v) for v in value["$set"]}
        if "$map" in value:
            return {self.decode(k): self.decode(v) for k, v in value["$map"]}
        if "$ref" in value:
            return self._objects[int(value["$ref"])]
        if "$type" in value:
            return self.dataclass(value)
        return {k: self.decode(v) for k, v in value.items()}

    def dataclass(self, value: dict[str, Any]) -> Any:
        cls = _class(value["$type"])
        raw = dict(value["fields"])
        if cls.__name__ == "Collection":
            items, series = raw.pop("items"), raw.pop("series")
        fields = {k: self.decode(v) for k, v in raw.items() if k in {f.name for f in _fields(cls)}}
        if cls.__name__ == "Collection":
            fields["items"] = self.items(items, cls)
            fields["series"] = self.series(series)
        obj = cls(**fields)
        self._objects[int(value["$id"])] = obj
        return obj

    def items(self, columns: dict[str, Any], collection: type) -> list[Any]:
        from engine.items import Item

        ids = self.decode(columns["id"]).tolist()
        paths = {text: Path(self.relocate(text)) for text in set(columns["path"])}  # a CSV's rows share one
        rows = zip(
            ids,
            columns["path"],
            columns["modality"],
            columns["label"],
            columns["row"],
            columns["name"],
            strict=True,
        )
        return [Item(id=i, path=paths[p], modality=m, label=b, row=r, name=n) for i, p, m, b, r, n in rows]

    def series(self, packed: dict[str, Any]) -> dict[int, np.ndarray]:
        flat = self.decode(packed["values"])
        out: dict[int, np.ndarray] = {}
        start = 0
        for key, shape, dtype in zip(packed["ids"], packed["shapes"], packed["dtypes"], strict=True):
            size = int(np.prod(shape))
            out[int(key)] = flat[start : start + size].astype(dtype, copy=False).reshape(shape)
            start += size
        return out


# ---- saving and opening ---------------------------------------------------------------------------
def save(result: Result, path: Path, view_state: dict | None = None) -> None:
    """Write ``result`` (and the window's view state, kept verbatim) as the project file ``path``.

    The file is written beside ``path`` and renamed over it: a save that is killed half-way leaves
    the previous project as it was.
    """
    from engine import __version__
    from engine.spec import STAGE_FIELDS, stage_fields

    writer = _Writer()
    paths = sorted({str(it.path) for it in result.collection.items})
    # A result opened from a project keeps the records of the files as they were analysed.
    known = {r["path"]: r for r in result.collection.info.get(FILES, [])}
    document = {
        "format": FORMAT,
        "schema": SCHEMA_VERSION,
        "app_version": __version__,
        "files": [known.get(p) or _file_record(p) for p in paths],
        "folder": str(Path(path).resolve().parent),  # where the inputs are looked for if it moves
        "view_state": view_state,
        "key_fields": {stage: stage_fields(stage) for stage in result.keys if stage in STAGE_FIELDS},
        "result": writer.encode(result, ""),
    }
    text = json.dumps(document, ensure_ascii=True, allow_nan=True)  # ASCII keeps non-UTF-8 names intact
    with atomic_write(Path(path), "wb") as handle, zipfile.ZipFile(handle, "w") as archive:
        archive.writestr(PROJECT_JSON, text, compress_type=zipfile.ZIP_DEFLATED)
        for name, array in writer.arrays.items():
            # Stored, not deflated: embeddings hardly compress and deflating them would slow every save.
            with archive.open(f"{name}.npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.ascontiguousarray(array), allow_pickle=False)


def load(path: Path) -> tuple[Result, dict]:
    """The result and view state saved in ``path``; raises :class:`ProjectError` with a user message.

    Nothing is read or embedded again. Input files that moved or changed since the save are added
    to the result's problems; the project still opens.
    """
    path = Path(path)
    try:
        archive = zipfile.ZipFile(path)
    except FileNotFoundError:
        raise ProjectError(f"{path} does not exist.") from None
    except (zipfile.BadZipFile, OSError) as error:
        raise ProjectError(f"{path} is not a DataMining6 project (or it is damaged): {error}.") from None
    with archive:
        try:
            document = json.loads(archive.read(PROJECT_JSON))
        except KeyError:
            raise ProjectError(f"{path} is not a DataMining6 project: it holds no {PROJECT_JSON}.") from None
        except (zipfile.BadZipFile, OSError, ValueError) as error:
            raise ProjectError(f"{path} is damaged: {error}.") from None
        _check_header(path, document)
        relocate = Relocator(document.get("folder"), path.resolve().parent)
        try:
            result = _read_result(archive, document, relocate)
        except ProjectError as error:
            raise ProjectError(f"{path} is damaged: {error}.") from None
        except (KeyError, TypeError, ValueError, IndexError, zipfile.BadZipFile, OSError) as error:
            raise ProjectError(f"{path} is damaged ({type(error).__name__}: {error}).") from None
    from engine.items import Problem

    saved = document.get("files", [])
    records = [{**r, "path": relocate(r["path"])} for r in saved]
    moved = sum(new["path"] != old["path"] for new, old in zip(records, saved, strict=True))
    result.collection.info[FILES] = records
    # Replaced, not added to: a project saved again after opening holds the last opening's list.
    kept = [p for p in result.collection.problems if p.stage != STAGE]
    found = [Problem(relocate.folder, STAGE, relocate.note(moved), severity="warning")] if moved else []
    result.collection.problems[:] = kept + found + _moved_or_changed(records)
    return result, document.get("view_state") or {}


def _check_header(path: Path, document: Any) -> None:
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ProjectError(f"{path} is not a DataMining6 project.")
    schema = document.get("schema")
    if not isinstance(schema, int):
        raise ProjectError(f"{path} is damaged: its schema version is missing.")
    if schema > SCHEMA_VERSION:
        raise ProjectError(
            f"{path} was saved by a newer DataMining6 (version {document.get('app_version', '?')}, "
            f"project schema {schema}); this version opens schema {SCHEMA_VERSION} and older. "
            "Update DataMining6 to open it."
        )


def _read_result(archive: zipfile.ZipFile, document: dict[str, Any], relocate: Relocator) -> Result:
    def array(name: str) -> np.ndarray:
        with archive.open(f"{name}.npy") as member:
            return np.lib.format.read_array(member, allow_pickle=False)

    result = _Reader(array, relocate).decode(document["result"])
    if type(result).__name__ != "Result":
        raise ProjectError("it holds no analysis")
    _relocate_inputs(result, relocate)
    _renew_keys(result, document.get("key_fields", {}))
    n = len(result.analysed.items)
    rows = {"embeddings": len(result.embeddings), "coords": len(result.coords), "labels": len(result.labels)}
    if any(count != n for count in rows.values()):
        raise ProjectError(f"its arrays do not match its {n} items ({rows})")
    if result.analysed is not result.collection:  # Collection.subset shares these with its parent
        for name in ("problems", "notes", "csv_files", "info", "groups"):
            setattr(result.analysed, name, getattr(result.collection, name))
    return result


def _relocate_inputs(result: Result, relocate: Callable[[str], str]) -> None:
    """The folders the user opened, where they are now; the stages' keys (which start with them)
    follow, so that changing k after opening a moved project reads nothing again."""
    paths = tuple(relocate(p) for p in result.spec.paths)
    if paths == result.spec.paths:
        return
    for stage, key in result.keys.items():
        if key and key[0] == result.spec.paths:
            result.keys[stage] = (paths, *key[1:])
    result.spec = dataclasses.replace(result.spec, paths=paths)


def _renew_keys(result: Result, saved_fields: dict[str, list[str]]) -> None:
    """Rewrite each stage's key for this version's Spec, so that an older project's stages are reused.

    A Spec field added since the save took its default when the Spec was read, which is what the
    older version did without knowing the field; without this, the key would differ from the one
    ``pipeline.run`` builds now and opening would mean reading and embedding everything again.
    What a key holds beyond the Spec's values (the embedder's resolved model) is kept as it was.
    """
    from engine.spec import STAGE_FIELDS, stage_key

    for stage, fields in saved_fields.items():
        stored = result.keys.get(stage)
        if stored is None or stage not in STAGE_FIELDS:
            continue
        if tuple(stored[: len(fields)]) != tuple(getattr(result.spec, f, None) for f in fields):
            continue  # not what it claims to be: leave it, the stage will simply run again
        result.keys[stage] = stage_key(result.spec, stage) + tuple(stored[len(fields) :])


def _moved_or_changed(records: list[dict[str, Any]]) -> list[Any]:
    from engine.items import Problem

    problems = []
    for record in records:
        why = _changed(record)
        if why:
            problems.append(
                Problem(
                    Path(record["path"]),
                    STAGE,
                    f"{why}: moved or changed since the project was saved. The analysis shows the "
                    "file as it was; run again to read it anew.",
                    severity="warning",
                )
            )
    return problems
