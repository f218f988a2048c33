"""The experiments of the talk: the MNIST autoencoders, their nonlinear rivals, critical points of training.

The top layer below the command line (``equilin mnist``, ``equilin demo``, ``equilin critical``); it
uses the models, the data, the figures (:mod:`equilin.plots`) and the geometry below it.

* :mod:`~equilin.experiments.mnist`: :func:`run_mnist`, the talk's five linear autoencoders on shifted
  digits (``docs/math.md`` section 6), its groups (:data:`GROUPS`), data and equivariance-check settings;
* :mod:`~equilin.experiments.ranks`: the models' rank tuples -- :func:`talk_ranks`,
  :func:`equal_rank_ranks`, :func:`high_pass_ranks`, :func:`low_pass_ranks` -- with :func:`weighted_rank`
  and :func:`format_ranks`; the models of the table with their ranks and notes (:class:`ModelSpec`,
  :func:`talk_model_specs` for the five :data:`MODEL_NAMES`, :func:`general_model_specs` for other groups);
* :mod:`~equilin.experiments.results`: :class:`ModelResult` and :class:`ExperimentResult` (table, JSON);
* :mod:`~equilin.experiments.nonlinear`: the ReLU rows of ``run_mnist(..., nonlinear=True)``
  (:data:`NONLINEAR_MODELS`, :func:`nonlinear_rows`, for :data:`NONLINEAR_GROUPS`): permuted neurons with
  ReLU against the linear closed forms, and :func:`nonlinear_verdict`, where nonlinearity pays;
* :mod:`~equilin.experiments.critical`: :func:`run_critical` with :func:`critical_cases` and
  :func:`deep_critical_cases`, :class:`CriticalCase`, :class:`CriticalExperimentResult`;
* :mod:`~equilin.experiments.evaluation` (test MSE, chunked) and :mod:`~equilin.experiments.threads`
  (BLAS thread limits): shared by the experiments;
* :mod:`~equilin.experiments.adam`: Adam training with PyTorch, the only module here that imports torch;
  the functions that train import it when they run, so importing this package imports neither torch
  nor matplotlib.

Equivariance errors are measured with :func:`equilin.testing.equivariance_error`.
"""

from equilin.experiments.critical import (
    CRITICAL_SEARCHES,
    CriticalCase,
    CriticalExperimentResult,
    critical_cases,
    deep_critical_cases,
    run_critical,
)
from equilin.experiments.mnist import (
    ADAM_BATCH_SIZE,
    EQUIVARIANCE_IMAGES,
    EQUIVARIANCE_SHIFTS,
    FIGURE_DIGITS,
    GROUPS,
    SHIFT_FRACTION,
    TALK_TEST_MSE,
    TRAININGS,
    run_mnist,
    shift_elements,
)
from equilin.experiments.nonlinear import (
    NONLINEAR_GROUPS,
    NONLINEAR_MODELS,
    nonlinear_rows,
    nonlinear_verdict,
    wide_channels,
)
from equilin.experiments.ranks import (
    GENERAL_MODELS,
    MODEL_NAMES,
    TALK_RANKS,
    ModelSpec,
    equal_rank_ranks,
    format_ranks,
    general_model_specs,
    high_pass_ranks,
    is_talk_variety,
    low_pass_ranks,
    talk_model_specs,
    talk_ranks,
    weighted_rank,
)
from equilin.experiments.results import ExperimentResult, ModelResult

__all__ = [
    "ADAM_BATCH_SIZE",
    "CRITICAL_SEARCHES",
    "CriticalCase",
    "CriticalExperimentResult",
    "EQUIVARIANCE_IMAGES",
    "EQUIVARIANCE_SHIFTS",
    "ExperimentResult",
    "FIGURE_DIGITS",
    "GENERAL_MODELS",
    "GROUPS",
    "MODEL_NAMES",
    "ModelResult",
    "ModelSpec",
    "NONLINEAR_GROUPS",
    "NONLINEAR_MODELS",
    "SHIFT_FRACTION",
    "TALK_RANKS",
    "TALK_TEST_MSE",
    "TRAININGS",
    "critical_cases",
    "deep_critical_cases",
    "equal_rank_ranks",
    "format_ranks",
    "general_model_specs",
    "high_pass_ranks",
    "is_talk_variety",
    "low_pass_ranks",
    "nonlinear_rows",
    "nonlinear_verdict",
    "run_critical",
    "run_mnist",
    "shift_elements",
    "talk_model_specs",
    "talk_ranks",
    "weighted_rank",
    "wide_channels",
]
