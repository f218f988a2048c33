"""The talk's MNIST figure: input digits in the top row, each model's reconstructions below."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike, NDArray

from equilin.plots.canvas import new_figure, save

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

__all__ = ["reconstructions"]


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
