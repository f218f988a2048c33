"""Tests of equilin.cli.deep: equilin deep."""

from __future__ import annotations

import json

import pytest

from equilin.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_deep_json_and_text(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ("deep", "--gens", "(1 2 3 4)(5 6 7 8)", "--n", "9", "--hidden", "channels:2",
            "--hidden", "cosets:(1 3)(2 4)(5 7)(6 8)", "--hidden", "linear:r_{1,1}=1 r_{2,1}=1")
    status, out, _ = run(capsys, *argv, "--json")
    report = json.loads(out)
    assert status == 0
    assert report["function_space"] == {"ranks": {"r_{1,1}": 1, "r_{4,3}": 0, "r_{2,1}": 1}, "rank": 2, "max_rank": 2,
                                        "dim": 8, "degree": 12, "ed_degree": 6, "is_component": True}
    assert [layer["width"] for layer in report["hidden"]] == [18, 2, 2]
    assert report["hidden"][1]["multiplicities"] == {"r_{1,1}": 1, "r_{4,3}": 0, "r_{2,1}": 1}
    assert report["n_params"] == sum(report["layer_params"]) and report["layer_params"][0] == 42
    assert report["jacobian_rank"] == 8 and report["fiber_dim"] == report["n_params"] - 8
    status, out, _ = run(capsys, *argv)
    assert status == 0 and "Jacobian rank at random parameters: 8 (= dim)" in out
    assert "an irreducible component of E^G_r, r = 2" in out


def test_deep_smallest_hidden_layer(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "deep", "--image", "28x28", "--action", "shift-x", "--no-jacobian", "--json",
                         "--smallest", "r_{1,1}=13 r_{28,27}=10 r_{14,13}=9 r_{28,25}=8 r_{7,6}=7 r_{28,23}=5 "
                                       "r_{14,11}=3 r_{4,3}=1")
    report = json.loads(out)
    assert status == 0 and report["smallest"] == {"1": 3, "28": 10} and report["hidden"][0]["width"] == 283
    assert report["jacobian_rank"] is None


@pytest.mark.parametrize("argv, message", [
    (("--hidden", "bogus"), "a hidden layer is one of"),
    (("--hidden", "images:2:(1 2)"), "do not define an action of the group"),
    (("--hidden", "channels:x"), "--hidden 'channels:x'"),
    (("--hidden", "linear:r_{9,9}=1"), "unknown block"),
    ((), "give the hidden layers with --hidden"),
    (("--hidden", "input", "--smallest", "r_{1,1}=1"), "without --hidden"),
    (("--hidden", "regular", "--seed", "-1"), "--seed must be a non-negative integer, got -1"),
])
def test_deep_errors(capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], message: str) -> None:
    status, _, err = run(capsys, "deep", "--gens", "(1 2 3)", "--n", "3", *argv)
    assert status == 2 and message in err and "Traceback" not in err


def test_deep_neurovariety(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ("deep", "--gens", "(1 2 3 4)", "--n", "4", "--hidden", "regular", "--hidden", "regular", "--degree", "2")
    status, out, _ = run(capsys, *argv, "--json")
    assert status == 0 and json.loads(out)["neurovariety"] == {"degree": 2, "dim": 10, "dim_mod_p": 10}
    status, out, _ = run(capsys, *argv)
    assert "neurovariety of dimension 10" in out
    status, _, err = run(capsys, "deep", "--gens", "(1 2 3)", "--n", "3", "--hidden", "linear:r_{1,1}=1",
                         "--degree", "2")
    assert status == 2 and "LinearLayer" in err
