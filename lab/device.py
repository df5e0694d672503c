"""Which device TensorFlow trains on, in words."""

from __future__ import annotations

import functools
import os


@functools.lru_cache(maxsize=1)
def gpu_names() -> tuple[str, ...]:
    """The GPUs TensorFlow sees, by name (empty on a machine without one)."""
    import tensorflow as tf  # late: importing TensorFlow takes seconds

    gpus = tf.config.list_physical_devices("GPU")
    return tuple(tf.config.experimental.get_device_details(g).get("device_name", g.name) for g in gpus)


def has_gpu() -> bool:
    """Whether TensorFlow sees a GPU on this machine."""
    return bool(gpu_names())


def cpu_name() -> str:
    """``"CPU (N cores)"``."""
    return f"CPU ({os.cpu_count()} cores)"


def device_name(cpu_only: bool = False) -> str:
    """``"GPU: <name>"`` when TensorFlow sees a GPU (and ``cpu_only`` is not asked), else
    ``"CPU (N cores)"``."""
    gpus = gpu_names()
    return f"GPU: {gpus[0]}" if gpus and not cpu_only else cpu_name()
