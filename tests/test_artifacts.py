"""lab.artifacts: where a run's model file is, and which files the lab refuses to open."""

from __future__ import annotations

import zipfile

import keras
import numpy as np
import pytest

from lab.artifacts import ModelFiles, load_error, refusal, write_model
from lab.records import RunRecord


def small_model():
    return keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])


def test_a_run_maps_to_one_file_relative_to_the_folder(tmp_path):
    files = ModelFiles(tmp_path / "trained")
    assert files.key(7) == "run_7.keras" and files.target(7) == tmp_path / "trained" / "run_7.keras"
    run = RunRecord(7, model_path="run_7.keras")
    assert files.path(run) == files.target(7) and files.locate(run) is None and not files.has_model(run)
    write_model(small_model(), files.target(7))
    assert files.locate(run) == files.target(7) and files.has_model(run)
    moved = ModelFiles(tmp_path / "elsewhere")  # the folder moved: the record still finds it there
    (tmp_path / "elsewhere").mkdir()
    files.target(7).rename(moved.target(7))
    assert moved.has_model(run) and not files.has_model(run)
    assert files.locate(RunRecord(8)) is None


def test_records_with_absolute_paths_from_the_first_lab_still_work(tmp_path):
    path = tmp_path / "old" / "run_3.keras"
    write_model(small_model(), path)
    assert ModelFiles(tmp_path / "trained").locate(RunRecord(3, model_path=str(path))) == path


def test_writing_is_atomic(tmp_path):
    path = tmp_path / "run_1.keras"
    write_model(small_model(), path)
    assert path.is_file() and not list(tmp_path.glob("*.tmp.keras"))
    assert refusal(path) is None
    np.testing.assert_allclose(keras.models.load_model(path).get_weights()[1], [0.0])


def test_files_with_code_or_of_another_kind_are_refused_unread(tmp_path):
    lam = keras.Sequential([keras.Input((2,)), keras.layers.Lambda(lambda x: x * 2), keras.layers.Dense(1)])
    lam_path = tmp_path / "lambda.keras"
    lam.save(lam_path)
    assert refusal(lam_path).startswith("The model holds Python code (a Lambda layer)")
    junk = tmp_path / "junk.keras"
    junk.write_bytes(b"hello")
    assert "not a Keras model" in refusal(junk)
    empty_zip = tmp_path / "empty.keras"
    with zipfile.ZipFile(empty_zip, "w") as z:
        z.writestr("metadata.json", "{}")
    assert "not a Keras model" in refusal(empty_zip)
    assert refusal(tmp_path / "missing.keras") == "The model file is missing."


def test_keras_load_errors_become_one_sentence(tmp_path):
    lam = keras.Sequential([keras.Input((2,)), keras.layers.Lambda(lambda x: x * 2)])
    path = tmp_path / "lambda.keras"
    lam.save(path)
    with pytest.raises(Exception) as err:
        keras.models.load_model(path)
    sentence = load_error(err.value)
    assert "\n" not in sentence and sentence.startswith("The model holds Python code")
    assert "safe_mode" in str(err.value) and "safe_mode" not in sentence  # never advise switching safety off
