"""The install-time warm-up: its series look like ingest's, and a failing step never stops the install."""

import numpy as np

import engine.embed.warm as warm


def test_warm_series_are_unequal_length_and_both_one_and_several_channels() -> None:
    one, three = warm._series_collection(1), warm._series_collection(3)
    assert {np.ndim(v) for v in one.series.values()} == {1}
    assert {np.shape(v)[1] for v in three.series.values()} == {3}
    assert len({len(v) for v in one.series.values()}) > 1
    assert [item.id for item in three.items] == sorted(three.series)


def test_a_failing_step_is_reported_and_the_others_still_run(monkeypatch, capsys) -> None:
    def broken() -> str:
        raise RuntimeError("no compiler")

    monkeypatch.setattr(warm, "warm_timeseries", broken)
    monkeypatch.setattr(warm, "warm_onnx", lambda: "exported")
    assert warm.main() == 1
    out = capsys.readouterr().out
    assert "warm numba failed (RuntimeError: no compiler); the app does it on first use" in out
    assert "warm onnx: exported" in out
