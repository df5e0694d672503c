"""Give back the memory a finished training run leaves behind.

A class server trains one model after another for hours, so what a run
leaves must go. Two things stay without help:

1. Keras 3 sums gradients through TensorFlow's ``all_reduce``, which is wrapped
in ``@custom_gradient``: each traced train step registers a new
``CustomGradient-N`` function in TensorFlow's global gradient registry and
never removes it, and that function holds the traced graph and, through it,
the model's weights (tensorflow/tensorflow#97697). Measured in
``bench/memory.py``: +2 to +8 MiB of resident memory per run without this.
2. glibc keeps freed heap pages (the run's float arrays) mapped, so resident
memory jumps by tens of MiB between runs; `trim_heap` hands them back.
"""

from __future__ import annotations

import ctypes
import ctypes.util


def custom_gradient_keys() -> set[str]:
    """Names of the custom-gradient functions registered so far (empty when
    this TensorFlow has no such private table)."""
    try:
        from tensorflow.python.framework import ops

        return {k for k in ops._gradient_registry._registry if k.startswith("CustomGradient-")}
    except (ImportError, AttributeError):
        return set()


def forget_custom_gradients(keys: set[str]) -> int:
    """Drop these registry entries; returns how many were dropped.

    Only safe when no model is being traced: `JobManager` calls it after a
    job when no other job runs. ``fit`` never looks these entries up again.
    """
    try:
        from tensorflow.python.framework import ops

        registry = ops._gradient_registry._registry
    except (ImportError, AttributeError):
        return 0
    return sum(registry.pop(key, None) is not None for key in keys)


def trim_heap() -> bool:
    """Return freed heap memory to the operating system (glibc ``malloc_trim``);
    False where the C library has no such call."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return bool(libc.malloc_trim(0))
    except (OSError, AttributeError):
        return False
