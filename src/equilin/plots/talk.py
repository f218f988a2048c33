"""The talk's two weight-sharing pictures, computed by the library and drawn as graphs.

* ``talk_invariant_encoder.png``: the invariant autoencoder's encoder for ``sigma = (1 3 4)(2 5)``,
  ``m = n = 5``, ``r = 2`` (``I^sigma_{2, 5x5}``): ``B = W E_P`` has columns constant on the orbits
  ``{1, 3, 4}`` and ``{2, 5}``, four shared weights.
* ``talk_rotation_sharing.png``: the 3 x 3 encoder and 9 x 3 decoder of the clockwise rotation of a
  3 x 3 image, component ``r_{1,1}=1 r_{4,3}=1 r_{2,1}=0`` (the talk's ``r = (1, 0, 1)`` in its order
  ``(r_{1,1}, r_{2,1}, r_{4,3})``), in pixel space (pixels named ``a_ij`` in the talk's order: corners,
  edge midpoints, centre): seven shared weights in the encoder, seven in the decoder.

``python -m equilin.plots DIR`` writes both (:func:`talk_graphs`).
"""

from __future__ import annotations

import os
from pathlib import Path

from equilin.equivariance import EquivariantVariety, invariant_sharing, pixel_sharing
from equilin.geometry import InvariantVariety
from equilin.groups import Permutation, talk_pixel_order, talk_rotation
from equilin.plots.sharing import sharing_graph

__all__ = ["talk_graphs", "TALK_GRAPHS"]

TALK_GRAPHS: tuple[str, ...] = ("talk_invariant_encoder.png", "talk_rotation_sharing.png")
"""The files :func:`talk_graphs` writes."""


def talk_graphs(directory: str | os.PathLike[str]) -> list[Path]:
    """Write the talk's two weight-sharing graphs (:data:`TALK_GRAPHS`) to ``directory``; returns the paths.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     [p.name for p in talk_graphs(tmp)]
    ['talk_invariant_encoder.png', 'talk_rotation_sharing.png']
    """
    out = Path(directory)
    invariant = InvariantVariety(Permutation.from_cycles("(1 3 4)(2 5)", 5), m=5, rank=2)
    enc = invariant_sharing(invariant)
    first = out / TALK_GRAPHS[0]
    sharing_graph(enc, None, first, input_labels=[str(j + 1) for j in range(5)],
                  title=f"invariant encoder B = W E_P, sigma = (1 3 4)(2 5), r = 2:\n{enc.n_classes} shared "
                        "weights, constant on the orbits {1, 3, 4} and {2, 5}\n(edges of one colour share "
                        "one weight)")
    component = EquivariantVariety(talk_rotation(3), 3).component((1, 1, 0))
    encoder, decoder = pixel_sharing(component, "encoder"), pixel_sharing(component, "decoder")
    names = [f"a{i + 1}{j + 1}" for i, j in (divmod(int(p), 3) for p in talk_pixel_order(3))]
    second = out / TALK_GRAPHS[1]
    sharing_graph(encoder, decoder, second, input_labels=names,
                  title=f"3 x 3 rotation, {component.label()} (the talk's r = (1, 0, 1))\n"
                        f"encoder (bottom): {encoder.n_classes} shared weights, decoder (top): "
                        f"{decoder.n_classes}\nedges of one colour share one weight; a dashed edge carries "
                        "it negated")
    return [first, second]
