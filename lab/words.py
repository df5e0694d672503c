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


def percent(share: float) -> str:
    """A share as a whole percentage, with a decimal where rounding would claim certainty:
    a network 99.9% sure is not shown as "100%", nor one 0.2% sure as "0%".

    Example:
        >>> percent(0.93), percent(0.9994), percent(0.99999), percent(1.0), percent(0.002), percent(0.0)
        ('93%', '99.9%', 'over 99.9%', '100%', '0.2%', '0%')
    """
    if share >= 1 or share <= 0:
        return f"{share:.0%}"
    for text in (f"{share:.0%}", f"{share:.1%}"):
        if text not in ("100%", "0%", "100.0%", "0.0%"):
            return text
    return "over 99.9%" if share > 0.5 else "under 0.1%"


def with_article(noun: str) -> str:
    """``noun`` after "a", or "an" before a vowel or an 8 (read "eight").

    Example:
        >>> with_article("Ankle boot"), with_article("Sandal"), with_article("8"), with_article("7")
        ('an Ankle boot', 'a Sandal', 'an 8', 'a 7')
    """
    return f"{'an' if noun[:1].lower() in tuple('aeiou8') else 'a'} {noun}"
