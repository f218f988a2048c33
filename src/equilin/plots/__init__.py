"""Figures: the talk's MNIST figure, weight sharing in pixel space, learned filters and the spectrum.

Drawn with matplotlib's object API on the Agg canvas (``matplotlib.figure.Figure`` with
``FigureCanvasAgg``): nothing here imports ``pyplot`` or changes matplotlib's global backend, so the
functions are safe in scripts, servers and tests. Each drawing function returns the
:class:`~matplotlib.figure.Figure` and, when given a path, writes it there (PNG, or any format
matplotlib infers from the suffix). matplotlib is an optional dependency (``pip install
'equilin[plots]'``); it is imported when a function draws.

* :mod:`~equilin.plots.reconstruction` -- :func:`reconstructions`: input digits and each model's outputs.
* :mod:`~equilin.plots.sharing` -- :func:`sharing_graph` (the talk's graphs: an edge per weight) of the
  classes of tied weights that :func:`equilin.equivariance.pixel_sharing` and
  :func:`equilin.equivariance.invariant_sharing` compute in the original coordinates.
* :mod:`~equilin.plots.units` -- for image models: :func:`encoder_filters` (a fitted model's encoder
  rows as images, block by block) and :func:`code_sharing` (one code unit's tied pixel weights).
* :mod:`~equilin.plots.spectrum` -- :func:`block_energy` and :func:`spectrum`: the data's energy per
  block beside the ranks each model gives it.
* :mod:`~equilin.plots.basis` -- :func:`weight_sharing`: the templates in the adapted basis ``Q``.
* :mod:`~equilin.plots.talk` -- :func:`talk_graphs`: the talk's two weight-sharing graphs.

``python -m equilin.plots DIR`` writes the talk's two weight-sharing graphs to ``DIR``
(the module ``equilin.plots.__main__``).
"""

from equilin.plots.basis import weight_sharing
from equilin.plots.canvas import new_figure, save
from equilin.plots.reconstruction import reconstructions
from equilin.plots.sharing import GRAPH_COLOURS, sharing_graph
from equilin.plots.spectrum import block_energy, spectrum
from equilin.plots.talk import TALK_GRAPHS, talk_graphs
from equilin.plots.units import code_sharing, encoder_filters

__all__ = [
    "GRAPH_COLOURS",
    "TALK_GRAPHS",
    "block_energy",
    "code_sharing",
    "encoder_filters",
    "new_figure",
    "reconstructions",
    "save",
    "sharing_graph",
    "spectrum",
    "talk_graphs",
    "weight_sharing",
]
