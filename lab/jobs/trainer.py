"""One job -> one Keras ``fit``: data, model, callbacks, the test, the saved file.

`Trainer` runs wherever the executor puts it (a thread of the server, or a
Ray worker). It reads only its `Job` and its dataset, and reports only to its sink.
"""

from __future__ import annotations

import contextlib
import math
import time

import keras

from lab import advice, answers, artifacts, data, predict, prepare, scoring
from lab.build import build_model, compile_model
from lab.device import device_name
from lab.jobs.callbacks import (Checkpoint, KeepBest, RecordEpochs, ReportProgress, StopOnNaN,
                                StopOnRequest)
from lab.jobs.job import Job, JobRejected
from lab.jobs.progress import TESTING
from lab.jobs.sink import STOPPED, Answers, ModelSaver, Outcome, ProgressSink
from lab.records import Status
from lab.summary import validate


def fit_data(x, y, batch_size: int) -> dict:
    """``fit``'s data arguments: the arrays in shuffled batches; or, for a training set that
    fits in one batch (the XOR table), that batch over and over, one step an epoch. Keras
    would otherwise build its input pipeline anew for every epoch (about 50 ms here, most of
    the time of XOR's 500 epochs); one batch's gradient does not depend on the order of its
    rows, so nothing is lost by not shuffling it."""
    if len(x) > batch_size:
        return {"x": x, "y": y, "batch_size": batch_size, "shuffle": True}
    import tensorflow as tf

    return {"x": tf.data.Dataset.from_tensor_slices((x, y)).batch(len(x)).repeat(), "steps_per_epoch": 1,
            "shuffle": False}


class JobCallbacks:
    """The Keras callbacks of one job, as `Trainer` passes them to ``fit`` (``all``),
    with the ones whose state it reads afterwards by name."""

    def __init__(self, job: Job, sink: ProgressSink, images: int, save):
        train = job.train
        steps = math.ceil(images / train.batch_size)
        self.stop, self.nan = StopOnRequest(sink.stop_requested), StopOnNaN()
        self.record, self.best = RecordEpochs(steps, sink.epoch), KeepBest(steps)
        self.all = [ReportProgress(sink, steps, train.batch_size, train.epochs, images), self.stop, self.nan,
                    self.record, Checkpoint(steps, save, job.checkpoint_s, train.epochs)]
        if train.keep_best:
            self.all.append(self.best)
        if train.early_stopping:
            self.all.append(keras.callbacks.EarlyStopping(monitor="val_accuracy", patience=train.early_stopping))


class Trainer:
    """Does the work of one job, reporting to ``sink``."""

    def __init__(self, job: Job, sink: ProgressSink, load=data.load, cores: int | None = None):
        self.job, self.sink, self.load = job, sink, load  # load: dataset name -> lab.data.Dataset
        self.cores = cores  # the CPU cores this job was given, when not the whole machine's
        self.saver = ModelSaver(sink, job.model_file, job.model_key)

    def run(self) -> Outcome:
        """Train, test and save; returns (and reports) how it ended. With ``cpu_only`` the
        model is built, trained and tested on the CPU, even where a GPU is present.

        Raises:
            JobRejected: the data or the saved model cannot be used; nothing was trained.
        """
        with keras.device("cpu:0") if self.job.train.cpu_only else contextlib.nullcontext():
            return self._run()

    def _run(self) -> Outcome:
        job, train, sink = self.job, self.job.train, self.sink
        t0 = time.perf_counter()
        sink.begin(device_name(train.cpu_only, self.cores))
        sink.phase("Loading data")
        # in this thread (Keras seeds per thread); a continue draws new batches, within numpy's range
        keras.utils.set_random_seed((train.seed + job.initial_epoch) % 2**32)
        ds = self.load(train.dataset)
        problems = validate(job.model, train, n_train=len(ds.x_train))
        if problems:
            raise JobRejected(" ".join(problems))
        arr = prepare.arrays(ds, job.model, train)
        net = self._model(ds.input_shape)
        sink.model_ready()
        saved_weights = net.get_weights() if job.resumes else None  # what the model file holds
        hooks = JobCallbacks(job, sink, len(arr.x_fit), self._save)
        sink.phase("Training")
        validation = (arr.x_val, arr.y_val) if arr.x_val is not None else None
        net.fit(**fit_data(arr.x_fit, arr.y_fit, train.batch_size), epochs=train.epochs,
                initial_epoch=job.initial_epoch, validation_data=validation, callbacks=hooks.all, verbose=0)
        stop, nan, best = hooks.stop, hooks.nan, hooks.best
        done = hooks.record.history[-1].epoch if hooks.record.history else job.initial_epoch
        if best.best_weights is not None:  # keep the best epoch: its weights, its number
            net.set_weights(best.best_weights)
            done = best.best_epoch
        saved = False
        if not nan.diverged and (done > job.initial_epoch or not job.resumes):
            self._save(net, done)  # a diverged model (NaN weights) is not kept
            saved = bool(self.saver.ok)
        elif saved_weights is not None and not nan.diverged:  # stopped within its first new epoch:
            net.set_weights(saved_weights)  # test what the file holds, not weights kept nowhere
        seconds = job.previous_seconds + time.perf_counter() - t0
        if nan.diverged:
            outcome = Outcome(Status.DIVERGED, advice.NAN_ADVICE, seconds=seconds)
        else:
            sink.phase(TESTING)
            test = scoring.score(net, arr.x_test, arr.y_test)
            status = Status.STOPPED if stop.stopped else Status.FINISHED
            outcome = Outcome(status, STOPPED if stop.stopped else "", test.loss, test.accuracy,
                              seconds, answers=self._answers(ds, test) if saved else None)
        sink.finish(outcome)
        return outcome

    @staticmethod
    def _answers(ds: data.Dataset, test: scoring.Score) -> Answers | None:
        """The tested model's answers for the Evaluate page (none for the XOR table, or
        for outputs that are not numbers)."""
        if not predict.draws_for(ds.name):
            return None
        try:
            return Answers(answers.test_set_key(ds), answers.as_probabilities(test.outputs))
        except answers.EvaluateError:
            return None

    def _model(self, input_shape):
        job = self.job
        if not job.resumes:
            return compile_model(build_model(job.model, input_shape), job.train)
        refused = artifacts.refusal(job.resume_from)
        if refused:
            raise JobRejected(f"Run {job.id} cannot be continued: {refused}")
        try:
            return keras.models.load_model(job.resume_from)  # safe mode: code in a file is never run
        except Exception as exc:  # Keras raises many kinds; one sentence, not its config dump
            raise JobRejected(f"Run {job.id} cannot be continued: {artifacts.load_error(exc)}") from exc

    def _save(self, net, epoch: int) -> None:
        """Write the model file; a folder that cannot take it is reported once and training
        goes on: its epochs and test figures are still recorded (`ModelSaver`)."""
        self.saver(lambda path: artifacts.write_model(net, path), epoch)
