"""The whole analysis as one call: ``run(spec, progress, cancel) -> Result``.

Each stage's output is kept in the ``Result`` together with the part of the ``Spec`` it was made
from, so that ``run(new_spec, previous=old_result)`` redoes only the stages whose inputs changed:
choosing another k re-clusters but never re-reads or re-embeds.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from engine import catalogue, edits
from engine.anomaly import Anomalies
from engine.cluster import Clustering
from engine.embed import Embedder
from engine.items import Collection, Problem, needing_a_look, plural, skipped_summary
from engine.metrics import Silhouettes
from engine.naming import ClusterName
from engine.progress import DONE, METRICS, NAME, NEVER_CANCELLED, CancelToken, Progress, no_progress
from engine.spec import STAGE_FIELDS, Spec, stage_key


class PipelineError(Exception):
    """The run cannot produce any result (nothing readable, too few items); the message is for the user.

    ``problems`` lists the files that were found but could not be used, so that a failed run still
    shows the user what was wrong with each of them.
    """

    def __init__(self, message: str, problems: list[Problem] | None = None) -> None:
        super().__init__(message)
        self.problems = list(problems or [])


@dataclass
class Result:
    """Everything one run produced; views read it, nothing in it refers to Qt."""

    spec: Spec
    collection: Collection
    """All that ingest found (every modality) and every problem."""
    analysed: Collection
    """The items of the analysed modality; row i of every array below is ``analysed.items[i]``."""
    modality: str
    embedder: str
    embeddings: np.ndarray
    clustering: Clustering
    coords: np.ndarray
    metrics: dict[str, float] = field(default_factory=dict)
    silhouettes: Silhouettes | None = None
    """Per-item silhouettes of a sample, for the silhouette plot; None with fewer than 2 clusters."""
    anomaly: Anomalies | None = None
    """Outlier scores, threshold and flags when a detector was chosen."""
    timings: dict[str, float] = field(default_factory=dict)
    keys: dict[str, tuple] = field(default_factory=dict)
    embed_problems: list[Problem] = field(default_factory=list)
    """What the embedder met: errors (items left out of every array above) and warnings (used)."""

    embed_notes: list[str] = field(default_factory=list)
    """What the embed stage wants the user to know (a missing model and the fallback used)."""
    names: list[ClusterName] = field(default_factory=list)
    """Default cluster names, keywords and typical items (see :mod:`engine.naming`), in cluster order."""
    names_note: str | None = None
    hand_labels: np.ndarray | None = None
    """The clusters after the spec's hand edits; None without edits (:attr:`labels` is then the method's)."""
    edits_applied: int = 0
    """How many of the spec's edits applied (the rest were made on another clustering)."""

    @property
    def notes(self) -> list[str]:
        """What the user should know about this run: how files were read, fallbacks, samples used."""
        from engine.layout import layout_note

        later = [
            layout_note(self.spec.layout, len(self.coords)),
            self.clustering.info.get("note"),
            edits.describe(self.spec.edits, self.edits_applied),
            self.names_note,
        ]
        later += self.anomaly.notes if self.anomaly is not None else []
        mix = self.collection.mix_note(self.modality)  # derived: projects saved before it show it too
        return [*self.collection.notes_on(self.modality), *(n for n in [mix, *self.embed_notes, *later] if n)]

    @property
    def problems(self) -> list[Problem]:
        """Every problem of the run: ingest's and the embedder's."""
        return [*self.collection.problems, *self.embed_problems]

    @property
    def scores(self) -> dict[str, np.ndarray]:
        """Per-item columns exported beside the clusters (anomaly scores and flags)."""
        if self.anomaly is None:
            return {}
        return {"anomaly_score": self.anomaly.scores, "outlier": self.anomaly.flags.astype(np.int8)}

    @property
    def labels(self) -> np.ndarray:
        """Cluster id per item (-1 noise): the method's, after any hand edits."""
        return self.clustering.labels if self.hand_labels is None else self.hand_labels

    @property
    def k_curve(self) -> Any:
        """How k was chosen, when it was (see :class:`engine.cluster.Clustering`)."""
        return self.clustering.curve

    @property
    def n_clusters(self) -> int:
        return int(len(set(self.labels.tolist()) - {-1}))


def method_params(spec: Spec) -> dict[str, Any]:
    """The one place where Spec fields become the keyword parameters of the chosen clustering method."""
    return {p.keyword: getattr(spec, p.name) for p in catalogue.method_parameters(spec.algorithm)}


def _timed(timings: dict[str, float], stage: str, fn: Callable[[], Any]) -> Any:
    start = time.perf_counter()
    value = fn()
    timings[stage] = round(time.perf_counter() - start, 4)
    return value


def _choose_embedder(spec: Spec, modality: str, collection: Collection) -> tuple[Embedder, list[str]]:
    """The embedder the spec asks for (or the one the collection needs), else its weight-free fallback."""
    from engine import embed

    if spec.embedder:
        catalogue.check_embedder(spec.embedder, modality)
    name = spec.embedder or embed.default_embedder(modality)
    suggested: list[str] = []
    if modality == "image":
        from engine.embed.suggest import image_embedder

        better, why = image_embedder(collection, spec.embedder)
        name, suggested = better or name, [why] if why else []
    options: dict[str, Any] = {"device": spec.device}
    if spec.model:
        options["model"] = spec.model
    embedder = embed.get_embedder(name, modality, **options)
    ready = embedder.readiness()
    if ready.ready:
        source = [f"{name}: model from {ready.source}"] if embedder.needs_weights else []
        return embedder, [*suggested, *source]
    from engine.embed.models import models_file_note

    unread = models_file_note()  # a broken models.json is why a chosen model seems missing
    if embedder.fallback is None:
        raise PipelineError(f"The embedder {name} cannot run here: {ready.message} {unread or ''}".strip())
    fallback = embed.get_embedder(embedder.fallback, modality, device=spec.device)
    notes = [*suggested, f"{name} is not ready: {ready.message} Using {fallback.name} instead."]
    return fallback, [unread, *notes] if unread else notes


def _one_series_hint(spec: Spec, analysed: Collection, modality: str) -> str:
    """What to do when a CSV file guessed to be one time series was meant as a table of rows."""
    from_csv = any(it.path.suffix.lower() in (".csv", ".tsv") for it in analysed.items)
    if modality != "timeseries" or spec.csv_kind != "auto" or not from_csv:
        return ""
    return (
        " A CSV file with one column of numbers, or with time running down its rows, is read as one "
        "time series; to cluster its rows instead, read CSV files as tables (CSV files: table in the "
        "window, --csv-kind table on the command line)."
    )


def _report_dropped(items: list, ok: np.ndarray, problems: list[Problem]) -> None:
    """Give every item left out for non-finite values a line, unless the embedder already gave it one."""
    from collections import Counter

    explained = Counter(p.path for p in problems if p.severity == "error")
    dropped: dict[Path, list[int]] = {}
    for i in np.flatnonzero(~ok):
        dropped.setdefault(items[i].path, []).append(i)
    for path, lost in dropped.items():
        unexplained = len(lost) - explained[path]
        if unexplained <= 0:
            continue
        rows = [str(items[i].row) for i in lost if items[i].row is not None]
        where = f" (rows {', '.join(rows[:5])}{' ...' if len(rows) > 5 else ''})" if rows else ""
        problems.append(
            Problem(
                path,
                "embed",
                f"{unexplained} item(s){where} gave values that are not finite numbers after embedding "
                "and were left out.",
            )
        )


def score_clusters(
    vectors: np.ndarray,
    labels: np.ndarray,
    truth: list[str | None] | None,
    random_state: int,
    progress: Progress,
) -> tuple[Silhouettes | None, dict[str, float]]:
    """The metrics stage: per-item silhouettes of a sample, then the quality scores, in two reports."""
    from engine import metrics

    progress(METRICS, 0, 2)
    per_item = metrics.silhouettes(vectors, labels, random_state)
    progress(METRICS, 1, 2)
    scores = metrics.evaluate(vectors, labels, truth, random_state, per_item)
    progress(METRICS, 2, 2)
    return per_item, scores


def run(
    spec: Spec,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
    previous: Result | None = None,
) -> Result:
    """Run every stage of ``spec``, reusing the stages of ``previous`` whose inputs are unchanged.

    Raises :class:`engine.catalogue.OptionError` for a setting that cannot work (before any work,
    or once the number of items is known), :class:`PipelineError` when nothing can be analysed and
    :class:`engine.progress.Cancelled` when ``cancel`` is set.
    """
    from engine import layout
    from engine.anomaly import detect
    from engine.cluster import cluster
    from engine.embed.cache import open_cache
    from engine.ingest import scan

    progress = progress or no_progress
    cancel = cancel or NEVER_CANCELLED
    timings: dict[str, float] = {}
    keys = {stage: stage_key(spec, stage) for stage in STAGE_FIELDS}

    reused: set[str] = set()

    def reusable(stage: str, upstream: str | None = None) -> bool:
        """A stage is reused when its inputs are unchanged and the stage feeding it was reused."""
        same = previous is not None and previous.keys.get(stage) == keys[stage]
        if same and (upstream is None or upstream in reused):
            reused.add(stage)
            return True
        return False

    catalogue.check_options(spec.to_dict())
    if not spec.paths:
        raise PipelineError("Nothing to analyse: add a folder or file first.")
    if reusable("ingest"):
        collection = previous.collection
    else:
        collection = _timed(
            timings,
            "ingest",
            lambda: scan(
                [Path(p) for p in spec.paths],
                csv_kind=spec.csv_kind,
                label_column=spec.label_column,
                csv_group=spec.csv_group,
                sheet=spec.sheet,
                progress=progress,
                cancel=cancel,
            ),
        )
    cancel.raise_if_cancelled()
    if not collection.items:
        unread = len(needing_a_look(collection.problems))
        skipped = skipped_summary(collection.problems)
        parts = ([plural(unread, "problem")] if unread else []) + ([skipped] if skipped else [])
        detail = f" ({'; '.join(parts)}; see the problems list)"
        raise PipelineError(
            "No usable items were found" + (detail if collection.problems else "."), collection.problems
        )

    modality = spec.modality or collection.modalities[0]
    if modality not in collection.modalities:
        raise PipelineError(
            f"No {modality} items were found; the input holds: {', '.join(collection.modalities)}."
        )
    embedder, embed_notes = _choose_embedder(spec, modality, collection)
    # The resolved model (a file chosen in the Models dialog, say) changes the vectors too.
    keys["embed"] += (embedder.name, repr(embedder.params()))
    if reusable("embed", upstream="ingest"):
        analysed, embedder_name, vectors = previous.analysed, previous.embedder, previous.embeddings
        embed_problems, embed_notes = previous.embed_problems, previous.embed_notes
    else:
        embedder_name = embedder.name
        embed_problems = []
        candidates = collection.only(modality)
        cache, cache_note = open_cache() if spec.use_cache else (None, None)
        try:
            vectors = _timed(
                timings,
                "embed",
                lambda: embedder.embed(
                    candidates, progress=progress, cancel=cancel, problems=embed_problems, cache=cache
                ),
            )
        finally:
            if cache is not None:
                cache.close()
        embed_notes += [n for n in (cache_note, cache.failure if cache is not None else None) if n]
        runtime_note = getattr(embedder, "runtime_note", None)
        embed_notes = [*embed_notes, runtime_note] if runtime_note else embed_notes
        ok = np.isfinite(vectors).all(axis=1)
        _report_dropped(candidates.items, ok, embed_problems)
        analysed = candidates if ok.all() else candidates.subset(np.flatnonzero(ok).tolist())
        vectors = vectors if ok.all() else vectors[ok]
    cancel.raise_if_cancelled()
    if len(analysed.items) < 2:
        unread = f" {len(embed_problems)} unreadable, e.g. {embed_problems[0]}" if embed_problems else ""
        found = f"Only {len(analysed.items)} usable {modality} item(s) found"
        raise PipelineError(
            f"{found}; clustering needs at least 2.{unread}{_one_series_hint(spec, analysed, modality)}",
            [*collection.problems, *embed_problems],
        )

    if reusable("cluster", upstream="embed"):
        clustering = previous.clustering
    else:
        clustering = _timed(
            timings,
            "cluster",
            lambda: cluster(vectors, spec.algorithm, progress=progress, cancel=cancel, **method_params(spec)),
        )
    labels, applied = edits.apply(clustering.labels, spec.edits)
    cancel.raise_if_cancelled()

    if reusable("layout", upstream="embed"):
        coords = previous.coords
    else:
        coords = _timed(
            timings,
            "layout",
            lambda: layout.embed_2d(
                vectors, method=spec.layout, random_state=spec.random_state, progress=progress, cancel=cancel
            ),
        )
    cancel.raise_if_cancelled()

    if spec.detector is None:
        anomalies = None
    elif reusable("anomaly", upstream="embed"):
        anomalies = previous.anomaly
    else:
        anomalies = _timed(
            timings,
            "anomaly",
            lambda: detect(
                vectors,
                spec.detector,
                contamination=spec.contamination,
                random_state=spec.random_state,
                progress=progress,
                cancel=cancel,
            ),  # fmt: skip
        )
    cancel.raise_if_cancelled()

    silhouettes, scores = _timed(
        timings,
        "metrics",
        lambda: score_clusters(vectors, labels, analysed.labels(), spec.random_state, progress),
    )
    result = Result(
        spec=spec,
        collection=collection,
        analysed=analysed,
        modality=modality,
        embedder=embedder_name,
        embeddings=vectors,
        clustering=clustering,
        coords=coords,
        anomaly=anomalies,
        metrics=scores,
        silhouettes=silhouettes,
        timings=timings,
        embed_problems=embed_problems,
        embed_notes=embed_notes,
        keys=keys,
        hand_labels=labels if spec.edits else None,
        edits_applied=applied,
    )
    if "cluster" in reused and previous.names and np.array_equal(previous.labels, labels):
        result.names, result.names_note = previous.names, previous.names_note
    else:
        from engine.naming import name_stage

        result.names, result.names_note = _timed(timings, NAME, lambda: name_stage(result, progress, cancel))
    progress(DONE, 1, 1)
    return result
