"""equilin.experiments."""

from equilin.experiments.mnist import CriticalExperimentResult, ExperimentResult, GROUPS, MODEL_NAMES, TALK_RANKS, deep_critical_cases, equal_rank_ranks, equivariance_error, format_ranks, high_pass_ranks, low_pass_ranks, run_critical, run_mnist, run_nonlinear, talk_ranks, weighted_rank

__all__ = [
    "CriticalExperimentResult",
    "ExperimentResult",
    "GROUPS",
    "MODEL_NAMES",
    "TALK_RANKS",
    "deep_critical_cases",
    "equal_rank_ranks",
    "equivariance_error",
    "format_ranks",
    "high_pass_ranks",
    "low_pass_ranks",
    "run_critical",
    "run_mnist",
    "run_nonlinear",
    "talk_ranks",
    "weighted_rank",
]
