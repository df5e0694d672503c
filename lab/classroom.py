"""A class's competition: the leaderboard per dataset and the teacher's challenges.

Every run is checked against every challenge when the leaderboard is read
(`meets`), as it is now and as it was each time it ended before (the
records' endings), so a challenge set today counts the runs of yesterday, a
Continue after a deadline keeps a challenge met before it, and nothing has to
be kept in step.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

import pandas as pd

from lab.data import DATASETS
from lab.records import Challenge, Ending, RunRecord, Status
from lab.spec import unknown

MAX_TITLE = 80


class ChallengeError(ValueError):
    """A challenge that cannot be set; the message says what to change."""


@dataclass(frozen=True)
class ChallengeDraft:
    """What a teacher typed for a new challenge (checked by `check`)."""

    title: str
    dataset: str
    min_accuracy: float  # 0..1
    max_params: int | None = None  # None or 0: no limit
    max_epochs: int | None = None
    max_seconds: float | None = None
    deadline: str | None = None  # "YYYY-MM-DD HH:MM" (local time), or None


def describe(challenge: Challenge) -> str:
    """A challenge in words, as the Leaderboard lists it.

    Example:
        >>> describe(Challenge(1, "Small", "mnist", 0.995, max_params=20000, deadline="2026-12-04 16:00:00"))
        'Small: 99.5% test accuracy on MNIST handwritten digits, at most 20,000 parameters, by 2026-12-04 16:00.'
    """
    c = challenge
    limits = [f"at most {c.max_params:,} parameters" if c.max_params else "",
              f"at most {c.max_epochs:,} epochs" if c.max_epochs else "",
              f"at most {c.max_seconds:g} s of training" if c.max_seconds else "",
              f"by {c.deadline[:16]}" if c.deadline else ""]
    words = "".join(f", {x}" for x in limits if x)
    return f"{'(closed) ' if c.closed else ''}{c.title}: {percent(c.min_accuracy)} test accuracy on " \
           f"{DATASETS[c.dataset].title}{words}."

def deadline_example(now: dt.datetime | None = None) -> str:
    """A deadline a teacher could type, in the form `check` reads: tomorrow at 16:00 (an
    example fixed in the code would soon lie in the past, and be refused).

    Example:
        >>> deadline_example(dt.datetime(2026, 12, 31, 9, 30))
        '2027-01-01 16:00'
    """
    return ((now or dt.datetime.now()) + dt.timedelta(days=1)).strftime("%Y-%m-%d 16:00")

def percent(share: float) -> str:
    """A challenge's accuracy as the teacher typed it: as many digits as it has, never rounded
    to a neighbour (99.5% stays 99.5%, not 100%).

    Example:
        >>> percent(0.995), percent(0.95), percent(0.003), percent(1.004)
        ('99.5%', '95%', '0.3%', '100.4%')
    """
    return f"{round(share * 100, 6):g}%"

def check(draft: ChallengeDraft, now: dt.datetime | None = None) -> dict:
    """The draft as the fields a store records, or `ChallengeError` saying what is wrong.

    Example:
        >>> check(ChallengeDraft("Small and good", "mnist", 0.95, max_params=20000))["min_accuracy"]
        0.95
    """
    title = " ".join(str(draft.title).split())
    if not title:
        raise ChallengeError("Give the challenge a title, such as 'Under 20,000 parameters'.")
    if len(title) > MAX_TITLE:
        raise ChallengeError(f"The title has {len(title):,} characters: use at most {MAX_TITLE}.")
    if draft.dataset not in DATASETS:
        raise ChallengeError(unknown("dataset", draft.dataset, DATASETS))
    if not 0 < draft.min_accuracy <= 1:
        raise ChallengeError(f"The minimum test accuracy is {percent(draft.min_accuracy)}: use more than 0% "
                             "and at most 100%.")
    limits = {"parameters": draft.max_params, "epochs": draft.max_epochs, "training seconds": draft.max_seconds}
    for name, value in limits.items():
        if value is not None and value < 0:
            raise ChallengeError(f"The limit on {name} is {value:,}: use a number above 0, or 0 for no limit.")
    limits = {name: value or None for name, value in limits.items()}  # 0: no limit
    if all(v is None for v in limits.values()):
        raise ChallengeError("Set at least one limit (parameters, epochs or training seconds): without "
                             "one, the biggest network always wins.")
    deadline = None
    if draft.deadline:
        when = _when(draft.deadline.strip())
        if when is None:
            raise ChallengeError(f"The deadline '{draft.deadline}' is not a date and time like "
                                 "2026-12-01 16:00 (or a date alone, 2026-12-01, for the end of that day).")
        if when <= (now or dt.datetime.now()):
            raise ChallengeError(f"The deadline {draft.deadline} has already passed: choose a later one.")
        deadline = when.strftime("%Y-%m-%d %H:%M:%S")
    return {"title": title, "dataset": draft.dataset, "min_accuracy": float(draft.min_accuracy),
            "max_params": limits["parameters"], "max_epochs": limits["epochs"],
            "max_seconds": limits["training seconds"], "deadline": deadline}


def _when(text: str) -> dt.datetime | None:
    """A deadline typed as ``2026-12-01 16:00``, or as ``2026-12-01`` (that day's end, 23:59:59)."""
    for form, end_of_day in (("%Y-%m-%d %H:%M", False), ("%Y-%m-%d", True)):
        try:
            when = dt.datetime.strptime(text, form)
        except ValueError:
            continue
        return when.replace(hour=23, minute=59, second=59) if end_of_day else when
    return None


def counts(run: RunRecord) -> bool:
    """Whether ``run`` counts for the leaderboard and challenges: trained in the lab (an
    uploaded model file may be anyone's work), tested, finished or stopped, not hidden.

    Example:
        >>> counts(RunRecord(1, status=Status.FINISHED, test_acc=0.9)), counts(RunRecord(
        ...     2, status=Status.FINISHED, test_acc=0.9, origin="uploaded"))
        (True, False)
    """
    return run.status.scored and run.test_acc is not None and not run.origin and not run.hidden


# Keras keeps accuracy in float32: 9,500 right of 10,000 is stored as 0.94999999, so an
# accuracy counts as reaching the minimum within float32's rounding (far below one image in 10,000).
ROUNDING = 1e-6

def meets(run: RunRecord, challenge: Challenge) -> bool:
    """Whether ``run`` meets ``challenge``: its dataset, a run that `counts`, tested at the
    minimum accuracy or more, within every limit set, and ended before the deadline.

    Example:
        >>> c = Challenge(1, "t", "mnist", 0.9, max_params=20000)
        >>> meets(RunRecord(1, dataset="mnist", status=Status.FINISHED, test_acc=0.93, params=13002), c)
        True
    """
    if run.dataset != challenge.dataset or not counts(run):
        return False
    within = [(challenge.max_params, run.params), (challenge.max_epochs, run.epochs_done),
              (challenge.max_seconds, run.duration_s)]
    if any(limit is not None and (value is None or value > limit) for limit, value in within):
        return False
    if challenge.deadline and (run.ended or run.updated or "9999") > challenge.deadline:
        return False
    return run.test_acc >= challenge.min_accuracy - ROUNDING


def ever_met(run: RunRecord, challenge: Challenge, endings: list[Ending] = ()) -> bool:
    """Whether ``run`` `meets` ``challenge`` now, or did when it ended as one of ``endings``
    says (its earlier finishes and stops: a Continue after the deadline keeps the tick).

    Example:
        >>> c = Challenge(1, "t", "mnist", 0.9, max_params=20000, deadline="2026-12-01 16:00:00")
        >>> now = RunRecord(1, dataset="mnist", status=Status.FINISHED, test_acc=0.95, params=13002,
        ...                 ended="2026-12-02 09:00:00")  # continued the next day
        >>> ever_met(now, c), ever_met(now, c, [Ending(1, "2026-12-01 15:00:00", Status.FINISHED, 0.93)])
        (False, True)
    """
    return meets(run, challenge) or any(
        meets(replace(run, status=e.status, test_acc=e.test_acc, epochs_done=e.epochs_done,
                      duration_s=e.duration_s, params=e.params, ended=e.ended), challenge) for e in endings)


def leaderboard(runs: list[RunRecord], dataset: str, challenges: list[Challenge] = (),
                endings: dict[int, list[Ending]] | None = None) -> pd.DataFrame:
    """Best test accuracy per person on ``dataset``, best first, then one column per challenge
    of that dataset, then that run's parameters, epochs and training time; a challenge's column says whether
    any of the person's runs met it, now or at an earlier ending (`ever_met`; ``endings``: the
    records' `RecordStore.endings`), named by `challenge_column`: two challenges may share a
    title, and a title may be a column's name. Only runs that `counts` accepts count.

    Example:
        >>> runs = [RunRecord(1, owner="ada", dataset="mnist", status=Status.FINISHED, test_acc=0.9),
        ...         RunRecord(2, owner="ada", dataset="mnist", status=Status.FINISHED, test_acc=0.95),
        ...         RunRecord(3, owner="bob", dataset="mnist", status=Status.FINISHED, test_acc=0.92)]
        >>> leaderboard(runs, "mnist")[["person", "test accuracy", "run"]].values.tolist()
        [['ada', 0.95, 2], ['bob', 0.92, 3]]
    """
    counted = [r for r in runs if r.dataset == dataset and counts(r)]
    best: dict[str, RunRecord] = {}
    mine: dict[str, list[RunRecord]] = {}
    for run in counted:
        mine.setdefault(run.power, []).append(run)
        top = best.get(run.power)
        if top is None or (run.test_acc, -(run.params or 0), -run.id) > (top.test_acc, -(top.params or 0), -top.id):
            best[run.power] = run
    targets = [c for c in challenges if c.dataset == dataset]
    rows = []
    for who, run in best.items():
        row = {"person": run.owner, "test accuracy": run.test_acc, "run": run.id, "network": run.network,
               "parameters": run.params, "epochs": run.epochs_done, "training s": run.duration_s}
        for c in targets:
            row[challenge_column(c)] = any(ever_met(r, c, (endings or {}).get(r.id, ())) for r in mine[who])
        rows.append(row)
    columns = (["person", "test accuracy"] + [challenge_column(c) for c in targets]  # in sight on a projector
               + ["run", "network", "parameters", "epochs", "training s"])
    frame = pd.DataFrame(rows, columns=columns)
    return frame.sort_values(["test accuracy", "parameters"], ascending=[False, True], ignore_index=True)


def challenge_column(challenge: Challenge) -> str:
    """The leaderboard's column for ``challenge``: its number and title, unique.

    Example:
        >>> challenge_column(Challenge(4, "test accuracy", "mnist", 0.9))
        'challenge 4: test accuracy'
    """
    return f"challenge {challenge.id}: {challenge.title}"
