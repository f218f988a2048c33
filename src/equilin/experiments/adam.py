"""Adam training with PyTorch for the experiments: the one module of :mod:`equilin.experiments` that
imports torch.

``import equilin.experiments`` does not import torch: :func:`~equilin.experiments.run_mnist` (when
it trains with Adam) and :func:`~equilin.experiments.nonlinear_rows` import this module when they run.

Every module is built under ``torch.manual_seed(seed)``, trained by :func:`equilin.models.nn.train`
(float32, shuffled with ``seed``) and converted to float64 for
evaluation, so an equivariant module's equivariance error is at float64 rounding level, like the
closed form's.

The stopping rule (:class:`Stopping`, the experiment's default): a seeded tenth of the training images is
held out, Adam runs until the loss on it has not improved by a relative :data:`MIN_DELTA` for
``patience`` epochs (at most ``epochs``), the learning rate is halved after ``patience // 3`` epochs
without improvement, and the weights of the best epoch are restored. A fixed number of epochs does not
converge: 5 epochs of the 1,500 digits are 30 Adam steps; the rule adapts the number of epochs to the
data (BENCHMARKS.md, "Adam against the closed form").
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import numpy as np
import torch
from numpy.typing import NDArray

from equilin.deep import DeepLinearNetwork, GSet
from equilin.experiments.evaluation import Predictor, chunks
from equilin.groups import Permutation, PermutationGroup
from equilin.models import nn as enn

__all__ = [
    "Autoencoder",
    "DenseNonlinearAutoencoder",
    "MIN_DELTA",
    "LR_FACTOR",
    "PATIENCE",
    "VALIDATION_FRACTION",
    "Stopping",
    "Trained",
    "fit",
    "linear_autoencoder",
    "nonlinear_equivariant",
    "train",
    "predictor",
    "torch_threads",
]

class Autoencoder(Protocol):
    """What the experiments need of a trained module: its output width and its parameter count."""

    n_outputs: int

    def __call__(self, x: torch.Tensor) -> torch.Tensor: ...

    def n_parameters(self) -> int: ...


class DenseNonlinearAutoencoder(torch.nn.Module):
    """``n -> rank -> n`` with ReLU and biases (the ``relu-dense`` row of
    :func:`~equilin.experiments.nonlinear_rows`)."""

    def __init__(self, n: int, rank: int) -> None:
        super().__init__()
        self.n_features = self.n_outputs = n
        self.encoder = torch.nn.Linear(n, rank)
        self.decoder = torch.nn.Linear(rank, n)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.decoder(torch.relu(self.encoder(x)))
        return out

    def n_parameters(self) -> int:
        """Weights and biases."""
        return sum(p.numel() for p in self.parameters())


def linear_autoencoder(n: int, rank: int, group: Permutation | PermutationGroup,
                       ranks: tuple[int, ...] | None) -> enn.DenseLinearAutoencoder | enn.EquivariantLinearAutoencoder:
    """The float32 module of one MNIST model: dense of rank ``rank`` when ``ranks`` is None, else the
    component ``ranks`` of the ``group``-equivariant maps (any group: the block decomposition of the
    closed form, method ``"auto"``)."""
    if ranks is None:
        return enn.DenseLinearAutoencoder(n, rank, dtype=torch.float32)
    return enn.EquivariantLinearAutoencoder(group, ranks, dtype=torch.float32)


def nonlinear_equivariant(group: Permutation | PermutationGroup, hidden: GSet) -> enn.DeepEquivariantNetwork:
    """``R^n -> hidden -> R^n`` with permuted neurons, ReLU and orbit-constant biases."""
    return enn.DeepEquivariantNetwork(DeepLinearNetwork(group, [hidden]), activation="relu", bias=True)


M = TypeVar("M", bound=torch.nn.Module)

MIN_DELTA = 1e-4
"""Relative improvement of the validation loss that counts (for the patience and the learning rate)."""

LR_FACTOR = 0.5
"""Learning-rate factor after ``patience // 3`` epochs without improvement."""

PATIENCE = 30
"""Epochs without improvement before training stops (the default of :func:`~equilin.experiments.run_mnist`)."""

VALIDATION_FRACTION = 0.1
"""Fraction of the training images held out to decide when to stop."""


@dataclass(frozen=True)
class Stopping:
    """When Adam stops in the experiment (:func:`equilin.models.nn.train`'s options).

    ``patience=None`` trains exactly ``epochs`` epochs on all images; otherwise ``validation_fraction``
    of the images is held out, ``epochs`` is a cap, training stops after ``patience`` epochs without a
    relative improvement of :data:`MIN_DELTA`, the learning rate is multiplied by :data:`LR_FACTOR`
    after ``max(1, patience // 3)`` such epochs, and the best epoch's weights are restored.
    """

    epochs: int
    patience: int | None = PATIENCE
    validation_fraction: float = VALIDATION_FRACTION

    def options(self) -> dict[str, Any]:
        """Keyword arguments of :func:`equilin.models.nn.train`."""
        if self.patience is None:
            return {"epochs": self.epochs}
        return {"epochs": self.epochs, "patience": self.patience, "validation_fraction": self.validation_fraction,
                "min_delta": MIN_DELTA, "lr_patience": max(1, self.patience // 3), "lr_factor": LR_FACTOR}

    def describe(self) -> dict[str, Any]:
        """The rule as JSON-ready settings (``run_mnist``'s ``data["adam"]``)."""
        if self.patience is None:
            return {"epochs": self.epochs, "patience": None}
        return {"epochs": self.epochs, "patience": self.patience, "validation_fraction": self.validation_fraction,
                "min_delta": MIN_DELTA, "lr_patience": max(1, self.patience // 3), "lr_factor": LR_FACTOR,
                "restore_best": True}


@dataclass
class Trained:
    """A trained module (float64, evaluation mode), its training time in seconds, the epochs that ran
    and why training stopped (``"converged"`` or ``"cap"``)."""

    module: Any
    seconds: float
    epochs: int
    stop_reason: str


def fit(build: Callable[[], M], X: NDArray[Any], *, batch_size: int, lr: float, seed: int, stopping: Stopping,
        progress: bool) -> Trained:
    """Build a module under ``torch.manual_seed(seed)``, train it with Adam on ``X`` (an autoencoder) under
    the ``stopping`` rule, and return it in float64 evaluation mode with what the training did."""
    torch.manual_seed(seed)
    module = build()
    start = time.perf_counter()
    history = enn.train(module, X, batch_size=batch_size, lr=lr, seed=seed, progress=progress,
                        **stopping.options())
    seconds = time.perf_counter() - start
    return Trained(module.double().eval(), seconds, int(history["epochs_run"]), str(history["stop_reason"]))


def train(build: Callable[[], M], X: NDArray[Any], *, batch_size: int, epochs: int, lr: float, seed: int,
          progress: bool, patience: int | None = PATIENCE,
          validation_fraction: float = VALIDATION_FRACTION) -> tuple[M, float]:
    """:func:`fit` with the rule ``Stopping(epochs, patience, validation_fraction)`` (by default the
    experiment's: ``epochs`` is a cap); returns the module in float64 evaluation mode and the training time
    in seconds."""
    trained = fit(build, X, batch_size=batch_size, lr=lr, seed=seed, progress=progress,
                  stopping=Stopping(epochs, patience, validation_fraction))
    module: M = trained.module
    return module, trained.seconds


def predictor(module: Autoencoder) -> Predictor:
    """The module as a numpy function of rows (float64, no gradients, chunk by chunk)."""

    def predict(X: NDArray[Any]) -> NDArray[np.float64]:
        out = np.empty((len(X), module.n_outputs))
        with torch.no_grad():
            for s in chunks(len(X)):
                out[s] = module(torch.from_numpy(np.ascontiguousarray(X[s], dtype=np.float64))).numpy()
        return out

    return predict


@contextmanager
def torch_threads(threads: int | None) -> Iterator[None]:
    """At most ``threads`` PyTorch threads inside the block, restored afterwards; ``None`` changes nothing."""
    if threads is None:
        yield
        return
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)
