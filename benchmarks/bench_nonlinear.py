"""Where nonlinearity pays (``equilin mnist --nonlinear``): nonlinear equivariant autoencoders (permuted
hidden neurons, ReLU, orbit-constant biases) against the linear closed forms and a dense nonlinear
autoencoder, on full MNIST moved by shift-x and by d4.

Run: ``.venv/bin/python benchmarks/bench_nonlinear.py [EPOCHS [THREADS [DATA]]]`` (default 5 epochs,
1 thread, full MNIST; ``docs/deep.md`` section 7 shows 20 epochs). For each group it prints the output
of ``equilin mnist --data DATA --rank R --group GROUP --nonlinear --epochs EPOCHS --threads THREADS``
(the table with its verdict; R = 99, or 10 for the digits) and the run's wall time. One thread: on a
machine whose cores are busy, two threads made the ``shift-x`` run 1.6x slower (899 s against 551 s
for 20 epochs).
"""

from __future__ import annotations

import sys
import time

from equilin.experiments import NONLINEAR_GROUPS, run_mnist

if __name__ == "__main__":
    epochs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    threads = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    data = sys.argv[3] if len(sys.argv) > 3 else "mnist"
    rank = 10 if data == "digits" else 99  # the 8 x 8 digits need r <= 64
    for group in NONLINEAR_GROUPS:
        print(f"$ equilin mnist --data {data} --rank {rank} --group {group} --nonlinear --epochs {epochs} "
              f"--threads {threads}", flush=True)
        start = time.perf_counter()
        result = run_mnist(data, rank=rank, group=group, nonlinear=True, epochs=epochs, threads=threads,
                           progress=False)
        print(result.table())
        print(f"wall time: {time.perf_counter() - start:.0f} s\n", flush=True)
