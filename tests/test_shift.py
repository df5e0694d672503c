"""lab.shift: real test digits moved by whole pixels, and accuracy against the shift."""

from __future__ import annotations

import numpy as np
import pytest

import lab.data
from appkit import install_model, page_manager, seed_run
from lab import answers, shift
from lab.records.sqlite import SQLiteStore as Store


def centre_of_ink(image: np.ndarray) -> np.ndarray:
    rows, cols = np.indices(image.shape)
    total = image.sum()
    return np.array([(rows * image).sum() / total, (cols * image).sum() / total])


@pytest.mark.parametrize("direction", list(shift.DIRECTIONS))
def test_ink_moves_by_exactly_the_shift(direction):
    ds = lab.data.load("mnist")
    dy, dx = shift.DIRECTIONS[direction]
    images = ds.x_test[:200].astype(np.float64)
    for k in range(0, 9):
        moved = shift.shift(images, k, direction)
        assert moved.shape == images.shape
        for before, after in zip(images, moved):
            rows, cols = np.nonzero(before)
            room = (rows.min() + dy * k >= 0 and rows.max() + dy * k < 28 and
                    cols.min() + dx * k >= 0 and cols.max() + dx * k < 28)
            if room:  # nothing falls off: the same ink, every pixel moved by (dy k, dx k)
                assert after.sum() == before.sum()
                assert np.array_equal(np.roll(before, (dy * k, dx * k), axis=(0, 1)), after)
                assert centre_of_ink(after) - centre_of_ink(before) == pytest.approx([dy * k, dx * k])
            else:  # what left the frame is lost, nothing else changed, nothing came back round
                kept = before[max(0, -dy * k):28 - max(0, dy * k), max(0, -dx * k):28 - max(0, dx * k)]
                assert after.sum() == kept.sum() < before.sum()


def test_shift_larger_than_the_image_and_other_bad_shifts_are_refused():
    image = lab.data.load("mnist").x_test[0]
    assert shift.shift(image, 27, "right")[:, 27].tolist() == image[:, 0].tolist()  # the largest possible
    for bad, message in [(28, "A shift of 28 pixels moves the whole 28-pixel image out of view: choose a shift "
                              "from 0 to 27"),
                         (300, "A shift of 300 pixels moves the whole 28-pixel image out of view"),
                         (-2, "A shift of -2 pixels is not possible: choose 0 or more"),
                         (2.5, "A shift of 2.5 pixels is not possible: choose a whole number")]:
        with pytest.raises(shift.ShiftError, match=message):
            shift.shift(image, bad, "left")
    with pytest.raises(shift.ShiftError, match="Unknown direction 'sideways'"):
        shift.shift(image, 1, "sideways")


def test_accuracy_against_shift_for_two_runs(trained_model):
    store = Store()
    first = store.run(install_model(trained_model, store))
    job = page_manager().continue_run(install_model(trained_model, store), 1, owner="ada", teacher=True)
    assert page_manager().wait(job.id, 120).status == "finished"
    second = store.run(job.id)
    models = page_manager().models
    frame = shift.curves([first, second], models, "right", 8, 1000)
    assert frame["shift"].tolist() == list(range(9)) * 2
    assert frame["run"].unique().tolist() == [f"run {first.id}: {first.network}", f"run {second.id}: {second.network}"]
    for run, rows in zip((first, second), (frame[:9], frame[9:])):
        p = answers.for_run(run, models)  # no shift: the run's own answers on those 1,000 images
        assert rows["accuracy"].iloc[0] == pytest.approx(p.correct[:1000].mean())
    assert frame["accuracy"].iloc[8] < frame["accuracy"].iloc[0]  # a dense net loses digits moved 8 pixels

    moved, captions = shift.example([first, second], models, 5, "right", 8)
    assert len(moved) == 9 and np.array_equal(moved[3], shift.shift(lab.data.load("mnist").x_test[5], 3, "right"))
    assert captions[0].startswith(f"0 px · run {first.id}: ") and f" · run {second.id}: " in captions[0]

    xor = store.run(seed_run(store, dataset="xor"))
    with pytest.raises(answers.EvaluateError, match="XOR truth table"):
        shift.curves([first, xor], models, "right", 8, 1000)
    with pytest.raises(shift.ShiftError, match="A shift of 40 pixels"):
        shift.curves([first], models, "down", 40, 1000)
