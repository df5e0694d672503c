"""lab.identity: a private key proves who a browser is; names are shown, never trusted."""

from __future__ import annotations

import pytest

from lab import identity
from lab.records import Person, RunRecord
from lab.records.sqlite import SQLiteStore


@pytest.fixture
def store(tmp_path):
    return SQLiteStore(tmp_path / "runs.sqlite")


def test_a_key_signs_in_the_same_person_every_time(store):
    key = identity.new_key()
    first = identity.sign_in(store, key)
    assert first.name.startswith("guest-") and not first.teacher
    assert identity.sign_in(store, key) == first
    other = identity.sign_in(store, identity.new_key())
    assert other.id != first.id
    assert key not in repr(store.person_by_key(identity.key_hash(key)))  # only the hash is kept


def test_names_are_unique_ignoring_case_and_spaces(store):
    ada = identity.rename(store, identity.sign_in(store, "key-a"), "Ada")
    bob = identity.sign_in(store, "key-b")
    with pytest.raises(identity.IdentityError, match="Someone else is already called 'ada'"):
        identity.rename(store, bob, " ada ")
    assert identity.rename(store, ada, "Ada") == ada  # keeping one's own name is no conflict
    assert identity.rename(store, ada, "ADA").name == "ADA"


@pytest.mark.parametrize("name, words", [
    ("", "Type a name"), ("   ", "Type a name"), ("x" * 10_000, "10,000 characters: use at most 40"),
    ("ada\x00", "control characters"),
    ("ad\u200ca", "control characters"),  # a joiner inside a Latin name only makes it look like "ada"
    ("\u200dada", "control characters"), ("ada\u202e", "control characters"),  # a right-to-left override
])
def test_unusable_names_are_refused(store, name, words):
    with pytest.raises(identity.IdentityError, match=words):
        identity.rename(store, identity.sign_in(store, "k"), name)


@pytest.mark.parametrize("name", ["\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",  # Persian, with its joiner
                                  "Ana \U0001F469\u200d\U0001F52C"])  # a scientist: woman + joiner + microscope
def test_names_that_need_a_zero_width_joiner_are_kept(store, name):
    assert identity.rename(store, identity.sign_in(store, "k"), name).name == name


def test_html_in_a_name_is_kept_as_text(store):
    person = identity.rename(store, identity.sign_in(store, "k"), "<b>ada</b> & co")
    assert person.name == "<b>ada</b> & co"


def test_the_teacher_key_unlocks_the_teacher_role(store):
    person = identity.sign_in(store, "k")
    with pytest.raises(identity.IdentityError, match="That is not the teacher key."):
        identity.unlock_teacher(store, person, "guess", "s3cret")
    with pytest.raises(identity.IdentityError, match="no teacher key"):
        identity.unlock_teacher(store, person, "s3cret", None)
    teacher = identity.unlock_teacher(store, person, "s3cret", "s3cret")
    assert teacher.teacher and identity.sign_in(store, "k", "s3cret").teacher  # the next visit too
    assert identity.rename(store, teacher, "Ms Ada").teacher
    assert "s3cret" not in repr(store.person_by_key(identity.key_hash("k")))  # its fingerprint only


def test_a_new_or_unset_teacher_key_ends_the_teacher_role_granted_under_the_old_one(store):
    """A learner who once saw the key (typed in front of a projector) is no teacher after the
    server's key changes, nor when the server has none."""
    identity.unlock_teacher(store, identity.sign_in(store, "k", "s3cret"), "s3cret", "s3cret")
    assert identity.sign_in(store, "k", "s3cret").teacher
    assert not identity.sign_in(store, "k", "new-key").teacher
    assert not identity.sign_in(store, "k", None).teacher
    assert not identity.rename(store, identity.sign_in(store, "k", "new-key"), "Ada").teacher
    identity.unlock_teacher(store, identity.sign_in(store, "k", "new-key"), "new-key", "new-key")
    assert identity.sign_in(store, "k", "new-key").teacher and not identity.sign_in(store, "k", "s3cret").teacher


def test_power_follows_the_identity_not_the_name():
    ada, impostor = Person("p1", "ada"), Person("p2", "ada")
    run = RunRecord(5, owner="ada", owner_id="p1")
    assert identity.may_manage(ada, run) and not identity.may_manage(impostor, run)
    assert identity.may_manage(Person("p3", "teacher", teacher=True), run)
    legacy = RunRecord(6, owner="p1")  # recorded before identities: nobody can prove it is theirs
    assert not identity.may_manage(ada, legacy) and not identity.may_manage(Person("p1", "p1"), legacy)


def test_guessing_the_teacher_key_is_slowed_per_person_and_for_the_whole_server(store, monkeypatch):
    """Five wrong keys in a minute and that person is refused, even the right key, until the
    oldest try is a minute old; others may still unlock. A hundred from everyone together
    and the server refuses every try for a minute."""
    clock = [1000.0]
    monkeypatch.setattr(identity.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(identity, "_wrong_keys", identity.collections.defaultdict(identity.collections.deque))
    guesser, teacher = identity.sign_in(store, "k"), identity.sign_in(store, "t")
    for i in range(identity.WRONG_KEYS_PER_PERSON):
        clock[0] += 1
        with pytest.raises(identity.IdentityError, match="That is not the teacher key."):
            identity.unlock_teacher(store, guesser, f"guess {i}", "s3cret")
    with pytest.raises(identity.IdentityError, match="5 wrong teacher keys from you in the last minute"):
        identity.unlock_teacher(store, guesser, "s3cret", "s3cret")
    assert identity.unlock_teacher(store, teacher, "s3cret", "s3cret").teacher  # the teacher is not locked out
    clock[0] += 57  # the guesser's first wrong try is a minute old
    assert identity.unlock_teacher(store, guesser, "s3cret", "s3cret").teacher
    browsers = [identity.sign_in(store, f"b{i}") for i in range((identity.WRONG_KEYS_PER_SERVER - 4) // 4)]  # with the guesser's 4
    for who in browsers:  # many browsers, four wrong tries each
        for _ in range(4):
            with pytest.raises(identity.IdentityError, match="That is not the teacher key."):
                identity.unlock_teacher(store, who, "guess", "s3cret")
    with pytest.raises(identity.IdentityError, match="Over 100 wrong teacher keys were typed on this server"):
        identity.unlock_teacher(store, teacher, "s3cret", "s3cret")
