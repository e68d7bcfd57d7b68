"""Prints which BLAS / OpenMP libraries NumPy and PyTorch load, and the kernel
they chose for this CPU (threadpoolctl's `architecture`, e.g. OpenBLAS's
SkylakeX), one JSON line per library."""

import json

import numpy
import torch
from threadpoolctl import threadpool_info

numpy.ones((2, 2)) @ numpy.ones((2, 2))
torch.ones(2, 2) @ torch.ones(2, 2)
for pool in threadpool_info():
    keep = ("user_api", "internal_api", "prefix", "version", "architecture", "threading_layer", "num_threads")
    print(json.dumps({k: pool[k] for k in keep if k in pool}))
print(json.dumps({"torch": torch.__version__, "numpy": numpy.__version__, "torch_cpu_capability": torch.backends.cpu.get_cpu_capability()}))
