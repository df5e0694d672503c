"""A loaded CNN's copy that computes in bfloat16, for CPUs made for it.

On a CPU with bfloat16 matrix units (Intel AMX, flag ``amx_bf16``) oneDNN runs a
convolution in bfloat16 several times faster than in float32: the 32-64-128 CNN's
answers on 10,000 test images take about a fifth of the time. bfloat16 keeps 8 bits of
each number instead of 24, so the probabilities move by a few thousandths and an image
whose two largest probabilities are nearly tied may change its answer. `lab.answers.quick`
uses the copy made here and checks its answers in float32 where that could happen.

The copy computes its convolutional part (every layer before the first Dense layer) in
bfloat16 and its dense head in float32, so the ten numbers and their softmax keep their
digits. The weights are the same float32 numbers, rounded where they are used.
"""

from __future__ import annotations

import threading
import weakref
from pathlib import Path

from lab import device
from lab.settings import settings

CPU_FLAG = "amx_bf16"  # the flag Linux lists for Intel AMX's bfloat16 matrix units
_COPIES: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()  # model -> its copy (or None)
_LOCK = threading.Lock()


def cpu_has_units(cpuinfo: str | None = None) -> bool:
    """Whether the CPU lists bfloat16 matrix units (``amx_bf16``) among its flags.

    ``cpuinfo`` is the text of ``/proc/cpuinfo`` (read when not given; False where there
    is none, as on macOS and Windows).

    Example:
        >>> cpu_has_units("flags\\t: fpu avx512f amx_bf16 amx_tile"), cpu_has_units("flags\\t: fpu avx2 fma")
        (True, False)
    """
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text(errors="replace")
        except OSError:
            return False
    return any(line.startswith("flags") and CPU_FLAG in line.split() for line in cpuinfo.splitlines())


def wanted() -> bool:
    """Whether answers should come from bfloat16 copies here: ``LAB_BF16`` is on, the CPU
    has bfloat16 matrix units, and TensorFlow computes on the CPU (no GPU)."""
    return settings().bf16 and cpu_has_units() and not device.has_gpu()


def conv_copy(model):
    """``model`` computing in bfloat16 up to its first Dense layer, with the same weights;
    None when it has no Conv2D layer (a dense network gains little) or cannot be copied
    layer by layer (a foreign model built in a way Keras cannot clone).

    Made once per model object and kept while the model lives: pass only a model whose
    weights no longer change (one loaded from a file).
    """
    with _LOCK:
        if model in _COPIES:
            return _COPIES[model]
        copy = _copy(model)
        _COPIES[model] = copy
        return copy


def _copy(model):
    import keras

    layers = model.layers
    if not any(isinstance(layer, keras.layers.Conv2D) for layer in layers):
        return None
    dense = [i for i, layer in enumerate(layers) if isinstance(layer, keras.layers.Dense)]
    halved = {id(layer) for layer in layers[:dense[0] if dense else len(layers)]}

    def rebuilt(layer):
        config = layer.get_config()
        if id(layer) in halved:
            config["dtype"] = "mixed_bfloat16"  # computes in bfloat16, keeps float32 weights
        return layer.__class__.from_config(config)

    try:
        copy = keras.models.clone_model(model, clone_function=rebuilt)
        copy.set_weights(model.get_weights())
    except Exception:  # noqa: BLE001  Keras raises many kinds; the float32 model still answers
        return None
    return copy
