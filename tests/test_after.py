"""`after = "other-id"`: loading checks the id exists and no chain loops (naming file and field),
the shipped bank's chains are sound, and the quiz never asks a new learner a question before
the one it follows."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from backprop_coach.bank.load import load_bank, shipped_bank
from backprop_coach.bank.model import Question
from backprop_coach.bank.template import template
from backprop_coach.practice.schedule import choose

SHIPPED = load_bank(dirs=[shipped_bank()])
AT = datetime(2026, 1, 10, 12, tzinfo=UTC)


def write(root: Path, qid: str, after: str | None) -> Path:
    text = template(qid, "mine", "derivation")
    if after is not None:
        text = text.replace('kind = "derivation"', f'kind = "derivation"\nafter = "{after}"')
    path = root / "mine" / f"{qid}.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_after_is_loaded(tmp_path: Path) -> None:
    write(tmp_path, "first", None)
    write(tmp_path, "second", "first")
    bank = load_bank(dirs=[tmp_path])
    assert bank.problems == []
    assert bank.get("second").after == "first"  # type: ignore[union-attr]
    assert bank.get("first").after is None  # type: ignore[union-attr]
    assert bank.get("second").to_json()["after"] == "first"  # type: ignore[union-attr]
    assert "after" not in bank.get("first").to_json()  # type: ignore[union-attr]


def test_unknown_after_names_file_and_field(tmp_path: Path) -> None:
    write(tmp_path, "first", None)
    path = write(tmp_path, "second", "no-such-question")
    bank = load_bank(dirs=[tmp_path])
    assert [q.id for q in bank.questions] == ["first"]
    (problem,) = bank.problems
    assert problem.path == path and problem.field == "after"
    assert "unknown question id 'no-such-question'" in problem.message
    assert str(path) in str(problem)


def test_cycle_names_every_file_in_it(tmp_path: Path) -> None:
    a = write(tmp_path, "qa", "qc")
    b = write(tmp_path, "qb", "qa")
    c = write(tmp_path, "qc", "qb")
    write(tmp_path, "qd", "qa")  # follows a member of the cycle: orphaned once it is skipped
    write(tmp_path, "ok", None)
    bank = load_bank(dirs=[tmp_path])
    assert [q.id for q in bank.questions] == ["ok"]
    cycle = [p for p in bank.problems if "cycle" in p.message]
    assert {p.path for p in cycle} == {a, b, c}
    assert all(p.field == "after" for p in bank.problems)
    assert any("unknown question id 'qa'" in p.message for p in bank.problems)


def test_self_reference_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "loop", "loop")
    (problem,) = load_bank(dirs=[tmp_path]).problems
    assert problem.path == path and problem.field == "after"


def test_shipped_after_chains_have_no_missing_ids_or_cycles() -> None:
    assert SHIPPED.problems == []
    ids = {q.id for q in SHIPPED.questions}
    follows = {q.id: q.after for q in SHIPPED.questions if q.after is not None}
    assert len(follows) >= 10  # the bank does use it
    for start in follows:
        seen = {start}
        node = follows[start]
        while node is not None:
            assert node in ids, f"{start}: after {node!r} is not a question"
            assert node not in seen, f"{start}: a cycle through {node}"
            seen.add(node)
            node = follows.get(node)


def _question(qid: str, difficulty: int, after: str | None = None) -> Question:
    base = SHIPPED.questions[0]
    return replace(base, id=qid, difficulty=difficulty, after=after)


def test_choose_never_asks_a_question_before_the_one_it_follows() -> None:
    # The follower is easier, so the easiest-first order alone would ask it first.
    first = _question("first", 3)
    second = _question("second", 1, after="first")
    other = _question("other", 2)
    for seed in range(20):
        order = [q.id for q in choose([second, other, first], {}, AT, 10, rng=random.Random(seed))]
        assert order.index("first") < order.index("second"), order
        assert set(order) == {"first", "second", "other"}


def test_a_follower_is_free_once_its_predecessor_was_seen() -> None:
    first = _question("first", 3)
    second = _question("second", 1, after="first")
    seen = {"first": {"due": AT + timedelta(days=5), "introduced_at": AT - timedelta(days=9)}}
    order = [q.id for q in choose([second, first], seen, AT, 10)]
    assert order == ["second", "first"]  # new before later-due, and no longer held back


def test_a_follower_whose_predecessor_is_filtered_out_is_not_asked_to_a_new_learner() -> None:
    second = _question("second", 1, after="first")
    other = _question("other", 2)
    for mode in ("default", "due", "cram"):
        assert [q.id for q in choose([second, other], {}, AT, 10, mode)] == ["other"]


def test_choose_orders_the_shipped_bank_after_its_chains() -> None:
    order = [q.id for q in choose(SHIPPED.questions, {}, AT, 1000, "cram", rng=random.Random(1))]
    position = {qid: i for i, qid in enumerate(order)}
    for q in SHIPPED.questions:
        if q.after is not None:
            assert position[q.after] < position[q.id], q.id
