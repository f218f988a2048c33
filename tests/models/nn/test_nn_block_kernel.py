"""equilin.models.nn.block_kernel: orbit-wise coordinates beyond the dense limit, blocks of one shape
batched into one parameter, and state dicts of the per-block layout."""

from __future__ import annotations

import numpy as np
import torch

from equilin.equivariance import EquivariantVariety
from equilin.testing import assert_equivariant


def test_isotypic_module_beyond_the_dense_limit() -> None:
    """d4 on 80 x 80 (n = 6,400 > DENSE_LIMIT): the module works orbit-wise, is equivariant in float64,
    and agrees with the decomposition's own block coordinates."""
    from equilin.equivariance import DENSE_LIMIT
    from equilin.groups import image_group
    from equilin.models.nn import IsotypicLinearAutoencoder

    group = image_group("d4", 80, 80)
    assert group.n > DENSE_LIMIT
    torch.manual_seed(0)
    model = IsotypicLinearAutoencoder(group, (2, 1, 0, 1, 1), dtype=torch.float64)
    assert model.rank == 2 + 1 + 1 + 2
    assert_equivariant(lambda X: model(torch.from_numpy(X)).detach().numpy(), group, atol=1e-10)
    x = torch.rand(3, group.n, dtype=torch.float64)
    D = model.variety.decomposition
    checked = 0
    for coords, (members, d, reps, k, m, _) in zip(model.kernel._coordinates(x), model.kernel.groups):
        for position, j in enumerate(members):              # (B, m d, reps N) per group -> (N, m reps d)
            i = model.kernel.active[j]
            mine = coords[position].reshape(m, d, reps, 3).permute(3, 0, 2, 1).reshape(3, -1)
            assert np.abs(mine.numpy() - D.vectors_to_block_coordinates(x.numpy(), i)).max() < 1e-12
            checked += 1
    assert checked == len(model.kernel.active) == 4
    assert model(torch.zeros(0, group.n, dtype=torch.float64)).shape == (0, group.n)


def test_isotypic_module_groups_blocks_and_reads_the_per_block_layout() -> None:
    """Blocks of one shape share one batched parameter (shift-xy: one group per field); a state_dict in
    the former layout (one encoders.j / decoders.j per active block) loads into the same function."""
    from equilin.groups import image_group
    from equilin.models.nn import IsotypicLinearAutoencoder

    group = image_group("shift-xy", 6, 6)
    ranks = next(EquivariantVariety(group, 9).components()).ranks
    torch.manual_seed(0)
    model = IsotypicLinearAutoencoder(group, ranks, dtype=torch.float64)
    assert [(g[0], g[1]) for g in model.kernel.groups] == [([0, 3, 5], 1), ([1, 2, 4], 2)]   # (blocks, field dim)
    assert not model.kernel._identity_codes           # real and complex blocks interleave in block order
    assert model.n_parameters() == model.component.n_params
    legacy = {}
    for j in range(len(model.kernel.active)):
        enc, dec = model.block_parameters(j)
        legacy[f"encoders.{j}"], legacy[f"decoders.{j}"] = enc.detach().clone(), dec.detach().clone()
    fresh = IsotypicLinearAutoencoder(group, ranks, dtype=torch.float64)
    fresh.load_state_dict(legacy)
    x = torch.rand(4, group.n, dtype=torch.float64)
    assert torch.allclose(fresh(x), model(x), atol=1e-14)
    assert_equivariant(lambda X: model(torch.from_numpy(X)).detach().numpy(), group, atol=1e-12)
    # codes come back in the order of the active blocks, whatever the grouping
    z = model.encode(x)
    assert torch.allclose(model.decode(z), model(x), atol=1e-14)
    first = model.kernel.active[0]
    C = model.variety.decomposition.vectors_to_block_coordinates(x.numpy(), first)
    enc, _ = model.block_parameters(0)
    assert np.allclose(z[:, :enc.shape[1]].detach().numpy(), C @ enc[0].detach().numpy().T)
