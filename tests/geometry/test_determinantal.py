"""equilin.geometry.determinantal: dimensions, degrees and ED degrees, nearest and critical points of
M_{r, m x n} over R, C and H, realization, products."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from equilin.geometry import (
    DeterminantalVariety,
    ProductVariety,
    VarietyUnion,
    derealize,
    realize,
)

shapes = st.tuples(st.integers(1, 5), st.integers(1, 5), st.integers(0, 6))


@pytest.mark.parametrize(("m", "n", "r", "dim", "degree", "ed"), [
    (2, 2, 1, 3, 2, 2),
    (3, 3, 1, 5, 6, 3),
    (3, 3, 2, 8, 3, 3),
    (2, 3, 1, 4, 3, 2),
    (3, 4, 2, 10, 6, 3),   # maximal minors: binom(4, 2)
    (2, 2, 0, 0, 1, 1),
    (2, 3, 2, 6, 1, 1),   # r = min(m, n): the whole space
    (2, 3, 7, 6, 1, 1),   # r > min(m, n): still the whole space, not the formula at r
])
def test_known_values(m: int, n: int, r: int, dim: int, degree: int, ed: int) -> None:
    X = DeterminantalVariety(m, n, r)
    assert (X.dim, X.degree, X.ed_degree) == (dim, degree, ed)
    assert all(type(v) is int for v in (X.dim, X.degree, X.ed_degree))


def test_singular_locus() -> None:
    assert DeterminantalVariety(3, 4, 2).singular_locus == DeterminantalVariety(3, 4, 1)
    assert DeterminantalVariety(3, 4, 3).singular_locus is None
    assert DeterminantalVariety(3, 4, 0).singular_locus is None
    assert DeterminantalVariety(3, 3, 2, "C").singular_locus == DeterminantalVariety(3, 3, 1, "C")


def test_complex_realized() -> None:
    X = DeterminantalVariety(3, 3, 1, field="C")
    assert (X.dim, X.degree, X.ed_degree) == (2 * 5, 36, 3)
    assert str(X) == "R(M_{1, 3x3}(C))"


@given(shapes, st.sampled_from(["R", "C"]), st.integers(0, 2**32))
def test_nearest_is_critical_and_closest(shape: tuple[int, int, int], field: str, seed: int) -> None:
    m, n, r = shape
    X = DeterminantalVariety(m, n, r, field)
    rng = np.random.default_rng(seed)
    U = rng.standard_normal((m, n)) + (1j * rng.standard_normal((m, n)) if field == "C" else 0)
    M = X.nearest(U)
    assert X.contains(M)
    assert X.is_critical_point(U, M)
    best = np.linalg.norm(U - M)
    crit = X.critical_points(U)
    assert len(crit) == X.ed_degree
    for keep, C in crit:
        assert X.is_critical_point(U, C)
        assert np.linalg.norm(U - C) >= best - 1e-9
    for _ in range(5):
        assert np.linalg.norm(U - X.sample(rng)) >= best - 1e-9


def test_non_critical_points_are_rejected(rng: np.random.Generator) -> None:
    X = DeterminantalVariety(3, 4, 1)
    U = rng.standard_normal((3, 4))
    assert not X.is_critical_point(U, X.sample(rng))
    assert not X.is_critical_point(U, np.zeros((3, 4)))  # singular point
    assert not X.is_critical_point(U, U)                  # not on the variety


def test_sample_and_contains(rng: np.random.Generator) -> None:
    X = DeterminantalVariety(4, 5, 2)
    M = X.sample(rng)
    assert X.contains(M) and np.linalg.matrix_rank(M) == 2
    assert not X.contains(rng.standard_normal((4, 5)))
    assert X.contains(np.zeros((4, 5)))


@given(st.integers(1, 4), st.integers(1, 4), st.integers(0, 2**32))
def test_realize_doubles_rank(m: int, n: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    s = int(rng.integers(0, min(m, n) + 1))
    Z = DeterminantalVariety(m, n, s, "C").sample(rng)
    R = realize(Z)
    assert np.linalg.matrix_rank(R) == 2 * np.linalg.matrix_rank(Z)
    np.testing.assert_allclose(np.linalg.norm(R) ** 2, 2 * np.linalg.norm(Z) ** 2)
    np.testing.assert_allclose(derealize(R), Z)


def test_derealize_refuses_non_realizations() -> None:
    with pytest.raises(ValueError, match=r"\[\[a, -b\], \[b, a\]\]"):
        derealize(np.arange(4.0).reshape(2, 2))


def test_products() -> None:
    A, B = DeterminantalVariety(3, 3, 1), DeterminantalVariety(2, 2, 1, "C")
    X = A * B * DeterminantalVariety(2, 2, 2)
    assert isinstance(X, ProductVariety) and len(X.factors) == 3
    assert X.dim == A.dim + B.dim + 4
    assert X.degree == 6 * 4 and X.ed_degree == 3 * 2
    sing = X.singular_locus
    assert isinstance(sing, VarietyUnion) and len(sing) == 2
    rng = np.random.default_rng(0)
    point = X.sample(rng)
    assert X.contains(point)
    assert not sing.contains(point)
    assert sing.contains((np.zeros((3, 3)), point[1], point[2]))
    assert (DeterminantalVariety(2, 2, 2) * DeterminantalVariety(1, 1, 1)).singular_locus is None
    assert X.ed_degree == math.prod(f.ed_degree for f in X.factors)


@pytest.mark.parametrize(("args", "message"), [
    ((0, 2, 1), "m must be an integer >= 1"),
    ((2, 2.0, 1), "n must be an integer"),
    ((2, 2, -1), "rank must be an integer >= 0"),
    ((2, 2, True), "rank must be an integer"),
])
def test_bad_arguments(args: tuple, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        DeterminantalVariety(*args)


def test_bad_points() -> None:
    X = DeterminantalVariety(2, 3, 1)
    with pytest.raises(ValueError, match=r"shape \(2, 3\)"):
        X.nearest(np.zeros((3, 2)))
    with pytest.raises(ValueError, match="complex but the variety is real"):
        X.contains(np.zeros((2, 3), dtype=complex))
    with pytest.raises(ValueError, match="NaN"):
        X.nearest(np.full((2, 3), np.nan))
    with pytest.raises(ValueError, match="field must be"):
        DeterminantalVariety(2, 2, 1, field="Q")
