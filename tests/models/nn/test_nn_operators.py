"""equilin.models.nn.operators: the torch coordinate operators against the numpy decompositions."""

from __future__ import annotations

import numpy as np
import torch

from equilin import PermutationGroup
from equilin.equivariance import EquivariantVariety
from equilin.testing import assert_equivariant


def test_the_fourier_operator_is_the_twin_of_the_numpy_decomposition() -> None:
    """The torch FFT operator (used for translation groups beyond the dense limit) gives the numpy
    decomposition's block coordinates and their adjoint, to 1e-12 in float64, also where it is not
    chosen (checked against the orbit-wise operator on the same blocks); 96 x 96 images use it."""
    from equilin.groups import image_group, volume_group
    from equilin.models.nn import IsotypicLinearAutoencoder
    from equilin.models.nn.operators import _FourierOperator, _OrbitOperator

    rng = np.random.default_rng(0)
    for group in (image_group("shift-xy", 6, 10), image_group("shift-xy", 6, 4, 2), volume_group("shift-xyz", 3, 4, 2),
                  PermutationGroup.from_cycles(["(1 2)", "(3 4 5)", "(6 7)(8 9)"], 11)):
        D = EquivariantVariety(group, 1, method="abelian").decomposition
        blocks = list(rng.permutation(len(D.blocks))[: max(1, len(D.blocks) // 2)])
        fourier = _FourierOperator(D, blocks, torch.float64)
        orbit = _OrbitOperator(D, blocks, torch.float64)
        x = torch.from_numpy(rng.standard_normal((3, group.n)))
        Y = fourier.coordinates(x)
        expected = np.concatenate([D.vectors_to_block_coordinates(x.numpy(), i) for i in blocks], axis=1)
        assert np.abs(Y.numpy() - expected).max() < 1e-12
        assert np.abs(orbit.coordinates(x).numpy() - expected).max() < 1e-12
        Z = torch.from_numpy(rng.standard_normal(Y.shape))
        assert np.abs(fourier.vectors(Z).numpy() - orbit.vectors(Z).numpy()).max() < 1e-12
        # adjoint: <coordinates(x), Z> = <x, vectors(Z)>
        assert abs(float((Y * Z).sum() - (x * fourier.vectors(Z)).sum())) < 1e-10
    group = image_group("shift-xy", 96, 96)                       # one orbit of 9,216 > DENSE_LIMIT points
    torch.manual_seed(0)
    model = IsotypicLinearAutoencoder(group, next(EquivariantVariety(group, 8).components()).ranks,
                                      dtype=torch.float64)
    assert isinstance(model.kernel.operator, _FourierOperator)
    assert model(torch.zeros(0, group.n, dtype=torch.float64)).shape == (0, group.n)
    assert_equivariant(lambda X: model(torch.from_numpy(X)).detach().numpy(), group, atol=1e-10)
    x = torch.rand(2, group.n, dtype=torch.float64, requires_grad=True)
    ((model(x) - x) ** 2).mean().backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in model.parameters())
