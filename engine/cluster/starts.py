"""How many random starts a fit gets: as many as are cheap, up to :data:`MOST_STARTS`.

K-Means and EM find a local optimum that depends on where they start; the best of several starts
is far more repeatable than one (240 forum posts in 6 topics: ARI 0.65 with 3 starts, 0.85-0.87
with 10, measured in issue 8). Up to 20 starts where cheap, twice scikit-learn's ``n_init``: mean
ARI over random states 0-4 on 300 digit images (pixels, k = 10) 0.656 with 10, 0.683 with 20,
scikit-learn 0.662 (one seed's best of 10 stopped in a worse optimum, ARI 0.58); on the other
sets of tests/benchmarks/bench_quality.py 10 and 20 starts differ by at most 0.03 either way,
within the spread between seeds. Starts cost time in proportion to the work of one pass, so the
number of starts is a time budget divided by that work:

    starts = clip(START_BUDGET / (n * k * per_item), 1, MOST_STARTS)

where ``per_item`` is the multiply-adds one item costs a cluster in one pass: ``d`` for K-Means
and diagonal or spherical mixtures, ``d * d`` for full or tied ones. One unit of that work took
15-70 ns here (2 busy cores, one K-Means start of 16-280 passes; tests/benchmarks/bench_kmeans.py),
so the budget of 1e8 units is about 2-7 s per fit: 2 000 texts x 384 dims x k = 6 get all 20
starts, 10 000 x 384 x 10 get 2, and 100 000 items get one.
"""

from __future__ import annotations

MOST_STARTS = 20
"""Twice scikit-learn's classic ``n_init`` of 10, for small inputs where starts cost little."""
START_BUDGET = 1e8
"""Work units (item x cluster x per-item multiply-adds) that the starts of one fit may take."""


def n_starts(n: int, k: int, per_item: int, most: int = MOST_STARTS) -> int:
    """Starts for a fit of ``k`` clusters to ``n`` items costing ``per_item`` each (see the module)."""
    work = max(1, int(n)) * max(1, int(k)) * max(1, int(per_item))
    return int(max(1, min(most, START_BUDGET // work)))


def describe(starts: int) -> str:
    """A phrase for the notes: why this many starts."""
    if starts >= MOST_STARTS:
        return f"{starts} random starts"
    return (
        f"{starts} random start{'s' if starts > 1 else ''} (fewer than {MOST_STARTS} to keep the run short)"
    )
