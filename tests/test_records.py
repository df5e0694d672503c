"""lab.records: run records, epochs, WAL mode, recovery after a crash, damaged files.

The store tests run twice: on SQLite and on a real PostgreSQL server (`conftest`'s
``postgres_server``, a fresh database per test). Tests about SQLite files stay SQLite-only;
``test_records_postgres`` holds those only PostgreSQL has."""

from __future__ import annotations

import json
import shutil
import sqlite3
import threading
from pathlib import Path

import pytest

from lab.spec import load_presets
from lab.records import EPOCH_METRICS as EPOCH_COLUMNS, Epoch, StoreError
from lab.records.migrations import LATEST, MIGRATIONS, pending
from lab.records.postgres import PostgresStore
from lab.records.sqlite import SQLiteStore as Store
from lab.settings import settings
from lab.spec import to_json as spec_json
from writerkit import assert_all_written, start_writers, wait_for


@pytest.fixture(params=["sqlite", "postgres"])
def open_records(request, tmp_path):
    """Opens a new store on one test's records (a SQLite file, or a fresh PostgreSQL
    database) each time it is called, as each page, thread or server does."""
    if request.param == "sqlite":
        return lambda: Store(tmp_path / "runs.sqlite")
    url = request.getfixturevalue("fresh_postgres_url")
    return lambda: PostgresStore(url)


@pytest.fixture
def store(open_records):
    return open_records()


@pytest.fixture
def sqlite_store(tmp_path):
    return Store(tmp_path / "runs.sqlite")


def test_create_and_read_run(store):
    preset = load_presets()["workshop_16_16_10"]
    run_id = store.create_run(dataset="mnist", network=preset.model.name, status="queued",
                              spec_json=spec_json(preset.model), seed=42, params=12_960,
                              epochs_planned=10)
    run = store.run(run_id)
    assert run.id == run_id and run.dataset == "mnist" and run.status == "queued"
    assert run.epochs_done == 0 and run.comment == "" and run.params == 12_960
    assert run.created and run.created == run.updated
    assert json.loads(run.spec_json) == preset.model.to_dict()
    assert store.run(run_id + 1000) is None


def test_a_run_remembers_when_it_ended_and_later_edits_do_not_move_it(store, monkeypatch):
    """A challenge's deadline counts when a run ended: a comment, a tag or hiding it later
    changes ``updated``, never ``ended``; a Continue ends it again."""
    clock = iter(f"2026-12-01 10:00:{s:02d}" for s in range(60))
    monkeypatch.setattr("lab.records.sql.now", lambda: next(clock))
    run_id = store.create_run(owner="ada", status="queued")
    store.update_run(run_id, status="running")
    assert store.run(run_id).ended is None
    store.update_run(run_id, status="finished", test_acc=0.9)
    ended = store.run(run_id).ended
    assert ended is not None
    store.set_comment(run_id, "written after the deadline")
    store.update_run(run_id, hidden=1)
    assert store.run(run_id).ended == ended and store.run(run_id).updated > ended
    store.update_run(run_id, status="running")  # continued
    store.update_run(run_id, status="stopped")
    assert store.run(run_id).ended > ended
    uploaded = store.create_run(owner="bob", status="finished")
    assert store.run(uploaded).ended == store.run(uploaded).created
    stuck = store.create_run(owner="cy", status="running", server="lab-a")
    store.mark_interrupted("lab-a")
    assert store.run(stuck).ended is not None


def test_unknown_field_is_refused(store):
    with pytest.raises(KeyError, match="colour"):
        store.create_run(colour="red")
    run_id = store.create_run(status="queued")
    with pytest.raises(KeyError, match="colour"):
        store.update_run(run_id, colour="red")


def test_update_run(store):
    run_id = store.create_run(status="queued")
    store.update_run(run_id, status="finished", test_acc=0.97, duration_s=12.5)
    run = store.run(run_id)
    assert (run.status, run.test_acc, run.duration_s) == ("finished", 0.97, 12.5)


def test_add_epoch_records_and_copies_figures(store):
    run_id = store.create_run(status="running")
    other = store.create_run(status="running")
    store.add_epoch(run_id, Epoch(1, loss=0.9, accuracy=0.6, val_loss=1.0, val_accuracy=0.55,
                                seconds=2.0))
    store.add_epoch(run_id, Epoch(2, loss=0.5, accuracy=0.8, val_loss=0.7, val_accuracy=0.75))
    store.add_epoch(other, Epoch(1, loss=2.0))
    epochs = store.epochs(run_id)
    assert [e.epoch for e in epochs] == [1, 2]
    assert epochs[0].loss == 0.9 and epochs[0].seconds == 2.0 and epochs[1].seconds is None
    assert set(EPOCH_COLUMNS) <= set(vars(epochs[0]))
    run = store.run(run_id)
    assert run.epochs_done == 2
    assert (run.train_loss, run.train_acc, run.val_loss, run.val_acc) == (0.5, 0.8, 0.7, 0.75)
    assert [e.loss for e in store.epochs(other)] == [2.0]
    # the same epoch written again replaces it
    store.add_epoch(run_id, Epoch(2, loss=0.4))
    assert [e.loss for e in store.epochs(run_id)] == [0.9, 0.4]


def test_runs_newest_first(store):
    ids = [store.create_run(network=f"net {i}") for i in range(3)]
    assert [r.id for r in store.runs()] == ids[::-1]
    assert store.runs()[0].network == "net 2"


def test_set_comment(store):
    run_id = store.create_run(status="finished")
    store.set_comment(run_id, "dropout helped; it's 'better'")
    store.set_comment(run_id + 1, "no such run")  # ignored, not an error
    assert store.run(run_id).comment == "dropout helped; it's 'better'"
    store.set_comment(run_id, 42)
    assert store.run(run_id).comment == "42"


def test_wal_mode(sqlite_store):
    db = sqlite3.connect(sqlite_store.path)
    try:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        db.close()


def test_mark_interrupted(store):
    queued = store.create_run(status="queued")
    running = store.create_run(status="running")
    finished = store.create_run(status="finished")
    stopped = store.create_run(status="stopped")
    assert sorted(store.mark_interrupted()) == [queued, running]
    assert [store.run(i).status for i in (queued, running, finished, stopped)] == [
        "interrupted", "interrupted", "finished", "stopped"]
    assert "stopped" in store.run(queued).message
    assert store.run(finished).message is None
    assert store.mark_interrupted() == []


def test_a_server_marks_only_its_own_runs_interrupted(store):
    """Servers sharing the records: one that starts again (same name) marks its own runs and
    runs recorded before servers had names, never another server's."""
    mine = store.create_run(status="running", server="lab-a")
    theirs = store.create_run(status="running", server="lab-b")
    unnamed = store.create_run(status="queued")
    assert sorted(store.mark_interrupted("lab-a")) == [mine, unnamed]
    assert [store.run(i).status for i in (mine, theirs, unnamed)] == ["interrupted", "running", "interrupted"]
    assert store.mark_interrupted("lab-a") == [] and store.mark_interrupted("lab-b") == [theirs]


def test_drop_epochs_after(store):
    run_id = store.create_run(status="running")
    other = store.create_run(status="running")
    for e in range(1, 6):
        store.add_epoch(run_id, Epoch(e, loss=1.0 / e))
        store.add_epoch(other, Epoch(e, loss=1.0))
    store.drop_epochs_after(run_id, 3)
    assert [e.epoch for e in store.epochs(run_id)] == [1, 2, 3]
    assert store.run(run_id).epochs_done == 3
    assert len(store.epochs(other)) == 5 and store.run(other).epochs_done == 5


def test_concurrent_writes_lose_nothing(open_records):
    open_records()
    n_threads, n_epochs = 6, 25
    ids: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(n_threads)

    def work(t):
        try:
            store = open_records()  # each thread its own store, as the pages and the worker do
            start.wait()
            run_id = store.create_run(network=f"thread {t}", status="running")
            with lock:
                ids.append(run_id)
            for e in range(1, n_epochs + 1):
                store.add_epoch(run_id, Epoch(e, loss=t + e / 100))
                store.set_comment(run_id, f"t{t} e{e}")
            store.update_run(run_id, status="finished")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(n_threads)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=60)
    assert not errors, errors
    store = open_records()
    assert len(set(ids)) == n_threads and len(store.runs()) == n_threads
    for run in store.runs():
        t = int(run.network.split()[1])
        epochs = store.epochs(run.id)
        assert [e.epoch for e in epochs] == list(range(1, n_epochs + 1))
        assert [e.loss for e in epochs] == [t + e / 100 for e in range(1, n_epochs + 1)]
        assert run.epochs_done == n_epochs and run.status == "finished"
        assert run.comment == f"t{t} e{n_epochs}"


def test_corrupt_file_gives_store_error_and_is_kept(tmp_path):
    path = tmp_path / "runs.sqlite"
    garbage = b"this is not a database, just some bytes\x00\xff" * 200
    path.write_bytes(garbage)
    with pytest.raises(StoreError) as err:
        Store(path)
    msg = str(err.value)
    assert str(path) in msg and "damaged" in msg and "LAB_HOME" in msg
    assert path.read_bytes() == garbage


def test_data_home_honours_lab_home(monkeypatch, tmp_path):
    monkeypatch.setenv("LAB_HOME", str(tmp_path / "elsewhere"))
    assert settings().home == tmp_path / "elsewhere"
    store = Store()
    assert store.path == tmp_path / "elsewhere" / "runs.sqlite" and store.path.is_file()
    monkeypatch.delenv("LAB_HOME")
    assert settings().home.name == "models"


def test_records_file_moved_aside_while_running_starts_a_new_one(tmp_path):
    store = Store(tmp_path / "runs.sqlite")
    store.create_run(dataset="xor", network="n", status="finished")
    (tmp_path / "runs.sqlite").rename(tmp_path / "old.sqlite")
    for extra in ("-wal", "-shm"):
        (tmp_path / f"runs.sqlite{extra}").unlink(missing_ok=True)
    assert store.runs() == []  # no "no such table" traceback: a new, empty file
    assert store.create_run(dataset="xor", network="m", status="queued") == 1


# ---- migrations ------------------------------------------------------------------------------

FIXTURE = Path(__file__).parent / "fixtures" / "runs_before_migrations.sqlite"


def test_a_file_written_before_migrations_opens_and_gains_the_new_columns(tmp_path):
    """The fixture was written by the first lab's store (no schema version, 27 columns)."""
    path = tmp_path / "runs.sqlite"
    shutil.copy(FIXTURE, path)
    old = sqlite3.connect(path)
    assert old.execute("PRAGMA user_version").fetchone()[0] == 0
    columns_before = [r[1] for r in old.execute("PRAGMA table_info(runs)")]
    old.close()
    assert "continued_by" not in columns_before

    store = Store(path)
    assert store.schema_version() == LATEST
    runs = {r.id: r for r in store.runs()}
    assert [r.status for r in store.runs()] == ["queued", "running", "finished"]
    first = runs[1]
    assert (first.owner, first.comment, first.test_acc, first.saved_epoch) == (
        "ada", "written by the first lab", 0.71, 2)
    assert first.continued_by is None and first.interrupted_while is None
    assert [(e.epoch, e.loss, e.seconds) for e in store.epochs(1)] == [(1, 1.2, 1.5), (2, 0.8, 1.4)]
    # the new columns take values, old rows keep theirs, new runs continue the numbering
    store.update_run(1, continued_by="bob")
    assert store.run(1).continued_by == "bob" and store.run(1).owner == "ada"
    assert store.create_run(network="new") == 4
    assert sorted(store.mark_interrupted()) == [2, 3]
    assert store.run(2).interrupted_while == "running" and store.run(3).interrupted_while == "queued"
    assert "queue it again" in store.run(3).message


def test_migrations_run_once_even_with_many_openers(tmp_path):
    path = tmp_path / "runs.sqlite"
    shutil.copy(FIXTURE, path)
    errors = []
    start = threading.Barrier(6)

    def open_it():
        try:
            start.wait()
            Store(path).runs()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert Store(path).schema_version() == LATEST and len(Store(path).runs()) == 3


def test_every_migration_step_is_numbered_in_order():
    assert sorted(m.version for m in MIGRATIONS) == list(range(1, LATEST + 1))
    assert [m.version for m in pending(0)] == list(range(1, LATEST + 1)) and pending(LATEST) == []


def test_a_file_from_a_newer_lab_is_refused_with_a_message(tmp_path):
    path = tmp_path / "runs.sqlite"
    Store(path)
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {LATEST + 5}")
    db.commit()
    db.close()
    with pytest.raises(StoreError, match="newer version of the lab"):
        Store(path)


def test_store_speaks_the_record_interface():
    from lab.records import RecordStore

    assert issubclass(Store, RecordStore) and issubclass(PostgresStore, RecordStore)
    sqlite_only = {"PRAGMA", "AUTOINCREMENT", "user_version"}
    postgres_only = {"pg_", "IDENTITY", "DOUBLE PRECISION", "RETURNING", "%s", "psycopg"}
    source = (Path(__file__).parents[1] / "lab" / "records" / "sql.py").read_text()
    assert not any(word in source for word in sqlite_only), "SQLite-only SQL belongs in sqlite.py"
    assert not any(word in source for word in postgres_only), "PostgreSQL-only SQL belongs in postgres.py"


def test_an_old_file_gains_the_class_tables_and_its_runs_belong_to_no_provable_owner(tmp_path):
    path = tmp_path / "runs.sqlite"
    shutil.copy(FIXTURE, path)
    store = Store(path)
    old = store.run(1)
    assert old.owner == "ada" and old.owner_id is None and old.power == "legacy:ada" and not old.hidden
    assert store.tags() == {} and store.sweeps() == [] and store.challenges() == []
    store.set_tags(1, ["first lab"])
    store.update_run(1, hidden=1)
    assert store.tags() == {1: ["first lab"]} and store.run(1).hidden
    assert store.best_epochs() == {1: (0.72, 2)}
    assert set(store.endings()) == {1} and [e.test_acc for e in store.endings()[1]] == [0.71]  # its last ending


def test_each_finish_or_stop_of_a_run_is_kept_as_it_was_then(store):
    run_id = store.create_run(owner="ada", status="running", params=100)
    store.update_run(run_id, status="finished", test_acc=0.9, epochs_done=3, duration_s=5.0)
    store.update_run(run_id, status="running")  # continued
    store.update_run(run_id, comment="a comment ends nothing")
    store.update_run(run_id, status="stopped", test_acc=0.8, epochs_done=5, duration_s=9.0)
    store.update_run(run_id, status="failed")  # no test accuracy that counts: not kept
    uploaded = store.create_run(owner="bob", status="finished", test_acc=0.5)  # recorded as ended at once
    ends = store.endings()
    assert [(e.status, e.test_acc, e.epochs_done, e.duration_s, e.params) for e in ends[run_id]] == [
        ("finished", pytest.approx(0.9), 3, 5.0, 100), ("stopped", pytest.approx(0.8), 5, 9.0, 100)]
    assert ends[run_id][0].ended <= ends[run_id][1].ended and [e.test_acc for e in ends[uploaded]] == [0.5]
    store.delete_run(run_id)
    assert set(store.endings()) == {uploaded}


def test_several_processes_writing_at_once_lose_nothing(open_records, tmp_path, request):
    """Four server processes (as behind a load balancer) write runs, epochs, comments and tags
    into the same records at once; every row is there afterwards."""
    store = open_records()
    env = {"LAB_HOME": str(tmp_path)} if isinstance(store, Store) else {"LAB_DATABASE_URL": store.url}
    writers, runs, epochs = 4, 6, 8
    wait_for(start_writers(env, writers, runs, epochs))
    assert_all_written(open_records(), writers, runs, epochs)


# ---- a class's record: people, tags, sweeps, challenges, trials ------------------------------------


def test_people_names_are_unique_ignoring_case(store):
    from lab.records import Conflict

    ada = store.create_person("hash-ada", "Ada")
    assert store.person_by_key("hash-ada") == ada and store.person_by_key("nobody") is None
    assert store.person(ada.id) == ada and store.person("p999") is None and store.person("ada") is None
    with pytest.raises(Conflict, match="'ada ' is taken"):
        store.create_person("hash-other", "ada ")
    bob = store.create_person("hash-bob", "Bob")
    with pytest.raises(Conflict, match="'ADA' is taken"):
        store.rename_person(bob.id, "ADA")
    assert store.rename_person(bob.id, "Robert").name == "Robert"
    assert store.set_teacher(ada.id, "mark").teacher_mark == "mark" and store.person_by_key("hash-ada").teacher
    assert not store.set_teacher(ada.id, None).teacher
    store.create_person("hash-cy", "Cy")  # a refused name left nothing half-written behind


def test_each_person_keeps_one_draft_of_what_they_edit(store):
    ada, bob = store.create_person("hash-ada", "Ada"), store.create_person("hash-bob", "Bob")
    assert store.draft(ada.id) == {"network": None, "settings": None}
    store.save_draft(ada.id, "network", '{"model": 1}')
    store.save_draft(ada.id, "settings", '{"epochs": 3}')
    store.save_draft(ada.id, "network", '{"model": 2}')  # one part: the other stays
    assert store.draft(ada.id) == {"network": '{"model": 2}', "settings": '{"epochs": 3}'}
    assert store.draft(bob.id) == {"network": None, "settings": None}
    with pytest.raises(ValueError, match="not 'teacher'"):
        store.save_draft(ada.id, "teacher", "1")


def test_a_renamed_person_keeps_their_runs_under_the_new_name_and_the_old_one_is_free(store):
    """A run shows who did it by their current name: after a rename nobody else can take the
    old name and appear as the author of the runs."""
    ann = store.create_person("k-ann", "guest-b29f")
    run_id = store.create_run(owner=ann.name, owner_id=ann.id, status="finished")
    bob = store.create_person("k-bob", "bob")
    continued = store.create_run(owner="bob", owner_id=bob.id, continued_by=ann.name, continued_by_id=ann.id)
    sweep = store.create_sweep(owner=ann.name, owner_id=ann.id, network="n", size=1)
    store.rename_person(ann.id, "Ann")
    assert store.run(run_id).owner == "Ann" and store.run(continued).continued_by == "Ann"
    assert store.run(continued).owner == "bob" and [s.owner for s in store.sweeps() if s.id == sweep] == ["Ann"]
    other = store.create_person("k-eve", "guest-b29f")  # the old name is free again
    assert store.run(run_id).owner == "Ann" and store.run(run_id).owner_id != other.id


def test_tags_sweeps_challenges_and_hidden_runs(store):
    first, second = store.create_run(network="a"), store.create_run(network="b")
    store.set_tags(first, ["dropout", "wide", "dropout"])
    store.set_tags(second, ["wide"])
    store.set_tags(second, [])
    assert store.tags() == {first: ["dropout", "wide"]}
    store.update_run(first, hidden=1)
    assert store.run(first).hidden and not store.run(second).hidden
    sweep = store.create_sweep(owner="ada", owner_id="p1", network="n", spec_json="{}", train_json="{}",
                               axes_json="[]", seeds_json="[1, 2]", size=2)
    assert [(s.id, s.size, s.seeds_json) for s in store.sweeps()] == [(sweep, 2, "[1, 2]")]
    target = store.create_challenge(title="95 % on MNIST", dataset="mnist", min_accuracy=0.95, max_params=50_000)
    store.close_challenge(target)
    (challenge,) = store.challenges()
    assert (challenge.title, challenge.min_accuracy, challenge.max_params, challenge.max_epochs,
            challenge.closed) == ("95 % on MNIST", 0.95, 50_000, None, True)
    store.close_challenge(target, closed=False)
    assert not store.challenges()[0].closed
    store.add_epoch(first, Epoch(1, val_accuracy=0.5))
    store.add_epoch(first, Epoch(2, val_accuracy=0.75))
    store.add_epoch(first, Epoch(3, val_accuracy=0.75))
    assert store.best_epochs() == {first: (0.75, 2)}
    store.delete_run(first)
    assert store.run(first) is None and store.epochs(first) == [] and store.tags() == {}


def test_studies_of_trials_are_numbered_in_turn(store):
    from lab import trials

    plan = trials.Plan((1, 3), tries=3, activation="tanh", learning_rate=0.5, epochs=20, seed=4)
    rows = trials.to_rows(plan, trials.run(plan), "ada", "p1")
    assert [store.record_trials(rows), store.record_trials(rows[:1])] == [1, 2]
    assert [b.study for b in store.trials()] == [2, 1, 1]
    back = sorted(store.trials(1), key=lambda b: b.id)
    assert [(b.hidden, b.tries, b.learning_rate) for b in back] == [(1, 3, 0.5), (3, 3, 0.5)]
    assert back[0].outcomes_json == rows[0]["outcomes_json"]
    with pytest.raises(KeyError, match="bogus"):
        store.record_trials([{"owner": "ada", "bogus": 1}])
    assert len(store.trials()) == 3


def test_a_stop_asked_from_another_server_is_kept_only_for_a_run_still_active_there(store):
    run_id = store.create_run(owner="ada", status="running", server="lab-a")
    assert not store.ask_to_stop(run_id, "p-ada", "lab-b", None)  # not the server that trains it
    assert store.ask_to_stop(run_id, "p-ada", "lab-a", None)
    assert store.stops_asked("lab-a") == [(run_id, "p-ada")] and store.stops_asked("lab-b") == []
    assert store.mark_interrupted("lab-a") == [run_id]  # its server died and came back: the ask goes too
    assert store.run(run_id).stop_asked_by is None and store.stops_asked("lab-a") == []
    assert not store.ask_to_stop(run_id, "p-ada", "lab-a", None)  # it is not running any more


def test_a_run_is_interrupted_only_while_it_is_still_active_on_the_server_that_asks(store):
    run_id = store.create_run(owner="ada", status="running", server="lab-a")
    assert not store.interrupt(run_id, "lab-b", "gone")  # another server's run: not b's to settle
    assert store.interrupt(run_id, "lab-a", "gone")
    run = store.run(run_id)
    assert (run.status, run.interrupted_while, run.message) == ("interrupted", "running", "gone") and run.ended
    assert not store.interrupt(run_id, "lab-a", "again")  # it has ended: nothing more to settle


def test_a_silent_servers_runs_may_be_let_go_and_it_can_tell_they_were(store):
    """Servers give signs of life by the database's clock; a run of a server silent for long
    enough may be marked interrupted from another, and that server, if it wakes, finds which
    of its runs were let go."""
    gone = store.create_run(owner="ada", status="running", server="lab-gone")  # never heard from
    alive = store.create_run(owner="bob", status="queued", server="lab-b")
    assert store.silence("lab-gone") is None
    store.beat("lab-b")
    assert 0 <= store.silence("lab-b") < 5
    assert not store.interrupt(alive, "lab-b", "let go", silent_for=60)  # heard from just now
    assert store.interrupt(alive, "lab-b", "let go", silent_for=0)  # (silent for 0 s: any past sign)
    assert store.interrupt(gone, "lab-gone", "let go", silent_for=60)
    assert [store.run(r).status for r in (gone, alive)] == ["interrupted", "interrupted"]
    assert store.taken("lab-b", [alive]) == [alive] and store.taken("lab-b", []) == []
    mine = store.create_run(owner="cy", status="running", server="lab-b")
    assert store.taken("lab-b", [mine]) == []
    store.update_run(mine, server="lab-c")  # continued on another server
    assert store.taken("lab-b", [mine]) == [mine]
    store.beat("lab-b")  # a second sign replaces the first
    assert store.silence("lab-b") < 5


def test_a_run_that_waited_when_the_lab_stopped_is_queued_again_once(store):
    run_id = store.create_run(owner="ada", status="queued", server="lab-a")
    assert not store.requeue(run_id, "lab-b")  # still queued on a: nothing to queue again
    store.mark_interrupted("lab-a")
    assert store.requeue(run_id, "lab-b")
    assert not store.requeue(run_id, "lab-a")  # a second press, here or on another server
    run = store.run(run_id)
    assert (run.status, run.server, run.interrupted_while, run.message) == ("queued", "lab-b", None, "")


def test_a_stop_asked_is_kept_only_while_the_run_is_the_continuation_it_was_asked_for(store):
    """Permission to stop is checked against who continued the run; if another person's
    Continue began meanwhile, the ask is not recorded."""
    run_id = store.create_run(owner="ada", owner_id="p-ada", status="running", server="lab-a")
    store.update_run(run_id, continued_by="carol", continued_by_id="p-carol")
    assert store.run(run_id).stoppers == ("p-ada", "p-carol")
    assert not store.ask_to_stop(run_id, "p-bob", "lab-a", "p-bob")  # bob's continuation is over
    assert not store.ask_to_stop(run_id, "p-ada", "lab-a", None)
    assert store.run(run_id).stop_asked_by is None
    assert store.ask_to_stop(run_id, "p-carol", "lab-a", "p-carol")
    assert store.run(run_id).stop_asked_by == "p-carol"
