"""A network as the Keras code a learner could type into a notebook.

Text only: no Keras is imported here, so the Architecture page shows the code
without waiting for TensorFlow to load. Each layer's line comes from the layer
registry (`lab.layers`), the same entries `lab.build` builds from.
"""

from __future__ import annotations

from lab.layers import KINDS
from lab.spec import ModelSpec, TrainSpec

# The Keras optimizer class of each optimizer name (`lab.build.OPTIMIZER_CLASSES` holds the classes).
OPTIMIZER_CLASS_NAMES = {"adam": "Adam", "sgd": "SGD", "rmsprop": "RMSprop", "adagrad": "Adagrad",
                         "adamw": "AdamW", "nadam": "Nadam"}


def keras_code(model: ModelSpec, train: TrainSpec, input_shape: tuple[int, ...]) -> str:
    """The same network as a short Keras script, to copy into a notebook.

    Example:
        >>> from lab.spec import LayerSpec
        >>> print(keras_code(ModelSpec(layers=[LayerSpec("Dense", units=1)]), TrainSpec(optimizer="sgd"), (2,)))
        import keras
        <BLANKLINE>
        model = keras.Sequential([
            keras.Input(shape=(2,)),
            keras.layers.Dense(1, activation='relu'),
        ])
        model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.001),
                      loss='categorical_crossentropy', metrics=['accuracy'])
    """
    lines = ["import keras", "", "model = keras.Sequential([",
             f"    keras.Input(shape={tuple(input_shape)}),"]
    lines += [f"    {KINDS[layer.kind].code(layer)}," for layer in model.layers]
    cls = OPTIMIZER_CLASS_NAMES.get(train.optimizer, train.optimizer)
    lines += ["])", f"model.compile(optimizer=keras.optimizers.{cls}(learning_rate={train.learning_rate}),",
              f"              loss={train.loss!r}, metrics=['accuracy'])"]
    return "\n".join(lines)
