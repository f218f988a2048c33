"""The nonlinear rows of the MNIST experiment (equilin.experiments.nonlinear, ``run_mnist(...,
nonlinear=True)``): ReLU autoencoders trained with Adam against the linear closed forms on the 8 x 8
digits, their parameter counts, equivariance, JSON, and the verdict derived from the numbers."""

from __future__ import annotations

import dataclasses
import json

import pytest

from equilin.deep import DeepLinearNetwork, GSet, smallest_gset
from equilin.equivariance import EquivariantVariety
from equilin.experiments import (
    MODEL_NAMES,
    NONLINEAR_GROUPS,
    NONLINEAR_MODELS,
    ExperimentResult,
    ModelResult,
    nonlinear_verdict,
    run_mnist,
    wide_channels,
)
from equilin.groups import Permutation, PermutationGroup, image_group, image_shift

pytest.importorskip("sklearn")  # the digits data set
pytest.importorskip("torch")

RANK = 10
LINEAR = {"shift-x": MODEL_NAMES, "d4": ("dense", "equal-rank", "best")}


@pytest.fixture(scope="module", params=NONLINEAR_GROUPS)
def run(request: pytest.FixtureRequest) -> tuple[str, ExperimentResult]:
    group: str = request.param
    return group, run_mnist("digits", rank=RANK, group=group, nonlinear=True, epochs=2, progress=False,
                            limit_train=300, limit_test=100, threads=1)


def n_orbits(group: Permutation | PermutationGroup | GSet) -> int:
    """Orbits of the group on its points, or of a G-set on its units, through the generators' images."""
    if isinstance(group, GSet):
        return len(PermutationGroup(list(group.images)).orbits)
    return len(group.orbits) if isinstance(group, PermutationGroup) else len(PermutationGroup([group]).orbits)


def group_of(name: str) -> Permutation | PermutationGroup:
    return image_shift(8, 8) if name == "shift-x" else image_group("d4", 8, 8)


def test_rows_appear_after_the_linear_ones(run: tuple[str, ExperimentResult]) -> None:
    group, result = run
    assert [(m.name, m.training) for m in result.models] == (
        [(name, "closed-form") for name in LINEAR[group]] + [(name, "adam") for name in NONLINEAR_MODELS])
    assert result.data["adam"]["models"] == list(NONLINEAR_MODELS) and result.data["adam"]["epochs"] == 2
    for name in NONLINEAR_MODELS:
        m = result.model(name, "adam")
        assert m.weighted_rank is None and m.ranks == {} and m.width is not None and m.hidden
        assert m.test_mse > 0 and m.train_mse > 0 and m.fit_seconds > 0
    for m in result.models[:len(LINEAR[group])]:
        assert m.width is None and m.hidden == "" and m.weighted_rank is not None


def test_parameter_counts_computed_independently(run: tuple[str, ExperimentResult]) -> None:
    """Weights: one per orbital of each layer (DeepLinearNetwork.n_params); biases: one per orbit of the
    hidden units and one per orbit of the pixels; dense: n r + r + r n + n."""
    group, result = run
    G, n = group_of(group), 64
    best = result.model("best")
    H, _ = smallest_gset(EquivariantVariety(G, n), tuple(best.ranks.values()))
    row = result.model("relu-best", "adam")
    assert row.width == H.h
    assert row.params == DeepLinearNetwork(G, [H]).n_params + n_orbits(H) + n_orbits(G)
    # relu-wide: K channels, K minimizing |K x (weights of one channel) - 2 n r|
    per = DeepLinearNetwork(G, [GSet.channels(G, 1)]).n_params
    K = min(range(1, 10), key=lambda k: abs(k * per - 2 * n * RANK))
    assert K == wide_channels(EquivariantVariety(G, RANK), RANK)
    wide = result.model("relu-wide", "adam")
    assert wide.width == K * n
    assert wide.params == DeepLinearNetwork(G, [GSet.channels(G, K)]).n_params + (K + 1) * n_orbits(G)
    assert result.model("relu-dense", "adam").params == 2 * n * RANK + RANK + n == result.model("dense").params + 74
    # the small network is about the linear equivariant model's size, the wide one about the dense one's
    assert row.params < 3 * best.params
    assert 0.5 < wide.params / result.model("dense").params < 1.5


def test_equivariant_rows_are_equivariant(run: tuple[str, ExperimentResult]) -> None:
    """Permuted neurons with pointwise ReLU and orbit-constant biases are equivariant after float32
    training (evaluated in float64); the dense ReLU autoencoder is not."""
    _, result = run
    for m in result.models:
        if m.name == "relu-dense" or m.name == "dense":
            assert m.equivariance_error > 1e-3, m.name
        else:
            assert m.equivariance_error < 1e-5, m.name


def test_json_has_the_rows_and_the_verdict(run: tuple[str, ExperimentResult]) -> None:
    _, result = run
    report = json.loads(result.to_json())
    rows = {m["name"]: m for m in report["models"] if m["training"] == "adam"}
    assert list(rows) == list(NONLINEAR_MODELS)
    for name, m in rows.items():
        assert m == json.loads(json.dumps(result.model(name, "adam").to_dict()))
        assert m["width"] > 0 and m["weighted_rank"] is None and m["hidden"].startswith(("H:", "10 hidden"))
    assert report["verdict"] == result.verdict and len(result.verdict) >= 5


def test_verdict_from_the_numbers(run: tuple[str, ExperimentResult]) -> None:
    """The verdict quotes the run's test MSEs and follows them: lowering a ReLU row's test MSE below the
    linear one turns 'does not pay' into 'pays'."""
    _, result = run
    verdict = result.verdict
    assert verdict == nonlinear_verdict(result.models, 64, 2, capped=True)   # early stopping, at most 2 epochs
    assert verdict[0].endswith("(ReLU rows: Adam, at most 2 epochs):")
    for name in NONLINEAR_MODELS:   # each ReLU row says how many epochs ran and why it stopped
        row = result.model(name, "adam")
        assert row.epochs is not None and 1 <= row.epochs <= 2 and row.stop_reason in ("converged", "cap")
    assert result.table().endswith("\n".join(verdict))
    text = "\n".join(verdict)
    for name in ("best", "dense", *NONLINEAR_MODELS):
        training = "adam" if name.startswith("relu") else "closed-form"
        assert f"test MSE {result.model(name, training).test_mse:.5f}" in text
    for name, linear, label in (("relu-best", "best", "with the bottleneck, equivariant"),
                                ("relu-dense", "dense", "with the bottleneck, dense")):
        relu, lin = result.model(name, "adam"), result.model(linear)
        line = next(line for line in verdict if line.startswith(f"  {label}:"))
        expected = "does not pay" if relu.test_mse > 1.01 * lin.test_mse else "pays"
        assert expected in line
        for factor, word in ((0.5, "pays (test MSE 50% below"), (2.0, "does not pay at this training budget"),
                             (1.005, "is even")):
            moved = [dataclasses.replace(m, test_mse=lin.test_mse * factor) if m is relu else m
                     for m in result.models]
            assert word in next(line for line in nonlinear_verdict(moved, 64, 2) if line.startswith(f"  {label}:"))
    wide = next(line for line in verdict if line.startswith("  without a bottleneck:"))
    ratio = result.model("relu-wide", "adam").params / result.model("dense").params
    assert f"at {ratio:.2f}x its parameters" in wide
    assert any("relu-wide has no bottleneck (64 hidden units for 64 pixels)" in line for line in verdict)
    assert "relu-dense" in verdict[-1] and "not equivariant" in verdict[-1]


def test_verdict_without_relu_rows_is_empty() -> None:
    row = ModelResult("best", "closed-form", {}, 10, 0.1, 0.1, 0.0, 0.0, None, 3)
    assert nonlinear_verdict([row], 64, 5) == []


def test_adam_only_run_chooses_the_best_component() -> None:
    """Without closed-form rows the hidden layer still comes from the best component (fitted once), and
    the verdict compares with the Adam-trained linear rows."""
    result = run_mnist("digits", rank=RANK, train="adam", adam_models=["dense"], nonlinear=True, epochs=1,
                       progress=False, limit_train=200, limit_test=50, threads=1)
    assert [(m.name, m.training) for m in result.models] == [("dense", "adam")] + [
        (name, "adam") for name in NONLINEAR_MODELS]
    assert "choose the best component (closed form)" in result.stage_seconds
    assert any(line.startswith("  with the bottleneck, dense:") for line in result.verdict)
    assert not any(line.startswith("  with the bottleneck, equivariant:") for line in result.verdict)


@pytest.mark.parametrize("group", ["shift-xy", "p4m"])
def test_other_groups_refused(group: str) -> None:
    with pytest.raises(ValueError, match="the nonlinear rows exist for the groups shift-x and d4 only"):
        run_mnist("digits", rank=RANK, group=group, nonlinear=True, progress=False)
    with pytest.raises(ValueError, match="nonlinear must be True or False"):
        run_mnist("digits", rank=RANK, nonlinear="yes", progress=False)  # type: ignore[arg-type]
