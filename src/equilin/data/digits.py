"""scikit-learn's bundled 8 x 8 digits (1,797 images) as an :class:`~equilin.data.ImageDataset`: the
small offline data set. scikit-learn is imported only inside :func:`load_digits`."""

from __future__ import annotations

import numpy as np

from equilin.data.datasets import DataError, ImageDataset

__all__ = ["DIGITS_N_TRAIN", "load_digits"]

DIGITS_N_TRAIN = 1500
"""Training images of the digits split; the other 297 of the 1,797 images are the test set."""


def load_digits(
    *, seed: int | np.random.Generator = 0, n_train: int = DIGITS_N_TRAIN
) -> ImageDataset:
    """scikit-learn's bundled 8 x 8 digits (1,797 images), split by a seeded permutation.

    Values ``0..16`` are divided by 16. The split is ``perm = default_rng(seed).permutation(1797)``:
    training images are ``perm[:n_train]`` and test images ``perm[n_train:]``, in that order (1,500
    and 297 by default). Nothing is downloaded; scikit-learn is imported here only.

    Parameters
    ----------
    seed : int or numpy.random.Generator, default 0
        Seed of the permutation.
    n_train : int, default 1500
        Training images; ``0 < n_train < 1797``.

    Returns
    -------
    ImageDataset
        Named ``'digits'``; images float32 ``(N, 8, 8)`` in ``[0, 1]``, labels int64 in ``0..9``.

    Raises
    ------
    DataError
        When scikit-learn is not installed.
    """
    try:
        from sklearn.datasets import load_digits as sk_load_digits
    except ImportError as exc:
        raise DataError(
            "the digits data set needs scikit-learn: `pip install scikit-learn` "
            "(or `pip install 'equilin[data]'`)"
        ) from exc
    bunch = sk_load_digits()
    images = np.asarray(bunch.images, dtype=np.float64)
    labels = np.asarray(bunch.target, dtype=np.int64)
    n = len(images)
    if isinstance(n_train, bool) or not isinstance(n_train, (int, np.integer)):
        raise ValueError(f"n_train must be an integer in 1..{n - 1}, got {n_train!r}")
    if not 0 < n_train < n:
        raise ValueError(f"n_train must be an integer in 1..{n - 1}, got {n_train!r}")
    perm = np.random.default_rng(seed).permutation(n)
    x = (images / 16.0).astype(np.float32)
    tr, te = perm[:n_train], perm[n_train:]
    return ImageDataset("digits", x[tr], labels[tr], x[te], labels[te])
