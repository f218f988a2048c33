"""Image models' code units as pictures: learned filters block by block, and tied pixel weights.

:func:`encoder_filters` draws a fitted equivariant autoencoder's encoder rows in pixel space (the
weights each code unit gives the pixels) as small images, one row of images per block of the component
(the filters of one frequency for the shifts), and a dense autoencoder's first rows below for
comparison. :func:`code_sharing` draws, for a few code units of a component, which of the unit's pixel
weights are one shared weight (:func:`~equilin.equivariance.pixel_sharing`): equal colour inside an orbit of the
group, a dot where the weight is negated.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from equilin.equivariance import pixel_sharing
from equilin.plots.canvas import new_figure, save

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

    from equilin.equivariance import Block, EquivariantComponent
    from equilin.models.closed_form import DenseAutoencoder, EquivariantAutoencoder

__all__ = ["encoder_filters", "code_sharing", "encoder_rows", "block_units", "block_name", "orbit_numbers"]


def _check_shape(shape: tuple[int, int], n: int) -> tuple[int, int]:
    h, w = (int(s) for s in shape)
    if h * w != n:
        raise ValueError(f"shape {shape} has {h * w} pixels, but the model acts on {n}")
    return h, w


def block_name(block: Block, cycle_length: int | None = None) -> str:
    """The block's label, with its spatial frequency on cycles of ``cycle_length`` when it has one."""
    if cycle_length is not None and block.eigenvalue is not None:
        try:
            return f"{block.label} (frequency {block.frequency(cycle_length)})"
        except ValueError:
            pass
    return block.label


def block_units(component: EquivariantComponent) -> list[range]:
    """The code units of every block, in block order: block ``b`` has ``w_b r_b`` consecutive units
    (a complex block's units come in (real, imaginary) pairs)."""
    out, start = [], 0
    for b, k in zip(component.blocks, component.ranks):
        out.append(range(start, start + b.weight * k))
        start += b.weight * k
    return out


def encoder_rows(model: EquivariantAutoencoder | DenseAutoencoder) -> NDArray[np.float64]:
    """A fitted linear autoencoder's encoder in pixel space (``code width x n``): the codes of the
    standard basis vectors, so row ``i`` is the weight code unit ``i`` gives every input."""
    n = int(model.n_features_in_)
    rows: NDArray[np.float64] = np.asarray(model.transform(np.eye(n)), dtype=np.float64).T
    return rows


def encoder_filters(model: EquivariantAutoencoder, shape: tuple[int, int],
                    path: str | os.PathLike[str] | None = None, *, per_block: int = 6,
                    dense: DenseAutoencoder | None = None, cycle_length: int | None = None,
                    title: str | None = None) -> Figure:
    """A fitted equivariant autoencoder's encoder rows as images, one row of images per block.

    Each image is one code unit's weights on the pixels (:func:`encoder_rows`), in a diverging colour
    map symmetric about 0 (red positive, blue negative, each image scaled to its own largest weight).
    Rows: the blocks of nonzero rank in block order, at most ``per_block`` units each (axes titled
    ``unit i``); then, with ``dense``, the dense autoencoder's first ``per_block`` rows.

    Parameters
    ----------
    model : EquivariantAutoencoder
        Fitted (closed form).
    shape : (int, int)
        Image height and width.
    path : path-like, optional
    per_block : int
        Units drawn per block.
    dense : DenseAutoencoder, optional
        A fitted dense autoencoder on the same images.
    cycle_length : int, optional
        Label cyclic blocks with their spatial frequency on cycles of this length (the image width for
        horizontal shifts).
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from equilin.groups import image_shift
    >>> from equilin.models.closed_form import EquivariantAutoencoder
    >>> X = np.random.default_rng(0).random((50, 16))
    >>> model = EquivariantAutoencoder(image_shift(4, 4), (2, 1, 0)).fit(X)
    >>> fig = encoder_filters(model, (4, 4), per_block=3)
    >>> [ax.get_title() for ax in fig.axes if ax.images]
    ['unit 0', 'unit 1', 'unit 2', 'unit 3']
    """
    component = model.component_
    rows = encoder_rows(model)
    h, w = _check_shape(shape, rows.shape[1])
    if per_block < 1:
        raise ValueError(f"per_block must be at least 1, got {per_block}")
    groups: list[tuple[str, list[tuple[str, NDArray[np.float64]]]]] = []
    for b, units in zip(component.blocks, block_units(component)):
        if len(units):
            shown = list(units)[:per_block]
            groups.append((f"{block_name(b, cycle_length)}\n{len(units)} units",
                           [(f"unit {u}", rows[u]) for u in shown]))
    if dense is not None:
        dense_rows = encoder_rows(dense)
        _check_shape(shape, dense_rows.shape[1])
        groups.append(("dense\n(no sharing)", [(f"dense {i}", dense_rows[i])
                                                for i in range(min(per_block, len(dense_rows)))]))
    cols = max((len(g[1]) for g in groups), default=1)
    fig = new_figure(1.0 * cols + 1.6, 1.05 * max(len(groups), 1) + 0.6)
    axes = fig.subplots(max(len(groups), 1), cols, squeeze=False)
    for i, (name, images) in enumerate(groups):
        for j in range(cols):
            ax = axes[i][j]
            ax.set_xticks([])
            ax.set_yticks([])
            if j >= len(images):
                ax.set_axis_off()
                continue
            label, row = images[j]
            top = float(np.abs(row).max()) or 1.0
            ax.imshow(row.reshape(h, w), cmap="RdBu_r", vmin=-top, vmax=top, interpolation="nearest")
            ax.set_title(label, fontsize=6, pad=2)
        axes[i][0].set_ylabel(name, rotation=0, ha="right", va="center", fontsize=7)
    fig.suptitle(title or "encoder rows in pixel space, block by block (red > 0 > blue)", fontsize=9)
    fig.subplots_adjust(left=1.5 / (1.0 * cols + 1.6), right=0.99, bottom=0.02, top=1 - 0.55 / fig.get_figheight(),
                        wspace=0.08, hspace=0.35)
    if path is not None:
        save(fig, path)
    return fig


def _default_units(component: EquivariantComponent, count: int) -> list[int]:
    starts = [units.start for units in block_units(component) if len(units)]
    if len(starts) <= count:
        return starts
    picks = np.unique(np.round(np.linspace(0, len(starts) - 1, count)).astype(int))
    return [starts[i] for i in picks]


def orbit_numbers(ids: NDArray[np.int64], orbits: Sequence[Sequence[int]]) -> NDArray[np.int64]:
    """Number the classes of one code unit (``ids``, length ``n``, ``-1`` for zero) within each orbit:
    ``0, 1, ...`` in order of first occurrence along the orbit's points; ``-1`` stays ``-1``."""
    out = np.full(ids.shape, -1, dtype=np.int64)
    number: dict[int, int] = {}
    for orbit in orbits:
        seen = 0
        for j in orbit:
            c = int(ids[j])
            if c < 0:
                continue
            if c not in number:
                number[c] = seen
                seen += 1
            out[j] = number[c]
    return out


def _orbit_walls(orbits: Sequence[Sequence[int]], h: int, w: int) -> list[list[tuple[float, float]]]:
    """Segments between 4-neighbour pixels of different orbits, in image coordinates."""
    label = np.empty(h * w, dtype=np.int64)
    for i, orbit in enumerate(orbits):
        label[list(orbit)] = i
    grid = label.reshape(h, w)
    walls = [[(x + 0.5, y - 0.5), (x + 0.5, y + 0.5)] for y, x in zip(*np.nonzero(grid[:, 1:] != grid[:, :-1]))]
    walls += [[(x - 0.5, y + 0.5), (x + 0.5, y + 0.5)] for y, x in zip(*np.nonzero(grid[1:] != grid[:-1]))]
    return [[(float(a), float(b)) for a, b in wall] for wall in walls]


def code_sharing(component: EquivariantComponent, shape: tuple[int, int],
                 path: str | os.PathLike[str] | None = None, *, units: Sequence[int] | None = None,
                 count: int = 4, cycle_length: int | None = None, title: str | None = None) -> Figure:
    """Which of a code unit's pixel weights are one shared weight, for a few code units.

    One image per unit (:func:`~equilin.equivariance.pixel_sharing` of the encoder): inside every orbit of the
    group (an image row for horizontal shifts) the unit's tied weights are numbered in order of first
    occurrence and coloured by that number (the colour bar), so equal colours inside an orbit are one
    shared weight; different orbits have their own weights, and white lines separate them. A black dot
    marks a pixel whose weight is minus the shared one; grey pixels have weight 0. Each axis is titled
    with the unit, its block and its counts of tied weights and negated pixels.

    Parameters
    ----------
    component : EquivariantComponent
    shape : (int, int)
        Image height and width.
    path : path-like, optional
    units : sequence of int, optional
        Code units to draw; default the first unit of ``count`` blocks of nonzero rank spread over the
        block order.
    count : int
    cycle_length : int, optional
        As in :func:`encoder_filters`.
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from equilin.equivariance import EquivariantVariety
    >>> from equilin.groups import image_shift
    >>> C = EquivariantVariety(image_shift(8, 8), 6).component((2, 2, 0, 0, 0))
    >>> fig = code_sharing(C, (8, 8), units=[0, 2])
    >>> [ax.get_title().splitlines()[0] for ax in fig.axes if ax.images]
    ['unit 0: r_{1,1}', 'unit 2: r_{8,7}']
    """
    h, w = _check_shape(shape, component.variety.n)
    chosen = list(units) if units is not None else _default_units(component, count)
    if not chosen:
        raise ValueError("the component has no code units (every rank is 0)")
    owner: dict[int, Block] = {u: b for b, r in zip(component.blocks, block_units(component)) for u in r}
    orbits = component.variety.group.orbits
    walls = _orbit_walls(orbits, h, w)
    fig = new_figure(max(3.4 * len(chosen) + 0.4, 8.0), 4.2)  # first: says how to install matplotlib
    from matplotlib import colormaps
    from matplotlib.collections import LineCollection
    from matplotlib.colors import ListedColormap

    axes = fig.subplots(1, len(chosen), squeeze=False)[0]
    for ax, unit in zip(axes, chosen):
        S = pixel_sharing(component, "encoder", [unit])
        local = orbit_numbers(S.ids[0], orbits)
        k = int(local.max(initial=-1)) + 1
        base: Any = colormaps["tab20"] if k <= 20 else colormaps["viridis"].resampled(k)
        cmap = ListedColormap([base(i) for i in range(k)] if k <= 20 else base(np.arange(k)),
                              name="tied").with_extremes(bad="0.85")
        img = np.ma.masked_less(local.reshape(h, w).astype(np.float64), 0)
        im = ax.imshow(img, cmap=cmap, vmin=-0.5, vmax=k - 0.5, interpolation="nearest")
        ys, xs = np.divmod(np.flatnonzero(S.signs[0] < 0), w)
        ax.scatter(xs, ys, s=max(2.0, 900.0 / (h * w)), c="black", marker="o", linewidths=0)
        ax.add_collection(LineCollection(walls, colors="white", linewidths=0.8))
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(f"unit {unit}: {block_name(owner[unit], cycle_length)}\n{S.n_classes} tied weights, "
                     f"{int((S.signs[0] < 0).sum())} negated", fontsize=7)
        bar = fig.colorbar(im, ax=ax, fraction=0.046, pad=0.03, ticks=np.arange(k) if k <= 14 else None)
        if k <= 14:
            bar.set_ticklabels([str(i + 1) for i in range(k)])
        bar.ax.tick_params(labelsize=6)
        bar.set_label("shared weight within its orbit", fontsize=6)
    fig.suptitle(title or "tied weights of code units in pixel space: one colour = one shared weight "
                 "inside an orbit, dot = negated, grey = 0", fontsize=8)
    fig.subplots_adjust(left=0.03, right=0.95, bottom=0.03, top=0.78, wspace=0.25)
    if path is not None:
        save(fig, path)
    return fig
