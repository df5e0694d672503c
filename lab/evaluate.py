"""What a trained network gets right and wrong on the whole test set.

Everything here reads a run's answers on every test image (`lab.answers`):
the gallery, the confusion matrix, accuracy per class, one image explained in
words, and two runs compared class by class.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from lab.answers import EvaluateError, Predictions
from lab.records.types import RunRecord
from lab.words import percent

PER_PAGE = 24
ORDERS = ("most confidently wrong first", "least sure first", "test set order")
NUMBER_WORDS = {2: "two", 3: "three", 10: "ten"}


def confusion(labels: np.ndarray, predicted: np.ndarray, n_classes: int) -> np.ndarray:
    """How many images of each true class (rows) were given each class (columns).

    Example:
        >>> confusion(np.array([0, 0, 1]), np.array([0, 1, 1]), 2).tolist()
        [[1, 1], [0, 1]]
    """
    return np.bincount(labels * n_classes + predicted, minlength=n_classes * n_classes).reshape(n_classes, n_classes)


def shares(matrix: np.ndarray) -> np.ndarray:
    """Each row of a confusion matrix as shares of its true class (rows sum to 1; a class
    without images stays 0).

    Example:
        >>> shares(np.array([[3, 1], [0, 0]])).tolist()
        [[0.75, 0.25], [0.0, 0.0]]
    """
    totals = matrix.sum(axis=1, keepdims=True)
    return np.divide(matrix, totals, out=np.zeros(matrix.shape, float), where=totals > 0)


def class_accuracy(p: Predictions) -> pd.DataFrame:
    """One row per class: its name, how many test images it has, and the share given their
    true class."""
    matrix = confusion(p.labels, p.predicted, p.n_classes)
    images = matrix.sum(axis=1)
    right = np.diag(matrix)
    return pd.DataFrame({"class": list(p.class_names), "images": images,
                         "accuracy": np.divide(right, images, out=np.zeros(len(images)), where=images > 0)})


def gallery(p: Predictions, show: str | int = "all", order: str = ORDERS[0]) -> np.ndarray:
    """The test images to show, as indices in the order to show them.

    Args:
        show: ``"all"``, ``"wrong"`` (only those given a wrong class), or a class number
            (only the images of that true class).
        order: one of `ORDERS`. "most confidently wrong first": the wrong ones, the surest
            first, then the right ones, the least sure first (the close calls); "least sure
            first": by the probability of the answer given, lowest first; "test set order".

    Example:
        >>> p = Predictions(np.array([0, 0, 1]), np.array([[0.6, 0.4], [0.1, 0.9], [0.3, 0.7]]), ("a", "b"))
        >>> gallery(p).tolist(), gallery(p, "wrong").tolist(), gallery(p, 1).tolist()
        ([1, 0, 2], [1], [2])
    """
    if show == "all":
        keep = np.ones(len(p.labels), bool)
    elif show == "wrong":
        keep = ~p.correct
    elif isinstance(show, (int, np.integer)) and 0 <= show < p.n_classes:
        keep = p.labels == show
    else:
        raise ValueError(f"Show 'all', 'wrong' or a class from 0 to {p.n_classes - 1}, not {show!r}.")
    index = np.flatnonzero(keep)
    if order == ORDERS[0]:
        sure = p.confidence[index]
        wrong = ~p.correct[index]
        ranked = np.lexsort((index, np.where(wrong, -sure, sure), ~wrong))
    elif order == ORDERS[1]:
        ranked = np.lexsort((index, p.confidence[index]))
    elif order == ORDERS[2]:
        ranked = np.arange(len(index))
    else:
        raise ValueError(f"Unknown order {order!r}: choose one of {', '.join(ORDERS)}.")
    return index[ranked]


def cell(p: Predictions, true: int, given: int) -> np.ndarray:
    """The images of true class ``true`` given class ``given`` (one cell of the confusion
    matrix), the surest answers first."""
    index = np.flatnonzero((p.labels == true) & (p.predicted == given))
    return index[np.lexsort((index, -p.confidence[index]))]


def worst_cell(p: Predictions) -> tuple[int, int]:
    """The most frequent mistake: (true class, class given); the first diagonal cell when
    there is none."""
    matrix = confusion(p.labels, p.predicted, p.n_classes)
    np.fill_diagonal(matrix, -1)
    true, given = np.unravel_index(int(matrix.argmax()), matrix.shape)
    return (int(true), int(given)) if matrix[true, given] > 0 else (0, 0)


def pages(count: int, per_page: int = PER_PAGE) -> int:
    """How many pages ``count`` images fill (at least 1)."""
    return max(1, -(-count // per_page))


def page(index: np.ndarray, number: int, per_page: int = PER_PAGE) -> np.ndarray:
    """Page ``number`` (from 1) of ``index``."""
    return index[(number - 1) * per_page:number * per_page]


def true_word(class_names: tuple[str, ...]) -> str:
    """"Digit" for digits, "Class" for named classes (Fashion-MNIST)."""
    return "Digit" if all(name.isdigit() for name in class_names) else "Class"


def caption(p: Predictions, i: int) -> str:
    """The title of test image ``i``, in the seed notebooks' style.

    Example:
        >>> probs = np.full((1, 10), 0.07 / 9); probs[0, 1] = 0.93
        >>> caption(Predictions(np.array([7]), probs, tuple("0123456789")), 0)
        '#0 · Digit: 7 · Predicted: 1 (93%)'
        >>> probs[0, 1] = 0.9994  # never "100%" when it is not
        >>> caption(Predictions(np.array([7]), probs, tuple("0123456789")), 0)
        '#0 · Digit: 7 · Predicted: 1 (99.9%)'
    """
    names = p.class_names
    return (f"#{i} · {true_word(names)}: {names[p.labels[i]]} · Predicted: {names[p.predicted[i]]} "
            f"({percent(p.confidence[i])})")


def caption_two(a: Predictions, b: Predictions, i: int, names: tuple[str, str]) -> str:
    """The title of test image ``i`` with the answers of two runs.

    Example:
        >>> a = Predictions(np.array([1]), np.array([[0.2, 0.8]]), ("0", "1"))
        >>> b = Predictions(np.array([1]), np.array([[0.7, 0.3]]), ("0", "1"))
        >>> caption_two(a, b, 0, ("run 3", "run 5"))
        '#0 · Digit: 1 · run 3: 1 (80%) · run 5: 0 (70%)'
    """
    names_ = a.class_names
    return (f"#{i} · {true_word(names_)}: {names_[a.labels[i]]} · {names[0]}: {names_[a.predicted[i]]} "
            f"({percent(a.confidence[i])}) · {names[1]}: {names_[b.predicted[i]]} ({percent(b.confidence[i])})")


def explain(probs: np.ndarray, class_names: tuple[str, ...], label: int | None = None) -> str:
    """The answer of one image in words: where the largest number is, and what that means.

    Example:
        >>> probs = np.array([0.01, 0.02, 0.01, 0.0, 0.0, 0.0, 0.0, 0.9, 0.0, 0.06])
        >>> explain(probs, tuple("0123456789"), label=7)
        'The largest of the ten numbers is in place 7 (0.900), so the network answers 7. That is right.'
    """
    best = int(np.argmax(probs))
    count = NUMBER_WORDS.get(len(probs), str(len(probs)))
    name = class_names[best]
    place = f"place {best}" if name == str(best) else f"place {best} ({name})"
    text = f"The largest of the {count} numbers is in {place} ({probs[best]:.3f}), so the network answers {name}."
    if label is None:
        return text
    if label == best:
        return text + " That is right."
    return (text + f" That is wrong: the right answer is {class_names[label]}, and place {label} holds only "
            f"{probs[label]:.3f}.")


def top_answers(probs: np.ndarray, class_names: tuple[str, ...], k: int = 3) -> str:
    """The ``k`` likeliest answers in words.

    Example:
        >>> top_answers(np.array([0.05, 0.9, 0.0, 0.05]), ("a", "b", "c", "d"))
        'First choice b (90.0%), then a (5.0%), then d (5.0%).'
    """
    order = sorted(range(len(probs)), key=lambda c: (-probs[c], c))[:k]
    parts = [f"{class_names[c]} ({probs[c]:.1%})" for c in order]
    return "First choice " + ", then ".join(parts) + "."


# ---- two runs -------------------------------------------------------------------------------------

def comparable(a: RunRecord, b: RunRecord) -> None:
    """Refuse two runs whose test sets differ.

    Raises:
        EvaluateError: they were trained on different datasets.
    """
    if a.dataset != b.dataset:
        raise EvaluateError(f"Run {a.id} was trained on {a.dataset} and run {b.id} on {b.dataset}: compare "
                            "two runs trained on the same dataset.")


def compare(a: Predictions, b: Predictions, names: tuple[str, str] = ("A", "B")) -> pd.DataFrame:
    """Accuracy per class of two runs on the same test set, and how it changed from ``a``
    to ``b`` (in percentage points), with a word for it.

    Example:
        >>> labels = np.array([0, 0, 1, 1])
        >>> a = Predictions(labels, np.eye(2)[[0, 0, 0, 0]], ("x", "y"))
        >>> b = Predictions(labels, np.eye(2)[[0, 1, 1, 1]], ("x", "y"))
        >>> compare(a, b)[["class", "change (points)", "verdict"]].values.tolist()
        [['x', -50.0, 'worse'], ['y', 100.0, 'better']]
    """
    if not np.array_equal(a.labels, b.labels):
        raise EvaluateError("These two runs were tested on different test sets: they cannot be compared.")
    first, second = class_accuracy(a), class_accuracy(b)
    change = (second["accuracy"] - first["accuracy"]) * 100
    return pd.DataFrame({"class": first["class"], "images": first["images"],
                         f"accuracy {names[0]}": first["accuracy"], f"accuracy {names[1]}": second["accuracy"],
                         "change (points)": change.round(2),
                         "verdict": np.select([change > 0, change < 0], ["better", "worse"], "same")})


def disagreements(a: Predictions, b: Predictions) -> tuple[np.ndarray, np.ndarray]:
    """(images ``a`` gets right and ``b`` wrong, images ``b`` gets right and ``a`` wrong),
    each with the surest wrong answers first."""
    only_a = np.flatnonzero(a.correct & ~b.correct)
    only_b = np.flatnonzero(b.correct & ~a.correct)
    return (only_a[np.lexsort((only_a, -b.confidence[only_a]))],
            only_b[np.lexsort((only_b, -a.confidence[only_b]))])
