"""Blocks and block structures: value semantics, the cyclic view, and one structure per group whatever
the backend or presentation."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from equilin.equivariance import Block, BlockStructure, EquivariantVariety, Ranks, blocks_of
from equilin.geometry import COMPLEX, QUATERNIONIC, REAL, DeterminantalVariety, ProductVariety
from equilin.groups import AbelianStructure, Permutation, PermutationGroup, talk_rotation

from conftest import group_elements, permutations


def test_block_value_and_repr_parse_back() -> None:
    b = Block.cyclic(4, 3, 2)
    assert (b.label, b.field, b.size, b.weight, b.eigenvalue, b.kind) == ("r_{4,3}", COMPLEX, 2, 2, (4, 3), "complex")
    assert hash(b) == hash(Block.cyclic(4, 3, 2)) and b == Block(COMPLEX, 2, 2, "r_{4,3}")   # eigenvalue not compared
    namespace = {"Block": Block, "REAL": REAL, "COMPLEX": COMPLEX, "QUATERNIONIC": QUATERNIONIC}
    for block in (b, Block(QUATERNIONIC, 3, 4, "r_{V5}"), Block.cyclic(1, 1, 7)):
        assert eval(repr(block), namespace) == block
    with pytest.raises(AttributeError):
        b.size = 3                                          # type: ignore[misc]


@pytest.mark.parametrize("args, message", [
    ((COMPLEX, 2, 2, "r_{4,1}", (), (4, 1)), "1/2 < m/l < 1"),
    ((COMPLEX, 2, 2, "r_{4,2}", (), (4, 2)), "gcd"),
    ((COMPLEX, 1, 2, "r_{2,1}", (), (2, 1)), "l >= 3"),
    ((REAL, 1, 2, "r_{1,1}", (), (1, 1)), "weight 1"),
    ((REAL, 1, 1, "r_{3,2}", (), (3, 2)), r"\(1, 1\) or \(2, 1\)"),
    ((REAL, 0, 1, "r_{1,1}"), "size"),
    ((QUATERNIONIC, 1, 2, "r_{V1}"), "divisible by 4"),
    (("complex", 1, 2, "r_{V1}"), "equilin.geometry.REAL, COMPLEX or QUATERNIONIC"),
    ((REAL, 1, 1, ""), "non-empty string"),
])
def test_bad_blocks(args: tuple, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Block(*args)


def test_the_cyclic_view_needs_an_eigenvalue() -> None:
    with pytest.raises(ValueError, match="not a block of a cyclic group"):
        _ = Block(REAL, 1, 1, "r_{V1}").l
    assert [b.frequency(12) for b in blocks_of({12: 1})] == list(range(7))


@settings(max_examples=60, deadline=None)
@given(sigma=permutations(max_n=14), e=st.integers(0, 30))
def test_characters_add_up_to_the_fixed_points(sigma: Permutation, e: int) -> None:
    """sum_i m_i chi_i(sigma^e) = trace P_{sigma^e} = the number of points sigma^e fixes (an independent
    count), for the characters of Block.cyclic."""
    blocks = EquivariantVariety(PermutationGroup([sigma, sigma ** e]), 0, method="fourier").blocks
    for j, h in enumerate((sigma, sigma ** e)):
        fixed = int((h.array == np.arange(sigma.n)).sum())
        assert math.isclose(sum(b.size * b.character[j] for b in blocks), fixed, abs_tol=1e-6)


def test_block_structure_value() -> None:
    S = BlockStructure((Block.cyclic(1, 1, 3), Block.cyclic(4, 3, 2), Block.cyclic(2, 1, 2)))
    assert S["r_{4,3}"] is S[1] and S.index("r_{2,1}") == 2 and list(S) == list(S.blocks)
    assert (S.n, S.commutant_dim, S.weights) == (9, 21, (1, 2, 1))
    assert S == BlockStructure(tuple(S)) and hash(S) == hash(BlockStructure(tuple(S)))
    message = "no block labelled 'r_{3,2}'; the blocks are r_{1,1}, r_{4,3}, r_{2,1}"
    with pytest.raises(ValueError, match=re.escape(message)):
        S.index("r_{3,2}")
    with pytest.raises(ValueError, match="distinct"):
        BlockStructure((Block.cyclic(1, 1, 3), Block.cyclic(1, 1, 2)))
    with pytest.raises(ValueError, match="Block values"):
        BlockStructure((1, 2))                              # type: ignore[arg-type]


def test_block_structure_products_of_determinantal_varieties() -> None:
    """dim, degree, ED degree, max rank and parameters of prod_i M_{k_i}(D_i): sums and products of the
    blocks' values, equal to those of the product of determinantal varieties and of the component."""
    S = BlockStructure((Block.cyclic(1, 1, 3), Block.cyclic(4, 3, 2), Block.cyclic(2, 1, 2),
                        Block(QUATERNIONIC, 2, 4, "r_{V4}")))
    ranks = (1, 1, 0, 1)
    factors = ProductVariety([DeterminantalVariety(b.size, b.size, k, b.field.name) for b, k in zip(S, ranks)])
    assert (S.dim_of(ranks), S.degree_of(ranks), S.ed_degree_of(ranks)) == \
        (factors.dim, factors.degree, factors.ed_degree)
    assert S.max_rank_of(ranks) == 1 + 2 + 0 + 4 and S.n_params_of(ranks) == sum(
        b.n_params_of(k) for b, k in zip(S, ranks))
    assert S.dim_of(dict(zip(S.labels, ranks))) == S.dim_of(ranks) == S.dim_of(Ranks.of(S, ranks))
    assert S.dim_of(tuple(b.size for b in S)) == S.commutant_dim and S.max_rank_of((3, 2, 2, 2)) == S.n
    E = EquivariantVariety(talk_rotation(3), 3)
    for C in E.components():
        T = E.block_structure
        assert (T.dim_of(C.ranks), T.degree_of(C.ranks), T.ed_degree_of(C.ranks), T.max_rank_of(C.ranks),
                T.n_params_of(C.ranks)) == (C.dim, C.degree, C.ed_degree, C.max_rank, C.n_params)
    assert S.dim_of({S.labels[0]: 1}) == S.dim_of((1, 0, 0, 0))        # blocks left out: rank 0
    for bad, message in [((1, 1, 0), "expected 4 ("), ((4, 0, 0, 0), "exceeds the block size"),
                         ((-1, 0, 0, 0), "rank r_{1,1} must be"), ({"r_{9,9}": 1}, "unknown block 'r_{9,9}'"),
                         (1.5, "a tuple in block order")]:
        with pytest.raises(ValueError, match=re.escape(message)):
            S.dim_of(bad)                                   # type: ignore[arg-type]


def _orbitals(group: PermutationGroup) -> int:
    """Orbits of the group on pairs of points, by brute force over its elements."""
    n = group.n
    seen, count = np.zeros((n, n), dtype=bool), 0
    elements = group_elements(group)
    for i in range(n):
        for j in range(n):
            if not seen[i, j]:
                count += 1
                for g in elements:
                    seen[g[i], g[j]] = True
    return count


@settings(max_examples=40, deadline=None)
@given(sigma=permutations(max_n=12), extra=st.lists(st.integers(0, 20), max_size=2), data=st.data())
def test_one_structure_per_cyclic_group_whatever_the_presentation_or_backend(sigma: Permutation,
                                                                             extra: list[int],
                                                                             data: st.DataObject) -> None:
    """<sigma> given with redundant powers, in any order, on every backend that applies: one
    BlockStructure, the talk's (blocks_of the cycle type), with n and the commutant's dimension equal
    to the brute-force counts."""
    gens = [sigma] + [sigma ** e for e in extra]
    gens = data.draw(st.permutations(gens))
    group = PermutationGroup(gens)
    talk = BlockStructure(blocks_of(dict(sigma.cycle_type)))
    methods = ["fourier", "generic"] + (["abelian"] if AbelianStructure.of(group) is not None else [])
    generic = EquivariantVariety(group, 0, method="generic").blocks
    fixed = [int((g.array == np.arange(group.n)).sum()) for g in group.generators]
    for method in methods:
        if method == "fourier" and group.cyclic_generator() is None:
            continue
        blocks = EquivariantVariety(group, 0, method=method).blocks
        assert BlockStructure(blocks) == talk, method
        # characters on every given generator: the same on every backend, and they add up to the fixed points
        assert np.allclose([b.character for b in blocks], [b.character for b in generic], atol=1e-8), method
        assert np.allclose(np.array([b.size for b in blocks]) @ np.array([b.character for b in blocks]), fixed)
    assert talk.n == sigma.n and talk.commutant_dim == _orbitals(group)


def test_ranks_value() -> None:
    R = Ranks("r_{1,1}=2  r_{4,3}=1 r_{2,1}=0")
    assert R == {"r_{1,1}": 2, "r_{4,3}": 1, "r_{2,1}": 0} and list(R) == ["r_{1,1}", "r_{4,3}", "r_{2,1}"]
    assert eval(repr(R), {"Ranks": Ranks}) == R and hash(R) == hash(Ranks(dict(R))) and str(R) == R.text
    assert Ranks({Block.cyclic(3, 2, 1): 1}) == Ranks("r_{3,2}=1")
    with pytest.raises(AttributeError, match="immutable"):
        R.text = "x"                                        # type: ignore[misc]
    with pytest.raises(KeyError):
        R["r_{3,2}"]


@pytest.mark.parametrize("ranks, message", [
    ("r_{1,1}=-1", "ranks >= 0"),
    ("r_{1,1}:1", "'label=rank' items"),
    ("r_{1,1}=1 r_{1,1}=2", "given twice"),
    ({"r {1,1}": 1}, "without spaces"),
    ({"r_{1,1}": 1.5}, "rank of r_{1,1}"),
    ({"r_{1,1}": -2}, "rank of r_{1,1}"),
    ((1, 2), "text or a mapping"),
])
def test_bad_ranks(ranks: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Ranks(ranks)                                        # type: ignore[arg-type]
