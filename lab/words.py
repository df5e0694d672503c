"""Small helpers for the words the lab shows."""


def plural(n: int, word: str) -> str:
    """A count with its word, in the plural unless the count is one.

    Example:
        >>> plural(1, "epoch"), plural(3, "epoch")
        ('1 epoch', '3 epochs')
    """
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def seconds(value: float) -> str:
    """A duration for a figure on the page: in milliseconds under a tenth of a second (an XOR
    epoch takes about 10 ms, which "0.0 s" would hide), else in seconds to one decimal.

    Example:
        >>> seconds(0.0123), seconds(2.14), seconds(1234.5)
        ('12 ms', '2.1 s', '1,234.5 s')
    """
    return f"{value * 1000:.0f} ms" if value < 0.1 else f"{value:,.1f} s"
