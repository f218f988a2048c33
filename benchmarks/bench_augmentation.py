"""Hard-wired equivariance against data augmentation (``equilin.models.augmentation``): the dense optimum on
the data augmented by the whole group against the equivariant optimum on the data, in closed form on
full MNIST and the 8 x 8 digits (shift-x and d4), and trained with Adam on the digits.

Run: ``.venv/bin/python benchmarks/bench_augmentation.py`` (prints the tables of ``docs/deep.md``,
section 5).
"""

from __future__ import annotations

from equilin.data import load
from equilin.groups import image_group
from equilin.models import compare


def table(name: str, X, size: int, rank: int, adam_epochs: int = 0) -> None:
    print("| data | group | r | model | params | loss (augmented data) | equivariance | s |")
    print("|---|---|---:|---|---:|---:|---:|---:|")
    for action in ("shift-x", "d4"):
        out = compare(X, image_group(action, size, size), rank, adam_epochs=adam_epochs, lr=3e-3)
        for model in ("dense augmented", "hard-wired", "dense augmented (adam)", "hard-wired (adam)"):
            if model in out:
                row = out[model]
                print(f"| {name} | {action} | {rank} | {model} | {row['params']:,} | {row['loss']:.6f} | "
                      f"{row['equivariance']:.1e} | {row['seconds']:.2f} |")
        print(f"| | | | split: {out['split']}, distance of the closed forms {out['distance']:.1e} | | | | |")


if __name__ == "__main__":
    mnist = load("mnist").x_train.reshape(-1, 784).astype(float)
    table("MNIST", mnist, 28, 99)
    print()
    digits = load("digits").x_train.reshape(-1, 64).astype(float)
    for rank in (9, 10):
        table("digits", digits, 8, rank, adam_epochs=20)
        print()
