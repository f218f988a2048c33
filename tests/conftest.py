"""Shared fixtures and hypothesis strategies."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, settings
from hypothesis import strategies as st

from equilin import Permutation, PermutationGroup

settings.register_profile("default", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("default")


@pytest.fixture
def rng() -> np.random.Generator:
    """A seeded generator: every test run sees the same numbers."""
    return np.random.default_rng(20240410)


def sympy_group(group: PermutationGroup) -> Any:
    """The same group in sympy (an independent implementation for brute-force checks)."""
    import sympy.combinatorics as sc

    return sc.PermutationGroup([sc.Permutation(g.array.tolist()) for g in group.generators])


def group_elements(group: PermutationGroup) -> list[np.ndarray]:
    """Every element of the group as an image array, enumerated by sympy (not by equilin)."""
    return [np.array(p.array_form) for p in sympy_group(group).generate()]


@st.composite
def permutations(draw: st.DrawFn, min_n: int = 1, max_n: int = 12, n: int | None = None) -> Permutation:
    size = draw(st.integers(min_n, max_n)) if n is None else n
    return Permutation(draw(st.permutations(range(size))))


@st.composite
def groups(draw: st.DrawFn, min_n: int = 1, max_n: int = 12, max_gens: int = 3) -> PermutationGroup:
    n = draw(st.integers(min_n, max_n))
    gens = draw(st.lists(permutations(n=n), min_size=1, max_size=max_gens))
    return PermutationGroup(gens)


def small_general_groups() -> list[PermutationGroup]:
    """Non-cyclic groups for the generic (isotypic) path: the quaternion group on itself (a quaternionic
    block), A_4 on 4 points, rotations and flips of a 3 x 3 image, both shifts of a 3 x 4 image."""
    from equilin.groups import image_group

    q8 = PermutationGroup.from_cycles(["(1 3 2 4)(5 8 6 7)", "(1 5 2 6)(3 7 4 8)"], 8)
    a4 = PermutationGroup.from_cycles(["(1 2 3)", "(2 3 4)"], 4)
    return [q8, a4, image_group("d4", 3, 3), image_group("shift-xy", 3, 4)]


@st.composite
def grid_products(draw: st.DrawFn, max_gens: int = 3) -> PermutationGroup:
    """k commuting generators acting as the axis shifts on a few grids (random shapes) and on some
    fixed points, with the points relabelled at random."""
    k = draw(st.integers(1, max_gens))
    shapes = draw(st.lists(st.tuples(*[st.integers(1, 4)] * k), min_size=1, max_size=3))
    assume(any(o > 1 for shape in shapes for o in shape))       # not the trivial group
    fixed = draw(st.integers(0, 2))
    n = sum(math.prod(s) for s in shapes) + fixed
    images = [np.arange(n) for _ in range(k)]
    start = 0
    for shape in shapes:
        index = start + np.arange(math.prod(shape)).reshape(shape)
        for j in range(k):
            images[j][index] = np.roll(index, -1, axis=j)   # point at e goes to e + unit_j
        start += index.size
    relabel = np.array(draw(st.permutations(range(n))), dtype=np.int64)
    inverse = np.argsort(relabel)
    gens = [Permutation(relabel[g[inverse]]) for g in images]
    return PermutationGroup(gens)
