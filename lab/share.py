"""A network and its settings in a link, so a teacher can hand a starting point to a class.

The token is the spec's JSON, compressed and URL-safe; reading one back
checks its size before and after unpacking and turns anything wrong into
one sentence, so a mistyped or hostile link cannot break a page.
"""

from __future__ import annotations

import base64
import binascii
import json
import zlib

from lab.spec import ModelSpec, SpecError, TrainSpec

MAX_TOKEN = 8_000  # characters in a link
MAX_JSON = 200_000  # bytes once unpacked


class ShareError(ValueError):
    """A link that holds no network the lab can read; the message says so."""


def token(model: ModelSpec, train: TrainSpec) -> str:
    """The network and settings as a short URL-safe text.

    Example:
        >>> from lab.spec import LayerSpec
        >>> net = ModelSpec("tiny", [LayerSpec("Dense", units=1)])
        >>> read(token(net, TrainSpec(dataset="xor")))[0].name
        'tiny'
    """
    data = json.dumps({"model": model.to_dict(), "train": train.to_dict()}, separators=(",", ":"))
    return base64.urlsafe_b64encode(zlib.compress(data.encode(), 9)).decode().rstrip("=")


def read(text: str) -> tuple[ModelSpec, TrainSpec]:
    """The network and settings in a token.

    Raises:
        ShareError: the token is too long, damaged, or not a network.
    """
    broken = ShareError("This link does not hold a network the lab can read (it may have been cut "
                        "short when copied): ask for the link again.")
    if not text or len(text) > MAX_TOKEN:
        raise broken
    try:
        packed = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        unpacker = zlib.decompressobj()
        raw = unpacker.decompress(packed, MAX_JSON)
        if unpacker.unconsumed_tail:
            raise broken
        data = json.loads(raw)
        return ModelSpec.from_dict(data["model"]), TrainSpec.from_dict(data["train"])
    except (binascii.Error, zlib.error, ValueError, KeyError, TypeError, SpecError) as exc:
        raise broken from exc
