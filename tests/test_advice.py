"""lab.advice: the plain-words reading of a training history."""

from __future__ import annotations

import pytest

from lab.advice import NAN_ADVICE, diagnose
from lab.records import Epoch


def _h(*pairs):
    return [Epoch(i, loss=loss, val_loss=val) for i, (loss, val) in enumerate(pairs, start=1)]


def test_overfitting():
    msg = diagnose(_h((1.0, 0.8), (0.7, 0.6), (0.5, 0.65), (0.3, 0.7)))
    assert msg is not None and msg.startswith("Overfitting") and "Dropout" in msg


def test_overfitting_while_training_loss_is_flat_or_validation_loss_rises_unsteadily():
    """Seen in class: training loss flat at 0.38 while validation loss climbed from 0.56
    (epoch 5) to 0.84; the flat-loss advice (raise the learning rate) was the wrong one."""
    flat = _h(*[(0.45, 0.6), (0.42, 0.58), (0.40, 0.57), (0.39, 0.565), (0.385, 0.56)]
              + [(0.38, 0.56 + 0.03 * k) for k in range(1, 11)])
    msg = diagnose(flat)
    assert msg.startswith("Overfitting: the network is memorising the training set. Validation loss has risen "
                          "from its lowest, 0.56 after epoch 5, to 0.86, while training loss did not rise"), msg
    noisy = _h((1.0, 0.8), (0.7, 0.5), (0.6, 0.55), (0.5, 0.7), (0.45, 0.62), (0.4, 0.65))  # up, down, up
    assert diagnose(noisy).startswith("Overfitting") and "lowest, 0.5 after epoch 2, to 0.65" in diagnose(noisy)
    assert diagnose(_h((1.0, 0.8), (0.7, 0.5), (0.6, 0.55), (0.5, 0.58), (0.45, 0.52))) is None  # within a fifth


def test_validation_rising_while_training_also_rises_is_not_overfitting():
    assert diagnose(_h((0.5, 0.6), (0.6, 0.7), (0.7, 0.8))) is None


def test_one_rise_is_not_yet_overfitting():
    assert diagnose(_h((1.0, 0.8), (0.7, 0.6), (0.5, 0.65))) is None


def test_a_long_run_learning_slowly_is_not_called_flat():
    """XOR's preset: 500 epochs of one batch each; the loss falls about 0.2% an epoch (0.64 at
    epoch 50, 0.58 at 100, 0.42 at 200, as trained here), under 1% over any three epochs,
    though the run learns. Seen in class: it was told "the loss is not moving" for a
    quarter of its epochs."""
    slow = [Epoch(k, loss=0.69 * 0.998 ** k, accuracy=0.75) for k in range(1, 501)]
    assert all(diagnose(slow[:n], 2, planned=500) is None for n in range(1, 501))
    assert diagnose(slow[:10], 2) is not None  # not knowing the plan, ten epochs are enough to call it
    stuck = [Epoch(k, loss=0.6931 + 0.0001 * (k % 2), accuracy=0.5) for k in range(1, 501)]
    assert diagnose(stuck[:49], 2, planned=500) is None  # a tenth of the plan first
    assert "under 1% change over the last 12 epochs" in diagnose(stuck[:60], 2, planned=500)


def test_flat_loss():
    msg = diagnose(_h((2.302, 2.30), (2.301, 2.30), (2.3015, 2.30)))
    assert msg is not None and "not moving" in msg and "learning rate" in msg
    # without validation figures too
    assert "not moving" in diagnose([Epoch(1, loss=0.693), Epoch(2, loss=0.6931), Epoch(3, loss=0.6929)])


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_nan_loss(bad):
    assert diagnose(_h((0.5, 0.6), (bad, 0.6))) == NAN_ADVICE
    assert diagnose(_h((0.5, 0.6), (0.4, bad))) == NAN_ADVICE
    assert diagnose([Epoch(1, loss=bad)]) == NAN_ADVICE
    assert "learning rate" in NAN_ADVICE and "NaN" in NAN_ADVICE


def test_healthy_history():
    assert diagnose(_h((1.2, 1.0), (0.6, 0.5), (0.4, 0.35), (0.3, 0.3))) is None
    assert diagnose([Epoch(1, loss=1.0), Epoch(2, loss=0.6), Epoch(3, loss=0.4)]) is None


def test_short_or_empty_history():
    assert diagnose([]) is None
    assert diagnose(_h((1.0, 1.0))) is None
    assert diagnose(_h((1.0, 1.0), (1.0, 1.0))) is None  # two epochs: too early to call flat


def test_a_loss_that_exploded_without_nan_is_explained():
    """SGD at learning rate 10 on the workshop net (measured): epoch losses 241, 2.39, 2.39 with
    accuracy at chance. Reading it as "not moving" would send a learner the wrong way."""
    blown = [Epoch(1, loss=241.3, accuracy=0.104), Epoch(2, loss=2.39, accuracy=0.096),
             Epoch(3, loss=2.39, accuracy=0.096)]
    msg = diagnose(blown, n_classes=10)
    assert msg.startswith("Training blew up: the loss reached 241.3") and "Divide it by 10" in msg
    assert diagnose(blown) is None  # without the number of classes it cannot tell chance
    slow = [Epoch(1, loss=2.30, accuracy=0.11), Epoch(2, loss=2.29, accuracy=0.12)]
    assert diagnose(slow, n_classes=10) is None  # slow, not blown up: the loss never rose
    learning = [Epoch(1, loss=30.0, accuracy=0.6), Epoch(2, loss=0.5, accuracy=0.9)]
    assert diagnose(learning, n_classes=10) is None  # a big first loss, but it learns
