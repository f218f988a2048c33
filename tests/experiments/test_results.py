"""equilin.experiments.results: the epochs of the Adam rows, the Adam / closed-form ratios and the
comparison with the talk's table, in the printed table and in the JSON."""

from __future__ import annotations

import json

from equilin.experiments import ExperimentResult, ModelResult

TALK_RANKS = {"r_{1,1}": 13, "r_{28,27}": 10}
EQUAL_RANKS = {f"b{i}": 3 for i in range(15)}
MNIST = {"name": "mnist", "shape": [28, 28], "rank": 99, "n_train": 60000, "n_test": 10000, "seed": 0,
         "shift": {"max_pixels": 5.6}, "equivariance_check": {"shifts": [1, 2, 3], "n_images": 1000},
         "adam": {"epochs": 300, "lr": 0.01, "batch_size": 256, "patience": 30, "validation_fraction": 0.1,
                  "min_delta": 1e-4, "lr_patience": 10, "lr_factor": 0.5}}


def row(name: str, training: str, train: float, test: float, talk: float | None, ranks: dict[str, int],
        weighted: int, epochs: int | None = None, stop: str = "") -> ModelResult:
    return ModelResult(name, training, ranks, 5544, train, test, 1.0, 1e-16, talk, weighted, epochs=epochs,
                       stop_reason=stop)


def mnist_result() -> ExperimentResult:
    """The closed-form numbers of full MNIST (README), with an Adam row for dense."""
    return ExperimentResult(MNIST, [
        row("dense", "closed-form", 0.00580, 0.00563, 0.0057, {"r": 99}, 99),
        row("dense", "adam", 0.00581, 0.00564, 0.0057, {"r": 99}, 99, 149, "converged"),
        row("equivariant", "closed-form", 0.00790, 0.00769, 0.0082, TALK_RANKS, 99),
        row("equal-rank", "closed-form", 0.02526, 0.02506, 0.0206, EQUAL_RANKS, 84),
        row("high-pass", "closed-form", 0.10466, 0.10664, 0.1063, TALK_RANKS, 99),
        row("best", "closed-form", 0.00777, 0.00757, None, TALK_RANKS, 99),
    ])


def test_talk_comparison_gives_a_reason_per_model() -> None:
    lines = mnist_result().talk_comparison()
    assert [line.split(":")[0] for line in lines] == ["dense", "equivariant", "equal-rank", "high-pass", "best"]
    dense, equivariant, equal, high, best = lines
    assert "agrees" in dense and f"{0.00563 / 0.0057 - 1:+.1%}" in dense
    assert "agrees" in high and f"{0.10664 / 0.1063 - 1:+.1%}" in high
    assert "below the talk" in equivariant and "optimum" in equivariant and "agrees" not in equivariant
    # the talk's equal-rank number is below this model's optimum: it was another model
    assert f"{1 - 0.0206 / 0.02506:.0%} below this model's optimum" in equal
    assert "weighted rank 84 of r = 99" in equal and "all 15 blocks 3" in equal and "more of the budget" in equal
    assert best.startswith("best: not in the talk")


def test_talk_comparison_outside_the_talks_setting() -> None:
    data = {**MNIST, "name": "digits", "shape": [8, 8], "rank": 20}
    result = ExperimentResult(data, [row("dense", "closed-form", 0.008, 0.008, None, {"r": 20}, 20),
                                     row("best", "closed-form", 0.014, 0.013, None, TALK_RANKS, 20)])
    assert result.talk_comparison() == [
        "dense: no talk number for digits (8x8 images, r = 20): the talk's numbers are for 28x28 MNIST with "
        "r = 99.",
        "best: not in the talk (chosen from the training data by the exact knapsack)."]
    adam_only = ExperimentResult(MNIST, [row("equal-rank", "adam", 0.03, 0.03, 0.0206, EQUAL_RANKS, 84, 5, "cap")])
    assert "Adam alone" in adam_only.talk_comparison()[0]


def test_table_and_json_give_the_epochs_and_the_ratios() -> None:
    result = mnist_result()
    table = result.table()
    header = table.splitlines()[1].split()
    assert header[header.index("fit") + 2] == "epochs"
    dense_adam = next(line for line in table.splitlines() if line.startswith("dense        adam"))
    assert "149 converged" in dense_adam
    assert "until the MSE on a held-out 10% of the training images has not improved for 30 epochs" in table
    assert f"dense test {0.00564 / 0.00563:.3f}x train {0.00581 / 0.00580:.3f}x" in table
    assert "Against the talk's table" in table and "equal-rank: the talk's 0.0206" in table
    report = json.loads(result.to_json())
    adam = report["models"][1]
    assert (adam["epochs"], adam["stop_reason"]) == (149, "converged")
    assert report["models"][0]["epochs"] is None and report["models"][0]["stop_reason"] == ""
    assert report["adam_vs_closed_form"] == [{"name": "dense", "test_ratio": round(0.00564 / 0.00563, 6),
                                              "train_ratio": round(0.00581 / 0.00580, 6), "epochs": 149,
                                              "stop_reason": "converged"}]
    assert report["talk_comparison"] == result.talk_comparison()


def test_table_without_adam_has_no_epochs_column() -> None:
    result = mnist_result()
    result.models = [m for m in result.models if m.training == "closed-form"]
    result.data = {k: v for k, v in MNIST.items() if k != "adam"}
    assert "epochs" not in result.table().splitlines()[1]


def test_fixed_epochs_are_described_as_such() -> None:
    result = mnist_result()
    result.data = {**MNIST, "adam": {"epochs": 5, "lr": 0.001, "batch_size": 256, "patience": None}}
    assert "adam: 5 epochs, batch 256, lr 0.001" in result.table()
