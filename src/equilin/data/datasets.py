"""The value every loader returns, :class:`ImageDataset`, and the error every loader raises, :class:`DataError`.

An :class:`ImageDataset` holds float images ``(N, H, W)`` and integer labels, split into training and
test images; :meth:`ImageDataset.shifted` and :meth:`ImageDataset.dihedral` move every image (see
:mod:`equilin.data.transforms`). Every problem with the data (missing or corrupt file, wrong hash,
wrong header, shape or dtype, a pickle with foreign objects) raises :class:`DataError`, a
:class:`ValueError` whose message says what is wrong and how to fix it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from equilin.data.transforms import dihedral_images, shift_images
from equilin.validation import describe

__all__ = ["DataError", "ImageDataset"]


class DataError(ValueError):
    """A data file is missing, corrupt or not what was expected.

    The message says what was wrong and how to fix it.

    Examples
    --------
    >>> issubclass(DataError, ValueError)
    True
    """


DataError.__module__ = "equilin.data"  # its public home, as tracebacks name it


@dataclass(frozen=True, eq=False)
class ImageDataset:
    """A labelled image data set split into training and test images.

    Images are ``(N, H, W)`` float arrays (float32 from the loaders, values in ``[0, 1]``), labels
    are ``(N,)`` integer arrays (int64 from the loaders). The fields cannot be reassigned; the
    arrays are the caller's and are not copied. Equality is identity (arrays do not compare to a
    bool).

    Attributes
    ----------
    name : str
        Where the data came from, e.g. ``'mnist'``, ``'digits'`` or the IDX directory.
    x_train, y_train, x_test, y_test : numpy.ndarray
        Training and test images and labels.

    Examples
    --------
    >>> import numpy as np
    >>> ds = ImageDataset("toy", np.zeros((4, 2, 3), np.float32), np.arange(4),
    ...                   np.ones((2, 2, 3), np.float32), np.array([0, 1]))
    >>> ds
    ImageDataset(name='toy', train=4 x 2 x 3, test=2 x 2 x 3, dtype=float32, classes=4)
    >>> ds.shape, ds.n_features, ds.n_train, ds.n_test
    ((2, 3), 6, 4, 2)
    """

    name: str
    x_train: NDArray[np.floating[Any]]
    y_train: NDArray[np.integer[Any]]
    x_test: NDArray[np.floating[Any]]
    y_test: NDArray[np.integer[Any]]

    def __post_init__(self) -> None:
        for split in ("train", "test"):
            x, y = getattr(self, f"x_{split}"), getattr(self, f"y_{split}")
            if not isinstance(x, np.ndarray) or x.ndim != 3 or x.dtype.kind != "f":
                raise ValueError(
                    f"x_{split} must be a 3-D float array (N, H, W), got {describe(x)}"
                )
            if not isinstance(y, np.ndarray) or y.ndim != 1 or y.dtype.kind not in "iu":
                raise ValueError(f"y_{split} must be a 1-D integer array, got {describe(y)}")
            if len(x) != len(y):
                raise ValueError(
                    f"x_{split} has {len(x)} images but y_{split} has {len(y)} labels"
                )
        if self.x_train.shape[1:] != self.x_test.shape[1:]:
            raise ValueError(
                f"train and test images differ in size: {self.x_train.shape[1:]} "
                f"vs {self.x_test.shape[1:]}"
            )

    @property
    def shape(self) -> tuple[int, int]:
        """Image size ``(H, W)``."""
        h, w = self.x_train.shape[1:]
        return int(h), int(w)

    @property
    def n_features(self) -> int:
        """Pixels per image, ``H * W`` (the length of a flattened, row-major image)."""
        h, w = self.shape
        return h * w

    @property
    def n_train(self) -> int:
        """Number of training images."""
        return len(self.x_train)

    @property
    def n_test(self) -> int:
        """Number of test images."""
        return len(self.x_test)

    def __repr__(self) -> str:
        h, w = self.shape
        labels = np.union1d(self.y_train, self.y_test)
        return (
            f"ImageDataset(name={self.name!r}, train={self.n_train} x {h} x {w}, "
            f"test={self.n_test} x {h} x {w}, dtype={self.x_train.dtype}, classes={labels.size})"
        )

    def summary(self) -> str:
        """A few lines describing sizes, value range and label counts.

        Examples
        --------
        >>> import numpy as np
        >>> ds = ImageDataset("toy", np.zeros((2, 1, 1), np.float32), np.array([0, 1]),
        ...                   np.ones((1, 1, 1), np.float32), np.array([1]))
        >>> print(ds.summary())
        toy: 1 x 1 images, float32
          train: 2 images, values in [0, 0], label counts {0: 1, 1: 1}
          test: 1 images, values in [1, 1], label counts {1: 1}
        """
        h, w = self.shape
        lines = [f"{self.name}: {h} x {w} images, {self.x_train.dtype}"]
        splits = (("train", self.x_train, self.y_train), ("test", self.x_test, self.y_test))
        for split, x, y in splits:
            values, counts = np.unique(y, return_counts=True)
            label_counts = {int(v): int(c) for v, c in zip(values, counts, strict=True)}
            rng = f"[{x.min():.3g}, {x.max():.3g}]" if x.size else "[]"
            lines.append(
                f"  {split}: {len(x)} images, values in {rng}, label counts {label_counts}"
            )
        return "\n".join(lines)

    def shifted(
        self,
        max_fraction: float = 0.2,
        *,
        axis: str = "x",
        seed: int | np.random.Generator | None = 0,
    ) -> ImageDataset:
        """The data set with every train and test image randomly shifted (see :func:`shift_images`).

        Training offsets are drawn first, then test offsets, from one generator made from ``seed``.

        Examples
        --------
        >>> import numpy as np
        >>> x = np.arange(8, dtype=np.float32).reshape(2, 1, 4)
        >>> ds = ImageDataset("toy", x, np.array([0, 1]), x[:1], np.array([0]))
        >>> ds.shifted(0.25, seed=1).name
        'toy+shift-x(0.25)'
        """
        rng = np.random.default_rng(seed)
        x_train, _ = shift_images(self.x_train, max_fraction, axis=axis, seed=rng)
        x_test, _ = shift_images(self.x_test, max_fraction, axis=axis, seed=rng)
        name = f"{self.name}+shift-{axis}({max_fraction:g})"
        return ImageDataset(name, x_train, self.y_train, x_test, self.y_test)

    def dihedral(self, seed: int | np.random.Generator | None = 0) -> ImageDataset:
        """The data set with every train and test image moved by its own random element of the dihedral
        group of the square (see :func:`dihedral_images`; square images only). Training elements are
        drawn first, then test elements, from one generator made from ``seed``.

        Examples
        --------
        >>> import numpy as np
        >>> x = np.arange(8, dtype=np.float32).reshape(2, 2, 2)
        >>> ImageDataset("toy", x, np.array([0, 1]), x[:1], np.array([0])).dihedral(seed=1).name
        'toy+d4'
        """
        rng = np.random.default_rng(seed)
        x_train, _ = dihedral_images(self.x_train, seed=rng)
        x_test, _ = dihedral_images(self.x_test, seed=rng)
        return ImageDataset(f"{self.name}+d4", x_train, self.y_train, x_test, self.y_test)
