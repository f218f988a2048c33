"""Parameterizations of every family, data and training shared by the tests of equilin.critical."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from scipy.optimize import minimize

from equilin import EquivariantVariety, InvariantVariety, Permutation
from equilin.critical import Parameterization, classify
from equilin.deep import DeepLinearNetwork, GSet, LinearLayer
from equilin.lcn import LCN


@pytest.fixture(autouse=True)
def one_thread() -> Iterator[None]:
    """The problems are tiny: BLAS thread pools only cost time (and fight on a busy machine). Autouse in
    every test module that imports it."""
    threadpoolctl = pytest.importorskip("threadpoolctl")
    with threadpoolctl.threadpool_limits(limits=1):
        yield


def families() -> list[Parameterization]:
    sigma = Permutation.from_cycles("(1 2 3 4)(5 6 7 8)", 9)
    return [
        Parameterization.dense((5, 2, 4)),
        Parameterization.dense((4, 3, 2, 5)),
        Parameterization.invariant(InvariantVariety(Permutation.from_cycles("(1 3 4)(2 5)", 5), m=3, rank=2)),
        Parameterization.equivariant(EquivariantVariety(sigma, 3).component((1, 1, 0))),
        Parameterization.lcn(LCN(15, (3, 3), (2, 2))),
        Parameterization.lcn(LCN(6, (2, 2))),
        Parameterization.deep(DeepLinearNetwork(sigma, [GSet.of(sigma), GSet.cosets(sigma, [sigma ** 2])])),
        Parameterization.deep(DeepLinearNetwork(sigma, [LinearLayer({"r_{1,1}": 2, "r_{4,3}": 1}),
                                                        GSet.channels(sigma, 1)])),
    ]


def data(P: Parameterization, rng: np.random.Generator, N: int = 30) -> tuple[np.ndarray, np.ndarray]:
    m, n = P.shape
    return rng.standard_normal((N, n)), rng.standard_normal((N, m))


def train(P: Parameterization, X: np.ndarray, Y: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """L-BFGS from random parameters, restarted from the balanced point (at most 5 rounds) until the
    gradient is 100 times below the classification's tolerance: the tangential gradient is measured in
    function space, and ``||J^T g|| >= s_min(J) ||g_tangent||`` lets it exceed the parameter gradient by
    ``1 / s_min(J)`` (a point critical at ``tol = 1e-6`` with ``s_min = 0.03`` may read as spurious)."""
    theta = P.sample(rng)
    for _ in range(5):
        res = minimize(lambda z: P.loss(z, X, Y), theta, jac=True, method="L-BFGS-B",
                       options={"maxiter": 5000, "gtol": 1e-14, "ftol": 0.0})
        theta = P.balance(res.x)
        if classify(P, theta, X, Y, tol=1e-8).is_critical:
            break
    return theta
