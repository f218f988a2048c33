"""What :func:`~equilin.experiments.run_mnist` returns: one :class:`ModelResult` per table row, gathered
in an :class:`ExperimentResult` with the data's description, its text table and its JSON."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from equilin.experiments.ranks import format_ranks

__all__ = ["ModelResult", "ExperimentResult", "TALK_AGREEMENT"]

TALK_AGREEMENT = 0.02
"""Relative difference from the talk's test MSE (beyond the rounding of its 4 decimals) below which the
table says that a model agrees with the talk."""


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
    epochs : int or None
        Epochs of Adam that ran (None for the closed form, and for a row whose training did not say).
    stop_reason : str
        Why Adam stopped: ``"converged"`` (the held-out loss stopped improving) or ``"cap"`` (it ran the
        most epochs allowed); empty for the closed form.
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
    epochs: int | None = None
    stop_reason: str = ""

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

    The JSON (:meth:`to_dict`) also has ``adam_vs_closed_form`` (:meth:`adam_vs_closed_form`) and
    ``talk_comparison`` (:meth:`talk_comparison`), both printed with the table.
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

    def adam_vs_closed_form(self) -> list[dict[str, Any]]:
        """For every model trained both ways: ``{"name", "test_ratio", "train_ratio", "epochs",
        "stop_reason"}``, the ratios Adam / closed form of the test and the training MSE (the closed form
        is the global optimum of the training loss: its ratio is at least 1 up to float rounding).

        Examples
        --------
        >>> row = lambda training, mse, epochs=None: ModelResult("dense", training, {"r": 2}, 8, mse, mse, 0.1,
        ...     0.5, None, 2, epochs=epochs, stop_reason="converged" if epochs else "")
        >>> ExperimentResult({}, [row("closed-form", 0.1), row("adam", 0.101, 40)]).adam_vs_closed_form()
        [{'name': 'dense', 'test_ratio': 1.01, 'train_ratio': 1.01, 'epochs': 40, 'stop_reason': 'converged'}]
        """
        pairs = []
        for m in self.models:
            if m.training != "adam":
                continue
            closed = next((c for c in self.models if c.name == m.name and c.training == "closed-form"), None)
            if closed is not None:
                pairs.append({"name": m.name, "test_ratio": round(m.test_mse / closed.test_mse, 6),
                              "train_ratio": round(m.train_mse / closed.train_mse, 6), "epochs": m.epochs,
                              "stop_reason": m.stop_reason})
        return pairs

    def talk_comparison(self) -> list[str]:
        """One line per linear model: how this run's test MSE compares with the talk's and why it differs,
        derived from the run's rows (the closed-form row when the run has one, else the Adam row).

        A model agrees when it is within :data:`TALK_AGREEMENT` of the talk's number, beyond the rounding
        of its 4 decimals. Below the talk: the closed form is the model's optimum and the talk's Adam run
        ended above it (or its 300 test images were harder than the average). Above the talk, by more
        than the closed form's own train/test gap: the talk's number is below this model's optimum, which
        no training of this model reaches, so the talk trained a different model (the line gives this
        one's weighted rank against the budget ``r``). Outside the talk's setting (28 x 28 images,
        ``r = 99``) there is no talk number to compare with.

        Examples
        --------
        >>> row = lambda name, test, talk, training="closed-form": ModelResult(name, training,
        ...     {"r_{1,1}": 3}, 10, test, test, 0.1, 0.0, talk, 84)
        >>> data = {"name": "mnist", "shape": [28, 28], "rank": 99}
        >>> for line in ExperimentResult(data, [row("dense", 0.00563, 0.0057), row("equal-rank", 0.02506, 0.0206),
        ...                                     row("best", 0.0075, None)]).talk_comparison():
        ...     print(line[:100])
        dense: 0.00563 (closed-form) against the talk's 0.0057 (-1.2%): agrees (the talk: Adam, 300 test ima
        equal-rank: the talk's 0.0206 is 18% below this model's optimum (closed form: train 0.02506, test 0.
        best: not in the talk (chosen from the training data by the exact knapsack).
        """
        d = self.data
        lines = []
        for name in dict.fromkeys(m.name for m in self.models if m.width is None):
            rows = [m for m in self.models if m.name == name]
            closed = next((m for m in rows if m.training == "closed-form"), None)
            adam = next((m for m in rows if m.training == "adam"), None)
            ours = closed if closed is not None else rows[0]
            talk = ours.talk_test_mse
            if talk is None:
                if name == "best":
                    lines.append("best: not in the talk (chosen from the training data by the exact knapsack).")
                else:
                    h, w = d.get("shape", ("?", "?"))
                    lines.append(f"{name}: no talk number for {d.get('name', 'these data')} ({h}x{w} images, "
                                 f"r = {d.get('rank')}): the talk's numbers are for 28x28 MNIST with r = 99.")
                continue
            ratio = ours.test_mse / talk
            tolerance = TALK_AGREEMENT + 0.00005 / talk        # the talk's numbers have 4 decimals
            head = f"{name}: {ours.test_mse:.5f} ({ours.training}) against the talk's {talk:.4f} ({ratio - 1:+.1%})"
            own_gap = abs(ours.test_mse - ours.train_mse) / ours.train_mse
            if abs(ratio - 1) <= tolerance:
                lines.append(f"{head}: agrees (the talk: Adam, 300 test images, 4 decimals).")
            elif ratio < 1:
                why = "the closed form is this model's optimum" if closed is not None else "Adam here ends lower"
                if closed is not None and adam is not None:
                    why += f" and Adam reaches {adam.test_mse:.5f}"
                lines.append(f"{head}: below the talk; {why}: the talk's Adam run ended above the optimum (or its "
                             "300 test images were harder than the average).")
            elif closed is not None and ratio - 1 > tolerance + own_gap:
                budget = (f"this one has weighted rank {ours.weighted_rank} of r = {d.get('rank')} "
                          f"({format_ranks(ours.ranks)})")
                more = (", so the talk's presumably used more of the budget"
                        if ours.weighted_rank is not None and ours.weighted_rank < d.get("rank", 0) else "")
                lines.append(f"{name}: the talk's {talk:.4f} is {1 - talk / ours.test_mse:.0%} below this model's "
                             f"optimum (closed form: train {ours.train_mse:.5f}, test {ours.test_mse:.5f}), which "
                             f"no training of this model reaches: the talk's {name} is another model; {budget}"
                             f"{more}.")
            elif closed is not None:
                lines.append(f"{head}: above the talk, within this model's own train/test gap ({own_gap:.1%}).")
            else:
                lines.append(f"{head}: above the talk; with Adam alone the run cannot say whether training or "
                             "the model differs (--train both adds the closed form, the optimum).")
        return lines

    def to_dict(self) -> dict[str, Any]:
        """``{"data": ..., "models": [...], "stage_seconds": ..., "files": ..., "verdict": [...],
        "adam_vs_closed_form": [...], "talk_comparison": [...]}``."""
        return {"data": self.data, "models": [m.to_dict() for m in self.models],
                "stage_seconds": self.stage_seconds, "files": self.files, "verdict": self.verdict,
                "adam_vs_closed_form": self.adam_vs_closed_form(), "talk_comparison": self.talk_comparison()}

    def to_json(self, indent: int | None = 2) -> str:
        """:meth:`to_dict` as JSON."""
        return json.dumps(self.to_dict(), indent=indent)

    def _adam_line(self) -> str:
        """The Adam settings of the run, in words."""
        d = self.data
        a = d["adam"]
        common = (f"batch {a['batch_size']}, lr {a['lr']:g}, float32 training, evaluated in float64; "
                  f"seed {d['seed']}.")
        if a.get("patience") is None:
            return f"adam: {a['epochs']} epochs, {common}"
        rule = (f"adam: until the MSE on a held-out {a['validation_fraction']:.0%} of the training images has "
                f"not improved for {a['patience']} epochs (at most {a['epochs']}; 'converged' or 'cap' in the "
                "epochs column)")
        if "min_delta" in a:
            rule += (f", an improvement being a relative {a['min_delta']:g}; lr x{a['lr_factor']:g} after "
                     f"{a['lr_patience']} epochs without one; the best epoch's weights kept")
        return f"{rule}; {common}"

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
        trained = any(m.epochs is not None for m in self.models)
        header = ("model", "training", "rank/width" if nonlinear else "rank", "params", "train MSE", "test MSE",
                  "talk", "equiv. err", "fit s", *(("epochs",) if trained else ()),
                  "ranks/hidden" if nonlinear else "ranks")
        rows = [header]
        for m in self.models:
            talk = "-" if m.talk_test_mse is None else f"{m.talk_test_mse:.4f}"
            rank = str(m.weighted_rank) if m.width is None else f"{m.width:,} units"
            epochs = "-" if m.epochs is None else f"{m.epochs} {m.stop_reason}".strip()
            rows.append((m.name, m.training, rank, f"{m.params:,}", f"{m.train_mse:.5f}",
                         f"{m.test_mse:.5f}", talk, f"{m.equivariance_error:.1e}", f"{m.fit_seconds:.1f}",
                         *((epochs,) if trained else ()), format_ranks(m.ranks) if m.width is None else m.hidden))
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
            lines.append(self._adam_line())
            gaps = self.adam_vs_closed_form()
            if gaps:
                lines.append("adam / closed form (the optimum): " + ", ".join(
                    f"{g['name']} test {g['test_ratio']:.3f}x train {g['train_ratio']:.3f}x" for g in gaps) + ".")
        notes: dict[str, str] = {}
        for m in self.models:
            if m.note:
                notes.setdefault(m.name, m.note)
        for name, note in notes.items():
            lines.append(f"{name}: {note}")
        comparison = self.talk_comparison()
        if comparison:
            lines.append("")
            lines.append("Against the talk's table (test MSE per pixel; the talk: Adam, 300 test images):")
            lines.extend(f"  {line}" for line in comparison)
        if self.verdict:
            lines.append("")
            lines.extend(self.verdict)
        return "\n".join(lines)

