"""Adam training with PyTorch for the experiments: the one module of :mod:`equilin.experiments` that
imports torch.

``import equilin.experiments`` does not import torch: :func:`~equilin.experiments.run_mnist` (when
it trains with Adam) and :func:`~equilin.experiments.nonlinear_rows` import this module when they run.

Every module is built under ``torch.manual_seed(seed)``, trained by :func:`equilin.models.nn.train`
(float32, shuffled with ``seed``) and converted to float64 for
evaluation, so an equivariant module's equivariance error is at float64 rounding level, like the
closed form's.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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


def train(build: Callable[[], M], X: NDArray[Any], *, batch_size: int, epochs: int, lr: float, seed: int,
          progress: bool) -> tuple[M, float]:
    """Build a module under ``torch.manual_seed(seed)``, train it with Adam on ``X`` (an autoencoder),
    and return it in float64 evaluation mode with the training time in seconds."""
    torch.manual_seed(seed)
    module = build()
    start = time.perf_counter()
    enn.train(module, X, epochs=epochs, batch_size=batch_size, lr=lr, seed=seed, progress=progress)
    seconds = time.perf_counter() - start
    return module.double().eval(), seconds


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
