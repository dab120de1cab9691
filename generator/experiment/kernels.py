"""The experiment's kernels: chosen so that its arithmetic is the same on every x86-64 processor.

PyTorch picks its code by the processor it runs on. ATen's vectorised
kernels follow the instruction set (AVX2, AVX-512), oneDNN's and NNPACK's
convolutions likewise, MKL's matrix products follow the processor and its
vendor, and glibc's maths functions (exp, log, cos) whether it has FMA. Each
choice changes the order or the rounding of float sums, and training turns
one flipped bit into other counts of mistakes within an epoch: the same
code gave 1,277 and 1,291 training mistakes after one epoch, on one machine,
with AVX2 and with AVX-512 kernels.

So the experiment trains in a child process whose environment fixes every
choice before torch is loaded: ATen's baseline kernels, MKL's COMPATIBLE
branch (the same results on every Intel and non-Intel processor, by MKL's
documentation of its conditional numerical reproducibility), glibc's
baseline maths functions, one thread. Inside it, oneDNN and NNPACK are
switched off, so every convolution is ATen's own im2col and MKL's product.
This costs time: one epoch of a 56-layer net took 14.7 s here against
9.7 s with the machine's fastest kernels. No torch here: the parent that
starts the child never loads it.
"""

from __future__ import annotations

import os
import platform
from collections.abc import Mapping

ATEN_CAPABILITY = "default"
MKL_BRANCH = "COMPATIBLE"
# glibc's maths functions without their FMA and AVX2 variants; unknown names are ignored by glibc.
GLIBC_HWCAPS = "glibc.cpu.hwcaps=-AVX,-AVX2,-FMA,-FMA4"
THREADS = 1
FIXED_ENVIRONMENT: dict[str, str] = {
    "ATEN_CPU_CAPABILITY": ATEN_CAPABILITY,
    "MKL_CBWR": MKL_BRANCH,
    "OMP_NUM_THREADS": str(THREADS),
    "MKL_NUM_THREADS": str(THREADS),
}


def child_environment(environment: Mapping[str, str]) -> dict[str, str]:
    """``environment`` with the kernels fixed; other glibc tunables the user set are kept."""
    tunables = [item for item in environment.get("GLIBC_TUNABLES", "").split(":")
                if item and not item.startswith("glibc.cpu.hwcaps=")]
    return {**environment, **FIXED_ENVIRONMENT, "GLIBC_TUNABLES": ":".join([*tunables, GLIBC_HWCAPS])}


def fix_in_process() -> dict[str, str]:
    """In the child, after torch is loaded: refuse unless the environment took effect; switch off the rest.

    Returns what the results file records about the kernels that ran.
    """
    import torch

    capability = torch.backends.cpu.get_cpu_capability()
    if capability != ATEN_CAPABILITY.upper() or os.environ.get("MKL_CBWR") != MKL_BRANCH:
        raise RuntimeError(f"the experiment's kernels are not fixed (ATen {capability}, MKL_CBWR "
                           f"{os.environ.get('MKL_CBWR')!r}): start it with `python -m generator experiment`")
    torch.backends.mkldnn.enabled = False  # type: ignore[assignment]
    torch.backends.nnpack.set_flags(False)
    torch.set_num_threads(THREADS)
    return {
        "machine": platform.machine(),
        "aten": capability.lower(),
        "mkl_cbwr": MKL_BRANCH if torch.backends.mkl.is_available() else "no MKL",  # aarch64 wheels have none
        "glibc_tunables": GLIBC_HWCAPS,
        "onednn": "off",
        "nnpack": "off",
    }
