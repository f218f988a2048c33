"""PyTorch modules that realize the invariant and equivariant function spaces by weight sharing.

* :class:`DenseLinearAutoencoder` (:mod:`~equilin.models.nn.dense`) -- ``R^n -> R^r -> R^m``, function
  space ``M_{r, m x n}``.
* :class:`InvariantLinearAutoencoder` (:mod:`~equilin.models.nn.invariant`) -- encoder ``W E_P`` (one
  weight column per orbit), dense decoder: function space ``I^G_{r, m x n}`` (``docs/math.md`` section 3).
* :class:`EquivariantLinearAutoencoder` (:mod:`~equilin.models.nn.equivariant`) -- one irreducible
  component of ``E^G_r`` for any permutation group: block-diagonal encoder and decoder in the adapted
  basis ``Q`` (one matrix over R, C or H per block), never an ``n x n`` matrix (``docs/math.md``
  section 4, ``docs/equivariance.md``). Its ``kernel`` is, for a cyclic group, the talk's Fourier
  transforms along the cycles (:mod:`~equilin.models.nn.cyclic_kernel`: real DFT matrices for cycles of
  length at most :data:`DFT_MATRIX_MAX_LENGTH`, FFTs for longer ones, in plain differentiable ops),
  and for every other group the block kernel (:mod:`~equilin.models.nn.block_kernel`) between the
  coordinate operators of :mod:`~equilin.models.nn.operators` (a gather by orbit type and batched
  products per block shape, or FFTs for translation groups beyond ``DENSE_LIMIT`` points).
  :class:`IsotypicLinearAutoencoder` is the same class kept for older code (the block kernel even for
  a cyclic group).
* :class:`DeepEquivariantNetwork` (:mod:`~equilin.models.nn.deep`) -- a deep equivariant network whose
  hidden layers are permuted neurons (optionally with pointwise activations and orbit-constant biases).

Every autoencoder maps a batch of row vectors ``(N, n)`` to ``(N, m)``, works in float32 or float64 and
on any device (``.to(device)``), and offers ``function_matrix()`` (small ``n``), ``n_parameters()``,
``from_closed_form(estimator)`` (copy the exact optimum from :mod:`equilin.models.closed_form`),
``export()`` (a dense ``nn.Sequential`` of two bias-free ``nn.Linear`` layers, for deployment) and
``save`` / ``load`` (:mod:`~equilin.models.nn.base`). :func:`train` (:mod:`~equilin.models.nn.training`)
fits any of them with Adam.

The modules follow PyTorch's conventions of state: the ``state_dict`` holds the weights only; the
structure computed from the group (index maps, bases, masks) lives in non-persistent buffers that each
module rebuilds itself (:mod:`~equilin.models.nn.base`), so the meta-device pattern
(``with torch.device("meta"): ...``, ``.to_empty(device=...)``, ``load_state_dict``), ``deepcopy``,
pickling, ``.to(device)`` and ``.to(dtype)`` between float32 and float64 all give the module's function.
Importing this package needs PyTorch (``pip install 'equilin[torch]'``).
"""

try:
    import torch  # noqa: F401
except ImportError as exc:          # torch is an optional dependency of equilin
    raise ImportError("equilin.models.nn needs PyTorch, which is not installed: pip install 'equilin[torch]'"
                      ) from exc

from equilin.models.nn.cyclic_kernel import DFT_MATRIX_MAX_LENGTH, dft_matrices
from equilin.models.nn.deep import ACTIVATIONS, DeepEquivariantNetwork
from equilin.models.nn.dense import DenseLinearAutoencoder
from equilin.models.nn.equivariant import EquivariantLinearAutoencoder, IsotypicLinearAutoencoder
from equilin.models.nn.invariant import InvariantLinearAutoencoder
from equilin.models.nn.training import TrainingHistory, train

__all__ = [
    "ACTIVATIONS",
    "DFT_MATRIX_MAX_LENGTH",
    "DeepEquivariantNetwork",
    "DenseLinearAutoencoder",
    "EquivariantLinearAutoencoder",
    "InvariantLinearAutoencoder",
    "IsotypicLinearAutoencoder",
    "TrainingHistory",
    "dft_matrices",
    "train",
]
