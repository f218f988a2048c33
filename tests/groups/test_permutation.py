"""equilin.groups.permutation: Permutation against its matrix, sympy and brute force."""

from __future__ import annotations

import numpy as np
import pytest
import sympy.combinatorics as sc
from hypothesis import given
from hypothesis import strategies as st

from equilin.groups import Permutation

from conftest import permutations


def test_talk_example_permutation() -> None:
    s = Permutation.from_cycles("(1 3 4)(2 5)", 5)
    assert s.array.tolist() == [2, 4, 3, 0, 1]
    assert s.cycles == ((0, 2, 3), (1, 4))
    assert s.cycle_type == {2: 1, 3: 1}
    assert s.order == 6
    assert str(s) == "(1 3 4)(2 5)"
    assert eval(repr(s), {"Permutation": Permutation}) == s
    assert Permutation.from_cycles("(1, 3, 4) (2,5)", 5) == s


def test_fixed_points_and_one_cycles() -> None:
    s = Permutation.from_cycles("(2 3)(5)", 6)
    assert s.cycles == ((0,), (1, 2), (3,), (4,), (5,))
    assert s.cycle_type == {1: 4, 2: 1}
    assert s.cycle_string(include_fixed=True) == "(1)(2 3)(4)(5)(6)"


@pytest.mark.parametrize(("images", "message"), [
    ([0, 0, 1], "not a bijection"),
    ([0, 3, 1], "not a permutation"),
    ([0, -1, 1], "not a permutation"),
    ([0.0, 1.0], "integers"),
    ([True, False], "booleans"),
    ([[0, 1]], "1-D"),
])
def test_bad_arrays(images: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Permutation(images)  # type: ignore[arg-type]


@given(permutations(), st.data())
def test_composition_is_matrix_product(s: Permutation, data: st.DataObject) -> None:
    t = data.draw(permutations(n=s.n))
    st_ = s * t
    assert all(st_(i) == s(t(i)) for i in range(s.n))
    np.testing.assert_array_equal(st_.matrix(), s.matrix() @ t.matrix())
    assert s * s.inverse() == Permutation.identity(s.n)


@given(permutations(), st.integers(-5, 5))
def test_power(s: Permutation, k: int) -> None:
    expected = np.linalg.matrix_power(s.matrix(), k % s.order)
    np.testing.assert_array_equal((s ** k).matrix(), expected)


@given(permutations())
def test_matrix_convention_and_action(s: Permutation) -> None:
    P = s.matrix()
    for j in range(s.n):
        np.testing.assert_array_equal(P[:, j], np.eye(s.n)[s(j)])  # P e_j = e_{sigma(j)}
    x = np.arange(s.n, dtype=float) + 1
    np.testing.assert_array_equal(s.act(x), P @ x)
    X = np.random.default_rng(s.n).standard_normal((4, s.n))
    np.testing.assert_array_equal(s.act(X), X @ P.T)
    np.testing.assert_array_equal(s.act(X.T, axis=0), P @ X.T)


@given(permutations())
def test_agrees_with_sympy(s: Permutation) -> None:
    p = s.to_sympy()
    assert Permutation.from_sympy(p) == s
    assert s.order == p.order()
    assert s.cycle_type == dict(sorted(p.cycle_structure.items()))
    q = sc.Permutation(list(reversed(range(s.n))))
    # sympy's p*q applies p first; ours applies the right factor first.
    assert Permutation.from_sympy(p * q) == Permutation.from_sympy(q) * s


@given(s=permutations(max_n=12), h=permutations(max_n=12), k=st.integers(-50, 50))
def test_log_against_the_powers(s: Permutation, h: Permutation, k: int) -> None:
    powers = [s ** e for e in range(s.order)]
    assert s.log(s ** k) == k % s.order
    if h.n == s.n:
        assert s.log(h) == (powers.index(h) if h in powers else None)
