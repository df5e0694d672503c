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


def cpu_name(cores: int | None = None) -> str:
    """``"CPU (N cores)"``, or ``"CPU (k of N cores)"`` when the work was given ``cores`` of
    the machine's N (a Ray task asks for some of its node's cores).

    Example:
        >>> cpu_name(os.cpu_count()) == cpu_name()
        True
    """
    n = os.cpu_count()
    return f"CPU ({cores} of {n} cores)" if cores and cores < n else f"CPU ({n} cores)"


def device_name(cpu_only: bool = False, cores: int | None = None) -> str:
    """``"GPU: <name>"`` when TensorFlow sees a GPU (and ``cpu_only`` is not asked), else
    `cpu_name` (``cores``: how many of the machine's cores the work was given)."""
    gpus = gpu_names()
    return f"GPU: {gpus[0]}" if gpus and not cpu_only else cpu_name(cores)
