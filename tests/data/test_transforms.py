"""Tests of equilin.data.transforms: random sub-pixel shifts, dihedral moves and cyclic shifts."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import scipy.ndimage
from hypothesis import given
from hypothesis import strategies as st

from equilin.data import cyclic_shift, dihedral_images, shift_images, transforms
from equilin.groups import image_group, image_shift


def scipy_shift(images: np.ndarray, offsets: np.ndarray, axis: str, **kw: Any) -> np.ndarray:
    vec = (lambda o: (0.0, o)) if axis == "x" else (lambda o: (o, 0.0))
    return np.stack(
        [scipy.ndimage.shift(img, vec(off), **kw) for img, off in zip(images, offsets, strict=True)]
    )


@given(
    n=st.integers(1, 5),
    h=st.integers(1, 6),
    w=st.integers(1, 9),
    max_fraction=st.floats(0.0, 1.5),
    axis=st.sampled_from(["x", "y"]),
    dtype=st.sampled_from([np.float32, np.float64]),
    seed=st.integers(0, 2**32 - 1),
)
def test_shift_equals_scipy_per_image(n: int, h: int, w: int, max_fraction: float, axis: str,
                                      dtype: type, seed: int) -> None:
    images = np.random.default_rng(seed).random((n, h, w)).astype(dtype)
    shifted, offsets = shift_images(images, max_fraction, axis=axis, seed=seed)
    assert shifted.shape == images.shape and shifted.dtype == images.dtype
    expected = scipy_shift(images, offsets, axis, order=1, mode="nearest")
    atol = 1e-6 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(shifted, expected, rtol=0, atol=atol)


def test_shift_blocks_and_whole_pixel_offsets(monkeypatch: pytest.MonkeyPatch,
                                              rng: np.random.Generator) -> None:
    monkeypatch.setattr(transforms, "_SHIFT_BLOCK", 3)  # several blocks, the last one partial
    images = rng.random((10, 5, 7))
    shifted, offsets = shift_images(images, 0.4, seed=rng)
    np.testing.assert_allclose(shifted, scipy_shift(images, offsets, "x", order=1, mode="nearest"),
                               rtol=0, atol=1e-12)
    # Hand-checkable: one row, offset 1.5 to the right, nearest fill on the left.
    row = np.array([[[0.0, 10.0, 20.0, 30.0]]])
    out = transforms._shift_linear_nearest(row, np.array([1.5]), 2)
    assert out.tolist() == [[[0.0, 0.0, 5.0, 15.0]]]


def test_shift_other_orders_and_modes_use_scipy(rng: np.random.Generator) -> None:
    images = rng.random((3, 6, 5))
    for order, mode, axis in [(3, "wrap", "x"), (0, "constant", "y"), (1, "reflect", "x")]:
        shifted, offsets = shift_images(images, 0.3, axis=axis, order=order, mode=mode, seed=2)
        np.testing.assert_allclose(
            shifted, scipy_shift(images, offsets, axis, order=order, mode=mode), rtol=0, atol=1e-12
        )


def test_shift_is_seeded(rng: np.random.Generator) -> None:
    images = rng.random((20, 4, 6)).astype(np.float32)
    a, oa = shift_images(images, seed=7)
    b, ob = shift_images(images, seed=7)
    np.testing.assert_array_equal(oa, ob)
    np.testing.assert_array_equal(a, b)
    c, oc = shift_images(images, seed=np.random.default_rng(7))
    np.testing.assert_array_equal(oc, oa)
    np.testing.assert_array_equal(c, a)
    _, od = shift_images(images, seed=8)
    assert not np.array_equal(od, oa)


@pytest.mark.parametrize(("axis", "length"), [("x", 28), ("y", 10)])
def test_shift_offsets_within_bounds(axis: str, length: int) -> None:
    images = np.zeros((2000, 10, 28), np.float32)
    _, offsets = shift_images(images, 0.2, axis=axis, seed=0)
    limit = 0.2 * length
    assert np.all(np.abs(offsets) <= limit)
    assert offsets.min() < -0.95 * limit and offsets.max() > 0.95 * limit  # uses the whole range
    _, zero = shift_images(images[:5], 0.0, axis=axis, seed=0)
    assert np.all(zero == 0.0)


def test_shift_bad_arguments() -> None:
    images = np.zeros((2, 3, 4))
    for bad in (-0.1, float("nan"), float("inf"), "a", None):
        with pytest.raises(ValueError, match="max_fraction"):
            shift_images(images, bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="axis must be 'x'.* or 'y'"):
        shift_images(images, axis="z")
    with pytest.raises(ValueError, match="images must be a 3-D array"):
        shift_images(images[0])
    with pytest.raises(ValueError, match="images must be float32 or float64.*int64"):
        shift_images(np.zeros((2, 3, 4), np.int64))
    with pytest.raises(ValueError, match="order"):
        shift_images(images, order=6)


@given(
    n=st.integers(1, 3),
    h=st.integers(1, 6),
    w=st.integers(1, 6),
    k=st.integers(-8, 8),
    axis=st.sampled_from(["x", "y"]),
)
def test_cyclic_shift_is_image_shift_action(n: int, h: int, w: int, k: int, axis: str) -> None:
    x = np.arange(n * h * w, dtype=np.float64).reshape(n, h, w)
    expected = image_shift(h, w, k, axis).act(x.reshape(n, -1))
    np.testing.assert_array_equal(cyclic_shift(x, k, axis).reshape(n, -1), expected)


def test_cyclic_shift_hand_example_and_errors() -> None:
    x = np.array([[[1, 2, 3], [4, 5, 6]]])
    assert cyclic_shift(x, 1).tolist() == [[[3, 1, 2], [6, 4, 5]]]
    assert cyclic_shift(x, 1, axis="y").tolist() == [[[4, 5, 6], [1, 2, 3]]]
    assert cyclic_shift(x, -1).tolist() == [[[2, 3, 1], [5, 6, 4]]]
    with pytest.raises(ValueError, match="k must be an integer"):
        cyclic_shift(x, 1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="axis"):
        cyclic_shift(x, 1, axis="w")
    with pytest.raises(ValueError, match="images must be a 3-D array"):
        cyclic_shift(x[0], 1)


def test_dihedral_images_are_the_d4_group_action() -> None:

    rng = np.random.default_rng(3)
    x = rng.random((40, 5, 5))
    moved, elements = dihedral_images(x, seed=7)
    assert set(elements.tolist()) == set(range(8))
    group = [g for g in image_group("d4", 5, 5).elements()]
    assert len(group) == 8
    flat, moved_flat = x.reshape(40, 25), moved.reshape(40, 25)
    for e in range(8):
        rows = np.flatnonzero(elements == e)
        # one group element moves all images with this label, and it is a pixel permutation of D_4
        assert sum(np.array_equal(g.act(flat[rows], axis=1), moved_flat[rows]) for g in group) == 1
    again, same = dihedral_images(x, seed=7)
    assert np.array_equal(again, moved) and np.array_equal(same, elements)
    with pytest.raises(ValueError, match="square"):
        dihedral_images(np.zeros((2, 3, 4)))
