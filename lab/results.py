"""The results table: stored runs as the rows a teacher reads and compares."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from lab.records.types import RunRecord
from lab.spec import stored

COLUMNS = ["run", "network", "activations", "epochs", "comment", "accuracy", "status", "val accuracy",
           "best val accuracy", "best epoch", "dataset", "parameters", "duration (s)", "date", "optimizer",
           "learning rate", "batch size", "dropout", "seed", "train accuracy", "test loss", "tags",
           "sweep", "architecture", "owner", "device", "s per epoch"]

# The settings the "many runs at once" view can put side by side, numbers then words.
NUMBER_SETTINGS = ("learning rate", "batch size", "dropout", "parameters", "epochs", "seed")
WORD_SETTINGS = ("optimizer", "dataset", "network")

MAX_TAGS, MAX_TAG = 10, 30


class TagError(ValueError):
    """Tags that cannot be kept; the message says what to change."""


@dataclass(frozen=True)
class Filters:
    """What the Results page shows: every field left empty shows everything."""

    datasets: tuple[str, ...] = ()
    people: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    network: str = ""  # part of the network's name, any case
    tags: tuple[str, ...] = ()  # runs with any of these tags
    sweep: int | None = None
    hidden: bool = False  # show hidden runs too


def filter_runs(runs: list[RunRecord], tags: dict[int, list[str]], f: Filters) -> list[RunRecord]:
    """The runs that pass every filter in ``f``.

    Example:
        >>> runs = [RunRecord(1, owner="ada", network="Wide"), RunRecord(2, owner="bob", network="Deep", hidden=True)]
        >>> [r.id for r in filter_runs(runs, {}, Filters(network="wi"))], [r.id for r in filter_runs(runs, {}, Filters())]
        ([1], [1])
    """
    want = str(f.network).casefold().strip()
    return [r for r in runs
            if (f.hidden or not r.hidden)
            and (not f.datasets or r.dataset in f.datasets)
            and (not f.people or r.owner in f.people)
            and (not f.statuses or str(r.status) in f.statuses)
            and (not want or want in (r.network or "").casefold())
            and (not f.tags or _folded(f.tags) & _folded(tags.get(r.id, ())))
            and (f.sweep is None or r.sweep_id == f.sweep)]


def tag_names(tags: dict[int, list[str]]) -> list[str]:
    """Every tag in use, once each whatever its case (the first spelling in run order), sorted.

    Example:
        >>> tag_names({1: ["Dropout"], 2: ["dropout", "small"]})
        ['Dropout', 'small']
    """
    names: dict[str, str] = {}
    for run_id in sorted(tags):
        for tag in tags[run_id]:
            names.setdefault(tag.casefold(), tag)
    return sorted(names.values(), key=str.casefold)


def _folded(tags: Iterable[str]) -> set[str]:
    return {t.casefold() for t in tags}


def parse_tags(text: str, known: Iterable[str] = ()) -> list[str]:
    """Tags typed as ``"dropout, small net"``: trimmed, without repeats, case ignored. A tag
    some run already has (``known``) keeps that spelling, so "Dropout" and "dropout" stay one tag.

    Raises:
        TagError: more than `MAX_TAGS` tags, or one longer than `MAX_TAG` characters.

    Example:
        >>> parse_tags(" Dropout, small net,dropout ,", known=["Small Net"])
        ['Dropout', 'Small Net']
    """
    spelled = {t.casefold(): t for t in known}
    typed: dict[str, str] = {}
    for tag in (" ".join(t.split()) for t in str(text).split(",")):
        if tag and tag.casefold() not in typed:
            typed[tag.casefold()] = spelled.get(tag.casefold(), tag)
    tags = list(typed.values())
    if len(tags) > MAX_TAGS:
        raise TagError(f"That is {len(tags)} tags: keep at most {MAX_TAGS} a run.")
    for tag in tags:
        if len(tag) > MAX_TAG:
            raise TagError(f"A tag of {len(tag):,} characters is too long: use at most {MAX_TAG} characters.")
    return tags


def table(runs: list[RunRecord], best: dict[int, tuple[float, int]] | None = None,
          tags: dict[int, list[str]] | None = None) -> pd.DataFrame:
    """Store rows -> the results table, newest first.

    ``accuracy`` is the test accuracy, empty for a run that was never tested
    (interrupted before its test: its ``val accuracy`` is no test figure, and
    usually higher); ``best val accuracy`` and ``best epoch`` come
    from ``best`` (`RecordStore.best_epochs`), ``tags`` from ``tags``.

    Example:
        >>> table([]).columns[:6].tolist()
        ['run', 'network', 'activations', 'epochs', 'comment', 'accuracy']
    """
    best, tags = best or {}, tags or {}
    rows = []
    for r in runs:
        settings = stored(r.train_json)
        top = best.get(r.id, (None, None))
        rows.append({
            "run": r.id, "network": r.network, "activations": r.activations,
            "epochs": r.epochs_done, "comment": r.comment or "",
            "accuracy": r.test_acc,
            "best val accuracy": top[0], "best epoch": top[1], "tags": ", ".join(tags.get(r.id, ())),
            "sweep": r.sweep_id,
            "dataset": r.dataset, "parameters": r.params, "duration (s)": r.duration_s,
            "date": r.created, "status": str(r.status), "optimizer": settings.get("optimizer"),
            "learning rate": settings.get("learning_rate"), "batch size": settings.get("batch_size"),
            "dropout": dropout(r),
            "seed": r.seed, "val accuracy": r.val_acc, "train accuracy": r.train_acc,
            "test loss": r.test_loss, "architecture": r.architecture, "owner": r.owner,
            "device": r.device, "s per epoch": seconds_per_epoch(r),
        })
    return pd.DataFrame(rows, columns=COLUMNS)


def dropout(run: RunRecord) -> float | None:
    """The largest Dropout rate of the run's network; None when it has no Dropout layer.

    Example:
        >>> spec = '{"layers": [{"kind": "Dropout", "rate": 0.2}, {"kind": "Dropout", "rate": 0.5}]}'
        >>> dropout(RunRecord(1, spec_json=spec)), dropout(RunRecord(2, spec_json='{"layers": []}'))
        (0.5, None)
    """
    try:
        layers = stored(run.spec_json).get("layers", [])
        rates = [float(layer.get("rate", 0)) for layer in layers if layer.get("kind") == "Dropout"]
    except (ValueError, TypeError, AttributeError):  # an old or damaged record: nothing to show
        return None
    return max(rates) if rates else None


def comparable(table_: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The rows of a results table that the "many runs at once" view compares, by dataset
    (most runs first): tested runs trained in the lab. Accuracies of different datasets do
    not compare (XOR's 100% is no better than 98% on MNIST), and an uploaded model has no
    settings to line up.

    Example:
        >>> t = pd.DataFrame({"run": [1, 2, 3, 4], "dataset": ["xor", "mnist", "mnist", "mnist"],
        ...                   "accuracy": [1.0, 0.9, None, 0.8], "optimizer": ["sgd", "adam", "adam", None]})
        >>> {name: rows["run"].tolist() for name, rows in comparable(t).items()}
        {'mnist': [2], 'xor': [1]}
    """
    tested = table_.dropna(subset=["accuracy", "optimizer"])
    counts = tested["dataset"].value_counts()
    order = sorted(counts.index, key=lambda name: (-counts[name], name))
    return {name: tested[tested["dataset"] == name] for name in order}


def differing_settings(table_: pd.DataFrame) -> list[str]:
    """The settings that differ between the rows of a results table, for the "many runs at
    once" view: those in `NUMBER_SETTINGS` and `WORD_SETTINGS` with more than one value.
    When nothing differs, learning rate, batch size and parameters.

    Example:
        >>> t = pd.DataFrame({"learning rate": [0.1, 0.01], "batch size": [32, 32], "optimizer": ["sgd", "adam"]})
        >>> differing_settings(t)
        ['learning rate', 'optimizer']
    """
    differ = [c for c in NUMBER_SETTINGS + WORD_SETTINGS  # a value and none (no Dropout) differ too
              if c in table_.columns and table_[c].map(lambda v: "" if pd.isna(v) else str(v)).nunique() > 1]
    return differ or ["learning rate", "batch size", "parameters"]


def seconds_per_epoch(run: RunRecord) -> float | None:
    """The run's time divided by its epochs (loading and testing included), to compare
    devices side by side; None before it has a time or an epoch.

    Example:
        >>> seconds_per_epoch(RunRecord(1, duration_s=12.5, epochs_done=5)), seconds_per_epoch(RunRecord(2))
        (2.5, None)
    """
    if not run.duration_s or not run.epochs_done:
        return None
    return round(run.duration_s / run.epochs_done, 2)


def csv(table_: pd.DataFrame) -> str:
    """The table as CSV text, safe to open in a spreadsheet: a text cell starting with
    ``=``, ``+``, ``-``, ``@``, a tab or a carriage return (which a spreadsheet would run
    as a formula) gets a leading apostrophe, and a cell with a line break in it is quoted.

    Example:
        >>> csv(pd.DataFrame({"comment": ["=1+1", "fine"], "run": [1, 2]})).splitlines()
        ['comment,run', "'=1+1,1", 'fine,2']
    """
    def neutral(value):
        if isinstance(value, str) and value[:1] in FORMULA_STARTS:
            return "'" + value
        return value

    safe = table_.apply(lambda col: col if pd.api.types.is_numeric_dtype(col) else col.map(neutral))
    # CRLF line ends (RFC 4180): a cell holding a line break of either kind is then quoted, so
    # a comment can never start a new row (whose first cell a spreadsheet would run).
    return safe.to_csv(index=False, lineterminator="\r\n")


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def changed_comments(before: pd.DataFrame, after: pd.DataFrame) -> dict[int, str]:
    """Run id -> new comment, for rows whose comment was edited."""
    old = dict(zip(before["run"], before["comment"].fillna("")))
    return {int(run): str(text or "") for run, text in zip(after["run"], after["comment"])
            if str(text or "") != old.get(run, "")}


PERCENT = ("accuracy", "val accuracy", "best val accuracy", "train accuracy")
WHOLE_NUMBERS = ("run", "epochs", "best epoch", "batch size", "seed", "sweep")


def compare_first(table_: pd.DataFrame, n: int = 3) -> list[int]:
    """The runs "Compare runs" starts with: the first ``n`` rows (the newest) trained on the
    first row's dataset, so their curves share one scale (XOR beside MNIST would not).

    Example:
        >>> compare_first(pd.DataFrame({"run": [9, 8, 7, 6], "dataset": ["mnist", "xor", "mnist", "mnist"]}), 2)
        [9, 7]
    """
    if table_.empty:
        return []
    return [int(r) for r in table_.loc[table_["dataset"] == table_["dataset"].iloc[0], "run"][:n]]


def datasets_of(table_: pd.DataFrame, runs: list[int]) -> list[str]:
    """The datasets ``runs`` were trained on, each once, in the table's order (more than one:
    their curves do not compare).

    Example:
        >>> datasets_of(pd.DataFrame({"run": [9, 8, 7], "dataset": ["mnist", "fashion_mnist", "mnist"]}), [9, 7])
        ['mnist']
    """
    return list(dict.fromkeys(table_.loc[table_["run"].isin(runs), "dataset"]))


def side_by_side(table_: pd.DataFrame, runs: list[int]) -> pd.DataFrame:
    """The chosen runs as columns and their fields as rows, numbers formatted for reading."""
    picked = table_[table_["run"].isin(runs)].set_index("run")
    out = picked.astype(object).copy()
    for col in picked.columns:
        for run, value in picked[col].items():
            out.loc[run, col] = _fmt(col, value)
    out.index = [f"run {r}" for r in out.index]
    return out.T


def _fmt(column: str, value) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if column in PERCENT:
        return f"{value:.2%}"
    if column == "parameters":
        return f"{int(value):,}"
    if column in WHOLE_NUMBERS:  # a column with a gap is float in pandas: 1.0 reads as 1
        return str(int(value))
    if column == "duration (s)":
        return f"{value:.1f}"
    if column == "test loss":
        return f"{value:.4f}"
    return str(value)
