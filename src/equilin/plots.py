"""Figures: reconstructed digits (the talk's MNIST figure) and a component's weight-sharing pattern.

Drawn with matplotlib's object API on the Agg canvas (``matplotlib.figure.Figure`` with
``FigureCanvasAgg``): nothing here imports ``pyplot`` or changes matplotlib's global backend, so the
functions are safe in scripts, servers and tests. Each returns the :class:`~matplotlib.figure.Figure`
and, when given a path, writes it there (PNG, or any format matplotlib infers from the suffix).
matplotlib is an optional dependency (``pip install 'equilin[plots]'``); it is imported when a
function is called.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike, NDArray

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

    from equilin.equivariance import EquivariantComponent

__all__ = ["reconstructions", "weight_sharing", "new_figure", "save"]

_HINT = "plots need matplotlib: pip install matplotlib (or pip install 'equilin[plots]')"


def new_figure(width: float, height: float) -> Figure:
    """A matplotlib ``Figure`` (inches) attached to an Agg canvas; no pyplot state.

    Raises
    ------
    ImportError
        When matplotlib is not installed (the message says how to install it).
    """
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise ImportError(_HINT) from exc
    fig = Figure(figsize=(width, height))
    FigureCanvasAgg(fig)
    return fig


def save(fig: Figure, path: str | os.PathLike[str], dpi: int = 100) -> Path:
    """Write ``fig`` to ``path`` (parent directories created); returns the path."""
    file = Path(path)
    file.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(file, dpi=dpi)
    return file


def _as_images(values: ArrayLike, shape: tuple[int, int] | None, name: str) -> NDArray[np.float64]:
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim == 2 and shape is not None and arr.shape[1] == shape[0] * shape[1]:
        arr = arr.reshape(len(arr), *shape)
    if arr.ndim != 3:
        raise ValueError(f"{name} must be (N, H, W) images or (N, H*W) rows, got shape {arr.shape}")
    if shape is not None and arr.shape[1:] != shape:
        raise ValueError(f"{name} has images of size {arr.shape[1:]}, expected {shape}")
    return arr


def reconstructions(images: ArrayLike, rows: Sequence[tuple[str, ArrayLike]],
                    path: str | os.PathLike[str] | None = None, *, title: str | None = None,
                    vmin: float = 0.0, vmax: float = 1.0) -> Figure:
    """Inputs in the top row, each model's outputs in a row below (the talk's MNIST figure).

    Parameters
    ----------
    images : array_like
        ``(k, H, W)`` input images (e.g. nine shifted test digits).
    rows : sequence of (label, outputs)
        Each model's outputs for those images, ``(k, H, W)`` or ``(k, H*W)`` (row-major).
    path : path-like, optional
        Where to write the figure.
    title : str, optional
    vmin, vmax : float
        Grey scale range (outputs outside it are clipped in the picture only).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> x = np.random.default_rng(0).random((3, 8, 8))
    >>> fig = reconstructions(x, [("identity", x), ("half", x.reshape(3, 64) / 2)])
    >>> len(fig.axes)
    9
    """
    top = _as_images(images, None, "images")
    k, h, w = top.shape
    if k == 0:
        raise ValueError("images must hold at least one image")
    panels = [("input", top)]
    for label, values in rows:
        out = _as_images(values, (h, w), f"outputs of {label!r}")
        if len(out) != k:
            raise ValueError(f"outputs of {label!r} hold {len(out)} images, expected {k}")
        panels.append((label, out))
    fig = new_figure(1.0 * k + 1.2, 1.05 * len(panels) + (0.4 if title else 0.1))
    axes = fig.subplots(len(panels), k, squeeze=False)
    for i, (label, arr) in enumerate(panels):
        for j in range(k):
            ax = axes[i][j]
            ax.imshow(arr[j], cmap="gray", vmin=vmin, vmax=vmax, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
        axes[i][0].set_ylabel(label, rotation=0, ha="right", va="center", fontsize=8)
    if title:
        fig.suptitle(title, fontsize=9)
    fig.subplots_adjust(left=1.1 / (1.0 * k + 1.2), right=0.99, bottom=0.02,
                        top=0.9 if title else 0.98, wspace=0.05, hspace=0.08)
    if path is not None:
        save(fig, path)
    return fig


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
