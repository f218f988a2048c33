"""Tests of equilin.cli.experiments: equilin demo and critical (equilin mnist: tests/experiments)."""

from __future__ import annotations

import json

import pytest

from equilin.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_demo_runs(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "demo", "--geometry")
    assert status == 0, err
    assert "(1 3 4)(2 5)" in out


def test_critical_json_and_table(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "critical", "--n-init", "2", "--seed", "3", "--json")
    assert status == 0
    report = json.loads(out)
    assert report["settings"]["n_init"] == 2 and report["settings"]["search"] == "train"
    assert [c["name"] for c in report["cases"]] == ["(a)", "(b)", "(c)"]
    assert all(sum(c["counts"].values()) == 2 for c in report["cases"])
    assert report["cases"][0]["counts"]["spurious"] == 0
    status, out, err = run(capsys, "critical", "--n-init", "1", "--quiet")
    assert status == 0 and err == ""
    assert "pure regular" in out and "LCN, strides > 1" in out and "docs/critical.md" in out


@pytest.mark.parametrize(("argv", "message"), [
    (["critical", "--n-init", "0"], "--n-init must be at least 1"),
    (["critical", "--seed", "-1"], "--seed must be a non-negative integer"),
    (["critical", "--max-iter", "0"], "--max-iter must be at least 1"),
    (["critical", "--tol", "1.5"], "--tol must be a number in (0, 1)"),
    (["critical", "--search", "newton"], "invalid choice"),
])
def test_critical_errors_one_line_status_2(capsys: pytest.CaptureFixture[str], argv: list[str],
                                           message: str) -> None:
    status, _, err = run(capsys, *argv)
    assert status == 2 and err.count("\n") == 1 and message in err


def test_critical_deep_cases(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "critical", "--deep", "--n-init", "1", "--json")
    report = json.loads(out)
    assert status == 0
    assert [c["name"] for c in report["cases"]] == ["(d1)", "(d2)", "(d3)", "(d4)", "(d5)", "(d6)"]
    assert all(sum(c["counts"].values()) == 1 and c["network"].startswith("deep equivariant") for c in report["cases"])
