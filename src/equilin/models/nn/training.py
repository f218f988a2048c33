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
        Show a tqdm progress bar over epochs.

    Returns
    -------
    TrainingHistory
    """
    from tqdm.auto import tqdm

    epochs = check_int(epochs, "epochs", 1)
    batch_size = check_int(batch_size, "batch_size", 1)
    if not (isinstance(lr, (int, float)) and math.isfinite(lr) and lr > 0):
        raise ValueError(f"lr must be a positive number, got {lr!r}")
    if patience is not None:
        patience = check_int(patience, "patience", 1)
        if validation is None:
            raise ValueError("patience (early stopping) needs validation data")
    ref = next(model.parameters())
    Xt = _as_tensor(X, "X", ref)
    Yt = Xt if Y is None else _as_tensor(Y, "Y", ref)
    if Yt.shape[0] != Xt.shape[0]:
        raise ValueError(f"X and Y must have the same number of samples, got {Xt.shape[0]} and {Yt.shape[0]}")
    if validation is not None:
        Xv_raw, Yv_raw = validation if isinstance(validation, tuple) else (validation, None)
        Xv = _as_tensor(Xv_raw, "validation X", ref)
        Yv = Xv if Yv_raw is None else _as_tensor(Yv_raw, "validation Y", ref)
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    history = TrainingHistory(train_loss=[], val_loss=[], best_epoch=-1, stopped_early=False)
    best, best_state, waited = math.inf, None, 0
    bar = tqdm(range(epochs), desc=f"training {type(model).__name__}", disable=not progress, leave=False)
    for epoch in bar:
        model.train()
        order = torch.randperm(Xt.shape[0], generator=generator).to(ref.device)
        total = 0.0
        for start in range(0, Xt.shape[0], batch_size):
            batch = order[start:start + batch_size]
            optimizer.zero_grad()
            loss = torch.mean((model(Xt[batch]) - Yt[batch]) ** 2)
            torch.autograd.backward(loss)
            optimizer.step()
            total += float(loss.detach()) * batch.numel()
        history["train_loss"].append(total / Xt.shape[0])
        if validation is not None:
            model.eval()
            with torch.no_grad():
                val = float(torch.mean((model(Xv) - Yv) ** 2))
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
