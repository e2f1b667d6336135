"""Every method, parameter, choice and default of an analysis, written once.

The ``Spec`` takes its defaults from here, the command line builds its options from here, the
settings panel fills its combo boxes and shows its rows from here, and the engine's modules take
their lists of valid names from here. :func:`check_options` is the one validation of a user's
settings that the command line and the settings panel share.

This module imports nothing heavy (the window imports it while it opens).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any

MAX_SEED = 2**31 - 1
"""The largest random seed: what the window's seed box holds, so a seed from the command line opens there."""


class OptionError(ValueError):
    """A setting the user chose cannot work (an unknown name, a value out of range, k above the items).

    The message is one line naming the option; the command line exits with status 2 on it.
    """


@dataclass(frozen=True)
class Choice:
    """One value a parameter can take, with what the user reads about it."""

    value: str
    label: str
    help: str = ""


@dataclass(frozen=True)
class Parameter:
    """One ``Spec`` field: its default, its choices (or numeric range), and the methods it belongs to."""

    name: str
    """The Spec field."""
    default: Any
    help: str
    choices: tuple[Choice, ...] = ()
    methods: tuple[str, ...] = ()
    """Clustering methods that take it (empty: not a clustering parameter)."""
    argument: str = ""
    """The method's keyword for it, when it differs from ``name``."""
    flag: str = ""
    """The command-line option, when it differs from ``--name``."""
    minimum: float | None = None
    maximum: float | None = None
    open_minimum: bool = False
    """True when ``minimum`` itself is not allowed."""
    kind: type | None = None
    """The type of a number whose default is None (k, eps)."""

    @property
    def keyword(self) -> str:
        return self.argument or self.name

    @property
    def option(self) -> str:
        return self.flag or "--" + self.name.replace("_", "-")

    @property
    def values(self) -> tuple[str, ...]:
        return names(self.choices)


def _plain(*values: str) -> tuple[Choice, ...]:
    return tuple(Choice(v, v) for v in values)


ALGORITHMS = (
    Choice("kmeans", "K-Means", "Our own K-Means: round clusters of similar size; k chosen by silhouette."),
    Choice("agglomerative", "Agglomerative", "Bottom-up merging; draws a dendrogram with a cut line."),
    Choice("divisive", "Divisive", "Top-down splitting with K-Means at k = 2; draws a dendrogram."),
    Choice("gmm", "Gaussian mixture", "Elliptical clusters with soft membership; k chosen by BIC or AIC."),
    Choice(
        "dbscan", "DBSCAN", "Dense regions of any shape; sparse items become noise. Needs a radius (eps)."
    ),
    Choice("hdbscan", "HDBSCAN", "Like DBSCAN for clusters of different densities; needs no radius."),
)
LINKAGES = (
    Choice("ward", "ward", "Merges that add the least within-cluster variance: compact clusters."),
    Choice("complete", "complete", "Distance of the farthest members."),
    Choice("average", "average", "Average distance between members."),
    Choice("single", "single", "Distance of the nearest members: follows chains and thin shapes."),
)
SPLIT_RULES = (
    Choice("largest", "largest", "Split the cluster with the most items next."),
    Choice("sse", "highest error", "Split the cluster with the largest sum of squared distances next."),
)
COVARIANCE_TYPES = _plain("full", "tied", "diag", "spherical")
CRITERIA = (Choice("bic", "BIC", "Bayesian information criterion"), Choice("aic", "AIC", "Akaike"))
DBSCAN_BACKENDS = (
    Choice("auto", "auto", "PyCaret when installed, else scikit-learn."),
    Choice("pycaret", "PyCaret", "Run DBSCAN as a PyCaret experiment (optional extra)."),
    Choice("sklearn", "scikit-learn", "scikit-learn's DBSCAN."),
)
DETECTORS = (
    Choice(
        "knn",
        "k nearest neighbours (knn)",
        "k nearest neighbours: far from its 5 nearest neighbours is unusual.",
    ),
    Choice(
        "iforest",
        "Isolation Forest (iforest)",
        "Isolation Forest: easy to isolate with random splits is unusual; fast, a good default.",
    ),
    Choice(
        "lof",
        "Local Outlier Factor (lof)",
        "Local Outlier Factor: sparser than its 20 neighbours are; finds outliers beside dense groups.",
    ),
    Choice("ecod", "ECOD", "ECOD: extreme in the tails of each feature's distribution; fast, no parameters."),
    Choice("copod", "COPOD", "COPOD: extreme under a copula model of the features; fast, no parameters."),
    Choice(
        "ocsvm",
        "One-class SVM (ocsvm)",
        "One-class SVM: outside a smooth boundary around the data; slow, so fitted on a sample of the items.",
    ),
)
LAYOUTS = (
    Choice("pca", "pca", "PCA: the two directions of largest spread; instant, keeps global distances."),
    Choice(
        "tsne",
        "tsne",
        "t-SNE: keeps near neighbours together, shows groups clearly; gaps between groups mean little.",
    ),
    Choice(
        "umap", "umap", "UMAP: like t-SNE but faster and keeps more of the global shape (needs umap-learn)."
    ),
)
CSV_KINDS = _plain("auto", "table", "timeseries")
DEVICES = _plain("auto", "cpu", "cuda", "mps")
MODALITIES = _plain("table", "timeseries", "text", "image", "audio")

_K_METHODS = ("kmeans", "agglomerative", "divisive", "gmm")
_ALL_METHODS = tuple(c.value for c in ALGORITHMS)

PARAMETERS: dict[str, Parameter] = {
    p.name: p
    for p in (
        Parameter(
            "csv_kind",
            "auto",
            "read CSV files and spreadsheets as tables (rows are items) or time series; auto guesses",
            CSV_KINDS,
        ),
        Parameter(
            "modality",
            None,
            "which kind of item to analyse when the input holds several (default: the most common)",
            MODALITIES,
        ),
        Parameter(
            "device", "auto", "where models run: auto takes a CUDA or Apple GPU when there is one", DEVICES
        ),
        Parameter("algorithm", "kmeans", "clustering method", ALGORITHMS),
        Parameter(
            "k",
            None,
            "number of clusters, or 'auto': the best silhouette (gmm: BIC or AIC) in k-min..k-max "
            "(default: auto)",
            (),
            _K_METHODS,
            minimum=1,
            kind=int,
        ),
        Parameter("k_min", 2, "smallest k tried when k is auto", (), _K_METHODS, minimum=1),
        Parameter("k_max", 10, "largest k tried when k is auto", (), _K_METHODS, minimum=1),
        Parameter(
            "linkage",
            "ward",
            "agglomerative: how distances between clusters are measured",
            LINKAGES,
            ("agglomerative",),
        ),
        Parameter(
            "split_rule",
            "largest",
            "divisive: split the largest cluster, or the one with the highest error",
            SPLIT_RULES,
            ("divisive",),
        ),
        Parameter(
            "covariance_type",
            "full",
            "gmm: shape of each component",
            COVARIANCE_TYPES,
            ("gmm",),
            flag="--covariance",
        ),
        Parameter("criterion", "bic", "gmm: how k is chosen", CRITERIA, ("gmm",)),
        Parameter(
            "eps",
            None,
            "dbscan: neighbourhood radius (default: the knee of the k-distance curve)",
            (),
            ("dbscan",),
            minimum=0,
            open_minimum=True,
            kind=float,
        ),
        Parameter(
            "min_samples",
            None,
            "dbscan: neighbours of a core item; hdbscan: smallest cluster size (default: auto, the "
            "setting whose clusters match the groups that are stable between random halves)",
            (),
            ("dbscan", "hdbscan"),
            minimum=1,
            kind=int,
        ),
        Parameter(
            "dbscan_backend",
            "auto",
            "dbscan: PyCaret when installed (auto), or force one",
            DBSCAN_BACKENDS,
            ("dbscan",),
            argument="backend",
        ),
        Parameter(
            "random_state",
            0,
            "random seed, for repeatable runs",
            (),
            _ALL_METHODS,
            flag="--seed",
            minimum=0,
            maximum=MAX_SEED,
            kind=int,
        ),
        Parameter(
            "detector",
            None,
            "score outliers with this PyOD detector; adds anomaly_score and outlier columns",
            DETECTORS,
        ),
        Parameter(
            "contamination", 0.05, "expected share of outliers", (), minimum=0, maximum=0.5, open_minimum=True
        ),
        Parameter("layout", "pca", "2-D map method", LAYOUTS),
    )
}
"""Spec field -> its parameter."""


def default(name: str) -> Any:
    """The default of a Spec field (the ``Spec`` dataclass takes its defaults from here)."""
    return PARAMETERS[name].default


def names(choices: tuple[Choice, ...]) -> tuple[str, ...]:
    """The values of a list of choices, in order."""
    return tuple(c.value for c in choices)


def method_parameters(algorithm: str) -> tuple[Parameter, ...]:
    """The parameters a clustering method takes, in catalogue order."""
    if algorithm not in names(ALGORITHMS):
        raise OptionError(f"Unknown algorithm {algorithm!r}; choose one of: {', '.join(names(ALGORITHMS))}.")
    return tuple(p for p in PARAMETERS.values() if algorithm in p.methods)


def _out_of_range(p: Parameter, value: Any) -> str | None:
    """What is wrong with a number for ``p``, or None."""
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value):
        return f"{p.option} must be a number; got {value!r}."
    low, high = p.minimum, p.maximum
    below = low is not None and (value <= low if p.open_minimum else value < low)
    if not below and (high is None or value <= high):
        return None
    if high is None:
        least = "above" if p.open_minimum else "at least"
        return f"{p.option} must be {least} {_number(low)}; got {_number(value)}."
    return (
        f"{p.option} must be in {'(' if p.open_minimum else '['}{_number(low)}, {_number(high)}]; "
        f"got {_number(value)}."
    )


def _number(value: float | None) -> str:
    """``2147483647``, ``0.5``: whole numbers in full (``:g`` writes 2.14748e+09)."""
    return str(int(value)) if value is not None and float(value).is_integer() else f"{value:g}"


def check_options(values: Mapping[str, Any]) -> None:
    """Raise :class:`OptionError` for the first setting in ``values`` (Spec field -> value) that cannot work.

    Checks names against their choices, numbers against their ranges, k_min <= k_max, and the
    embedder (when given) against the registry and the modality. Fields not in ``values`` are skipped.
    """
    for name, value in values.items():
        p = PARAMETERS.get(name)
        if p is None or value is None:
            continue
        if p.choices and value not in p.values:
            raise OptionError(f"{p.option} must be one of {', '.join(p.values)}; got {value!r}.")
        if not p.choices and (p.minimum is not None or p.maximum is not None):
            problem = _out_of_range(p, value)
            if problem:
                raise OptionError(problem)
    k_min, k_max = values.get("k_min"), values.get("k_max")
    if k_min is not None and k_max is not None and k_min > k_max:
        raise OptionError(f"--k-min ({k_min}) must not be larger than --k-max ({k_max}).")
    if values.get("embedder"):
        check_embedder(values["embedder"], values.get("modality"))


def embedders(modality: str) -> tuple[str, ...]:
    """The embedders of a modality, read from the registry in :mod:`engine.embed`."""
    from engine.embed import list_embedders

    return tuple(e.name for e in list_embedders(modality))


def check_embedder(name: str, modality: str | None = None) -> None:
    """Raise :class:`OptionError` for an unknown embedder, or one made for another modality."""
    from engine.embed import list_embedders

    known = {e.name: e.modality for e in list_embedders()}
    if name not in known:
        raise OptionError(f"--embedder: unknown embedder {name!r}; 'models' lists them: {', '.join(known)}.")
    if modality is not None and known[name] != modality:
        raise OptionError(
            f"--embedder: {name} embeds {known[name]} items, not {modality}; choose one of: "
            f"{', '.join(embedders(modality))}."
        )


def check_k(k: Any, n: int, name: str = "k") -> None:
    """The one check of a fixed k against the number of items (raises :class:`OptionError`).

    ``None`` (choose k automatically) passes; ``name`` is the parameter as the caller knows it.
    """
    if k is not None and (isinstance(k, bool) or not isinstance(k, Integral) or not 1 <= k <= n):
        raise OptionError(f"{name} must be between 1 and the number of items ({n}); got {k!r}.")
