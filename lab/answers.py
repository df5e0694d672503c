"""A run's answers on its dataset's whole test set: computed once, kept beside its model.

The answers are handed over by the run's own test at the end of its training
(`keep`), or else computed once on the first visit (`for_run`), and kept
beside the model file (`lab.artifacts`). They are keyed to the model file's
version and to the test set, so opening the run is instant and a continued
run gets fresh ones. `lab.evaluate` reads them.
"""

from __future__ import annotations

import threading
import zlib
from collections import defaultdict
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from lab import artifacts, bf16, data, predict
from lab.artifacts import ModelFiles
from lab.records.types import RunRecord, Status

BATCH = 500  # images per forward call: big enough that per-call overhead vanishes, small enough for memory
NEAR = 0.02  # two largest probabilities closer than this: `quick` checks the answer in float32
PROBE = 200  # images `quick` computes both ways first, to see how far the bfloat16 copy strays
_LOCKS: defaultdict[str, threading.Lock] = defaultdict(threading.Lock)  # one computation per run at a time


class EvaluateError(ValueError):
    """A run whose answers cannot be looked at; the message says why and what to do."""


@dataclass(frozen=True)
class Predictions:
    """A model's answers on a test set: ``probs[i]`` are its probabilities for image ``i``,
    whose true class is ``labels[i]``.

    Example:
        >>> p = Predictions(np.array([0, 1]), np.array([[0.9, 0.1], [0.8, 0.2]]), ("cat", "dog"))
        >>> p.predicted.tolist(), p.correct.tolist(), p.accuracy
        ([0, 0], [True, False], 0.5)
    """

    labels: np.ndarray
    probs: np.ndarray
    class_names: tuple[str, ...]

    @cached_property
    def predicted(self) -> np.ndarray:
        """The class each image is given: the place of its largest probability."""
        return self.probs.argmax(axis=1)

    @cached_property
    def confidence(self) -> np.ndarray:
        """The probability of the class given (how sure the network is)."""
        return self.probs.max(axis=1)

    @cached_property
    def correct(self) -> np.ndarray:
        """Whether each image is given its true class."""
        return self.predicted == self.labels

    @property
    def accuracy(self) -> float:
        """The share of images given their true class."""
        return float(self.correct.mean()) if len(self.labels) else 0.0

    @property
    def n_classes(self) -> int:
        return len(self.class_names)


def of_model(model, images: np.ndarray, batch: int = BATCH) -> np.ndarray:
    """The probabilities ``model`` gives each of ``images`` (scaled 0..1), in batches.

    Keras' own compiled predict step (``predict_on_batch``) on batches of ``batch``: the
    very numbers ``model.predict`` gives, without its per-call data pipeline, and about
    twice as fast as calling the model eagerly (the compiled graph fuses each
    convolution with its activation). See `as_probabilities` for outputs that are not
    probabilities.

    Raises:
        EvaluateError: the model does not take these images, or answers NaN.
    """
    rows = _as_model_input(model, images)
    out = [np.asarray(model.predict_on_batch(rows[i:i + batch]), dtype=np.float32) for i in range(0, len(rows), batch)]
    return as_probabilities(np.concatenate(out) if out else np.zeros((0, 0), np.float32))


def quick(model, images: np.ndarray, batch: int = BATCH) -> np.ndarray:
    """The probabilities ``model`` gives ``images``, as `of_model`, about 3 times faster for
    a CNN on a CPU with bfloat16 matrix units (`lab.bf16`; elsewhere simply `of_model`).

    The bfloat16 copy's probabilities differ from float32's by a few thousandths, so every
    answer (the class given) is float32's: the first `PROBE` images are computed both ways,
    and where the copy strays by more than a quarter of `NEAR` there, or for a set of
    images no larger than that, all are computed in float32; otherwise each image whose
    two largest probabilities are within `NEAR` of each other is computed again in float32.
    Pass only a model whose weights no longer change (one loaded from a file).

    Raises:
        EvaluateError: as `of_model`.
    """
    copy = bf16.conv_copy(model) if len(images) > PROBE and bf16.wanted() else None
    if copy is None:
        return of_model(model, images, batch)
    probs = of_model(copy, images, batch)
    exact = of_model(model, images[:PROBE], batch)
    if np.abs(probs[:PROBE] - exact).max() > NEAR / 4:
        return np.concatenate([exact, of_model(model, images[PROBE:], batch)])
    probs[:PROBE] = exact
    near = PROBE + np.flatnonzero(_top_two_gap(probs[PROBE:]) < NEAR)
    if near.size:
        probs[near] = of_model(model, images[near], batch)
    return probs


def _top_two_gap(probs: np.ndarray) -> np.ndarray:
    """For each row, its largest probability minus its second largest."""
    top_two = np.partition(probs, -2, axis=1)[:, -2:]
    return top_two[:, 1] - top_two[:, 0]


def as_probabilities(out: np.ndarray) -> np.ndarray:
    """A model's outputs on a test set as probabilities (`lab.predict.normalised`).

    Example:
        >>> as_probabilities(np.array([[0.25, 0.75]], np.float32)).tolist()
        [[0.25, 0.75]]

    Raises:
        EvaluateError: an output is NaN or infinite (training diverged).
    """
    if not np.all(np.isfinite(out)):
        raise EvaluateError("The model answers NaN: its training diverged. Pick another run.")
    return predict.normalised(out)


def _as_model_input(model, images: np.ndarray) -> np.ndarray:
    shape = tuple(model.input_shape[1:])
    if None in shape or int(np.prod(shape)) != int(np.prod(images.shape[1:])):
        raise EvaluateError(f"This model takes inputs of shape {shape}, not the dataset's "
                            f"{'x'.join(map(str, images.shape[1:]))} images.")
    return images.reshape((len(images),) + shape).astype(np.float32, copy=False)


def test_set_key(ds: data.Dataset) -> str:
    """A fingerprint of a dataset's test set: answers kept for one test set are never
    shown for another (another copy of MNIST, a smaller split).

    Example:
        >>> test_set_key(data.load("xor"))
        'xor:4:...'
    """
    crc = zlib.crc32(np.ascontiguousarray(ds.x_test).data)
    crc = zlib.crc32(np.ascontiguousarray(ds.y_test).data, crc)
    return f"{ds.name}:{len(ds.y_test)}:{crc:08x}"


def looks_at_images(run: RunRecord) -> bool:
    """Whether the run was trained on a dataset of images (not the XOR table)."""
    return predict.draws_for(run.dataset or "")


def check(run: RunRecord, models: ModelFiles) -> None:
    """Refuse, with a message, a run whose answers cannot be looked at.

    Raises:
        EvaluateError: it was trained on XOR (no images), or it has no saved model.
    """
    if not looks_at_images(run):
        title = data.DATASETS[run.dataset].title if run.dataset in data.DATASETS else f"'{run.dataset}'"
        raise EvaluateError(f"Run {run.id} was trained on the {title}, which has no test images to look "
                            "at. Pick a run trained on MNIST or Fashion-MNIST.")
    if models.locate(run) is None:
        raise EvaluateError(f"Run {run.id} has no saved model (it ended before its first save, or its file "
                            "was removed). Pick another run, or train this network again on the Train page.")


def for_run(run: RunRecord, models: ModelFiles) -> Predictions:
    """Run ``run``'s answers on its dataset's whole test set: read from where they are kept
    when they belong to the model file as it is now, else computed once and kept.

    A run still training is looked at through its last saved epoch (see `note`).

    Raises:
        EvaluateError: see `check`; or the model file cannot be used (`lab.predict.BadModel`'s
            message) or does not fit the dataset.
        lab.data.DatasetError: the dataset cannot be loaded.
    """
    check(run, models)
    ds = data.load(run.dataset)
    path = models.locate(run)
    kept_at = models.predictions(run)
    with _LOCKS[str(kept_at)]:
        made = artifacts.version(path)
        key = _kept_key(made, test_set_key(ds))
        probs = artifacts.read_predictions(kept_at, key)
        if probs is None:
            probs = _compute(run, path, ds)
            if artifacts.version(path) == made:  # not saved again meanwhile (a checkpoint): keep them
                artifacts.write_predictions(kept_at, key, probs)
    return Predictions(ds.y_test, probs, ds.class_names)


def keep(model_file, test_set: str, probs: np.ndarray) -> bool:
    """Keep ``probs``, the answers on the test set whose `test_set_key` is ``test_set`` of
    the model just written at ``model_file``, where `for_run` finds them: a run's own test
    at the end of its training hands them over, so Evaluate never computes them again.
    False, with nothing kept, when the folder refuses the file (they are computed on the
    first visit instead).
    """
    try:  # no lock: the write is atomic, and a `for_run` computing meanwhile for an older file keeps nothing
        artifacts.write_predictions(artifacts.predictions_beside(model_file),
                                    _kept_key(artifacts.version(model_file), test_set), probs)
    except OSError:
        return False
    return True


def _kept_key(version: str, test_set: str) -> str:
    return f"{version}|{test_set}"


def _compute(run: RunRecord, path, ds: data.Dataset) -> np.ndarray:
    try:
        model = predict.load_model(str(path), path.stat().st_mtime)
        probs = quick(model, ds.scaled(ds.x_test))
    except (predict.BadModel, EvaluateError) as exc:
        raise EvaluateError(f"The model of run {run.id} cannot be used: {exc}") from exc
    if probs.shape[1] != len(ds.class_names):
        raise EvaluateError(f"The model of run {run.id} answers with {probs.shape[1]} numbers, but "
                            f"{data.DATASETS[ds.name].title} has {len(ds.class_names)} classes.")
    return probs


def note(run: RunRecord) -> str | None:
    """What a reader should know about which model the answers come from; None when it is
    simply the run's final model.

    Example:
        >>> note(RunRecord(7, status=Status.RUNNING, saved_epoch=3, epochs_planned=10))
        'Run 7 is still training: these are the answers of its last saved epoch (epoch 3 of 10). They are computed again when it saves a newer one.'
    """
    if run.status.active:
        return (f"Run {run.id} is still training: these are the answers of its last saved epoch "
                f"(epoch {run.saved_epoch or 0} of {run.epochs_planned or '?'}). They are computed again "
                "when it saves a newer one.")
    if run.saved_epoch is None:
        return None
    if run.status in (Status.STOPPED, Status.INTERRUPTED):
        return f"Run {run.id} was {run.status}: these are the answers of the model it saved at epoch {run.saved_epoch}."
    if run.status == Status.DIVERGED:
        return (f"Run {run.id} diverged (its weights became NaN), so its last weights were not kept: these are "
                f"the answers of the model it saved earlier, at epoch {run.saved_epoch}.")
    if run.status == Status.FAILED:
        return f"Run {run.id} failed: these are the answers of the model it saved at epoch {run.saved_epoch}."
    return None
