"""lab.jobs.queue: admission and order, with no threads and no training."""

from __future__ import annotations

import threading

import pytest

from lab.jobs.job import Job, QueueFull
from lab.jobs.queue import JobQueue
from lab.spec import ModelSpec, TrainSpec


def job(i: int) -> Job:
    return Job(i, "ada", ModelSpec(), TrainSpec(), model_file=f"/m/run_{i}.keras", model_key=f"run_{i}.keras")


def test_first_in_first_out_within_the_running_limit():
    q = JobQueue(max_running=2, max_waiting=3)
    for i in range(1, 5):
        q.add([job(i)])
    assert [j.id for j in q.release()] == [1, 2]
    assert q.release() == []  # nothing more may start
    assert [q.place(i) for i in range(1, 6)] == [0, 0, 1, 2, -1]
    assert [j.id for j in q.active()] == [1, 2, 3, 4]
    q.finish(1)
    assert [j.id for j in q.release()] == [3]
    assert q.place(4) == 1 and q.running_count() == 2


def test_a_full_queue_refuses_and_keeps_what_it_has():
    q = JobQueue(max_running=1, max_waiting=1)
    q.add([job(1)])
    q.release()
    q.add([job(2)])
    with pytest.raises(QueueFull) as err:
        q.add([job(3)])
    assert str(err.value) == ("The queue is full: 1 running and 1 waiting. Try again when a job ends, "
                              "or ask the teacher to raise LAB_QUEUE_SIZE.")
    assert [j.id for j in q.active()] == [1, 2]
    q.finish(1)
    assert [j.id for j in q.release()] == [2]
    q.add([job(3)])  # room again


def test_withdraw_takes_only_waiting_jobs():
    q = JobQueue(max_running=1, max_waiting=5)
    for i in (1, 2, 3):
        q.add([job(i)])
    q.release()
    assert q.withdraw(1) is None  # running: must be stopped, not withdrawn
    assert q.withdraw(2).id == 2
    assert q.withdraw(2) is None
    assert [j.id for j in q.active()] == [1, 3] and q.place(3) == 1


def test_limits_are_at_least_one_running_and_zero_waiting():
    q = JobQueue(max_running=0, max_waiting=-3)
    assert (q.max_running, q.max_waiting) == (1, 0)
    q.add([job(1)])  # the one running place
    assert [j.id for j in q.release()] == [1]
    with pytest.raises(QueueFull):
        q.add([job(2)])


def test_the_queue_starts_no_threads():
    before = threading.active_count()
    q = JobQueue(max_running=3, max_waiting=3)
    for i in range(6):
        q.add([job(i)])
    q.release()
    assert threading.active_count() == before


def grouped(group: str, *ids: int) -> list[Job]:
    return [Job(i, "ada", ModelSpec(), TrainSpec(), f"/m/run_{i}.keras", f"run_{i}.keras", group=group)
            for i in ids]


def test_a_sweep_waits_as_one_request_and_takes_turns_with_others():
    q = JobQueue(max_running=1, max_waiting=2)
    q.add([job(1)])
    q.release()  # job 1 runs
    q.add(grouped("sweep:1", 10, 11, 12))  # one waiting request
    q.add([job(2)])  # a second request fits
    with pytest.raises(QueueFull, match="1 running and 2 waiting"):
        q.add([job(3)])
    assert [j.id for j in q.active()] == [1, 10, 2, 11, 12]  # turns: sweep, bob, sweep, sweep
    assert [q.place(i) for i in (10, 2, 11, 12)] == [1, 2, 3, 4]
    order = []
    for _ in range(4):
        q.finish(order[-1] if order else 1)
        order += [j.id for j in q.release()]
    assert order == [10, 2, 11, 12]


def test_withdrawing_a_sweep_job_keeps_the_rest_of_the_sweep():
    q = JobQueue(max_running=1, max_waiting=1)
    q.add([job(1)])
    q.release()
    q.add(grouped("sweep:2", 20, 21))
    assert q.withdraw(20).id == 20 and [j.id for j in q.active()] == [1, 21]
    assert q.withdraw(21).id == 21
    q.add([job(3)])  # the sweep's place is free again
