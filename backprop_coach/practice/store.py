"""Progress in SQLite: every attempt, every review and every card's FSRS state.

WAL mode, one transaction per answer (a crash loses at most the answer being typed), a schema
version in PRAGMA user_version with ordered migrations, run inside BEGIN IMMEDIATE after reading
the version again, so sessions started at once on a fresh directory wait for each other instead
of racing. Only a corrupt file ("file is not a database", "database disk image is malformed", a
failed integrity check) is moved aside, under a name no other backup has, and a fresh database
started; any other error (read-only, no permission, a full disk, locked too long) is a
StoreError and the file is left alone. A row that cannot be read is reset or left out, with a
note in `notes`, never a failure of every later session.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from backprop_coach.practice.damage import Corrupt, describe, is_busy, is_corrupt, move_aside

MIGRATIONS: list[str] = [
    # version 1
    """
    CREATE TABLE IF NOT EXISTS sessions (
        id INTEGER PRIMARY KEY,
        started_at TEXT NOT NULL,
        ended_at TEXT,
        mode TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS attempts (
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
    CREATE INDEX IF NOT EXISTS attempts_question ON attempts(question_id);
    CREATE TABLE IF NOT EXISTS cards (
        question_id TEXT PRIMARY KEY,
        card TEXT NOT NULL,
        due TEXT NOT NULL,
        introduced_at TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS reviews (
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
BUSY_SECONDS = 20.0  # how long an open or a write waits for another session's transaction
MAX_TEXT_BYTES = 10_000  # free text (an answer, a detail) is cut to this many bytes of UTF-8
CUT_MARK = " …[cut]"
# the columns each table must have (a file of some other program is refused, not written into)
COLUMNS = {
    "sessions": {"id", "started_at", "ended_at", "mode"},
    "attempts": {
        "id", "session_id", "question_id", "topic", "kind", "answered_at", "attempt", "answer",
        "verdict", "diagnosis", "detail", "hints", "seconds", "seed",
    },
    "cards": {"question_id", "card", "due", "introduced_at"},
    "reviews": {"id", "question_id", "rating", "reviewed_at", "session_id"},
}  # fmt: skip


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


class StoreError(Exception):
    """The progress database cannot be used as asked (it is read-only, the disk is full, it
    cannot be opened, it belongs to a newer version); the message says why in the learner's
    words and what was not saved. The file is left as it is."""


class Store:
    """The learner's progress database.

    Opening raises StoreError when the file cannot be used and moving it aside would not help;
    a corrupt file is moved aside and `notice` says where. Every method that reads or writes
    raises StoreError (never sqlite3's errors) when the database fails under it; a row that
    cannot be read adds a sentence to `notes` instead.
    """

    def __init__(self, path: Path, clock: Any = now) -> None:
        self.path = path
        self.clock = clock
        self.notice: str | None = None  # set when a corrupt file was moved aside
        self.notes: list[str] = []  # rows reset or left out, for the learner to be told
        self.conn = self._open()

    # -- opening, migrating, recovering ------------------------------------------------------
    def _open(self) -> sqlite3.Connection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise StoreError(
                f"cannot create {self.path.parent}: {(err.strerror or str(err)).lower()}"
            ) from None
        try:
            return self._connect()
        except Corrupt as damage:
            moved = self._move_aside()
            if moved is not None:
                self.notice = (
                    f"your progress database could not be read ({damage}); it was moved to "
                    f"{moved} and a fresh one started"
                )
        except sqlite3.Error as err:
            raise StoreError(self._cannot_open(err)) from None
        try:
            return self._connect()
        except (Corrupt, sqlite3.Error) as err:
            raise StoreError(self._cannot_open(err)) from None

    def _cannot_open(self, err: BaseException) -> str:
        reason = describe(err)
        name = getattr(err, "sqlite_errorname", "") or ""
        if name.startswith(("SQLITE_CANTOPEN", "SQLITE_READONLY")) and not os.access(
            self.path.parent, os.W_OK
        ):  # SQLite needs to write its -wal and -shm files beside the database
            reason = f"its folder {self.path.parent} is read-only or not yours to write"
        return f"cannot open your progress database {self.path}: {reason}; it was left as it is"

    def _connect(self) -> sqlite3.Connection:
        """A connection with the schema in place; Corrupt for a damaged file, sqlite3.Error for
        anything else. Waits (up to BUSY_SECONDS) for other sessions opening the same file."""
        deadline = time.monotonic() + BUSY_SECONDS
        while True:
            try:
                return self._connect_once()
            except sqlite3.Error as err:
                if is_corrupt(err):
                    raise Corrupt(str(err)) from None
                if not is_busy(err) or time.monotonic() > deadline:
                    raise
            time.sleep(0.05)

    def _connect_once(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=BUSY_SECONDS, isolation_level=None)
        try:
            check = conn.execute("PRAGMA quick_check").fetchone()
            if check is None or check[0] != "ok":
                raise Corrupt(f"integrity check failed: {check[0] if check else 'no answer'}")
            if self._version(conn) < SCHEMA_VERSION:
                with _transaction(conn):
                    # read again: another session may have migrated while this one waited
                    for target in range(self._version(conn) + 1, SCHEMA_VERSION + 1):
                        for statement in MIGRATIONS[target - 1].split(";"):
                            if statement.strip():
                                conn.execute(statement)
                        conn.execute(f"PRAGMA user_version = {target}")
                    self._check_columns(conn)  # a refused file is rolled back, untouched
            else:
                self._check_columns(conn)
            if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA foreign_keys=ON")
        except BaseException:
            conn.close()
            raise
        return conn

    def _version(self, conn: sqlite3.Connection) -> int:
        """The schema version; 0 for a file without any of the tables (a valid SQLite file with
        no tables gets the schema whatever its user_version says)."""
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path} was written by a newer backprop-coach (schema {version}); "
                "upgrade the tool to use it"
            )
        ours = conn.execute(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN "
            f"({', '.join('?' * len(COLUMNS))})",
            tuple(COLUMNS),
        ).fetchone()[0]
        return version if ours else 0

    def _check_columns(self, conn: sqlite3.Connection) -> None:
        for table, wanted in COLUMNS.items():
            have = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
            missing = sorted(wanted - have)
            if missing:
                raise StoreError(
                    f"{self.path} is not a backprop-coach progress database (table {table} "
                    f"lacks {', '.join(missing)}); move it away, or set BACKPROP_COACH_HOME "
                    "to another folder"
                )

    def _move_aside(self) -> Path | None:
        """Move the damaged file aside (see damage.move_aside); None when another session
        already did."""
        try:
            return move_aside(self.path, self.clock().strftime("%Y%m%dT%H%M%S"), BUSY_SECONDS)
        except OSError as err:
            raise StoreError(
                f"your progress database {self.path} is damaged and could not be moved aside: "
                f"{(err.strerror or str(err)).lower()}"
            ) from None

    def close(self) -> None:
        self.conn.close()

    # -- writing ---------------------------------------------------------------------------------
    def start_session(self, mode: str) -> int:
        """A new session's id. Raises StoreError when the database cannot be written."""
        with self._failing("could not start a session"):
            with _transaction(self.conn):
                cur = self.conn.execute(
                    "INSERT INTO sessions (started_at, mode) VALUES (?, ?)", (iso(self.clock()), mode)
                )
        return int(cur.lastrowid or 0)

    def end_session(self, session_id: int) -> None:
        """Mark the session ended. Raises StoreError when the database cannot be written."""
        with self._failing("the end time of this session was not saved"):
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
        review (rating name, the card as JSON, its next due time). Free text is cut to
        MAX_TEXT_BYTES. Raises StoreError, saying what was not saved, when the database cannot
        be written (a full disk, a read-only file); nothing of the answer is then stored."""
        stamp = iso(self.clock())
        what = f"not saved: attempt {attempt.attempt} at {attempt.question_id} ({attempt.verdict})"
        if review is not None:
            what += " and its new schedule"
        with self._failing(what), _transaction(self.conn):
            self.conn.execute(
                "INSERT INTO attempts (session_id, question_id, topic, kind, answered_at, attempt, answer,"
                " verdict, diagnosis, detail, hints, seconds, seed) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    session_id, attempt.question_id, attempt.topic, attempt.kind, stamp, attempt.attempt,
                    cap(attempt.answer), attempt.verdict, attempt.diagnosis,
                    None if attempt.detail is None else cap(attempt.detail), attempt.hints,
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
        """Delete all progress. Raises StoreError when the database cannot be written."""
        with self._failing("nothing was deleted"), _transaction(self.conn):
            for table in ("reviews", "attempts", "cards", "sessions"):
                self.conn.execute(f"DELETE FROM {table}")

    def reset_card(self, question_id: str, why: str) -> None:
        """Forget one card's schedule (it could not be read): the question counts as new
        again, its attempts stay. Noted in `notes`; a database that cannot be written only
        leaves the row where it is."""
        with suppress(sqlite3.Error):
            with _transaction(self.conn):
                self.conn.execute("DELETE FROM cards WHERE question_id = ?", (question_id,))
        self.notes.append(
            f"the schedule of {question_id} could not be read ({why}) and was reset: it counts "
            "as a new question again; its attempts are kept"
        )

    # -- reading ---------------------------------------------------------------------------------
    def cards(self) -> dict[str, dict[str, Any]]:
        """Every card: {question id: {"card": FSRS state as JSON data, "due", "introduced_at"}}.
        A card that cannot be read is reset (see reset_card). Raises StoreError when the
        database cannot be read."""
        with self._failing("could not read your schedule"):
            rows = self.conn.execute(
                "SELECT question_id, card, due, introduced_at FROM cards"
            ).fetchall()
        result = {}
        for qid, card, due, intro in rows:
            try:
                result[qid] = {
                    "card": _card_data(card),
                    "due": _moment(due),
                    "introduced_at": _moment(intro),
                }
            except ValueError as err:
                self.reset_card(str(qid), str(err))
        return result

    def card(self, question_id: str) -> dict[str, Any] | None:
        """One card's FSRS state as JSON data, or None for a question never reviewed (or whose
        card could not be read and was reset). Raises StoreError when the database cannot be
        read."""
        with self._failing("could not read your schedule"):
            row = self.conn.execute(
                "SELECT card FROM cards WHERE question_id = ?", (question_id,)
            ).fetchone()
        if row is None:
            return None
        try:
            return _card_data(row[0])
        except ValueError as err:
            self.reset_card(question_id, str(err))
            return None

    def attempts(self) -> list[dict[str, Any]]:
        """Every attempt, oldest first; a row that cannot be read is left out, with a note.
        Raises StoreError when the database cannot be read."""
        with self._failing("could not read your attempts"):
            cur = self.conn.execute(
                "SELECT session_id, question_id, topic, kind, answered_at, attempt, answer, verdict,"
                " diagnosis, detail, hints, seconds, seed FROM attempts ORDER BY id"
            )
            names = [c[0] for c in cur.description]
            rows = [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
        good = [row for row in rows if _readable_attempt(row)]
        if len(good) < len(rows):
            bad = len(rows) - len(good)
            self.notes.append(
                f"{bad} stored attempt{'s' if bad > 1 else ''} could not be read and "
                f"{'are' if bad > 1 else 'is'} left out"
            )
        return good

    def sessions(self, mode: str) -> list[dict[str, Any]]:
        """The sessions of one mode (id, started_at, ended_at), oldest first. Raises StoreError
        when the database cannot be read."""
        with self._failing("could not read your sessions"):
            cur = self.conn.execute(
                "SELECT id, started_at, ended_at FROM sessions WHERE mode = ? ORDER BY id", (mode,)
            )
            names = [c[0] for c in cur.description]
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def reviews(self) -> list[dict[str, Any]]:
        """Every review, oldest first. Raises StoreError when the database cannot be read."""
        with self._failing("could not read your reviews"):
            cur = self.conn.execute(
                "SELECT question_id, rating, reviewed_at, session_id FROM reviews ORDER BY id"
            )
            names = [c[0] for c in cur.description]
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    @contextmanager
    def _failing(self, what: str) -> Iterator[None]:
        """sqlite3's errors as a StoreError that says what happened and `what` it means."""
        try:
            yield
        except sqlite3.Error as err:
            raise StoreError(f"progress database {self.path}: {describe(err)}; {what}") from None


def cap(text: str) -> str:
    """Free text as stored: at most MAX_TEXT_BYTES of UTF-8 (cut with a mark), and text that
    is not valid Unicode (a lone surrogate) made valid."""
    data = text.encode("utf-8", "replace")
    if len(data) <= MAX_TEXT_BYTES:
        return data.decode("utf-8")
    keep = MAX_TEXT_BYTES - len(CUT_MARK.encode("utf-8"))
    return data[:keep].decode("utf-8", "ignore") + CUT_MARK


def _card_data(text: Any) -> dict[str, Any]:
    """A card's stored JSON as data; ValueError when it is not a JSON object."""
    try:
        data = json.loads(text)
    except (TypeError, ValueError, RecursionError):
        raise ValueError("not valid JSON") from None
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    return data


def _moment(text: Any) -> datetime:
    """A stored time; ValueError unless it is an ISO time with a time zone."""
    if not isinstance(text, str):
        raise ValueError(f"a time that is not text: {text!r:.40}")
    moment = datetime.fromisoformat(text)  # ValueError names the text
    if moment.tzinfo is None:
        raise ValueError(f"a time without a time zone: {text:.40}")
    return moment


def _readable_attempt(row: dict[str, Any]) -> bool:
    try:
        _moment(row["answered_at"])
    except ValueError:
        return False
    return (
        all(isinstance(row[key], str) for key in ("question_id", "topic", "kind", "verdict"))
        and isinstance(row["seconds"], int | float)
        and all(row[key] is None or isinstance(row[key], str) for key in ("diagnosis", "detail"))
    )


@contextmanager
def _transaction(conn: sqlite3.Connection) -> Iterator[None]:
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        with suppress(sqlite3.Error):  # a failed COMMIT or a full disk may have ended it
            conn.execute("ROLLBACK")
        raise
    try:
        conn.execute("COMMIT")
    except BaseException:
        with suppress(sqlite3.Error):
            conn.execute("ROLLBACK")
        raise


def open_store(home: Path) -> Store:
    """The store in the data folder `home` (see Store for what is raised)."""
    return Store(home / DB_NAME)
