"""A component's weight-sharing templates in the adapted basis ``Q`` (not in pixel space: see
:mod:`equilin.plots.sharing` for the pictures in the original coordinates)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from equilin.plots.canvas import new_figure, save

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

    from equilin.equivariance import EquivariantComponent

__all__ = ["weight_sharing"]


def _id_colours(ids: NDArray[np.int64], cmap: str) -> NDArray[np.float64]:
    from matplotlib import colormaps

    colours = colormaps[cmap]
    n_colours = getattr(colours, "N", 256)
    rgba = np.ones(ids.shape + (4,))
    used = ids >= 0
    rgba[used] = colours((ids[used] % n_colours) / max(n_colours - 1, 1))
    return rgba


def weight_sharing(component: EquivariantComponent, path: str | os.PathLike[str] | None = None, *,
                   title: str | None = None, cmap: str = "tab20") -> Figure:
    """The weight-sharing pattern of a component's autoencoder, in the basis ``Q_sigma``.

    Two panels from :meth:`~equilin.equivariance.EquivariantComponent.weight_sharing`: the encoder
    (``r' x n``) and the decoder, drawn transposed (``r' x n`` too) so both are wide. Each entry is
    coloured by the id of the weight it uses (colours cycle through ``cmap``; equal colours within a
    2 x 2 complex cell are the same weight), white entries are structurally zero, and a black dash
    marks an entry that is minus its weight (the ``-b`` of the complex pattern ``[[a, -b], [b, a]]``).

    Parameters
    ----------
    component : EquivariantComponent
    path : path-like, optional
        Where to write the figure.
    title : str, optional
        Default: the component's labelled ranks and parameter count.
    cmap : str
        A matplotlib colormap name.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from equilin.equivariance import EquivariantVariety
    >>> from equilin.groups import Permutation
    >>> E = EquivariantVariety(Permutation.from_cycles("(1 2 3 4)(5 6 7 8)", 9), 3)
    >>> fig = weight_sharing(E.component((1, 1, 0)))
    >>> [ax.get_title() for ax in fig.axes]
    ['encoder (3 x 9)', 'decoder, transposed (3 x 9)']
    """
    pattern = component.weight_sharing()
    enc_ids, enc_signs = pattern.encoder_ids, pattern.encoder_signs
    dec_ids, dec_signs = pattern.decoder_ids.T, pattern.decoder_signs.T
    rows, n = enc_ids.shape
    width = float(np.clip(n / 8, 6.0, 16.0))
    panel = max(width * rows / max(n, 1), 0.6)
    height = 2 * panel + 1.6
    fig = new_figure(width, height)
    axes = fig.subplots(2, 1, squeeze=False)[:, 0]
    cell_points = 72.0 * width * 0.9 / max(n, 1)
    for ax, ids, signs, name in ((axes[0], enc_ids, enc_signs, "encoder"),
                                 (axes[1], dec_ids, dec_signs, "decoder, transposed")):
        ax.imshow(_id_colours(ids, cmap), interpolation="nearest", aspect="auto")
        neg_r, neg_c = np.nonzero(signs < 0)
        if neg_r.size:
            ax.scatter(neg_c, neg_r, marker="_", c="black", s=max(cell_points ** 2 * 0.5, 0.5),
                       linewidths=max(cell_points / 6, 0.3))
        ax.set_title(f"{name} ({rows} x {n})", fontsize=9)
        ax.set_xlabel("coordinate in the basis Q_sigma (block by block)", fontsize=8)
        ax.set_ylabel("code", fontsize=8)
        ax.tick_params(labelsize=7)
    ranks = " ".join(f"{label}={k}" for label, k in component.labelled_ranks.items() if k) or "all 0"
    fig.suptitle(title or f"weight sharing of {ranks} ({component.n_params:,} parameters)\n"
                 "colour = shared weight, dash = negated weight, white = 0", fontsize=8)
    fig.subplots_adjust(left=0.06, right=0.99, top=1 - 0.7 / height, bottom=0.4 / height,
                        hspace=0.75 / panel)
    if path is not None:
        save(fig, path)
    return fig
