"""lab.classroom: the leaderboard per dataset and the teacher's challenges."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from lab.classroom import ChallengeDraft, ChallengeError, check, deadline_example, leaderboard, meets
from lab.records import Challenge, Ending, RunRecord, Status

NOW = dt.datetime(2026, 11, 21, 12, 0)


def run(i, who, acc, params=13002, epochs=5, seconds=30.0, dataset="mnist", status=Status.FINISHED, **kw):
    return RunRecord(i, owner=who, owner_id=f"id-{who}", dataset=dataset, status=status, test_acc=acc,
                     params=params, epochs_done=epochs, duration_s=seconds, network=f"net {i}",
                     updated="2026-11-21 10:00:00", **kw)


def test_best_run_per_person_best_first_hidden_and_unfinished_left_out():
    runs = [run(1, "ada", 0.90), run(2, "ada", 0.95), run(3, "bob", 0.97, hidden=True),
            run(4, "bob", 0.93), run(5, "cy", 0.99, status=Status.FAILED), run(6, "cy", 0.80, dataset="xor"),
            run(7, "dee", 0.95, params=5000)]
    board = leaderboard(runs, "mnist")
    assert board[["person", "test accuracy", "run"]].values.tolist() == [
        ["dee", 0.95, 7], ["ada", 0.95, 2], ["bob", 0.93, 4]]  # a tie goes to fewer parameters
    assert board.loc[0, "parameters"] == 5000 and board.loc[1, "epochs"] == 5
    assert leaderboard([], "mnist").empty


def test_a_person_is_their_identity_not_their_name():
    twins = [RunRecord(1, owner="ada", owner_id="p1", dataset="mnist", status=Status.FINISHED, test_acc=0.9),
             RunRecord(2, owner="ada", owner_id="p2", dataset="mnist", status=Status.FINISHED, test_acc=0.8)]
    assert len(leaderboard(twins, "mnist")) == 2


def test_challenges_mark_who_met_them_with_any_run():
    small = Challenge(1, "small and good", "mnist", 0.92, max_params=10_000)
    fast = Challenge(2, "fast", "mnist", 0.9, max_seconds=20.0)
    other = Challenge(3, "xor", "xor", 1.0, max_epochs=100)
    runs = [run(1, "ada", 0.96, params=50_000), run(2, "ada", 0.93, params=8_000),
            run(3, "bob", 0.97, params=50_000, seconds=10.0), run(4, "cy", 0.91, params=9_000)]
    board = leaderboard(runs, "mnist", [small, fast, other]).set_index("person")
    assert list(board.columns[:3]) == ["test accuracy", "challenge 1: small and good", "challenge 2: fast"]
    assert board["challenge 1: small and good"].to_dict() == {"bob": False, "ada": True, "cy": False}
    assert board["challenge 2: fast"].to_dict() == {"bob": True, "ada": False, "cy": False}


def test_a_challenge_met_before_its_deadline_stays_met_after_a_later_continue():
    c = Challenge(1, "by friday", "mnist", 0.9, max_epochs=10, deadline="2026-12-01 16:00:00")
    ada = run(1, "ada", 0.96, epochs=20, ended="2026-12-02 09:00:00")  # continued after the deadline
    bob = run(2, "bob", 0.97, epochs=20, ended="2026-12-02 09:00:00")
    endings = {1: [Ending(1, "2026-12-01 15:00:00", Status.FINISHED, 0.93, 8, 30.0, 13002)],
               2: [Ending(2, "2026-12-01 15:00:00", Status.FINISHED, 0.89, 8, 30.0, 13002),  # too low then
                   Ending(2, "2026-12-01 17:00:00", Status.FINISHED, 0.95, 9, 30.0, 13002)]}  # too late
    assert leaderboard([ada, bob], "mnist", [c], endings).set_index("person")["challenge 1: by friday"].to_dict() \
        == {"bob": False, "ada": True}
    assert not leaderboard([ada], "mnist", [c])["challenge 1: by friday"].any()  # as the run is now: too late
    hidden = replace(ada, hidden=True)  # hidden now: it does not count, whatever it was
    assert not leaderboard([hidden], "mnist", [c], endings)["challenge 1: by friday"].any()


@pytest.mark.parametrize("changes, meets_it", [
    ({}, True), ({"acc": 0.89}, False), ({"params": 20_001}, False), ({"epochs": 11}, False),
    ({"seconds": 61.0}, False), ({"dataset": "xor"}, False), ({"status": Status.DIVERGED}, False),
    ({"status": Status.STOPPED}, True), ({"updated": "2026-12-02 09:00:00"}, False),
    ({"ended": "2026-12-02 09:00:00"}, False),
    ({"ended": "2026-12-01 15:00:00", "updated": "2026-12-02 09:00:00"}, True),  # a comment after the deadline
])
def test_every_limit_counts(changes, meets_it):
    c = Challenge(1, "t", "mnist", 0.9, max_params=20_000, max_epochs=10, max_seconds=60.0,
                  deadline="2026-12-01 16:00:00")
    base = {"acc": 0.95, "params": 15_000, "epochs": 10, "seconds": 60.0}
    args = {**base, **{k: v for k, v in changes.items() if k in base}}
    extra = {k: v for k, v in changes.items() if k not in base}
    r = run(1, "ada", args["acc"], args["params"], args["epochs"], args["seconds"],
            **{k: v for k, v in extra.items() if k in ("dataset", "status")})
    r = RunRecord(**{**vars(r), **{k: v for k, v in extra.items() if k in ("updated", "ended")}})
    assert meets(r, c) is meets_it


@pytest.mark.parametrize("draft, words", [
    (ChallengeDraft("", "mnist", 0.9, max_params=1), "Give the challenge a title"),
    (ChallengeDraft("x" * 10_000, "mnist", 0.9, max_params=1), "10,000 characters"),
    (ChallengeDraft("t", "cifar", 0.9, max_params=1), "Unknown dataset 'cifar'"),
    (ChallengeDraft("t", "mnist", -0.5, max_params=1), "The minimum test accuracy is -50%"),
    (ChallengeDraft("t", "mnist", 1.5, max_params=1), "at most 100%"),
    (ChallengeDraft("t", "mnist", 1.004, max_params=1), r"^The minimum test accuracy is 100\.4%: use more than 0%"),
    (ChallengeDraft("t", "mnist", 0.9), "Set at least one limit"),
    (ChallengeDraft("t", "mnist", 0.9, max_epochs=-3), "The limit on epochs is -3: use a number above 0, or 0 for no limit."),
    (ChallengeDraft("t", "mnist", 0.9, max_params=0, max_epochs=0, max_seconds=0.0), "Set at least one limit"),
    (ChallengeDraft("t", "mnist", 0.9, max_params=1, deadline="next friday"), "is not a date and time"),
    (ChallengeDraft("t", "mnist", 0.9, max_params=1, deadline="2026-11-20 10:00"), "has already passed"),
])
def test_impossible_challenges_are_refused(draft, words):
    with pytest.raises(ChallengeError, match=words):
        check(draft, now=NOW)


def test_a_good_challenge_is_what_the_records_keep():
    fields = check(ChallengeDraft("  Small   and good ", "mnist", 0.95, max_params=20_000,
                                  deadline="2026-12-01 16:00"), now=NOW)
    assert fields == {"title": "Small and good", "dataset": "mnist", "min_accuracy": 0.95, "max_params": 20_000,
                      "max_epochs": None, "max_seconds": None, "deadline": "2026-12-01 16:00:00"}
    day = check(ChallengeDraft("t", "mnist", 0.9, max_params=1, deadline="2026-12-01"), now=NOW)
    assert day["deadline"] == "2026-12-01 23:59:59"  # a date alone: the end of that day
    late = run(1, "ada", 0.95, params=1)
    assert meets(RunRecord(**{**vars(late), "ended": "2026-12-01 23:59:30"}), Challenge(1, **day))
    for hour in (0, 15, 23):  # the form's example is always one that check accepts, whatever the hour
        now = NOW.replace(hour=hour, minute=59)
        example = deadline_example(now)
        assert check(ChallengeDraft("t", "mnist", 0.9, max_params=1, deadline=example), now=now)["deadline"] \
            == f"{example}:00"


def test_an_uploaded_model_counts_neither_on_the_leaderboard_nor_for_a_challenge():
    """A model file may be anyone's work (a classmate's run, downloaded): only runs trained in
    the lab count."""
    quick = Challenge(1, "in 2 epochs", "mnist", 0.95, max_epochs=2)
    trained = run(1, "ada", 0.97, epochs=6)
    copied = run(2, "bob", 0.97, epochs=0, origin="uploaded")
    board = leaderboard([trained, copied], "mnist", [quick])
    assert board["person"].tolist() == ["ada"]
    assert board["challenge 1: in 2 epochs"].tolist() == [False]
    assert not meets(copied, quick)


@pytest.mark.parametrize("right, percent, meets_it", [(9_500, 95, True), (9_499, 95, False), (9_000, 90, True)])
def test_an_accuracy_exactly_at_the_minimum_meets_it_as_keras_computes_it(right, percent, meets_it):
    """Keras keeps accuracy in float32 (9,500 of 10,000 is 0.94999999): exactly the teacher's
    95% must count, one image fewer must not."""
    import keras
    import numpy as np

    truth = np.eye(10)[np.arange(10_000) % 10]
    answers = truth.copy()
    answers[right:] = np.roll(answers[right:], 1, axis=1)
    metric = keras.metrics.CategoricalAccuracy()
    metric.update_state(truth, answers)
    c = Challenge(1, **check(ChallengeDraft("t", "mnist", percent / 100, max_params=20_000)))
    assert meets(run(1, "ada", float(metric.result())), c) is meets_it
