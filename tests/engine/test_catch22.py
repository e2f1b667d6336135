"""ts-catch22 is pycatch22 per channel, in pycatch22's order, and matches aeon's pycatch22 wrapper."""

import warnings

import numpy as np
import pytest

from engine.embed.timeseries import catch24

pycatch22 = pytest.importorskip("pycatch22")


def _series() -> list[np.ndarray]:
    """Random walks and sines of unequal length, plus a constant and a five-point series (length x 3)."""
    rng = np.random.default_rng(0)
    series = [np.cumsum(rng.normal(size=(n, 3)), axis=0) * 4 + 20 for n in (300, 41, 97)]
    series.append(np.sin(np.linspace(0, 9, 64))[:, None] * np.array([1.0, 5.0, 0.1]))
    series.append(np.full((30, 3), 7.0))
    series.append(rng.normal(size=(5, 3)))
    return series


@pytest.mark.parametrize("channels", [1, 3])
def test_features_are_pycatch22s_channel_after_channel(channels):
    series = [s[:, :channels] for s in _series()]
    features = catch24(series)
    assert features.shape == (len(series), 24 * channels) and np.isfinite(features).all()
    for row, s in zip(features, series, strict=True):
        for c in range(channels):
            expected = np.nan_to_num(pycatch22.catch22_all(list(s[:, c]), catch24=True)["values"])
            np.testing.assert_allclose(row[24 * c : 24 * (c + 1)], expected, rtol=1e-12, atol=1e-12)
    constant = features[4]
    assert constant[22] == 7.0 and constant[23] == 0.0  # the level survives; the spread is zero


def test_features_equal_aeons_pycatch22_wrapper_in_its_order():
    catch22 = pytest.importorskip("aeon.transformations.collection.feature_based._catch22")
    series = [s for s in _series() if s.std() > 0]  # aeon z-normalises a constant series to NaN first
    ours = catch24(series)
    with warnings.catch_warnings():  # newer aeon deprecates use_pycatch22 (still honoured), older does not
        warnings.simplefilter("ignore")
        theirs = catch22.Catch22(catch24=True, replace_nans=True, use_pycatch22=True).fit_transform(
            [s.T for s in series]
        )
    legacy = [f["legacy_name"] for f in pycatch22.feature_table(catch24=True)]
    order = [legacy.index(name) for name in catch22.feature_names] + [22, 23]
    ours_in_aeons_order = ours.reshape(len(series), 3, 24)[:, :, order]
    theirs = theirs.reshape(len(series), 3, 24)
    # aeon's spread is numpy's (divided by n), pycatch22's the sample one (n - 1)
    n = np.array([len(s) for s in series], dtype=np.float64)[:, None]
    theirs[:, :, 23] *= np.sqrt(n / (n - 1))
    np.testing.assert_allclose(ours_in_aeons_order, theirs, rtol=1e-9, atol=1e-9)
