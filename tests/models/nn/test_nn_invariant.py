"""equilin.models.nn.invariant: the invariant module is exactly invariant with its parameter count."""

from __future__ import annotations

import numpy as np
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from equilin import Permutation, PermutationGroup
from equilin.models.nn import (
    InvariantLinearAutoencoder,
)
from equilin.testing import assert_invariant

from conftest import permutations


@settings(max_examples=20)
@given(permutations(min_n=1, max_n=20), st.integers(1, 5), st.integers(0, 2**32))
def test_invariant_module_is_exactly_invariant(sigma: Permutation, r: int, seed: int) -> None:
    torch.manual_seed(seed % 2**31)
    model = InvariantLinearAutoencoder(sigma, r, m=3, dtype=torch.float64)
    M = model.function_matrix().numpy()
    assert M.shape == (3, sigma.n)
    assert_invariant(M, sigma, atol=1e-12)
    assert np.linalg.matrix_rank(M) <= r
    assert model.n_parameters() == r * len(PermutationGroup([sigma]).orbits) + 3 * r
