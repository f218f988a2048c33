"""equilin.equivariance.pixel_sharing: tied weights in pixel space against a brute-force computation (the
nullspace of the intertwining equations B P = rho B and P D = D rho, solved by numpy; B P = B for the
invariant encoder)."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from equilin.equivariance import EquivariantVariety, SharingClasses, invariant_sharing, pixel_sharing
from equilin.geometry import InvariantVariety
from equilin.groups import Permutation, image_group, image_shift, talk_rotation


def nullspace(M: np.ndarray) -> np.ndarray:
    """Orthonormal basis (columns) of the kernel of M, by SVD."""
    _, s, vh = np.linalg.svd(M)
    rank = int((s > 1e-9 * max(s.max(initial=0.0), 1.0)).sum())
    return vh[rank:].T


def brute_classes(basis: np.ndarray, shape: tuple[int, int]) -> tuple[list[list[int]], dict[int, int]]:
    """Entries (row-major) of a matrix space with the given basis (columns, one per free weight):
    the classes of entries whose coordinate functionals are equal up to sign, and each entry's sign
    relative to the first entry of its class (0 for entries that vanish on the whole space)."""
    forms = basis.reshape(shape[0] * shape[1], -1)
    classes: list[list[int]] = []
    sign: dict[int, int] = {}
    for e, v in enumerate(forms):
        if np.abs(v).max() < 1e-9:
            sign[e] = 0
            continue
        for members in classes:
            u = forms[members[0]]
            if np.allclose(v, u, atol=1e-9):
                members.append(e)
                sign[e] = 1
                break
            if np.allclose(v, -u, atol=1e-9):
                members.append(e)
                sign[e] = -1
                break
        else:
            classes.append([e])
            sign[e] = 1
    return classes, sign


def code_action(component, generators, rng):  # type: ignore[no-untyped-def]
    """rho(g) on the code space for every generator, read off a generic encoder: B P_g = rho(g) B."""
    _, B = component.sample_factors(rng)
    rhos = []
    for g in generators:
        P = g.matrix()  # x -> P x permutes coordinates
        rho = B @ P @ np.linalg.pinv(B)
        np.testing.assert_allclose(B @ P, rho @ B, atol=1e-9)
        rhos.append(rho)
    return rhos


def assert_same_classes(S: SharingClasses, basis: np.ndarray) -> None:
    classes, sign = brute_classes(basis, S.ids.shape)
    flat_ids, flat_signs = S.ids.ravel(), S.signs.ravel()
    assert S.n_classes == len(classes)
    for members in classes:
        assert len({int(flat_ids[e]) for e in members}) == 1  # one class of the library per brute-force class
        first = flat_signs[members[0]]
        assert first == 1  # the first entry of a class carries the weight itself
        assert [int(flat_signs[e]) for e in members] == [sign[e] * first for e in members]
    zero = [e for e, s in sign.items() if s == 0]
    assert (flat_ids[zero] == -1).all() and (flat_signs[zero] == 0).all()


CASES = [
    (talk_rotation(3), 3, (1, 1, 0)),                    # the talk's 3 x 3 rotation, r = (1, 0, 1) in its order
    (image_shift(1, 8), 3, (1, 1, 0, 0, 0)),             # one 8-cycle: cosines mix two weights per pixel
    (image_shift(2, 6), 5, (1, 1, 1, 0)),                # two 6-cycles
    (image_group("d4", 3, 3), 3, None),                  # rotations and flips (generic path)
]


@pytest.mark.parametrize("group, rank, ranks", CASES)
def test_pixel_sharing_is_the_nullspace_of_the_intertwining_equations(group, rank, ranks,  # type: ignore[no-untyped-def]
                                                                      rng: np.random.Generator) -> None:
    E = EquivariantVariety(group, rank)
    C = E.component(ranks) if ranks is not None else next(E.components())
    generators = list(getattr(group, "generators", [group]))
    rhos = code_action(C, generators, rng)
    r, n = C.max_rank, E.n
    # encoder B (r x n): B P_g - rho_g B = 0 for every generator; vec row-major
    eqs = [np.kron(np.eye(r), g.matrix().T) - np.kron(rho, np.eye(n)) for g, rho in zip(generators, rhos)]
    enc_basis = nullspace(np.vstack(eqs))
    dec_eqs = [np.kron(g.matrix(), np.eye(r)) - np.kron(np.eye(n), rho.T) for g, rho in zip(generators, rhos)]
    dec_basis = nullspace(np.vstack(dec_eqs))
    W = C.weight_sharing()
    assert enc_basis.shape[1] + dec_basis.shape[1] == W.n_params  # the templates' free weights
    encoder, decoder = pixel_sharing(C, "encoder"), pixel_sharing(C, "decoder")
    assert encoder.ids.shape == (r, n) and decoder.ids.shape == (n, r)
    assert_same_classes(encoder, enc_basis)
    assert_same_classes(decoder, dec_basis)


def test_talk_rotation_classes_are_the_free_weights() -> None:
    """Orbits of sizes 1 and 4: every tied weight is one free weight; 7 each side, as the talk counts."""
    C = EquivariantVariety(talk_rotation(3), 3).component((1, 1, 0))
    encoder, decoder = pixel_sharing(C, "encoder"), pixel_sharing(C, "decoder")
    W = C.weight_sharing()
    assert encoder.n_classes == int(W.encoder_ids.max()) + 1 == 7
    assert decoder.n_classes == W.n_params - 7 == 7
    # invariant unit: centre, corners, edge midpoints; the rotation pair: 4 weights on 4 edges each
    assert encoder.ids[0].tolist() == [0, 0, 0, 0, 1, 1, 1, 1, 2]
    assert sorted(Counter(encoder.ids[1:][encoder.ids[1:] >= 0].tolist()).values()) == [4, 4, 4, 4]
    assert int((encoder.signs < 0).sum()) == 8


def test_pixel_sharing_units_and_errors() -> None:
    C = EquivariantVariety(image_shift(1, 8), 3).component((1, 1, 0, 0, 0))
    full = pixel_sharing(C)
    part = pixel_sharing(C, units=[1])
    # 8-cycle, frequency 1: 4 tied weights in a unit, the second half of the cycle negated
    assert part.n_classes == 4 and part.ids[0].tolist() == [0, 1, 2, 3, 0, 1, 2, 3]
    assert part.signs[0].tolist() == [1, 1, 1, 1, -1, -1, -1, -1]
    assert full.ids.shape == (3, 8)
    with pytest.raises(ValueError, match="part must be"):
        pixel_sharing(C, "middle")
    with pytest.raises(ValueError, match="code units 0..2"):
        pixel_sharing(C, units=[3])


def test_invariant_sharing_against_the_invariance_equations() -> None:
    sigma = Permutation.from_cycles("(1 3 4)(2 5)", 5)
    X = InvariantVariety(sigma, m=5, rank=2)
    S = invariant_sharing(X)
    # B (2 x 5) with B P = B: columns equal on every orbit
    basis = nullspace(np.kron(np.eye(2), sigma.matrix().T) - np.eye(10))
    assert basis.shape[1] == 4
    assert_same_classes(S, basis)
    assert S.ids.tolist() == [[0, 1, 0, 0, 1], [2, 3, 2, 2, 3]] and (S.signs == 1).all()
