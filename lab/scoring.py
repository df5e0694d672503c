"""A trained model's test: Keras' test loss and accuracy, and its answers, from one pass.

``model.evaluate`` runs the whole test set through the network and keeps only two
numbers; the Evaluate page then needs the network's output for every test image,
which would be a second pass as long as the first (5 s for the 32-64-128 CNN on
10,000 images here). `score` makes the one pass give all three, with the model's own
compiled loss and metrics, so the figures are the ones ``evaluate`` reports.

The loss is computed inside the compiled step, from the graph's own output, as
``evaluate`` computes it: there Keras takes a softmax's input (the logits) for the
cross-entropy, which stays exact for an image whose true class got a probability
below 1e-7, where the loss of the probabilities alone is clipped.
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np
import tensorflow as tf

from lab.answers import BATCH


@dataclass(frozen=True)
class Score:
    """A model's test loss and accuracy, and its outputs for every test input (row ``i``
    for input ``i``, as the model's last layer gives them)."""

    loss: float
    accuracy: float
    outputs: np.ndarray


def score(net: keras.Model, x: np.ndarray, y: np.ndarray, batch: int = BATCH) -> Score:
    """Test compiled ``net`` on inputs ``x`` (at least one) with targets ``y`` (as they were trained).

    Each batch goes once through a compiled step that calls the model as Keras'
    predict step does and computes the model's compiled loss on that output; the
    ``accuracy`` comes from the model's compiled metrics; both are weighted by batch size
    as ``evaluate`` weights them (they agree with ``evaluate`` to float rounding). The
    outputs are the ones ``predict_on_batch`` gives, so they equal `lab.answers.answers`
    on the same model and images. The model's metrics are reset first; afterwards they
    hold the test's.
    """

    def step(xb, yb):
        out = net(xb, training=False)
        return out, net.compute_loss(x=xb, y=yb, y_pred=out, training=False)

    compiled = tf.function(step, jit_compile=bool(net.jit_compile), reduce_retracing=True)
    net.reset_metrics()
    loss = keras.metrics.Mean()
    outputs = []
    for i in range(0, len(x), batch):
        xb, yb = x[i:i + batch], y[i:i + batch]
        out, batch_loss = compiled(xb, yb)
        out = np.asarray(out, dtype=np.float32)
        loss.update_state(batch_loss, sample_weight=len(xb))
        net.compute_metrics(xb, yb, out)
        outputs.append(out)
    return Score(float(loss.result()), float(net.get_metrics_result()["accuracy"]), np.concatenate(outputs))
