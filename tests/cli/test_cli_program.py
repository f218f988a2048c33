"""Tests of equilin.cli.program (main): the entry points, the one-line errors with status 2, --version."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np
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


# -- --quiet on every command ------------------------------------------------------------------
SMALL_MNIST = ("--data", "digits", "--rank", "10", "--limit-train", "200", "--limit-test", "50", "--threads", "1")
QUIET_RUNS: dict[str, tuple[str, ...]] = {
    "invariant": ("--gens", "(1 2 3)", "--n", "3", "-m", "2", "-r", "1"),
    "equivariant": ("--gens", "(1 2 3)", "--n", "3", "-r", "1"),
    "count": ("--gens", "(1 2 3)", "--n", "3", "-r", "1"),
    "deep": ("--gens", "(1 2 3)", "--n", "3", "--hidden", "regular"),
    "lcn": ("--filters", "2,3", "--strides", "2,1"),
    "mnist": (*SMALL_MNIST, "--train", "both", "--adam-models", "dense", "--epochs", "2"),
    "demo": ("--geometry",),
    "fit": ("--model", "dense", "-r", "2"),
    "critical": ("--n-init", "1"),
}


def _quiet_argv(command: str, tmp_path: Path) -> list[str]:
    argv = [command, *QUIET_RUNS[command]]
    if command == "mnist":
        argv += ["--out", str(tmp_path / "out")]
    if command == "fit":
        np.save(tmp_path / "data.npy", np.random.default_rng(0).standard_normal((30, 4)))
        argv += ["--data", str(tmp_path / "data.npy"), "--out", str(tmp_path / "model.npz")]
    return argv


def test_every_command_takes_quiet(tmp_path: Path) -> None:
    from equilin.cli.program import COMMANDS, QUIET_HELP, build_parser

    parser = build_parser()
    assert set(QUIET_RUNS) == set(COMMANDS)
    for command in COMMANDS:
        assert parser.parse_args([*_quiet_argv(command, tmp_path), "--quiet"]).quiet is True
        assert parser.parse_args(_quiet_argv(command, tmp_path)).quiet is False
    assert "informational" in QUIET_HELP


@pytest.mark.parametrize("command", list(QUIET_RUNS))
def test_quiet_leaves_stderr_empty_and_the_result_on_stdout(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                            command: str) -> None:
    """--quiet: nothing on stderr (no progress, no information), the result still on stdout."""
    if command in ("mnist", "critical"):
        pytest.importorskip("sklearn")
        pytest.importorskip("torch")
    status, out, err = run(capsys, *_quiet_argv(command, tmp_path), "--quiet")
    assert status == 0 and err == "", err
    assert out.strip()


@pytest.mark.parametrize("command", ["mnist", "fit"])
def test_progress_off_a_terminal_is_plain_lines(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                command: str) -> None:
    """Without --quiet, progress goes to stderr; captured (not a terminal) it is plain lines, no tqdm
    carriage returns; stdout is the same as with --quiet."""
    pytest.importorskip("torch")
    status, out, err = run(capsys, *_quiet_argv(command, tmp_path))
    assert status == 0 and "\r" not in err
    lines = err.splitlines()
    if command == "fit":
        assert lines == [lines[0]] and lines[0].startswith("fit: 1/1 shard, ") and "samples=30" in lines[0]
    else:
        stages = [line for line in lines if line.startswith("mnist: ")]
        assert stages[0].startswith("mnist: load (stage 1/") and stages[-2].startswith("mnist: json (stage ")
        assert re.fullmatch(r"mnist: (\d+)/\1 stages, .*", lines[-1])   # every stage counted
        training = [line for line in lines if line.startswith("training DenseLinearAutoencoder: ")]
        assert [line.split(",")[0].split()[-2] for line in training] == ["1/2", "2/2"]
    quiet_status, quiet_out, _ = run(capsys, *_quiet_argv(command, tmp_path), "--quiet")
    assert quiet_status == 0
    if command == "fit":
        assert quiet_out == out


def test_quiet_silences_warnings_not_errors(capsys: pytest.CaptureFixture[str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    import equilin.experiments

    class Result:
        def table(self) -> str:
            return "the table"

    def warns(**kwargs: Any) -> Result:
        warnings.warn("an informational warning", RuntimeWarning, stacklevel=1)
        return Result()

    monkeypatch.setattr(equilin.experiments, "run_critical", warns)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert run(capsys, "critical", "--quiet") == (0, "the table\n", "")
    assert caught == []
    with pytest.warns(RuntimeWarning, match="an informational warning"):   # shown (here: recorded)
        assert run(capsys, "critical") == (0, "the table\n", "")
    status, _, err = run(capsys, "critical", "--n-init", "0", "--quiet")
    assert status == 2 and err.startswith("equilin critical: error: --n-init must be")
