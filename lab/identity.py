"""Who is who: a private key per browser, a name everyone sees, and the teacher role.

A browser gets a random private key (the page keeps it in a cookie); the
records keep only its hash, with a `Person` whose ``id`` owns the runs that
browser starts. Power over a run (stop, delete, queue again) follows the
``id``, never the name, so typing another person's name gives no power over
their runs. No passwords for learners; the teacher role is unlocked with the
key set on the server (``LAB_TEACHER_KEY``).
"""

from __future__ import annotations

import collections
import hashlib
import hmac
import secrets
import threading
import time
import unicodedata
from dataclasses import replace

from lab.records import Conflict, Person, RecordStore, RunRecord

MAX_NAME = 40


class IdentityError(ValueError):
    """A name or teacher key that cannot be used; the message says why."""


def new_key() -> str:
    """A fresh private key for a browser (URL-safe, 128 bits)."""
    return secrets.token_urlsafe(16)


def key_hash(key: str) -> str:
    """What the records keep of a private key.

    Example:
        >>> len(key_hash("abc")), key_hash("abc") == key_hash("abc")
        (64, True)
    """
    return hashlib.sha256(key.encode()).hexdigest()


def check_name(name: str) -> str:
    """A typed name, tidied (spaces folded), or `IdentityError` saying what is wrong.

    Example:
        >>> check_name("  Ada   Lovelace ")
        'Ada Lovelace'
    """
    name = " ".join(str(name).split())
    if not name:
        raise IdentityError("Type a name: it shows who started which run.")
    if len(name) > MAX_NAME:
        raise IdentityError(f"That name has {len(name):,} characters: use at most {MAX_NAME}.")
    if any(unicodedata.category(c).startswith("C") and not _joins(name, i) for i, c in enumerate(name)):
        raise IdentityError("That name holds invisible control characters: type it again.")
    return name


JOINERS = "\u200c\u200d"  # zero-width (non-)joiners: Persian and other scripts, emoji sequences need them


def _joins(name: str, i: int) -> bool:
    """Whether ``name[i]`` is a zero-width (non-)joiner between two visible characters outside
    ASCII, where a script or an emoji needs it (between Latin letters it would only make a name
    look like another one).

    Example:
        >>> _joins("\u0645\u06cc\u200c\u062e", 2), _joins("ad\u200ca", 2), _joins("\u200d\U0001F52C", 0)
        (True, False, False)
    """
    around = name[i - 1:i + 2] if i > 0 else ""
    return (name[i] in JOINERS and len(around) == 3
            and all(not c.isascii() and not c.isspace() and c not in JOINERS for c in (around[0], around[2])))


def teacher_mark(teacher_key: str) -> str:
    """What the records keep of the teacher key a teacher unlocked with (never the key).

    Example:
        >>> teacher_mark("s3cret") == teacher_mark("s3cret") != teacher_mark("other")
        True
    """
    return hashlib.sha256(b"lab teacher key:" + teacher_key.encode()).hexdigest()


def sign_in(store: RecordStore, key: str, teacher_key: str | None = None) -> Person:
    """The person of this private key, recorded on first use under a guest name.

    They are a teacher only while the server's teacher key (``teacher_key``,
    ``LAB_TEACHER_KEY``) is the one they unlocked the role with: changing or unsetting
    the key ends every teacher role granted under the old one.
    """
    found = store.person_by_key(key_hash(key))
    if found is not None:
        holds = bool(teacher_key and found.teacher and found.teacher_mark
                     and hmac.compare_digest(found.teacher_mark, teacher_mark(teacher_key)))
        return replace(found, teacher=holds)
    for _ in range(20):  # a guest name that happens to be taken: draw another
        try:
            return store.create_person(key_hash(key), f"guest-{secrets.token_hex(2)}")
        except Conflict:
            continue
    raise IdentityError("No free guest name was found: type a name of your own.")


def rename(store: RecordStore, person: Person, name: str) -> Person:
    """Give ``person`` the name they typed; `IdentityError` when it is unusable or taken."""
    name = check_name(name)
    if name == person.name:
        return person
    try:
        return replace(store.rename_person(person.id, name), teacher=person.teacher)  # as signed in
    except Conflict:
        raise IdentityError(f"Someone else is already called '{name}': choose another name.") from None


WRONG_KEYS_PER_PERSON = 5  # wrong teacher keys one person may type in a minute
WRONG_KEYS_PER_SERVER = 100  # from everyone together (someone guessing from many browsers)
_wrong_keys: dict[str, collections.deque[float]] = collections.defaultdict(collections.deque)
_wrong_lock = threading.Lock()


def unlock_teacher(store: RecordStore, person: Person, typed: str, teacher_key: str | None) -> Person:
    """Make ``person`` a teacher when ``typed`` is the server's teacher key.

    Guessing is slowed: after `WRONG_KEYS_PER_PERSON` wrong keys within a minute, that
    person's tries are refused until the oldest is a minute old; after
    `WRONG_KEYS_PER_SERVER` from everyone together, everyone's are (the teacher's too, so
    whoever runs the server should then change ``LAB_TEACHER_KEY``).

    Raises:
        IdentityError: no teacher key is set on this server, ``typed`` is not it, or too
        many wrong keys were typed in the last minute.
    """
    if not teacher_key:
        raise IdentityError("This server has no teacher key: whoever runs it sets LAB_TEACHER_KEY.")
    with _wrong_lock:
        now = time.monotonic()
        for tries in list(_wrong_keys.values()):
            while tries and now - tries[0] > 60:
                tries.popleft()
        if len(_wrong_keys[person.id]) >= WRONG_KEYS_PER_PERSON:
            raise IdentityError(f"{len(_wrong_keys[person.id])} wrong teacher keys from you in the last minute: "
                                "try again in a minute.")
        if sum(map(len, _wrong_keys.values())) >= WRONG_KEYS_PER_SERVER:
            raise IdentityError("Over 100 wrong teacher keys were typed on this server in the last minute: someone "
                                "is guessing. It takes no more for a minute; whoever runs the server should change "
                                "LAB_TEACHER_KEY.")
        for idle in [who for who, tries in _wrong_keys.items() if not tries]:
            del _wrong_keys[idle]
        if not hmac.compare_digest(typed.encode(), teacher_key.encode()):
            _wrong_keys[person.id].append(now)
            raise IdentityError("That is not the teacher key.")
    return store.set_teacher(person.id, teacher_mark(teacher_key))


def may_manage(person: Person, run: RunRecord) -> bool:
    """Whether ``person`` may delete, continue or queue again ``run``: its owner, or a teacher.

    Example:
        >>> may_manage(Person("p1", "ada"), RunRecord(1, owner="ada", owner_id="p2"))
        False
    """
    return person.teacher or person.id == run.power
