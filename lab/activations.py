"""The activation functions of `lab.layers.ACTIVATIONS` in NumPy, as Keras computes them.

The views that open a network up (`lab.xor`, `lab.inside`) redo a forward
pass by hand from the model's weights; these are the functions they apply,
written the way a teacher writes them on the board. Each one equals the Keras
activation of the same name (`tests/test_inside.py` checks every one).
"""

from __future__ import annotations

import math

import numpy as np

SELU_ALPHA = 1.6732632423543772
SELU_SCALE = 1.0507009873554805
_ERF = np.frompyfunc(math.erf, 1, 1)


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def _softmax(z):
    e = np.exp(z - np.max(z, axis=-1, keepdims=True))  # minus the largest: no overflow
    return e / np.sum(e, axis=-1, keepdims=True)


def _elu(z):
    return np.where(z > 0, z, np.expm1(np.minimum(z, 0)))


FUNCTIONS = {
    "relu": lambda z: np.maximum(z, 0.0),
    "sigmoid": _sigmoid,
    "softmax": _softmax,
    "tanh": np.tanh,
    "linear": lambda z: z,
    "elu": _elu,
    "selu": lambda z: SELU_SCALE * np.where(z > 0, z, SELU_ALPHA * np.expm1(np.minimum(z, 0))),
    "gelu": lambda z: 0.5 * z * (1.0 + _ERF(z / math.sqrt(2.0)).astype(np.float64)),
    "swish": lambda z: z * _sigmoid(z),
    "softplus": lambda z: np.logaddexp(0.0, z),
}

FORMULAS = {
    "relu": "max(0, z)",
    "sigmoid": "1 / (1 + e^-z)",
    "softmax": "e^z / sum(e^z)",
    "tanh": "(e^z - e^-z) / (e^z + e^-z)",
    "linear": "z",
    "elu": "z if z > 0, else e^z - 1",
    "selu": "1.0507 (z if z > 0, else 1.6733 (e^z - 1))",
    "gelu": "z (1 + erf(z / sqrt 2)) / 2",
    "swish": "z / (1 + e^-z)",
    "softplus": "log(1 + e^z)",
}


def apply(name: str, z) -> np.ndarray:
    """The activation ``name`` of ``z`` (float64).

    Args:
        name: a Keras activation name (one of `FUNCTIONS`).
        z: the values before the activation; softmax works along the last axis.

    Returns:
        An array shaped like ``z``.

    Raises:
        KeyError: an activation the lab does not know (the message names it).

    Example:
        >>> apply("relu", [-1.0, 2.0]).tolist(), apply("sigmoid", [0.0]).tolist()
        ([0.0, 2.0], [0.5])
        >>> apply("softmax", [0.0, 0.0]).tolist()
        [0.5, 0.5]
    """
    if name not in FUNCTIONS:
        raise KeyError(f"The activation '{name}' is not one the lab can compute by hand "
                       f"(it knows {', '.join(FUNCTIONS)}).")
    return np.asarray(FUNCTIONS[name](np.asarray(z, dtype=np.float64)), dtype=np.float64)


def of_layer(layer) -> str:
    """The name of a Keras layer's activation as its configuration gives it (``"relu"``), or,
    for one given as a layer object (``Dense(16, activation=ReLU())``, an upload), its class
    and "(a layer object)": a name that is never in `FUNCTIONS`.

    Example:
        >>> import keras
        >>> of_layer(keras.layers.Dense(2, activation="tanh")), of_layer(keras.layers.Dense(2, activation=keras.layers.ReLU()))
        ('tanh', 'ReLU (a layer object)')
    """
    act = layer.get_config().get("activation")
    if isinstance(act, dict):
        return f"{act.get('class_name', 'an object')} (a layer object)"
    return act if isinstance(act, str) else "unknown"

