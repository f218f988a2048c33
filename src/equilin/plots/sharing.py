"""Weight sharing in pixel space, and the talk's pictures of it: a graph with an edge per weight.

A component's autoencoder is block diagonal in the adapted basis ``Q``
(:meth:`~equilin.equivariance.EquivariantComponent.weight_sharing` gives its templates there); in the
original coordinates (pixels) the encoder is ``B Q^T`` and the decoder ``Q D``. Every entry of those is
a linear form in the free weights of the templates. :func:`pixel_sharing` groups the entries whose forms
are equal up to sign into *classes of tied weights*: the entries of one class carry one shared weight,
some of them negated. When ``Q`` restricted to every orbit has entries ``0, +-c`` only (orbits of sizes
1, 2 and 4, as in the talk's 3 x 3 rotation) the classes are the free weights themselves; on longer
cycles a pixel's weight mixes a cosine and a sine weight, and the classes are finer than the weights
(a shift by half a period negates a weight, a shift by a whole period repeats it).

:func:`invariant_sharing` is the encoder ``B = W E_P`` of the invariant autoencoder
(:meth:`~equilin.geometry.InvariantVariety.encoder_pattern`): one class per entry of ``W``.
:func:`sharing_graph` draws either as the talk does: input nodes in a row, code nodes in a row (and the
outputs above them for a decoder), an edge per nonzero weight, one colour per class, dashed where the
weight is negated.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
from numpy.typing import NDArray

from equilin.plots.canvas import new_figure, save

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

    from equilin.equivariance import EquivariantComponent
    from equilin.geometry import InvariantVariety

__all__ = ["SharingClasses", "pixel_sharing", "invariant_sharing", "sharing_graph", "GRAPH_COLOURS"]

GRAPH_COLOURS = 60
"""Most classes :func:`sharing_graph` draws (matplotlib's ``tab20``, ``tab20b`` and ``tab20c``: every
colour distinct, none reused)."""


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


def _palette(count: int) -> list[tuple[float, float, float, float]]:
    from matplotlib import colormaps

    names = ["tab10"] if count <= 10 else ["tab20"] if count <= 20 else ["tab20", "tab20b", "tab20c"]
    colours = [tuple(colormaps[name](k)) for name in names for k in range(colormaps[name].N)]
    return colours[:count]  # type: ignore[return-value]


def sharing_graph(encoder: SharingClasses, decoder: SharingClasses | None = None,
                  path: str | os.PathLike[str] | None = None, *, input_labels: Sequence[str] | None = None,
                  code_labels: Sequence[str] | None = None, title: str | None = None) -> Figure:
    """The talk's picture of weight sharing: an edge per nonzero weight, coloured by its tied weight.

    Input nodes in the bottom row, code nodes in the middle row and, with a decoder, output nodes in the
    top row. Each edge is a line coloured by its class (one colour per tied weight; the decoder's
    classes get colours after the encoder's) and dashed where the entry is minus the class's weight.
    Each edge's ``gid`` is ``"encoder:i:j"`` (code ``i``, input ``j``) or ``"decoder:j:i"`` (output
    ``j``, code ``i``).

    Parameters
    ----------
    encoder : SharingClasses
        ``r x n`` (:func:`pixel_sharing`, :func:`invariant_sharing`).
    decoder : SharingClasses, optional
        ``n x r``.
    path : path-like, optional
        Where to write the figure.
    input_labels, code_labels : sequence of str, optional
        Node names (default ``x1..xn``, ``z1..zr``); outputs are named as inputs.
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        More than :data:`GRAPH_COLOURS` classes, or shapes that do not match.

    Examples
    --------
    >>> from equilin.geometry import InvariantVariety
    >>> from equilin.groups import Permutation
    >>> X = InvariantVariety(Permutation.from_cycles("(1 3 4)(2 5)", 5), m=5, rank=2)
    >>> fig = sharing_graph(invariant_sharing(X))
    >>> len(fig.axes[0].lines), len({line.get_color() for line in fig.axes[0].lines})
    (10, 4)
    """
    r, n = encoder.ids.shape
    if decoder is not None and decoder.ids.shape != (n, r):
        raise ValueError(f"decoder must be {n} x {r} to match the {r} x {n} encoder, got {decoder.ids.shape}")
    inputs = list(input_labels) if input_labels is not None else [f"x{j + 1}" for j in range(n)]
    codes = list(code_labels) if code_labels is not None else [f"z{i + 1}" for i in range(r)]
    if len(inputs) != n or len(codes) != r:
        raise ValueError(f"need {n} input labels and {r} code labels, got {len(inputs)} and {len(codes)}")
    n_enc = encoder.n_classes
    total = n_enc + (decoder.n_classes if decoder is not None else 0)
    if total > GRAPH_COLOURS:
        raise ValueError(f"{total} tied weights are too many to tell apart by colour (at most {GRAPH_COLOURS}); "
                         "draw code units as images with equilin.plots.code_sharing instead")
    width = float(np.clip(0.75 * n + 2.0, 6.0, 16.0))
    layers = 3 if decoder is not None else 2
    fig = new_figure(width, 1.5 * layers + 0.9)  # first: says how to install matplotlib
    colours = _palette(total)
    lines = title.count("\n") + 1 if title else 0
    ax = fig.add_axes((0.01, 0.02, 0.98, 0.96 - 0.19 * lines / fig.get_figheight()))
    x_in = np.arange(n, dtype=np.float64)
    x_code = (n - 1) / 2 + (np.arange(r) - (r - 1) / 2) * max((n - 1) / max(r, 1), 1.0)
    heights = (0.0, 1.0, 2.0)

    def edges(classes: SharingClasses, name: str, offset: int, y0: float, y1: float, transpose: bool) -> None:
        for a, b in zip(*np.nonzero(classes.ids >= 0)):
            code, pixel = (b, a) if transpose else (a, b)
            cls = int(classes.ids[a, b])
            line, = ax.plot([x_in[pixel], x_code[code]], [y0, y1], color=colours[offset + cls], lw=1.8,
                            linestyle="--" if classes.signs[a, b] < 0 else "-", zorder=1)
            line.set_gid(f"{name}:{a}:{b}")

    edges(encoder, "encoder", 0, heights[0], heights[1], False)
    if decoder is not None:
        edges(decoder, "decoder", n_enc, heights[2], heights[1], True)
    rows = [(x_in, heights[0], inputs), (x_code, heights[1], codes)]
    if decoder is not None:
        rows.append((x_in, heights[2], inputs))
    for (xs, y, names), layer in zip(rows, ("inputs", "code", "outputs")):
        ax.text(-1.0, y, layer, ha="right", va="center", fontsize=8, style="italic")
        ax.scatter(xs, np.full(len(xs), y), s=520, c="white", edgecolors="black", zorder=2)
        for x, label in zip(xs, names):
            ax.text(x, y, label, ha="center", va="center", fontsize=7, zorder=3)
    ax.set_xlim(-2.0, n - 0.3)
    ax.set_ylim(-0.35, heights[layers - 1] + 0.35)
    ax.set_axis_off()
    fig.suptitle(title or "", fontsize=9)
    if path is not None:
        save(fig, path)
    return fig
