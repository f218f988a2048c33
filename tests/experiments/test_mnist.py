"""The MNIST experiment (equilin.experiments.mnist, `equilin mnist`): its equivariance check, the whole
pipeline on the 8 x 8 digits (closed form and Adam) with its results (equilin.experiments.results),
JSON and figures, the other groups, and the command line."""

from __future__ import annotations

import json
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from equilin import data, experiments
from equilin.cli import main
from equilin.equivariance import EquivariantVariety
from equilin.experiments import (
    EQUIVARIANCE_SHIFTS,
    MODEL_NAMES,
    ExperimentResult,
    run_mnist,
    shift_elements,
    weighted_rank,
)
from equilin.groups import image_shift
from equilin.models.closed_form import DenseAutoencoder, EquivariantAutoencoder
from equilin.testing import equivariance_error

pytest.importorskip("sklearn")  # the digits data set

MODEL_KEYS = {"name", "training", "ranks", "params", "train_mse", "test_mse", "fit_seconds",
              "equivariance_error", "talk_test_mse"}
EQUIVARIANT = ("equivariant", "equal-rank", "high-pass", "best")


# -- the shift-x equivariance check ------------------------------------------------------------
def shift_error(predict: Callable[[np.ndarray], np.ndarray], images: np.ndarray) -> float:
    """The run's shift-x check on ``(N, H, W)`` images: equilin.testing.equivariance_error over the
    shifts by EQUIVARIANCE_SHIFTS pixels, on the flattened images."""
    n, h, w = images.shape
    return equivariance_error(predict, image_shift(h, w), images.reshape(n, h * w), elements=shift_elements(h, w))


def test_shift_elements_move_images_as_cyclic_shift(rng: np.random.Generator) -> None:
    """image_shift(h, w, k) acts on flattened images as data.cyclic_shift(images, k): the check shifts
    the way the data module does (and the way the old image-based check did)."""
    x = rng.random((4, 5, 7))
    elements = shift_elements(5, 7)
    assert elements == [image_shift(5, 7, k) for k in EQUIVARIANCE_SHIFTS] and len(elements) == 3
    for k, g in zip(EQUIVARIANCE_SHIFTS, elements):
        np.testing.assert_array_equal(g.act(x.reshape(4, 35)), data.cyclic_shift(x, k).reshape(4, 35))
    # the check equals max_k ||f(shift_k X) - shift_k f(X)|| / ||f(X)|| written with cyclic_shift
    mask = (np.arange(35) % 7) != 0

    def f(X: np.ndarray) -> np.ndarray:
        return np.asarray(X.reshape(-1, 35) * mask)

    fx = f(x).reshape(x.shape)
    expected = max(np.linalg.norm(f(data.cyclic_shift(x, k)).reshape(x.shape) - data.cyclic_shift(fx, k))
                   for k in EQUIVARIANCE_SHIFTS) / np.linalg.norm(fx)
    assert shift_error(f, x) == expected


def test_equivariance_error_of_known_maps(rng: np.random.Generator) -> None:
    x = rng.random((20, 5, 7))
    assert shift_error(lambda X: X, x) == 0.0
    assert shift_error(lambda X: np.zeros_like(X), x) == 0.0
    mask = (np.arange(35) % 7) != 0  # zeroes the first column: not shift-equivariant
    assert shift_error(lambda X: X * mask, x) > 0.1
    # a cyclic blur along rows commutes with the shifts
    blur = lambda X: (X + np.roll(X.reshape(-1, 5, 7), 1, axis=2).reshape(-1, 35)) / 2  # noqa: E731
    assert shift_error(blur, x) < 1e-15
    with pytest.raises(ValueError, match="non-empty"):
        shift_error(lambda X: X, np.zeros((0, 3, 3)))


def test_equivariance_error_of_fitted_models(rng: np.random.Generator) -> None:
    x = rng.random((300, 6, 6))
    X = x.reshape(300, 36)
    equivariant = EquivariantAutoencoder(image_shift(6, 6), "best", rank=7).fit(X)
    dense = DenseAutoencoder(7).fit(X)
    assert shift_error(equivariant.predict, x) < 1e-12
    assert shift_error(dense.predict, x) > 1e-3


# -- the pipeline on the digits ----------------------------------------------------------------
@pytest.fixture(scope="module")
def digits_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[ExperimentResult, Path]:
    out = tmp_path_factory.mktemp("digits_run")
    result = run_mnist("digits", rank=10, train="both", epochs=2, seed=0, out=out, progress=False)
    return result, out


def test_rows_in_order(digits_run: tuple[ExperimentResult, Path]) -> None:
    result, _ = digits_run
    assert [(m.name, m.training) for m in result.models] == [
        (name, training) for name in MODEL_NAMES for training in ("closed-form", "adam")]


def test_json_file_and_keys(digits_run: tuple[ExperimentResult, Path]) -> None:
    result, out = digits_run
    report = json.loads((out / "mnist.json").read_text())
    again = json.loads(result.to_json())
    assert (report["data"], report["models"]) == (again["data"], again["models"])
    data = report["data"]
    assert data["name"] == "digits" and data["shape"] == [8, 8]
    assert (data["n_train"], data["n_test"], data["seed"], data["rank"]) == (1500, 297, 0, 10)
    assert data["shift"]["max_fraction"] == 0.2 and data["shift"]["axis"] == "x"
    assert data["equivariance_check"] == {"shifts": [1, 2, 3], "n_images": 297,
                                          "kind": "cyclic shift of the shifted test images"}
    assert data["adam"]["epochs"] == 2 and data["adam"]["batch_size"] == 256
    models = report["models"]
    assert {m["name"] for m in models} == set(MODEL_NAMES)
    assert {m["training"] for m in models} == {"closed-form", "adam"}
    labels = ["r_{1,1}", "r_{8,7}", "r_{4,3}", "r_{8,5}", "r_{2,1}"]
    for m in models:
        assert MODEL_KEYS <= set(m)
        assert m["talk_test_mse"] is None  # the talk's numbers are for 28 x 28 and r = 99 only
        if m["name"] == "dense":
            assert m["ranks"] == {"r": 10} and m["params"] == 2 * 10 * 64
        else:
            assert list(m["ranks"]) == labels
            assert sum((1 if label in ("r_{1,1}", "r_{2,1}") else 2) * k
                       for label, k in m["ranks"].items()) == m["weighted_rank"]
        assert m["test_mse"] > 0 and m["train_mse"] > 0 and m["fit_seconds"] >= 0
    named = {(m["name"], m["training"]): m for m in models}
    assert named["equivariant", "closed-form"]["ranks"] == dict(zip(labels, (8, 1, 0, 0, 0)))
    assert "low-pass" in named["equivariant", "closed-form"]["note"]
    assert named["equal-rank", "adam"]["ranks"] == dict(zip(labels, (1,) * 5))
    assert named["high-pass", "adam"]["ranks"] == dict(zip(labels, (0, 0, 0, 1, 8)))
    assert named["best", "adam"]["ranks"] == named["best", "closed-form"]["ranks"]
    for (name, _), m in named.items():
        assert m["params"] == named[name, "closed-form"]["params"]


def png_size(path: Path) -> tuple[int, int]:
    raw = path.read_bytes()
    assert raw[:8] == b"\x89PNG\r\n\x1a\n" and raw[12:16] == b"IHDR"
    return struct.unpack(">II", raw[16:24])


def test_figures(digits_run: tuple[ExperimentResult, Path]) -> None:
    pytest.importorskip("matplotlib")
    result, out = digits_run
    figure = out / "mnist_reconstructions.png"
    assert result.files["figure"] == str(figure)
    width, height = png_size(figure)
    assert 600 <= width <= 2000 and 200 <= height <= 1000 and width > 2 * height
    assert figure.stat().st_size > 5_000
    for key in ("code_sharing", "filters", "spectrum"):   # content: tests/plots
        path = Path(result.files[key])
        assert path.parent == out and path.name == f"mnist_{key}.png"
        width, height = png_size(path)
        assert width >= 400 and height >= 150
    assert not (out / "mnist_weight_sharing.png").exists()


def test_closed_form_equivariance_and_optimality(digits_run: tuple[ExperimentResult, Path]) -> None:
    result, _ = digits_run
    for name in EQUIVARIANT:
        for training in ("closed-form", "adam"):  # Adam modules are evaluated in float64
            assert result.model(name, training).equivariance_error < 1e-10
    for training in ("closed-form", "adam"):
        assert result.model("dense", training).equivariance_error > 1e-2
    best = result.model("best").train_mse
    for name in EQUIVARIANT:
        assert best <= result.model(name).train_mse * (1 + 1e-12)
    # the closed form is the global optimum of each function space: never above Adam's training loss
    for name in MODEL_NAMES:
        assert result.model(name).train_mse <= result.model(name, "adam").train_mse * (1 + 1e-9)


def test_closed_form_matches_direct_fits(digits_run: tuple[ExperimentResult, Path]) -> None:
    result, _ = digits_run
    ds = data.load("digits", seed=0).shifted(0.2, seed=0)
    X, X_test = ds.x_train.reshape(1500, 64), ds.x_test.reshape(297, 64)
    model = EquivariantAutoencoder(image_shift(8, 8), (8, 1, 0, 0, 0)).fit(X)
    row = result.model("equivariant")
    assert row.train_mse == pytest.approx(model.train_loss_, rel=1e-12)
    assert row.test_mse == pytest.approx(model.loss(X_test), rel=1e-10)
    assert row.params == model.n_params_


def test_table(digits_run: tuple[ExperimentResult, Path]) -> None:
    result, _ = digits_run
    table = result.table()
    lines = table.splitlines()
    assert lines[1].split()[:4] == ["model", "training", "rank", "params"]
    assert lines[2].split()[:4] == ["dense", "closed-form", "10", "1,280"]
    assert "all 5 blocks 1" in table and "weighted rank 8 <= 10" in table
    assert "r_{1,1}=8 r_{8,7}=1" in table


def test_adam_only_for_chosen_models() -> None:
    torch = pytest.importorskip("torch")
    before = torch.get_num_threads()
    result = run_mnist("digits", rank=12, train="adam", epochs=1, adam_models=["best"], progress=False,
                       limit_train=300, limit_test=50, threads=1)
    assert torch.get_num_threads() == before  # restored
    assert [(m.name, m.training) for m in result.models] == [("best", "adam")]
    row = result.models[0]
    assert weighted_rank(EquivariantVariety(image_shift(8, 8), 12), tuple(row.ranks.values())) == 12
    assert result.data["n_train"] == 300 and result.data["equivariance_check"]["n_images"] == 50
    assert result.files == {}


@pytest.mark.parametrize("kwargs, message", [
    ({"rank": 0}, "rank must be an integer >= 1"),
    ({"rank": 65}, "at most 64"),
    ({"rank": 7}, "rank >= 8"),
    ({"epochs": 0, "train": "adam"}, "epochs"),
    ({"patience": 0, "train": "adam"}, "patience"),
    ({"validation_fraction": 1.0, "train": "adam"}, "validation_fraction"),
    ({"train": "sgd"}, "train must be"),
    ({"train": "both", "adam_models": ["dense", "wide"]}, "unknown model 'wide'"),
    ({"lr": -1.0}, "lr must be"),
    ({"data": "nosuch"}, "source must be one of"),
    ({"threads": 0}, "threads must be an integer >= 1"),
])
def test_bad_arguments(kwargs: dict[str, Any], message: str) -> None:
    args = {"data": "digits", "rank": 10, "progress": False, **kwargs}
    with pytest.raises(ValueError, match=message):
        run_mnist(**args)


# -- command line ------------------------------------------------------------------------------
def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_cli_json(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    status, out, err = run(capsys, "mnist", "--data", "digits", "--rank", "10", "--json", "--quiet",
                           "--out", str(tmp_path))
    assert status == 0, err
    assert err == ""
    report = json.loads(out)
    assert [m["name"] for m in report["models"]] == list(MODEL_NAMES)
    assert {m["training"] for m in report["models"]} == {"closed-form"}
    assert json.loads((tmp_path / "mnist.json").read_text())["models"] == report["models"]
    assert (tmp_path / "mnist_reconstructions.png").is_file()


def test_cli_table(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    status, out, err = run(capsys, "mnist", "--data", "digits", "--rank", "12", "--train", "both",
                           "--adam-models", "equivariant,dense", "--epochs", "1", "--quiet",
                           "--out", str(tmp_path))
    assert status == 0, err
    rows = [line.split()[:2] for line in out.splitlines()[2:9]]
    assert rows == [["dense", "closed-form"], ["dense", "adam"], ["equivariant", "closed-form"],
                    ["equivariant", "adam"], ["equal-rank", "closed-form"], ["high-pass", "closed-form"],
                    ["best", "closed-form"]]
    assert "wrote " in out


@pytest.mark.parametrize("argv, message", [
    (["--rank", "0"], "--rank must be at least 1"),
    (["--rank", "65"], "at most 64"),
    (["--rank", "5"], "rank >= 8"),
    (["--epochs", "0", "--train", "adam"], "--epochs must be at least 1"),
    (["--lr", "0", "--train", "adam"], "--lr must be a positive number"),
    (["--seed", "-1"], "--seed must be a non-negative integer"),
    (["--limit-train", "0"], "--limit-train must be at least 1"),
    (["--data", "nosuch"], "--data must be one of mnist, digits or a directory"),
    (["--data", "./no/such/dir"], "--data must be one of mnist, digits or a directory"),
    (["--train", "sgd"], "invalid choice"),
    (["--adam-models", "dense"], "--adam-models needs --train adam or --train both"),
    (["--train", "both", "--adam-models", "dense,wide"], "--adam-models must be a comma-separated list"),
    (["--rank", "ten"], "invalid int"),
    (["--threads", "0"], "--threads must be at least 1"),
    (["--patience", "-1", "--train", "adam"], "--patience must be at least 0"),
])
def test_cli_bad_input_one_line_status_2(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                         argv: list[str], message: str) -> None:
    full = ["mnist", "--data", "digits", "--quiet", "--out", str(tmp_path), *argv]
    status, out, err = run(capsys, *full)
    assert status == 2
    assert err.count("\n") == 1 and message in err, err
    assert "Traceback" not in err and out == ""


def test_demo_runs_the_mnist_experiment(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                                        tmp_path: Path) -> None:
    calls: list[dict[str, Any]] = []
    real = experiments.run_mnist

    def fake(**kwargs: Any) -> ExperimentResult:
        calls.append(kwargs)
        return real(**{**kwargs, "data": "digits", "rank": 10, "epochs": 1, "limit_train": 200})

    monkeypatch.setattr(experiments, "run_mnist", fake)
    status, out, err = run(capsys, "demo", "--quiet", "--out", str(tmp_path))
    assert status == 0, err
    assert len(calls) == 1
    call = calls[0]
    assert (call["data"], call["rank"], call["train"]) == ("mnist", 99, "both")
    assert tuple(call["adam_models"]) == ("equivariant", "dense") and call["epochs"] >= 1
    assert call["threads"] == 1
    assert call["patience"] == 30 and call["lr"] == 1e-2
    assert "equilin demo --geometry" in out and "equal-rank" in out


@pytest.mark.parametrize(("argv", "expected"), [([], (300, 30)), (["--patience", "0", "--epochs", "7"], (7, None)),
                                                (["--patience", "5"], (300, 5))])
def test_cli_stopping_options(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                              argv: list[str], expected: tuple[int, int | None]) -> None:
    """--epochs is the cap, --patience the rule (0: exactly --epochs epochs, patience=None)."""
    calls: list[dict[str, Any]] = []
    real = experiments.run_mnist

    def fake(**kwargs: Any) -> ExperimentResult:
        calls.append(kwargs)
        return real(**{**kwargs, "train": "closed-form", "limit_train": 100, "limit_test": 20})

    monkeypatch.setattr(experiments, "run_mnist", fake)
    status, _, err = run(capsys, "mnist", "--data", "digits", "--rank", "10", "--train", "adam", "--quiet",
                         "--out", str(tmp_path), *argv)
    assert status == 0, err
    assert (calls[0]["epochs"], calls[0]["patience"]) == expected


def test_fixed_epochs_without_patience() -> None:
    """patience=None trains exactly `epochs` epochs on all images and says so."""
    pytest.importorskip("torch")
    result = run_mnist("digits", rank=12, train="adam", epochs=3, patience=None, adam_models=["high-pass"],
                       progress=False, limit_train=300, limit_test=50, threads=1)
    row = result.model("high-pass", "adam")
    assert (row.epochs, row.stop_reason) == (3, "cap")
    assert result.data["adam"]["patience"] is None and "adam: 3 epochs" in result.table()




@pytest.mark.parametrize("group", ["shift-xy", "d4", "p4m"])
def test_other_groups_on_digits(group: str) -> None:
    """--group shift-xy / d4 / p4m: dense, equal-rank (when r allows) and best, in closed form; the
    equivariant models commute with every generator of the group."""
    result = run_mnist("digits", rank=20, group=group, progress=False, limit_train=400, limit_test=100)
    names = [m.name for m in result.models]
    assert names == (["dense", "equal-rank", "best"] if group == "d4" else ["dense", "best"])
    for m in result.models:
        assert (m.equivariance_error < 1e-10) == (m.name != "dense")
        assert m.weighted_rank <= 20 and m.params > 0
    best = result.model("best")
    assert all(best.train_mse <= m.train_mse + 1e-12 for m in result.models if m.name != "dense")
    assert group in result.data["group"] and "moved by" in result.table()
    # Adam for every group: the isotypic module, equivariant after float32 training
    trained = run_mnist("digits", rank=20, group=group, train="adam", epochs=2, progress=False,
                        limit_train=400, limit_test=100)
    assert [(m.name, m.training) for m in trained.models] == [(name, "adam") for name in names]
    for m in trained.models:
        assert (m.equivariance_error < 1e-5) == (m.name != "dense")
        assert m.params == result.model(m.name).params
    with pytest.raises(ValueError, match="has the models dense, equal-rank, best"):
        run_mnist("digits", rank=20, group=group, train="adam", adam_models=["high-pass"], progress=False)
    with pytest.raises(ValueError, match="group must be one of"):
        run_mnist("digits", rank=20, group="rot45", progress=False)
