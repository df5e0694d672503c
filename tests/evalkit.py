"""What the bad-input catalogue (test_bad_inputs.py) needs for the Evaluate page, model
uploads and the shift experiment: each helper returns a case's ``act``, which takes the
case's world (``w.store``, ``w.run_id``: one finished run with a model file) and returns
the messages a user sees."""

from __future__ import annotations

import io
from dataclasses import replace
from typing import Callable

import keras
import pytest
from PIL import Image

import lab.data
from appkit import page, page_manager, values
from lab import answers, shift, upload
from lab.records import Status
from lab.settings import settings


def messages(at) -> list[str]:
    assert not at.exception, [e.value for e in at.exception]
    return values(at.error) + values(at.warning) + values(at.info)


def evaluate_as(**changed) -> Callable:
    """`lab.answers.for_run` on the world's run as it would be with ``changed`` fields (the
    record itself is not changed)."""
    def act(w) -> list[str]:
        try:
            answers.for_run(replace(w.store.run(w.run_id), **changed), page_manager().models)
        except answers.EvaluateError as exc:
            return [str(exc)]
        return ["no refusal"]
    return act


def still_training(w) -> list[str]:
    """What the Evaluate page says of a run still training (its last saved epoch is used)."""
    run = replace(w.store.run(w.run_id), status=Status.RUNNING, epochs_planned=5)
    answers.for_run(run, page_manager().models)
    return [answers.note(run)]


def sent(make: Callable[[], bytes], dataset: str = "mnist", limit_mb: str | None = None) -> Callable:
    """`lab.upload.receive` of the bytes ``make()`` returns (with LAB_MAX_MODEL_MB at ``limit_mb``)."""
    def act(w) -> list[str]:
        with pytest.MonkeyPatch.context() as mp:
            if limit_mb:
                mp.setenv("LAB_MAX_MODEL_MB", limit_mb)
            try:
                upload.receive(make(), "sent.keras", dataset, w.store, page_manager().models, owner="ada")
            except upload.UploadError as exc:
                return [str(exc)]
        return ["no refusal"]
    return act


def evaluate_page(view: str | None = None, act_on: Callable | None = None, limit_mb: str | None = None) -> Callable:
    """The Evaluate page on the world's run, with ``view`` chosen and ``act_on(at)`` done."""
    def act(w) -> list[str]:
        with pytest.MonkeyPatch.context() as mp:
            if limit_mb:
                mp.setenv("LAB_MAX_MODEL_MB", limit_mb)
            at = page("evaluate")
            if view:
                at.segmented_control(key="eval_view").set_value(view).run()
            if act_on:
                act_on(at)
            return messages(at)
    return act


def upload_on_page(make: Callable[[], bytes], name: str = "model.keras") -> Callable:
    """Send ``make()``'s bytes with the Evaluate page's upload form."""
    def act_on(at) -> None:
        at.file_uploader(key="eval_files_upload_file").set_value((name, make(), "application/octet-stream")).run()
        at.button(key="eval_files_upload_go").click().run()
    return act_on


def largest_shift(pixels: int) -> Callable:
    def act_on(at) -> None:
        at.number_input(key="eval_shift_largest").set_value(pixels).run()
        assert not [b for b in at.button if b.key == "eval_shift_go"], "no experiment may start"
    return act_on


def shifted(pixels) -> Callable:
    """`lab.shift.shift` of one real test digit."""
    def act(w) -> list[str]:
        try:
            shift.shift(lab.data.load("mnist").x_test[0], pixels, "down")
        except shift.ShiftError as exc:
            return [str(exc)]
        return ["no refusal"]
    return act


def picture_bytes() -> bytes:
    buf = io.BytesIO()
    Image.fromarray(lab.data.load("mnist").x_test[0]).save(buf, format="PNG")
    return buf.getvalue()


def model_bytes(*layers, inputs=(28, 28, 1)) -> Callable[[], bytes]:
    """A real Keras model of ``layers`` saved as a .keras file, as bytes."""
    def make() -> bytes:
        path = settings().home / "made.keras"
        keras.Sequential([keras.Input(inputs), *layers]).save(path)
        raw = path.read_bytes()
        path.unlink()
        return raw
    return make


def lambda_bytes() -> bytes:
    return model_bytes(keras.layers.Flatten(), keras.layers.Lambda(lambda x: x * 2), keras.layers.Dense(10))()
