"""Training any of the torch modules with Adam on the mean squared error: :func:`train`."""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np
import torch
from torch import nn

from equilin.validation import check_int, check_real_dtype

__all__ = ["STOP_REASONS", "TrainingHistory", "train"]


STOP_REASONS: tuple[str, ...] = ("converged", "cap")
"""Why :func:`train` stopped: ``"converged"`` (the validation loss stopped improving: ``patience`` epochs
without a relative improvement of ``min_delta``) or ``"cap"`` (it ran all ``epochs``)."""


class TrainingHistory(dict[str, Any]):
    """``{"train_loss": [...], "val_loss": [...], "lr": [...], "best_epoch": int, "stopped_early": bool,
    "epochs_run": int, "stop_reason": str, "restored_best": bool, "n_validation": int}``.

    Losses are mean squared errors per entry, one value per epoch (``train_loss``: the mean over the
    epoch's mini-batches; ``val_loss``: after the epoch, empty without validation data); ``lr`` is the
    learning rate each epoch ran with; ``best_epoch`` is the (0-based) epoch of the lowest validation
    loss (-1 without validation); ``stop_reason`` is one of :data:`STOP_REASONS`; ``restored_best`` says
    whether the model ends with the weights of ``best_epoch``; ``n_validation`` counts the validation rows
    (0 without)."""


def _as_tensor(data: Any, name: str, like: torch.Tensor) -> torch.Tensor:
    """``data`` (array_like or tensor) as a checked 2-D tensor of real rows, in ``like``'s dtype and device."""
    if isinstance(data, torch.Tensor):
        if data.is_complex() or data.dtype == torch.bool:
            raise ValueError(f"{name} must be a real numeric tensor, got dtype {data.dtype}")
        tensor = data
    else:
        arr = np.asarray(data)
        check_real_dtype(arr.dtype, name)
        tensor = torch.from_numpy(np.ascontiguousarray(arr))
    if tensor.ndim != 2:
        raise ValueError(f"{name} must be 2-D (samples x features), got shape {tuple(tensor.shape)}")
    if tensor.shape[0] == 0:
        raise ValueError(f"{name} has no samples (shape {tuple(tensor.shape)})")
    if not torch.isfinite(tensor).all():
        raise ValueError(f"{name} contains NaN or infinite entries")
    return tensor.to(dtype=like.dtype, device=like.device)


def _check_width(tensor: torch.Tensor, name: str, width: Any, what: str) -> None:
    """``tensor`` has ``width`` columns, when the model says how many (``n_features`` / ``n_outputs``)."""
    if isinstance(width, int) and tensor.shape[1] != width:
        raise ValueError(f"{name} must have {width} columns (the model's {what}), got shape {tuple(tensor.shape)}")


def _split(Xt: torch.Tensor, Yt: torch.Tensor, fraction: float, seed: int
           ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(X_fit, Y_fit, X_val, Y_val)``: ``round(fraction N)`` rows (at least 1, leaving at least 1) chosen by
    a permutation seeded with ``seed`` are held out for validation."""
    N = Xt.shape[0]
    if N < 2:
        raise ValueError(f"validation_fraction needs at least 2 samples to hold some out, got {N}")
    k = min(max(1, round(fraction * N)), N - 1)
    perm = torch.randperm(N, generator=torch.Generator().manual_seed(seed)).to(Xt.device)
    held, kept = perm[:k], perm[k:]
    return Xt[kept], Yt[kept], Xt[held], Yt[held]


def _check_fraction(value: Any, name: str, low_open: bool = True) -> float:
    """A real number in ``(0, 1)`` (``low_open=False``: in ``[0, 1)``)."""
    ok = (isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
          and (0 < value < 1 if low_open else 0 <= value < 1))
    if not ok:
        raise ValueError(f"{name} must be a number in {'(0, 1)' if low_open else '[0, 1)'}, got {value!r}")
    return float(value)


def train(model: nn.Module, X: Any, Y: Any = None, *, epochs: int = 20, batch_size: int = 256,
          lr: float = 1e-3, seed: int = 0, validation: tuple[Any, Any] | Any | None = None,
          patience: int | None = None, progress: bool = True, validation_fraction: float | None = None,
          min_delta: float = 0.0, lr_patience: int | None = None, lr_factor: float = 0.5,
          restore_best: bool | None = None) -> TrainingHistory:
    """Train a module with Adam on the mean squared error ``||f(X) - Y||^2 / (N m)``.

    Without validation data it runs ``epochs`` epochs. With validation data (``validation``, or
    ``validation_fraction`` of the rows held out) the validation loss is computed after every epoch and
    ``epochs`` becomes a cap: with ``patience`` training stops once ``patience`` epochs in a row have not
    improved the best validation loss by a relative ``min_delta`` (an epoch improves when
    ``val < best (1 - min_delta)``), and the weights of the epoch with the lowest validation loss are
    restored. ``lr_patience`` lowers the learning rate by ``lr_factor`` after ``lr_patience`` epochs
    without such an improvement (PyTorch's ``ReduceLROnPlateau`` with a relative threshold ``min_delta``).
    The history says how many epochs ran and why training stopped.

    Parameters
    ----------
    model : nn.Module
        Maps ``(N, n)`` to ``(N, m)``.
    X, Y : array_like or Tensor
        Row samples; ``Y = None`` trains an autoencoder.
    epochs, batch_size, lr, seed
        Adam over shuffled mini-batches, at most ``epochs`` epochs; ``seed`` fixes the shuffling and the
        held-out rows (and nothing else: initialize the model under ``torch.manual_seed`` for a
        reproducible start).
    validation : (X_val, Y_val) or X_val, optional
        Validation data, evaluated after every epoch.
    patience : int, optional
        Early stopping: stop after ``patience`` epochs without an improvement (needs validation data).
        None runs all ``epochs``.
    progress : bool
        Show progress over the epochs on stderr (:class:`equilin.progress.Progress`: a bar on a
        terminal, a plain line every tenth of the epochs or 30 s elsewhere).
    validation_fraction : float in (0, 1), optional
        Hold out this fraction of the rows of ``X`` (and ``Y``), chosen by a permutation seeded with
        ``seed``, as the validation data; training uses the rest. Not together with ``validation``.
    min_delta : float in [0, 1)
        Relative improvement of the validation loss that counts for ``patience`` and ``lr_patience``.
    lr_patience : int, optional
        Multiply the learning rate by ``lr_factor`` after ``lr_patience`` epochs without an improvement
        (needs validation data); None keeps ``lr``.
    lr_factor : float in (0, 1)
        The factor of ``lr_patience``.
    restore_best : bool, optional
        End with the weights of the epoch with the lowest validation loss; default: when ``patience``
        is given.

    Returns
    -------
    TrainingHistory
        ``stop_reason`` is ``"converged"`` when ``patience`` stopped training and ``"cap"`` when all
        ``epochs`` ran.

    Raises
    ------
    ValueError
        The model has no trainable parameters (an :class:`EquivariantLinearAutoencoder` whose ranks are
        all 0 computes the zero function: there is nothing to fit), or the data are empty, not 2-D, not
        real, not finite, or of a width that does not fit the model, or an option is out of range
        (``patience``, ``lr_patience`` or ``restore_best`` without validation data, ``validation``
        together with ``validation_fraction``).

    Examples
    --------
    >>> from equilin.models.nn import DenseLinearAutoencoder
    >>> history = train(DenseLinearAutoencoder(3, 1), np.eye(3), epochs=2, progress=False)
    >>> len(history["train_loss"]), history["stop_reason"]
    (2, 'cap')

    Early stopping on a held-out tenth of the rows: training ends before the cap of 500 epochs, once the
    validation loss has not improved by 0.1% for 5 epochs, with the best epoch's weights.

    >>> X = np.random.default_rng(0).standard_normal((200, 4)) @ np.diag([3.0, 2.0, 0.1, 0.1])
    >>> history = train(DenseLinearAutoencoder(4, 2), X, epochs=500, batch_size=20, lr=0.01,
    ...                 validation_fraction=0.1, patience=5, min_delta=1e-3, progress=False)
    >>> history["stop_reason"], history["epochs_run"] < 500, history["n_validation"]
    ('converged', True, 20)
    """
    from equilin.progress import Progress

    epochs = check_int(epochs, "epochs", 1)
    batch_size = check_int(batch_size, "batch_size", 1)
    if not (isinstance(lr, (int, float)) and math.isfinite(lr) and lr > 0):
        raise ValueError(f"lr must be a positive number, got {lr!r}")
    if validation_fraction is not None:
        validation_fraction = _check_fraction(validation_fraction, "validation_fraction")
        if validation is not None:
            raise ValueError("give validation data or validation_fraction, not both")
    validating = validation is not None or validation_fraction is not None
    min_delta = _check_fraction(min_delta, "min_delta", low_open=False)
    lr_factor = _check_fraction(lr_factor, "lr_factor")
    for option, value in (("patience", patience), ("lr_patience", lr_patience)):
        if value is not None:
            check_int(value, option, 1)
            if not validating:
                raise ValueError(f"{option} ({'early stopping' if option == 'patience' else 'learning-rate decay'}) "
                                 "needs validation data: pass validation=... or validation_fraction=...")
    if restore_best is None:
        restore_best = patience is not None
    elif not isinstance(restore_best, bool):
        raise ValueError(f"restore_best must be True, False or None, got {restore_best!r}")
    elif restore_best and not validating:
        raise ValueError("restore_best needs validation data: pass validation=... or validation_fraction=...")
    if not isinstance(model, nn.Module):
        raise ValueError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    trainable = [p for p in model.parameters() if p.requires_grad]
    if not trainable:
        raise ValueError(f"this {type(model).__name__} has no trainable parameters (all its ranks 0, or every "
                         "parameter frozen): there is nothing to train")
    ref = trainable[0]
    n, m = getattr(model, "n_features", None), getattr(model, "n_outputs", None)
    Xt = _as_tensor(X, "X", ref)
    _check_width(Xt, "X", n, "n_features")
    Yt = Xt if Y is None else _as_tensor(Y, "Y", ref)
    _check_width(Yt, "Y", m, "n_outputs")
    if Yt.shape[0] != Xt.shape[0]:
        raise ValueError(f"X and Y must have the same number of samples, got {Xt.shape[0]} and {Yt.shape[0]}")
    if validation_fraction is not None:
        Xt, Yt, Xv, Yv = _split(Xt, Yt, validation_fraction, seed)
    elif validation is not None:
        Xv_raw, Yv_raw = validation if isinstance(validation, tuple) else (validation, None)
        Xv = _as_tensor(Xv_raw, "validation X", ref)
        _check_width(Xv, "validation X", n, "n_features")
        Yv = Xv if Yv_raw is None else _as_tensor(Yv_raw, "validation Y", ref)
        _check_width(Yv, "validation Y", m, "n_outputs")
        if Yv.shape[0] != Xv.shape[0]:
            raise ValueError(f"validation X and Y must have the same number of samples, got {Xv.shape[0]} and "
                             f"{Yv.shape[0]}")
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(trainable, lr=lr)
    history = TrainingHistory(train_loss=[], val_loss=[], lr=[], best_epoch=-1, stopped_early=False,
                              epochs_run=0, stop_reason="cap", restored_best=False,
                              n_validation=int(Xv.shape[0]) if validating else 0)
    best, best_state = math.inf, None
    reference, waited, lr_waited = math.inf, 0, 0          # the loss that an improvement must beat
    bar = Progress(range(epochs), f"training {type(model).__name__}", unit="epoch", enabled=progress)
    for epoch in bar:
        model.train()
        history["lr"].append(float(optimizer.param_groups[0]["lr"]))
        order = torch.randperm(Xt.shape[0], generator=generator).to(ref.device)
        total = 0.0
        for start in range(0, Xt.shape[0], batch_size):
            batch = order[start:start + batch_size]
            optimizer.zero_grad()
            out = model(Xt[batch])
            if out.shape != Yt[batch].shape:             # (N, 1) against (N, m) would broadcast silently
                raise ValueError(f"the model maps a batch to shape {tuple(out.shape)}, but the targets of "
                                 f"that batch have shape {tuple(Yt[batch].shape)}")
            loss = torch.mean((out - Yt[batch]) ** 2)
            torch.autograd.backward(loss)
            optimizer.step()
            total += float(loss.detach()) * batch.numel()
        history["train_loss"].append(total / Xt.shape[0])
        history["epochs_run"] = epoch + 1
        if validating:
            model.eval()
            with torch.no_grad():
                out = model(Xv)
                if out.shape != Yv.shape:
                    raise ValueError(f"the model maps the validation X to shape {tuple(out.shape)}, but the "
                                     f"validation targets have shape {tuple(Yv.shape)}")
                val = float(torch.mean((out - Yv) ** 2))
            history["val_loss"].append(val)
            bar.set_postfix(train=f"{history['train_loss'][-1]:.5f}", val=f"{val:.5f}")
            if val < best:
                best, history["best_epoch"] = val, epoch
                if restore_best:
                    best_state = copy.deepcopy(model.state_dict())
            if val < reference * (1 - min_delta):
                reference, waited, lr_waited = val, 0, 0
            else:
                waited += 1
                lr_waited += 1
                if patience is not None and waited >= patience:
                    history["stopped_early"] = True
                    history["stop_reason"] = "converged"
                    break
                if lr_patience is not None and lr_waited >= lr_patience:
                    for group in optimizer.param_groups:
                        group["lr"] *= lr_factor
                    lr_waited = 0
        else:
            bar.set_postfix(train=f"{history['train_loss'][-1]:.5f}")
    if restore_best and best_state is not None:
        model.load_state_dict(best_state)
        history["restored_best"] = True
    return history
