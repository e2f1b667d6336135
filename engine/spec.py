"""What to analyse and how (``Spec``), and which of its fields each stage of the pipeline depends on.

The settings panel, the command line, a project file and ``engine.pipeline.run`` all read and
write this one frozen dataclass; ``stage_key`` is what lets a re-run redo only the stages whose
inputs changed (and what a saved project checks its stored stages against).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from engine import catalogue, edits
from engine.catalogue import default


@dataclass(frozen=True)
class Spec:
    """What to analyse and how; the settings panel and the CLI both edit exactly this.

    Defaults and choices come from :mod:`engine.catalogue`.
    """

    paths: tuple[str, ...] = ()
    modality: str | None = default("modality")
    """Which modality to analyse; ``None`` takes the most common one found."""
    csv_kind: str = default("csv_kind")
    """How CSV files are read: ``auto`` (guess per file), ``table`` or ``timeseries``."""
    label_column: str | None = None
    """Table column holding known classes; ``None`` detects class/label/target, ``""`` means none."""
    csv_group: str | None = None
    """Which group of CSV files with the same columns to analyse (a key of ``Collection.groups``, or
    one of its files' names); ``None`` takes the largest. Groups are never merged."""
    sheet: str | None = None
    """Which sheet of a spreadsheet to read (in the workbooks that have it); ``None`` takes each
    workbook's first sheet that holds a table."""
    embedder: str | None = None
    """Registry name of the embedder; ``None`` takes the modality's default."""
    model: str | None = None
    """Model file or folder for the embedder; ``None`` uses the configured or packaged one."""
    device: str = default("device")
    """Where models run: auto (cuda, then mps, then cpu), cuda, mps or cpu."""
    use_cache: bool = True
    """Read and write vectors in the on-disk cache (see :mod:`engine.embed.cache`)."""
    algorithm: str = default("algorithm")
    k: int | None = default("k")
    """Number of clusters; ``None`` scans ``k_min..k_max`` and picks the best silhouette."""
    k_min: int = default("k_min")
    k_max: int = default("k_max")
    # Hierarchical clustering
    linkage: str = default("linkage")
    """Agglomerative linkage: ward, complete, average or single."""
    split_rule: str = default("split_rule")
    """Divisive clustering splits the largest cluster, or the one with the highest error (``sse``)."""
    # Gaussian mixtures
    covariance_type: str = default("covariance_type")
    """full, tied, diag or spherical."""
    criterion: str = default("criterion")
    """How a mixture's k is chosen when k is auto: bic or aic."""
    # Density-based clustering
    eps: float | None = default("eps")
    """DBSCAN neighbourhood radius; ``None`` takes the knee of the k-distance curve."""
    min_samples: int | None = default("min_samples")
    """DBSCAN/HDBSCAN scale; ``None`` chooses it (see :mod:`engine.cluster.density_auto`)."""
    dbscan_backend: str = default("dbscan_backend")
    """auto (PyCaret when installed, else scikit-learn), pycaret or sklearn."""
    # Anomaly detection
    detector: str | None = default("detector")
    """PyOD detector (knn, iforest, lof, ecod, copod, ocsvm); ``None`` skips anomaly detection."""
    contamination: float = default("contamination")
    """Expected share of outliers; sets the score threshold."""
    layout: str = default("layout")
    random_state: int = default("random_state")
    edits: tuple = ()
    """Hand edits of the clusters (merges, moved items), applied after clustering: :mod:`engine.edits`."""

    def replace(self, **changes: Any) -> Spec:
        """A copy with some fields changed (the spec itself is frozen)."""
        values = asdict(self)
        values.update(changes)
        if "paths" in changes:
            values["paths"] = tuple(str(p) for p in changes["paths"])
        return Spec(**values)

    def to_dict(self) -> dict[str, Any]:
        values = asdict(self)
        values["paths"] = list(self.paths)
        return values

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> Spec:
        known = {f.name for f in fields(cls)}
        clean = {k: v for k, v in values.items() if k in known}
        clean["paths"] = tuple(clean.get("paths", ()))
        clean["edits"] = edits.normalised(clean.get("edits", ()))
        return cls(**clean)


# Which Spec fields each stage depends on (cumulatively: a stage also depends on the earlier ones).
STAGE_FIELDS: dict[str, tuple[str, ...]] = {
    "ingest": ("paths", "csv_kind", "label_column", "csv_group", "sheet"),
    "embed": ("modality", "embedder", "model"),
    "cluster": ("algorithm", *(p.name for p in catalogue.PARAMETERS.values() if p.methods)),
    "layout": ("layout", "random_state"),
    "anomaly": ("detector", "contamination", "random_state"),
}  # fmt: skip
"""Stages after embed are siblings: each depends on ingest, embed and its own fields only."""


def stage_fields(stage: str) -> list[str]:
    """The names of the Spec fields a stage's output depends on, in the order of its key."""
    names = [*STAGE_FIELDS["ingest"]]
    if stage != "ingest":
        names += STAGE_FIELDS["embed"]
    if stage not in ("ingest", "embed"):
        names += STAGE_FIELDS[stage]
    return names


def stage_key(spec: Spec, stage: str) -> tuple:
    """The tuple of Spec values a stage's output depends on (a saved project keeps the field names)."""
    return tuple(getattr(spec, n) for n in stage_fields(stage))
