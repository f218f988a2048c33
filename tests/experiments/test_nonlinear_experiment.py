"""The nonlinear rows (equilin.experiments.nonlinear): permuted neurons with ReLU against the linear
closed forms on the 8 x 8 digits."""

from __future__ import annotations

import pytest

from equilin.experiments import run_nonlinear

pytest.importorskip("sklearn")  # the digits data set
pytest.importorskip("torch")


def test_nonlinear_rows_on_the_digits() -> None:
    """The nonlinear rows: every equivariant model (linear closed form, nonlinear permuted neurons) is
    equivariant to rounding in float64, the dense ones are not; the small permuted layer carries the
    best component; the linear closed forms are the optima of their classes on the training data."""
    rows = {r["model"]: r for r in run_nonlinear("digits", "shift-x", rank=10, epochs=2, limit_train=300,
                                                  limit_test=100)}
    assert list(rows) == ["linear equivariant (closed form)", "linear dense (closed form)",
                          "nonlinear equivariant (small, ReLU)", "nonlinear equivariant (wide, ReLU)",
                          "nonlinear dense (ReLU)"]
    for name, row in rows.items():
        if "equivariant" in name:
            assert row["equivariance"] < 1e-10, name
        else:
            assert row["equivariance"] > 1e-3, name
    assert rows["linear dense (closed form)"]["train_mse"] <= rows["linear equivariant (closed form)"]["train_mse"]
    assert rows["linear dense (closed form)"]["params"] == 2 * 64 * 10
    assert rows["nonlinear dense (ReLU)"]["params"] == 2 * 64 * 10 + 74
    with pytest.raises(ValueError, match="'shift-x' or 'd4'"):
        run_nonlinear("digits", "p4m")
