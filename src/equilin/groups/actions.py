"""Image and volume actions: the pixel permutations of shifts, rotations and flips, and their groups.

Images ``h x w`` and volumes ``d x h x w`` are flattened row-major (the last axis fastest); every
action is a :class:`~equilin.groups.Permutation` of the flat indices. :func:`image_action` and
:func:`image_group` (:data:`IMAGE_ACTIONS`, :data:`IMAGE_GROUPS`) and :func:`volume_group`
(:data:`VOLUME_GROUPS`) name them as the command line does; :func:`talk_rotation` and
:func:`talk_pixel_order` are the rotation of the talk in its ordering of the pixels.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from equilin.groups.cycles import _check_array_size, _check_size
from equilin.groups.group import PermutationGroup
from equilin.groups.permutation import Permutation

__all__ = [
    "image_shift",
    "image_rot90",
    "image_flip",
    "talk_rotation",
    "talk_pixel_order",
    "volume_shift",
    "volume_rot90",
    "image_action",
    "image_group",
    "volume_group",
    "IMAGE_ACTIONS",
    "IMAGE_GROUPS",
    "VOLUME_GROUPS",
]


def _check_positive(value: Any, name: str) -> int:
    """A size that must be at least 1 (an image side, a volume side)."""
    size = _check_size(value, name)
    if size < 1:
        raise ValueError(f"{name} must be at least 1, got {size}")
    return size


def image_shift(h: int, w: int, s: int = 1, axis: str = "x") -> Permutation:
    """Cyclic shift of an ``h x w`` image by ``s`` pixels, on row-major flattened indices.

    ``axis="x"`` moves every row to the right (pixel ``(i, j)`` goes to ``(i, j+s mod w)``);
    ``axis="y"`` moves every column down (``(i, j)`` goes to ``(i+s mod h, j)``). For a 2 x 3 image,
    shift-x by 1::

        a b c        c a b
        d e f   ->   f d e

    Examples
    --------
    >>> image_shift(2, 3)
    Permutation.from_cycles('(1 2 3)(4 5 6)', n=6)
    """
    h, w = _check_positive(h, "h"), _check_positive(w, "w")
    if isinstance(s, bool) or not isinstance(s, (int, np.integer)):
        raise ValueError(f"shift s must be an integer, got {s!r}")
    _check_array_size(h * w, "h * w")
    s = int(s) % (w if axis == "x" else h)  # any Python int, reduced before numpy sees it
    i, j = np.divmod(np.arange(h * w), w)
    if axis == "x":
        return Permutation(i * w + (j + s) % w)
    if axis == "y":
        return Permutation(((i + s) % h) * w + j)
    raise ValueError(f"axis must be 'x' or 'y', got {axis!r}")


def image_rot90(p: int) -> Permutation:
    """Clockwise rotation by 90 degrees of a ``p x p`` image, row-major indices.

    Pixel ``(i, j)`` moves to ``(j, p-1-i)``; for ``p = 2``::

        a b        c a
        c d   ->   d b

    Examples
    --------
    >>> image_rot90(2)
    Permutation.from_cycles('(1 2 4 3)', n=4)
    """
    p = _check_positive(p, "p")
    i, j = np.divmod(np.arange(_check_array_size(p * p, "p * p")), p)
    return Permutation(j * p + (p - 1 - i))


def image_flip(h: int, w: int, axis: str = "x") -> Permutation:
    """Mirror an ``h x w`` image: ``axis="x"`` reverses every row (left-right),
    ``axis="y"`` reverses every column (up-down).

    For a 2 x 2 image, flip-x::

        a b        b a
        c d   ->   d c

    Examples
    --------
    >>> image_flip(2, 2, "x")
    Permutation.from_cycles('(1 2)(3 4)', n=4)
    """
    h, w = _check_positive(h, "h"), _check_positive(w, "w")
    i, j = np.divmod(np.arange(_check_array_size(h * w, "h * w")), w)
    if axis == "x":
        return Permutation(i * w + (w - 1 - j))
    if axis == "y":
        return Permutation((h - 1 - i) * w + j)
    raise ValueError(f"axis must be 'x' or 'y', got {axis!r}")


def talk_rotation(p: int) -> Permutation:
    """The talk's rotation example: clockwise 90-degree rotation of a ``p x p`` image in the talk's
    ordering of pixels, which lists each rotation orbit as four consecutive coordinates.

    The talk identifies ``R^{p x p}`` with ``R^n`` by
    ``(a_11, a_1p, a_pp, a_p1, a_12, a_2p, a_p,p-1, a_p-1,1, ..., a_22, ...)``: ring by ring from the
    outside, and inside a ring the orbits of its top-row pixels in order. Then ``P_sigma`` is block
    diagonal with one 4-cycle per orbit, ``(1 2 3 4)(5 6 7 8)...``; for odd ``p`` the centre pixel is
    the last coordinate, a fixed point. For ``p = 3`` this is the talk's ``sigma`` in ``S_9``::

        1 5 2        4 8 1
        8 9 6   ->   7 9 5      (coordinates of the talk)
        4 7 3        3 6 2

    Examples
    --------
    >>> talk_rotation(3)
    Permutation.from_cycles('(1 2 3 4)(5 6 7 8)', n=9)
    """
    p = _check_positive(p, "p")
    n = _check_array_size(p * p, "p * p")
    images = np.arange(n, dtype=np.int64)
    for start in range(0, n - n % 4, 4):
        images[start:start + 4] = [start + 1, start + 2, start + 3, start]
    return Permutation(images)


def talk_pixel_order(p: int) -> NDArray[np.int64]:
    """Row-major pixel index of each coordinate of :func:`talk_rotation` (0-based).

    ``order[t]`` is the pixel ``i * p + j`` that the talk lists as coordinate ``t``, so
    ``image_rot90(p)`` maps ``order[t]`` to ``order[talk_rotation(p)(t)]``.

    Examples
    --------
    >>> talk_pixel_order(3).tolist()
    [0, 2, 8, 6, 1, 5, 7, 3, 4]
    """
    p = _check_positive(p, "p")
    _check_array_size(p * p, "p * p")
    order: list[int] = []
    for ring in range(p // 2):
        for j in range(ring, p - 1 - ring):
            i = ring
            for _ in range(4):
                order.append(i * p + j)
                i, j = j, p - 1 - i
    if p % 2:
        order.append((p // 2) * p + p // 2)
    return np.array(order, dtype=np.int64)


def volume_shift(d: int, h: int, w: int, s: int = 1, axis: int = 2) -> Permutation:
    """Cyclic shift by ``s`` voxels along one axis of a ``d x h x w`` volume, row-major indices (axis 0
    slowest): voxel ``(a, b, c)`` goes to ``(a + s mod d, b, c)`` for ``axis=0``, and likewise for the
    other axes. ``axis=2`` moves every row of every slice, as :func:`image_shift` with ``axis="x"``.

    Examples
    --------
    >>> volume_shift(2, 1, 2, axis=0)
    Permutation.from_cycles('(1 3)(2 4)', n=4)
    """
    shape = (_check_positive(d, "d"), _check_positive(h, "h"), _check_positive(w, "w"))
    if axis not in (0, 1, 2):
        raise ValueError(f"axis must be 0, 1 or 2, got {axis!r}")
    if isinstance(s, bool) or not isinstance(s, (int, np.integer)):
        raise ValueError(f"shift s must be an integer, got {s!r}")
    n = _check_array_size(shape[0] * shape[1] * shape[2], "d * h * w")
    coords = list(np.unravel_index(np.arange(n), shape))
    coords[axis] = (coords[axis] + int(s) % shape[axis]) % shape[axis]
    return Permutation(np.ravel_multi_index(tuple(coords), shape))


def volume_rot90(p: int, axis: int = 0) -> Permutation:
    """Rotation by 90 degrees of a ``p x p x p`` volume about one axis, row-major indices.

    Voxel ``(a, b, c)`` (``a`` slowest) is rotated in the plane of the two other axes exactly as
    :func:`image_rot90` rotates a ``p x p`` image: about ``axis=0`` every slice ``v[a]`` is rotated.

    Examples
    --------
    >>> volume_rot90(2, axis=0)
    Permutation.from_cycles('(1 2 4 3)(5 6 8 7)', n=8)
    """
    p = _check_positive(p, "p")
    if axis not in (0, 1, 2):
        raise ValueError(f"axis must be 0, 1 or 2, got {axis!r}")
    _check_array_size(p ** 3, "p ** 3")
    coords = list(np.unravel_index(np.arange(p ** 3), (p, p, p)))
    u, v = [k for k in range(3) if k != axis]
    coords[u], coords[v] = coords[v].copy(), p - 1 - coords[u]
    return Permutation(np.ravel_multi_index(tuple(coords), (p, p, p)))


IMAGE_ACTIONS = ("shift-x", "shift-y", "rot90", "flip-x", "flip-y")
"""Image actions given by one permutation (:func:`image_action`)."""

IMAGE_GROUPS = ("shift-xy", "d4", "p4", "p4m")
"""Image actions given by several generators (:func:`image_group`): both cyclic translations
(``Z_w x Z_h``, not cyclic when ``gcd(w, h) > 1``), the dihedral group of rotations and flips, and the
wallpaper groups of a torus image: translations with rotations (``p4``) and with flips (``p4m``)."""

VOLUME_GROUPS = ("shift-xyz", "cube")
"""Volume actions (:func:`volume_group`): the cyclic translations along the three axes
(``Z_d x Z_h x Z_w``) and the 24 rotations of the cube."""


def image_action(action: str, h: int, w: int, s: int = 1) -> Permutation:
    """The permutation of an ``h x w`` image named by ``action`` (one of :data:`IMAGE_ACTIONS`).

    Examples
    --------
    >>> image_action("shift-x", 28, 28).cycle_type
    {28: 28}
    """
    if action == "shift-x":
        return image_shift(h, w, s, "x")
    if action == "shift-y":
        return image_shift(h, w, s, "y")
    if action == "rot90":
        if h != w:
            raise ValueError(f"rot90 needs a square image, got {h}x{w}")
        return image_rot90(h)
    if action == "flip-x":
        return image_flip(h, w, "x")
    if action == "flip-y":
        return image_flip(h, w, "y")
    if action in IMAGE_GROUPS:
        raise ValueError(f"{action!r} is a group with two generators, not one permutation; use "
                         "image_group(action, h, w)")
    raise ValueError(f"unknown image action {action!r}; choose one of {', '.join(IMAGE_ACTIONS)}")


def image_group(action: str, h: int, w: int, s: int = 1) -> PermutationGroup:
    """The permutation group of an ``h x w`` image named by ``action``: one of :data:`IMAGE_ACTIONS`
    (the cyclic group of that permutation) or :data:`IMAGE_GROUPS`: ``"shift-xy"`` (generated by the
    shifts by ``s`` along x and along y), ``"d4"`` (rotation by 90 degrees and the flip of x, order 8;
    square images only), ``"p4"`` (both shifts by ``s`` and the rotation: the image as a torus, order
    ``4 p^2`` for ``s = 1``) or ``"p4m"`` (``p4`` and the flip of x, order ``8 p^2``).

    Examples
    --------
    >>> [g.cycle_type for g in image_group("shift-xy", 4, 6).generators]
    [{6: 4}, {4: 6}]
    >>> len(list(image_group("d4", 3, 3).elements())), len(list(image_group("p4m", 3, 3).elements()))
    (8, 72)
    """
    if action == "shift-xy":
        return PermutationGroup([image_shift(h, w, s, "x"), image_shift(h, w, s, "y")])
    if action in ("d4", "p4", "p4m"):
        if h != w:
            raise ValueError(f"{action} needs a square image, got {h}x{w}")
        rot, flip = image_rot90(h), image_flip(h, w, "x")
        if action == "d4":
            return PermutationGroup([rot, flip])
        shifts = [image_shift(h, w, s, "x"), image_shift(h, w, s, "y")]
        return PermutationGroup(shifts + [rot] + ([flip] if action == "p4m" else []))
    if action not in IMAGE_ACTIONS:
        raise ValueError(f"unknown image action {action!r}; choose one of "
                         f"{', '.join(IMAGE_ACTIONS + IMAGE_GROUPS)}")
    return PermutationGroup([image_action(action, h, w, s)])


def volume_group(action: str, d: int, h: int, w: int, s: int = 1) -> PermutationGroup:
    """The permutation group of a ``d x h x w`` volume named by ``action`` (one of
    :data:`VOLUME_GROUPS`): ``"shift-xyz"`` (the shifts by ``s`` along the three axes) or ``"cube"``
    (the rotations by 90 degrees about axes 0 and 1, which generate the 24 rotations of the cube;
    cubic volumes only).

    Examples
    --------
    >>> len(list(volume_group("cube", 2, 2, 2).elements())), len(volume_group("shift-xyz", 2, 3, 4).orbits)
    (24, 1)
    """
    if action == "shift-xyz":
        return PermutationGroup([volume_shift(d, h, w, s, axis) for axis in (2, 1, 0)])
    if action == "cube":
        if not d == h == w:
            raise ValueError(f"cube needs a cubic volume (d = h = w), got {d}x{h}x{w}")
        return PermutationGroup([volume_rot90(d, 0), volume_rot90(d, 1)])
    raise ValueError(f"unknown volume action {action!r}; choose one of {', '.join(VOLUME_GROUPS)}")
