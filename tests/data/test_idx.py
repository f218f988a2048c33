"""Tests of equilin.data.idx: IDX files and directories of the four MNIST files."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from equilin.data import DataError, load, load_idx_dir, read_idx


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
