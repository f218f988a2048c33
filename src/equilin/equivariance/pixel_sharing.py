"""Weight sharing in pixel space: which entries of a component's encoder and decoder carry one shared
weight, in the original coordinates (pixels) rather than in the adapted basis ``Q``.

A component's autoencoder is block diagonal in the adapted basis ``Q``
(:meth:`~equilin.equivariance.EquivariantComponent.weight_sharing` gives its templates there); in the
original coordinates the encoder is ``B Q^T`` and the decoder ``Q D``. Every entry of those is a linear
form in the free weights of the templates. :func:`pixel_sharing` groups the entries whose forms are
equal up to sign into *classes of tied weights*: the entries of one class carry one shared weight, some
of them negated. When ``Q`` restricted to every orbit has entries ``0, +-c`` only (orbits of sizes 1, 2
and 4, as in the talk's 3 x 3 rotation) the classes are the free weights themselves; on longer cycles a
pixel's weight mixes a cosine and a sine weight, and the classes are finer than the weights (a shift by
half a period negates a weight, a shift by a whole period repeats it).

:func:`invariant_sharing` is the encoder ``B = W E_P`` of the invariant autoencoder
(:meth:`~equilin.geometry.InvariantVariety.encoder_pattern`): one class per entry of ``W``.
:func:`equilin.plots.sharing_graph` draws either as the talk does.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:  # pragma: no cover
    from equilin.equivariance.variety import EquivariantComponent
    from equilin.geometry import InvariantVariety

__all__ = ["SharingClasses", "invariant_sharing", "pixel_sharing"]


class SharingClasses(NamedTuple):
    """Which tied weight sits at every entry of a matrix (encoder ``r' x n``, decoder ``n x r'``).

    ``ids`` holds the class of each entry, numbered ``0, 1, ...`` in order of first occurrence
    (row-major), ``-1`` where the entry is zero for every choice of the weights; ``signs`` holds ``+1``
    (the class's weight), ``-1`` (minus it) or ``0``. The first entry of every class has sign ``+1``.
    """

    ids: NDArray[np.int64]
    signs: NDArray[np.int64]

    @property
    def n_classes(self) -> int:
        """Number of distinct tied weights."""
        return int(self.ids.max(initial=-1) + 1)


def _classes(forms: Sequence[tuple[NDArray[np.int64], NDArray[np.float64]]], n: int) -> SharingClasses:
    """Classes of the entries of a ``len(forms) x n`` matrix whose row ``i`` is ``sum_t X_t w_{p_t}``
    for ``(p, X) = forms[i]`` (``p`` the weight ids, ``X`` their ``len(p) x n`` coefficients): entries
    with equal coefficient vectors up to sign share a class."""
    scale = max((float(np.abs(X).max(initial=0.0)) for _, X in forms), default=0.0)
    tol = 1e-9 * max(scale, 1e-300)
    # snap the magnitudes to representatives: values closer than tol are the same value
    values = np.sort(np.concatenate([np.abs(X[np.abs(X) > tol]) for _, X in forms] + [np.zeros(0)]))
    starts = np.concatenate([[True], np.diff(values) > tol]) if values.size else np.zeros(0, dtype=bool)
    reps = values[starts]
    ids = np.full((len(forms), n), -1, dtype=np.int64)
    signs = np.zeros((len(forms), n), dtype=np.int64)
    known: dict[tuple[tuple[int, int], ...], int] = {}
    for i, (p, X) in enumerate(forms):
        for j in range(n):
            col = X[:, j]
            nz = np.flatnonzero(np.abs(col) > tol)
            if nz.size == 0:
                continue
            level = np.searchsorted(reps, np.abs(col[nz]) + tol, side="right") - 1
            signed = np.where(col[nz] > 0, level + 1, -(level + 1))
            flip = -1 if signed[0] < 0 else 1
            key = tuple(zip(p[nz].tolist(), (flip * signed).tolist()))
            cls = known.setdefault(key, len(known))
            ids[i, j] = cls
            signs[i, j] = flip
    # the first entry of every class reads +1
    first = np.zeros(len(known), dtype=np.int64)
    flat_ids, flat_signs = ids.ravel(), signs.ravel()
    seen = np.zeros(len(known), dtype=bool)
    for k in np.flatnonzero(flat_ids >= 0):
        c = flat_ids[k]
        if not seen[c]:
            seen[c] = True
            first[c] = flat_signs[k]
    signs[ids >= 0] *= first[ids[ids >= 0]]
    return SharingClasses(ids, signs)


def pixel_sharing(component: EquivariantComponent, part: str = "encoder",
                  units: Sequence[int] | None = None) -> SharingClasses:
    """The tied weights of a component's encoder ``B Q^T`` or decoder ``Q D`` in the original coordinates.

    Parameters
    ----------
    component : EquivariantComponent
    part : {"encoder", "decoder"}
    units : sequence of int, optional
        Code units to keep (rows of the encoder, columns of the decoder; default all ``r'``); classes
        are numbered within the kept ones.

    Returns
    -------
    SharingClasses
        ``len(units) x n`` for the encoder, ``n x len(units)`` for the decoder.

    Examples
    --------
    The talk's 3 x 3 rotation (pixels in the talk's order: corners, edge midpoints, centre) and its
    component ``r_{1,1}=1 r_{4,3}=1 r_{2,1}=0``: the invariant code unit has one weight for the centre,
    one for the corners, one for the edge midpoints; the rotation pair has four weights, each on four
    edges (two in each unit), two of them negated.

    >>> from equilin.equivariance import EquivariantVariety
    >>> from equilin.groups import talk_rotation
    >>> C = EquivariantVariety(talk_rotation(3), 3).component((1, 1, 0))
    >>> S = pixel_sharing(C)
    >>> S.n_classes, S.ids.tolist()[0], S.signs.tolist()[1]
    (7, [0, 0, 0, 0, 1, 1, 1, 1, 2], [1, 1, -1, -1, 1, 1, -1, -1, 0])
    """
    if part not in ("encoder", "decoder"):
        raise ValueError(f"part must be 'encoder' or 'decoder', got {part!r}")
    W = component.weight_sharing()
    ids, signs = ((W.encoder_ids, W.encoder_signs) if part == "encoder"
                  else (W.decoder_ids.T, W.decoder_signs.T))
    width, n = ids.shape
    rows = list(range(width)) if units is None else [int(u) for u in units]
    bad = [u for u in rows if not 0 <= u < width]
    if bad:
        raise ValueError(f"units must be code units 0..{width - 1} of this component, got {bad}")
    forms = []
    for i in rows:
        p = np.unique(ids[i][ids[i] >= 0])
        Y = np.where(ids[i][None, :] == p[:, None], signs[i][None, :], 0).astype(np.float64)
        X = component.variety.from_coordinates(Y) if p.size else np.zeros((0, n))
        forms.append((p, np.atleast_2d(X)))
    classes = _classes(forms, n)
    if part == "decoder":
        return _classes_of_transpose(classes)
    return classes


def _classes_of_transpose(classes: SharingClasses) -> SharingClasses:
    """The same classes on the transposed matrix, renumbered in its row-major order (signs again +1
    at every class's first entry)."""
    ids, signs = classes.ids.T.copy(), classes.signs.T.copy()
    order: dict[int, int] = {}
    first: dict[int, int] = {}
    for k in np.flatnonzero(ids.ravel() >= 0):
        c = int(ids.flat[k])
        if c not in order:
            order[c] = len(order)
            first[c] = int(signs.flat[k])
    used = ids >= 0
    old = ids[used]
    ids[used] = [order[int(c)] for c in old]
    signs[used] = signs[used] * np.array([first[int(c)] for c in old], dtype=np.int64)
    return SharingClasses(ids, signs)


def invariant_sharing(variety: InvariantVariety) -> SharingClasses:
    """The tied weights of the invariant autoencoder's encoder ``B = W E_P`` (``rank x n``): entry
    ``(i, j)`` carries ``W[i, orbit of j]`` (:meth:`~equilin.geometry.InvariantVariety.encoder_pattern`).

    Examples
    --------
    >>> from equilin.geometry import InvariantVariety
    >>> from equilin.groups import Permutation
    >>> S = invariant_sharing(InvariantVariety(Permutation.from_cycles("(1 3 4)(2 5)", 5), m=5, rank=2))
    >>> S.ids.tolist(), S.n_classes
    ([[0, 1, 0, 0, 1], [2, 3, 2, 2, 3]], 4)
    """
    pattern = variety.encoder_pattern()
    forms = [(np.unique(row), (row[None, :] == np.unique(row)[:, None]).astype(np.float64)) for row in pattern]
    return _classes(forms, pattern.shape[1])
