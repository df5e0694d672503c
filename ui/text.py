"""Text a user typed (names, comments, network names, numbers) is shown as plain text.

Streamlit renders Markdown, LaTeX, colour directives, emoji and icon
shortcodes, autolinks and typographic arrows in most elements, so a name like
``![i](http://host/t.png)`` would fetch an image in every browser watching.
`st.text` shows text as it is; where Markdown cannot be avoided (alerts,
captions) `escape` neutralises it. Ordinary sentences pass through unchanged.
"""

from __future__ import annotations

import re

_ZWSP = "\u200b"  # invisible: breaks shortcodes, autolinks and arrows without changing what is seen

_RULES = (
    (re.compile(r"\\"), r"\\\\"),
    (re.compile(r"([`*\[\]{}|~<>$])"), r"\\\1"),
    (re.compile(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])"), r"\\_"),  # intraword _ is never emphasis
    (re.compile(r"&(?=[#A-Za-z0-9])"), r"\\&"),  # entities such as &amp;
    (re.compile(r"(?m)^(\s*)(#{1,6}|[-+*>])(?=\s|$)"), r"\1\\\2"),  # headings, list items, quotes
    (re.compile(r"(?m)^(\s*)([=-])(?=[=-]*\s*$)"), r"\1\\\2"),  # a line of = or - underlines the one above
    (re.compile(r"(?m)^(\s*\d+)([.)])(?=\s|$)"), r"\1\\\2"),  # numbered list items
)
_BREAKS = (
    re.compile(r"(?<=:)(?=\S)(?!\d+(?![\w:]))"),  # :smile: :red[x] :material/home: http:// :100: :8ball: (not 16:00)
    re.compile(r"(?<=[<>~=\-])(?=[<>~=\-])"),  # -> <- -- >= <= ~=
    re.compile(r"(?i)(?<=www)(?=\.)"),  # www.example.org autolinks
    re.compile(r"(?<=@)(?=\w)"),  # ada@example.org autolinks as a mailto: link
)


def escape(text) -> str:
    """``text`` made safe to pass to a Markdown element: shown exactly as typed.

    Example:
        >>> escape("Layer 2 (Dense) has 0 units: use 1 or more.")
        'Layer 2 (Dense) has 0 units: use 1 or more.'
        >>> escape("**a** :red[b] $x$") == r"\\*\\*a\\*\\* :" + "\\u200b" + r"red\\[b\\] \\$x\\$"
        True
        >>> escape("by 16:00, not 1:100: or :8ball:") == "by 16:00, not 1:" + "\\u200b" + "100: or :" + "\\u200b" + "8ball:"
        True
        >>> escape("ada@example.org") == "ada@" + "\\u200b" + "example.org"
        True
    """
    text = str(text)
    for pattern in _BREAKS:
        text = pattern.sub(_ZWSP, text)
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    return text
