"""Thread limits for the experiments: at most ``threads`` BLAS/OpenMP threads while one runs.

On a machine whose cores are busy with other work, one thread avoids the oversubscription that makes
the many small BLAS products of the block fits spin (:func:`~equilin.experiments.run_mnist`, parameter
``threads``). PyTorch's own thread count is limited by :func:`equilin.experiments.adam.torch_threads`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

__all__ = ["limit_threads"]


@contextmanager
def limit_threads(threads: int | None) -> Iterator[None]:
    """At most ``threads`` BLAS/OpenMP threads inside the block (threadpoolctl, when installed; it comes
    with scikit-learn), restored afterwards; ``None`` leaves the libraries' defaults."""
    if threads is None:
        yield
        return
    with ExitStack() as stack:
        try:
            from threadpoolctl import threadpool_limits  # optional: installed with scikit-learn
        except ImportError:  # pragma: no cover - scikit-learn brings it
            pass
        else:
            stack.enter_context(threadpool_limits(limits=threads))
        yield
