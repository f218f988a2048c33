"""Tests of equilin.cli.fit: equilin fit on .npy shards and zarr arrays."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from equilin.cli import main
from equilin.groups import image_shift
from equilin.io import load as load_model
from equilin.models import EquivariantAutoencoder, InvariantAutoencoder


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def _shards(tmp_path: Path, rng_seed: int = 0, n: int = 16) -> tuple[Path, np.ndarray]:
    rng = np.random.default_rng(rng_seed)
    data = rng.standard_normal((130, n)) * rng.uniform(0.2, 2.0, n)
    folder = tmp_path / "shards"
    folder.mkdir()
    for i, (a, b) in enumerate([(0, 40), (40, 41), (41, 130)]):
        np.save(folder / f"part{i:02d}.npy", data[a:b])
    return folder, data


def test_fit_from_npy_shards_equals_in_memory_fit(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    folder, data = _shards(tmp_path)
    out = tmp_path / "model.npz"
    status, text, err = run(capsys, "fit", "--data", str(folder), "--model", "equivariant", "--image", "4x4",
                            "--action", "shift-x", "-r", "5", "--batch-size", "7", "--out", str(out))
    assert status == 0, err
    assert "on 130 samples" in text and "3 .npy shard(s)" in text and "parameters" in text
    expected = EquivariantAutoencoder(image_shift(4, 4), "best", rank=5).fit(data)
    model = load_model(out)
    assert model.ranks_ == expected.ranks_
    np.testing.assert_allclose(model.predict(data), expected.predict(data), atol=1e-10)
    status, text, err = run(capsys, "fit", "--data", str(folder), "--model", "dense", "-r", "3", "--quiet",
                            "--json", "--out", str(out))
    report = json.loads(text)
    assert status == 0 and err == "" and report["n_samples"] == 130 and report["n_params"] == 3 * 16 * 2


def test_fit_from_a_zarr_array(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    zarr = pytest.importorskip("zarr")

    data = np.random.default_rng(1).standard_normal((100, 12))
    array = zarr.create_array(str(tmp_path / "data.zarr"), shape=data.shape, chunks=(16, 12), dtype="f8")
    array[:] = data
    out = tmp_path / "inv.npz"
    status, text, err = run(capsys, "fit", "--data", str(tmp_path / "data.zarr"), "--model", "invariant",
                            "--image", "3x4", "--action", "shift-x", "-r", "2", "--batch-size", "40",
                            "--json", "--out", str(out))
    assert status == 0, err
    report = json.loads(text)
    assert report["n_samples"] == 100 and "4 part(s) of up to 32 rows" in report["source"]
    expected = InvariantAutoencoder(image_shift(3, 4), 2).fit(data)
    np.testing.assert_allclose(load_model(out).predict(data), expected.predict(data), atol=1e-10)


def test_fit_bad_input_one_line_status_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    folder, _ = _shards(tmp_path)
    out = str(tmp_path / "m.npz")
    empty = tmp_path / "empty"
    empty.mkdir()
    odd = tmp_path / "odd"
    odd.mkdir()
    np.save(odd / "a.npy", np.zeros((3, 16)))
    np.save(odd / "b.npy", np.zeros((3, 15)))
    pickled = tmp_path / "pickled"
    pickled.mkdir()
    np.save(pickled / "a.npy", np.array([{"x": 1}], dtype=object), allow_pickle=True)
    group = ["--image", "4x4", "--action", "shift-x"]
    cases = [
        (["--data", str(tmp_path / "missing"), "--model", "dense", "-r", "1"], "no such file"),
        (["--data", str(empty), "--model", "dense", "-r", "1"], "no .npy shards"),
        (["--data", str(odd), "--model", "dense", "-r", "1"],
         "b.npy: X has 15 features, but DenseAutoencoder is expecting 16 features as input"),
        (["--data", str(pickled), "--model", "dense", "-r", "1"], "a.npy: cannot be read"),
        (["--data", str(folder), "--model", "dense", "-r", "1", *group], "takes no group"),
        (["--data", str(folder), "--model", "dense"], "needs the rank -r"),
        (["--data", str(folder), "--model", "equivariant", *group], "needs the budget -r"),
        (["--data", str(folder), "--model", "equivariant", *group, "--ranks", "1,x"], "comma-separated"),
        (["--data", str(folder), "--model", "equivariant", *group, "--ranks", "9,0,0"], "exceeds the block size"),
        (["--data", str(folder), "--model", "equivariant", *group, "--ranks", "1,0"], "one entry per block"),
        (["--data", str(folder), "--model", "equivariant", *group, "--ranks", "1,1,1", "-r", "2"], "more than -r 2"),
        (["--data", str(folder), "--model", "invariant", "-r", "1"], "name the group"),
        (["--data", str(folder), "--model", "dense", "-r", "1", "--batch-size", "0"], "--batch-size"),
        (["--data", str(folder), "--model", "pca", "-r", "1"], "invalid choice"),
    ]
    for argv, message in cases:
        status, _, err = run(capsys, "fit", *argv, "--out", out, "--quiet")
        assert status == 2, argv
        assert err.count("\n") == 1 and message in err, (argv, err)
    status, _, err = run(capsys, "fit", "--data", str(folder), "--model", "dense", "-r", "1",
                         "--out", str(tmp_path / "nowhere" / "m.npz"))
    assert status == 2 and "does not exist" in err


def test_fit_progress_is_one_plain_line_per_shard_off_a_terminal(capsys: pytest.CaptureFixture[str],
                                                                  tmp_path: Path) -> None:
    """stderr captured (not a terminal): a line per shard (each is a third of the work), with the rows
    read so far; no tqdm carriage returns; --quiet: nothing."""
    folder, _ = _shards(tmp_path)
    argv = ("fit", "--data", str(folder), "--model", "dense", "-r", "2", "--out", str(tmp_path / "m.npz"))
    status, out, err = run(capsys, *argv)
    assert status == 0 and "\r" not in err
    lines = err.splitlines()
    assert [line.split(",")[0] for line in lines] == ["fit: 1/3 shards", "fit: 2/3 shards", "fit: 3/3 shards"]
    assert [line.rsplit(", ", 1)[1] for line in lines] == ["samples=40", "samples=41", "samples=130"]
    assert run(capsys, *argv, "--quiet") == (0, out, "")
