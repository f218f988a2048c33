"""The talk's pictures of weight sharing: a graph with an edge per weight.

:func:`sharing_graph` draws the classes of tied weights of :func:`equilin.equivariance.pixel_sharing`
(an equivariant component's encoder or decoder in pixel space) or
:func:`equilin.equivariance.invariant_sharing` (the invariant encoder ``B = W E_P``) as the talk does:
input nodes in a row, code nodes in a row (and the outputs above them for a decoder), an edge per
nonzero weight, one colour per class, dashed where the weight is negated.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from equilin.equivariance import SharingClasses
from equilin.plots.canvas import new_figure, save

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

__all__ = ["sharing_graph", "GRAPH_COLOURS"]

GRAPH_COLOURS = 60
"""Most classes :func:`sharing_graph` draws (matplotlib's ``tab20``, ``tab20b`` and ``tab20c``: every
colour distinct, none reused)."""


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
        ``r x n`` (:func:`~equilin.equivariance.pixel_sharing`, :func:`~equilin.equivariance.invariant_sharing`).
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
    >>> from equilin.equivariance import invariant_sharing
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
