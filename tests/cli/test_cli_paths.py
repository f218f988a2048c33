"""Tests of equilin.cli.paths: every output path is checked before any work (fit, mnist, demo); each
refusal is one stderr line naming the user's path, status 2, no traceback, no temporary file name."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import equilin.experiments
from equilin.cli import main
from equilin.cli.paths import printable
from equilin.io import load as load_model


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def one_line(status: int, err: str, *fragments: str) -> None:
    assert status == 2, err
    assert err.count("\n") == 1 and "Traceback" not in err and ".tmp" not in err, err
    for fragment in fragments:
        assert fragment in err, (fragment, err)


class Read(Exception):
    """Raised by the stubbed data reader: the command got past its path checks."""


@pytest.fixture
def no_work(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if a command starts its work (reads data, runs the experiment) before refusing."""
    from equilin.cli import fit as fit_command

    def stub(*args: Any, **kwargs: Any) -> Any:
        raise Read

    monkeypatch.setattr(fit_command, "open_shards", stub)
    monkeypatch.setattr(equilin.experiments, "run_mnist", stub)


def fit(capsys: pytest.CaptureFixture[str], data: Path, out: str) -> tuple[int, str, str]:
    return run(capsys, "fit", "--data", str(data), "--model", "dense", "-r", "1", "--out", out, "--quiet")


def special_paths(tmp_path: Path) -> list[tuple[str, str]]:
    """(path, what the message says) for outputs that are not regular files or cannot be created."""
    fifo = tmp_path / "pipe.npz"
    os.mkfifo(fifo)
    (tmp_path / "file").write_text("x")
    link = tmp_path / "dangling.npz"
    link.symlink_to(tmp_path / "gone" / "m.npz")
    cases = [
        (str(tmp_path), "is a directory"),
        (str(fifo), "is a FIFO (named pipe), not a regular file"),
        ("/dev/null", "is a character device"),
        (str(tmp_path / "missing" / "m.npz"), "does not exist"),
        (str(tmp_path / "file" / "m.npz"), "is a file, not a directory"),
        (str(link), "is a dangling symbolic link"),
        ("", "--out is empty"),
    ]
    if os.path.isdir("/proc/self"):
        cases.append(("/proc/x.npz", "cannot create a file in /proc"))
    return cases


def test_fit_refuses_bad_outputs_before_reading_data(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                     no_work: None) -> None:
    for out, message in special_paths(tmp_path):
        status, _, err = fit(capsys, tmp_path / "x.npy", out)
        one_line(status, err, "equilin fit: error: --out", message)
        assert out in err, err
    status, _, err = run(capsys, "fit", "--data", "x.npy", "--model", "dense", "-r", "1", "--out", "m.safetensors")
    one_line(status, err, "cannot save an estimator to m.safetensors", "save estimators as .npz")
    with pytest.raises(Read):                     # a good path: the command goes on to read the data
        fit(capsys, tmp_path / "x.npy", str(tmp_path / "m.npz"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dangling.npz", "file", "pipe.npz"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_fit_refuses_a_read_only_directory(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                           no_work: None) -> None:  # pragma: no cover - root
    folder = tmp_path / "ro"
    folder.mkdir(mode=0o555)
    status, _, err = fit(capsys, tmp_path / "x.npy", str(folder / "m.npz"))
    one_line(status, err, f"cannot save to {folder / 'm.npz'}: cannot create a file in {folder}")


def test_fit_refuses_a_read_only_file(capsys: pytest.CaptureFixture[str], tmp_path: Path, no_work: None,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "m.npz"
    out.write_bytes(b"keep")
    out.chmod(0o444)
    monkeypatch.setattr(os, "access", lambda *args, **kwargs: False)   # as a non-root user sees it
    status, _, err = fit(capsys, tmp_path / "x.npy", str(out))
    one_line(status, err, f"{out} is read-only (mode 0444)")
    assert out.read_bytes() == b"keep"


def test_a_failing_final_write_is_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    np.save(tmp_path / "x.npy", np.random.default_rng(0).standard_normal((10, 4)))
    out = tmp_path / "m.npz"
    write_array = np.lib.format.write_array

    def full(*args: Any, **kwargs: Any) -> None:
        raise OSError(28, "No space left on device", str(tmp_path / ".m.npz.x1y2.tmp"))

    monkeypatch.setattr(np.lib.format, "write_array", full)
    status, _, err = fit(capsys, tmp_path / "x.npy", str(out))
    one_line(status, err, f"--out: cannot save to {out}: No space left on device; nothing was written")
    monkeypatch.setattr(np.lib.format, "write_array", write_array)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.npy"]


def test_fit_writes_through_a_symlink_and_to_a_non_utf8_name(capsys: pytest.CaptureFixture[str],
                                                             tmp_path: Path) -> None:
    np.save(tmp_path / "x.npy", np.random.default_rng(0).standard_normal((10, 4)))
    (tmp_path / "real.npz").write_bytes(b"old")
    (tmp_path / "link.npz").symlink_to("real.npz")
    status, _, err = fit(capsys, tmp_path / "x.npy", str(tmp_path / "link.npz"))
    assert status == 0, err
    assert (tmp_path / "link.npz").is_symlink() and load_model(tmp_path / "real.npz").rank == 1
    name = os.fsdecode(b"mod\xe8le.npz")          # a Latin-1 file name: not UTF-8
    status, out, err = fit(capsys, tmp_path / "x.npy", str(tmp_path / name))
    assert status == 0, err
    assert "mod\\xe8le.npz" in out and load_model(tmp_path / name).rank == 1
    assert printable(name) == "mod\\xe8le.npz"


@pytest.mark.parametrize("command", [["mnist", "--data", "digits"], ["demo"]])
def test_mnist_and_demo_refuse_bad_output_directories(command: list[str], capsys: pytest.CaptureFixture[str],
                                                      tmp_path: Path, no_work: None) -> None:
    (tmp_path / "file").write_text("x")
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "mnist.json").mkdir()                  # where a file will be written
    fifo_dir = tmp_path / "fifo"
    fifo_dir.mkdir()
    os.mkfifo(fifo_dir / "mnist.json")
    cases = [
        (str(tmp_path / "file"), "is a file, not a directory"),
        ("/dev/null", "--out /dev/null is a character device, not a directory"),
        (str(taken), "mnist.json is a directory"),
        (str(fifo_dir), "mnist.json is a FIFO"),
        (str(tmp_path / "file" / "sub"), "a part of the path is a file, not a directory"),
        ("", "--out is empty"),
    ]
    if os.path.isdir("/proc/self"):
        cases.append(("/proc/equilin-out", "cannot create a directory in /proc"))
    for out, message in cases:
        status, _, err = run(capsys, *command, "--out", out)
        one_line(status, err, message)
    before = sorted(p.name for p in tmp_path.iterdir())
    for out in (tmp_path / "new" / "deeper", taken / "..", tmp_path):   # created later, or existing
        with pytest.raises(Read):
            run(capsys, *command, "--out", str(out), "--quiet")
    assert sorted(p.name for p in tmp_path.iterdir()) == before      # the check created nothing


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_mnist_refuses_a_read_only_parent(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                          no_work: None) -> None:  # pragma: no cover - root
    folder = tmp_path / "ro"
    folder.mkdir(mode=0o555)
    status, _, err = run(capsys, "mnist", "--out", str(folder / "out"))
    one_line(status, err, f"cannot create a directory in {folder}")
