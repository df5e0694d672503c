"""lab.predict: drawings and photos become MNIST-like inputs; outputs become probabilities."""

from __future__ import annotations

import io
import os

import keras
import numpy as np
import pytest
from PIL import Image, ImageDraw

from lab.data import load
from lab.predict import BadImage, EmptyImage, grey, load_model, probabilities, read_upload, to_input


def _com(img: np.ndarray) -> np.ndarray:
    ys, xs = np.indices(img.shape)
    return np.array([(ys * img).sum(), (xs * img).sum()]) / img.sum()


@pytest.fixture
def mnist_com() -> np.ndarray:
    """Where real MNIST digits have their centre of mass (row, column), measured on the split."""
    x = load("mnist").x_train[:500].astype(np.float64)
    return np.mean([_com(img) for img in x], axis=0)


def _canvas(draw, size=280, bg=(0, 0, 0, 255), ink=(255, 255, 255, 255), width=20) -> np.ndarray:
    """An RGBA canvas like st_canvas returns (black background, white stroke by default)."""
    img = Image.new("RGBA", (size, size), bg)
    draw(ImageDraw.Draw(img), ink, width)
    return np.asarray(img)


def _seven(d, ink, width):  # a "7" drawn off-centre, in the top-left part of the canvas
    d.line([(20, 30), (140, 30), (70, 190)], fill=ink, width=width)


def _ink_box(img, threshold=0.0):
    rows, cols = np.where(img > threshold)
    return rows.max() - rows.min() + 1, cols.max() - cols.min() + 1


def test_mnist_reference_centre(mnist_com):
    # sanity of the reference used below: real digits sit in the middle of the 28x28 field
    assert np.all(np.abs(mnist_com - 13.75) < 0.5)


def test_drawn_stroke_is_centred_and_scaled(mnist_com):
    canvas = _canvas(_seven)
    out = to_input(canvas)
    assert out.shape == (28, 28) and out.dtype == np.float32
    assert 0.0 <= out.min() and out.max() <= 1.0 and out.max() > 0.9
    # centre of mass where MNIST digits have theirs (whole-pixel shifts: within half a pixel)
    com = _com(out)
    assert np.all(np.abs(com - 13.5) <= 1.0), com
    assert np.all(np.abs(com - mnist_com) <= 0.5), (com, mnist_com)
    # the digit fits a 20x20 box and fills it along its longer side, as in MNIST
    h, w = _ink_box(out)
    assert h <= 20 and w <= 20 and max(h, w) >= 19, (h, w)
    assert h > w  # a "7" is taller than wide: the aspect ratio is kept


def test_same_stroke_anywhere_gives_the_same_input():
    a = to_input(_canvas(_seven))
    b = to_input(_canvas(lambda d, ink, w: d.line([(120, 80), (240, 80), (170, 240)], fill=ink, width=w)))
    np.testing.assert_allclose(a, b, atol=1e-6)


def test_transparent_background_canvas():
    # a canvas whose background is transparent counts as black
    out = to_input(_canvas(_seven, bg=(0, 0, 0, 0)))
    np.testing.assert_allclose(out, to_input(_canvas(_seven)), atol=1e-6)


def test_empty_canvas_and_none():
    with pytest.raises(EmptyImage, match="draw a digit"):
        to_input(np.zeros((280, 280, 4), np.uint8))
    with pytest.raises(EmptyImage):
        to_input(_canvas(lambda d, ink, w: None))  # opaque black, no stroke
    with pytest.raises(EmptyImage):
        to_input(None)


def test_dark_ink_on_white_photo_is_inverted():
    photo = _canvas(_seven, bg=(255, 255, 255, 255), ink=(0, 0, 0, 255))[..., :3]  # RGB, no alpha
    g = grey(photo)
    assert g[0, 0] == pytest.approx(0.0) and g[30, 80] == pytest.approx(1.0)  # paper dark, ink bright
    out = to_input(photo)
    np.testing.assert_allclose(out, to_input(_canvas(_seven)), atol=1e-6)
    assert out[0, 0] == 0.0 and out[-1, -1] == 0.0


def test_white_ink_on_black_is_not_inverted():
    g = grey(_canvas(_seven)[..., :3])
    assert g[0, 0] == pytest.approx(0.0) and g[30, 80] == pytest.approx(1.0)


def _png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def test_read_upload_png():
    img = Image.new("L", (40, 30), 255)
    ImageDraw.Draw(img).line([(20, 3), (20, 27)], fill=0, width=4)
    arr = read_upload(_png(img))
    assert arr.shape == (30, 40, 4) and arr.dtype == np.uint8
    assert (arr[..., 3] == 255).all() and arr[0, 0, 0] == 255 and arr[15, 20, 0] == 0
    out = to_input(arr)  # a dark "1" on paper: inverted, centred
    h, w = _ink_box(out)
    assert h == 20 and w < 8


@pytest.mark.parametrize("raw", [b"", b"not an image at all" * 10, b"\x89PNG\r\n\x1a\n" + b"\x00" * 40])
def test_read_upload_garbage(raw):
    with pytest.raises(BadImage, match="PNG or JPEG"):
        read_upload(raw)


def test_real_mnist_digit_stays_itself():
    # A digit that is already MNIST-normalised must come through (nearly) unchanged.
    ds = load("mnist")
    corr = [np.corrcoef(x.ravel() / 255.0, to_input(x).ravel())[0, 1] for x in ds.x_test[:40]]
    assert min(corr) > 0.5, np.round(corr, 2)
    assert np.median(corr) > 0.95, np.round(corr, 2)


def _linear_model():
    net = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(), keras.layers.Dense(10)])
    rng = np.random.default_rng(0)
    w = rng.normal(0, 0.1, (784, 10)).astype(np.float32)
    b = np.linspace(-1, 1, 10).astype(np.float32)
    net.set_weights([w, b])
    return net, w, b


def test_probabilities_softmax_a_linear_output():
    net, w, b = _linear_model()
    image = load("mnist").scaled(load("mnist").x_test[:1])[0, ..., 0]
    logits = image.reshape(-1) @ w + b
    want = np.exp(logits - logits.max())
    want /= want.sum()
    p = probabilities(net, image)
    assert p.shape == (10,) and p.sum() == pytest.approx(1.0, abs=1e-9)
    np.testing.assert_allclose(p, want, rtol=1e-4, atol=1e-6)


def test_probabilities_of_a_softmax_model_are_its_output():
    net = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(),
                            keras.layers.Dense(10, activation="softmax")])
    image = to_input(_canvas(_seven))
    p = probabilities(net, image)
    direct = np.asarray(net(image.reshape(1, 28, 28, 1), training=False))[0]
    assert p.sum() == pytest.approx(1.0, abs=1e-6) and (p >= 0).all()
    np.testing.assert_allclose(p, direct, rtol=1e-5)


def test_load_model_reads_a_saved_file_once_per_version(tmp_path):
    net, _, _ = _linear_model()
    path = tmp_path / "net.keras"
    net.save(path)
    mtime = os.path.getmtime(path)
    loaded = load_model(str(path), mtime)
    assert loaded is load_model(str(path), mtime)
    image = np.random.default_rng(1).random((28, 28)).astype(np.float32)
    np.testing.assert_allclose(probabilities(loaded, image), probabilities(net, image), rtol=1e-5)


def test_models_that_answer_nan_or_take_other_inputs_are_refused():
    import keras

    from lab import predict as lp

    nan_model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(),
                                  keras.layers.Dense(10)])
    nan_model.set_weights([np.full_like(w, np.nan) for w in nan_model.get_weights()])
    with pytest.raises(ValueError, match="NaN"):
        lp.probabilities(nan_model, np.zeros((28, 28), np.float32))
    xor_model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    with pytest.raises(ValueError, match="28x28"):
        lp.probabilities(xor_model, np.zeros((28, 28), np.float32))
    assert lp.draws_for("mnist") and lp.draws_for("fashion_mnist")
    assert not lp.draws_for("xor") and not lp.draws_for("no such dataset")


def test_a_photo_on_grey_paper_keeps_only_the_ink():
    from lab import predict as lp

    rng = np.random.default_rng(0)
    photo = (200 + rng.normal(0, 6, (300, 300))).clip(0, 255)  # uneven light-grey paper
    photo[60:240, 140:160] = 30  # a dark '1'
    rgb = np.repeat(photo[..., None], 3, axis=2).astype(np.uint8)
    x = lp.to_input(rgb)
    cols = np.flatnonzero(x.max(axis=0) > 0.3)
    assert cols.max() - cols.min() <= 6  # a thin stroke, not a grey block
    assert x.max() > 0.6  # bright ink (a 2-pixel stroke after scaling, so anti-aliased)


def test_a_dark_digit_on_a_transparent_background_is_read():
    """A very common PNG: black ink, every other pixel transparent (alpha 0, colour black)."""
    cutout = _canvas(_seven, bg=(0, 0, 0, 0), ink=(0, 0, 0, 255))
    np.testing.assert_allclose(to_input(cutout), to_input(_canvas(_seven)), atol=1e-6)
    navy = _canvas(_seven, bg=(255, 255, 255, 0), ink=(20, 20, 90, 255))  # coloured ink, white see-through
    np.testing.assert_allclose(to_input(navy), to_input(_canvas(_seven)), atol=1e-6)


def test_uploads_are_checked_from_the_header_and_shrunk(monkeypatch):
    from lab import predict as lp

    big = Image.new("L", (3000, 2000), 255)
    ImageDraw.Draw(big).line([(1500, 200), (1500, 1800)], fill=0, width=120)
    arr = read_upload(_png(big))
    assert max(arr.shape[:2]) == lp.WORK_SIDE  # shrunk before anything else
    assert to_input(arr).max() > 0.9
    with pytest.raises(BadImage, match="3,000 x 2,000 pixels"):
        read_upload(_png(big), max_pixels=5_000_000)


def test_a_huge_picture_is_refused_from_its_header_without_decoding_a_pixel(monkeypatch):
    """A few kilobytes that unpack to 144 million pixels: the lab reads the header only."""
    from PIL import ImageFile

    big = io.BytesIO()
    Image.new("1", (12_000, 12_000), 0).save(big, format="PNG")
    decoded = []
    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda self: decoded.append(self.size))
    with pytest.raises(BadImage, match="12,000 x 12,000 pixels"):
        read_upload(big.getvalue())
    assert decoded == []
