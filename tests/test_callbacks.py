"""lab.jobs.callbacks: each callback of a training job on its own, in a real Keras fit."""

from __future__ import annotations

import math

import keras
import numpy as np
import pytest

from lab.jobs.callbacks import (SAMPLES_PER_EPOCH, Checkpoint, KeepBest, RecordEpochs, ReportProgress,
                                StopOnNaN, StopOnRequest)

N, BATCH = 640, 8  # 80 batches an epoch
STEPS = N // BATCH


class Calls:
    """A sink that keeps the calls it receives (the `ProgressSink` methods callbacks use)."""

    def __init__(self):
        self.positions, self.samples = [], []

    def position(self, epoch, batch, batches):
        self.positions.append((epoch, batch, batches))

    def sample(self, sample, images_per_s, eta_s):
        self.samples.append((sample, images_per_s, eta_s))


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(N, 4)).astype(np.float32)
    y = (x[:, :1] + x[:, 1:2] > 0).astype(np.float32)
    return x, y


def model(lr=0.05, seed=0):
    keras.utils.set_random_seed(seed)
    net = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"),
                            keras.layers.Dense(1, activation="sigmoid")])
    net.compile(optimizer=keras.optimizers.SGD(lr), loss="binary_crossentropy", metrics=["accuracy"])
    return net


def fit(net, data, callbacks, epochs=2, validation=False):
    x, y = data
    net.fit(x, y, batch_size=BATCH, epochs=epochs, verbose=0, callbacks=callbacks, shuffle=False,
            validation_data=(x[:64], y[:64]) if validation else None)


class StopAt(keras.callbacks.Callback):
    """Asks for a stop once this many batches of the whole fit have run."""

    def __init__(self, batches):
        super().__init__()
        self.batches, self.seen = batches, 0

    def on_train_batch_end(self, batch, logs=None):
        self.seen += 1

    def requested(self):
        return self.seen >= self.batches


def test_report_progress_tells_every_batch_and_samples_the_live_line(data):
    calls = Calls()
    fit(model(), data, [ReportProgress(calls, STEPS, BATCH, epochs=2)])
    batches = [(e, b) for e, b, _ in calls.positions]
    assert batches == sorted(batches) and batches[-1] == (2, STEPS)
    assert len(batches) == 2 * (STEPS + 1)  # every batch, plus the start of each epoch
    every = max(1, STEPS // SAMPLES_PER_EPOCH)
    assert len(calls.samples) == 2 * len(range(every, STEPS + 1, every))
    first, rate, eta = calls.samples[0]
    assert first.epoch == pytest.approx(every / STEPS) and rate > 0 and eta > 0
    last, _, eta = calls.samples[-1]
    assert last.epoch == pytest.approx(2.0) and eta == pytest.approx(0.0)
    assert all(math.isfinite(s.loss) and 0 <= s.accuracy <= 1 for s, _, _ in calls.samples)


def test_the_time_left_of_many_one_batch_epochs_counts_the_work_between_them_and_is_steady(monkeypatch):
    """XOR's preset: 500 epochs of one batch. Each batch takes 1 ms and the work between
    epochs (the epoch's records, advice) 9 ms, on a clock the test moves; one batch at
    epoch 203 is slow (50 ms). The time left is read from the whole run since the second
    epoch, not from the last batch: 10 ms an epoch, and one slow batch hardly moves it."""
    import lab.jobs.callbacks as callbacks

    clock = [0.0]
    monkeypatch.setattr(callbacks.time, "perf_counter", lambda: clock[0])
    calls, epochs = Calls(), 500
    progress = ReportProgress(calls, steps=1, batch_size=4, epochs=epochs)
    left, speed = {}, {}
    for epoch in range(epochs):
        progress.on_epoch_begin(epoch)
        clock[0] += 1.0 if epoch == 0 else 0.050 if epoch == 202 else 0.001  # the first one compiles
        progress.on_train_batch_end(0, {"loss": 0.69, "accuracy": 0.5})
        speed[epoch + 1], left[epoch + 1] = calls.samples[-1][1:]
        clock[0] += 0.009
    assert left[100] == pytest.approx(400 * 0.010, rel=0.01)
    assert speed[100] == pytest.approx(4 / 0.010, rel=0.01) and speed[203] == pytest.approx(speed[100], rel=0.05)
    assert left[203] == pytest.approx(297 * 0.010, rel=0.05)  # the slow batch: the estimate stays put
    assert left[340] == pytest.approx(160 * 0.010, rel=0.05) and left[500] == 0.0


def test_a_live_point_is_the_mean_of_the_images_since_the_point_before(data):
    """Keras reports means since the epoch began, which restart every epoch; a point of the
    live line is the mean over its own window, so the line does not jump at an epoch's start.
    With a learning rate of 0 (weights fixed) each window's true mean is known."""
    x, y = data
    net, calls = model(lr=0.0), Calls()
    every = max(1, STEPS // SAMPLES_PER_EPOCH)
    fit(net, data, [ReportProgress(calls, STEPS, BATCH, epochs=2, images=N)])
    per_image = keras.losses.binary_crossentropy(y, net.predict(x, verbose=0)).numpy().ravel()
    right = ((net.predict(x, verbose=0) > 0.5) == (y > 0.5)).ravel()
    ends = list(range(every * BATCH, N + 1, every * BATCH))
    windows = list(zip([0] + ends[:-1], ends))
    want_loss = [per_image[a:b].mean() for a, b in windows] * 2  # the same images in epoch 2
    want_acc = [right[a:b].mean() for a, b in windows] * 2
    got = [s for s, _, _ in calls.samples]
    assert [s.loss for s in got] == pytest.approx(want_loss, rel=1e-4, abs=1e-5)
    assert [s.accuracy for s in got] == pytest.approx(want_acc, abs=1e-5)
    assert max(abs(a - b) for a, b in zip(want_loss, want_loss[1:])) > 1e-3  # windows differ: a real check


def test_stop_on_request_ends_after_the_batch_it_was_asked_in(data):
    asked = StopAt(100)
    stop, report = StopOnRequest(asked.requested), ReportProgress(Calls(), STEPS, BATCH, epochs=5)
    fit(model(), data, [asked, stop, report], epochs=5)
    assert stop.stopped and asked.seen == 100  # 80 in epoch 1, stopped at batch 20 of epoch 2
    assert report.sink.positions[-1][:2] == (2, 20)
    idle = StopOnRequest(lambda: False)
    fit(model(), data, [idle], epochs=1)
    assert not idle.stopped


def test_stop_on_nan_ends_at_the_first_bad_batch(data):
    x, y = data
    y = y.copy()
    y[5 * BATCH] = np.nan  # the 6th batch has a NaN target, so a NaN loss
    nan, counter = StopOnNaN(), StopAt(10**9)
    fit(model(), (x, y), [counter, nan], epochs=3)
    assert nan.diverged and counter.seen == 6
    healthy = StopOnNaN()
    fit(model(), data, [healthy], epochs=1)
    assert not healthy.diverged


def test_record_epochs_keeps_finished_epochs_only(data):
    rows = []
    record = RecordEpochs(STEPS, rows.append)
    asked = StopAt(STEPS + 5)  # stopped 5 batches into epoch 2
    fit(model(), data, [asked, StopOnRequest(asked.requested), record], epochs=4, validation=True)
    assert [r.epoch for r in rows] == [1] and record.history == rows
    row = rows[0]
    assert all(v is not None and math.isfinite(v) for v in (row.loss, row.accuracy, row.val_loss,
                                                          row.val_accuracy, row.seconds))
    x, y = data
    y = y.copy()
    y[5 * BATCH] = np.nan  # a NaN loss in the 6th batch: the epoch never finishes
    rows.clear()
    fit(model(), (x, y), [StopOnNaN(), RecordEpochs(STEPS, rows.append)], epochs=3)
    assert rows == []
    fit(model(), (x, y), [RecordEpochs(STEPS, rows.append)], epochs=2)  # all batches, NaN figures
    assert rows == []


def test_keep_best_holds_the_weights_of_the_best_validation_epoch(data):
    net, best, rows = model(lr=0.5, seed=3), KeepBest(STEPS), []
    fit(net, data, [RecordEpochs(STEPS, rows.append), best], epochs=6, validation=True)
    top = max(rows, key=lambda r: r.val_accuracy)
    assert best.best_epoch == top.epoch and best.best_acc == top.val_accuracy
    net.set_weights(best.best_weights)
    x, y = data
    acc = net.evaluate(x[:64], y[:64], verbose=0, return_dict=True)["accuracy"]
    assert acc == pytest.approx(top.val_accuracy, abs=1e-6)


def test_checkpoint_saves_at_epoch_ends_when_due_but_not_after_the_last(data):
    saved = []
    fit(model(), data, [Checkpoint(STEPS, lambda net, epoch: saved.append(epoch), every_s=0, last_epoch=3)],
        epochs=3)
    assert saved == [1, 2]
    saved.clear()
    fit(model(), data, [Checkpoint(STEPS, lambda net, epoch: saved.append(epoch), every_s=3600,
                                   last_epoch=3)], epochs=3)
    assert saved == []
