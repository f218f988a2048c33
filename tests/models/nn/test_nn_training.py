"""equilin.models.nn.training: Adam reaches (never beats) the closed form; validation, early stopping and
argument checks of train."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from equilin import Permutation
from equilin.data import load, shift_images
from equilin.groups import image_shift
from equilin.models.closed_form import EquivariantAutoencoder
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


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"epochs": 0}, "epochs"),
    ({"lr": -1.0}, "lr"),
    ({"patience": 3}, "needs validation"),
])
def test_train_bad_arguments(kwargs: dict, message: str) -> None:
    model = DenseLinearAutoencoder(4, 2)
    with pytest.raises(ValueError, match=message):
        train(model, np.zeros((3, 4)), progress=False, **kwargs)
