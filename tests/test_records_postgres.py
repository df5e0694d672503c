"""lab.records.postgres on a real PostgreSQL server: migrations, writers on several
servers at once, a server restart mid-run, and every mistake in LAB_DATABASE_URL
told in words.

The store tests shared with SQLite are in ``test_records``; these are the ones only
PostgreSQL has. The server is conftest's ``postgres_server`` (Debian's initdb/pg_ctl).
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import pytest

from lab.records import Epoch, StoreError, open_store
from lab.records.migrations import LATEST, MIGRATIONS
from lab.records.postgres import PostgresStore
from lab.records.sqlite import SQLiteStore
from pgkit import PASSWORD, free_port
from writerkit import ROOT, assert_all_written, start_writers, wait_for


def sql(url: str, statement: str, params=()):
    """Run one statement on the database at ``url``; its rows (empty for a command)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        cur = conn.execute(statement, params)
        return cur.fetchall() if cur.description else []


# ---- migrations -------------------------------------------------------------------------------


def test_an_empty_database_is_migrated_to_the_latest_schema_once(fresh_postgres_url):
    assert sql(fresh_postgres_url, "SELECT to_regclass('runs')") == [(None,)]
    store = PostgresStore(fresh_postgres_url)
    assert store.schema_version() == LATEST
    assert sql(fresh_postgres_url, "SELECT version FROM schema_version") == [(LATEST,)]  # one row
    tables = {r[0] for r in sql(fresh_postgres_url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
    assert tables == {"runs", "epochs", "trials", "people", "tags", "sweeps", "challenges", "servers", "endings",
                      "schema_version"}
    types = dict(sql(fresh_postgres_url, "SELECT column_name, data_type FROM information_schema.columns "
                                         "WHERE table_name = 'runs' AND column_name IN ('id', 'test_acc')"))
    assert types == {"id": "bigint", "test_acc": "double precision"}
    run_id = store.create_run(network="kept", status="finished", test_acc=0.9)
    row_version = sql(fresh_postgres_url, "SELECT xmin::text FROM schema_version")

    again = PostgresStore(fresh_postgres_url)  # a second open (another server) changes nothing
    assert again.schema_version() == LATEST and again.run(run_id).test_acc == 0.9
    assert sql(fresh_postgres_url, "SELECT xmin::text FROM schema_version") == row_version
    assert again.create_run(network="next") == run_id + 1


def test_servers_opening_an_empty_database_at_once_migrate_it_once(fresh_postgres_url):
    errors, start = [], threading.Barrier(6)

    def open_it():
        try:
            start.wait()
            PostgresStore(fresh_postgres_url).runs()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert sql(fresh_postgres_url, "SELECT version FROM schema_version") == [(LATEST,)]


def test_a_database_at_an_older_version_gains_the_newer_steps(fresh_postgres_url):
    """Steps 1-2 applied by hand, as an older lab would have left them."""
    for step in (m for m in MIGRATIONS if m.version <= 2):
        for statement in step.statements:
            sql(fresh_postgres_url, statement.format(**PostgresStore.TYPES))
    sql(fresh_postgres_url, "CREATE TABLE schema_version (one BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (one), "
                            "version INTEGER NOT NULL)")
    sql(fresh_postgres_url, "INSERT INTO schema_version (version) VALUES (2)")
    sql(fresh_postgres_url, "INSERT INTO runs (network, status) VALUES ('old', 'finished')")
    store = PostgresStore(fresh_postgres_url)
    assert store.schema_version() == LATEST and [r.network for r in store.runs()] == ["old"]
    assert store.create_person("h", "Ada").id == "p1" and store.trials() == []


def test_a_database_from_a_newer_lab_is_refused_with_a_message(fresh_postgres_url):
    PostgresStore(fresh_postgres_url)
    sql(fresh_postgres_url, "UPDATE schema_version SET version = %s", [LATEST + 5])
    with pytest.raises(StoreError, match="newer version of the lab"):
        PostgresStore(fresh_postgres_url)


# ---- several writers at once ----------------------------------------------------------------


def test_studies_recorded_at_once_get_distinct_numbers(fresh_postgres_url):
    """The study number is taken under the write lock: writers on many connections take turns."""
    PostgresStore(fresh_postgres_url)
    numbers, start = [], threading.Barrier(6)
    row = {"owner": "ada", "owner_id": "p1", "hidden": 2, "activation": "tanh", "learning_rate": 1.0,
           "epochs": 10, "tries": 1, "seed": 0, "learned": 1, "seconds": 0.1, "outcomes_json": "[]"}

    def record():
        store = PostgresStore(fresh_postgres_url)
        start.wait()
        numbers.append(store.record_trials([row, {**row, "hidden": 3}]))

    threads = [threading.Thread(target=record) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(numbers) == [1, 2, 3, 4, 5, 6]
    assert len(PostgresStore(fresh_postgres_url).trials()) == 12


# ---- a server restart ------------------------------------------------------------------------


def test_a_restart_between_writes_loses_nothing(postgres_server, fresh_postgres_url):
    store = PostgresStore(fresh_postgres_url)
    run_id = store.create_run(network="before", status="running")
    store.add_epoch(run_id, Epoch(1, loss=1.0))
    postgres_server.restart()  # the store's connection is cut
    store.add_epoch(run_id, Epoch(2, loss=0.5))  # tried again on a new connection
    store.update_run(run_id, status="finished")
    assert [e.loss for e in store.epochs(run_id)] == [1.0, 0.5] and store.run(run_id).status == "finished"


def test_a_restart_while_servers_write_loses_nothing(postgres_server, fresh_postgres_url):
    """Two server processes write; PostgreSQL restarts twice under them (once both have begun,
    once more 40 epochs later); every row is there, once."""
    PostgresStore(fresh_postgres_url)
    writers, runs, epochs = 2, 6, 25
    procs = start_writers({"LAB_DATABASE_URL": fresh_postgres_url}, writers, runs, epochs)
    both_begun = "SELECT count(DISTINCT split_part(network, ' run', 1)) >= 2 FROM runs"
    epochs_written = "SELECT count(*) >= 40 + %s FROM epochs"
    for query, params in ((both_begun, ()), (epochs_written, None)):
        params = params if params is not None else [sql(fresh_postgres_url, "SELECT count(*) FROM epochs")[0][0]]
        deadline = time.monotonic() + 60
        while not sql(fresh_postgres_url, query, params)[0][0]:
            failed = [p.communicate()[1][-3000:] for p in procs if p.poll() not in (None, 0)]
            assert time.monotonic() < deadline and not failed, f"a writer failed: {failed}"
            time.sleep(0.01)
        assert any(p.poll() is None for p in procs)  # the restart comes while writes go on
        postgres_server.restart()
    wait_for(procs)
    assert_all_written(PostgresStore(fresh_postgres_url), writers, runs, epochs)
    assert sql(fresh_postgres_url, "SELECT count(*) FROM epochs") == [(writers * runs * epochs,)]


# ---- what is wrong with LAB_DATABASE_URL, in words --------------------------------------------


@pytest.mark.parametrize("url", ["mysql://lab:pw@db:3306/lab", "localhost:5432/lab", "sqlite:///runs.sqlite"])
def test_a_url_that_is_not_postgresql_is_refused(url):
    with pytest.raises(StoreError) as err:
        PostgresStore(url)
    assert "must be a PostgreSQL address like postgresql://" in str(err.value)
    assert ":pw@" not in str(err.value)  # a password is never shown


def test_a_url_psycopg_cannot_read_is_refused():
    with pytest.raises(StoreError, match="LAB_DATABASE_URL cannot be"):
        PostgresStore("postgresql://lab@127.0.0.1:notaport/lab")


def test_a_wrong_password_says_to_check_the_login(postgres_server, postgres_url):
    started = time.monotonic()
    with pytest.raises(StoreError) as err:
        PostgresStore(postgres_url.replace(PASSWORD, "not-the-password"))
    msg = str(err.value)
    assert "refused the login" in msg and "password authentication failed" in msg
    assert "user name and password in LAB_DATABASE_URL" in msg and "not-the-password" not in msg
    assert time.monotonic() - started < 5  # a refused login is not retried


def test_an_unreachable_port_says_to_check_the_server(postgres_server):
    url = postgres_server.url("lab", port=free_port())
    started = time.monotonic()
    with pytest.raises(StoreError) as err:
        PostgresStore(url)
    msg = str(err.value)
    assert "Cannot reach the PostgreSQL server" in msg and "Connection refused" in msg
    assert "host and port in LAB_DATABASE_URL" in msg and PASSWORD not in msg
    assert time.monotonic() - started < 5  # opening fails at once: no retries on a wrong address


def test_a_missing_database_says_to_create_it(postgres_server):
    with pytest.raises(StoreError, match="does not exist.*createdb"):
        PostgresStore(postgres_server.url("no_such_db"))


def test_without_psycopg_the_message_says_what_to_install():
    code = ("import sys; sys.modules['psycopg'] = None; sys.path.insert(0, %r)\n"
            "from lab.records import StoreError, open_store\n"
            "try:\n    open_store()\nexcept StoreError as exc:\n    print(exc)\n" % str(ROOT))
    env = {"LAB_DATABASE_URL": "postgresql://lab:pw@127.0.0.1:5432/lab", "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "need the psycopg package" in done.stdout and "pip install -r requirements-cluster.txt" in done.stdout


def test_open_store_follows_lab_database_url(monkeypatch, postgres_url):
    assert isinstance(open_store(), SQLiteStore)
    monkeypatch.setenv("LAB_DATABASE_URL", postgres_url)
    store = open_store()
    assert isinstance(store, PostgresStore) and store.schema_version() == LATEST
    assert PASSWORD not in str(store) and "127.0.0.1" in str(store)
    monkeypatch.setenv("LAB_DATABASE_URL", "postgres://lab@127.0.0.1:1/x?connect_timeout=2")
    with pytest.raises(StoreError, match="Cannot reach"):
        open_store()
