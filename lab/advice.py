"""Plain-words reading of a training history, for the train page to show."""

from __future__ import annotations

import math
from typing import Sequence

from lab.records.types import Epoch

NAN_ADVICE = ("The loss became NaN (not a number): the weights blew up. Training was stopped. "
              "Lower the learning rate (for example divide it by 10) and train again.")


def diagnose(history: Sequence[Epoch], n_classes: int = 0, planned: int = 0) -> str | None:
    """What the finished epochs show, when it is clear; None otherwise.

    Args:
        history: finished epochs, oldest first.
        n_classes: classes of the dataset (0 = unknown); lets it tell a blown-up
            run (huge loss, accuracy no better than guessing) from a slow one.
        planned: the epochs the run is to train in all (0 = unknown). A flat loss is
            called only after a tenth of them, over the last fifth of the epochs done
            (at least three): XOR's 500 one-batch epochs each move the loss by far
            under 1%, though the whole run learns.

    Returns:
        One sentence about a NaN loss, a blown-up loss, overfitting or a flat loss, or None.

    Example:
        >>> diagnose([Epoch(1, loss=1.0, val_loss=0.9), Epoch(2, loss=0.8, val_loss=1.0),
        ...           Epoch(3, loss=0.6, val_loss=1.1)])[:11]
        'Overfitting'
    """
    if not history:
        return None
    last = history[-1]
    if _bad(last.loss) or _bad(last.val_loss):
        return NAN_ADVICE
    blown = _blown_up(history, n_classes)
    if blown:
        return blown
    overfitting = _overfitting(history)
    if overfitting:
        return overfitting
    return _flat(history, planned)


def _flat(history: Sequence[Epoch], planned: int) -> str | None:
    """The flat-loss advice, when the loss moved under 1% over the window `diagnose` says."""
    done = len(history)
    if done < max(3, planned // 10) or (history[-1].accuracy or 0.0) >= 0.95:  # too early; a converged net
        return None
    window = max(3, done // 5)
    first, last = history[-window].loss, history[-1].loss
    if abs(first - last) / max(abs(first), 1e-12) >= 0.01:
        return None
    return (f"The loss is not moving: under 1% change over the last {window} epochs. Try a "
            "larger learning rate, another optimizer, or a bigger network.")


def _overfitting(history: Sequence[Epoch]) -> str | None:
    """Validation loss rising while training loss does not: for the last two epochs, or well
    above its lowest (by a fifth, three or more epochs ago; a noisy rise need not be steady)."""
    rows = [row for row in history if row.loss is not None and row.val_loss is not None]
    if len(rows) < 3:
        return None
    best, last = min(rows, key=lambda row: row.val_loss), rows[-1]
    vals, losses = [row.val_loss for row in rows[-3:]], [row.loss for row in rows[-3:]]
    two_rises = vals[0] < vals[1] < vals[2] and losses[2] <= losses[0]
    far_above = last.epoch - best.epoch >= 3 and last.val_loss > 1.2 * best.val_loss and last.loss <= best.loss
    if best is last or not (two_rises or far_above):
        return None
    return (f"Overfitting: the network is memorising the training set. Validation loss has risen from its "
            f"lowest, {best.val_loss:.3g} after epoch {best.epoch}, to {last.val_loss:.3g}, while training loss "
            f"did not rise ({last.loss:.3g} now). Stop here (Keep the best epoch keeps epoch {best.epoch}'s "
            "weights), add Dropout, or use more data.")

def _blown_up(history: Sequence[Epoch], n_classes: int) -> str | None:
    """A run whose loss exploded without becoming NaN: at some epoch far above the loss of
    a network that guesses, and accuracy now no better than guessing (the exploding steps
    kill the units; what is left answers the same for every image)."""
    last = history[-1]
    if n_classes < 2 or last.accuracy is None:
        return None
    chance, guessing = 1.0 / n_classes, math.log(n_classes)
    peak = max((row.loss for row in history if row.loss is not None), default=0.0)
    if last.accuracy <= 1.5 * chance and peak > 2 * guessing:
        return (f"Training blew up: the loss reached {peak:,.1f}, far above where a network that "
                f"guesses starts (about {guessing:.1f}), and accuracy is {last.accuracy:.0%}, no better "
                f"than guessing one of {n_classes} classes ({chance:.0%}). The learning rate is too "
                "large: each step jumps past the minimum. Divide it by 10 and train again.")
    return None


def _bad(value) -> bool:
    return value is not None and not math.isfinite(value)
