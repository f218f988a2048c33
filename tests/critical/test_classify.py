"""The pure / spurious classification of Trager, Kohn, Bruna (ICLR 2020) (equilin.critical.classify):
Eckart-Young critical points of dense networks, trained invariant, equivariant, deep and LCN networks,
singular and boundary points, and the report."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from equilin import Permutation
from equilin.critical import OUTCOMES, Parameterization, classify, kept_singular_values
from equilin.deep import DeepLinearNetwork, GSet
from equilin.lcn import LCN
from equilin.models.closed_form import EquivariantAutoencoder

from critical_cases import data, families, one_thread, train  # noqa: F401 (one_thread: autouse fixture)


# -- the fully-connected 2-layer network: Eckart-Young ------------------------------------------------
def factor(keep: tuple[int, ...], X: np.ndarray, Y: np.ndarray, r: int) -> np.ndarray:
    """Parameters (encoder B, decoder A) of the critical point keeping the singular triples ``keep`` of
    ``U' = Y^T X S^{-1}``, padded with zero columns / rows up to the bottleneck ``r``."""
    evals, evecs = np.linalg.eigh(X.T @ X)
    S_inv = (evecs / np.sqrt(evals)) @ evecs.T
    u, s, vh = np.linalg.svd(Y.T @ X @ S_inv)
    A, B = np.zeros((Y.shape[1], r)), np.zeros((r, X.shape[1]))
    for j, i in enumerate(keep):
        A[:, j] = u[:, i] * np.sqrt(s[i])
        B[j] = np.sqrt(s[i]) * vh[i] @ S_inv
    return np.concatenate([B.ravel(), A.ravel()])


def test_eckart_young_optimum_is_pure_and_regular(rng: np.random.Generator) -> None:
    n, r, m = 5, 2, 4
    P = Parameterization.dense((n, r, m))
    X, Y = data(P, rng)
    theta = factor((0, 1), X, Y, r)
    report = classify(P, theta, X, Y)
    assert report.is_critical and report.is_regular and report.is_smooth and report.pure
    assert report.outcome == "pure regular" and report.kept == (0, 1)
    assert (report.jacobian_rank, report.dim) == (P.dim, 2 * (5 + 4 - 2))
    # the optimum is the one training reaches
    trained = train(P, X, Y, rng)
    assert classify(P, trained, X, Y).kept == (0, 1)
    np.testing.assert_allclose(P.function(trained), P.function(theta), atol=1e-6)


def test_fewer_singular_values_than_the_bottleneck_is_spurious(rng: np.random.Generator) -> None:
    n, r, m = 5, 2, 4
    P = Parameterization.dense((n, r, m))
    X, Y = data(P, rng)
    theta = factor((1,), X, Y, r)  # keeps one singular triple (the second), bottleneck 2
    report = classify(P, theta, X, Y)
    M = P.function(theta)
    assert report.is_critical and not report.is_regular and report.jacobian_rank < report.dim
    assert P.space.singular_locus is not None and P.space.singular_locus.contains(M)
    assert report.is_smooth is False and report.pure is False and report.outcome == "spurious"
    assert report.kept == (1,)


@settings(max_examples=15)
@given(st.integers(1, 4), st.integers(1, 4), st.integers(0, 2**32 - 1))
def test_every_choice_of_singular_values_is_critical_and_classified_by_its_size(m: int, n: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    r = min(m, n)
    r = max(1, r - 1) if r > 1 else r
    P = Parameterization.dense((n, r, m))
    X, Y = data(P, rng, N=n + 6)
    for size in range(r + 1):
        for keep in itertools.combinations(range(min(m, n)), size):
            report = classify(P, factor(keep, X, Y, r), X, Y)
            assert report.is_critical
            assert report.kept == keep
            if size == 0:
                assert report.outcome == "zero"
            elif size == r:
                assert report.outcome == "pure regular"
            else:
                assert report.outcome == "spurious" and not report.is_regular


def test_kept_singular_values_by_hand() -> None:
    X, Y = np.eye(3), np.diag([3.0, 2.0, 1.0])
    assert kept_singular_values(np.diag([0.0, 2.0, 0.0]), X, Y) == (1,)
    assert kept_singular_values(np.diag([1.0, 2.0, 0.0]), X, Y) is None  # not a critical point of any M_e
    assert kept_singular_values(np.diag([3.0, 0, 0]), np.ones((3, 3)), Y) is None  # X^T X singular


# -- other families ----------------------------------------------------------------------------------
def test_trained_invariant_and_equivariant_networks_are_pure(rng: np.random.Generator) -> None:
    for P in families()[2:4]:
        X, Y = data(P, rng)
        report = classify(P, train(P, X, Y, rng), X, Y)
        assert report.outcome == "pure regular", (P, report)
    inv = families()[2]
    X, Y = data(inv, rng)
    assert classify(inv, train(inv, X, Y, rng), X, Y).kept == (0, 1)


def test_equivariant_point_with_a_lost_block_is_singular(rng: np.random.Generator) -> None:
    P = families()[3]
    X, Y = data(P, rng)
    theta = train(P, X, Y, rng)
    component = P.space
    enc_params = int(component.weight_sharing().encoder_ids.max()) + 1
    degenerate = theta.copy()
    degenerate[:3] = 0.0  # the encoder of the real block r_{1,1} (its 3 entries come first)
    report = classify(P, degenerate, X, Y)
    assert component.variety.block_ranks(P.function(degenerate))["r_{1,1}"] == 0
    assert report.is_smooth is False and report.pure is False and not report.is_regular
    assert enc_params > 3


def test_lcn_with_strides_trains_to_pure_regular_points(rng: np.random.Generator) -> None:
    net = LCN(15, (3, 3), (2, 2))
    P = Parameterization.lcn(net)
    for _ in range(3):
        X, Y = data(P, rng, N=net.sample_count())
        assert classify(P, train(P, X, Y, rng), X, Y).outcome == "pure regular"


def test_stride_one_boundary_minimum_is_spurious(rng: np.random.Generator) -> None:
    """Filters (2, 2), stride one: the function space is the quadratics with real roots. Data whose
    least-squares filter has complex roots put the minimum on the boundary (a double root, w_1 ~ w_2)."""
    net = LCN(6, (2, 2))
    P = Parameterization.lcn(net)
    found = 0
    for _ in range(10):
        X, Y = data(P, rng, N=net.sample_count())
        report = classify(P, train(P, X, Y, rng), X, Y)
        assert report.outcome in ("pure regular", "spurious")
        if report.outcome == "spurious":
            found += 1
            assert not report.is_regular and report.is_smooth is False
            assert "boundary point" in report.notes[0]
    assert found > 0


def test_stride_one_non_regular_interior_points_are_recognized() -> None:
    """Non-regular points whose image is interior: realizable data make them global minima, so pure."""
    rng = np.random.default_rng(0)
    cases = [
        (LCN(7, (3, 3)), [1.0, 2.0, 1.0, 1.0, 2.0, 1.0]),  # filling; w_1 = w_2 = (1 + x)^2
        # sizes (2, 2, 3): u = (1 + x)^2 (2 + x)(3 + x); every factorization shares the root -1 between two
        # layers, yet the double root may split into a complex pair, which the quadratic filter takes
        (LCN(9, (2, 2, 3)), [1.0, 1.0, 2.0, 1.0, 3.0, 4.0, 1.0]),
    ]
    for net, theta in cases:
        P = Parameterization.lcn(net)
        assert P.jacobian_rank(np.array(theta), 1e-9) < P.dim
        X = rng.standard_normal((30, net.d0))
        Y = X @ P.function(np.array(theta)).T
        report = classify(P, np.array(theta), X, Y)
        assert report.outcome == "pure non-regular" and report.is_smooth, report


def test_zero_of_a_strided_lcn_is_singular() -> None:
    P = Parameterization.lcn(LCN(15, (3, 3), (2, 2)))
    X, Y = np.random.default_rng(1).standard_normal((21, 15)), np.random.default_rng(2).standard_normal((21, 3))
    report = classify(P, np.zeros(6), X, Y)
    assert report.is_critical and report.outcome == "zero" and report.is_smooth is False


def test_report_fields_and_outcomes(rng: np.random.Generator) -> None:
    P = Parameterization.dense((3, 1, 3))
    X, Y = data(P, rng)
    report = classify(P, P.sample(rng), X, Y)
    assert report.outcome == "not converged" and report.outcome in OUTCOMES
    d = report.to_dict()
    assert d["outcome"] == "not converged" and set(d) >= {"gradient_norm", "jacobian_rank", "dim", "pure", "kept"}


# -- validation ----------------------------------------------------------------------------------------
def test_invalid_inputs(rng: np.random.Generator) -> None:
    P = Parameterization.dense((3, 1, 2))
    X, Y = rng.standard_normal((5, 3)), rng.standard_normal((5, 2))
    with pytest.raises(ValueError, match="flat vector of 5 parameters"):
        classify(P, np.zeros(4), X, Y)
    with pytest.raises(ValueError, match=r"X must be an N x 3 array"):
        classify(P, np.zeros(5), X[:, :2], Y)
    with pytest.raises(ValueError, match="same positive number of rows"):
        classify(P, np.zeros(5), X, Y[:4])
    with pytest.raises(ValueError, match="tol must be a number in"):
        classify(P, np.zeros(5), X, Y, tol=0)
    with pytest.raises(ValueError, match="must be a Parameterization"):
        classify("dense", np.zeros(5), X, Y)  # type: ignore[arg-type]


@settings(max_examples=10)
@given(st.lists(st.tuples(st.integers(1, 4), st.integers(2, 3)), min_size=1, max_size=3), st.integers(0, 2**32 - 1))
def test_talk_theorem_strides_above_one_training_ends_zero_or_pure_regular(layers: list[tuple[int, int]],
                                                                          seed: int) -> None:
    """KMST 2024 (the talk's theorem): all strides > 1, N >= 1 + sum d_i s_i, generic data."""
    net = LCN.for_output([k for k, _ in layers], [s for _, s in layers])
    P = Parameterization.lcn(net)
    rng = np.random.default_rng(seed)
    X, Y = data(P, rng, N=max(net.sample_count(), net.d0))
    report = classify(P, train(P, X, Y, rng), X, Y)
    assert report.outcome in ("zero", "pure regular"), (net, report)


def test_deep_closed_form_optimum_is_a_pure_critical_point(rng: np.random.Generator) -> None:
    """The closed-form optimum of a deep equivariant network's function space (the autoencoder loss,
    Y = X), factored through its layers, is critical and pure; cutting a block below the bottleneck
    leaves the function space's smooth points: such a point, if critical, is spurious."""
    sigma = Permutation.from_cycles("(1 2 3 4)(5 6 7 8)", 9)
    net = DeepLinearNetwork(sigma, [GSet.channels(sigma, 1), GSet.cosets(sigma, [sigma ** 2])])
    P = Parameterization.deep(net)
    X = rng.standard_normal((40, 9)) @ rng.standard_normal((9, 9))
    M = EquivariantAutoencoder(sigma, tuple(net.function_space().ranks.values())).fit(X).predict(np.eye(9)).T
    bases = [net.equivariant_basis(l) for l in range(1, 4)]
    theta = np.concatenate([np.linalg.lstsq(B.reshape(B.shape[0], -1).T, W.ravel(), rcond=None)[0]
                            for B, W in zip(bases, net.factor(M))])
    assert np.abs(P.function(theta) - M).max() < 1e-9
    report = classify(P, theta, X, X)
    assert report.is_critical and report.pure and report.outcome in ("pure regular", "pure non-regular")
