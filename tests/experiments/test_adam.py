"""equilin.experiments.adam: the experiment's Adam stopping rule, and that its defaults converge: every
linear model trained with Adam ends within 2% of its closed form (the global optimum) on the digits."""

from __future__ import annotations

import inspect

import pytest

pytest.importorskip("torch")

from equilin.cli import experiments as cli_experiments  # noqa: E402
from equilin.experiments import MODEL_NAMES, run_mnist  # noqa: E402
from equilin.experiments import adam as torch_adam  # noqa: E402


def test_stopping_options() -> None:
    assert torch_adam.Stopping(7, None).options() == {"epochs": 7}
    options = torch_adam.Stopping(100, 9, 0.2).options()
    assert options == {"epochs": 100, "patience": 9, "validation_fraction": 0.2, "min_delta": torch_adam.MIN_DELTA,
                       "lr_patience": 3, "lr_factor": torch_adam.LR_FACTOR}
    assert torch_adam.Stopping(100, 2).options()["lr_patience"] == 1
    assert torch_adam.Stopping(100, 9).describe()["restore_best"] is True


def test_defaults_agree() -> None:
    """run_mnist, the CLI and the module's own defaults are one rule."""
    defaults = {k: p.default for k, p in inspect.signature(run_mnist).parameters.items()}
    assert defaults["patience"] == torch_adam.PATIENCE == cli_experiments.ADAM_PATIENCE
    assert defaults["validation_fraction"] == torch_adam.VALIDATION_FRACTION
    assert defaults["epochs"] == cli_experiments.ADAM_EPOCHS == cli_experiments.DEMO_EPOCHS
    assert defaults["lr"] == cli_experiments.ADAM_LR


def test_default_adam_converges_to_the_closed_form_on_digits() -> None:
    """The issue's run (digits, r = 20, both trainings) with the default rule: every model stops by itself
    and ends within 2% of its closed form's test and training MSE (5 fixed epochs gave 0.197 against 0.025)."""
    result = run_mnist("digits", rank=20, train="both", progress=False, threads=1)
    gaps = {g["name"]: g for g in result.adam_vs_closed_form()}
    assert set(gaps) == set(MODEL_NAMES)
    for name in MODEL_NAMES:
        closed, adam = result.model(name), result.model(name, "adam")
        assert adam.stop_reason == "converged" and 0 < adam.epochs < 300
        assert closed.train_mse <= adam.train_mse * (1 + 1e-9)          # the closed form is the optimum
        assert adam.train_mse <= 1.02 * closed.train_mse, name
        assert adam.test_mse <= 1.02 * closed.test_mse, name
        assert gaps[name]["test_ratio"] == pytest.approx(adam.test_mse / closed.test_mse, rel=1e-5)
    assert result.data["adam"]["patience"] == 30 and result.data["adam"]["restore_best"] is True
