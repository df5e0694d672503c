"""A trained model's test: Keras' test loss and accuracy, and its answers, from one pass.

``model.evaluate`` runs the whole test set through the network and keeps only two
numbers; the Evaluate page then needs the network's output for every test image,
which would be a second pass as long as the first (5 s for the 32-64-128 CNN on
10,000 images here). `score` makes the one pass give all three, with the model's own
compiled loss and metrics, so the figures are the ones ``evaluate`` reports.
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np

from lab.evaluate import BATCH


@dataclass(frozen=True)
class Score:
    """A model's test loss and accuracy, and its outputs for every test input (row ``i``
    for input ``i``, as the model's last layer gives them)."""

    loss: float
    accuracy: float
    outputs: np.ndarray


def score(net: keras.Model, x: np.ndarray, y: np.ndarray, batch: int = BATCH) -> Score:
    """Test compiled ``net`` on inputs ``x`` with targets ``y`` (as they were trained).

    Each batch goes through Keras' compiled predict step once; its loss and its
    ``accuracy`` come from the model's compiled loss and metrics, weighted by batch size
    as ``evaluate`` weights them (they agree with ``evaluate`` to float rounding). The
    outputs are exactly what ``predict_on_batch`` gives, so they equal
    `lab.evaluate.answers` on the same model and images. The model's metrics are reset
    first; afterwards they hold the test's.
    """
    net.reset_metrics()
    loss = keras.metrics.Mean()
    outputs = []
    for i in range(0, len(x), batch):
        xb, yb = x[i:i + batch], y[i:i + batch]
        out = net.predict_on_batch(xb)
        loss.update_state(net.compute_loss(x=xb, y=yb, y_pred=out, training=False), sample_weight=len(xb))
        net.compute_metrics(xb, yb, out)
        outputs.append(np.asarray(out, dtype=np.float32))
    accuracy = float(net.get_metrics_result()["accuracy"])
    width = net.output_shape[-1]
    return Score(float(loss.result()), accuracy,
                 np.concatenate(outputs) if outputs else np.zeros((0, width), np.float32))
