"""The install-time warm-up: a failing step never stops the install."""

import engine.embed.warm as warm


def test_a_failing_step_is_reported_and_the_others_still_run(monkeypatch, capsys) -> None:
    def broken() -> str:
        raise RuntimeError("no exporter")

    monkeypatch.setattr(warm, "STEPS", [("onnx", broken), ("other", lambda: "done")])
    assert warm.main() == 1
    out = capsys.readouterr().out
    assert "warm onnx failed (RuntimeError: no exporter); the app does it on first use" in out
    assert "warm other: done" in out
