"""equilin.geometry.degrees: exact degrees of determinantal varieties, against symmetry and the product
formula of factorials."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from equilin.geometry import determinantal_degree, square_degree

shapes = st.tuples(st.integers(1, 5), st.integers(1, 5), st.integers(0, 6))


@given(shapes)
def test_degree_symmetric(shape: tuple[int, int, int]) -> None:
    m, n, r = shape
    assert determinantal_degree(m, n, r) == determinantal_degree(n, m, r)


def test_big_degree_is_exact() -> None:
    d = determinantal_degree(40, 50, 20)
    assert isinstance(d, int) and d > 10**40


def test_square_degree_matches_the_formula_for_large_sizes() -> None:
    # past 64 square_degree switches to a prime factorization: compare with the product formula
    for d, k in ((65, 3), (80, 79), (100, 50)):
        e = d - k
        num = math.prod(math.factorial(d + i) * math.factorial(i) for i in range(e))
        den = math.prod(math.factorial(k + i) * math.factorial(e + i) for i in range(e))
        assert square_degree(d, k) == num // den and num % den == 0
