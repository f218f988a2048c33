"""The critical-point experiment (equilin.experiments.critical, `equilin critical`): outcome counts, JSON,
reproducibility, argument checks, and the saddles of a deep equivariant network."""

from __future__ import annotations

import json
from typing import Any

import pytest

from equilin.critical import OUTCOMES, Parameterization
from equilin.experiments import CriticalExperimentResult, deep_critical_cases, run_critical
from equilin.lcn import LCN


def test_run_critical_counts_and_json() -> None:
    result = run_critical(n_init=4, seed=0)
    assert isinstance(result, CriticalExperimentResult)
    assert [c.name for c in result.cases] == ["(a)", "(b)", "(c)"]
    for case in result.cases:
        assert list(case.counts) == list(OUTCOMES) and sum(case.counts.values()) == 4 == len(case.trials)
    assert result.case("(a)").n_samples == 21 and result.case("(b)").n_samples == 10
    assert result.case("(a)").counts["spurious"] == 0  # the talk's claim for strides > 1
    data = json.loads(result.to_json())
    assert data["settings"]["seed"] == 0 and data["cases"][2]["dim"] == 16
    assert "pure regular" in result.table()
    with pytest.raises(KeyError, match="no case"):
        result.case("(d)")


def test_run_critical_is_reproducible_and_validates() -> None:
    cases = [("(x)", "stride one", Parameterization.lcn(LCN(6, (2, 2))), 10)]
    first = run_critical(n_init=3, seed=5, cases=cases)
    second = run_critical(n_init=3, seed=5, cases=cases)
    assert [t["outcome"] for t in first.cases[0].trials] == [t["outcome"] for t in second.cases[0].trials]
    assert first.cases[0].trials[0]["seed"] == [5, 0, 0]
    saddles = run_critical(n_init=2, seed=5, cases=cases, search="critical", max_iter=100)
    assert saddles.settings["search"] == "critical" and sum(saddles.cases[0].counts.values()) == 2
    bad: list[tuple[dict[str, Any], str]] = [
        ({"n_init": 0}, "n_init must be"), ({"search": "adam"}, "search must be one of"),
        ({"tol": 2.0}, "tol must be a number"), ({"max_iter": 0}, "max_iter must be")]
    for kwargs, message in bad:
        with pytest.raises(ValueError, match=message):
            run_critical(**kwargs)



def test_spurious_critical_points_of_a_deep_equivariant_network_are_saddles() -> None:
    """Solving grad L = 0 for the rotation's depth-2 network (9 -> 2 -> 9 through G/<sigma^2>) lands on a
    spurious critical point at trial 3 of seed 0; its exact Hessian has a negative eigenvalue."""
    result = run_critical(n_init=4, seed=0, search="critical", cases=deep_critical_cases()[:1])
    trials = result.cases[0].trials
    spurious = [t for t in trials if t["outcome"] == "spurious"]
    assert spurious and all(t["saddle"] is True for t in spurious)
    assert all(t["saddle"] is None for t in trials if t["outcome"] != "spurious")
