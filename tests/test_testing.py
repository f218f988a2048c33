from __future__ import annotations

import numpy as np
import pytest

from equilin import InvariantVariety, Permutation
from equilin.testing import assert_equivariant, assert_invariant, equivariance_error, invariance_error


def test_invariant_models_pass_and_others_fail(rng: np.random.Generator) -> None:
    sigma = Permutation.from_cycles("(1 3 4)(2 5)", 5)
    X = InvariantVariety(sigma, 3, 2)
    M = X.nearest(rng.standard_normal((3, 5)))
    assert_invariant(M, sigma)
    assert_invariant(lambda batch: batch @ M.T, sigma)
    assert invariance_error(M, sigma) < 1e-12
    with pytest.raises(AssertionError, match="not invariant"):
        assert_invariant(rng.standard_normal((3, 5)), sigma)


def test_equivariant_models(rng: np.random.Generator) -> None:
    sigma = Permutation.from_cycles("(1 2 3)", 3)
    circulant = np.array([[1.0, 2.0, 3.0], [3.0, 1.0, 2.0], [2.0, 3.0, 1.0]])
    assert_equivariant(circulant, sigma)
    assert equivariance_error(circulant, sigma) < 1e-12
    with pytest.raises(AssertionError, match="not equivariant"):
        assert_equivariant(np.diag([1.0, 2.0, 3.0]), sigma)
    with pytest.raises(ValueError, match="maps R\\^n to R\\^n"):
        equivariance_error(np.ones((2, 3)), sigma)
    with pytest.raises(ValueError, match="n_samples"):
        invariance_error(circulant, sigma, n_samples=0)
