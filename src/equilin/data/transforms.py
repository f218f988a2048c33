"""Moves of image stacks ``(N, H, W)``: random sub-pixel shifts, random dihedral moves, cyclic shifts.

* :func:`shift_images`: every image shifted by its own uniform random real offset (bilinear, clamped
  border), the data of the authors' MNIST experiment (docs/math.md section 6).
* :func:`dihedral_images`: every square image moved by its own random element of ``D_4``, the action
  of :func:`equilin.groups.image_group` ``("d4", p, p)``.
* :func:`cyclic_shift`: the integer cyclic shift, the action of :func:`equilin.groups.image_shift` on
  images.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["shift_images", "dihedral_images", "cyclic_shift"]

_SHIFT_BLOCK = 8192  # images interpolated at a time by shift_images


def _axis_index(axis: Any) -> int:
    if axis == "x":
        return 2
    if axis == "y":
        return 1
    raise ValueError(f"axis must be 'x' (along the width) or 'y' (along the height), got {axis!r}")


def _check_images(images: Any, need_float: bool) -> NDArray[Any]:
    arr = np.asarray(images)
    if arr.ndim != 3:
        raise ValueError(f"images must be a 3-D array (N, H, W), got shape {arr.shape}")
    if need_float and arr.dtype not in (np.float32, np.float64):
        raise ValueError(f"images must be float32 or float64 for shifting, got dtype {arr.dtype}")
    return arr


def shift_images(
    images: NDArray[np.floating[Any]],
    max_fraction: float = 0.2,
    *,
    axis: str = "x",
    order: int = 1,
    mode: str = "nearest",
    seed: int | np.random.Generator | None = None,
) -> tuple[NDArray[np.floating[Any]], NDArray[np.float64]]:
    """Shift each image by its own uniform random real offset, as in the authors' MNIST data.

    Image ``k`` moves by ``offsets[k]`` pixels, drawn uniformly from
    ``[-max_fraction * L, max_fraction * L]`` where ``L`` is the width (``axis="x"``, positive
    offsets move content to the right) or the height (``axis="y"``, positive moves down). The
    result equals ``scipy.ndimage.shift(img, (0, offset), order=order, mode=mode)`` per image
    (``(offset, 0)`` for ``axis="y"``). For ``order=1, mode="nearest"`` (the default: bilinear
    along one axis is linear interpolation between two neighbouring columns, indices clamped at the
    border) it is computed vectorized; other orders and modes call scipy per image.

    Parameters
    ----------
    images : numpy.ndarray
        ``(N, H, W)`` float32 or float64.
    max_fraction : float, default 0.2
        Largest offset as a fraction of the image length along ``axis``; finite, ``>= 0``.
    axis : {"x", "y"}
        Shift horizontally (along the width) or vertically.
    order : int, default 1
        Spline order (0..5) of the interpolation.
    mode : str, default "nearest"
        How values beyond the border are filled (see :func:`scipy.ndimage.shift`).
    seed : int, numpy.random.Generator or None
        Source of the offsets; the same seed gives the same offsets and images.

    Returns
    -------
    shifted : numpy.ndarray
        Same shape and dtype as ``images``.
    offsets : numpy.ndarray
        ``(N,)`` float64 offsets in pixels.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[[0.0, 1.0, 2.0, 3.0]]])
    >>> shifted, offsets = shift_images(x, 0.25, seed=0)
    >>> bool(abs(offsets[0]) <= 1.0)
    True
    >>> y, _ = shift_images(np.array([[[0.0, 1.0, 2.0, 3.0]]]), 0.0)
    >>> y.tolist()
    [[[0.0, 1.0, 2.0, 3.0]]]
    """
    arr = _check_images(images, need_float=True)
    ax = _axis_index(axis)
    try:
        frac = float(max_fraction)
    except (TypeError, ValueError):
        msg = f"max_fraction must be a finite number >= 0, got {max_fraction!r}"
        raise ValueError(msg) from None
    if not math.isfinite(frac) or frac < 0:
        raise ValueError(f"max_fraction must be a finite number >= 0, got {max_fraction!r}")
    if isinstance(order, bool) or not isinstance(order, (int, np.integer)) or not 0 <= order <= 5:
        raise ValueError(f"order must be an integer in 0..5, got {order!r}")
    limit = frac * arr.shape[ax]
    offsets = np.random.default_rng(seed).uniform(-limit, limit, size=len(arr))
    if order == 1 and mode == "nearest":
        return _shift_linear_nearest(arr, offsets, ax), offsets
    return _shift_scipy(arr, offsets, ax, order, mode), offsets


def _shift_linear_nearest(
    arr: NDArray[Any], offsets: NDArray[np.float64], ax: int
) -> NDArray[Any]:
    """Linear interpolation along ``ax`` with clamped indices; blocks of images at a time."""
    src = arr if ax == 2 else np.swapaxes(arr, 1, 2)  # interpolate along the last axis
    n, _, length = src.shape
    out = np.empty(src.shape, dtype=arr.dtype)
    cols = np.arange(length, dtype=np.float64)
    for start in range(0, n, _SHIFT_BLOCK):
        block = slice(start, start + _SHIFT_BLOCK)
        coord = cols[None, :] - offsets[block, None]  # output j reads input at j - offset
        base = np.floor(coord)
        t = (coord - base)[:, None, :]
        i0 = np.clip(base.astype(np.intp), 0, length - 1)[:, None, :]
        i1 = np.clip(base.astype(np.intp) + 1, 0, length - 1)[:, None, :]
        x = src[block]
        lo, hi = np.take_along_axis(x, i0, axis=2), np.take_along_axis(x, i1, axis=2)
        out[block] = (1.0 - t) * lo + t * hi
    return out if ax == 2 else np.swapaxes(out, 1, 2)


def _shift_scipy(
    arr: NDArray[Any], offsets: NDArray[np.float64], ax: int, order: int, mode: str
) -> NDArray[Any]:
    from scipy import ndimage

    shift: Callable[..., NDArray[Any]] = ndimage.shift
    out = np.empty_like(arr)
    for k, off in enumerate(offsets):
        vec = (0.0, float(off)) if ax == 2 else (float(off), 0.0)
        out[k] = shift(arr[k], vec, order=order, mode=mode)
    return out


def dihedral_images(images: NDArray[Any], *, seed: int | np.random.Generator | None = None
                    ) -> tuple[NDArray[Any], NDArray[np.int64]]:
    """Move each square image by its own uniformly random element of the dihedral group ``D_4``.

    Element ``e`` in ``0..7`` is ``k = e % 4`` quarter turns (``numpy.rot90``, counter-clockwise), then a
    left-right flip when ``e >= 4``; these are exact pixel permutations, the actions of
    :func:`equilin.groups.image_group` ``("d4", p, p)``.

    Parameters
    ----------
    images : array_like
        ``(N, p, p)`` images of any dtype.
    seed : int, Generator or None
        Random source of the elements.

    Returns
    -------
    (images, elements)
        The moved images (same shape and dtype) and the element of every image.

    Examples
    --------
    >>> import numpy as np
    >>> moved, elements = dihedral_images(np.arange(8).reshape(2, 2, 2), seed=0)
    >>> elements.tolist(), moved.shape
    ([6, 5], (2, 2, 2))
    """
    arr = _check_images(images, need_float=False)
    if arr.shape[1] != arr.shape[2]:
        raise ValueError(f"dihedral_images needs square images, got {arr.shape[1]}x{arr.shape[2]}")
    rng = np.random.default_rng(seed)  # a Generator is returned unaltered
    elements = np.asarray(rng.integers(0, 8, size=arr.shape[0]), dtype=np.int64)
    out = np.empty_like(arr)
    for e in range(8):
        chosen = np.flatnonzero(elements == e)
        if chosen.size:
            moved = np.rot90(arr[chosen], e % 4, axes=(1, 2))
            out[chosen] = moved[:, :, ::-1] if e >= 4 else moved
    return out, elements


def cyclic_shift(images: NDArray[Any], k: int = 1, axis: str = "x") -> NDArray[Any]:
    """Cyclically shift every image by ``k`` whole pixels (``numpy.roll``).

    ``axis="x"`` moves every row right by ``k`` (pixel ``(i, j)`` goes to ``(i, j+k mod W)``),
    ``axis="y"`` moves every column down. On row-major flattened images this is the action of
    :func:`equilin.groups.image_shift` ``(H, W, k, axis)``.

    Parameters
    ----------
    images : array_like
        ``(N, H, W)`` images of any dtype.
    k : int, default 1
        Pixels to shift by (negative: left / up).
    axis : {"x", "y"}
        Direction.

    Returns
    -------
    numpy.ndarray
        The shifted images, same shape and dtype.

    Examples
    --------
    >>> import numpy as np
    >>> cyclic_shift(np.array([[[1, 2, 3], [4, 5, 6]]]), 1).tolist()
    [[[3, 1, 2], [6, 4, 5]]]
    """
    arr = _check_images(images, need_float=False)
    ax = _axis_index(axis)
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
        raise ValueError(f"k must be an integer, got {k!r}")
    return np.roll(arr, int(k), axis=ax)
