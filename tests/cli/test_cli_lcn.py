"""Tests of equilin.cli.lcn: equilin lcn (convolutional networks, their neurovarieties)."""

from __future__ import annotations

import json

import pytest

from equilin.cli import main
from equilin.lcn import LCN


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_lcn_json_against_the_architecture(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "lcn", "--filters", "3,3,2", "--strides", "2,1,1", "--json")
    report = json.loads(out)
    net = LCN(9, (3, 3, 2), (2, 1, 1))          # the smallest input: one output at the end
    assert status == 0 and report["sizes"] == list(net.sizes) == [9, 4, 2, 1]
    assert (report["n_params"], report["filter_size"], report["stride"], report["dim"]) == (8, 9, 2, 6)
    assert report["sample_count"] == net.sample_count() and report["neurovariety"] is None


@pytest.mark.parametrize("degree", [1, 2, 3])
def test_lcn_neurovariety_text_and_json(degree: int, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "lcn", "--filters", "2,3", "--strides", "2,1", "--input", "8", "--degree",
                         str(degree), "--json")
    nv = json.loads(out)["neurovariety"]
    assert status == 0 and nv == {"degree": degree, "dim": 4, "dim_mod_p": 4, "formula": 4, "agrees": True}
    status, out, _ = run(capsys, "lcn", "--filters", "2,3", "--strides", "2,1", "--input", "8", "--degree",
                         str(degree))
    assert status == 0 and f"x^{degree} between the layers: neurovariety of dimension 4" in out
    assert "R^8 -> R^4 -> R^2" in out


@pytest.mark.parametrize("argv, message", [
    (["--filters", "3,x"], "--filters must be 1 to 64 positive integers"),
    (["--filters", "3,0"], "--filters must be positive integers"),
    (["--filters", "3,3", "--strides", "1"], "--strides needs one stride per filter (2), got 1"),
    (["--filters", "3", "--input", "2"], "does not fit an input of size 2"),
    (["--filters", "3", "--degree", "0"], "--degree must be at least 1"),
    (["--filters", "3", "--input", "5000", "--degree", "2"], "inputs of at most 4,096 entries"),
    (["--filters", "3", "--seed", "-1", "--degree", "2"], "--seed must be a non-negative integer"),
])
def test_lcn_bad_input_is_one_line(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "lcn", *argv)
    assert status == 2 and out == "" and message in err and err.count("\n") == 1 and "Traceback" not in err
