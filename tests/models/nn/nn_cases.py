"""Module factories shared by the tests of equilin.models.nn: one small module of every kind and code path,
built by ``case.build(dtype)`` (seeded, so two builds have the same weights).

=====================  ===========================================================================
``dense``              :class:`DenseLinearAutoencoder` ``R^5 -> R^2 -> R^4``
``invariant``          :class:`InvariantLinearAutoencoder` for ``(1 2 3)(4 5)``, ``m = 3``
``cyclic-dft``         the cyclic Fourier kernel by DFT matrices, ``(1 2 3)(4 5)``
``rotation-3x3``       the cyclic kernel for the 90-degree rotation of a 3 x 3 image (cycles 4, 4, 1)
``cyclic-fft``         the cyclic kernel by FFTs: a 300-cycle (> ``DFT_MATRIX_MAX_LENGTH``) and a 2-cycle
``nonabelian-q8``      the block kernel (orbit operator) for the quaternion group Q8, a real and an
                       ``H`` block
``fourier-operator``   the block kernel with :class:`_FourierOperator`: shift-xy on 65 x 65 (one orbit
                       of 4,225 > ``DENSE_LIMIT`` points)
``torus-operator``     the block kernel with :class:`_TorusOperator`: p4m on 65 x 65
``isotypic``           :class:`IsotypicLinearAutoencoder` for ``(1 2 3)(4 5)`` (block kernel)
``isotypic-fourier``   :class:`IsotypicLinearAutoencoder` for shift-xy on 65 x 65 (``method="auto"``)
``deep``               :class:`DeepEquivariantNetwork` with tanh and orbit-constant biases
=====================  ===========================================================================

Use ``@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

import torch
from torch import nn

from equilin import Permutation, PermutationGroup
from equilin.deep import DeepLinearNetwork, GSet
from equilin.groups import image_group, image_rot90
from equilin.models.nn import (
    DeepEquivariantNetwork,
    DenseLinearAutoencoder,
    EquivariantLinearAutoencoder,
    InvariantLinearAutoencoder,
    IsotypicLinearAutoencoder,
)

SIGMA = Permutation.from_cycles("(1 2 3)(4 5)", 5)
Q8 = PermutationGroup.from_cycles(["(1 3 2 4)(5 8 6 7)", "(1 5 2 6)(3 7 4 8)"], 8)
LONG_CYCLE = Permutation.from_cycles("(" + " ".join(map(str, range(1, 301))) + ")(301 302)", 302)


@cache
def _shift65() -> PermutationGroup:
    return image_group("shift-xy", 65, 65)


@cache
def _p4m65() -> PermutationGroup:
    return image_group("p4m", 65, 65)


def _deep(dtype: torch.dtype) -> DeepEquivariantNetwork:
    s = Permutation.from_cycles("(1 2 3 4)(5 6 7 8)", 9)
    network = DeepLinearNetwork(s, [GSet.channels(s, 2), GSet.cosets(s, [s ** 2])])
    return DeepEquivariantNetwork(network, dtype, activation="tanh", bias=True)


@dataclass(frozen=True)
class Case:
    """A module kind: ``build(dtype)`` makes it (seeded); ``name`` is the test id."""

    name: str
    factory: Callable[[torch.dtype], nn.Module]

    def build(self, dtype: torch.dtype = torch.float64, seed: int = 0) -> Any:
        """The module, its weights drawn under ``torch.manual_seed(seed)`` (the global RNG is left as it was);
        a bias, if any, is set to nonzero values so that it matters."""
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            module = self.factory(dtype)
            with torch.no_grad():
                for name, p in module.named_parameters():
                    if name.startswith("biases"):
                        p.uniform_(-0.5, 0.5)
        return module

    def __repr__(self) -> str:
        return self.name


CASES = [
    Case("dense", lambda dtype: DenseLinearAutoencoder(5, 2, m=4, dtype=dtype)),
    Case("invariant", lambda dtype: InvariantLinearAutoencoder(SIGMA, 2, m=3, dtype=dtype)),
    Case("cyclic-dft", lambda dtype: EquivariantLinearAutoencoder(SIGMA, (1, 1, 1), dtype)),
    Case("rotation-3x3", lambda dtype: EquivariantLinearAutoencoder(image_rot90(3), (2, 1, 1), dtype)),
    Case("cyclic-fft", lambda dtype: EquivariantLinearAutoencoder(
        LONG_CYCLE, {"r_{1,1}": 1, "r_{300,299}": 1, "r_{150,149}": 1}, dtype)),
    Case("nonabelian-q8", lambda dtype: EquivariantLinearAutoencoder(Q8, {"r_{V1}": 1, "r_{V5}": 1}, dtype)),
    Case("fourier-operator", lambda dtype: EquivariantLinearAutoencoder(
        _shift65(), {"r_{(0,0)}": 1, "r_{(0,1)}": 1}, dtype, method="abelian")),
    Case("torus-operator", lambda dtype: EquivariantLinearAutoencoder(
        _p4m65(), {"r_{[(0,0)]}": 1, "r_{[(0,1)]}": 1}, dtype, method="torus")),
    Case("isotypic", lambda dtype: IsotypicLinearAutoencoder(SIGMA, (1, 1, 1), dtype)),
    Case("isotypic-fourier", lambda dtype: IsotypicLinearAutoencoder(_shift65(), {"r_{(0,1)}": 1}, dtype)),
    Case("deep", _deep),
]
CASE_IDS = [case.name for case in CASES]
"""The test ids of :data:`CASES`."""
