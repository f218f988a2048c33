"""equilin.equivariance.lowrank: a component's points as decoder x encoder, from Gaussian factors and as
the nearest point to a thin product, without n x n arrays."""

from __future__ import annotations

import itertools
import tracemalloc

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from equilin.equivariance import EquivariantVariety
from equilin.geometry import square_degree
from equilin.groups import Permutation, volume_rot90

from conftest import permutations


def test_volume_geometry_without_n_by_n(rng: np.random.Generator) -> None:
    """32 x 32 x 32 volume (n = 32768): blocks, counts, dim/degree/ED degree and a component's nearest
    point to a rank-3 matrix, never allocating an n x n array (8 GiB)."""
    shift = Permutation(np.roll(np.arange(32**3).reshape(32, 32, 32), 1, axis=2).ravel())
    for sigma in [volume_rot90(32), shift]:
        tracemalloc.start()
        E = EquivariantVariety(sigma, 12)
        count = E.count_components()
        geometry = (E.dim, E.degree, E.ed_degree)
        C = next(E.components())
        A = rng.standard_normal((sigma.n, 3))
        B = rng.standard_normal((3, sigma.n))
        dec, enc = C.nearest_lowrank(A, B)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert peak < 100 * 2**20  # an n x n float64 array would be 8 GiB
        assert dec.shape == (sigma.n, C.max_rank) and enc.shape == (C.max_rank, sigma.n)
        x = rng.standard_normal(sigma.n)
        np.testing.assert_allclose(dec @ (enc @ sigma.act(x)), sigma.act(dec @ (enc @ x)), atol=1e-9)
        assert all(v > 0 for v in geometry) and count.total >= count.rank_r > 0
    E = EquivariantVariety(volume_rot90(32), 12)
    assert [b.label for b in E.blocks] == ["r_{1,1}", "r_{4,3}", "r_{2,1}"]
    assert E.spectrum == {1: 8192, 2: 8192, 4: 8192}
    comps = list(E.components())
    assert E.count_components() == (len(comps), sum(c.kind == "rank r" for c in comps)) == (49, 49)
    assert E.dim == max(c.dim for c in comps) == 3 * 16381 + 2 * 3 * 16381 + 3 * 16381
    assert E.degree == sum(c.degree for c in comps if c.dim == E.dim) == square_degree(8192, 3) ** 4
    assert E.ed_degree == sum(c.ed_degree for c in comps)
    assert len(EquivariantVariety(shift, 12).blocks) == 17


@given(permutations(max_n=9), st.integers(0, 9), st.integers(1, 3), st.integers(0, 2**32 - 1))
@settings(max_examples=25)
def test_nearest_lowrank_matches_dense(sigma: Permutation, r: int, k: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    E = EquivariantVariety(sigma, r)
    A, B = rng.standard_normal((sigma.n, k)), rng.standard_normal((k, sigma.n))
    for C in itertools.islice(E.components(), 4):
        dec, enc = C.nearest_lowrank(A, B)
        np.testing.assert_allclose(dec @ enc, C.nearest(A @ B), atol=1e-9)
        dec, enc = C.sample_factors(rng)
        assert C.contains(dec @ enc)
