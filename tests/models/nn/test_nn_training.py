"""equilin.models.nn.training: Adam reaches (never beats) the closed form; validation, early stopping and
argument checks of train."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from equilin import Permutation
from equilin.data import load, shift_images
from equilin.groups import image_shift
from equilin.models.closed_form import DenseAutoencoder, EquivariantAutoencoder
from equilin.models.nn import (
    DenseLinearAutoencoder,
    EquivariantLinearAutoencoder,
    train,
)


def test_closed_form_is_never_worse_than_training(rng: np.random.Generator) -> None:
    """The conjugation trap of docs/math.md section 5 would make the closed form lose to Adam here."""
    sigma = Permutation.from_cycles("(1 2 3 4 5)(6 7 8 9 10)(11 12 13)", 13)
    X = rng.standard_normal((300, 13)) @ rng.standard_normal((13, 13))
    for ranks in [(1, 1, 0, 0), (0, 2, 1, 1), (2, 0, 1, 0)]:
        closed = EquivariantAutoencoder(sigma, ranks).fit(X)
        torch.manual_seed(0)
        module = EquivariantLinearAutoencoder(sigma, ranks, dtype=torch.float64)
        history = train(module, X, epochs=60, batch_size=50, lr=1e-2, progress=False)
        with torch.no_grad():
            trained = float(torch.mean((module(torch.from_numpy(X)) - torch.from_numpy(X)) ** 2))
        assert closed.train_loss_ <= trained + 1e-12
        assert closed.train_loss_ <= min(history["train_loss"]) + 1e-12


def test_adam_reaches_the_closed_form_on_shifted_digits() -> None:
    """8 x 8 digits shifted horizontally, rank 10: Adam gets within 1% of the exact optimum."""
    images, _ = shift_images(load("digits").x_train.astype(np.float64), seed=0)
    X = images.reshape(len(images), -1)
    sigma = image_shift(8, 8)
    closed = EquivariantAutoencoder(sigma, "best", rank=10).fit(X)
    torch.manual_seed(0)
    module = EquivariantLinearAutoencoder(sigma, tuple(closed.ranks_.values()), dtype=torch.float64)
    train(module, X, epochs=80, batch_size=100, lr=1e-2, progress=False)
    with torch.no_grad():
        trained = float(torch.mean((module(torch.from_numpy(X)) - torch.from_numpy(X)) ** 2))
    assert closed.train_loss_ <= trained
    assert trained <= 1.01 * closed.train_loss_


def test_float32_and_training_options(rng: np.random.Generator) -> None:
    sigma = image_shift(3, 4)
    X = rng.standard_normal((64, 12)).astype(np.float32)
    model = EquivariantLinearAutoencoder(sigma, {"r_{1,1}": 2, "r_{4,3}": 1})
    assert model.function_matrix().dtype == torch.float32
    history = train(model, X, epochs=50, lr=0.05, validation=X[:16], patience=2, progress=False)
    assert len(history["train_loss"]) >= 1 and len(history["val_loss"]) == len(history["train_loss"])
    assert history["best_epoch"] >= 0


def _low_rank_data(rng: np.random.Generator, N: int = 400) -> np.ndarray:
    """Rows with a decaying spectrum (two strong directions, weak noise) in R^6."""
    return rng.standard_normal((N, 6)) @ np.diag([3.0, 2.0, 0.5, 0.3, 0.1, 0.05]) @ rng.standard_normal((6, 6))


def _loss(module: torch.nn.Module, X: np.ndarray) -> float:
    with torch.no_grad():
        Xt = torch.from_numpy(X)
        return float(torch.mean((module(Xt) - Xt) ** 2))


def test_early_stopping_reaches_the_closed_form(rng: np.random.Generator) -> None:
    """With a held-out tenth, patience and a generous cap, training stops by itself ('converged') and the
    module's loss on all rows is within 2% of the global optimum: DenseAutoencoder's closed form."""
    X = _low_rank_data(rng)
    closed = DenseAutoencoder(2).fit(X)
    torch.manual_seed(0)
    module = DenseLinearAutoencoder(6, 2, dtype=torch.float64)
    history = train(module, X, epochs=2000, batch_size=32, lr=1e-2, validation_fraction=0.1, patience=20,
                    min_delta=1e-4, lr_patience=5, progress=False)
    assert history["stop_reason"] == "converged" and history["epochs_run"] < 2000
    assert history["n_validation"] == 40 and history["restored_best"]
    trained = _loss(module, X)
    assert closed.train_loss_ <= trained <= 1.02 * closed.train_loss_
    # a fixed small budget does not get there: the rule is what converges
    torch.manual_seed(0)
    short = DenseLinearAutoencoder(6, 2, dtype=torch.float64)
    assert train(short, X, epochs=2, batch_size=32, lr=1e-2, progress=False)["stop_reason"] == "cap"
    assert _loss(short, X) > 1.02 * closed.train_loss_


def _expected_stop(val: list[float], patience: int, min_delta: float, lr_patience: int | None, lr: float,
                   factor: float) -> tuple[int, list[float]]:
    """Independent reading of a validation curve: the epoch count at which the rule stops (len(val) if it
    never does) and the learning rate of every epoch."""
    reference, waited, lr_waited, rates = float("inf"), 0, 0, []
    for epoch, v in enumerate(val):
        rates.append(lr)
        if v < reference * (1 - min_delta):
            reference, waited, lr_waited = v, 0, 0
            continue
        waited, lr_waited = waited + 1, lr_waited + 1
        if waited >= patience:
            return epoch + 1, rates
        if lr_patience is not None and lr_waited >= lr_patience:
            lr, lr_waited = lr * factor, 0
    return len(val), rates


@pytest.mark.parametrize(("patience", "min_delta", "lr_patience"), [(3, 0.0, None), (4, 1e-2, 2), (6, 1e-3, 2)])
def test_early_stopping_stops_where_the_validation_curve_says(rng: np.random.Generator, patience: int,
                                                               min_delta: float, lr_patience: int | None) -> None:
    X = _low_rank_data(rng, 200)
    X_val = _low_rank_data(np.random.default_rng(1), 50)   # other data: the curve turns up (overfitting)
    torch.manual_seed(0)
    module = DenseLinearAutoencoder(6, 3, dtype=torch.float64)
    history = train(module, X, epochs=300, batch_size=16, lr=0.05, validation=X_val, patience=patience,
                    min_delta=min_delta, lr_patience=lr_patience, progress=False)
    val = history["val_loss"]
    stop, rates = _expected_stop(val, patience, min_delta, lr_patience, 0.05, 0.5)
    assert history["epochs_run"] == len(val) == len(history["train_loss"]) == stop
    assert stop < 300 and history["stop_reason"] == "converged"
    assert history["lr"] == pytest.approx(rates)
    assert history["best_epoch"] == int(np.argmin(val))
    assert _loss(module, X_val) == pytest.approx(min(val), rel=1e-12)      # the best weights are back


def test_cap_and_reproducible_split(rng: np.random.Generator) -> None:
    X = _low_rank_data(rng, 100)
    runs = []
    for _ in range(2):
        torch.manual_seed(0)
        module = DenseLinearAutoencoder(6, 2, dtype=torch.float64)
        runs.append(train(module, X, epochs=3, lr=1e-3, validation_fraction=0.25, patience=50, seed=7,
                          progress=False))
    assert runs[0]["stop_reason"] == "cap" and runs[0]["epochs_run"] == 3 and runs[0]["n_validation"] == 25
    assert runs[0]["val_loss"] == runs[1]["val_loss"] and runs[0]["train_loss"] == runs[1]["train_loss"]
    torch.manual_seed(0)
    plain = train(DenseLinearAutoencoder(6, 2, dtype=torch.float64), X, epochs=3, progress=False)
    assert plain["val_loss"] == [] and plain["n_validation"] == 0 and not plain["restored_best"]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"epochs": 0}, "epochs"),
    ({"lr": -1.0}, "lr"),
    ({"patience": 3}, "needs validation"),
    ({"lr_patience": 3}, "needs validation"),
    ({"restore_best": True}, "needs validation"),
    ({"validation_fraction": 1.0}, "validation_fraction"),
    ({"validation_fraction": 0.5, "validation": np.zeros((2, 4))}, "not both"),
    ({"min_delta": -0.1}, "min_delta"),
    ({"lr_factor": 1.5, "validation_fraction": 0.5}, "lr_factor"),
])
def test_train_bad_arguments(kwargs: dict, message: str) -> None:
    model = DenseLinearAutoencoder(4, 2)
    with pytest.raises(ValueError, match=message):
        train(model, np.zeros((3, 4)), progress=False, **kwargs)
