"""What every SQL store writes its queries against: a cursor that speaks ``?``
parameters whatever the driver's style, and the records' time stamps."""

from __future__ import annotations

import time
from enum import Enum


def now() -> str:
    """The local time as ``YYYY-MM-DD HH:MM:SS``."""
    return time.strftime("%Y-%m-%d %H:%M:%S")


class Cursor:
    """A cursor that speaks ``?`` parameters whatever the driver's style."""

    def __init__(self, cur, placeholder: str):
        self.cur, self.placeholder = cur, placeholder

    def execute(self, sql: str, params=()) -> "Cursor":
        if self.placeholder != "?":
            sql = sql.replace("?", self.placeholder)
        self.cur.execute(sql, [_plain(p) for p in params])
        return self

    def dicts(self) -> list[dict]:
        names = [d[0] for d in self.cur.description]
        return [dict(zip(names, row)) for row in self.cur.fetchall()]

    def one(self):
        row = self.cur.fetchone()
        return row[0] if row else None

    @property
    def rowcount(self) -> int:
        return self.cur.rowcount


def _plain(value):
    return value.value if isinstance(value, Enum) else value
