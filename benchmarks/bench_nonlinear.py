"""Where nonlinearity pays (``equilin.experiments.run_nonlinear``): nonlinear equivariant autoencoders
(permuted hidden neurons, ReLU, orbit-constant biases) against the linear closed forms and a dense
nonlinear autoencoder, on full MNIST moved by shift-x and by d4.

Run: ``.venv/bin/python benchmarks/bench_nonlinear.py [EPOCHS]`` (prints the table of ``docs/deep.md``,
section 7; default 5 epochs).
"""

from __future__ import annotations

import sys

from equilin.experiments import run_nonlinear

if __name__ == "__main__":
    epochs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    print("| group | model | params | width | train MSE | test MSE | equivariance | s |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for group in ("shift-x", "d4"):
        for row in run_nonlinear("mnist", group, epochs=epochs):
            print(f"| {group} | {row['model']} | {row['params']:,} | {row['width']:,} | {row['train_mse']:.5f} | "
                  f"{row['test_mse']:.5f} | {row['equivariance']:.1e} | {row['seconds']:.1f} |", flush=True)
