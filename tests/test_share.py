"""lab.share: a network in a link, and links that hold none."""

from __future__ import annotations

import base64
import zlib

import pytest

from lab import share
from lab.spec import load_presets

PRESET = load_presets()["cnn_32_64_64"]


def test_a_network_and_its_settings_go_through_a_link():
    text = share.token(PRESET.model, PRESET.train)
    assert len(text) < 1000 and all(c.isalnum() or c in "-_" for c in text)
    assert share.read(text) == (PRESET.model, PRESET.train)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize("text", [
    "", "not base64 at all!!", _b64(b"plain bytes"), _b64(zlib.compress(b"{not json")),
    _b64(zlib.compress(b'{"model": {"layers": "x"}, "train": {}}')),
    _b64(zlib.compress(b'{"model": {"layers": []}, "train": {"epochs": "many"}}')),
    _b64(zlib.compress(b" " * 50_000_000)),  # a small link that unpacks to 50 MB
    *[_b64(zlib.compress(b'{"model": {"layers": []}, "train": {"%s": "%s"}}' % pair))  # what no page offers
      for pair in ((b"dataset", b"cifar10"), (b"optimizer", b"adamax"), (b"loss", b"hinge"))],
    _b64(zlib.compress(b'{"model": {"layers": []}, "train": {"epochs": 1%s}}' % (b"0" * 400))),  # over a float
    _b64(zlib.compress(b'{"model": {"layers": [{"kind": "Dense", "units": 1%s}]}, "train": {}}' % (b"0" * 400))),
    share.token(PRESET.model, PRESET.train)[:-30],  # cut short when copied
    "A" * 9000,
])
def test_a_broken_link_gets_one_sentence(text):
    with pytest.raises(share.ShareError, match="This link does not hold a network the lab can read"):
        share.read(text)
