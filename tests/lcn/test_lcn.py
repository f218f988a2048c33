"""Linear convolutional networks (equilin.lcn): layer maps, end-to-end filters and matrices, the
parameterization's Jacobian, the function space's dimension, and the Conv1d module."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from equilin.lcn import LCN, conv_matrix


@st.composite
def architectures(draw: st.DrawFn, max_layers: int = 3, stride_one: bool = False) -> LCN:
    """A valid architecture, built backwards from the output size."""
    n_layers = draw(st.integers(1, max_layers))
    ks = [draw(st.integers(1, 4)) for _ in range(n_layers)]
    ss = [1 if stride_one else draw(st.integers(1, 3)) for _ in range(n_layers)]
    d = draw(st.integers(1, 3))
    for k, s in zip(reversed(ks), reversed(ss)):
        d = (d - 1) * s + k
    return LCN(d, ks, ss)


def test_layer_map_matches_its_definition(rng: np.random.Generator) -> None:
    w, x = rng.standard_normal(3), rng.standard_normal(11)
    A = conv_matrix(w, 11, stride=2)
    expected = [sum(w[j] * x[i * 2 + j] for j in range(3)) for i in range(5)]
    assert A.shape == (5, 11)
    np.testing.assert_allclose(A @ x, expected, atol=1e-14)


@settings(max_examples=40)
@given(architectures(), st.integers(0, 2**32 - 1))
def test_end_to_end_filter_equals_composition_of_layer_matrices(net: LCN, seed: int) -> None:
    theta = net.sample(seed)
    product = np.eye(net.d0)
    for A in net.layer_matrices(theta):
        product = A @ product
    u = net.end_to_end_filter(theta)
    assert u.size == net.filter_size
    assert product.shape == (net.sizes[-1], net.d0)
    atol = 1e-12 * max(1.0, np.abs(product).max())
    np.testing.assert_allclose(net.end_to_end_matrix(theta), product, atol=atol)
    np.testing.assert_allclose(conv_matrix(u, net.d0, net.stride), product, atol=atol)


@settings(max_examples=30)
@given(architectures(stride_one=True), st.integers(0, 2**32 - 1))
def test_stride_one_composition_is_polynomial_multiplication(net: LCN, seed: int) -> None:
    theta = net.sample(seed)
    poly = np.polynomial.Polynomial([1.0])
    for w in net.split(theta):
        poly = poly * np.polynomial.Polynomial(w)
    expected = np.zeros(net.filter_size)
    expected[:poly.coef.size] = poly.coef
    np.testing.assert_allclose(net.end_to_end_filter(theta), expected, atol=1e-12)
    assert net.dim == net.filter_size  # stride one: the function space is full-dimensional


@settings(max_examples=30)
@given(architectures(), st.integers(0, 2**32 - 1))
def test_layer_basis_is_linear_in_the_filter(net: LCN, seed: int) -> None:
    """``sum_j w_j B[j]`` is the layer matrix of the filter ``w``, for every layer."""
    theta = net.sample(seed)
    for i, (w, A) in enumerate(zip(net.split(theta), net.layer_matrices(theta)), start=1):
        B = net.layer_basis(i)
        assert B.dtype == np.int64 and B.shape == (net.filter_sizes[i - 1], *A.shape)
        assert set(np.unique(B)) <= {0, 1}
        np.testing.assert_allclose(np.tensordot(w, B, axes=1), A, atol=1e-14)


def test_strided_filter_is_the_sparse_polynomial_product() -> None:
    """u(x) = w_1(x) w_2(x^{s_1}) w_3(x^{s_1 s_2})."""
    net = LCN(16, (2, 2, 3), (2, 3, 1))
    w1, w2, w3 = np.array([1.0, 2.0]), np.array([3.0, -1.0]), np.array([1.0, 0.5, 2.0])
    Poly = np.polynomial.Polynomial
    x = Poly([0.0, 1.0])
    expected = Poly(w1) * Poly(w2)(x ** 2) * Poly(w3)(x ** 6)
    u = net.end_to_end_filter(np.concatenate([w1, w2, w3]))
    assert net.filter_size == 2 + 1 * 2 + 2 * 6 == u.size
    np.testing.assert_allclose(u, expected.coef, atol=1e-12)


@settings(max_examples=25)
@given(architectures(), st.integers(0, 2**32 - 1))
def test_dimension_formula_matches_generic_jacobian_rank(net: LCN, seed: int) -> None:
    assert net.dim == sum(net.filter_sizes) - (net.n_layers - 1)
    assert net.numerical_dim(seed) == net.dim


def test_filter_jacobian_against_finite_differences(rng: np.random.Generator) -> None:
    net = LCN(15, (3, 3), (2, 2))
    theta = net.sample(rng)
    eps = 1e-6
    numeric = np.stack([(net.end_to_end_filter(theta + eps * e) - net.end_to_end_filter(theta - eps * e)) / (2 * eps)
                        for e in np.eye(net.n_params)], axis=1)
    np.testing.assert_allclose(net.filter_jacobian(theta), numeric, atol=1e-8)
    J = net.jacobian(theta)
    assert J.shape == (net.sizes[-1] * net.d0, net.n_params)
    assert np.linalg.matrix_rank(J) == net.jacobian_rank(theta) == net.dim == 5


def test_jacobian_rank_two_ways_autograd_and_finite_differences(rng: np.random.Generator) -> None:
    torch = pytest.importorskip("torch")
    for net in (LCN(15, (3, 3), (2, 2)), LCN(6, (2, 2)), LCN(16, (2, 2, 2), (2, 2, 2))):
        theta = net.sample(rng)
        module = net.module(theta, dtype=torch.float64)
        params = [layer.weight for layer in module.layers]

        def end_to_end(*weights: torch.Tensor, net: LCN = net) -> torch.Tensor:
            h = torch.eye(net.d0, dtype=torch.float64)[:, None, :]
            for w, s in zip(weights, net.strides):
                h = torch.nn.functional.conv1d(h, w, stride=s)
            return h[:, 0, :].T.reshape(-1)  # vec of the d_L x d_0 matrix, row-major

        autograd = torch.cat([j.reshape(j.shape[0], -1) for j in
                              torch.autograd.functional.jacobian(end_to_end, tuple(p.detach() for p in params))],
                             dim=1).numpy()
        eps = 1e-6
        numeric = np.stack([(net.end_to_end_matrix(theta + eps * e) - net.end_to_end_matrix(theta - eps * e)).ravel()
                            / (2 * eps) for e in np.eye(net.n_params)], axis=1)
        np.testing.assert_allclose(autograd, net.jacobian(theta), atol=1e-12)
        np.testing.assert_allclose(numeric, net.jacobian(theta), atol=1e-7)
        rank_auto = np.linalg.matrix_rank(autograd, tol=1e-6 * np.linalg.norm(autograd, 2))
        rank_fd = np.linalg.matrix_rank(numeric, tol=1e-6 * np.linalg.norm(numeric, 2))
        assert rank_auto == rank_fd == net.dim


def test_jacobian_rank_drops_where_stride_one_filters_share_a_root() -> None:
    net = LCN(6, (2, 2))
    assert net.jacobian_rank(np.array([1.0, 2.0, 3.0, 1.0])) == 3
    assert net.jacobian_rank(np.array([1.0, 2.0, 2.0, 4.0])) == 2  # w_2 = 2 w_1: common root -1/2


def test_filling_and_sample_count() -> None:
    assert LCN(7, (3, 3)).is_filling and not LCN(6, (2, 2)).is_filling
    assert LCN(7, (3, 2)).is_filling and not LCN(15, (3, 3), (2, 2)).is_filling
    net = LCN(15, (3, 3), (2, 2))
    assert net.sizes == (15, 7, 3) and net.sample_count() == 1 + 7 * 2 + 3 * 2


def test_module_is_a_conv1d_stack_without_bias(rng: np.random.Generator) -> None:
    torch = pytest.importorskip("torch")
    from equilin.lcn import LCNModule

    net = LCN(16, (2, 2, 2), (2, 2, 2))
    theta = net.sample(rng)
    module = net.module(theta, dtype=torch.float64)
    assert isinstance(module, LCNModule)
    assert all(isinstance(layer, torch.nn.Conv1d) and layer.bias is None for layer in module.layers)
    assert [layer.stride[0] for layer in module.layers] == [2, 2, 2]
    x = rng.standard_normal((5, 16))
    out = module(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(out, x @ net.end_to_end_matrix(theta).T, atol=1e-12)
    np.testing.assert_allclose(module.theta(), theta)
    np.testing.assert_allclose(module.function_matrix(), net.end_to_end_matrix(theta))
    with pytest.raises(ValueError, match="expected input of shape"):
        module(torch.zeros(2, 15, dtype=torch.float64))


@pytest.mark.parametrize(("args", "message"), [
    ((0, (2,)), "d0 must be an integer >= 1"),
    ((5, ()), "non-empty sequence"),
    ((5, (0,)), r"filter_sizes\[0\] must be an integer >= 1"),
    ((5, (2.0,)), "of type float"),
    ((5, (2, 2), (1,)), "one entry per layer"),
    ((7, (2,), (2,)), "layer 1: a filter of size 2 with stride 2 does not fit an input of size 7"),
    ((3, (2, 3)), "layer 2"),
    ((5, (2,), (0,)), r"strides\[0\] must be an integer >= 1"),
])
def test_invalid_architectures(args: tuple, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        LCN(*args)


def test_invalid_parameters() -> None:
    net = LCN(6, (2, 2))
    with pytest.raises(ValueError, match="flat vector of the 4 filter weights"):
        net.end_to_end_filter(np.zeros(3))
    with pytest.raises(ValueError, match="NaN"):
        net.end_to_end_filter(np.array([1.0, np.nan, 0.0, 1.0]))
    with pytest.raises(ValueError, match="end-to-end filter size 3"):
        net.filter_to_matrix(np.ones(4))
    with pytest.raises(ValueError, match="does not fit"):
        conv_matrix(np.ones(3), 2)
    with pytest.raises(ValueError, match="w must be a real numeric array, got dtype bool"):
        conv_matrix(np.ones(2, dtype=bool), 4)
    with pytest.raises(ValueError, match="w must be a non-empty 1-D array"):
        conv_matrix(np.ones((2, 2)), 4)
    with pytest.raises(ValueError, match="i must be a layer 1..2, got 3"):
        net.layer_basis(3)
    with pytest.raises(ValueError, match="i must be an integer >= 1"):
        net.layer_basis(0)


def test_values() -> None:
    assert LCN(6, (2, 2)) == LCN(6, [2, 2], [1, 1]) and len({LCN(6, (2, 2)), LCN(6, (2, 2), (1, 1))}) == 1
    assert repr(LCN(6, (2, 2))) == "LCN(d0=6, filter_sizes=(2, 2), strides=(1, 1))"


@given(architectures(), st.integers(1, 4))
def test_for_output_is_the_smallest_input_with_that_many_outputs(net: LCN, outputs: int) -> None:
    built = LCN.for_output(net.filter_sizes, net.strides, outputs)
    assert built.sizes[-1] == outputs and (built.filter_sizes, built.strides) == (net.filter_sizes, net.strides)
    for d0 in range(1, built.d0):                  # every smaller input: some layer does not fit, or fewer outputs
        try:
            assert LCN(d0, net.filter_sizes, net.strides).sizes[-1] < outputs
        except ValueError as exc:
            assert "does not fit" in str(exc)
