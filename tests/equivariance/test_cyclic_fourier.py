"""equilin.equivariance.cyclic_fourier: Q_sigma and the block coordinates of a cyclic group by FFTs along
the cycles, against the dense Q_sigma, for any n (docs/math.md section 4)."""

from __future__ import annotations

import math
import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_components import permutation_of_type

from equilin.equivariance import EquivariantVariety
from equilin.geometry import realize
from equilin.groups import Permutation, image_shift, talk_rotation

from conftest import permutations


def rotation(t: float) -> np.ndarray:
    return np.array([[math.cos(t), -math.sin(t)], [math.sin(t), math.cos(t)]])


def block_diag(parts: list[np.ndarray]) -> np.ndarray:
    size = sum(p.shape[0] for p in parts)
    out = np.zeros((size, size))
    i = 0
    for p in parts:
        out[i:i + p.shape[0], i:i + p.shape[0]] = p
        i += p.shape[0]
    return out


def expected_block_form(E: EquivariantVariety) -> np.ndarray:
    """I_{d_1} (+) [I_{d_l} (x) rotation(2 pi m / l)] (+) -I_{d_2}, in block order."""
    parts = []
    for b in E.blocks:
        if (b.l, b.m) == (1, 1):
            parts.append(np.eye(b.size))
        elif (b.l, b.m) == (2, 1):
            parts.append(-np.eye(b.size))
        else:
            parts.append(np.kron(np.eye(b.size), rotation(2 * math.pi * b.m / b.l)))
    return block_diag(parts)


def test_talk_rotation_block_form() -> None:
    """sigma in S_9: I_3 (+) -I_2 (+) rot (x) I_2 (talk), here in block order (1,1), (4,3), (2,1)."""
    sigma = talk_rotation(3)
    E = EquivariantVariety(sigma, 3)
    assert sigma.cycle_string() == "(1 2 3 4)(5 6 7 8)"
    Q, P = E.Q(), sigma.matrix()
    B = Q.T @ P @ Q
    rot = rotation(2 * math.pi * 3 / 4)  # = [[0, 1], [-1, 0]]; the talk's [[0, -1], [1, 0]] flips sin
    np.testing.assert_allclose(B[:3, :3], np.eye(3), atol=1e-12)
    np.testing.assert_allclose(B[3:7, 3:7], np.kron(np.eye(2), rot), atol=1e-12)
    np.testing.assert_allclose(B[7:, 7:], -np.eye(2), atol=1e-12)
    talk_order = [0, 1, 2, 7, 8, 3, 4, 5, 6]
    np.testing.assert_allclose(B[np.ix_(talk_order, talk_order)],
                               block_diag([np.eye(3), -np.eye(2), rot, rot]), atol=1e-12)
    # the (2,1) block is spanned by the alternating vectors of the 4-cycles
    np.testing.assert_allclose(Q[:4, 7] * 2, [1, -1, 1, -1], atol=1e-12)


@given(permutations(max_n=12))
@settings(max_examples=40)
def test_Q_orthogonal_and_block_form(sigma: Permutation) -> None:
    E = EquivariantVariety(sigma, 1)
    Q = E.Q()
    np.testing.assert_allclose(Q.T @ Q, np.eye(sigma.n), atol=1e-12)
    np.testing.assert_allclose(Q.T @ sigma.matrix() @ Q, expected_block_form(E), atol=1e-12)


@given(permutations(max_n=12), st.integers(1, 4), st.integers(0, 2**32 - 1))
@settings(max_examples=40)
def test_to_blocks_agrees_with_Q_and_inverts(sigma: Permutation, N: int, seed: int) -> None:
    E = EquivariantVariety(sigma, 1)
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((N, sigma.n))
    blocks = E.to_blocks(X)
    Y = X @ E.Q()
    for b, a, offset in zip(E.blocks, blocks, np.cumsum([0] + [b.real_dim for b in E.blocks])):
        assert a.shape == (N, b.size)
        if b.kind == "real":
            assert not np.iscomplexobj(a)
            np.testing.assert_allclose(a, Y[:, offset:offset + b.size], atol=1e-12)
        else:
            assert np.iscomplexobj(a)
            np.testing.assert_allclose(a.real, Y[:, offset:offset + 2 * b.size:2], atol=1e-12)
            np.testing.assert_allclose(a.imag, Y[:, offset + 1:offset + 2 * b.size:2], atol=1e-12)
    np.testing.assert_allclose(E.from_blocks(blocks), X, atol=1e-12)
    np.testing.assert_allclose(E.to_coordinates(X), Y, atol=1e-12)
    np.testing.assert_allclose(E.from_coordinates(Y), X, atol=1e-12)
    single = E.to_blocks(X[0])
    assert all(s.shape == (b.size,) for s, b in zip(single, E.blocks))
    np.testing.assert_allclose(E.from_blocks(single), X[0], atol=1e-12)
    # isometry: ||x||^2 = sum y^2 + sum |w|^2
    np.testing.assert_allclose(sum(float(np.sum(np.abs(a) ** 2)) for a in blocks), float(np.sum(X ** 2)))


@given(permutations(max_n=10), st.integers(0, 2**32 - 1))
@settings(max_examples=30)
def test_commuting_matrix_acts_on_complex_coordinates_as_Z(sigma: Permutation, seed: int) -> None:
    """A commuting matrix with block R(Z) maps the block coordinates w to Z w (rows: W -> W Z^T)."""
    E = EquivariantVariety(sigma, 1)
    rng = np.random.default_rng(seed)
    blocks = [rng.standard_normal((b.size, b.size)) + (1j * rng.standard_normal((b.size, b.size))
              if b.kind == "complex" else 0) for b in E.blocks]
    M = E.matrix_from_blocks(blocks)
    np.testing.assert_allclose(M @ sigma.matrix(), sigma.matrix() @ M, atol=1e-12)
    X = rng.standard_normal((3, sigma.n))
    for before, after, Z in zip(E.to_blocks(X), E.to_blocks(X @ M.T), blocks):
        np.testing.assert_allclose(after, before @ Z.T, atol=1e-10)
    for a, Z in zip(E.matrix_to_blocks(M), blocks):
        np.testing.assert_allclose(a, Z, atol=1e-10)
    # in the Q basis the complex blocks are the realizations R(Z)
    D = E.Q().T @ M @ E.Q()
    for b, Z, offset in zip(E.blocks, blocks, np.cumsum([0] + [b.real_dim for b in E.blocks])):
        sub = D[offset:offset + b.real_dim, offset:offset + b.real_dim]
        np.testing.assert_allclose(sub, realize(Z) if b.kind == "complex" else Z, atol=1e-10)


def test_shifted_cycles_and_several_lengths(rng: np.random.Generator) -> None:
    """Non-contiguous cycles (gather path) and blocks fed by several cycle lengths."""
    sigma = permutation_of_type((12, 6, 4, 3, 2, 1, 1), rng)
    E = EquivariantVariety(sigma, 5)
    X = rng.standard_normal((5, sigma.n))
    np.testing.assert_allclose(E.to_coordinates(X), X @ E.Q(), atol=1e-12)
    np.testing.assert_allclose(E.from_blocks(E.to_blocks(X)), X, atol=1e-12)
    assert E.spectrum == {1: 7, 2: 4, 3: 3, 4: 2, 6: 2, 12: 1}


def test_dense_Q_refused_for_large_n() -> None:
    E = EquivariantVariety(image_shift(65, 65), 3)
    with pytest.raises(ValueError, match="to_blocks"):
        E.Q()


def _volume_shift_x(p: int) -> Permutation:
    """Cyclic shift by one voxel along the last axis of a ``p x p x p`` volume (row-major): the same
    permutation as the x-shift of a ``p^2 x p`` image."""
    return image_shift(p * p, p)


@pytest.mark.parametrize(("sigma", "r"), [(image_shift(64, 64), 200), (_volume_shift_x(32), 300)],
                         ids=["64x64-image", "32^3-volume"])
def test_large_n_geometry_and_transforms_without_n_by_n(sigma: Permutation, r: int,
                                                        rng: np.random.Generator) -> None:
    """n = 4,096 and n = 32,768: blocks, counts, a component's invariants and the block transforms
    allocate O(n max d_b) at most, never an n x n array (134 MB and 8.6 GB in float64)."""
    n = sigma.n
    X = rng.standard_normal((8, n))
    tracemalloc.start()
    E = EquivariantVariety(sigma, r)
    count = E.count_components()
    C = next(E.components())
    values = (C.dim, C.n_params, C.degree, C.ed_degree)
    coords = E.to_blocks(X)
    back = E.from_blocks(coords)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    largest = max(b.size for b in E.blocks)
    assert peak < max(8 * n * largest, 2**22) < n * n * 8 // 16
    assert largest == (64 if n == 4096 else 1024)
    assert count.total >= count.rank_r > 0 and all(v > 0 for v in values)
    np.testing.assert_allclose(back, X, atol=1e-12)
    assert sum(np.sum(np.abs(c) ** 2) for c in coords) == pytest.approx(np.sum(X**2))  # Q is orthogonal
    # x-shift of the volume (row-major) = rolling the last axis
    assert np.array_equal(_volume_shift_x(4).act(np.arange(64.0)),
                          np.roll(np.arange(64.0).reshape(4, 4, 4), 1, axis=2).ravel())
