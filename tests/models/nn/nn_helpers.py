"""Helpers shared by the tests of equilin.models.nn: the talk's MNIST ranks, a random component, and a
recorder of the largest tensor a computation makes."""

from __future__ import annotations

import numpy as np
import torch

from equilin import Permutation
from equilin.equivariance import EquivariantVariety

MNIST_RANKS = (13, 10, 9, 8, 7, 5, 3, 1, 0, 0, 0, 0, 0, 0, 0)


def random_component(sigma: Permutation, rng: np.random.Generator) -> tuple[int, ...]:
    E = EquivariantVariety(sigma, sigma.n)
    return tuple(int(rng.integers(0, b.size + 1)) for b in E.blocks)


class LargestTensor(torch.overrides.TorchFunctionMode):
    """Records the largest tensor any torch function returns while active."""

    def __init__(self) -> None:
        super().__init__()
        self.largest = 0

    def __torch_function__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        for value in out if isinstance(out, (tuple, list)) else (out,):
            if isinstance(value, torch.Tensor):
                self.largest = max(self.largest, value.numel())
        return out
