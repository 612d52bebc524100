"""Progress in SQLite: every attempt, every review and every card's FSRS state.

WAL mode, one transaction per answer (a crash loses at most the answer being typed), a schema
version in PRAGMA user_version with ordered migrations, and a corrupt or unreadable file is moved
aside and a fresh database started, never a crash.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

MIGRATIONS: list[str] = [
    # version 1
    """
    CREATE TABLE sessions (
        id INTEGER PRIMARY KEY,
        started_at TEXT NOT NULL,
        ended_at TEXT,
        mode TEXT NOT NULL
    );
    CREATE TABLE attempts (
        id INTEGER PRIMARY KEY,
        session_id INTEGER REFERENCES sessions(id),
        question_id TEXT NOT NULL,
        topic TEXT NOT NULL,
        kind TEXT NOT NULL,
        answered_at TEXT NOT NULL,
        attempt INTEGER NOT NULL,
        answer TEXT NOT NULL,
        verdict TEXT NOT NULL,
        diagnosis TEXT,
        detail TEXT,
        hints INTEGER NOT NULL DEFAULT 0,
        seconds REAL NOT NULL,
        seed INTEGER
    );
    CREATE INDEX attempts_question ON attempts(question_id);
    CREATE TABLE cards (
        question_id TEXT PRIMARY KEY,
        card TEXT NOT NULL,
        due TEXT NOT NULL,
        introduced_at TEXT NOT NULL
    );
    CREATE TABLE reviews (
        id INTEGER PRIMARY KEY,
        question_id TEXT NOT NULL,
        rating TEXT NOT NULL,
        reviewed_at TEXT NOT NULL,
        session_id INTEGER REFERENCES sessions(id)
    );
    """,
]
SCHEMA_VERSION = len(MIGRATIONS)
DB_NAME = "progress.sqlite3"


def now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Attempt:
    question_id: str
    topic: str
    kind: str
    attempt: int
    answer: str
    verdict: str  # correct, incorrect, revealed, skipped, rated
    diagnosis: str | None
    detail: str | None  # e.g. the missing factor, or the self-rating
    hints: int
    seconds: float
    seed: int | None = None


class Store:
    """The learner's progress database."""

    def __init__(self, path: Path, clock: Any = now) -> None:
        self.path = path
        self.clock = clock
        self.notice: str | None = None  # set when a corrupt file was moved aside
        self.conn = self._open()

    # -- opening, migrating, recovering ------------------------------------------------------
    def _open(self) -> sqlite3.Connection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise StoreError(f"cannot create {self.path.parent}: {err.strerror}") from None
        try:
            return self._connect()
        except sqlite3.DatabaseError as err:
            moved = self._move_aside()
            self.notice = (
                f"your progress database could not be read ({err}); it was moved to {moved} "
                "and a fresh one started"
            )
            return self._connect()

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=5, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA foreign_keys=ON")
            check = conn.execute("PRAGMA quick_check").fetchone()
            if check is None or check[0] != "ok":
                raise sqlite3.DatabaseError(f"integrity check failed: {check}")
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise StoreError(
                    f"{self.path} was written by a newer backprop-coach (schema {version}); "
                    "upgrade the tool to use it"
                )
            for target in range(version + 1, SCHEMA_VERSION + 1):
                with _transaction(conn):
                    for statement in MIGRATIONS[target - 1].split(";"):
                        if statement.strip():
                            conn.execute(statement)
                    conn.execute(f"PRAGMA user_version = {target}")
        except BaseException:
            conn.close()
            raise
        return conn

    def _move_aside(self) -> Path:
        stamp = self.clock().strftime("%Y%m%dT%H%M%S")
        target = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
        for suffix in ("", "-wal", "-shm"):
            source = Path(str(self.path) + suffix)
            if source.exists():
                shutil.move(source, Path(str(target) + suffix))
        return target

    def close(self) -> None:
        self.conn.close()

    # -- writing ---------------------------------------------------------------------------------
    def start_session(self, mode: str) -> int:
        with _transaction(self.conn):
            cur = self.conn.execute(
                "INSERT INTO sessions (started_at, mode) VALUES (?, ?)", (iso(self.clock()), mode)
            )
        return int(cur.lastrowid or 0)

    def end_session(self, session_id: int) -> None:
        with _transaction(self.conn):
            self.conn.execute(
                "UPDATE sessions SET ended_at = ? WHERE id = ?", (iso(self.clock()), session_id)
            )

    def record(
        self,
        session_id: int | None,
        attempt: Attempt,
        review: tuple[str, str, datetime] | None = None,
    ) -> None:
        """One answer, in one transaction: the attempt and, when it settles the question, the
        review (rating name, the card as JSON, its next due time)."""
        stamp = iso(self.clock())
        with _transaction(self.conn):
            self.conn.execute(
                "INSERT INTO attempts (session_id, question_id, topic, kind, answered_at, attempt, answer,"
                " verdict, diagnosis, detail, hints, seconds, seed) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    session_id, attempt.question_id, attempt.topic, attempt.kind, stamp, attempt.attempt,
                    attempt.answer, attempt.verdict, attempt.diagnosis, attempt.detail, attempt.hints,
                    round(attempt.seconds, 3), attempt.seed,
                ),
            )  # fmt: skip
            if review is not None:
                rating, card_json, due = review
                self.conn.execute(
                    "INSERT INTO reviews (question_id, rating, reviewed_at, session_id) VALUES (?,?,?,?)",
                    (attempt.question_id, rating, stamp, session_id),
                )
                self.conn.execute(
                    "INSERT INTO cards (question_id, card, due, introduced_at) VALUES (?,?,?,?) "
                    "ON CONFLICT(question_id) DO UPDATE SET card = excluded.card, due = excluded.due",
                    (attempt.question_id, card_json, iso(due), stamp),
                )

    def reset(self) -> None:
        with _transaction(self.conn):
            for table in ("reviews", "attempts", "cards", "sessions"):
                self.conn.execute(f"DELETE FROM {table}")

    # -- reading ---------------------------------------------------------------------------------
    def cards(self) -> dict[str, dict[str, Any]]:
        rows = self.conn.execute(
            "SELECT question_id, card, due, introduced_at FROM cards"
        ).fetchall()
        return {
            qid: {
                "card": json.loads(card),
                "due": datetime.fromisoformat(due),
                "introduced_at": datetime.fromisoformat(intro),
            }
            for qid, card, due, intro in rows
        }

    def card(self, question_id: str) -> dict[str, Any] | None:
        """One card's FSRS state as JSON data, or None for a question never reviewed."""
        row = self.conn.execute(
            "SELECT card FROM cards WHERE question_id = ?", (question_id,)
        ).fetchone()
        return json.loads(row[0]) if row else None

    def attempts(self) -> list[dict[str, Any]]:
        cur = self.conn.execute(
            "SELECT session_id, question_id, topic, kind, answered_at, attempt, answer, verdict, diagnosis,"
            " detail, hints, seconds, seed FROM attempts ORDER BY id"
        )
        names = [c[0] for c in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def reviews(self) -> list[dict[str, Any]]:
        cur = self.conn.execute(
            "SELECT question_id, rating, reviewed_at, session_id FROM reviews ORDER BY id"
        )
        names = [c[0] for c in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


class StoreError(Exception):
    """The database cannot be used (and moving it aside would not help)."""


@contextmanager
def _transaction(conn: sqlite3.Connection) -> Iterator[None]:
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def open_store(home: Path) -> Store:
    return Store(home / DB_NAME)
