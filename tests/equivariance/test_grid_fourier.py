"""equilin.equivariance.grid_fourier: the FFT operator of products of cyclic groups on grids. Round trips and
isometry to 1e-12, equivariance, and agreement with the orbit-wise decomposition (an independent
algorithm: dense eigenproblems on the representatives) in blocks, subspaces, projections, components,
fits and torch modules."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from equilin import PermutationGroup
from equilin.equivariance import AbelianFourierDecomposition, EquivariantVariety, IsotypicDecomposition, choose_method
from equilin.groups import image_group, volume_group
from equilin.models.closed_form import EquivariantAutoencoder
from equilin.models.nn import IsotypicLinearAutoencoder

from conftest import grid_products


def projector(D, i: int) -> np.ndarray:
    C = D.columns(i)
    return C @ C.T


@settings(max_examples=40)
@given(group=grid_products(), seed=st.integers(0, 1000))
def test_round_trip_isometry_and_equivariance(group: PermutationGroup, seed: int) -> None:
    rng = np.random.default_rng(seed)
    D = AbelianFourierDecomposition(group)
    n = group.n
    Q = D.Q
    assert np.abs(Q.T @ Q - np.eye(n)).max() < 1e-12
    X = rng.standard_normal((5, n))
    rows = D.to_blocks(X)
    assert np.abs(D.from_blocks(rows, 5) - X).max() < 1e-12
    energy = sum(np.sum(np.abs(r) ** 2, axis=1) for r in rows)
    assert np.abs(energy - np.sum(X * X, axis=1)).max() < 1e-12 * n
    assert np.abs(D.vectors_to_coordinates(X, range(len(D.blocks)))[0] - X @ Q[:, :D.blocks[0].real_dim]).max() < 1e-12
    # a generator multiplies a block's coordinates by one unit number, the same on every copy
    for g in group.generators:
        moved = D.to_blocks(g.act(X, axis=1))
        for b, before, after in zip(D.blocks, rows, moved):
            k = np.argmax(np.abs(before[0]))
            lam = after[0, k] / before[0, k]
            assert abs(abs(lam) - 1) < 1e-9 and np.abs(after - lam * before).max() < 1e-9
            if b.kind == "real":
                assert abs(lam.imag) < 1e-11 and abs(abs(lam.real) - 1) < 1e-11


@settings(max_examples=30)
@given(group=grid_products(), seed=st.integers(0, 1000))
def test_agrees_with_the_orbit_wise_decomposition(group: PermutationGroup, seed: int) -> None:
    rng = np.random.default_rng(seed)
    A = AbelianFourierDecomposition(group)
    B = IsotypicDecomposition(group, seed=seed % 7)
    assert A.blocks == B.blocks and A.commutant_dim == B.commutant_dim and A.offsets == B.offsets
    # characters on every given generator (redundant ones too): exact here, numerical traces there
    assert np.allclose([a.character for a in A.blocks], [b.character for b in B.blocks], atol=1e-8)
    for i in range(len(A.blocks)):
        assert np.abs(projector(A, i) - projector(B, i)).max() < 1e-10
    U = rng.standard_normal((group.n, group.n))
    PA = A.matrix_from_blocks(A.matrix_to_blocks(U))
    PB = B.matrix_from_blocks(B.matrix_to_blocks(U))
    assert np.abs(PA - PB).max() < 1e-10 * np.linalg.norm(U)
    for g in group.generators:
        P = g.matrix()
        assert np.abs(P @ PA - PA @ P).max() < 1e-12 * np.linalg.norm(U)
    assert all(np.abs(x - y).max() < 1e-12 * np.linalg.norm(U) for x, y in zip(A.matrix_to_blocks(PA),
                                                                                A.matrix_to_blocks(U)))
    grams_A = A.grams(U)
    assert all(np.abs(x - y).max() < 1e-10 * np.sum(U * U) for x, y in
               zip(grams_A, [c.conj().T @ c for c in A.to_blocks(U)]))


@settings(max_examples=15)
@given(group=grid_products(max_gens=2), r=st.integers(1, 4), seed=st.integers(0, 1000))
def test_varieties_fits_and_modules_agree_across_backends(group: PermutationGroup, r: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    assert choose_method(group) in ("abelian", "fourier")    # "fourier" when one generator suffices
    fft = EquivariantVariety(group, r, method="abelian")
    orbit = EquivariantVariety(group, r, method="generic")
    assert fft.labels == orbit.labels and fft.count_components() == orbit.count_components()
    assert (fft.dim, fft.degree, fft.ed_degree, fft.commutant_dim) == (orbit.dim, orbit.degree, orbit.ed_degree,
                                                                       orbit.commutant_dim)
    assert [c.label() for c in fft.components()][:20] == [c.label() for c in orbit.components()][:20]
    U = rng.standard_normal((group.n, group.n))
    assert np.abs(fft.nearest(U) - orbit.nearest(U)).max() < 1e-9 * np.linalg.norm(U)
    X = rng.standard_normal((40, group.n))
    a = EquivariantAutoencoder(group, ranks="best", rank=r, method="abelian").fit(X)
    b = EquivariantAutoencoder(group, ranks="best", rank=r, method="generic").fit(X)
    assert a.ranks_ == b.ranks_
    assert abs(a.train_loss_ - b.train_loss_) < 1e-10 * np.mean(X * X)
    assert np.abs(a.predict(X) - b.predict(X)).max() < 1e-9 * np.abs(X).max()
    modules = [IsotypicLinearAutoencoder.from_closed_form(e, dtype=torch.float64) for e in (a, b)]
    assert [m.method for m in modules] == ["abelian", "generic"]
    x = torch.from_numpy(X)
    with torch.no_grad():
        outputs = [m(x).numpy() for m in modules]
    assert np.abs(outputs[0] - a.predict(X)).max() < 1e-10 * np.abs(X).max()
    assert np.abs(outputs[0] - outputs[1]).max() < 1e-10 * np.abs(X).max()


def test_large_images_and_volumes() -> None:
    """Far beyond the orbit-wise limit (2,048 points per orbit type): 256 x 256 images and 32^3 volumes."""
    rng = np.random.default_rng(0)
    for group, blocks in ((image_group("shift-xy", 256, 256), 32770), (volume_group("shift-xyz", 32, 32, 32), 16388)):
        E = EquivariantVariety(group, 10)
        assert E.method == "abelian" and len(E.blocks) == blocks and E.commutant_dim == group.n
        X = rng.standard_normal((3, group.n))
        assert np.abs(E.from_blocks(E.to_blocks(X)) - X).max() < 1e-12
        model = EquivariantAutoencoder(group, ranks="best", rank=10).fit(X)
        assert model.train_loss_ < np.mean(X * X)
        # the fitted map commutes with every generator
        Y = model.predict(X)
        for g in group.generators:
            assert np.abs(model.predict(g.act(X, axis=1)) - g.act(Y, axis=1)).max() < 1e-10


def test_errors() -> None:
    with pytest.raises(ValueError, match="commuting generators whose orbits are grids.*do not commute.*"
                                         "method='generic'"):
        AbelianFourierDecomposition(image_group("d4", 4, 4))
    with pytest.raises(ValueError, match="an orbit has 4,225 points; a dense basis of one orbit"):
        AbelianFourierDecomposition(image_group("shift-xy", 65, 65)).orbit_type_bases()
    with pytest.raises(ValueError, match="refused for n > 4,096"):
        _ = AbelianFourierDecomposition(image_group("shift-xy", 65, 65)).Q
    with pytest.raises(ValueError, match="method must be 'auto', 'abelian', 'torus' or 'generic'"):
        IsotypicLinearAutoencoder(image_group("shift-xy", 3, 3), (1,), method="fourier")
