"""Equivariance under a cyclic group <sigma>: real Fourier blocks, components, geometry (docs/math.md s. 4)."""

from __future__ import annotations

import itertools
import json
import math
import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import permutations
from equilin.cli import main
from equilin.equivariance import Ranks
from equilin.geometry import determinantal_degree, realize, square_degree
from equilin.equivariance import (
    Block,
    ComponentCount,
    EquivariantComponent,
    EquivariantVariety,
    blocks_of,
    count_components,
    spectrum,
)
from equilin.groups import (
    Permutation,
    PermutationGroup,
    cycle_type_of_string,
    image_shift,
    talk_rotation,
    volume_rot90,
)

MNIST_RANK_R = 72_425_986_088_826
MNIST_TALK_RANKS = (13, 10, 9, 8, 7, 5, 3, 1, 0, 0, 0, 0, 0, 0, 0)


# -- helpers -----------------------------------------------------------------------------------
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


def brute_components(blocks: tuple[Block, ...], r: int) -> list[tuple[tuple[int, ...], int]]:
    """All maximal tuples (lexicographically decreasing) with their slack, by definition."""
    out = []
    for ranks in itertools.product(*[range(b.size, -1, -1) for b in blocks]):
        used = sum(b.weight * k for b, k in zip(blocks, ranks))
        if used > r:
            continue
        if any(k < b.size and used + b.weight <= r for b, k in zip(blocks, ranks)):
            continue
        out.append((ranks, r - used))
    return out


def commutant_dim_by_nullspace(P: np.ndarray) -> int:
    n = P.shape[0]
    K = np.kron(np.eye(n), P) - np.kron(P.T, np.eye(n))  # vec(P M - M P), column-major vec
    return n * n - int(np.linalg.matrix_rank(K))


def partitions(n: int, largest: int | None = None):
    largest = n if largest is None else largest
    if n == 0:
        yield ()
        return
    for first in range(min(n, largest), 0, -1):
        for rest in partitions(n - first, first):
            yield (first,) + rest


def permutation_of_type(parts: tuple[int, ...], rng: np.random.Generator) -> Permutation:
    labels = rng.permutation(sum(parts))
    images = np.empty(sum(parts), dtype=np.int64)
    start = 0
    for length in parts:
        cycle = labels[start:start + length]
        images[cycle] = np.roll(cycle, -1)
        start += length
    return Permutation(images)


def param_vector(C: EquivariantComponent, lefts: list[np.ndarray], rights: list[np.ndarray]) -> np.ndarray:
    """Weights of C.weight_sharing() for block factors Z_b = L_b R_b^H (encoder R^H, decoder L)."""
    params = []
    for b, R in zip(C.blocks, rights):  # encoder: r_b x d_b per block, row-major
        E = R.conj().T
        params.extend(E.ravel() if b.kind == "real" else np.column_stack([E.real.ravel(), E.imag.ravel()]).ravel())
    for b, L in zip(C.blocks, lefts):  # decoder: d x k per block
        params.extend(L.ravel() if b.kind == "real" else np.column_stack([L.real.ravel(), L.imag.ravel()]).ravel())
    return np.array(params, dtype=np.float64)


def svd_factors(C: EquivariantComponent, blocks: list[np.ndarray]) -> tuple[list[np.ndarray], list[np.ndarray]]:
    lefts, rights = [], []
    for k, a in zip(C.ranks, blocks):
        u, s, vh = np.linalg.svd(a)
        root = np.sqrt(s[:k])
        lefts.append(u[:, :k] * root)
        rights.append(vh[:k].conj().T * root)
    return lefts, rights


def tangent_vectors(C: EquivariantComponent, params: np.ndarray, Q: np.ndarray, rng: np.random.Generator,
                    count: int) -> list[np.ndarray]:
    """Directional derivatives of theta -> Q D(theta) E(theta) Q^T at params, in original coordinates."""
    W = C.weight_sharing()
    D, E = W.fill(params)
    out = []
    for _ in range(count):
        dD, dE = W.fill(rng.standard_normal(params.size))
        out.append(Q @ (dD @ E + D @ dE) @ Q.T)
    return out


# -- blocks and spectrum -------------------------------------------------------------------------
def test_talk_block_order_for_a_28_cycle() -> None:
    labels = [b.label for b in blocks_of({28: 28})]
    assert labels == ["r_{1,1}", "r_{28,27}", "r_{14,13}", "r_{28,25}", "r_{7,6}", "r_{28,23}", "r_{14,11}",
                      "r_{4,3}", "r_{7,5}", "r_{28,19}", "r_{14,9}", "r_{28,17}", "r_{7,4}", "r_{28,15}",
                      "r_{2,1}"]
    assert [b.frequency(28) for b in blocks_of({28: 28})] == list(range(15))
    assert all(b.size == 28 for b in blocks_of({28: 28}))


def test_spectrum_from_cycle_type_alone() -> None:
    assert spectrum({1: 1, 4: 2}) == {1: 3, 2: 2, 4: 2}
    assert spectrum({6: 1, 4: 1}) == {1: 2, 2: 2, 3: 1, 4: 1, 6: 1}
    huge = cycle_type_of_string("(1 2)(3 4 5 6)", 10**12)
    assert spectrum(huge) == {1: 10**12 - 4, 2: 2, 4: 1}
    assert [b.label for b in blocks_of(huge)] == ["r_{1,1}", "r_{4,3}", "r_{2,1}"]
    assert blocks_of({3: 1}) == (Block.cyclic(1, 1, 1), Block.cyclic(3, 2, 1))  # no (2,1)
    with pytest.raises(ValueError, match="empty"):
        spectrum({})
    with pytest.raises(ValueError, match="cycle length"):
        spectrum({0: 3})


@given(permutations(max_n=12))
@settings(max_examples=40)
def test_spectrum_counts_eigenvalues(sigma: Permutation) -> None:
    """d_l is the multiplicity of every primitive l-th root of unity in P_sigma; sizes add up to n."""
    E = EquivariantVariety(sigma, 1)
    assert sum(b.weight * b.size for b in E.blocks) == sigma.n
    eig = np.linalg.eigvals(sigma.matrix())
    for l, d in E.spectrum.items():
        root = np.exp(2j * np.pi / l)
        assert int(np.sum(np.abs(eig - root) < 1e-6)) == d


# -- the basis Q and the fast transforms ---------------------------------------------------------
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


@given(permutations(max_n=10), st.integers(0, 2**32 - 1))
@settings(max_examples=30)
def test_project_onto_commutant(sigma: Permutation, seed: int) -> None:
    E = EquivariantVariety(sigma, 1)
    rng = np.random.default_rng(seed)
    U, V = rng.standard_normal((2, sigma.n, sigma.n))
    P = sigma.matrix()
    M = E.project(U)
    scale = np.linalg.norm(U)
    assert np.linalg.norm(M @ P - P @ M) <= 1e-12 * scale
    np.testing.assert_allclose(E.project(M), M, atol=1e-12 * scale)
    np.testing.assert_allclose(np.sum(E.project(U) * V), np.sum(U * E.project(V)), atol=1e-10)  # self-adjoint
    # the same as averaging over the group
    order = sigma.order
    average = sum(np.linalg.matrix_power(P, k) @ U @ np.linalg.matrix_power(P, k).T for k in range(order)) / order
    np.testing.assert_allclose(M, average, atol=1e-12 * scale)
    assert E.is_equivariant(M) and (sigma.n == 1 or not E.is_equivariant(U) or np.allclose(U, M))
    np.testing.assert_allclose(E.matrix_from_blocks(E.matrix_to_blocks(U)), M, atol=1e-12 * scale)


def test_dense_Q_refused_for_large_n() -> None:
    E = EquivariantVariety(image_shift(65, 65), 3)
    with pytest.raises(ValueError, match="to_blocks"):
        E.Q()


# -- components ------------------------------------------------------------------------------------
def test_all_permutations_up_to_7_commutant_dimension() -> None:
    """For every sigma with n <= 7: dim of the commutant = nullity of M -> MP - PM."""
    for n in range(1, 8):
        for images in itertools.permutations(range(n)):
            sigma = Permutation(list(images))
            E = EquivariantVariety(sigma, n)
            expected = commutant_dim_by_nullspace(sigma.matrix())
            assert E.commutant_dim == expected
            assert E.dim == expected  # r = n: one component, the whole commutant


@pytest.mark.parametrize("parts", [p for n in range(1, 8) for p in partitions(n)])
def test_components_every_cycle_type_up_to_7(parts: tuple[int, ...], rng: np.random.Generator) -> None:
    sigma = permutation_of_type(parts, rng)
    n = sigma.n
    for r in range(0, n + 3):
        E = EquivariantVariety(sigma, r)
        comps = list(E.components())
        brute = brute_components(E.blocks, r)
        assert [c.ranks for c in comps] == [ranks for ranks, _ in brute]
        count = E.count_components()
        assert count == ComponentCount(len(brute), sum(1 for _, s in brute if s == 0))
        assert count == count_components(sigma.cycle_type, r)
        full = tuple(b.size for b in E.blocks)
        assert [c.kind for c in comps] == ["rank r" if s == 0 else "whole commutant" if ranks == full
                                           else "rank r-1" for ranks, s in brute]
        assert E.dim == max(c.dim for c in comps)
        assert E.degree == sum(c.degree for c in comps if c.dim == E.dim)
        assert E.ed_degree == sum(c.ed_degree for c in comps)
        samples = [c.sample(rng) for c in comps]
        for c, M in zip(comps, samples):
            assert E.is_equivariant(M, 1e-10)
            assert np.linalg.matrix_rank(M, tol=1e-8 * max(1.0, np.abs(M).max())) == c.max_rank
            assert c.contains(M) and E.contains(M)
            assert E.block_ranks(M) == c.labelled_ranks
        if n <= 6:  # no component lies in another: a generic point of one is not in any other
            for (a, M), b in itertools.product(zip(comps, samples), comps):
                assert (a == b) == b.contains(M)


@given(st.dictionaries(st.integers(1, 12), st.integers(0, 5), min_size=1, max_size=4), st.integers(0, 30))
@settings(max_examples=60)
def test_count_equals_brute_force(cycle_type: dict[int, int], r: int) -> None:
    if not any(cycle_type.values()):
        cycle_type = {1: 1}
    blocks = blocks_of(cycle_type)
    if math.prod(b.size + 1 for b in blocks) > 50_000:
        return
    brute = brute_components(blocks, r)
    assert count_components(cycle_type, r) == (len(brute), sum(1 for _, s in brute if s == 0))
    assert count_components(blocks, r) == count_components(cycle_type, r)


def test_count_dp_with_many_equal_blocks() -> None:
    """The series branch (more equal blocks than the budget) against the window-sum branch."""
    blocks = blocks_of({13: 2})  # 6 complex blocks of size 2, more than r // 2 for r < 12
    for r in range(0, 16):
        brute = brute_components(blocks, r)
        assert count_components(blocks, r) == (len(brute), sum(1 for _, s in brute if s == 0))
    # an independent closed form: 1 cycle of prime length p: (1,1) of size 1 and (p-1)/2 blocks of size 1
    p, r = 101, 20
    half = (p - 1) // 2
    assert count_components({p: 1}, r).rank_r == math.comb(half, r // 2)
    assert count_components({p: 1}, r + 1).rank_r == math.comb(half, r // 2)


def test_count_for_mnist_and_huge_n() -> None:
    count = count_components({28: 28}, 99)
    assert count.rank_r == MNIST_RANK_R
    assert count.total == MNIST_RANK_R + count_components(blocks_of({28: 28})[1:-1], 99 - 1 - 56).rank_r
    sigma = image_shift(28, 28)
    assert sigma.cycle_type == {28: 28}
    assert EquivariantVariety(sigma, 99).count_components() == count
    huge = cycle_type_of_string("(1 2)", 10**12)
    assert count_components(huge, 3) == (2, 2)  # (r_11, r_21) = (3, 0), (2, 1)
    assert count_components(huge, 10**12) == (1, 1)
    assert count_components(huge, 10**12 + 5) == (1, 0)
    assert count_components(cycle_type_of_string("(1 2 3)", 10**12), 2) == (2, 2)  # (2, 0), (0, 1)


def test_talk_rotation_component() -> None:
    """The talk's component r_{1,1}=1, r_{2,1}=0, r_{4,3}=1 of E_{3, 9x9}."""
    E = EquivariantVariety(talk_rotation(3), 3)
    C = E.component({"r_{1,1}": 1, "r_{2,1}": 0, "r_{4,3}": 1})
    assert C == E.component((1, 1, 0)) == E.component({(1, 1): 1, (4, 3): 1})
    assert C.label() == "r_{1,1}=1 r_{4,3}=1 r_{2,1}=0"
    assert C.ranks == (1, 1, 0) and C.max_rank == 3 and C.kind == "rank r"
    assert str(C.factors) == "M_{1, 3x3}(R) x R(M_{1, 2x2}(C)) x M_{0, 2x2}(R)"
    assert (C.dim, C.degree, C.ed_degree) == (11, 24, 6)
    assert (C.factors.dim, C.factors.degree, C.factors.ed_degree) == (11, 24, 6)
    assert C.n_params == 2 * 3 * 1 + 4 * 2 * 1 == 14
    assert str(C.singular_locus) == ("M_{0, 3x3}(R) x R(M_{1, 2x2}(C)) x M_{0, 2x2}(R)  union  "
                                     "M_{1, 3x3}(R) x R(M_{0, 2x2}(C)) x M_{0, 2x2}(R)")
    assert repr(C).endswith(".component(Ranks('r_{1,1}=1 r_{4,3}=1 r_{2,1}=0'))")
    assert eval(repr(C), {"EquivariantVariety": EquivariantVariety, "Permutation": Permutation, "Ranks": Ranks}) == C
    assert C in set(E.components())
    W = C.weight_sharing()
    assert W.encoder_ids.shape == (3, 9) and W.decoder_ids.shape == (9, 3)
    assert W.encoder_ids.tolist() == [[0, 1, 2, -1, -1, -1, -1, -1, -1],
                                      [-1, -1, -1, 3, 4, 5, 6, -1, -1],
                                      [-1, -1, -1, 4, 3, 6, 5, -1, -1]]
    assert W.encoder_signs.tolist() == [[1, 1, 1, 0, 0, 0, 0, 0, 0],
                                        [0, 0, 0, 1, -1, 1, -1, 0, 0],
                                        [0, 0, 0, 1, 1, 1, 1, 0, 0]]
    assert W.decoder_ids.T.tolist() == [[7, 8, 9, -1, -1, -1, -1, -1, -1],
                                        [-1, -1, -1, 10, 11, 12, 13, -1, -1],
                                        [-1, -1, -1, 11, 10, 13, 12, -1, -1]]
    assert W.decoder_signs.T.tolist() == [[1, 1, 1, 0, 0, 0, 0, 0, 0],
                                          [0, 0, 0, 1, 1, 1, 1, 0, 0],
                                          [0, 0, 0, -1, 1, -1, 1, 0, 0]]
    assert W.n_params == C.n_params
    # the other components of E_{3, 9x9}
    assert [c.label() for c in E.components()] == [
        "r_{1,1}=3 r_{4,3}=0 r_{2,1}=0", "r_{1,1}=2 r_{4,3}=0 r_{2,1}=1", "r_{1,1}=1 r_{4,3}=1 r_{2,1}=0",
        "r_{1,1}=1 r_{4,3}=0 r_{2,1}=2", "r_{1,1}=0 r_{4,3}=1 r_{2,1}=1"]
    assert (E.dim, E.degree, E.ed_degree) == (11, 24 + 6, 1 + 6 + 6 + 3 + 4)


def test_weight_sharing_parameterizes_the_component(rng: np.random.Generator) -> None:
    """Filling the templates with random weights gives generic points; the Jacobian rank is dim."""
    for sigma, r in [(talk_rotation(3), 3), (Permutation.from_cycles("(1 2 3 4 5 6)(7 8 9)", 10), 6),
                     (Permutation.from_cycles("(1 2 3 4 5)(6 7)", 8), 5)]:
        E = EquivariantVariety(sigma, r)
        Q = E.Q()
        for C in E.components():
            W = C.weight_sharing()
            assert W.n_params == C.n_params
            assert len(set(W.encoder_ids[W.encoder_ids >= 0].tolist())
                       | set(W.decoder_ids[W.decoder_ids >= 0].tolist())) == C.n_params
            params = rng.standard_normal(C.n_params)
            D, Enc = W.fill(params)
            M = Q @ D @ Enc @ Q.T
            assert C.contains(M)
            assert np.linalg.matrix_rank(M) == C.max_rank
            J = np.column_stack([t.ravel() for t in tangent_vectors(C, params, Q, rng, C.n_params)])
            # Jacobian rank = dimension (MATH: real dim 2 s (2d - s) on a complex block)
            jac = np.column_stack([
                (Q @ (W.fill(np.eye(C.n_params)[i])[0] @ Enc + D @ W.fill(np.eye(C.n_params)[i])[1]) @ Q.T).ravel()
                for i in range(C.n_params)]) if C.n_params else np.zeros((sigma.n ** 2, 0))
            assert np.linalg.matrix_rank(jac, tol=1e-8) == C.dim
            assert np.linalg.matrix_rank(J, tol=1e-8) == C.dim


def test_component_validation() -> None:
    E = EquivariantVariety(talk_rotation(3), 3)
    with pytest.raises(ValueError, match="one entry per block"):
        E.component((1, 1))
    with pytest.raises(ValueError, match=r"r_\{4,3\}=3 exceeds the block size"):
        E.component((0, 3, 0))
    with pytest.raises(ValueError, match="weighted rank 5 .* exceeds rank=3"):
        E.component((1, 2, 0))
    with pytest.raises(ValueError, match=r"not maximal: r_\{1,1\} can be raised to 1"):
        E.component((0, 1, 0))
    with pytest.raises(ValueError, match=r"unknown block 'r_\{3,2\}'"):
        E.component({"r_{3,2}": 1})
    with pytest.raises(ValueError, match="rank r_"):
        E.component((1.5, 1, 0))
    with pytest.raises(ValueError, match="not maximal"):
        EquivariantComponent(E, (0, 1, 0))
    assert EquivariantComponent(E, {"r_{1,1}": 1, "r_{4,3}": 1}) == E.component((1, 1, 0))
    with pytest.raises(ValueError, match="order must be 'lex'"):
        next(E.components(order="dim"))
    S3 = EquivariantVariety(PermutationGroup.from_cycles(["(1 2)", "(2 3)"], 3), 1)  # non-cyclic:
    assert S3.method == "generic" and S3.sigma is None                              # the generic path
    with pytest.raises(ValueError, match="method='fourier' needs a cyclic group"):
        EquivariantVariety(PermutationGroup.from_cycles(["(1 2)", "(2 3)"], 3), 1, method="fourier")
    assert EquivariantVariety(PermutationGroup.from_cycles(["(1 2)"], 3), 1).sigma == \
        Permutation.from_cycles("(1 2)", 3)
    with pytest.raises(ValueError, match="rank must be"):
        EquivariantVariety(talk_rotation(3), -1)
    with pytest.raises(ValueError, match="n = 0"):
        EquivariantVariety(Permutation.identity(0), 1)


def test_input_validation() -> None:
    E = EquivariantVariety(talk_rotation(3), 3)
    with pytest.raises(ValueError, match=r"N x 9 batch"):
        E.to_blocks(np.zeros((2, 8)))
    with pytest.raises(ValueError, match="real numeric"):
        E.to_blocks(np.zeros((2, 9), dtype=complex))
    for bad in (np.nan, np.inf, -np.inf):
        X = np.ones((3, 9))
        X[2, 4] = bad
        with pytest.raises(ValueError, match="X contains NaN or infinite"):
            E.to_blocks(X)
    with pytest.raises(ValueError, match="NaN or infinite"):
        E.project(np.full((9, 9), np.inf))
    with pytest.raises(ValueError, match="9 x 9 matrix"):
        E.project(np.zeros((9, 8)))
    with pytest.raises(ValueError, match="one array per block"):
        E.from_blocks([np.zeros(3)])
    with pytest.raises(ValueError, match=r"block r_\{1,1\}, real\) must be real"):
        E.from_blocks([np.zeros(3, dtype=complex), np.zeros(2, dtype=complex), np.zeros(2)])
    with pytest.raises(ValueError, match=r"block r_\{4,3\}\) must have shape \(2, 2\)"):
        E.matrix_from_blocks([np.zeros((3, 3)), np.zeros((3, 3)), np.zeros((2, 2))])
    good = E.to_blocks(np.ones((2, 9)))
    for i, bad in [(0, np.nan), (1, complex(0, np.inf)), (1, np.inf), (2, -np.inf)]:
        spoiled = [a.copy() for a in good]
        spoiled[i][1, -1] = bad
        with pytest.raises(ValueError, match="blocks contains NaN or infinite"):
            E.from_blocks(spoiled)
    assert E.to_blocks(np.ones((0, 9)))[0].shape == (0, 3)
    E.to_blocks(np.full((2, 9), 1e308))  # finite entries whose sums overflow are accepted


# -- nearest points ----------------------------------------------------------------------------------
@given(permutations(max_n=8), st.integers(0, 8), st.integers(0, 2**32 - 1))
@settings(max_examples=30)
def test_component_nearest_is_critical(sigma: Permutation, r: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    E = EquivariantVariety(sigma, r)
    U = rng.standard_normal((sigma.n, sigma.n))
    Q = E.Q()
    for C in itertools.islice(E.components(), 6):
        M = C.nearest(U)
        assert C.contains(M)
        # block coordinates: every factor sees a critical point (complex factors as complex matrices)
        blocks_U, blocks_M = E.matrix_to_blocks(U), E.matrix_to_blocks(M)
        for f, a, m in zip(C.factors.factors, blocks_U, blocks_M):
            assert f.is_critical_point(a, m)
        # original coordinates: the residual is orthogonal to the tangent space
        lefts, rights = svd_factors(C, blocks_M)
        params = param_vector(C, lefts, rights)
        D, Enc = C.weight_sharing().fill(params)
        np.testing.assert_allclose(Q @ D @ Enc @ Q.T, M, atol=1e-10)
        residual = U - M
        for T in tangent_vectors(C, params, Q, rng, 5):
            assert abs(np.sum(residual * T)) <= 1e-9 * max(1.0, np.linalg.norm(T))
        # it is the best point among the critical points of the component
        assert np.linalg.norm(residual) <= np.linalg.norm(U - C.sample(rng)) + 1e-12


def test_component_nearest_finite_differences(rng: np.random.Generator) -> None:
    """Small case, original coordinates: the gradient of ||U - M(theta)||^2 vanishes at the nearest
    point and a random perturbation of the weights never gets closer."""
    E = EquivariantVariety(talk_rotation(3), 3)
    C = E.component((1, 1, 0))
    Q = E.Q()
    U = rng.standard_normal((9, 9))
    M = C.nearest(U)
    lefts, rights = svd_factors(C, E.matrix_to_blocks(M))
    theta = param_vector(C, lefts, rights)
    W = C.weight_sharing()

    def loss(t: np.ndarray) -> float:
        D, Enc = W.fill(t)
        return float(np.sum((U - Q @ D @ Enc @ Q.T) ** 2))

    h = 1e-6
    grad = np.array([(loss(theta + h * e) - loss(theta - h * e)) / (2 * h) for e in np.eye(theta.size)])
    assert np.abs(grad).max() < 1e-6
    base = loss(theta)
    assert base == pytest.approx(float(np.sum((U - M) ** 2)))
    assert all(loss(theta + 1e-3 * rng.standard_normal(theta.size)) >= base - 1e-12 for _ in range(50))


def test_ed_degree_counts_critical_points(rng: np.random.Generator) -> None:
    """The ED degree of a component is its number of critical points for generic U (products of
    per-block truncated SVDs), each of them a critical point in original coordinates."""
    E = EquivariantVariety(Permutation.from_cycles("(1 2 3 4)(5 6 7 8)(9 10 11 12)", 14), 6)
    Q = E.Q()
    U = rng.standard_normal((14, 14))
    blocks_U = E.matrix_to_blocks(U)
    for C in E.components():
        per_block = [f.critical_points(a) for f, a in zip(C.factors.factors, blocks_U)]
        points = [E.matrix_from_blocks([m for _, m in choice]) for choice in itertools.product(*per_block)]
        assert len(points) == C.ed_degree
        distinct = {tuple(np.round(p, 8).ravel()) for p in points}
        assert len(distinct) == C.ed_degree
        for M in points[:8]:
            lefts, rights = svd_factors(C, E.matrix_to_blocks(M))
            params = param_vector(C, lefts, rights)
            for T in tangent_vectors(C, params, Q, rng, 3):
                assert abs(np.sum((U - M) * T)) <= 1e-9 * max(1.0, np.linalg.norm(T))
        best = min(points, key=lambda p: np.linalg.norm(U - p))
        np.testing.assert_allclose(C.nearest(U), best, atol=1e-10)


@given(permutations(max_n=9), st.integers(0, 10), st.integers(0, 2**32 - 1))
@settings(max_examples=40)
def test_nearest_over_E_r_beats_every_component(sigma: Permutation, r: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    E = EquivariantVariety(sigma, r)
    U = rng.standard_normal((sigma.n, sigma.n))
    M = E.nearest(U)
    assert E.contains(M)
    best = E.nearest_component(U)
    assert best.contains(M)
    assert E.nearest_ranks(U) == best.labelled_ranks
    distance = np.linalg.norm(U - M)
    by_component = [np.linalg.norm(U - C.nearest(U)) for C in E.components()]
    assert distance <= min(by_component) + 1e-9
    assert distance == pytest.approx(min(by_component), abs=1e-9)
    np.testing.assert_allclose(M, best.nearest(U), atol=1e-9)


def test_nearest_knapsack_uses_complex_weight() -> None:
    """A complex block of singular value s gains 2 s^2 for 2 units of budget."""
    E = EquivariantVariety(Permutation.from_cycles("(1 2 3)", 3), 2)
    # real block value 1.0 (gain 1), complex block singular value 0.8 (gain 2 * 0.64 = 1.28)
    M = E.matrix_from_blocks([np.array([[1.0]]), np.array([[0.8 + 0j]])])
    assert E.nearest_ranks(M) == {"r_{1,1}": 0, "r_{3,2}": 1}
    M = E.matrix_from_blocks([np.array([[1.0]]), np.array([[0.7 + 0j]])])  # gain 0.98 < 1
    assert E.nearest_ranks(M) == {"r_{1,1}": 1, "r_{3,2}": 0}
    assert E.nearest_component(M).kind == "rank r-1"


# -- geometry numbers ------------------------------------------------------------------------------
def test_square_degree_matches_determinantal_degree() -> None:
    for d in range(1, 13):
        for k in range(0, d + 1):
            assert square_degree(d, k) == determinantal_degree(d, d, k)
    square_degree.cache_clear()
    for d, k in [(65, 1), (65, 2), (66, 7), (70, 64), (80, 40)]:
        assert square_degree(d, k) == determinantal_degree(d, d, k)
    assert square_degree(100, 1) == math.comb(198, 99)


def test_mnist_component_and_union() -> None:
    E = EquivariantVariety(image_shift(28, 28), 99)
    C = E.component(MNIST_TALK_RANKS)
    assert C.label().startswith("r_{1,1}=13 r_{28,27}=10 r_{14,13}=9 r_{28,25}=8 r_{7,6}=7")
    assert C.max_rank == 99 and C.kind == "rank r"
    assert C.n_params == 5_544 == 2 * (28 * 13 + 2 * 28 * (10 + 9 + 8 + 7 + 5 + 3 + 1))
    assert C.dim == 13 * (56 - 13) + sum(2 * k * (56 - k) for k in MNIST_TALK_RANKS[1:-1])
    assert C.ed_degree == math.prod(math.comb(28, k) for k in MNIST_TALK_RANKS)
    assert C.degree == math.prod(determinantal_degree(28, 28, k) ** (1 if i in (0, 14) else 2)
                                 for i, k in enumerate(MNIST_TALK_RANKS))
    # E_r, by hand: rank level k of any block adds 55 - 2k dimensions per unit of budget. Levels 0..2
    # of all 15 blocks use 3 * 28 = 84 units; the last 15 units go to level 3 of one real block and
    # seven complex blocks (C(13, 7) * 2 top-dimensional components).
    assert E.dim == 28 * (55 + 53 + 51) + 15 * 49 == 5_187
    assert E.degree == 2 * math.comb(13, 7) * square_degree(28, 4) * square_degree(28, 3) \
        * square_degree(28, 4) ** 14 * square_degree(28, 3) ** 12
    real, cplx = 56, 13 * 28
    assert E.ed_degree == sum(math.comb(real, 99 - 2 * j) * math.comb(cplx, j) for j in range(50)) \
        + math.comb(cplx, 21)


def test_volume_geometry_without_n_by_n(rng: np.random.Generator) -> None:
    """32 x 32 x 32 volume (n = 32768): blocks, counts, dim/degree/ED degree and a component's nearest
    point to a rank-3 matrix, never allocating an n x n array (8 GiB)."""
    shift = Permutation(np.roll(np.arange(32**3).reshape(32, 32, 32), 1, axis=2).ravel())
    for sigma in [volume_rot90(32), shift]:
        tracemalloc.start()
        E = EquivariantVariety(sigma, 12)
        count = E.count_components()
        geometry = (E.dim, E.degree, E.ed_degree)
        C = next(E.components())
        A = rng.standard_normal((sigma.n, 3))
        B = rng.standard_normal((3, sigma.n))
        dec, enc = C.nearest_lowrank(A, B)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert peak < 100 * 2**20  # an n x n float64 array would be 8 GiB
        assert dec.shape == (sigma.n, C.max_rank) and enc.shape == (C.max_rank, sigma.n)
        x = rng.standard_normal(sigma.n)
        np.testing.assert_allclose(dec @ (enc @ sigma.act(x)), sigma.act(dec @ (enc @ x)), atol=1e-9)
        assert all(v > 0 for v in geometry) and count.total >= count.rank_r > 0
    E = EquivariantVariety(volume_rot90(32), 12)
    assert [b.label for b in E.blocks] == ["r_{1,1}", "r_{4,3}", "r_{2,1}"]
    assert E.spectrum == {1: 8192, 2: 8192, 4: 8192}
    comps = list(E.components())
    assert E.count_components() == (len(comps), sum(c.kind == "rank r" for c in comps)) == (49, 49)
    assert E.dim == max(c.dim for c in comps) == 3 * 16381 + 2 * 3 * 16381 + 3 * 16381
    assert E.degree == sum(c.degree for c in comps if c.dim == E.dim) == square_degree(8192, 3) ** 4
    assert E.ed_degree == sum(c.ed_degree for c in comps)
    assert len(EquivariantVariety(shift, 12).blocks) == 17


@given(permutations(max_n=9), st.integers(0, 9), st.integers(1, 3), st.integers(0, 2**32 - 1))
@settings(max_examples=25)
def test_nearest_lowrank_matches_dense(sigma: Permutation, r: int, k: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    E = EquivariantVariety(sigma, r)
    A, B = rng.standard_normal((sigma.n, k)), rng.standard_normal((k, sigma.n))
    for C in itertools.islice(E.components(), 4):
        dec, enc = C.nearest_lowrank(A, B)
        np.testing.assert_allclose(dec @ enc, C.nearest(A @ B), atol=1e-9)
        dec, enc = C.sample_factors(rng)
        assert C.contains(dec @ enc)


# -- command line ---------------------------------------------------------------------------------
def test_cli_equivariant_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["equivariant", "--gens", "(1 2 3 4)(5 6 7 8)", "--n", "9", "-r", "3", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert {"n", "rank", "blocks", "n_components", "n_components_rank_r", "components"} <= set(report)
    assert report["n"] == 9 and report["rank"] == 3
    assert report["blocks"][1] == {"label": "r_{4,3}", "l": 4, "m": 3, "kind": "complex", "field": "C", "size": 2,
                                   "weight": 2, "characters": [0.0]}   # trace of a rotation by 3 pi / 2
    assert (report["n_components"], report["n_components_rank_r"]) == (5, 5)
    talk = report["components"][2]
    assert {"ranks", "max_rank", "dim", "degree", "ed_degree", "params"} <= set(talk)
    assert (talk["ranks"], talk["max_rank"], talk["dim"], talk["degree"], talk["ed_degree"], talk["params"]) == \
        ([1, 1, 0], 3, 11, 24, 6, 14)
    assert main(["equivariant", "--image", "28x28", "--action", "shift-x", "-r", "99", "--limit", "2",
                 "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["n_components_rank_r"] == MNIST_RANK_R and len(report["components"]) == 2
    assert len(report["blocks"]) == 15


def test_cli_equivariant_text(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["equivariant", "--gens", "(1 2 3 4)(5 6 7 8)", "--n", "9", "-r", "3"]) == 0
    out = capsys.readouterr().out
    assert "r_{4,3}" in out and "complex" in out
    assert "r_{1,1}=1 r_{4,3}=1 r_{2,1}=0" in out
    assert "irreducible components: 5 (5 contain a matrix of rank 3" in out


def test_cli_count(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["count", "--gens", "(1 2)", "--n", "1000000000000", "-r", "3", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["n_components"] == 2
    assert main(["count", "--image", "28x28", "--action", "shift-x", "-r", "99", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["n_components_rank_r"] == MNIST_RANK_R
    assert report["n_components"] == count_components({28: 28}, 99).total
    assert main(["count", "--image", "28x28", "--action", "shift-x", "-r", "99"]) == 0
    assert "72,425,986,088,826" in capsys.readouterr().out


@pytest.mark.parametrize("argv", [
    ["count", "--gens", "(1 2", "--n", "3", "-r", "1"],
    ["count", "--gens", "(1 2)", "--n", "3", "-r", "-1"],
    ["count", "--gens", "(1 2)", "--gens", "(" + " ".join(map(str, range(1, 3001))) + ")", "--n", "3000",
     "-r", "1"],  # S_3000: one orbit of 3000 points, beyond the orbit-wise decomposition
    ["count", "--gens", "(1 2)", "-r", "1"],
    ["count", "--gens", "(1 2)", "--n", "3", "--shift", "2", "-r", "1"],
    ["equivariant", "--gens", "(1 2)", "--n", "1000000000000", "-r", "1"],
    ["equivariant", "--gens", "(1 2)", "--n", "3", "-r", "1", "--limit", "-1"],
    ["equivariant", "--image", "28x", "--action", "shift-x", "-r", "1"],
    ["equivariant", "--gens", "(1 2)", "--n", "0", "-r", "1"],
    ["equivariant", "--n", "3", "-r", "1"],
])
def test_cli_bad_input(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and "error" in lines[0] and "Traceback" not in captured.err


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


@settings(max_examples=25)
@given(sigma=permutations(max_n=10), r=st.integers(1, 6), data=st.data())
def test_component_labels_parse_back(sigma: Permutation, r: int, data: st.DataObject) -> None:
    """The text of a component's label (and its repr's mapping) gives the component back."""
    E = EquivariantVariety(sigma, r)
    components = list(itertools.islice(E.components(), 30))
    C = data.draw(st.sampled_from(components))
    assert E.component(C.label()) == C
    assert E.component(C.labelled_ranks) == C
    again = C.label().replace(" ", "  ")                   # any whitespace between items
    assert E.parse_ranks(again) == C.ranks
    with pytest.raises(ValueError, match="'label=rank' items"):
        E.parse_ranks(C.label().replace("=", ":"))
    with pytest.raises(ValueError, match="given twice"):
        E.parse_ranks(f"{E.labels[0]}=0 {E.labels[0]}=0")


def test_fit_takes_labelled_ranks_on_the_command_line(tmp_path, capsys) -> None:
    np.save(tmp_path / "x.npy", np.random.default_rng(0).random((40, 8)))
    args = ["fit", "--data", str(tmp_path / "x.npy"), "--model", "equivariant", "--gens", "(1 2 3 4 5 6 7 8)",
            "--n", "8", "--out", str(tmp_path / "m.npz"), "--json"]
    assert main(args + ["--ranks", "r_{1,1}=1 r_{8,7}=1"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ranks"] == {"r_{1,1}": 1, "r_{8,7}": 1, "r_{4,3}": 0, "r_{8,5}": 0, "r_{2,1}": 0}
    assert main(args + ["--ranks", "r_{1,1}=1 r_{9,7}=1"]) == 2
    assert "unknown block 'r_{9,7}'" in capsys.readouterr().err
