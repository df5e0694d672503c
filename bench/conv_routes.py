"""Could a faster convolution bring the 32-64-128 CNN's test-set answers under 2 s?

The cnn_32_64_128 preset's third convolution (24x24x64 in, 128 filters of 3x3, 22x22x128
out) is 35.7 M of the network's 48.5 M multiply-adds per image. This times that one layer
on 10,000 images (random inputs and weights of the real shapes, in batches) four ways,
alternating in one process:

* direct: ``tf.nn.conv2d`` + bias + ReLU, what Keras runs (oneDNN's direct convolution);
* direct in bfloat16: the same on inputs and weights rounded to bfloat16, what the lab's
  bfloat16 copies run (`lab.bf16`; oneDNN uses AMX's matrix units where the CPU has them);
* Winograd F(4x4, 3x3) written in TensorFlow ops (Lavin and Gray, 2015): 36 products per
  4x4 output tile instead of 144, so 3.4 times fewer multiply-adds for this layer with its
  22-pixel output rounded up to 24, plus the input and output transforms. Once as a
  graph (``tf.function``) and once compiled by XLA (``jit_compile=True``);
* the Winograd route's matrix products alone (36 products of [tiles x 64] by [64 x 128]) in
  numpy's BLAS: what that route costs even if its transforms were free.

It prints seconds per 10,000 images, the ratio to direct, and the largest difference of
the other outputs from direct (Winograd: float32 rounding only). Medians of ``--rounds``.

Usage (from the project root):
    .venv/bin/python bench/conv_routes.py
    .venv/bin/python bench/conv_routes.py --batch 50 --rounds 5
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402  (sets the environment before TensorFlow is imported)

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

# F(4x4, 3x3): input transform B^T, kernel transform G, output transform A^T.
BT = np.array([[4, 0, -5, 0, 1, 0], [0, -4, -4, 1, 1, 0], [0, 4, -4, -1, 1, 0],
               [0, -2, -1, 2, 1, 0], [0, 2, -1, -2, 1, 0], [0, 4, 0, -5, 0, 1]], np.float64)
G = np.array([[1 / 4, 0, 0], [-1 / 6, -1 / 6, -1 / 6], [-1 / 6, 1 / 6, -1 / 6],
              [1 / 24, 1 / 12, 1 / 6], [1 / 24, -1 / 12, 1 / 6], [0, 0, 1]])
AT = np.array([[1, 1, 1, 1, 1, 0], [0, 1, -1, 2, -2, 0], [0, 1, 1, 4, 4, 0], [0, 1, -1, 8, -8, 1]], np.float64)


def weighted_sum(coefs, terms):
    """sum(c * t), skipping zero coefficients and multiplications by +-1."""
    out = None
    for c, t in zip(coefs, terms):
        if c == 0:
            continue
        t = t if c == 1 else -t if c == -1 else t * float(c)
        out = t if out is None else out + t
    return out


def winograd_kernel(w: np.ndarray) -> np.ndarray:
    """G w G^T for every input and output channel: [36, C, O] from a [3, 3, C, O] kernel."""
    u = np.einsum("ia,abco,jb->ijco", G, w.astype(np.float64), G)
    return u.reshape(36, *w.shape[2:]).astype(np.float32)


def winograd_conv(x, u, bias):
    """A valid 3x3 convolution (cross-correlation, as Keras') + bias + ReLU by F(4x4, 3x3)."""
    n, h, w, c = x.shape
    ho, wo = h - 2, w - 2
    th, tw = -(-ho // 4), -(-wo // 4)
    x = tf.pad(x, [[0, 0], [0, 4 * th + 2 - h], [0, 4 * tw + 2 - w], [0, 0]])
    tiles = [[x[:, a:a + 4 * th:4, b:b + 4 * tw:4, :] for b in range(6)] for a in range(6)]
    rows = [[weighted_sum(BT[i], [tiles[a][b] for a in range(6)]) for b in range(6)] for i in range(6)]
    v = tf.reshape(tf.stack([weighted_sum(BT[j], rows[i]) for i in range(6) for j in range(6)]), [36, -1, c])
    m = tf.reshape(tf.matmul(v, u), [6, 6, n, th, tw, u.shape[-1]])
    cols = [[weighted_sum(AT[p], [m[i, j] for i in range(6)]) for j in range(6)] for p in range(4)]
    y = tf.stack([tf.stack([weighted_sum(AT[q], cols[p]) for q in range(4)], axis=3) for p in range(4)], axis=2)
    y = tf.reshape(y, [n, 4 * th, 4 * tw, -1])[:, :ho, :wo, :]
    return tf.nn.relu(y + bias)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--images", type=int, default=10_000)
    p.add_argument("--batch", type=int, default=250)
    p.add_argument("--rounds", type=int, default=3)
    args = p.parse_args(argv)
    print(f"Machine: {common.machine()}")
    rng = np.random.default_rng(0)
    x = rng.random((args.batch, 24, 24, 64), dtype=np.float32)
    w = (rng.standard_normal((3, 3, 64, 128)) * 0.05).astype(np.float32)
    bias = (rng.standard_normal(128) * 0.05).astype(np.float32)
    u = winograd_kernel(w)
    tiles = args.batch * 36
    v = rng.random((36, tiles, 64), dtype=np.float32)
    direct = tf.function(lambda t: tf.nn.relu(tf.nn.bias_add(tf.nn.conv2d(t, w, 1, "VALID"), bias)))
    wb, bb = tf.cast(w, tf.bfloat16), tf.cast(bias, tf.bfloat16)
    xb = tf.cast(x, tf.bfloat16)  # in a bfloat16 copy the layer before hands over bfloat16 already
    half = tf.function(lambda t: tf.nn.relu(tf.nn.bias_add(tf.nn.conv2d(t, wb, 1, "VALID"), bb)))
    routes = {
        "direct (`tf.nn.conv2d`, what Keras runs)": lambda: direct(x),
        "direct in bfloat16 (what `lab.bf16` copies run)": lambda: half(xb),
        "Winograd F(4x4,3x3), TensorFlow graph": (lambda f: lambda: f(x))(
            tf.function(lambda t: winograd_conv(t, u, bias))),
        "Winograd F(4x4,3x3), XLA": (lambda f: lambda: f(x))(
            tf.function(lambda t: winograd_conv(t, u, bias), jit_compile=True)),
        "Winograd's matrix products alone, numpy BLAS": lambda: np.matmul(v, u),
    }
    def as_array(t):
        return np.asarray(tf.cast(t, tf.float32))

    reference = as_array(routes["direct (`tf.nn.conv2d`, what Keras runs)"]())
    diffs = {name: float(np.abs(as_array(fn()) - reference).max()) for name, fn in routes.items()
             if "Winograd F" in name or "bfloat16" in name}
    calls = -(-args.images // args.batch)
    seconds = {name: [] for name in routes}
    for _ in range(args.rounds):
        common.wait_idle(0.10, timeout_s=60.0)
        for name, fn in routes.items():
            t0 = time.perf_counter()
            for _ in range(calls):
                fn()
            seconds[name].append(time.perf_counter() - t0)
    base = statistics.median(seconds["direct (`tf.nn.conv2d`, what Keras runs)"])
    print(f"\nThe 32-64-128 CNN's third convolution on {calls * args.batch:,} images, batches of {args.batch}, "
          f"{args.rounds} rounds, medians\n")
    print("| route | s | / direct | largest difference from direct |")
    print("| --- | --- | --- | --- |")
    for name, values in seconds.items():
        s = statistics.median(values)
        diff = f"{diffs[name]:.1e}" if name in diffs else "-"
        print(f"| {name} | {s:.2f} | {s / base:.2f} | {diff} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
