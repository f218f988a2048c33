"""equilin.equivariance.components: the maximal rank tuples (the components of E_r) for every cycle type
up to n = 7, their kinds, the dimension and degree of E_r, and generic points of every component."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from equilin.equivariance import Block, ComponentCount, EquivariantVariety, count_components
from equilin.groups import Permutation


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
