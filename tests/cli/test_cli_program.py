"""Tests of equilin.cli.program (main): the entry points, the one-line errors with status 2, --version."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from equilin.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


@pytest.mark.parametrize(("argv", "message"), [
    (["invariant", "--gens", "(1 2 2)", "--n", "3", "-m", "2", "-r", "1"], "appears twice"),
    (["invariant", "--gens", "(1 2)", "-m", "2", "-r", "1"], "needs --n"),
    (["invariant", "--gens", "(1 2)", "--n", "3", "-m", "0", "-r", "1"], "-m must be at least 1"),
    (["invariant", "--gens", "(1 2)", "--n", "3", "-m", "2", "-r", "-1"], "-r must be a non-negative"),
    (["invariant", "--gens", "(1 2)", "--n", "-3", "-m", "2", "-r", "1"], "non-negative integer"),
    (["invariant", "--image", "3x", "--action", "rot90", "-m", "2", "-r", "1"], "HxW"),
    (["invariant", "--image", "3x4", "--action", "rot90", "-m", "2", "-r", "1"], "square"),
    (["invariant", "--image", "3x3", "-m", "2", "-r", "1"], "needs --action"),
    (["invariant", "--image", "3x3", "--action", "flip-x", "--shift", "2", "-m", "2", "-r", "1"],
     "--shift goes with"),
    (["invariant", "--image", "3x3", "--action", "twist", "-m", "2", "-r", "1"], "invalid choice"),
    (["invariant", "-m", "2", "-r", "1"], "name the group"),
    (["invariant", "--gens", "(1 2)", "--n", "3", "-m", "two", "-r", "1"], "invalid int"),
    ([], "name a command"),
    (["frobnicate"], "invalid choice"),
])
def test_bad_input_one_line_status_2(capsys: pytest.CaptureFixture[str], argv: list[str],
                                     message: str) -> None:
    status, out, err = run(capsys, *argv)
    assert status == 2
    assert err.count("\n") == 1 and message in err
    assert "Traceback" not in err


def test_module_entry_point() -> None:
    done = subprocess.run([sys.executable, "-m", "equilin", "invariant", "--gens", "(1 2)", "--n", "2",
                           "-m", "1", "-r", "1", "--json"], capture_output=True, text=True, check=True)
    assert json.loads(done.stdout)["k"] == 1


def test_version_and_the_identity(capsys: pytest.CaptureFixture[str]) -> None:
    from importlib.metadata import version

    status, out, _ = run(capsys, "--version")
    assert status == 0 and out.strip() == f"equilin {version('equilin')}"
    status, out, _ = run(capsys, "equivariant", "--gens", "()", "--n", "3", "-r", "1", "--json")
    report = json.loads(out)                                # the trivial group: E_1 = M_{1, 3x3}
    assert status == 0 and (report["commutant_dim"], report["n_components"], report["dim"]) == (9, 1, 5)


def test_an_os_error_during_the_work_is_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Any,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """A write that fails after the checks (the disk fills up while the figures are written): one line
    naming the file, status 2; a closed pipe stays silent (status 0)."""
    import equilin.experiments

    def fails(*args: Any, **kwargs: Any) -> None:
        raise OSError(28, "No space left on device", str(tmp_path / "mnist.json"))

    monkeypatch.setattr(equilin.experiments, "run_mnist", fails)
    status, _, err = run(capsys, "mnist", "--data", "digits", "--out", str(tmp_path), "--quiet")
    assert status == 2 and err == f"equilin mnist: error: {tmp_path / 'mnist.json'}: No space left on device\n"

    def closed(*args: Any, **kwargs: Any) -> None:
        raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(equilin.experiments, "run_mnist", closed)
    assert run(capsys, "mnist", "--data", "digits", "--out", str(tmp_path), "--quiet") == (0, "", "")
