"""The results table: stored runs as the rows a teacher reads and compares."""

from __future__ import annotations

import json

import pandas as pd

from lab.records.types import RunRecord

COLUMNS = ["run", "network", "activations", "epochs", "comment", "accuracy", "dataset", "parameters",
           "duration (s)", "date", "status", "optimizer", "learning rate", "batch size", "seed",
           "val accuracy", "train accuracy", "test loss", "architecture", "owner", "device"]


def table(runs: list[RunRecord]) -> pd.DataFrame:
    """Store rows -> the results table, newest first.

    ``accuracy`` is the test accuracy, or the last validation accuracy for a
    run that was never tested.

    Example:
        >>> table([]).columns[:6].tolist()
        ['run', 'network', 'activations', 'epochs', 'comment', 'accuracy']
    """
    rows = []
    for r in runs:
        settings = json.loads(r.train_json or "{}")
        rows.append({
            "run": r.id, "network": r.network, "activations": r.activations,
            "epochs": r.epochs_done, "comment": r.comment or "",
            "accuracy": r.test_acc if r.test_acc is not None else r.val_acc,
            "dataset": r.dataset, "parameters": r.params, "duration (s)": r.duration_s,
            "date": r.created, "status": str(r.status), "optimizer": settings.get("optimizer"),
            "learning rate": settings.get("learning_rate"), "batch size": settings.get("batch_size"),
            "seed": r.seed, "val accuracy": r.val_acc, "train accuracy": r.train_acc,
            "test loss": r.test_loss, "architecture": r.architecture, "owner": r.owner,
            "device": r.device,
        })
    return pd.DataFrame(rows, columns=COLUMNS)


def csv(table_: pd.DataFrame) -> str:
    """The table as CSV text, safe to open in a spreadsheet: a text cell starting with
    ``=``, ``+``, ``-``, ``@``, a tab or a carriage return (which a spreadsheet would run
    as a formula) gets a leading apostrophe.

    Example:
        >>> csv(pd.DataFrame({"comment": ["=1+1", "fine"], "run": [1, 2]})).splitlines()
        ['comment,run', "'=1+1,1", 'fine,2']
    """
    def neutral(value):
        if isinstance(value, str) and value[:1] in FORMULA_STARTS:
            return "'" + value
        return value

    safe = table_.apply(lambda col: col if pd.api.types.is_numeric_dtype(col) else col.map(neutral))
    return safe.to_csv(index=False)


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def changed_comments(before: pd.DataFrame, after: pd.DataFrame) -> dict[int, str]:
    """Run id -> new comment, for rows whose comment was edited."""
    old = dict(zip(before["run"], before["comment"].fillna("")))
    return {int(run): str(text or "") for run, text in zip(after["run"], after["comment"])
            if str(text or "") != old.get(run, "")}


PERCENT = ("accuracy", "val accuracy", "train accuracy")


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
    if column == "duration (s)":
        return f"{value:.1f}"
    if column == "test loss":
        return f"{value:.4f}"
    return str(value)
