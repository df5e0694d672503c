"""How often does a network learn XOR? Many tries from random starts, trained at once.

A *try* is the XOR network (`lab.xor`) trained from one random start. A
*study* runs ``tries`` tries for each of several hidden sizes and counts how
many learned (all four outputs on the right side of 0.5). For speed, all
tries of one hidden size are one *batch*: their weights carry a leading "try"
axis and one compiled TensorFlow loop trains them together, each try getting
exactly the update plain SGD would give it alone (the loss is a sum over
tries, so no try's gradient touches another's). `keras_fit` trains one try the
ordinary way, with ``model.fit``, for comparison (tests, `bench/xor_trials.py`).

Every batch is recorded (`lab.records`: one row per hidden size, with its
settings and every try's outcome and final weights) so the Results page can
show it again.
"""

from __future__ import annotations

import functools
import json
import re
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from lab import xor
from lab.records.types import TrialBatch
from lab.settings import settings
from lab.summary import MAX_SEED

MAX_SIZES = 8  # hidden sizes in one study: a chart a class can read
DEFAULT_SIZES = (1, 2, 3, 4, 8)
DEFAULT_TRIES = 50


class TrialsError(ValueError):
    """A study the lab will not run; the message says what to change."""


@dataclass(frozen=True)
class Plan:
    """What one study trains: every hidden size in ``sizes``, ``tries`` times each.

    Example:
        >>> Plan((1, 2), 50).activation, Plan((1, 2), 50).learning_rate
        ('tanh', 1.0)
    """

    sizes: tuple[int, ...]
    tries: int
    activation: str = xor.XorSettings.activation
    learning_rate: float = xor.XorSettings.learning_rate
    epochs: int = xor.XorSettings.epochs
    seed: int = 0


def parse_sizes(text: str) -> tuple[int, ...]:
    """Hidden sizes typed as ``1, 2, 3, 4, 8`` (commas or spaces), each checked.

    Raises:
        TrialsError: a value that is not a whole number, out of range, repeated, or too many values.

    Example:
        >>> parse_sizes("1, 2 3,4  8")
        (1, 2, 3, 4, 8)
        >>> parse_sizes("2, lots")
        Traceback (most recent call last):
        ...
        lab.trials.TrialsError: 'lots' is not a whole number of hidden units: type sizes such as 1, 2, 3, 4, 8.
    """
    words = [w for w in re.split(r"[,\s;]+", str(text).strip()) if w]
    if not words:
        raise TrialsError("Type at least one hidden size, such as 1, 2, 3, 4, 8.")
    if len(words) > MAX_SIZES:
        raise TrialsError(f"That is {len(words):,} hidden sizes: one study compares at most {MAX_SIZES}.")
    sizes = []
    for word in words:
        try:
            number = float(word)
        except ValueError:
            number = float("nan")
        if not np.isfinite(number) or number != int(number):
            raise TrialsError(f"'{word[:40]}' is not a whole number of hidden units: type sizes such as "
                              "1, 2, 3, 4, 8.")
        try:
            xor.check_hidden(int(number))
        except xor.XorError as exc:
            raise TrialsError(str(exc)) from None
        if int(number) in sizes:
            raise TrialsError(f"The hidden size {int(number)} appears twice: list each size once.")
        sizes.append(int(number))
    return tuple(sizes)


def check(plan: Plan) -> list[str]:
    """Every reason ``plan`` cannot run, in plain words (empty: it can).

    Example:
        >>> check(Plan((2,), 0))
        ['0 tries per hidden size is too few: use 1 to 200 (50 is usual).']
        >>> check(Plan((2,), 100_000))[0][:60]
        '100,000 tries per hidden size is more than the lab allows in'
    """
    limit, problems = settings().max_tries, []
    if not plan.sizes:
        problems.append("Type at least one hidden size, such as 1, 2, 3, 4, 8.")
    for size in plan.sizes:
        try:
            xor.check_hidden(size)
        except xor.XorError as exc:
            problems.append(str(exc))
    if isinstance(plan.tries, bool) or not isinstance(plan.tries, (int, np.integer)):
        problems.append(f"The number of tries must be a whole number, not {plan.tries!r}.")
    elif plan.tries < 1:
        problems.append(f"{plan.tries:,} tries per hidden size is too few: use 1 to {limit:,} "
                        f"({DEFAULT_TRIES} is usual).")
    elif plan.tries > limit:
        problems.append(f"{plan.tries:,} tries per hidden size is more than the lab allows in one study "
                        f"({limit:,}, LAB_MAX_TRIES): use fewer; {DEFAULT_TRIES} already shows the pattern.")
    try:
        xor.check_activation(plan.activation)
    except xor.XorError as exc:
        problems.append(str(exc))
    if not 0 < plan.learning_rate <= 10:
        problems.append(f"The learning rate is {plan.learning_rate:g}: it must be above 0 and at most 10 "
                        "(0.5 to 2 suits XOR).")
    if not 1 <= plan.epochs <= settings().max_epochs:
        problems.append(f"Epochs is {plan.epochs:,}: use 1 to {settings().max_epochs:,} (LAB_MAX_EPOCHS).")
    if not 0 <= plan.seed <= MAX_SEED:
        problems.append(f"The seed is {plan.seed:,}: use a whole number from 0 to {MAX_SEED:,}.")
    return problems


# ---- the vectorised training -------------------------------------------------------------------

@dataclass(frozen=True)
class Batch:
    """The weights of many tries of one hidden size: arrays with a leading "try" axis,
    ``w1`` (T, 2, h), ``b1`` (T, h), ``w2`` (T, h, 1), ``b2`` (T, 1)."""

    w1: np.ndarray
    b1: np.ndarray
    w2: np.ndarray
    b2: np.ndarray

    def net(self, i: int, activation: str) -> xor.XorNet:
        """Try ``i`` as a `lab.xor.XorNet`."""
        return xor.XorNet(self.w1[i], self.b1[i], self.w2[i], self.b2[i], activation)

    def __len__(self) -> int:
        return len(self.w1)


def initial(hidden: int, tries: int, seed: int) -> Batch:
    """Random starts as Keras makes them (Glorot-uniform weights, zero biases), one per try;
    the same ``(hidden, tries, seed)`` always gives the same starts.

    Example:
        >>> b = initial(3, 5, seed=0)
        >>> b.w1.shape, b.w2.shape, float(abs(b.w1).max()) <= (6 / 5) ** 0.5, bool(b.b1.any())
        ((5, 2, 3), (5, 3, 1), True, False)
    """
    rng = np.random.default_rng([int(seed), int(hidden)])
    l1, l2 = np.sqrt(6 / (2 + hidden)), np.sqrt(6 / (hidden + 1))
    return Batch(rng.uniform(-l1, l1, (tries, 2, hidden)).astype(np.float32), np.zeros((tries, hidden), np.float32),
                 rng.uniform(-l2, l2, (tries, hidden, 1)).astype(np.float32), np.zeros((tries, 1), np.float32))


@functools.lru_cache(maxsize=None)
def _trainer(activation: str):
    """One compiled loop per hidden activation (XLA; shapes may vary, each compiles once)."""
    import tensorflow as tf

    act = {"relu": tf.nn.relu, "tanh": tf.tanh, "sigmoid": tf.sigmoid}[activation]
    x = tf.constant(xor.INPUTS, tf.float32)
    y = tf.constant(xor.TARGETS.reshape(4, 1), tf.float32)

    @tf.function(jit_compile=True, reduce_retracing=True)
    def train(w1, b1, w2, b2, lr, epochs):
        def step(i, w1, b1, w2, b2):
            with tf.GradientTape() as tape:
                tape.watch([w1, b1, w2, b2])
                hidden = act(tf.einsum("ni,tih->tnh", x, w1) + b1[:, None, :])
                logits = tf.einsum("tnh,tho->tno", hidden, w2) + b2[:, None, :]
                # as Keras computes binary cross-entropy after a sigmoid: from the logits
                loss = tf.nn.sigmoid_cross_entropy_with_logits(labels=tf.broadcast_to(y, tf.shape(logits)),
                                                               logits=logits)
                total = tf.reduce_sum(tf.reduce_mean(loss, axis=[1, 2]))  # each try's mean, summed
            g1, gb1, g2, gb2 = tape.gradient(total, [w1, b1, w2, b2])
            return i + 1, w1 - lr * g1, b1 - lr * gb1, w2 - lr * g2, b2 - lr * gb2

        _, w1, b1, w2, b2 = tf.while_loop(lambda i, *_: i < epochs, step, [tf.constant(0), w1, b1, w2, b2])
        return w1, b1, w2, b2

    return train


def train(start: Batch, activation: str, learning_rate: float, epochs: int) -> Batch:
    """Train every try of ``start`` with plain SGD on all four XOR rows for ``epochs`` steps,
    all tries together in one compiled loop.

    Args:
        start: the initial weights of each try (`initial`).
        activation: the hidden activation (relu, tanh or sigmoid).
        learning_rate: the SGD step size.
        epochs: full-batch steps (one epoch of XOR is one step of four rows).

    Returns:
        The trained weights, in the same shapes.
    """
    import tensorflow as tf

    xor.check_activation(activation)
    out = _trainer(activation)(*(tf.constant(w) for w in (start.w1, start.b1, start.w2, start.b2)),
                               tf.constant(float(learning_rate), tf.float32), tf.constant(int(epochs)))
    return Batch(*(w.numpy() for w in out))


def keras_fit(start: xor.XorNet, learning_rate: float, epochs: int) -> xor.XorNet:
    """One try trained the ordinary way: a Keras model from ``start``'s weights, ``model.fit``
    with SGD, batch size 4, for comparison with `train`.

    Returns:
        The trained weights.
    """
    import keras

    net = keras.Sequential([keras.Input((2,)), keras.layers.Dense(start.hidden, activation=start.activation),
                            keras.layers.Dense(1, activation="sigmoid")])
    net.set_weights([start.w1, start.b1, start.w2, start.b2])
    net.compile(optimizer=keras.optimizers.SGD(learning_rate=float(learning_rate)), loss="binary_crossentropy")
    net.fit(xor.INPUTS.astype(np.float32), xor.TARGETS.reshape(4, 1).astype(np.float32), batch_size=4,
            epochs=int(epochs), shuffle=False, verbose=0)
    return xor.from_model(net)


# ---- outcomes ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Try:
    """One try after training: whether it learned, its loss, its four outputs, its weights."""

    index: int
    learned: bool
    loss: float
    outputs: tuple[float, ...]
    net: xor.XorNet


@dataclass(frozen=True)
class SizeResult:
    """Every try of one hidden size in a study."""

    hidden: int
    tries: tuple[Try, ...]
    seconds: float

    @property
    def learned(self) -> int:
        """How many tries learned XOR."""
        return sum(t.learned for t in self.tries)


def outcome(index: int, net: xor.XorNet) -> Try:
    """Judge one trained try: its outputs, its mean cross-entropy, whether it learned.

    Example:
        >>> net = xor.XorNet(np.array([[1., 1.], [1., 1.]]), np.array([0., -1.]),
        ...                  np.array([[8.], [-16.]]), np.array([-4.]), "relu")
        >>> t = outcome(0, net); t.learned, round(t.loss, 4)
        (True, 0.0181)
    """
    out = net.outputs(xor.INPUTS)
    eps = 1e-7
    p = np.clip(out, eps, 1 - eps)
    loss = float(-np.mean(xor.TARGETS * np.log(p) + (1 - xor.TARGETS) * np.log(1 - p)))
    return Try(index, xor.learned(out), loss, tuple(float(o) for o in out), net)


def run(plan: Plan) -> list[SizeResult]:
    """Train a whole study: each hidden size as one vectorised batch of tries.

    Raises:
        TrialsError: the plan cannot run (`check` says why); nothing was trained.
    """
    problems = check(plan)
    if problems:
        raise TrialsError(" ".join(problems))
    results = []
    for hidden in plan.sizes:
        t0 = time.perf_counter()
        trained = train(initial(hidden, plan.tries, plan.seed), plan.activation, plan.learning_rate, plan.epochs)
        tries = tuple(outcome(i, trained.net(i, plan.activation)) for i in range(len(trained)))
        results.append(SizeResult(hidden, tries, time.perf_counter() - t0))
    return results


def share_table(results: list[SizeResult]) -> pd.DataFrame:
    """Per hidden size, smallest first: tries, how many learned, the share, and a label such
    as ``31 of 50``.

    Example:
        >>> net = xor.XorNet(np.zeros((2, 1)), np.zeros(1), np.zeros((1, 1)), np.zeros(1), "tanh")
        >>> share_table([SizeResult(1, (outcome(0, net),), 0.1)]).to_dict("records")
        [{'hidden units': 1, 'tries': 1, 'learned': 0, 'share': 0.0, 'label': '0 of 1'}]
    """
    rows = [{"hidden units": r.hidden, "tries": len(r.tries), "learned": r.learned,
             "share": r.learned / len(r.tries) if r.tries else 0.0, "label": f"{r.learned} of {len(r.tries)}"}
            for r in sorted(results, key=lambda r: r.hidden)]  # as the chart's axis, whatever order was typed
    return pd.DataFrame(rows, columns=["hidden units", "tries", "learned", "share", "label"])


def failed(results: list[SizeResult]) -> list[tuple[int, Try]]:
    """Every try that did not learn, as (hidden size, try)."""
    return [(r.hidden, t) for r in results for t in r.tries if not t.learned]


# ---- records ---------------------------------------------------------------------------------------

def to_rows(plan: Plan, results: list[SizeResult], owner: str, owner_id: str) -> list[dict]:
    """One record per hidden size (`lab.records.types.TrialBatch` fields but ``id``,
    ``study`` and ``created``), holding every try's outcome and final weights."""
    rows = []
    for r in results:
        tries = [{"learned": t.learned, "loss": t.loss, "outputs": list(t.outputs),
                  "w1": t.net.w1.tolist(), "b1": t.net.b1.tolist(), "w2": t.net.w2.tolist(),
                  "b2": t.net.b2.tolist()} for t in r.tries]
        rows.append({"owner": owner, "owner_id": owner_id, "hidden": r.hidden, "activation": plan.activation,
                     "learning_rate": float(plan.learning_rate), "epochs": int(plan.epochs),
                     "tries": len(r.tries), "seed": int(plan.seed), "learned": r.learned,
                     "seconds": float(r.seconds), "outcomes_json": json.dumps(tries)})
    return rows


def from_records(batches: list[TrialBatch]) -> list[SizeResult]:
    """The results of a recorded study (its batches), as `run` returned them.

    Raises:
        TrialsError: a record's outcomes cannot be read (it is damaged).
    """
    results = []
    for b in sorted(batches, key=lambda b: b.id):
        try:
            tries = tuple(Try(i, bool(t["learned"]), float(t["loss"]), tuple(t["outputs"]), xor.XorNet(
                np.array(t["w1"], np.float32), np.array(t["b1"], np.float32), np.array(t["w2"], np.float32),
                np.array(t["b2"], np.float32), b.activation)) for i, t in enumerate(json.loads(b.outcomes_json)))
        except (ValueError, TypeError, KeyError) as exc:
            raise TrialsError(f"The record of trial batch {b.id} cannot be read ({exc}).") from exc
        results.append(SizeResult(b.hidden, tries, b.seconds or 0.0))
    return results


def studies(batches: list[TrialBatch]) -> pd.DataFrame:
    """One row per recorded study, newest first: when, who, settings, and learned per size.

    Example:
        >>> b = TrialBatch(1, 1, "2026-01-01 10:00:00", "ada", "p1", 2, "tanh", 1.0, 100, 50, 0, 31, 0.5, "[]")
        >>> studies([b]).to_dict("records")[0]["learned"]
        '2 units: 31 of 50'
    """
    rows = []
    for study in sorted({b.study for b in batches}, reverse=True):
        group = sorted((b for b in batches if b.study == study), key=lambda b: b.hidden)
        first = group[0]
        rows.append({"study": study, "created": first.created, "by": first.owner, "activation": first.activation,
                     "learning rate": first.learning_rate, "epochs": first.epochs, "tries": first.tries,
                     "seed": first.seed,
                     "learned": ", ".join(f"{b.hidden} unit{'' if b.hidden == 1 else 's'}: {b.learned} of {b.tries}"
                                          for b in group)})
    return pd.DataFrame(rows, columns=["study", "created", "by", "activation", "learning rate", "epochs", "tries",
                                       "seed", "learned"])
