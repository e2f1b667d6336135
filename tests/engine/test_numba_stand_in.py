"""Without numba: every PyOD detector gives the same scores, and the time-series embedders work."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from engine.numba_stand_in import ecdf_ties, stand_in_module

ROOT = Path(__file__).resolve().parents[2]
TABLE = ROOT / "resources" / "demo" / "tables" / "customers.csv"


def _numbers() -> np.ndarray:
    """The demo table's four numeric columns (ages and visits repeat a lot: ties for the ECDF)."""
    return np.loadtxt(TABLE, delimiter=",", skiprows=1, usecols=(1, 2, 3, 4))


def test_the_tie_step_equals_pyods_loop():
    stat_models = pytest.importorskip("pyod.utils.stat_models")
    loop = getattr(
        stat_models.ecdf_terminate_equals_inplace, "py_func", stat_models.ecdf_terminate_equals_inplace
    )
    rng = np.random.default_rng(0)
    many_ties = rng.integers(0, 6, size=(400, 5)).astype(np.float64)
    many_ties[::7, 2] = np.nan  # NaN equals nothing, not even NaN
    for matrix in (many_ties, _numbers(), np.ones((3, 2)), rng.normal(size=(1, 3))):
        matrix = np.sort(matrix, axis=0)
        probabilities = np.linspace(np.full(matrix.shape[1], 1 / len(matrix)), 1, len(matrix))
        expected = probabilities.copy()
        loop(matrix, expected)
        ecdf_ties(matrix, probabilities)
        np.testing.assert_array_equal(probabilities, expected)


def test_the_stand_in_decorates_both_ways():
    numba = stand_in_module()

    def twice(x):
        return 2 * x

    assert numba.njit(twice) is twice and numba.jit(cache=True, nogil=True)(twice) is twice
    assert list(numba.prange(3)) == [0, 1, 2]


BLOCKED = """
import json, sys
sys.modules["numba"] = None  # as in the packaged app, which leaves numba out
import numpy as np
from pathlib import Path
from engine.anomaly import DETECTORS, detect
from engine.embed import get_embedder
from engine.items import Collection, Item
X = np.loadtxt({table!r}, delimiter=",", skiprows=1, usecols=(1, 2, 3, 4))
out = {{name: detect(X, name).scores.tolist() for name in DETECTORS}}
from pyod.models.copod import COPOD
from pyod.models.ecod import ECOD
out["plain"] = [ECOD().fit(X).decision_scores_.tolist(), COPOD().fit(X).decision_scores_.tolist()]
rng = np.random.default_rng(0)
series = {{i: rng.normal(size=(40 + i, 3)).cumsum(axis=0) for i in range(12)}}
collection = Collection([Item(i, Path("s.csv"), "timeseries", row=i) for i in series], series=series)
for name in ("ts-catch22", "ts-minirocket"):
    out[name] = get_embedder(name, "timeseries", dims=8).embed(collection).tolist()
out["numba"] = sys.modules["numba"].__version__
json.dump(out, sys.stdout)
"""


def test_without_numba_scores_and_series_features_are_unchanged():
    pytest.importorskip("pyod")
    from pyod.models.copod import COPOD
    from pyod.models.ecod import ECOD

    from engine.anomaly import DETECTORS, detect
    from engine.embed import get_embedder
    from engine.items import Collection, Item

    done = subprocess.run(
        [sys.executable, "-c", BLOCKED.format(table=str(TABLE))], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-3000:]
    blocked = json.loads(done.stdout)
    assert blocked["numba"] == "0+stand-in"
    X = _numbers()
    for name in DETECTORS:
        np.testing.assert_allclose(blocked[name], detect(X, name).scores, rtol=1e-12)
    np.testing.assert_allclose(blocked["plain"][0], ECOD().fit(X).decision_scores_, rtol=1e-12)
    np.testing.assert_allclose(blocked["plain"][1], COPOD().fit(X).decision_scores_, rtol=1e-12)
    rng = np.random.default_rng(0)
    series = {i: rng.normal(size=(40 + i, 3)).cumsum(axis=0) for i in range(12)}
    collection = Collection([Item(i, Path("s.csv"), "timeseries", row=i) for i in series], series=series)
    for name in ("ts-catch22", "ts-minirocket"):
        here = get_embedder(name, "timeseries", dims=8).embed(collection)
        np.testing.assert_allclose(blocked[name], here, rtol=1e-5, atol=1e-6)
