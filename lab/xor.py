"""The XOR network opened up: its weights, the forward pass by hand, its decision surface.

XOR is the smallest problem a network needs a hidden layer for: no straight
line separates (0, 1) and (1, 0) from (0, 0) and (1, 1). The network here is
2 inputs -> ``h`` hidden units (relu, tanh or sigmoid) -> 1 sigmoid output,
trained with plain SGD on the four rows. `XorNet` holds its weights as NumPy
arrays (read from a Keras model with `from_model`, or from a vectorised try
in `lab.trials`); everything else is arithmetic on them, the same arithmetic a
teacher does on the board, so the numbers on screen can be checked by hand.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from lab import activations
from lab.settings import settings
from lab.spec import LayerSpec, ModelSpec, TrainSpec

INPUTS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
TARGETS = np.array([0, 1, 1, 0])
HIDDEN_ACTIVATIONS = ("tanh", "relu", "sigmoid")
SQUARE = (-0.5, 1.5)  # the decision surface is drawn over this range in both inputs
STUCK = 1e-3  # a hidden unit whose output moves less than this over the four inputs does not help


class XorError(ValueError):
    """A setting or a network the XOR views cannot use; the message says what to do instead."""


@dataclass(frozen=True)
class XorSettings:
    """How the XOR lab trains one network (the defaults learn within a few seconds).

    Example:
        >>> XorSettings().hidden, XorSettings().activation
        (2, 'tanh')
    """

    hidden: int = 2
    activation: str = "tanh"
    learning_rate: float = 1.0
    epochs: int = 100
    seed: int = 1


def check_hidden(hidden) -> None:
    """Refuse a hidden size the lab will not train, with a sentence saying the range.

    Raises:
        XorError: not a whole number, below 1, or above ``LAB_MAX_HIDDEN``.

    Example:
        >>> check_hidden(0)
        Traceback (most recent call last):
        ...
        lab.xor.XorError: A hidden size of 0 gives the network no hidden layer to draw lines with: use 1 to 64 units.
    """
    limit = settings().max_hidden
    if isinstance(hidden, bool) or not isinstance(hidden, (int, np.integer)):
        raise XorError(f"The hidden size must be a whole number of units, not {hidden!r}.")
    if hidden < 1:
        raise XorError(f"A hidden size of {hidden:,} gives the network no hidden layer to draw lines "
                       f"with: use 1 to {limit:,} units.")
    if hidden > limit:
        raise XorError(f"A hidden size of {hidden:,} is more than the lab's limit of {limit:,} hidden "
                       f"units (LAB_MAX_HIDDEN): use 1 to {limit:,}; XOR needs only 2.")


def check_activation(name: str) -> None:
    """Refuse a hidden activation the XOR lab does not offer.

    Raises:
        XorError: the message lists the ones it offers.
    """
    if name not in HIDDEN_ACTIVATIONS:
        raise XorError(f"The hidden activation '{name}' is not one the XOR lab offers: choose "
                       f"{', '.join(HIDDEN_ACTIVATIONS)}.")


def spec(s: XorSettings) -> tuple[ModelSpec, TrainSpec]:
    """The network and training settings of an XOR run, as any run records them.

    Epochs, learning rate and seed are checked where every run's are
    (`lab.summary.validate`); the hidden size and activation here.

    Raises:
        XorError: the hidden size or activation cannot be used.

    Example:
        >>> model, train = spec(XorSettings(hidden=3))
        >>> model.architecture(), train.batch_size, train.optimizer
        ('Dense(3, tanh) > Dense(1, sigmoid)', 4, 'sgd')
    """
    check_hidden(s.hidden)
    check_activation(s.activation)
    model = ModelSpec(
        name=f"XOR 2-{s.hidden}-1 ({s.activation})",
        layers=[LayerSpec("Dense", units=int(s.hidden), activation=s.activation),
                LayerSpec("Dense", units=1, activation="sigmoid")],
        description="Trained on the Inside the network page: 2 inputs, one hidden layer, one sigmoid "
                    "output, plain SGD on all four rows at once.")
    train = TrainSpec(dataset="xor", optimizer="sgd", learning_rate=s.learning_rate,
                      loss="binary_crossentropy", batch_size=4, epochs=s.epochs, validation_split=0.0,
                      seed=s.seed)
    return model, train


@dataclass(frozen=True)
class XorNet:
    """The weights of one 2-h-1 network, in the shapes Keras keeps them.

    ``w1`` is (2, h), ``b1`` (h,), ``w2`` (h, 1), ``b2`` (1,).

    Example:
        The network a teacher solves by hand: unit 1 counts the ones, unit 2 fires
        only for (1, 1), and the output is unit 1 minus twice unit 2:

        >>> net = XorNet(np.array([[1., 1.], [1., 1.]]), np.array([0., -1.]),
        ...              np.array([[8.], [-16.]]), np.array([-4.]), "relu")
        >>> net.hidden, net.params, net.arithmetic()
        (2, 9, '2x2 + 2 + 2x1 + 1 = 9')
        >>> net.outputs(INPUTS).round(3).tolist(), learned(net.outputs(INPUTS))
        ([0.018, 0.982, 0.982, 0.018], True)
    """

    w1: np.ndarray
    b1: np.ndarray
    w2: np.ndarray
    b2: np.ndarray
    activation: str

    @property
    def hidden(self) -> int:
        """How many hidden units."""
        return int(self.w1.shape[1])

    @property
    def params(self) -> int:
        """Weights and biases together."""
        return int(self.w1.size + self.b1.size + self.w2.size + self.b2.size)

    def arithmetic(self) -> str:
        """The parameter count worked out from the shapes, e.g. ``2x2 + 2 + 2x1 + 1 = 9``."""
        h = self.hidden
        return f"2x{h} + {h} + {h}x1 + 1 = {self.params}"

    def hidden_values(self, x) -> tuple[np.ndarray, np.ndarray]:
        """Each hidden unit's sum before (z) and after the activation (a), for inputs (n, 2)."""
        z = np.asarray(x, dtype=np.float64) @ self.w1.astype(np.float64) + self.b1
        return z, activations.apply(self.activation, z)

    def outputs(self, x) -> np.ndarray:
        """The network's answers (n,) for inputs (n, 2)."""
        _, a = self.hidden_values(x)
        return activations.apply("sigmoid", a @ self.w2.astype(np.float64) + self.b2)[:, 0]

    def weight_tables(self) -> dict[str, pd.DataFrame]:
        """W1, b1, W2 and b2 as tables labelled with inputs and units, keyed by name and shape."""
        units = [f"unit {j + 1}" for j in range(self.hidden)]
        return {
            f"W1 {self.w1.shape}": pd.DataFrame(self.w1, index=["from x1", "from x2"], columns=units),
            f"b1 {self.b1.shape}": pd.DataFrame([self.b1], index=["bias"], columns=units),
            f"W2 {self.w2.shape}": pd.DataFrame(self.w2, index=units, columns=["to the output"]),
            f"b2 {self.b2.shape}": pd.DataFrame([self.b2], index=["bias"], columns=["output"]),
        }


def learned(outputs, targets=TARGETS) -> bool:
    """Whether every output is on the right side of 0.5 (exactly 0.5 is on neither side).

    Example:
        >>> learned([0.1, 0.9, 0.8, 0.3]), learned([0.1, 0.9, 0.5, 0.3])
        (True, False)
    """
    out = np.asarray(outputs, dtype=np.float64)
    right = np.where(np.asarray(targets) == 1, out > 0.5, out < 0.5)
    return bool(np.all(right))


def from_model(model) -> XorNet:
    """Read the weights of a trained Keras XOR network (2 inputs, one hidden Dense layer,
    one sigmoid unit); Dropout layers, which do nothing once trained, are passed over.

    Raises:
        XorError: the model reads other inputs (an image network), has another shape of
            layers, or its weights are not numbers (its training diverged).
    """
    shape = tuple(model.input_shape[1:])
    if shape != (2,):
        what = "images" if len(shape) > 1 or shape == (784,) else "other inputs"
        raise XorError(f"This network reads inputs of shape {shape} ({what}), not the two numbers of "
                       "an XOR row: pick a network trained on the XOR dataset, or open this one on "
                       "the image tabs.")
    kinds = [type(layer).__name__ for layer in model.layers if type(layer).__name__ != "Dropout"]
    if kinds != ["Dense", "Dense"]:
        raise XorError(f"This network's layers are {' > '.join(kinds) or 'none'}; the XOR lab opens "
                       "networks of exactly one hidden Dense layer and one output unit (2-h-1), like "
                       "the ones trained on this page.")
    hidden, out = [layer for layer in model.layers if type(layer).__name__ == "Dense"]
    act, out_act = activations.of_layer(hidden), activations.of_layer(out)
    (w1, b1), (w2, b2) = hidden.get_weights(), out.get_weights()
    if w2.shape[1] != 1 or out_act != "sigmoid":
        raise XorError(f"The last layer has {w2.shape[1]} unit(s) with {out_act}; the XOR lab needs one "
                       "sigmoid output unit, whose answer lies between 0 and 1.")
    if act not in activations.FUNCTIONS:
        raise XorError(f"The hidden layer uses '{act}', which the lab cannot compute by hand.")
    net = XorNet(w1, b1, w2, b2, act)
    if not all(np.all(np.isfinite(w)) for w in (w1, b1, w2, b2)):
        raise XorError("Some weights of this network are not numbers (NaN or infinite): its training "
                       "diverged. Train it again with a smaller learning rate.")
    return net


def model_output(model, x) -> float:
    """The Keras model's own output for one input (a direct call, as in training=False)."""
    return float(np.asarray(model(np.asarray([x], dtype=np.float32), training=False)).reshape(-1)[0])


@dataclass(frozen=True)
class Step:
    """One step of the forward pass: what is computed, its values, and the sums written out."""

    name: str
    formula: str
    values: np.ndarray
    worked: tuple[str, ...] = ()


def _n(v: float) -> str:
    return f"{v:.4f}" if v >= 0 else f"({v:.4f})"


def steps(net: XorNet, x) -> list[Step]:
    """The forward pass for one input, step by step, with the real numbers.

    The fifth step's value is the network's output for ``x``; the sixth is its answer.

    Example:
        >>> net = XorNet(np.array([[1., 1.], [1., 1.]]), np.array([0., -1.]),
        ...              np.array([[8.], [-16.]]), np.array([-4.]), "relu")
        >>> [(s.name, s.values.round(4).tolist()) for s in steps(net, (1, 1))]
        ... # doctest: +NORMALIZE_WHITESPACE
        [('x · W1', [2.0, 2.0]), ('+ b1', [2.0, 1.0]), ('relu', [2.0, 1.0]),
         ('· W2 + b2', [-4.0]), ('sigmoid', [0.018]), ('answer', [0.0])]
        >>> steps(net, (1, 1))[3].worked[0]
        '2.0000 × 8.0000 + 1.0000 × (-16.0000) + (-4.0000) = -4.0000'
    """
    x = np.asarray(x, dtype=np.float64).reshape(2)
    w1, b1, w2, b2 = (w.astype(np.float64) for w in (net.w1, net.b1, net.w2, net.b2))
    xw = x @ w1
    z1 = xw + b1
    a1 = activations.apply(net.activation, z1)
    z2 = a1 @ w2 + b2
    y = activations.apply("sigmoid", z2)
    units = range(net.hidden)
    return [
        Step("x · W1", "x1 × W1[1, j] + x2 × W1[2, j], for each hidden unit j", xw,
             tuple(f"unit {j + 1}: {x[0]:g} × {_n(w1[0, j])} + {x[1]:g} × {_n(w1[1, j])} = {xw[j]:.4f}"
                   for j in units)),
        Step("+ b1", "add each unit's bias", z1,
             tuple(f"unit {j + 1}: {xw[j]:.4f} + {_n(b1[j])} = {z1[j]:.4f}" for j in units)),
        Step(net.activation, f"{net.activation}(z) = {activations.FORMULAS[net.activation]}", a1,
             tuple(f"unit {j + 1}: {net.activation}({z1[j]:.4f}) = {a1[j]:.4f}" for j in units)),
        Step("· W2 + b2", "the hidden outputs times their weights, summed, plus the output bias", z2,
             (" + ".join(f"{a1[j]:.4f} × {_n(w2[j, 0])}" for j in units) + f" + {_n(b2[0])} = {z2[0]:.4f}",)),
        Step("sigmoid", "1 / (1 + e^-z): squeezes the sum into 0..1", y,
             (f"1 / (1 + e^-({z2[0]:.4f})) = {y[0]:.6f}",)),
        Step("answer", "1 if the output is above 0.5, else 0", (y > 0.5).astype(np.float64),
             (f"{y[0]:.4f} {'>' if y[0] > 0.5 else '<='} 0.5, so the answer is {int(y[0] > 0.5)}",)),
    ]


def truth_table(net: XorNet) -> pd.DataFrame:
    """The four inputs, the right answers, the network's outputs and whether each is right.

    Example:
        >>> net = XorNet(np.array([[1., 1.], [1., 1.]]), np.array([0., -1.]),
        ...              np.array([[8.], [-16.]]), np.array([-4.]), "relu")
        >>> truth_table(net)["right"].tolist()
        [True, True, True, True]
    """
    out = net.outputs(INPUTS)
    right = [learned([o], [t]) for o, t in zip(out, TARGETS)]
    return pd.DataFrame({"x1": INPUTS[:, 0].astype(int), "x2": INPUTS[:, 1].astype(int),
                         "right answer": TARGETS, "output": out, "right": right})


def surface(net: XorNet, cells: int = 40) -> pd.DataFrame:
    """The output over the square [-0.5, 1.5]² as ``cells`` x ``cells`` cells, for a heat map.

    Returns:
        One row per cell: its corners (``x1``, ``x1_end``, ``x2``, ``x2_end``) and the output
        at its centre.

    Example:
        >>> net = XorNet(np.zeros((2, 1)), np.zeros(1), np.zeros((1, 1)), np.zeros(1), "tanh")
        >>> s = surface(net, cells=4); len(s), s["output"].unique().tolist()
        (16, [0.5])
    """
    lo, hi = SQUARE
    edges = np.linspace(lo, hi, cells + 1)
    mid = (edges[:-1] + edges[1:]) / 2
    g1, g2 = np.meshgrid(mid, mid, indexing="ij")
    out = net.outputs(np.column_stack([g1.ravel(), g2.ravel()]))
    i1, i2 = np.meshgrid(np.arange(cells), np.arange(cells), indexing="ij")
    return pd.DataFrame({"x1": edges[i1.ravel()], "x1_end": edges[i1.ravel() + 1], "x2": edges[i2.ravel()],
                         "x2_end": edges[i2.ravel() + 1], "output": out})


def unit_lines(net: XorNet) -> pd.DataFrame:
    """Where each hidden unit's sum is 0 (``w·x + b = 0``): the line it draws, cut to the square.

    Returns:
        Two rows (the ends) per unit whose line crosses the square: ``unit``, ``x1``, ``x2``.

    Example:
        >>> net = XorNet(np.array([[1.], [1.]]), np.array([-1.0]), np.ones((1, 1)), np.zeros(1), "relu")
        >>> unit_lines(net).values.tolist()
        [['unit 1', -0.5, 1.5], ['unit 1', 1.5, -0.5]]
    """
    lo, hi = SQUARE
    rows = []
    for j in range(net.hidden):
        a, b, c = float(net.w1[0, j]), float(net.w1[1, j]), float(net.b1[j])
        ends = []
        if abs(b) > 1e-12:  # crossings of the left and right sides
            ends += [(x1, -(a * x1 + c) / b) for x1 in (lo, hi)]
        if abs(a) > 1e-12:  # crossings of the bottom and top
            ends += [(-(b * x2 + c) / a, x2) for x2 in (lo, hi)]
        inside = sorted({(round(p, 9), round(q, 9)) for p, q in ends
                         if lo - 1e-9 <= p <= hi + 1e-9 and lo - 1e-9 <= q <= hi + 1e-9})
        if len(inside) >= 2:
            rows += [{"unit": f"unit {j + 1}", "x1": p, "x2": q} for p, q in (inside[0], inside[-1])]
    return pd.DataFrame(rows, columns=["unit", "x1", "x2"])


def diagnose(net: XorNet) -> list[str]:
    """Why a network does or does not get XOR right, in sentences a class can read.

    Example:
        >>> dead = XorNet(np.array([[-1., 1.], [-1., 1.]]), np.array([-0.5, -0.5]),
        ...               np.array([[1.], [1.]]), np.array([0.]), "relu")
        >>> diagnose(dead)[0]
        'Hidden unit 1 is dead: its sum is below 0 for all four inputs, so relu gives 0 for each and no gradient reaches it to bring it back.'
    """
    z, a = net.hidden_values(INPUTS)
    notes, working = [], 0
    for j in range(net.hidden):
        if net.activation == "relu" and np.all(z[:, j] <= 0):
            notes.append(f"Hidden unit {j + 1} is dead: its sum is below 0 for all four inputs, so relu "
                         "gives 0 for each and no gradient reaches it to bring it back.")
        elif np.ptp(a[:, j]) < STUCK:
            notes.append(f"Hidden unit {j + 1} is stuck: it gives almost the same value "
                         f"({a[0, j]:.3f}) for all four inputs, so it cannot tell them apart.")
        else:
            working += 1
    out = net.outputs(INPUTS)
    wrong = [f"({int(x[0])}, {int(x[1])}) gives {o:.3f} where {t} is right" for x, o, t in zip(INPUTS, out, TARGETS)
             if not learned([o], [t])]
    if not wrong:
        return notes + ["All four outputs are on the right side of 0.5: the network has learned XOR."]
    notes.append("Wrong: " + "; ".join(wrong) + ".")
    if working < 2:
        notes.append(f"With {working} working hidden unit{'' if working == 1 else 's'} the network can "
                     "draw at most one line, and no single line separates XOR's 1s from its 0s.")
    else:
        notes.append("Its units work, but their lines sit where no mix of them separates the 1s from "
                     "the 0s: training stopped in a poor spot (a plateau or a local minimum). More "
                     "epochs, another learning rate or another start may get out of it.")
    return notes
