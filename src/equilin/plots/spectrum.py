"""Where the data's energy lies, block by block, and the ranks each model gives the blocks.

:func:`block_energy` reads a fitted equivariant autoencoder's statistics (the blocks' Gram matrices
``C_b^H C_b`` of the training data in the basis ``Q``): block ``b`` holds the share
``trace(C_b^H C_b) / sum_c trace(C_c^H C_c)`` of the training data's sum of squares. :func:`spectrum`
draws those shares (bars, log scale) above the rank every model gives every block (grouped bars), so
one sees which models spend their budget where the data is.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike, NDArray

from equilin.plots.canvas import new_figure, save

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

    from equilin.models.closed_form import EquivariantAutoencoder

__all__ = ["block_energy", "spectrum"]


def block_energy(model: EquivariantAutoencoder) -> NDArray[np.float64]:
    """Each block's share of the training data's sum of squares, in block order (sums to 1).

    Examples
    --------
    >>> from equilin.groups import Permutation
    >>> from equilin.models.closed_form import EquivariantAutoencoder
    >>> X = np.array([[2.0, 2.0], [1.0, -1.0]])
    >>> block_energy(EquivariantAutoencoder(Permutation.from_cycles("(1 2)", 2), (1, 0)).fit(X)).round(12).tolist()
    [0.8, 0.2]
    """
    grams = model.gram_inputs_
    traces = np.array([float(np.real(np.trace(g))) for g in (grams if isinstance(grams, list) else [grams])])
    total = traces.sum()
    if not total > 0:
        raise ValueError("the training data are all zero: no energy to share out")
    shares: NDArray[np.float64] = traces / total
    return shares


def spectrum(labels: Sequence[str], energy: ArrayLike, ranks: Mapping[str, Sequence[int]],
             path: str | os.PathLike[str] | None = None, *, ticks: Sequence[str] | None = None,
             xlabel: str = "block", title: str | None = None) -> Figure:
    """The data's energy per block (top) and each model's rank per block (bottom).

    Parameters
    ----------
    labels : sequence of str
        Block labels in block order.
    energy : array_like
        Each block's share of the data's sum of squares (:func:`block_energy`), drawn as bars on a log
        scale (zero shares are left out).
    ranks : mapping of str to sequence of int
        Model name -> its rank per block; drawn as grouped bars, one colour per model, in the mapping's
        order (legend).
    path : path-like, optional
    ticks : sequence of str, optional
        Tick labels for the blocks (default ``labels``), e.g. spatial frequencies.
    xlabel : str
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = spectrum(["a", "b", "c"], [0.7, 0.2, 0.1], {"low": [2, 1, 0], "high": [0, 1, 2]})
    >>> [ax.get_ylabel() for ax in fig.axes]
    ['share of sum of squares', 'rank']
    >>> [float(bar.get_height()) for bar in fig.axes[1].containers[1]]
    [0.0, 1.0, 2.0]
    """
    names = list(labels)
    share = np.asarray(energy, dtype=np.float64)
    if share.shape != (len(names),):
        raise ValueError(f"energy must have one value per block ({len(names)}), got shape {share.shape}")
    for model, values in ranks.items():
        if len(values) != len(names):
            raise ValueError(f"ranks of {model!r} must have one value per block ({len(names)}), got {len(values)}")
    tick_labels = list(ticks) if ticks is not None else names
    if len(tick_labels) != len(names):
        raise ValueError(f"ticks must have one label per block ({len(names)}), got {len(tick_labels)}")
    x = np.arange(len(names), dtype=np.float64)
    fig = new_figure(float(np.clip(0.45 * len(names) + 2.5, 6.0, 16.0)), 5.2)
    top, bottom = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [1, 1.2]})
    positive = share > 0
    top.bar(x[positive], share[positive], color="0.45", width=0.7)
    top.set_yscale("log")
    top.set_ylabel("share of sum of squares", fontsize=8)
    top.set_title(title or "the data's share of energy per block (top)\nand the rank each model gives it (bottom)",
                  fontsize=9)
    count = max(len(ranks), 1)
    width = 0.8 / count
    for i, (model, values) in enumerate(ranks.items()):
        bottom.bar(x - 0.4 + width * (i + 0.5), np.asarray(values, dtype=np.float64), width=width, label=model)
    bottom.set_ylabel("rank", fontsize=8)
    bottom.yaxis.get_major_locator().set_params(integer=True)
    bottom.set_xlabel(xlabel, fontsize=8)
    bottom.set_xticks(x)
    bottom.set_xticklabels(tick_labels, fontsize=7, rotation=0 if ticks is not None else 45)
    if ranks:
        bottom.legend(fontsize=7, ncol=min(len(ranks), 4), loc="upper right")
    for ax in (top, bottom):
        ax.tick_params(labelsize=7)
        ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    if path is not None:
        save(fig, path)
    return fig
