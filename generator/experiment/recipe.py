"""The experiment's recipe: what is trained, from which seeds, and how; no torch, so the parent can read it too.

The command's parent process starts one training child per seed
(experiment/runner.py) and never loads torch; the children and the check
read the same SETUP. Its hash is part of the results file's code hash.
"""

from __future__ import annotations

from . import kernels as experiment_kernels
from .results import Setup

SETUP = Setup(
    dataset="digits",
    depths=(20, 56),
    kinds=("plain", "residual"),
    widths=(16, 32, 64),
    epochs=15,
    batch_size=64,
    optimiser="SGD",
    # The paper's warm-up for its 110-layer net (section 4.2): 0.01 for about 400 iterations, about one of its
    # epochs; here one epoch of 23 steps.
    warmup_epochs=1,
    warmup_learning_rate=0.01,
    learning_rate=0.05,
    momentum=0.9,
    weight_decay=0.0001,
    schedule="cosine",
    heldout_every=5,
    seeds=(0, 1, 2),
    # One thread: these tensors are tiny, and with two, any other load on the second core made a step ten times
    # slower (0.12 s against 1.4 s for a 56-layer net, measured on a shared two-core machine).
    threads=experiment_kernels.THREADS,
    # What the check trains again (verify/experiment.py): the second step is the first in which SGD's momentum
    # enters (the first copies the gradient into it); README argues why no more are needed.
    first_batches=2,
)
