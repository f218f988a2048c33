"""What :func:`~equilin.experiments.run_mnist` returns: one :class:`ModelResult` per table row, gathered
in an :class:`ExperimentResult` with the data's description, its text table and its JSON."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from equilin.experiments.ranks import format_ranks

__all__ = ["ModelResult", "ExperimentResult"]


@dataclass
class ModelResult:
    """One row of the experiment's table.

    Attributes
    ----------
    name : str
        One of :data:`~equilin.experiments.MODEL_NAMES`, or of
        :data:`~equilin.experiments.NONLINEAR_MODELS` (a ReLU network trained with Adam).
    training : str
        ``"closed-form"`` or ``"adam"``.
    ranks : dict
        ``{block label: rank}`` in block order; ``{"r": rank}`` for the dense model.
    params : int
        Free real parameters of the network.
    train_mse, test_mse : float
        Mean squared error per pixel on all shifted training / test images.
    fit_seconds : float
        Closed-form fit (Gram matrices and eigenproblems) or Adam training time (for ``best`` trained
        with Adam, not counting the closed-form choice of its ranks).
    equivariance_error : float
        :func:`equilin.testing.equivariance_error` on the first test images: over the shifts by
        :data:`~equilin.experiments.mnist.EQUIVARIANCE_SHIFTS` pixels for ``shift-x``, over the group's
        generators otherwise.
    talk_test_mse : float or None
        The talk's reported test MSE for this model; ``None`` for ``best`` (not in the talk) and for
        every model when the talk's setting (28 x 28 images, ``r = 99``) does not apply.
    weighted_rank : int or None
        Rank of the model's function matrix at most (``sum_b w_b r_b``); None for a nonlinear row.
    note : str
        What the row is, where it differs from the talk.
    width : int or None
        Hidden units of a nonlinear row (its bottleneck width, if it has one); None for a linear row.
    hidden : str
        A nonlinear row's hidden layer in words (its G-set, or its width); empty for a linear row.
    """

    name: str
    training: str
    ranks: dict[str, int]
    params: int
    train_mse: float
    test_mse: float
    fit_seconds: float
    equivariance_error: float
    talk_test_mse: float | None
    weighted_rank: int | None
    note: str = ""
    width: int | None = None
    hidden: str = ""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of the fields."""
        return asdict(self)


@dataclass
class ExperimentResult:
    """Everything :func:`~equilin.experiments.run_mnist` measured.

    Attributes
    ----------
    data : dict
        The data and the setup: ``name, source, n_train, n_test, shape, shift, seed, rank``, the
        equivariance check's ``shifts`` and image count, and the Adam settings (the models it trained
        included) when Adam ran.
    models : list of ModelResult
        In the order of :data:`~equilin.experiments.MODEL_NAMES`, closed form before Adam for each model;
        then the nonlinear rows (:data:`~equilin.experiments.NONLINEAR_MODELS`), when the run has them.
    stage_seconds : dict
        Wall time of each stage (loading, shifting, each fit, evaluation, figures).
    files : dict
        Paths written (``figure``, ``weight_sharing``, ``json``), when ``out`` was given.
    verdict : list of str
        With the nonlinear rows: where nonlinearity pays and where it does not, in words, derived from
        this run's numbers (:func:`~equilin.experiments.nonlinear_verdict`); printed after the table.
    """

    data: dict[str, Any]
    models: list[ModelResult]
    stage_seconds: dict[str, float] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)
    verdict: list[str] = field(default_factory=list)

    def model(self, name: str, training: str = "closed-form") -> ModelResult:
        """The row of one model and training."""
        for m in self.models:
            if m.name == name and m.training == training:
                return m
        raise KeyError(f"no model {name!r} trained {training!r} in this result")

    def to_dict(self) -> dict[str, Any]:
        """``{"data": ..., "models": [...], "stage_seconds": ..., "files": ..., "verdict": [...]}``."""
        return {"data": self.data, "models": [m.to_dict() for m in self.models],
                "stage_seconds": self.stage_seconds, "files": self.files, "verdict": self.verdict}

    def to_json(self, indent: int | None = 2) -> str:
        """:meth:`to_dict` as JSON."""
        return json.dumps(self.to_dict(), indent=indent)

    def table(self) -> str:
        """The results as a fixed-width text table with its notes."""
        d = self.data
        h, w = d["shape"]
        if "shift" in d:
            moved = (f"shifted horizontally by a uniform random offset in +-{d['shift']['max_pixels']:g} "
                     f"px (bilinear, seed {d['seed']})")
        else:
            moved = f"moved by {d['data_transform']} (seed {d['seed']}); group {d['group']}"
        lines = [f"{d['name']}: {d['n_train']:,} training and {d['n_test']:,} test images, {h}x{w}, each "
                 f"{moved}; bottleneck r = {d['rank']}"]
        nonlinear = any(m.width is not None for m in self.models)
        header = ("model", "training", "rank/width" if nonlinear else "rank", "params", "train MSE", "test MSE",
                  "talk", "equiv. err", "fit s", "ranks/hidden" if nonlinear else "ranks")
        rows = [header]
        for m in self.models:
            talk = "-" if m.talk_test_mse is None else f"{m.talk_test_mse:.4f}"
            rank = str(m.weighted_rank) if m.width is None else f"{m.width:,} units"
            rows.append((m.name, m.training, rank, f"{m.params:,}", f"{m.train_mse:.5f}",
                         f"{m.test_mse:.5f}", talk, f"{m.equivariance_error:.1e}", f"{m.fit_seconds:.1f}",
                         format_ranks(m.ranks) if m.width is None else m.hidden))
        widths = [max(len(r[i]) for r in rows) for i in range(len(header) - 1)]
        left = {0, 1}
        for r in rows:
            cells = [c.ljust(wd) if i in left else c.rjust(wd) for i, (c, wd) in enumerate(zip(r, widths))]
            lines.append("  ".join(cells) + "  " + r[-1])
        lines.append("")
        lines.append(f"test MSE: per pixel, all {d['n_test']:,} {'shifted' if 'shift' in d else 'moved'} "
                     "test images; talk: the talk's "
                     "test MSE (Adam, 300 random shifted test images).")
        check = d["equivariance_check"]
        if "shifts" in check:
            lines.append(f"equiv. err: max over k in {{{', '.join(map(str, check['shifts']))}}} of "
                         f"||f(shift_k x) - shift_k f(x)|| / ||f(x)|| on {check['n_images']:,} test images "
                         "(cyclic shifts by k pixels).")
        else:
            lines.append("equiv. err: max over the generators g of ||f(g x) - g f(x)|| / ||f(x)|| on "
                         f"{check['n_images']:,} test images.")
        lines.append("rank: weighted rank sum_b w_b r_b (a block counts its weight: 2 for the complex "
                     "blocks of a cyclic group, dim V_i in general); ranks: nonzero blocks, in block order.")
        if nonlinear:
            lines.append("width (relu-* rows): hidden units of the ReLU network; its last column is its hidden "
                         "layer H.")
        if "adam" in d:
            a = d["adam"]
            lines.append(f"adam: {a['epochs']} epochs, batch {a['batch_size']}, lr {a['lr']:g}, float32 "
                         f"training, evaluated in float64; seed {d['seed']}.")
        notes: dict[str, str] = {}
        for m in self.models:
            if m.note:
                notes.setdefault(m.name, m.note)
        for name, note in notes.items():
            lines.append(f"{name}: {note}")
        if self.verdict:
            lines.append("")
            lines.extend(self.verdict)
        return "\n".join(lines)

