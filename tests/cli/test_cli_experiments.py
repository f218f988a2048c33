"""Tests of equilin.cli.experiments: equilin demo, critical and mnist --nonlinear (the rest of equilin
mnist: tests/experiments/test_mnist.py)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

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
    (["critical", "--n-init", "0"], "--n-init must be between 1 and 1,000,000"),
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


# -- equilin mnist --nonlinear -----------------------------------------------------------------
NONLINEAR_ARGS = ("mnist", "--data", "digits", "--rank", "10", "--nonlinear", "--epochs", "1", "--limit-train",
                  "200", "--limit-test", "50", "--threads", "1", "--quiet")


def test_mnist_nonlinear_table_then_verdict(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """--nonlinear adds the three ReLU rows to the experiment's own table, then says where nonlinearity
    pays, quoting the table's test MSEs."""
    pytest.importorskip("sklearn")
    pytest.importorskip("torch")
    status, out, err = run(capsys, *NONLINEAR_ARGS, "--group", "d4", "--out", str(tmp_path))
    assert status == 0, err
    lines = out.splitlines()
    assert lines[1].split()[:3] == ["model", "training", "rank/width"]
    rows = {line.split()[0]: line.split() for line in lines[2:8]}
    assert list(rows) == ["dense", "equal-rank", "best", "relu-best", "relu-wide", "relu-dense"]
    assert rows["relu-wide"][1:4] == ["adam", "64", "units"]
    start = lines.index("Where nonlinearity pays, from this run's test MSE (ReLU rows: Adam, at most 1 epoch):")
    verdict = "\n".join(lines[start:])
    for name in ("best", "dense", "relu-best", "relu-wide", "relu-dense"):
        column = 6 if name.startswith("relu") else 5             # "64 units" is two words
        assert f"test MSE {rows[name][column]}" in verdict, name  # the table's test MSE column, quoted
    assert "with the bottleneck, equivariant: nonlinearity" in verdict
    assert "without a bottleneck: nonlinearity" in verdict
    report = json.loads((tmp_path / "mnist.json").read_text())
    assert [m["name"] for m in report["models"]][-3:] == ["relu-best", "relu-wide", "relu-dense"]
    assert "\n".join(report["verdict"]) == verdict.split("\nwrote ")[0]


def test_mnist_nonlinear_json(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    pytest.importorskip("sklearn")
    pytest.importorskip("torch")
    status, out, err = run(capsys, *NONLINEAR_ARGS, "--json", "--out", str(tmp_path))
    assert status == 0 and err == "", err
    report = json.loads(out)
    relu = [m for m in report["models"] if m["name"].startswith("relu-")]
    assert [(m["name"], m["training"]) for m in relu] == [("relu-best", "adam"), ("relu-wide", "adam"),
                                                          ("relu-dense", "adam")]
    assert relu[2]["params"] == 2 * 64 * 10 + 10 + 64 and relu[2]["width"] == 10
    assert all(m["equivariance_error"] < 1e-5 for m in relu[:2]) and relu[2]["equivariance_error"] > 1e-3
    assert report["verdict"][0].startswith("Where nonlinearity pays")


@pytest.mark.parametrize("group", ["shift-xy", "p4m"])
def test_mnist_nonlinear_other_groups_one_line_status_2(capsys: pytest.CaptureFixture[str], group: str) -> None:
    status, out, err = run(capsys, "mnist", "--data", "digits", "--quiet", "--nonlinear", "--group", group)
    assert status == 2 and out == ""
    assert err.count("\n") == 1 and f"--nonlinear has rows for --group shift-x and d4 only, got --group {group}" in err


# -- the time of each stage ----------------------------------------------------------------------
def test_mnist_prints_the_time_of_each_stage_after_the_table(capsys: pytest.CaptureFixture[str],
                                                              tmp_path: Path) -> None:
    """After the table and the files: one line per stage (load, shift, every fit and evaluation, Adam's
    training, figures, json) and the total, the numbers those of the run's stage_seconds."""
    pytest.importorskip("sklearn")
    pytest.importorskip("torch")
    from equilin.progress import format_seconds

    argv = ("mnist", "--data", "digits", "--rank", "10", "--train", "both", "--adam-models", "equivariant",
            "--epochs", "1", "--limit-train", "200", "--limit-test", "50", "--threads", "1", "--quiet",
            "--out", str(tmp_path))
    status, out, err = run(capsys, *argv)
    assert status == 0 and err == "", err
    table, _, summary = out.partition("\ntime per stage (wall clock):\n")
    assert "\nwrote " in table and "best" in table
    rows = [line.strip().rsplit("  ", 1) for line in summary.splitlines()]
    names = [name.strip() for name, _ in rows]
    assert names[:4] == ["load", "shift", "fit dense (closed form)", "evaluate dense (closed form)"]
    assert "train equivariant (adam)" in names and "evaluate equivariant (adam)" in names
    assert names[-3:] == ["figures", "json", "total"] and len(names) == 2 + 2 * 5 + 2 + 2 + 1
    assert all(re.fullmatch(r"\d+(\.\d+)? s|\d+ min \d\d s", text.strip()) for _, text in rows)
    written = json.loads((tmp_path / "mnist.json").read_text())["stage_seconds"]  # written before "json" ends
    assert list(written) == names[:-2]
    assert [text.strip() for _, text in rows[:-2]] == [format_seconds(written[name]) for name in names[:-2]]
    status, out, _ = run(capsys, *argv, "--json")
    report = json.loads(out)                                          # --json: only the JSON on stdout
    assert status == 0 and list(report["stage_seconds"]) == names[:-1]
    assert all(isinstance(v, float) and v >= 0 for v in report["stage_seconds"].values())


def test_demo_quiet_and_not(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                            tmp_path: Path) -> None:
    """equilin demo (the MNIST run, made small here): stage lines on a captured stderr, none with --quiet;
    the table and the stage times on stdout either way."""
    pytest.importorskip("sklearn")
    pytest.importorskip("torch")
    import equilin.experiments as experiments

    real = experiments.run_mnist

    def small(**kwargs: Any) -> Any:
        return real(**{**kwargs, "data": "digits", "rank": 10, "limit_train": 100, "limit_test": 20})

    monkeypatch.setattr(experiments, "run_mnist", small)
    status, out, err = run(capsys, "demo", "--epochs", "1", "--out", str(tmp_path))
    assert status == 0 and "\r" not in err and "mnist: load (stage 1/" in err
    assert "time per stage (wall clock):" in out
    status, out, err = run(capsys, "demo", "--epochs", "1", "--out", str(tmp_path), "--quiet")
    assert status == 0 and err == "" and "time per stage (wall clock):" in out
