"""Plain-words reading of a training history, for the train page to show."""

from __future__ import annotations

import math

NAN_ADVICE = ("The loss became NaN (not a number): the weights blew up. Training was stopped. "
              "Lower the learning rate (for example divide it by 10) and train again.")


def diagnose(history: list[dict]) -> str | None:
    """What the finished epochs show, when it is clear; None otherwise.

    Args:
        history: epoch dicts with ``loss`` and optionally ``val_loss``, oldest first.

    Returns:
        One sentence about overfitting, a flat loss or a NaN loss, or None.

    Example:
        >>> diagnose([{"loss": 1.0, "val_loss": 0.9}, {"loss": 0.8, "val_loss": 1.0},
        ...           {"loss": 0.6, "val_loss": 1.1}])[:11]
        'Overfitting'
    """
    if not history:
        return None
    if any(_bad(history[-1].get(k)) for k in ("loss", "val_loss")):
        return NAN_ADVICE
    vals = [row.get("val_loss") for row in history[-3:]]
    losses = [row["loss"] for row in history[-3:]]
    if len(history) >= 3 and None not in vals:
        if vals[0] < vals[1] < vals[2] and losses[0] > losses[1] > losses[2]:
            return ("Overfitting: the network is memorising the training set. Validation loss has "
                    "risen for two epochs while training loss keeps falling. Stop here, add "
                    "Dropout, or use more data.")
    if len(history) >= 3 and history[-1].get("accuracy", 0.0) < 0.95:  # not a converged net
        change = abs(losses[0] - losses[-1]) / max(abs(losses[0]), 1e-12)
        if change < 0.01:
            return ("The loss is not moving: under 1% change over the last three epochs. Try a "
                    "larger learning rate, another optimizer, or a bigger network.")
    return None


def _bad(value) -> bool:
    return value is not None and not math.isfinite(value)
