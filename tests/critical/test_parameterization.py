"""Parameterizations of every family (equilin.critical.parameterization): the dimension formula against
the generic Jacobian rank, the Jacobian two ways, gradients, Hessian-vector products and the fibre."""

from __future__ import annotations

import numpy as np
import pytest

from equilin.critical import Parameterization, squared_loss

from critical_cases import data, families, one_thread  # noqa: F401 (one_thread: autouse fixture)


@pytest.mark.parametrize("P", families(), ids=lambda P: P.description)
def test_dimension_formula_matches_generic_jacobian_rank(P: Parameterization) -> None:
    assert P.numerical_dim(0) == P.dim


@pytest.mark.parametrize("P", families(), ids=lambda P: P.description)
def test_jacobian_rank_two_ways_autograd_and_finite_differences(P: Parameterization, rng: np.random.Generator) -> None:
    torch = pytest.importorskip("torch")
    theta = P.sample(rng)
    sizes = [layer.n_params for layer in P.layers]

    def F(flat: torch.Tensor) -> torch.Tensor:
        out = None
        for layer, part in zip(P.layers, torch.split(flat, sizes)):
            if layer.basis is None:
                W = part.reshape(layer.rows, layer.cols)
            else:
                W = torch.tensordot(part, torch.from_numpy(layer.basis), dims=1)
            out = W if out is None else W @ out
        return out.reshape(-1)

    autograd = torch.autograd.functional.jacobian(F, torch.from_numpy(theta)).numpy()
    eps = 1e-6
    numeric = np.stack([(P.function(theta + eps * e) - P.function(theta - eps * e)).ravel() / (2 * eps)
                        for e in np.eye(P.n_params)], axis=1)
    np.testing.assert_allclose(autograd, P.jacobian(theta), atol=1e-10)
    np.testing.assert_allclose(numeric, P.jacobian(theta), atol=1e-6)
    rank = [np.linalg.matrix_rank(J, tol=1e-6 * np.linalg.norm(J, 2)) for J in (autograd, numeric)]
    assert rank[0] == rank[1] == P.jacobian_rank(theta) == P.dim


@pytest.mark.parametrize("P", families(), ids=lambda P: P.description)
def test_gradient_and_hessian_vector_products(P: Parameterization, rng: np.random.Generator) -> None:
    X, Y = data(P, rng)
    theta, v = P.sample(rng), P.sample(rng)
    eps = 1e-6
    value, grad = P.loss(theta, X, Y)
    assert value == pytest.approx(squared_loss(P.function(theta), X, Y)[0])
    numeric = np.array([(P.loss(theta + eps * e, X, Y)[0] - P.loss(theta - eps * e, X, Y)[0]) / (2 * eps)
                        for e in np.eye(P.n_params)])
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-6)
    hv = (P.loss(theta + eps * v, X, Y)[1] - P.loss(theta - eps * v, X, Y)[1]) / (2 * eps)
    np.testing.assert_allclose(P.hessian_vector(theta, v, X, Y), hv, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("P", families(), ids=lambda P: P.description)
def test_balance_stays_in_the_fibre(P: Parameterization, rng: np.random.Generator) -> None:
    theta = P.sample(rng)
    scaled = np.concatenate([part * c for part, c in zip(
        np.split(theta, np.cumsum([layer.n_params for layer in P.layers])[:-1]),
        [50.0] + [1.0] * (len(P.layers) - 2) + [0.02])])
    balanced = P.balance(scaled)
    np.testing.assert_allclose(P.function(balanced), P.function(theta), atol=1e-10)
    norms = [np.linalg.norm(p) for p in np.split(balanced, np.cumsum([layer.n_params for layer in P.layers])[:-1])]
    assert max(norms) == pytest.approx(min(norms))


def test_function_spaces_are_the_library_varieties(rng: np.random.Generator) -> None:
    for P in families():
        M = P.function(P.sample(rng))
        if P.kind != "lcn":
            assert P.space.contains(M)
    assert str(families()[0].space) == "M_{2, 4x5}(R)"


def test_invalid_parameterizations(rng: np.random.Generator) -> None:
    P = Parameterization.dense((3, 1, 2))
    with pytest.raises(ValueError, match="at least the input and output"):
        Parameterization.dense((3,))
    with pytest.raises(ValueError, match="expected an LCN"):
        Parameterization.lcn((6, (2, 2)))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="NaN"):
        P.function(np.array([0, 0, np.nan, 0, 0]))
    with pytest.raises(ValueError, match="theta must be a real numeric array, got dtype bool"):
        P.function(np.ones(5, dtype=bool))
    with pytest.raises(ValueError, match="Y contains NaN or infinite entries"):
        squared_loss(np.zeros((2, 3)), rng.standard_normal((4, 3)), np.full((4, 2), np.inf))
    with pytest.raises(ValueError, match="X must be a real numeric array, got dtype complex128"):
        P.loss(np.zeros(5), np.ones((4, 3), dtype=complex), np.zeros((4, 2)))
