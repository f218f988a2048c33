"""Tests of equilin.data.digits: scikit-learn's digits and their seeded split."""

from __future__ import annotations

import numpy as np
import pytest

from equilin.data import load, load_digits


def test_digits_split() -> None:
    ds = load("digits")
    assert ds.name == "digits"
    assert ds.x_train.shape == (1500, 8, 8) and ds.x_test.shape == (297, 8, 8)
    assert ds.x_train.dtype == np.float32 and ds.y_train.dtype == np.int64
    both = np.concatenate([ds.x_train, ds.x_test])
    assert both.min() == 0.0 and both.max() == 1.0
    assert np.all(both * 16 == np.rint(both * 16))  # values 0..16 divided by 16
    # The two parts partition the 1,797 images: class counts add up to sklearn's.
    from sklearn.datasets import load_digits as sk_load_digits

    full = sk_load_digits()
    counts = np.bincount(ds.y_train, minlength=10) + np.bincount(ds.y_test, minlength=10)
    assert counts.tolist() == np.bincount(full.target).tolist()
    perm = np.random.default_rng(0).permutation(1797)
    np.testing.assert_array_equal(ds.x_train, (full.images[perm[:1500]] / 16).astype(np.float32))
    # Deterministic in the seed; a Generator works as a seed.
    again = load("digits", seed=0)
    np.testing.assert_array_equal(again.x_train, ds.x_train)
    np.testing.assert_array_equal(again.y_test, ds.y_test)
    other = load_digits(seed=1)
    assert not np.array_equal(other.y_train, ds.y_train)
    gen = load_digits(seed=np.random.default_rng(1))
    np.testing.assert_array_equal(gen.x_test, other.x_test)
    with pytest.raises(ValueError, match="n_train"):
        load_digits(n_train=1797)
