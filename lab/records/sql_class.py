"""The class's part of the SQL records: people, tags, sweeps, challenges and XOR
trials. `ClassRecords` is mixed into `lab.records.sql.SQLStore`, whose transactions
(``_tx``), inserts and unique-name errors it uses; its queries are portable SQL too."""

from __future__ import annotations

from contextlib import contextmanager

from lab.records.base import Conflict
from lab.records.cursor import now
from lab.records.types import TRIAL_FIELDS, Challenge, Person, Sweep, TrialBatch


class ClassRecords:
    """People, tags, sweeps, challenges and trials (methods of `lab.records.base.RecordStore`)."""

    # ---- people -------------------------------------------------------------------------

    def person(self, person_id: str) -> Person | None:
        return self._person(person_id)

    def person_by_key(self, key_hash: str) -> Person | None:
        with self._tx(write=False) as cur:
            rows = cur.execute("SELECT * FROM people WHERE key_hash = ?", [key_hash]).dicts()
        return _person(rows[0]) if rows else None

    def create_person(self, key_hash: str, name: str) -> Person:
        with self._unique(name):
            with self._tx() as cur:
                pid = self._insert(cur, "INSERT INTO people (key_hash, name, name_key, teacher, created) "
                                        "VALUES (?, ?, ?, 0, ?)", [key_hash, name, _name_key(name), now()])
        return Person(f"p{pid}", name)

    def rename_person(self, person_id: str, name: str) -> Person:
        with self._unique(name):
            with self._tx() as cur:
                cur.execute("UPDATE people SET name = ?, name_key = ? WHERE id = ?",
                            [name, _name_key(name), _person_number(person_id)])
                # what they did shows their name now: the old one is free for someone else to take
                for table, name_column, id_column in (("runs", "owner", "owner_id"), ("runs", "continued_by",
                                                      "continued_by_id"), ("sweeps", "owner", "owner_id"),
                                                      ("trials", "owner", "owner_id")):
                    cur.execute(f"UPDATE {table} SET {name_column} = ? WHERE {id_column} = ?", [name, person_id])
        return self._person(person_id)

    def set_teacher(self, person_id: str, mark: str | None) -> Person:
        with self._tx() as cur:
            cur.execute("UPDATE people SET teacher = ?, teacher_mark = ? WHERE id = ?",
                        [int(mark is not None), mark, _person_number(person_id)])
        return self._person(person_id)

    def save_draft(self, person_id: str, part: str, text: str) -> None:
        if part not in DRAFT_PARTS:
            raise ValueError(f"A draft has the parts {', '.join(DRAFT_PARTS)}, not {part!r}.")
        with self._tx() as cur:
            cur.execute(f"UPDATE people SET draft_{part} = ? WHERE id = ?", [text, _person_number(person_id)])

    def draft(self, person_id: str) -> dict[str, str | None]:
        with self._tx(write=False) as cur:
            rows = cur.execute("SELECT draft_network, draft_settings FROM people WHERE id = ?",
                               [_person_number(person_id)]).dicts()
        return {part: rows[0][f"draft_{part}"] if rows else None for part in DRAFT_PARTS}

    def _person(self, person_id: str) -> Person | None:
        """`person`, for the methods that return one (a retried method never calls another)."""
        number = str(person_id).removeprefix("p")
        if not number.isdigit():  # not an identity this lab gave out
            return None
        with self._tx(write=False) as cur:
            rows = cur.execute("SELECT * FROM people WHERE id = ?", [int(number)]).dicts()
        return _person(rows[0]) if rows else None

    @contextmanager
    def _unique(self, name: str):
        try:
            yield
        except self.UNIQUE_ERRORS as exc:
            raise Conflict(f"The name '{name}' is taken.") from exc

    # ---- tags -------------------------------------------------------------------------

    def set_tags(self, run_id: int, tags: list[str]) -> None:
        with self._tx() as cur:
            cur.execute("DELETE FROM tags WHERE run_id = ?", [run_id])
            for tag in sorted(set(tags)):
                cur.execute("INSERT INTO tags (run_id, tag) VALUES (?, ?)", [run_id, tag])

    def tags(self) -> dict[int, list[str]]:
        with self._tx(write=False) as cur:
            rows = cur.execute("SELECT run_id, tag FROM tags ORDER BY run_id, tag").dicts()
        out: dict[int, list[str]] = {}
        for row in rows:
            out.setdefault(row["run_id"], []).append(row["tag"])
        return out

    # ---- sweeps and challenges ------------------------------------------------------------

    def create_sweep(self, **fields) -> int:
        return self._create("sweeps", {"created": now(), **fields})

    def sweeps(self) -> list[Sweep]:
        with self._tx(write=False) as cur:
            return [Sweep(**r) for r in cur.execute("SELECT * FROM sweeps ORDER BY id DESC").dicts()]

    def create_challenge(self, **fields) -> int:
        return self._create("challenges", {"created": now(), "closed": 0, **fields})

    def challenges(self) -> list[Challenge]:
        with self._tx(write=False) as cur:
            rows = cur.execute("SELECT * FROM challenges ORDER BY id DESC").dicts()
        return [Challenge(**{**r, "closed": bool(r["closed"])}) for r in rows]

    def close_challenge(self, challenge_id: int, closed: bool = True) -> None:
        with self._tx() as cur:
            cur.execute("UPDATE challenges SET closed = ? WHERE id = ?", [int(closed), challenge_id])

    def _create(self, table: str, fields: dict) -> int:
        with self._tx() as cur:
            return self._insert(cur, f"INSERT INTO {table} ({', '.join(fields)}) VALUES "
                                     f"({', '.join('?' * len(fields))})", list(fields.values()))

    # ---- trials (how often a network learns XOR) ---------------------------------------

    def record_trials(self, batches: list[dict]) -> int:
        unknown = {k for b in batches for k in b} - set(TRIAL_FIELDS) | ({"id", "study", "created"} & {
            k for b in batches for k in b})
        if not batches or unknown:
            raise KeyError(f"Trial batches need fields of TrialBatch; unknown or not allowed: {sorted(unknown)}")
        with self._tx() as cur:  # one transaction: the study number is taken under the write lock
            study = int(cur.execute("SELECT COALESCE(MAX(study), 0) + 1 FROM trials").one())
            for batch in batches:
                fields = {"study": study, "created": now(), **batch}
                self._insert(cur, f"INSERT INTO trials ({', '.join(fields)}) VALUES "
                                  f"({', '.join('?' * len(fields))})", list(fields.values()))
        return study

    def trials(self, study: int | None = None) -> list[TrialBatch]:
        where, params = ("WHERE study = ?", [study]) if study is not None else ("", [])
        with self._tx(write=False) as cur:
            rows = cur.execute(f"SELECT * FROM trials {where} ORDER BY id DESC", params).dicts()
        return [TrialBatch(**{k: r[k] for k in TRIAL_FIELDS}) for r in rows]


def _name_key(name: str) -> str:
    """Names compare without case or surrounding spaces: "Ada" and "ada " are one name."""
    return " ".join(name.split()).casefold()


DRAFT_PARTS = ("network", "settings")


def _person_number(person_id: str) -> int:
    return int(person_id.removeprefix("p"))


def _person(row: dict) -> Person:
    return Person(f"p{row['id']}", row["name"], bool(row["teacher"]), row.get("teacher_mark"))
