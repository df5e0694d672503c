"""Spec -> compiled Keras model, and the Keras code a learner could type."""

from __future__ import annotations

import keras

from lab.spec import LayerSpec, ModelSpec, TrainSpec

OPTIMIZER_CLASSES = {
    "adam": keras.optimizers.Adam,
    "sgd": keras.optimizers.SGD,
    "rmsprop": keras.optimizers.RMSprop,
    "adagrad": keras.optimizers.Adagrad,
    "adamw": keras.optimizers.AdamW,
    "nadam": keras.optimizers.Nadam,
}


def _layer(layer: LayerSpec, index: int) -> keras.layers.Layer:
    k = layer.kind
    name = f"{k.lower()}_{index}"
    if k == "Dense":
        return keras.layers.Dense(layer.units, activation=layer.activation, name=name)
    if k == "Conv2D":
        return keras.layers.Conv2D(layer.filters, layer.kernel_size, strides=layer.strides,
                                   padding=layer.padding, activation=layer.activation, name=name)
    if k in ("MaxPooling2D", "AveragePooling2D"):
        return getattr(keras.layers, k)(layer.pool_size, padding=layer.padding, name=name)
    if k == "Dropout":
        return keras.layers.Dropout(layer.rate, name=name)
    if k == "LeakyReLU":
        return keras.layers.LeakyReLU(negative_slope=layer.negative_slope, name=name)
    if k == "Activation":
        return keras.layers.Activation(layer.activation, name=name)
    return getattr(keras.layers, k)(name=name)  # Flatten, BatchNormalization


def build_model(model: ModelSpec, input_shape: tuple[int, ...]) -> keras.Model:
    """An uncompiled `keras.Sequential` for ``model`` on inputs of ``input_shape``.

    Call `lab.summary.validate` first: impossible specs raise Keras errors here.

    Example:
        >>> m = build_model(ModelSpec(layers=[LayerSpec("Dense", units=1)]), (2,))
        >>> m.count_params()
        3
    """
    layers = [keras.Input(shape=tuple(input_shape))]
    layers += [_layer(layer, i) for i, layer in enumerate(model.layers, start=1)]
    return keras.Sequential(layers, name="".join(c if c.isalnum() else "_" for c in model.name) or "net")


def compile_model(net: keras.Model, train: TrainSpec) -> keras.Model:
    """Compile ``net`` with the optimizer, learning rate and loss in ``train``; returns it."""
    optimizer = OPTIMIZER_CLASSES[train.optimizer](learning_rate=train.learning_rate)
    net.compile(optimizer=optimizer, loss=train.loss, metrics=["accuracy"])
    return net


def keras_code(model: ModelSpec, train: TrainSpec, input_shape: tuple[int, ...]) -> str:
    """The same network as a short Keras script, to copy into a notebook."""
    lines = ["import keras", "", "model = keras.Sequential([",
             f"    keras.Input(shape={tuple(input_shape)}),"]
    for layer in model.layers:
        args = [repr(v) for k, v in layer.used().items() if k in ("units", "filters", "kernel_size", "pool_size", "rate")]
        kwargs = [f"{k}={v!r}" for k, v in layer.used().items()
                  if k in ("activation", "padding", "negative_slope") or (k == "strides" and v != 1)]
        lines.append(f"    keras.layers.{layer.kind}({', '.join(args + kwargs)}),")
    cls = OPTIMIZER_CLASSES[train.optimizer].__name__ if train.optimizer in OPTIMIZER_CLASSES else train.optimizer
    lines += ["])", f"model.compile(optimizer=keras.optimizers.{cls}(learning_rate={train.learning_rate}),",
              f"              loss={train.loss!r}, metrics=['accuracy'])"]
    return "\n".join(lines)
