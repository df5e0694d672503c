"""Spec -> compiled Keras model.

The layers come from the layer registry (`lab.layers`), as does the Keras code a
learner could type (`lab.code`, which needs no Keras), so the exported code builds
exactly the model the lab trains.
"""

from __future__ import annotations

import re

import keras

from lab.layers import KINDS
from lab.spec import ModelSpec, TrainSpec

OPTIMIZER_CLASSES = {
    "adam": keras.optimizers.Adam,
    "sgd": keras.optimizers.SGD,
    "rmsprop": keras.optimizers.RMSprop,
    "adagrad": keras.optimizers.Adagrad,
    "adamw": keras.optimizers.AdamW,
    "nadam": keras.optimizers.Nadam,
}


def build_model(model: ModelSpec, input_shape: tuple[int, ...]) -> keras.Model:
    """An uncompiled `keras.Sequential` for ``model`` on inputs of ``input_shape``.

    Call `lab.summary.validate` first: impossible specs raise Keras errors here.

    Example:
        >>> from lab.spec import LayerSpec
        >>> m = build_model(ModelSpec(layers=[LayerSpec("Dense", units=1)]), (2,))
        >>> m.count_params()
        3
    """
    layers = [keras.Input(shape=tuple(input_shape))]
    layers += [KINDS[layer.kind].keras_layer(keras, layer, f"{layer.kind.lower()}_{i}")
               for i, layer in enumerate(model.layers, start=1)]
    return keras.Sequential(layers, name=keras_name(model.name))


def keras_name(name: str) -> str:
    """A Keras model name for a network name a user typed: ASCII letters, digits and ``_``,
    starting with a letter or digit (TensorFlow refuses other scope names).

    Example:
        >>> keras_name("every kind!"), keras_name("![x] Réseau"), keras_name("")
        ('every_kind_', 'net___x__R_seau', 'net')
    """
    clean = re.sub(r"[^A-Za-z0-9]", "_", name)
    return clean if clean[:1].isalnum() else "net" + clean


def compile_model(net: keras.Model, train: TrainSpec) -> keras.Model:
    """Compile ``net`` with the optimizer, learning rate and loss in ``train``; returns it."""
    # float(): a whole-number learning rate (1, not 1.0) would make Keras build an int variable
    optimizer = OPTIMIZER_CLASSES[train.optimizer](learning_rate=float(train.learning_rate))
    net.compile(optimizer=optimizer, loss=train.loss, metrics=["accuracy"])
    return net
