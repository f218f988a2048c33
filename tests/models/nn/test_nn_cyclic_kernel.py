"""equilin.models.nn.cyclic_kernel: the talk's Fourier kernel (DFT matrices and FFTs along the cycles,
autograd of plain torch operations) against numpy and finite differences."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from nn_helpers import MNIST_RANKS, random_component

from equilin import Permutation
from equilin.equivariance import EquivariantVariety
from equilin.groups import image_shift
from equilin.models.nn import (
    EquivariantLinearAutoencoder,
)
from equilin.testing import assert_equivariant

from conftest import permutations


@settings(max_examples=20)
@given(permutations(min_n=1, max_n=30), st.integers(0, 2**32))
def test_torch_block_coordinates_match_numpy(sigma: Permutation, seed: int) -> None:
    rng = np.random.default_rng(seed)
    model = EquivariantLinearAutoencoder(sigma, random_component(sigma, rng), dtype=torch.float64)
    X = rng.standard_normal((5, sigma.n))
    expected = model.variety.to_blocks(X)
    got = model.to_blocks(torch.from_numpy(X))
    for e, g in zip(expected, got):
        np.testing.assert_allclose(g.numpy(), e, atol=1e-12)
    np.testing.assert_allclose(model.from_blocks(got).numpy(), X, atol=1e-12)


@pytest.mark.parametrize("cycles", ["(1 2 3)(4 5 6 7)", None])
def test_fft_path_for_long_cycles_matches_dft_path(cycles: str | None) -> None:
    """Cycles longer than DFT_MATRIX_MAX_LENGTH use FFTs; both paths agree with numpy."""
    from equilin.models.nn import DFT_MATRIX_MAX_LENGTH

    n = DFT_MATRIX_MAX_LENGTH + 44
    sigma = Permutation.from_cycles("(" + " ".join(map(str, range(1, n + 1))) + ")" if cycles is None
                                    else cycles, n)
    rng = np.random.default_rng(0)
    ranks = random_component(sigma, rng)
    model = EquivariantLinearAutoencoder(sigma, ranks, dtype=torch.float64)
    X = rng.standard_normal((3, n))
    for e, g in zip(model.variety.to_blocks(X), model.to_blocks(torch.from_numpy(X))):
        np.testing.assert_allclose(g.numpy(), e, atol=1e-11)
    assert_equivariant(lambda V: model(torch.from_numpy(V)).detach().numpy(), sigma, atol=1e-10)


@pytest.mark.parametrize("cycles", ["(1 2 3 4 5 6)(7 8 9)(10 11)(12 13 14 15)", "(1 2 3 4)(5 6 7 8)", None])
def test_backward_passes_gradcheck(cycles: str | None) -> None:
    """The custom autograd functions (mixed cycle lengths with concatenated block coordinates, the
    uniform fast path, the FFT path for a long cycle) against finite differences in float64; entries
    beyond a block's rank, even when set to nonzero values, neither change the function nor get gradient."""
    from equilin.models.nn import DFT_MATRIX_MAX_LENGTH

    if cycles is None:
        n = DFT_MATRIX_MAX_LENGTH + 8
        cycles = "(" + " ".join(map(str, range(1, n - 2))) + f")({n - 2} {n - 1} {n})"
    n = max(int(v) for v in cycles.replace("(", " ").replace(")", " ").split())
    sigma = Permutation.from_cycles(cycles, n)
    rng = np.random.default_rng(3)
    blocks = EquivariantVariety(sigma, n).blocks
    torch.manual_seed(0)
    for _ in range(50):  # some zero ranks, and if possible a batch of unequal ranks (padded weights)
        ranks = tuple(int(rng.integers(0, b.size + 1)) for b in blocks)
        model = EquivariantLinearAutoencoder(sigma, ranks, dtype=torch.float64)
        padding = [p.detach() == 0 for p in model.parameters()]  # random initial weights are never 0
        if 0 in ranks and any(bool(pad.any()) for pad in padding):
            break
    before = model.function_matrix()
    with torch.no_grad():
        for p, pad in zip(model.parameters(), padding):
            p.add_(pad * torch.rand_like(p))
    torch.testing.assert_close(model.function_matrix(), before, rtol=0, atol=0)
    x = torch.randn(3, n, dtype=torch.float64, requires_grad=True)
    params = tuple(model.parameters())
    checked = params if sum(p.numel() for p in params) <= 400 else ()  # finite differences per entry
    assert torch.autograd.gradcheck(lambda x, *_: model(x), (x, *checked))
    z = torch.randn(2, model.rank, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda z, *_: model.decode(z), (z, *checked))
    assert torch.autograd.gradcheck(lambda x, *_: model.encode(x), (x, *checked))
    torch.testing.assert_close(model.decode(model.encode(x)), model(x), rtol=0, atol=1e-12)
    model.zero_grad()
    model(x).square().sum().backward()
    for p, pad in zip(params, padding):
        assert torch.all(p.grad[pad] == 0) and torch.any(p.grad != 0)
    assert np.linalg.matrix_rank(model.function_matrix().numpy(), tol=1e-9) <= model.rank


def test_mnist_component_takes_the_uniform_path() -> None:
    """28 cycles of length 28 in row order: the signal is a view of the input (no gather), the zero
    ranks cost nothing, and the two batches (the real block, the seven complex ones) need 15 spectrum
    rows per cycle, not 29."""
    model = EquivariantLinearAutoencoder(image_shift(28, 28), MNIST_RANKS)
    assert model.kernel.in_place and model.kernel.n_rows == [15]
    assert [(batch.complex, len(batch.blocks)) for batch in model.kernel.batches] == [(False, 1), (True, 7)]
    assert model.n_parameters() == 5_544
    x = torch.rand(4, 784)
    shifted = x.reshape(4, 28, 28).roll(1, dims=2).reshape(4, 784)
    torch.testing.assert_close(model(shifted), model(x).reshape(4, 28, 28).roll(1, dims=2).reshape(4, 784))
    assert model(torch.zeros(0, 784)).shape == (0, 784)
