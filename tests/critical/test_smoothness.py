"""Smooth points of the function spaces (equilin.critical.smoothness): interior points of a stride-one
LCN by root counting, and Parameterization.is_smooth_point for every family."""

from __future__ import annotations

import numpy as np
import pytest

from equilin.critical import Parameterization, stride_one_interior
from equilin.lcn import LCN

from critical_cases import families, one_thread  # noqa: F401 (one_thread: autouse fixture)


def test_stride_one_interior_by_root_counting() -> None:
    net = LCN(9, (2, 2, 3))                          # e = 2 even sizes: at least 2 real roots needed
    assert stride_one_interior(net, np.polynomial.polynomial.polyfromroots([-1, -2, -3, -4]))
    assert stride_one_interior(net, np.polynomial.polynomial.polyfromroots([-1, -1, -2, -3]))
    assert not stride_one_interior(net, np.polynomial.polynomial.polyfromroots([-1, -1, -2, -2]))
    assert stride_one_interior(net, np.polynomial.polynomial.polyfromroots([-1, -2, 1j, -1j]).real)
    assert not stride_one_interior(net, np.polynomial.polynomial.polyfromroots([1j, -1j, 2j, -2j]).real)
    assert stride_one_interior(net, [1.0, 1.0, 0.0, 0.0, 0.0])  # 1 + x: three roots at infinity
    assert not stride_one_interior(net, np.zeros(5))
    with pytest.raises(ValueError, match="all strides 1"):
        stride_one_interior(LCN(15, (3, 3), (2, 2)), np.ones(7))


def test_is_smooth_point_per_family(rng: np.random.Generator) -> None:
    for P in families():
        assert P.is_smooth_point(P.sample(rng)) is True
    strided = Parameterization.lcn(LCN(15, (3, 3), (2, 2)))
    assert strided.is_smooth_point(np.zeros(6)) is False
    assert strided.is_smooth_point(np.array([1.0, 2.0, 3.0, 1.0, 0.0, -1.0])) is True
    monomials = np.array([1.0, 0, 0, 1.0, 0, 0])  # u = 1: a non-regular point, smoothness not decided
    assert strided.jacobian_rank(monomials) < strided.dim and strided.is_smooth_point(monomials) is None
    boundary = Parameterization.lcn(LCN(6, (2, 2)))
    assert boundary.is_smooth_point(np.array([1.0, 1.0, 2.0, 2.0])) is False   # double root -1
    inv = families()[2]  # I^G_{2, 3x5} ~ M_{2, 3x2}: the whole space of invariant maps, smooth everywhere
    assert inv.is_smooth_point(np.zeros(inv.n_params)) is True
    assert Parameterization.dense((3, 1, 3)).is_smooth_point(np.zeros(6)) is False  # 0 in Sing M_{1, 3x3}
