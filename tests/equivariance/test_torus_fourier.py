"""equilin.groups.torus and equilin.equivariance.torus_fourier: translations of a torus with a point group
(p4, p4m, ...). Against brute force (every element enumerated, characters, Burnside's lemma) and the orbit-wise
decomposition (an independent algorithm)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from equilin import Permutation, PermutationGroup
from equilin.equivariance import EquivariantVariety, IsotypicDecomposition, TorusFourierDecomposition, choose_method
from equilin.groups import TorusStructure, image_flip, image_group, image_shift, volume_rot90, volume_shift
from equilin.models.closed_form import EquivariantAutoencoder
from equilin.models.nn import IsotypicLinearAutoencoder


def elements(group: PermutationGroup) -> np.ndarray:
    """Every element (rows), by closure under the generators (numpy, independent of equilin's code)."""
    gens = [g.array.astype(np.int32) for g in group.generators]
    seen = {np.arange(group.n, dtype=np.int32).tobytes()}
    frontier = [np.arange(group.n, dtype=np.int32)]
    out = list(frontier)
    while frontier:
        new = []
        for x in frontier:
            for g in gens:
                y = g[x]
                key = y.tobytes()
                if key not in seen:
                    seen.add(key)
                    new.append(y)
        out.extend(new)
        frontier = new
    return np.stack(out)


def shifts_and_flip(p: int) -> PermutationGroup:
    """Translations and one flip (no rotation): frequency orbits {a, flip(a)} without -a give blocks
    of complex type."""
    return PermutationGroup([image_shift(p, p, 1, "x"), image_shift(p, p, 1, "y"), image_flip(p, p, "x")])


def shifts_and_transpose(p: int) -> PermutationGroup:
    """Translations and the flip along the diagonal: the point group moves the last frequency
    coordinate, so some translation blocks follow -b and are conjugated into their torus block."""
    i, j = np.divmod(np.arange(p * p), p)
    return PermutationGroup([image_shift(p, p, 1, "x"), image_shift(p, p, 1, "y"), Permutation(j * p + i)])


def cube_and_translations(p: int) -> PermutationGroup:
    """The 24 rotations of a cubic volume with its three translations (a torus Z_p^3)."""
    return PermutationGroup([volume_shift(p, p, p, 1, a) for a in (2, 1, 0)]
                            + [volume_rot90(p, 0), volume_rot90(p, 1)])


SMALL = [image_group("p4m", 4, 4), image_group("p4", 5, 5), image_group("p4m", 6, 6), image_group("p4", 3, 3),
         shifts_and_flip(4), shifts_and_flip(5), shifts_and_transpose(5), shifts_and_transpose(6),
         cube_and_translations(3), cube_and_translations(4)]
IDS = ["p4m-4", "p4-5", "p4m-6", "p4-3", "flip-4", "flip-5", "transpose-5", "transpose-6", "cube-3", "cube-4"]


@pytest.mark.parametrize("group", SMALL, ids=IDS)
def test_blocks_against_characters(group: PermutationGroup) -> None:
    """Each block's span is an irreducible of the stated type and multiplicity one: with chi_V its
    character (traces of the elements on the span), <chi_V, chi_V> = 1 (real) or 2 (complex) and
    <chi_perm, chi_V> = <chi_V, chi_V>; the commutant dimension is Burnside's count of orbitals."""
    D = TorusFourierDecomposition(group)
    if group in SMALL[6:8]:
        assert (D._sign < 0).any()          # conjugated translation blocks do occur here
    els = elements(group)
    order = len(els)
    fixed = (els == np.arange(group.n)).sum(axis=1)
    assert D.commutant_dim * order == int((fixed.astype(np.int64) ** 2).sum())
    Q = D.Q
    for b, a in zip(D.blocks, D.offsets):
        C = Q[:, a:a + b.real_dim]
        chi = np.array([np.trace(C.T @ C[np.argsort(g)]) for g in els])   # P_g x = x[g^-1]
        norm = float(chi @ chi) / order
        assert norm == pytest.approx(1 if b.kind == "real" else 2, abs=1e-9)
        assert float(fixed @ chi) / order == pytest.approx(norm, abs=1e-9)
        assert b.size == 1
        # the block's character (exact, from the frequency orbit) = the traces of the generators on its span
        traces = [np.trace(C.T @ C[np.argsort(g.array)]) for g in group.generators]
        assert np.allclose(b.character, traces, atol=1e-9)
    kinds = {b.kind for b in D.blocks}
    if group in SMALL[:8]:      # -1 in P (a rotation by 180 degrees) makes every block real
        assert ("complex" in kinds) == (group in SMALL[4:8])


@pytest.mark.parametrize("group", SMALL, ids=IDS)
def test_agrees_with_the_orbit_wise_decomposition(group: PermutationGroup) -> None:
    rng = np.random.default_rng(0)
    A = TorusFourierDecomposition(group)
    B = IsotypicDecomposition(group, seed=3)
    assert A.blocks == B.blocks and A.commutant_dim == B.commutant_dim
    assert all(np.allclose(a.character, b.character, atol=1e-9) for a, b in zip(A.blocks, B.blocks))
    QA, QB = A.Q, B.Q
    assert np.abs(QA.T @ QA - np.eye(group.n)).max() < 1e-12
    for b, a in zip(A.blocks, A.offsets):
        PA = QA[:, a:a + b.real_dim] @ QA[:, a:a + b.real_dim].T
        PB = QB[:, a:a + b.real_dim] @ QB[:, a:a + b.real_dim].T
        assert np.abs(PA - PB).max() < 1e-10
    X = rng.standard_normal((4, group.n))
    assert np.abs(A.from_blocks(A.to_blocks(X), 4) - X).max() < 1e-12
    U = rng.standard_normal((group.n, group.n))
    M = A.matrix_from_blocks(A.matrix_to_blocks(U))
    assert np.abs(M - B.matrix_from_blocks(B.matrix_to_blocks(U))).max() < 1e-10 * np.linalg.norm(U)
    for g in group.generators:
        P = g.matrix()
        assert np.abs(P @ M - M @ P).max() < 1e-12 * np.linalg.norm(U)
    # fits and torch modules agree across the two backends
    X = rng.standard_normal((30, group.n))
    fits = [EquivariantAutoencoder(group, ranks="best", rank=3, method=m).fit(X) for m in ("torus", "generic")]
    assert fits[0].ranks_ == fits[1].ranks_
    assert np.abs(fits[0].predict(X) - fits[1].predict(X)).max() < 1e-9
    modules = [IsotypicLinearAutoencoder.from_closed_form(f, dtype=torch.float64) for f in fits]
    with torch.no_grad():
        outs = [m(torch.from_numpy(X)).numpy() for m in modules]
    assert np.abs(outs[0] - outs[1]).max() < 1e-10 and np.abs(outs[0] - fits[0].predict(X)).max() < 1e-10


def test_beyond_the_orbit_wise_limit() -> None:
    """p4m on 48 x 48 (one orbit of 2,304 points, refused by the orbit-wise path) against Burnside over
    all 18,432 elements; 64 x 64 and 256 x 256 decompose and fit."""
    group = image_group("p4m", 48, 48)
    with pytest.raises(ValueError, match="handles up to 2,048"):
        IsotypicDecomposition(group)
    els = elements(group)
    fixed = (els == np.arange(group.n, dtype=np.int32)).sum(axis=1).astype(np.int64)
    E = EquivariantVariety(group, 5)
    assert E.method == "torus" and len(els) == 8 * 48 * 48
    assert E.commutant_dim * len(els) == int((fixed ** 2).sum())
    rng = np.random.default_rng(1)
    for p in (64, 256):
        group = image_group("p4m", p, p)
        E = EquivariantVariety(group, 10)
        assert E.commutant_dim == sum(b.field_dim for b in E.blocks)
        X = rng.standard_normal((3, group.n))
        assert np.abs(E.from_blocks(E.to_blocks(X)) - X).max() < 1e-12
        model = EquivariantAutoencoder(group, ranks="best", rank=10).fit(X)
        Y = model.predict(X)
        for g in group.generators:
            assert np.abs(model.predict(g.act(X, axis=1)) - g.act(Y, axis=1)).max() < 1e-10


def test_which_groups() -> None:
    assert choose_method(image_group("p4m", 8, 8)) == "torus" and choose_method(image_group("p4", 8, 8)) == "torus"
    assert TorusStructure.of(image_group("d4", 8, 8)) is None                 # no translations
    assert TorusStructure.of(image_group("p4m", 8, 8, 2)) is None             # shifts by 2: not regular
    assert TorusStructure.of(image_group("shift-xy", 8, 8)) is None           # abelian: equilin.groups.abelian
    S = TorusStructure.of(image_group("p4m", 8, 8))
    assert S.translations == (0, 1) and len(S.linear) == 2
    with pytest.raises(ValueError, match="needs translations acting regularly on one torus"):
        TorusFourierDecomposition(image_group("d4", 4, 4))


def test_torch_module_by_ffts_beyond_the_dense_limit() -> None:
    """The torus path's torch operator (FFTs, used above DENSE_LIMIT points) equals the numpy block
    coordinates; p4m on 72 x 72 (5,184 points) trains equivariantly."""
    from equilin.models.nn.operators import _OrbitOperator, _TorusOperator

    rng = np.random.default_rng(0)
    for group in (image_group("p4m", 6, 6), shifts_and_transpose(6), cube_and_translations(3)):
        D = TorusFourierDecomposition(group)
        blocks = sorted(rng.permutation(len(D.blocks))[: max(1, len(D.blocks) // 2)].tolist())
        fft, dense = _TorusOperator(D, blocks, torch.float64), _OrbitOperator(D, blocks, torch.float64)
        x = torch.from_numpy(rng.standard_normal((3, group.n)))
        expected = np.concatenate([D.vectors_to_block_coordinates(x.numpy(), i) for i in blocks], axis=1)
        assert np.abs(fft.coordinates(x).numpy() - expected).max() < 1e-12
        Z = torch.from_numpy(rng.standard_normal(expected.shape))
        assert np.abs(fft.vectors(Z).numpy() - dense.vectors(Z).numpy()).max() < 1e-12
    group = image_group("p4m", 72, 72)
    torch.manual_seed(0)
    model = IsotypicLinearAutoencoder(group, next(EquivariantVariety(group, 6).components()).ranks,
                                      dtype=torch.float64)
    assert isinstance(model.kernel.operator, _TorusOperator)
    X = rng.standard_normal((2, group.n))
    Y = model(torch.from_numpy(X)).detach().numpy()
    for g in group.generators:
        assert np.abs(model(torch.from_numpy(g.act(X, axis=1))).detach().numpy() - g.act(Y, axis=1)).max() < 1e-10
    ((model(torch.from_numpy(X)) - torch.from_numpy(X)) ** 2).mean().backward()
    assert all(p.grad is not None for p in model.parameters())
