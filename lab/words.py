"""Small helpers for the words the lab shows."""


def plural(n: int, word: str) -> str:
    """A count with its word, in the plural unless the count is one.

    Example:
        >>> plural(1, "epoch"), plural(3, "epoch")
        ('1 epoch', '3 epochs')
    """
    return f"{n:,} {word}{'' if n == 1 else 's'}"
