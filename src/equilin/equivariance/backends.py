"""The backends of :class:`~equilin.equivariance.Commutant` (and so of
:class:`~equilin.equivariance.EquivariantVariety`), and which one a group gets.

``"fourier"`` (:mod:`equilin.equivariance.cyclic_fourier`, a cyclic group), ``"abelian"``
(:mod:`equilin.equivariance.grid_fourier`), ``"torus"`` (:mod:`equilin.equivariance.torus_fourier`) and
``"generic"`` (:mod:`equilin.equivariance.isotypic`, orbit-wise); all give the same blocks for the same
group (:class:`~equilin.equivariance.BlockStructure`).
"""

from __future__ import annotations

from functools import lru_cache

from equilin.equivariance.block_operator import BlockOperator
from equilin.equivariance.grid_fourier import AbelianFourierDecomposition
from equilin.equivariance.isotypic import IsotypicDecomposition
from equilin.equivariance.torus_fourier import TorusFourierDecomposition
from equilin.groups import AbelianStructure, PermutationGroup, TorusStructure

__all__ = ["METHODS", "choose_method"]

METHODS = ("auto", "fourier", "abelian", "torus", "generic")
"""The ``method`` values of :class:`~equilin.equivariance.EquivariantVariety` (``"auto"`` chooses, see
:func:`choose_method`)."""


def choose_method(group: PermutationGroup) -> str:
    """The backend ``method="auto"`` takes for ``group``, decided once, here: ``"fourier"`` when one of
    the given generators generates the group (FFTs along its cycles, the talk's blocks ``r_{l,m}``);
    ``"abelian"`` when the generators commute and every orbit is a grid of their cycles (multi-dimensional
    FFTs, blocks ``r_{(a_1,...,a_k)}``: translations of images and volumes, products of cyclic groups);
    ``"torus"`` when translations act regularly on one torus and the other generators affinely (the FFT
    over the translations, blocks ``r_{[(a_1,...,a_k)]}`` = frequency orbits of the point group: ``p4``,
    ``p4m``); ``"generic"`` otherwise (the orbit-wise isotypic decomposition).

    Examples
    --------
    >>> from equilin.groups import image_group
    >>> [choose_method(image_group(a, 4, 4)) for a in ("shift-x", "shift-xy", "p4m", "d4")]
    ['fourier', 'abelian', 'torus', 'generic']
    """
    if group.cyclic_generator() is not None:
        return "fourier"
    if AbelianStructure.of(group) is not None:
        return "abelian"
    if TorusStructure.of(group) is not None:
        return "torus"
    return "generic"


@lru_cache(maxsize=16)
def _decompose(group: PermutationGroup, seed: int, method: str) -> BlockOperator:
    """The block operator of ``method`` (``"abelian"``, ``"torus"`` or ``"generic"``) for ``group``,
    cached: varieties of several ranks of one group share it."""
    if method == "abelian":
        return AbelianFourierDecomposition(group)
    if method == "torus":
        return TorusFourierDecomposition(group)
    return IsotypicDecomposition(group, seed=seed)
