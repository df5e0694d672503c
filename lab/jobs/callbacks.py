"""Keras callbacks of a training job, one idea each.

`ReportProgress` (batch position and the live line), `StopOnRequest`
(Stop), `StopOnNaN` (a diverged loss), and three that act on finished
epochs only: `RecordEpochs`, `KeepBest`, `Checkpoint`. A stopped,
unfinished or diverged epoch is not a finished one: `FinishedEpochs`
decides that once for all three.
"""

from __future__ import annotations

import math
import time
from typing import Callable

import keras

from lab.jobs.progress import Sample
from lab.records import Epoch

SAMPLES_PER_EPOCH = 50  # points of the live in-epoch line


class ReportProgress(keras.callbacks.Callback):
    """Tells the sink where training is after every batch, and about
    `SAMPLES_PER_EPOCH` times an epoch adds a point to the live line with the
    speed and the time left.

    A point is the mean loss and accuracy of the images since the point before.
    Keras reports means since the start of the epoch, which restart at every
    epoch, so a line of those jumps at each epoch's start though nothing happened
    there; the window's mean is read from two of them (``images`` per epoch, the
    last batch may be smaller).

    The speed and the time left come from the mean time a batch has taken since the
    second epoch began, everything between batches included (validation, the epoch's
    records); in the first epoch, from this epoch's batches. A run of many one-batch
    epochs (XOR) would otherwise be told figures from its last batch alone, jumping
    with every slow one and blind to the work between epochs.
    """

    def __init__(self, sink, steps: int, batch_size: int, epochs: int, images: int | None = None):
        super().__init__()
        self.sink, self.steps, self.batch_size, self.epochs = sink, steps, batch_size, epochs
        self.images = images or steps * batch_size
        self.every = max(1, steps // SAMPLES_PER_EPOCH)
        self.epoch, self.batch, self.t_epoch = 0, 0, time.perf_counter()
        self._last = (0, 0.0, 0.0)  # images seen this epoch, their loss and accuracy sums, at the last point
        self.batches = 0  # batches done in this fit
        self._since: tuple[float, int] | None = None  # time and batches done when its second epoch began

    def on_epoch_begin(self, epoch, logs=None):
        now = time.perf_counter()
        if self.epoch and self._since is None:
            self._since = (now, self.batches)
        self.epoch, self.batch, self.t_epoch = epoch + 1, 0, now
        self._last = (0, 0.0, 0.0)
        self.sink.position(self.epoch, 0, self.steps)

    def on_train_batch_end(self, batch, logs=None):
        self.batch += 1
        self.batches += 1
        self.sink.position(self.epoch, self.batch, self.steps)
        if self.batch % self.every and self.batch != self.steps:
            return
        now = time.perf_counter()
        left = (self.steps - self.batch) + self.steps * (self.epochs - self.epoch)
        if self._since is None:
            per_batch = max(now - self.t_epoch, 1e-9) / self.batch
        else:
            per_batch = max(now - self._since[0], 1e-9) / max(self.batches - self._since[1], 1)
        rate, eta = self.batch_size / per_batch, left * per_batch
        seen = min(self.batch * self.batch_size, self.images)
        sums = (seen * float(logs["loss"]), seen * float(logs.get("accuracy", math.nan)))
        before, loss_before, acc_before = self._last
        window = max(seen - before, 1)
        self._last = (seen, *sums)
        loss, accuracy = (sums[0] - loss_before) / window, (sums[1] - acc_before) / window
        sample = Sample(self.epoch - 1 + self.batch / self.steps, max(loss, 0.0),
                        min(max(accuracy, 0.0), 1.0))  # float32 means: a difference may stray by 1e-6
        self.sink.sample(sample, rate, eta)


class StopOnRequest(keras.callbacks.Callback):
    """Ends training after the current batch once ``requested()`` is true."""

    def __init__(self, requested: Callable[[], bool]):
        super().__init__()
        self.requested = requested
        self.stopped = False

    def on_train_batch_end(self, batch, logs=None):
        if self.requested():
            self.stopped = True
            self.model.stop_training = True


class StopOnNaN(keras.callbacks.Callback):
    """Ends training at the first batch whose loss is NaN or infinite."""

    def __init__(self):
        super().__init__()
        self.diverged = False

    def on_train_batch_end(self, batch, logs=None):
        if not math.isfinite(float(logs["loss"])):
            self.diverged = True
            self.model.stop_training = True


class FinishedEpochs(keras.callbacks.Callback):
    """Base: calls `on_finished_epoch` only for epochs that ran all ``steps`` batches
    and whose figures are all finite."""

    def __init__(self, steps: int):
        super().__init__()
        self.steps = steps
        self._batch, self._t0 = 0, time.perf_counter()

    def on_epoch_begin(self, epoch, logs=None):
        self._batch, self._t0 = 0, time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        self._batch += 1

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self._batch < self.steps or not all(math.isfinite(float(v)) for v in logs.values()):
            return
        row = Epoch(epoch + 1, **{k: float(logs[k]) for k in ("loss", "accuracy", "val_loss", "val_accuracy")
                                  if k in logs}, seconds=time.perf_counter() - self._t0)
        self.on_finished_epoch(row)

    def on_finished_epoch(self, row: Epoch) -> None:
        """Called with each finished epoch's figures."""


class RecordEpochs(FinishedEpochs):
    """Hands every finished epoch to ``record`` and keeps the list."""

    def __init__(self, steps: int, record: Callable[[Epoch], None]):
        super().__init__(steps)
        self.record = record
        self.history: list[Epoch] = []

    def on_finished_epoch(self, row: Epoch) -> None:
        self.history.append(row)
        self.record(row)


class KeepBest(FinishedEpochs):
    """Keeps the weights of the finished epoch with the best validation accuracy."""

    def __init__(self, steps: int):
        super().__init__(steps)
        self.best_acc, self.best_epoch, self.best_weights = -1.0, None, None

    def on_finished_epoch(self, row: Epoch) -> None:
        if row.val_accuracy is not None and row.val_accuracy > self.best_acc:
            self.best_acc, self.best_epoch = row.val_accuracy, row.epoch
            self.best_weights = self.model.get_weights()


class Checkpoint(FinishedEpochs):
    """Saves the model at the end of a finished epoch when ``every_s`` seconds have
    passed since the last save (not after the last planned epoch: the trainer saves
    that one itself)."""

    def __init__(self, steps: int, save: Callable[[object, int], None], every_s: float, last_epoch: int):
        super().__init__(steps)
        self.save, self.every_s, self.last_epoch = save, every_s, last_epoch
        self.last_save = time.perf_counter()

    def on_finished_epoch(self, row: Epoch) -> None:
        if time.perf_counter() - self.last_save >= self.every_s and row.epoch < self.last_epoch:
            self.save(self.model, row.epoch)
            self.last_save = time.perf_counter()
