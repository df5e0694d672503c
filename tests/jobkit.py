"""What the job tests share: a small network and a wait with a deadline."""

from __future__ import annotations

import time

from lab.spec import LayerSpec, ModelSpec

SMALL = ModelSpec("small", [LayerSpec("Flatten"), LayerSpec("Dense", units=32),
                            LayerSpec("Dense", units=10, activation="softmax")])


def wait_until(condition, timeout: float = 90.0, what: str = "condition") -> None:
    """Poll ``condition`` until it is true; AssertionError naming ``what`` after ``timeout`` s."""
    end = time.time() + timeout
    while time.time() < end:
        if condition():
            return
        time.sleep(0.01)
    raise AssertionError(f"{what}: not met in {timeout:.0f} s")
