"""Tests of equilin.data.shards: .npy shards, one .npy file and zarr arrays as blocks of rows."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from equilin.data import DataError, Shards, open_shards


def test_npy_directory_in_name_order(tmp_path: Path, rng: np.random.Generator) -> None:
    data = rng.standard_normal((9, 4))
    for name, rows in (("b.npy", data[5:]), ("a.npy", data[:5])):
        np.save(tmp_path / name, rows)
    (tmp_path / "notes.txt").write_text("not a shard")
    shards = open_shards(tmp_path)
    assert isinstance(shards, Shards) and len(shards) == 2
    assert [(s.name, s.shape) for s in shards] == [("a.npy", (5, 4)), ("b.npy", (4, 4))]
    assert shards.description == "2 .npy shard(s)" and shards.unit == "shard"
    np.testing.assert_array_equal(np.concatenate([s.read() for s in shards]), data)
    one = open_shards(tmp_path / "b.npy")
    assert one.description == "one .npy file" and one.shards[0].shape == (4, 4)


def test_zarr_array_in_whole_chunks(tmp_path: Path, rng: np.random.Generator) -> None:
    zarr = pytest.importorskip("zarr")
    data = rng.standard_normal((100, 3))
    array = zarr.create_array(str(tmp_path / "x.zarr"), shape=data.shape, chunks=(16, 3), dtype="f8")
    array[:] = data
    shards = open_shards(tmp_path / "x.zarr", batch_size=40)  # 40 rows: two chunks of 16 per part
    assert [s.name for s in shards] == ["rows 0:32", "rows 32:64", "rows 64:96", "rows 96:100"]
    assert [s.shape for s in shards][-1] == (4, 3) and shards.unit == "part"
    assert shards.description == "a zarr array read in 4 part(s) of up to 32 rows"
    np.testing.assert_array_equal(np.concatenate([s.read() for s in shards]), data)
    assert len(open_shards(tmp_path / "x.zarr", batch_size=1)) == 7  # at least one chunk per part
    flat = zarr.create_array(str(tmp_path / "flat.zarr"), shape=(5,), chunks=(5,), dtype="f8")
    with pytest.raises(DataError, match=r"flat.zarr: the zarr array must be 2-D .* got shape \(5,\)"):
        open_shards(tmp_path / "flat.zarr")
    assert flat.shape == (5,)
    zarr.create_array(str(tmp_path / "empty.zarr"), shape=(0, 3), chunks=(4, 3), dtype="f8")
    with pytest.raises(DataError, match="the zarr array has no rows"):
        open_shards(tmp_path / "empty.zarr")


def test_errors_name_the_data(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="^--data nowhere: no such file or directory$"):
        open_shards(tmp_path / "nowhere", name="--data nowhere")
    with pytest.raises(DataError, match="the directory holds no .npy shards"):
        open_shards(tmp_path)
    text = tmp_path / "x.csv"
    text.write_text("1,2\n")
    with pytest.raises(DataError, match=r"x.csv: expected a directory of .npy shards, a .npy file or a zarr"):
        open_shards(text)
    np.save(tmp_path / "objects.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(DataError, match="^shard objects.npy: cannot be read as a numeric .npy array"):
        open_shards(tmp_path)
