"""The Agg canvas every figure of :mod:`equilin.plots` is drawn on, and writing a figure to a file."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

__all__ = ["new_figure", "save"]

_HINT = "plots need matplotlib: pip install matplotlib (or pip install 'equilin[plots]')"


def new_figure(width: float, height: float) -> Figure:
    """A matplotlib ``Figure`` (inches) attached to an Agg canvas; no pyplot state.

    Raises
    ------
    ImportError
        When matplotlib is not installed (the message says how to install it).
    """
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise ImportError(_HINT) from exc
    fig = Figure(figsize=(width, height))
    FigureCanvasAgg(fig)
    return fig


def save(fig: Figure, path: str | os.PathLike[str], dpi: int = 100) -> Path:
    """Write ``fig`` to ``path`` (parent directories created); returns the path."""
    file = Path(path)
    file.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(file, dpi=dpi)
    return file
