"""PyOD without numba: a pass-through ``numba`` module and a numpy version of PyOD's one hot loop.

PyOD's ``pyod.utils.stat_models`` does ``from numba import njit`` when it is imported, so every
PyOD detector needs numba installed even though ours (KNN, LOF, IForest, ECOD, COPOD, OCSVM) run
none of its compiled code except ECOD's and COPOD's tie step. The packaged app leaves numba and
llvmlite (about 150 MB) out; :func:`install` then lets PyOD import and keeps ECOD/COPOD fast.
Source installs keep numba (PyOD requires it) and are left alone.
"""

from __future__ import annotations

import importlib.machinery
import sys
import types
from typing import Any

import numpy as np

STAND_IN_VERSION = "0+stand-in"


def _pass_through(*args: Any, **kwargs: Any) -> Any:
    """``@njit`` and ``@njit(cache=True, ...)`` alike: the function itself, run by Python."""
    if len(args) == 1 and callable(args[0]) and not kwargs:
        return args[0]
    return lambda function: function


def stand_in_module() -> types.ModuleType:
    """A ``numba`` with the names PyOD's detectors use at import: decorators that change nothing."""
    module = types.ModuleType("numba", "Stand-in for numba (not installed): jit decorators run plain Python.")
    module.__spec__ = importlib.machinery.ModuleSpec("numba", None)  # so find_spec("numba") answers
    module.njit = module.jit = _pass_through
    module.prange = range
    module.__version__ = STAND_IN_VERSION
    return module


def ecdf_ties(matrix: np.ndarray, probabilities: np.ndarray) -> None:
    """PyOD's ``ecdf_terminate_equals_inplace`` vectorised: equal values share the last one's probability.

    ``matrix`` is sorted down each column; within each run of equal values, every row takes the
    probability of the run's last row, in place (the loop it replaces walks up from the bottom).
    """
    n = len(matrix)
    if n < 2:
        return
    last_of_run = np.ones(matrix.shape, dtype=bool)
    last_of_run[:-1] = matrix[:-1] != matrix[1:]  # NaN never equals: a run of its own, as in the loop
    row = np.where(last_of_run, np.arange(n)[:, None], n)
    run_end = np.minimum.accumulate(row[::-1], axis=0)[::-1]
    probabilities[:] = np.take_along_axis(probabilities, run_end, axis=0)


def install() -> bool:
    """When numba cannot be imported, put the stand-in in its place and patch PyOD's tie loop.

    Call before PyOD is imported (again and again: it is cheap). Returns whether the stand-in is in use.
    """
    if getattr(sys.modules.get("numba"), "__version__", None) != STAND_IN_VERSION:
        try:
            import numba  # noqa: F401 - the real one, when installed and working
        except ImportError:
            sys.modules["numba"] = stand_in_module()
        else:
            return False
    from pyod.utils import stat_models

    stat_models.ecdf_terminate_equals_inplace = ecdf_ties  # column_ecdf looks it up at each call
    return True
