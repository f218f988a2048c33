"""equilin.deep.polynomial: the neurovariety of polynomial networks, against the published dimensions
L (|G| - 1) + 1 of polynomial group-convolutional networks (Hendi, Persson, Larfors) and |k| - L + 1 of
polynomial convolutional networks (Shahverdi, Marchetti, Kohn), against the linear case, and the
networks' values against independent evaluations (torch Conv1d, by hand)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from equilin.deep import PRIME, DeepLinearNetwork, GSet, LinearLayer, neurovariety_dimension, polynomial_values
from equilin.deep.polynomial import _Float, _layer_bases, _Modular, _rank_mod_p, _value_jacobian
from equilin.groups import Permutation, PermutationGroup
from equilin.lcn import LCN


def regular(group: PermutationGroup) -> PermutationGroup:
    """The group acting on itself (its regular action as a permutation group)."""
    return PermutationGroup(list(GSet.regular(group).images))


GROUPS = {
    "Z2": PermutationGroup([Permutation.from_cycles("(1 2)", 2)]),
    "Z4": PermutationGroup([Permutation.from_cycles("(1 2 3 4)", 4)]),
    "Klein": PermutationGroup.from_cycles(["(1 2)(3 4)", "(1 3)(2 4)"], 4),
    "S3": regular(PermutationGroup.from_cycles(["(1 2 3)", "(1 2)"], 3)),
}


@pytest.mark.parametrize("name", list(GROUPS))
@pytest.mark.parametrize("layers, degree", [(2, 2), (2, 3), (3, 2)])
def test_group_convolutional_networks_have_dimension_L_times_order_minus_one_plus_one(name: str, layers: int,
                                                                                    degree: int) -> None:
    """G acting on itself, L group convolutions (regular -> regular, |G| weights each), x^k between
    them: both ranks equal L (|G| - 1) + 1 (the parameters minus the L - 1 rescalings)."""
    G = GROUPS[name]
    order = len(list(G.elements()))
    net = DeepLinearNetwork(G, [GSet.regular(G)] * (layers - 1))
    assert neurovariety_dimension(net, degree) == (layers * (order - 1) + 1,) * 2


def test_degree_one_is_the_linear_function_space() -> None:
    s = Permutation.from_cycles("(1 2 3 4)(5 6 7 8)", 9)
    for hidden in ([GSet.channels(s, 1), GSet.cosets(s, [s ** 2])], [GSet.cosets(s, [])]):
        net = DeepLinearNetwork(s, hidden)
        assert neurovariety_dimension(net, 1) == (net.function_space().dim,) * 2


def test_rank_mod_p_by_hand() -> None:
    A = np.array([[1, 2, 3], [2, 4, 6], [0, 1, 1]], dtype=np.int64)
    assert _rank_mod_p(A, 7) == 2 and _rank_mod_p(np.eye(3, dtype=np.int64), 7) == 3
    assert _rank_mod_p(np.array([[7, 14]], dtype=np.int64), 7) == 0


def test_bad_arguments() -> None:
    s = Permutation.from_cycles("(1 2 3)", 3)
    with pytest.raises(ValueError, match="LinearLayer"):
        neurovariety_dimension(DeepLinearNetwork(s, [LinearLayer({"r_{1,1}": 1})]), 2)
    with pytest.raises(ValueError, match="degree"):
        neurovariety_dimension(DeepLinearNetwork(s, [GSet.of(s)]), 0)
    with pytest.raises(ValueError, match="DeepLinearNetwork"):
        neurovariety_dimension("net", 2)                    # type: ignore[arg-type]


# -- polynomial convolutional networks (Shahverdi, Marchetti, Kohn) -----------------------------------
def lcn(filter_sizes: tuple[int, ...], strides: tuple[int, ...], outputs: int = 1) -> LCN:
    """The convolutional network with ``outputs`` output neurons (input size built backwards)."""
    return LCN.for_output(filter_sizes, strides, outputs)


CONVOLUTIONS = [  # (filter sizes, strides, output size): the table of docs/deep.md section 8
    ((2, 2), (1, 1), 1),
    ((3, 2), (1, 1), 1),
    ((3, 3), (1, 1), 3),
    ((2, 2), (2, 1), 1),              # stride = filter size: the Segre-Veronese picture
    ((2, 3), (2, 1), 1),
    ((2, 2), (3, 1), 1),              # stride above the filter size: inputs skipped
    ((3, 2), (2, 2), 3),
    ((2, 2, 2), (1, 1, 1), 1),
    ((3, 2, 2), (1, 2, 1), 1),
    ((2, 2, 2), (2, 2, 1), 1),
    ((1, 3, 2), (1, 1, 1), 1),        # a filter of size 1 (a scalar, absorbed by the rescalings)
    ((5, 4, 3), (1, 1, 1), 1),
    ((2, 2, 2, 2), (1, 1, 1, 1), 1),
    ((2, 3, 2, 2), (2, 1, 1, 1), 1),
    ((4,), (1,), 2),                  # L = 1: no activation at all
]


@pytest.mark.parametrize("filter_sizes, strides, outputs", CONVOLUTIONS)
@pytest.mark.parametrize("degree", [2, 3])
def test_convolutional_networks_have_dimension_sum_of_filter_sizes_minus_L_plus_one(
        filter_sizes: tuple[int, ...], strides: tuple[int, ...], outputs: int, degree: int) -> None:
    """One-channel convolutions (no padding, no bias), x^r between layers: both ranks equal
    |k| - L + 1 (Shahverdi, Marchetti, Kohn), the parameters minus the L - 1 rescalings."""
    net = lcn(filter_sizes, strides, outputs)
    assert neurovariety_dimension(net, degree) == (sum(filter_sizes) - len(filter_sizes) + 1,) * 2


@pytest.mark.parametrize("filter_sizes, strides, outputs", CONVOLUTIONS[::3])
def test_convolutional_degree_one_is_the_linear_function_space(filter_sizes: tuple[int, ...],
                                                               strides: tuple[int, ...], outputs: int) -> None:
    """r = 1 (outside the paper's hypothesis r > 1): the LCN's function space, of the same dimension."""
    net = lcn(filter_sizes, strides, outputs)
    assert neurovariety_dimension(net, 1) == (net.numerical_dim(),) * 2


def test_the_dimension_does_not_depend_on_the_seed_or_the_prime() -> None:
    net = lcn((3, 2, 2), (1, 2, 1), 2)
    for seed, prime in [(1, PRIME), (7, 65_521), (3, 1_000_003)]:
        assert neurovariety_dimension(net, 2, seed=seed, prime=prime) == (5, 5)


@pytest.mark.parametrize("filter_sizes, strides, outputs", [((2, 2), (1, 1), 3), ((3, 2), (2, 2), 2)])
def test_dimension_by_sympy_coefficients(filter_sizes: tuple[int, ...], strides: tuple[int, ...],
                                         outputs: int) -> None:
    """An independent count: the polynomial's coefficients in x as functions of the filters (sympy,
    symbolic), their Jacobian's rank at random rational filters."""
    sympy = pytest.importorskip("sympy")
    net = lcn(filter_sizes, strides, outputs)
    x = sympy.symbols(f"x0:{net.d0}")
    filters = [sympy.symbols(f"w{l}_0:{k}") for l, k in enumerate(filter_sizes)]
    h: list[Any] = list(x)
    for l, (w, s) in enumerate(zip(filters, strides)):
        h = [sum(w[j] * h[i * s + j] for j in range(len(w))) for i in range((len(h) - len(w)) // s + 1)]
        if l < len(filters) - 1:
            h = [hi ** 2 for hi in h]
    coefficients = [c for out in h for c in sympy.Poly(sympy.expand(out), *x).coeffs()]
    params = [v for w in filters for v in w]
    J = sympy.Matrix(coefficients).jacobian(params)
    rng = np.random.default_rng(5)
    point = {v: sympy.Rational(int(rng.integers(-9, 10)), int(rng.integers(1, 5))) for v in params}
    assert J.subs(point).rank() == neurovariety_dimension(net, 2)[1] == sum(filter_sizes) - len(filter_sizes) + 1


@pytest.mark.parametrize("filter_sizes, strides, outputs", [((2, 2), (1, 1), 3), ((3, 2), (2, 2), 2),
                                                            ((2, 3, 2), (2, 1, 1), 2), ((1, 3, 2), (1, 1, 1), 2),
                                                            ((2, 2, 2, 2), (1, 2, 1, 1), 2)])
@pytest.mark.parametrize("degree", [1, 2, 3])
def test_convolutional_values_agree_with_torch_conv1d(filter_sizes: tuple[int, ...], strides: tuple[int, ...],
                                                     outputs: int, degree: int, rng: np.random.Generator) -> None:
    """polynomial_values against a stack of torch.nn.Conv1d (one channel, no bias) with x^r between."""
    torch = pytest.importorskip("torch")
    net = lcn(filter_sizes, strides, outputs)
    theta, X = net.sample(rng), rng.standard_normal((5, net.d0))
    convs = net.module(theta, dtype=torch.float64)._convs()
    h = torch.from_numpy(X)[:, None, :]
    for l, conv in enumerate(convs):
        h = conv(h)
        if l < len(convs) - 1:
            h = h ** degree
    expected = h[:, 0, :].detach().numpy()
    np.testing.assert_allclose(polynomial_values(net, theta, X, degree), expected, rtol=1e-12, atol=1e-12)


def test_convolutional_values_by_hand(rng: np.random.Generator) -> None:
    """Two layers, stride 2 then 1: f(x)_i = sum_j v_j (sum_l w_l x_{2 (i + j) + l})^3."""
    net = lcn((3, 2), (2, 1), 3)
    w, v, X = rng.standard_normal(3), rng.standard_normal(2), rng.standard_normal((4, net.d0))
    expected = [[sum(v[j] * sum(w[l] * x[2 * (i + j) + l] for l in range(3)) ** 3 for j in range(2))
                 for i in range(3)] for x in X]
    np.testing.assert_allclose(polynomial_values(net, np.concatenate([w, v]), X, 3), expected, rtol=1e-12)


def test_group_convolutional_values_by_the_equivariant_bases(rng: np.random.Generator) -> None:
    s = Permutation.from_cycles("(1 2 3 4)", 4)
    net = DeepLinearNetwork(s, [GSet.regular(s), GSet.cosets(s, [s ** 2])])
    thetas = [rng.standard_normal(net.layer_params(l)) for l in range(1, 4)]
    W = [np.tensordot(t, net.equivariant_basis(l), axes=1) for l, t in enumerate(thetas, start=1)]
    X = rng.standard_normal((3, 4))
    expected = ((X @ W[0].T) ** 2 @ W[1].T) ** 2 @ W[2].T
    np.testing.assert_allclose(polynomial_values(net, np.concatenate(thetas), X, 2), expected, rtol=1e-12)


@pytest.mark.parametrize("filter_sizes, strides", [((2, 3), (2, 1)), ((2, 2, 2), (1, 2, 1))])
def test_jacobian_against_central_differences(filter_sizes: tuple[int, ...], strides: tuple[int, ...],
                                              rng: np.random.Generator) -> None:
    net = lcn(filter_sizes, strides, 2)
    bases = _layer_bases(net)
    theta, X = net.sample(rng), rng.standard_normal((3, net.d0))
    thetas = net.split(theta)
    J = _value_jacobian(_Float(), bases, thetas, X, 3)
    eps = 1e-6
    for p in range(net.n_params):
        step = np.zeros(net.n_params)
        step[p] = eps
        difference = (polynomial_values(net, theta + step, X, 3)
                      - polynomial_values(net, theta - step, X, 3)) / (2 * eps)
        np.testing.assert_allclose(J[:, p], difference.ravel(), rtol=1e-6, atol=1e-6)


def test_modular_jacobian_is_the_integer_jacobian_reduced() -> None:
    """At small integers the float64 Jacobian is exact; modulo p it is the modular one."""
    rng = np.random.default_rng(3)
    for net in (lcn((2, 3, 2), (2, 1, 1), 2), DeepLinearNetwork(Permutation.from_cycles("(1 2 3)", 3),
                                                                [GSet.regular(Permutation.from_cycles("(1 2 3)", 3))])):
        bases = _layer_bases(net)
        thetas = [rng.integers(-3, 4, size=B.shape[0]) for B in bases]
        X = rng.integers(-3, 4, size=(4, bases[0].shape[2]))
        exact = _value_jacobian(_Float(), bases, [t.astype(float) for t in thetas],
                                X.astype(float), 2)
        assert np.abs(exact).max() < 2**52
        for p in (PRIME, 65_521):
            modular = _value_jacobian(_Modular(p), bases, [t % p for t in thetas], X % p, 2)
            np.testing.assert_array_equal(modular, exact.astype(np.int64) % p)


def test_modular_products_of_large_residues_are_exact() -> None:
    rng = np.random.default_rng(11)
    A = rng.integers(PRIME - 1000, PRIME, size=(2, 3, 40), dtype=np.int64)
    B = rng.integers(PRIME - 1000, PRIME, size=(40, 5), dtype=np.int64)
    expected = (A.astype(object) @ B.astype(object)) % PRIME
    np.testing.assert_array_equal(_Modular(PRIME).matmul(A, B), expected.astype(np.int64))
    assert _Modular(7).power(np.array([3, 5], dtype=np.int64), 4).tolist() == [81 % 7, 625 % 7]


def test_bad_convolutional_arguments() -> None:
    net = lcn((2, 2), (1, 1))
    with pytest.raises(ValueError, match="DeepLinearNetwork or an LCN"):
        polynomial_values("net", [1.0], [[1.0]], 2)          # type: ignore[arg-type]
    with pytest.raises(ValueError, match="degree"):
        neurovariety_dimension(net, 0)
    with pytest.raises(ValueError, match="seed"):
        neurovariety_dimension(net, 2, seed=-1)
    for prime in (2, 100, 2**31 + 11):
        with pytest.raises(ValueError, match="prime"):
            neurovariety_dimension(net, 2, prime=prime)
    with pytest.raises(ValueError, match="theta must be a flat vector of the 4 parameters"):
        polynomial_values(net, np.ones(3), np.ones((1, 3)), 2)
    with pytest.raises(ValueError, match=r"X must have shape \(N, 3\)"):
        polynomial_values(net, np.ones(4), np.ones((1, 4)), 2)
    with pytest.raises(ValueError, match="theta"):
        polynomial_values(net, [1.0, np.nan, 1.0, 1.0], np.ones((1, 3)), 2)
    with pytest.raises(ValueError, match="degree"):
        polynomial_values(net, np.ones(4), np.ones((1, 3)), 1.5)  # type: ignore[arg-type]
