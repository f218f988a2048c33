"""Tests of equilin.data.datasets: the ImageDataset value and its shifted copies."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from equilin.data import ImageDataset, shift_images


def test_image_dataset_value() -> None:
    x = np.zeros((4, 2, 3), np.float32)
    ds = ImageDataset("toy", x, np.array([0, 1, 1, 2]), x[:2], np.array([0, 3]))
    assert repr(ds) == (
        "ImageDataset(name='toy', train=4 x 2 x 3, test=2 x 2 x 3, dtype=float32, classes=4)"
    )
    assert ds.shape == (2, 3) and ds.n_features == 6
    assert "label counts {0: 1, 1: 2, 2: 1}" in ds.summary()
    with pytest.raises(dataclasses.FrozenInstanceError):
        ds.name = "other"  # type: ignore[misc]
    with pytest.raises(ValueError, match="x_train must be a 3-D float array"):
        ImageDataset("bad", x[0], np.arange(2), x, np.arange(4))
    with pytest.raises(ValueError, match="x_test must be a 3-D float array"):
        ImageDataset("bad", x, np.arange(4), x.astype(np.uint8), np.arange(4))
    with pytest.raises(ValueError, match="y_train must be a 1-D integer array"):
        ImageDataset("bad", x, np.zeros(4), x, np.arange(4))
    with pytest.raises(ValueError, match="x_train has 4 images but y_train has 3 labels"):
        ImageDataset("bad", x, np.arange(3), x, np.arange(4))
    with pytest.raises(ValueError, match="differ in size"):
        ImageDataset("bad", x, np.arange(4), np.zeros((4, 3, 2), np.float32), np.arange(4))


def test_dataset_shifted(rng: np.random.Generator) -> None:
    x = rng.random((6, 3, 5)).astype(np.float32)
    ds = ImageDataset("toy", x, np.arange(6), x[:2], np.arange(2))
    a, b = ds.shifted(seed=3), ds.shifted(seed=3)
    assert a.name == "toy+shift-x(0.2)"
    np.testing.assert_array_equal(a.x_train, b.x_train)
    np.testing.assert_array_equal(a.x_test, b.x_test)
    assert a.y_train is ds.y_train
    gen = np.random.default_rng(3)
    train, _ = shift_images(x, 0.2, seed=gen)
    test, _ = shift_images(x[:2], 0.2, seed=gen)
    np.testing.assert_array_equal(a.x_train, train)
    np.testing.assert_array_equal(a.x_test, test)
