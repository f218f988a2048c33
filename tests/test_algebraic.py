"""Degrees and ED degrees checked independently of the library's formulas, by exact algebraic counts.

* Degree: the number of points of the variety on a random affine-linear space of complementary
  dimension. The variety is cut out from its definition only: all (r+1)-minors, plus the linear
  equations ``M P_g = M`` for invariance (from ``Permutation.matrix``, not from the orbit code).
* ED degree: the number of complex critical points of ``||M - U||^2`` for random integer data ``U``,
  with ``M`` written in a chart ``M = G [I_r; A'] B`` (``G`` a random invertible matrix) that covers a
  dense open subset of the rank-r locus; a Rabinowitsch variable ``t`` with ``t q(B) = 1`` keeps ``B``
  of full rank. For invariant maps, the rows of ``B`` range over the invariant row vectors (a
  null-space basis of ``b (P_g - I) = 0`` computed by sympy). For complex varieties realized over R,
  the unknowns are the real and imaginary parts and ``||.||`` is the real Frobenius norm.

The systems are solved with msolve over F_p (see ``tests/msolve.py``); both msolve counts (distinct
solutions and quotient dimension) must agree, i.e. every solution is simple.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import sympy as sp

from equilin import DeterminantalVariety, InvariantVariety, Permutation, PermutationGroup

from msolve import count_solutions, msolve_binary

pytestmark = [
    pytest.mark.algebraic,
    pytest.mark.skipif(msolve_binary() is None, reason="msolve is installed by `make test`"),
]

SEED = 20240410


def _ints(rng: np.random.Generator, shape: tuple[int, ...], bound: int = 40) -> np.ndarray:
    return rng.integers(-bound, bound + 1, size=shape)


def _symbols(prefix: str, shape: tuple[int, int]) -> sp.Matrix:
    return sp.Matrix(shape[0], shape[1], lambda i, j: sp.Symbol(f"{prefix}{i}_{j}", real=True))


def _minors(M: sp.Matrix, size: int) -> list[sp.Expr]:
    rows, cols = M.shape
    return [M.extract(list(I), list(J)).det()
            for I in itertools.combinations(range(rows), size)
            for J in itertools.combinations(range(cols), size)]


def _invariant_equations(M: sp.Matrix, group: PermutationGroup) -> list[sp.Expr]:
    eqs = []
    for g in group.generators:
        eqs.extend(e for e in (M * sp.Matrix(g.matrix(dtype=int)) - M) if e != 0)
    return eqs


def _invariant_row_basis(group: PermutationGroup) -> sp.Matrix:
    """Rows spanning {b : b P_g = b for all generators}, straight from the definition."""
    n = group.n
    stacked = sp.Matrix.vstack(*[(sp.Matrix(g.matrix(dtype=int)) - sp.eye(n)).T
                                 for g in group.generators])
    return sp.Matrix.hstack(*stacked.nullspace()).T


def _complex_parts(M: sp.Matrix) -> tuple[list[sp.Expr], list[sp.Expr]]:
    parts = [sp.expand(e).as_real_imag() for e in M]
    return [p[0] for p in parts], [p[1] for p in parts]


def count_degree(m: int, n: int, r: int, dim: int, field: str = "R",
                 group: PermutationGroup | None = None, seed: int = SEED) -> tuple[int, int]:
    """Points of {rank <= r} (intersected with the invariant matrices) on a random affine space."""
    rng = np.random.default_rng(seed)
    X = _symbols("x", (m, n))
    variables = list(X)
    if field == "C":
        Y = _symbols("y", (m, n))
        variables += list(Y)
        minors = [sp.expand(d).as_real_imag()
                  for d in _minors(X + sp.I * Y, r + 1)]
        equations = [p for pair in minors for p in pair]
    else:
        equations = _minors(X, r + 1)
    if group is not None:
        equations += _invariant_equations(X, group)
    coefficients = _ints(rng, (dim, len(variables) + 1))
    equations += [sum(int(c) * v for c, v in zip(row[1:], variables)) + int(row[0])
                  for row in coefficients]
    return count_solutions([e for e in equations if e != 0], variables)


def count_ed_critical_points(m: int, n: int, r: int, field: str = "R",
                             group: PermutationGroup | None = None,
                             seed: int = SEED) -> tuple[int, int]:
    """Complex critical points of the squared distance from random integer data, in a chart."""
    rng = np.random.default_rng(seed)
    basis = _invariant_row_basis(group) if group is not None else sp.eye(n)
    k = basis.shape[0]

    def unknowns(prefix: str, shape: tuple[int, int]) -> tuple[sp.Matrix, list[sp.Symbol]]:
        real = _symbols(prefix + "r", shape)
        if field == "R":
            return real, list(real)
        imag = _symbols(prefix + "i", shape)
        return real + sp.I * imag, list(real) + list(imag)

    A_lower, a_vars = unknowns("a", (m - r, r))
    W, w_vars = unknowns("w", (r, k))
    G = sp.zeros(m, m)
    while G.det() == 0:  # a random invertible change of coordinates
        G = sp.Matrix(_ints(rng, (m, m), 9))
        if field == "C":
            G = G + sp.I * sp.Matrix(_ints(rng, (m, m), 9))
    M = G * sp.Matrix.vstack(sp.eye(r), A_lower) * W * basis
    U = sp.Matrix(_ints(rng, (m, n)))
    if field == "C":
        U = U + sp.I * sp.Matrix(_ints(rng, (m, n)))
        re, im = _complex_parts(M - U)
        objective = sum(e ** 2 for e in re + im)
        d_re, d_im = sp.expand(W[:, :r].det()).as_real_imag()
        guard = d_re ** 2 + d_im ** 2
    else:
        objective = sum(e ** 2 for e in (M - U))
        guard = (W * W.T).det()
    variables = a_vars + w_vars
    t = sp.Symbol("t")
    equations = [sp.diff(objective, v) for v in variables] + [t * guard - 1]
    return count_solutions(equations, variables + [t])


@pytest.mark.parametrize(("m", "n", "r"), [(2, 2, 1), (2, 3, 1), (3, 3, 1), (3, 3, 2)])
def test_determinantal_degree_by_linear_section(m: int, n: int, r: int) -> None:
    X = DeterminantalVariety(m, n, r)
    assert count_degree(m, n, r, X.dim) == (X.degree, X.degree)


@pytest.mark.parametrize(("m", "n", "r"), [(2, 2, 1), (2, 3, 1), (3, 3, 1), (3, 3, 2)])
def test_determinantal_ed_degree_by_critical_points(m: int, n: int, r: int) -> None:
    X = DeterminantalVariety(m, n, r)
    assert count_ed_critical_points(m, n, r) == (X.ed_degree, X.ed_degree)


def test_complex_realized_degree() -> None:
    """R(M_{1, 2x2}(C)) in R^8: degree deg(M_{1,2x2})^2 = 4."""
    X = DeterminantalVariety(2, 2, 1, field="C")
    assert count_degree(2, 2, 1, X.dim, field="C") == (X.degree, X.degree) == (4, 4)


@pytest.mark.parametrize(("m", "n", "s"), [(2, 2, 1), (1, 2, 1), (2, 3, 1)])
def test_complex_realized_ed_degree(m: int, n: int, s: int) -> None:
    """ED degree of R(M_{s, m x n}(C)) for the real Frobenius norm is binom(min(m, n), s)."""
    X = DeterminantalVariety(m, n, s, field="C")
    assert count_ed_critical_points(m, n, s, field="C") == (X.ed_degree, X.ed_degree)


INVARIANT_CASES = [
    # (generators, n, m, r): orbits of unequal sizes, so psi is not an isometry.
    (["(1 2 3)(4 5)"], 6, 3, 1),
    (["(1 2 3)(4 5)"], 6, 3, 2),
    (["(1 2)", "(2 3)"], 4, 2, 1),
]


@pytest.mark.parametrize(("gens", "n", "m", "r"), INVARIANT_CASES)
def test_invariant_degree_by_linear_section(gens: list[str], n: int, m: int, r: int) -> None:
    group = PermutationGroup.from_cycles(gens, n)
    X = InvariantVariety(group, m, r)
    assert count_degree(m, n, r, X.dim, group=group) == (X.degree, X.degree)


@pytest.mark.parametrize(("gens", "n", "m", "r"), INVARIANT_CASES)
def test_invariant_ed_degree_by_critical_points(gens: list[str], n: int, m: int, r: int) -> None:
    group = PermutationGroup.from_cycles(gens, n)
    X = InvariantVariety(group, m, r)
    assert count_ed_critical_points(m, n, r, group=group) == (X.ed_degree, X.ed_degree)


def test_talk_invariant_example_counts() -> None:
    """sigma = (1 3 4)(2 5), m = 2, r = 1: degree 2 and ED degree 2, by counting."""
    group = PermutationGroup([Permutation.from_cycles("(1 3 4)(2 5)", 5)])
    assert count_degree(2, 5, 1, 3, group=group) == (2, 2)
    assert count_ed_critical_points(2, 5, 1, group=group) == (2, 2)


def test_equivariant_component_with_complex_block_degree() -> None:
    """sigma = (1 2 3)(4 5 6), r = 2: the component r_{1,1}=0, r_{3,2}=1 is R(M_{1, 2x2}(C)), degree
    deg(M_{1,2x2})^2 = 4. Cut out from the definition only: M P = P M, M kills the fixed vectors of P
    and so does M^T (the block r_{1,1} is 0), all 3-minors vanish; counted on a random affine space of
    complementary dimension (the lower-dimensional complex components are missed by it)."""
    from equilin import EquivariantVariety

    sigma = Permutation.from_cycles("(1 2 3)(4 5 6)", 6)
    component = EquivariantVariety(sigma, 2).component((0, 1))
    P = sp.Matrix(sigma.matrix(dtype=int))
    X = _symbols("x", (6, 6))
    fixed = (P - sp.eye(6)).nullspace()
    linear = list(X * P - P * X) + [e for v in fixed for e in list(X * v) + list(v.T * X)]
    basis = sp.Matrix([[sp.diff(e, x) for x in X] for e in linear if e != 0]).nullspace()
    c = sp.symbols(f"c0:{len(basis)}")
    M = sp.Matrix(6, 6, list(sum((ci * b for ci, b in zip(c, basis)), sp.zeros(36, 1))))
    assert len(basis) == 8  # the commutant's complex block: a complex 2 x 2 matrix
    rng = np.random.default_rng(SEED)
    equations = [m for m in _minors(M, 3) if sp.expand(m) != 0]
    equations += [sum(int(a) * ci for a, ci in zip(row[1:], c)) + int(row[0])
                  for row in _ints(rng, (component.dim, len(c) + 1))]
    assert component.dim == 6
    assert count_solutions(equations, list(c)) == (component.degree, component.degree) == (4, 4)


def _qmul(p: list[sp.Expr], q: list[sp.Expr]) -> list[sp.Expr]:
    a1, b1, c1, d1 = p
    a2, b2, c2, d2 = q
    return [a1 * a2 - b1 * b2 - c1 * c2 - d1 * d2, a1 * b2 + b1 * a2 + c1 * d2 - d1 * c2,
            a1 * c2 - b1 * d2 + c1 * a2 + d1 * b2, a1 * d2 + b1 * c2 - c1 * b2 + d1 * a2]


@pytest.mark.parametrize("n", [2, 3])
def test_quaternionic_ed_degree_by_critical_points(n: int) -> None:
    """ED degree of M_{1, 2 x n}(H) (quaternionic rank <= 1, real dimension 4 (n + 1)) in R^{8n}: complex
    critical points of the squared distance from random integer data, in the chart Z = a b with
    a = (1, a_2)^T (a_2 in H) and b in H^{1 x n} (quaternion products written out), which parameterizes
    the rank-one matrices with a nonzero first row bijectively. Equals binom(min(2, n), 1) = 2, the
    closed form of docs/equivariance.md, independently of that derivation."""
    rng = np.random.default_rng(SEED)
    a2 = list(sp.symbols("a0:4"))
    b = [list(sp.symbols(f"b{j}_0:4")) for j in range(n)]
    one = [sp.Integer(1), 0, 0, 0]
    U = _ints(rng, (2, n, 4))
    objective = sum((x - int(u)) ** 2
                    for i, a in enumerate([one, a2]) for j in range(n)
                    for x, u in zip(_qmul(a, b[j]), U[i, j]))
    variables = a2 + [v for row in b for v in row]
    equations = [sp.diff(objective, v) for v in variables]
    X = DeterminantalVariety(2, n, 1, field="H")
    assert X.dim == len(variables)
    assert count_solutions(equations, variables) == (X.ed_degree, X.ed_degree) == (2, 2)
