"""A model file someone uploads: checked without running any code in it, then recorded as
a run of its own, so it appears wherever runs do (Results, Evaluate, Draw, the leaderboard).

The checks, in order, each with its own message: the size (``LAB_MAX_MODEL_MB``), that
it is a Keras archive without code (`lab.artifacts.refusal`), that Keras loads it in safe
mode, that it takes one image of the dataset and answers one number per class, and that
its answers are numbers. Nothing is written to the records until every check passed.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import numpy as np

from lab import answers, artifacts, data, predict
from lab.artifacts import ModelFiles
from lab.records import RecordStore, Status
from lab.settings import settings

ORIGIN = "uploaded"  # RunRecord.origin of a run made from an uploaded file
MAX_NAME = 80
UNPACKED_TIMES = 2  # an upload may unpack to this many times LAB_MAX_MODEL_MB (Keras stores its files unpacked)


class UploadError(ValueError):
    """An uploaded file the lab will not record; the message says why and what to do."""


def check_size(size: int, limit_mb: int | None = None) -> None:
    """Refuse a file over the limit before anything reads it.

    Raises:
        UploadError: more than ``limit_mb`` megabytes (default ``LAB_MAX_MODEL_MB``), or empty.

    Example:
        >>> check_size(150 * 2**20, 100)
        Traceback (most recent call last):
        ...
        lab.upload.UploadError: This file has 150.0 MB; the lab accepts model files of up to 100 MB (LAB_MAX_MODEL_MB). Upload a smaller model (its optimizer state can be left out: model.save(path, include_optimizer=False)).
    """
    limit = limit_mb or settings().max_model_mb
    if size == 0:
        raise UploadError("This file is empty: upload a Keras model file (.keras).")
    if size > limit * 2**20:
        raise UploadError(f"This file has {size / 2**20:,.1f} MB; the lab accepts model files of up to {limit:,} MB "
                          "(LAB_MAX_MODEL_MB). Upload a smaller model (its optimizer state can be left out: "
                          "model.save(path, include_optimizer=False)).")


def check_name(name: str) -> str:
    """The name the run will show, trimmed.

    Raises:
        UploadError: empty or longer than `MAX_NAME` characters.
    """
    name = " ".join(str(name).split())
    if not name:
        raise UploadError("Give the uploaded model a name.")
    if len(name) > MAX_NAME:
        raise UploadError(f"That name has {len(name):,} characters: use at most {MAX_NAME}.")
    return name


def fits(model, dataset: str) -> None:
    """Refuse a model that does not take one image of ``dataset`` or does not answer one
    number per class.

    Raises:
        UploadError: with both shapes and what the dataset needs.
    """
    info = data.DATASETS[dataset]
    need = int(np.prod(info.input_shape))
    try:
        inputs, outputs = model.inputs, model.outputs
    except (AttributeError, ValueError) as exc:  # a Sequential saved before it knew its input
        raise UploadError(f"This model was saved before it was built, so it has no input shape ({exc}). Start "
                          f"it with keras.Input({_shape(info.input_shape)}), or train it once, and save it "
                          "again.") from exc
    if len(inputs) != 1 or len(outputs) != 1:
        raise UploadError(f"This model has {len(inputs)} inputs and {len(outputs)} outputs; the lab "
                          "reads models with one image in and one row of class scores out.")
    shape = tuple(model.input_shape[1:])
    if None in shape or int(np.prod(shape)) != need:
        raise UploadError(f"This model takes inputs of shape {_shape(shape)}, but {info.title} images are "
                          f"{_shape(info.input_shape)} ({need:,} numbers each). Upload a model whose input is "
                          f"{_shape(info.input_shape)}, such as one trained on {info.title} with Keras.")
    out = tuple(model.output_shape[1:])
    if out != (info.n_classes,):
        raise UploadError(f"This model answers with shape {_shape(out)}, but {info.title} has {info.n_classes} "
                          f"classes: its last layer must give {info.n_classes} numbers, one per class.")


def _shape(shape: tuple) -> str:
    return "(" + ", ".join("any" if s is None else str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def receive(raw: bytes, filename: str, dataset: str, store: RecordStore, models: ModelFiles, owner: str,
            owner_id: str | None = None, name: str = "") -> int:
    """Check an uploaded model file and record it as a finished run of ``owner``.

    Its answers on the whole test set are computed now (its test accuracy goes into the
    record) and kept for the Evaluate page.

    Args:
        raw: the file's bytes.
        filename: the name it was uploaded under (shown in the run's comment).
        dataset: the dataset it was trained on (``"mnist"`` or ``"fashion_mnist"``).
        store, models: the records and the model files of this lab.
        owner, owner_id: who uploaded it (as for a run they start).
        name: the network's name (default: the file name without ``.keras``).

    Returns:
        The new run's id.

    Raises:
        UploadError: the file is too large, not a Keras model, holds code, or does not fit the
            dataset; nothing was recorded.
        lab.data.DatasetError: the dataset cannot be loaded; nothing was recorded.
    """
    check_size(len(raw))
    if not predict.draws_for(dataset):
        raise UploadError(f"Models can be uploaded for image datasets only (MNIST, Fashion-MNIST), not "
                          f"'{dataset}'.")
    name = check_name(name or Path(filename).stem)
    ds = data.load(dataset)
    models.folder.mkdir(parents=True, exist_ok=True)
    tmp = models.folder / f"upload-{secrets.token_hex(8)}.tmp.keras"
    try:
        tmp.write_bytes(raw)
        model = _load(tmp)
        fits(model, dataset)
        try:
            probs = answers.quick(model, ds.scaled(ds.x_test))
        except answers.EvaluateError as exc:
            raise UploadError(str(exc)) from exc
        accuracy = float((probs.argmax(axis=1) == ds.y_test).mean())
        run_id = store.create_run(
            owner=owner, owner_id=owner_id or owner, dataset=dataset, network=name,
            architecture=architecture(model), activations=activations(model), params=int(model.count_params()),
            status=Status.FINISHED, epochs_done=0, test_acc=accuracy, comment=f"uploaded as {Path(filename).name}",
            message=f"Uploaded by {owner} as {Path(filename).name}.", origin=ORIGIN)
        target = models.target(run_id)
        try:
            os.replace(tmp, target)
            store.update_run(run_id, model_path=models.key(run_id))
        except BaseException:  # the record is only half made: it must not stay
            store.delete_run(run_id)
            raise
        answers.keep(target, answers.test_set_key(ds), probs)  # Evaluate opens it at once
        return run_id
    finally:
        tmp.unlink(missing_ok=True)


def _load(path: Path):
    """The model in ``path``, loaded with Keras safe mode (never run code from a file)."""
    refused = artifacts.refusal(path, unpacked_limit=UNPACKED_TIMES * settings().max_model_mb * 2**20)
    if refused:
        raise UploadError(refused if "Python code" in refused else
                          refused + " Upload a model saved with Keras: model.save('name.keras').")
    try:
        return predict.load_model.__wrapped__(str(path), 0.0)  # uncached: this file is about to move
    except predict.BadModel as exc:
        raise UploadError(str(exc)) from exc


def architecture(model) -> str:
    """A Keras model's layers as one line, e.g. ``Flatten > Dense(128, relu) > Dense(10, softmax)``."""
    return " > ".join(_label(layer) for layer in model.layers)


def activations(model) -> str:
    """The activations of a Keras model's layers, in order (``relu, softmax``)."""
    found = [layer.get_config().get("activation") for layer in model.layers]
    return ", ".join(a for a in found if isinstance(a, str) and a != "linear")


def _label(layer) -> str:
    config = layer.get_config()
    parts = [str(config[k]) for k in ("units", "filters") if k in config]
    if "kernel_size" in config:
        parts.append("x".join(map(str, config["kernel_size"])))
    if "pool_size" in config:
        parts.append("x".join(map(str, config["pool_size"])))
    if "rate" in config:
        parts.append(f"{config['rate']:g}")
    if isinstance(config.get("activation"), str) and config["activation"] != "linear":
        parts.append(config["activation"])
    return f"{type(layer).__name__}({', '.join(parts)})" if parts else type(layer).__name__
