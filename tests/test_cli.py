from __future__ import annotations

import json
import subprocess
import sys

import pytest

from equilin.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_invariant_json_talk_example(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "invariant", "--gens", "(1 3 4)(2 5)", "--n", "5", "-m", "2", "-r", "1",
                         "--json")
    assert status == 0
    report = json.loads(out)
    assert report["partition"] == [[1, 3, 4], [2, 5]]
    assert (report["n"], report["m"], report["r"], report["k"]) == (5, 2, 1, 2)
    assert (report["dim"], report["degree"], report["ed_degree"]) == (3, 2, 2)
    assert report["singular_locus"].startswith("invariant maps of rank <= 0")
    assert (report["params_shared"], report["params_dense"]) == (4, 7)
    assert all(isinstance(report[key], int) for key in ("dim", "degree", "ed_degree"))


def test_invariant_text_report(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "invariant", "--gens", "(1 3 4)(2 5)", "--n", "5", "-m", "5", "-r", "2")
    assert status == 0
    assert "orbit partition (k = 2): {1,3,4} {2,5}" in out
    assert "w1 w2 w1 w1 w2" in out and "w3 w4 w3 w3 w4" in out


def test_invariant_several_generators_and_images(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "invariant", "--gens", "(1 2)", "--gens", "(2 3)(4 5)", "--n", "6",
                         "-m", "3", "-r", "2", "--json")
    assert status == 0 and json.loads(out)["partition"] == [[1, 2, 3], [4, 5], [6]]
    status, out, _ = run(capsys, "invariant", "--image", "28x28", "--action", "shift-x", "-m", "784",
                         "-r", "99", "--json")
    report = json.loads(out)
    assert status == 0 and report["k"] == 28 and report["params_dense"] == 155_232


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


def test_demo_runs(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "demo", "--geometry")
    assert status == 0, err
    assert "(1 3 4)(2 5)" in out


def test_module_entry_point() -> None:
    done = subprocess.run([sys.executable, "-m", "equilin", "invariant", "--gens", "(1 2)", "--n", "2",
                           "-m", "1", "-r", "1", "--json"], capture_output=True, text=True, check=True)
    assert json.loads(done.stdout)["k"] == 1
