"""Training any of the torch modules with Adam on the mean squared error: :func:`train`."""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np
import torch
from torch import nn

from equilin.validation import check_int, check_real_dtype

__all__ = ["TrainingHistory", "train"]


class TrainingHistory(dict[str, Any]):
    """``{"train_loss": [...], "val_loss": [...], "best_epoch": int, "stopped_early": bool}``;
    losses are mean squared errors per entry, one value per epoch."""


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


def train(model: nn.Module, X: Any, Y: Any = None, *, epochs: int = 20, batch_size: int = 256,
          lr: float = 1e-3, seed: int = 0, validation: tuple[Any, Any] | Any | None = None,
          patience: int | None = None, progress: bool = True) -> TrainingHistory:
    """Train a module with Adam on the mean squared error ``||f(X) - Y||^2 / (N m)``.

    Parameters
    ----------
    model : nn.Module
        Maps ``(N, n)`` to ``(N, m)``.
    X, Y : array_like or Tensor
        Row samples; ``Y = None`` trains an autoencoder.
    epochs, batch_size, lr, seed
        Adam over shuffled mini-batches; ``seed`` fixes the shuffling (and nothing else: initialize the
        model under ``torch.manual_seed`` for a reproducible start).
    validation : (X_val, Y_val) or X_val, optional
        Evaluated after every epoch; with ``patience`` the best epoch's weights are restored after
        ``patience`` epochs without improvement.
    progress : bool
        Show progress over the epochs on stderr (:class:`equilin.progress.Progress`: a bar on a
        terminal, a plain line every tenth of the epochs or 30 s elsewhere).

    Returns
    -------
    TrainingHistory

    Raises
    ------
    ValueError
        The model has no trainable parameters (an :class:`EquivariantLinearAutoencoder` whose ranks are
        all 0 computes the zero function: there is nothing to fit), or the data are empty, not 2-D, not
        real, not finite, or of a width that does not fit the model.

    Examples
    --------
    >>> from equilin.models.nn import DenseLinearAutoencoder
    >>> history = train(DenseLinearAutoencoder(3, 1), np.eye(3), epochs=2, progress=False)
    >>> len(history["train_loss"])
    2
    """
    from equilin.progress import Progress

    epochs = check_int(epochs, "epochs", 1)
    batch_size = check_int(batch_size, "batch_size", 1)
    if not (isinstance(lr, (int, float)) and math.isfinite(lr) and lr > 0):
        raise ValueError(f"lr must be a positive number, got {lr!r}")
    if patience is not None:
        patience = check_int(patience, "patience", 1)
        if validation is None:
            raise ValueError("patience (early stopping) needs validation data")
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
    if validation is not None:
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
    history = TrainingHistory(train_loss=[], val_loss=[], best_epoch=-1, stopped_early=False)
    best, best_state, waited = math.inf, None, 0
    bar = Progress(range(epochs), f"training {type(model).__name__}", unit="epoch", enabled=progress)
    for epoch in bar:
        model.train()
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
        if validation is not None:
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
                best, waited, history["best_epoch"] = val, 0, epoch
                best_state = copy.deepcopy(model.state_dict())
            elif patience is not None:
                waited += 1
                if waited >= patience:
                    history["stopped_early"] = True
                    break
        else:
            bar.set_postfix(train=f"{history['train_loss'][-1]:.5f}")
    if patience is not None and best_state is not None:
        model.load_state_dict(best_state)
    return history
