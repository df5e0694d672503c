"""lab.scoring: the end-of-training test gives what ``model.evaluate`` gives, and the answers."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from lab import scoring


def confident(loss: str) -> keras.Model:
    """A 2-in, 3-class softmax net whose weights make it surely wrong on some inputs: the
    true class of those gets a probability far below 1e-7."""
    net = keras.Sequential([keras.Input((2,)), keras.layers.Dense(3, activation="softmax")])
    net.layers[0].set_weights([np.array([[30.0, -30.0, 0.0], [-30.0, 30.0, 0.0]], np.float32),
                               np.zeros(3, np.float32)])
    net.compile(optimizer="sgd", loss=loss, metrics=["accuracy"])
    return net


@pytest.mark.parametrize("loss", ["categorical_crossentropy", "sparse_categorical_crossentropy"])
def test_the_test_figures_are_those_of_evaluate_even_for_sure_mistakes(loss):
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (1203, 2)).astype(np.float32)
    labels = rng.integers(0, 3, len(x))
    y = keras.utils.to_categorical(labels, 3) if loss.startswith("categorical") else labels
    net = confident(loss)
    plain = net.evaluate(x, y, batch_size=500, verbose=0, return_dict=True)
    got = scoring.score(net, x, y)
    assert np.array_equal(got.outputs, net.predict(x, batch_size=500, verbose=0))
    true_p = got.outputs[np.arange(len(x)), labels]
    assert true_p.min() < 1e-12  # some answers are surely wrong
    assert got.loss == pytest.approx(plain["loss"], rel=1e-6)
    clipped = -np.log(np.clip(true_p, keras.config.epsilon(), 1)).mean()  # the loss of the probabilities alone
    assert got.loss > clipped * 1.5
    assert got.accuracy == pytest.approx(plain["accuracy"], abs=1e-7)
    assert got.accuracy == pytest.approx(float(np.mean(got.outputs.argmax(axis=1) == labels)), abs=1e-6)

