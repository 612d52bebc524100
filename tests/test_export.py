"""`bank export` (an Anki deck read back from its SQLite collection, and JSON) and
`bank list --coverage`, against a temporary bank whose contents the tests know."""

from __future__ import annotations

import html
import json
import re
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import NamedTuple

import genanki
import numpy as np
import pytest
from typer.testing import CliRunner

from backprop_coach.bank.coverage import coverage
from backprop_coach.bank.export import DECK_ID, MODEL_ID
from backprop_coach.bank.load import load_bank
from backprop_coach.cli import app

TOPIC = "export-test"

DERIVATION = '''format_version = 1
id = "ex-deriv"
topic = "export-test"
difficulty = 1
kind = "derivation"
tags = ["chain rule", "mine"]
source = "a test"
prompt = """
A **linear** neuron <script>alert(1)</script> [sound:boom.mp3] [see](javascript:alert(1)) z = w·x, L = ½(z − y)².
Derive ∂L/∂w.
"""
hints = ["<b>not bold</b> & [/] then the chain rule"]
loss = "(w*x - y)^2/2"
wrt = "w"
answer = "(w*x - y)*x"
explanation = [{ text = "Multiply <i>the</i> factors.", expr = "(w*x - y)*x" }]

[[wrong_answers]]
answer = "w*x - y"
diagnosis = "missing_factor"
feedback = "x is missing."

[[wrong_answers]]
answer = "(y - w*x)*x"
diagnosis = "sign_flip"
feedback = "sign."
'''

NUMERIC = """format_version = 1
id = "ex-numeric"
topic = "export-test"
difficulty = 1
kind = "numeric"
tags = []
source = "a test"
prompt = "Compute **z¹[0]** for the linear layer shown, to 3 significant figures."
hints = ["z = Wx + b."]
explanation = ["z = Wx + b."]

[network]
layers = [2, 1]
activations = ["identity"]
loss = "half_sse"
ask = "z1[0]"
figures = 3
"""

CONCEPT = '''format_version = 1
id = "ex-concept"
topic = "export-test"
difficulty = 2
kind = "concept"
tags = ["init"]
source = "a test"
prompt = "Why not initialise every weight to zero?"
hints = ["Symmetry."]
explanation = ["Every unit of a layer would get the same gradient."]
model_answer = """
With equal weights <img src=x onerror=alert(1)> every hidden unit computes the same function
and receives the same gradient, so they stay identical forever: symmetry is never broken.
"""
key_points = ["identical units get identical gradients", "random init breaks the symmetry"]
'''

IDS = ("ex-concept", "ex-deriv", "ex-numeric")


def write(root: Path, topic: str, name: str, text: str) -> None:
    path = root / topic / f"{name}.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


@pytest.fixture
def bank(tmp_path: Path) -> Path:
    root = tmp_path / "bank"
    write(root, TOPIC, "ex-deriv", DERIVATION)
    write(root, TOPIC, "ex-numeric", NUMERIC)
    write(root, TOPIC, "ex-concept", CONCEPT)
    return root


def export(runner: CliRunner, bank: Path, *args: str) -> str:
    result = runner.invoke(app, ["bank", "export", "--bank", str(bank), "--topic", TOPIC, *args])
    assert result.exit_code == 0, result.output
    return result.stdout


class Stored(NamedTuple):
    mid: int
    tags: list[str]
    fields: list[str]


def read_notes(apkg: Path, tmp_path: Path) -> dict[str, Stored]:
    """The notes of an .apkg, by GUID: model id, tags and fields (as Anki stores them)."""
    with zipfile.ZipFile(apkg) as archive:
        (name,) = [n for n in archive.namelist() if n in ("collection.anki2", "collection.anki21")]
        database = Path(archive.extract(name, tmp_path / f"unzipped-{apkg.stem}"))
    connection = sqlite3.connect(database)
    try:
        rows = connection.execute("select guid, mid, tags, flds from notes").fetchall()
        cards = connection.execute("select count(*) from cards").fetchone()[0]
        decks = json.loads(connection.execute("select decks from col").fetchone()[0])
    finally:
        connection.close()
    assert cards == len(rows)  # one card a note
    assert str(DECK_ID) in decks
    return {
        guid: Stored(mid, tags.split(), fields.split("\x1f")) for guid, mid, tags, fields in rows
    }


def test_anki_deck_has_one_note_a_question_with_guids_from_ids(
    runner: CliRunner, bank: Path, tmp_path: Path
) -> None:
    deck = tmp_path / "deck.apkg"
    export(runner, bank, "--anki", str(deck))
    notes = read_notes(deck, tmp_path)
    assert set(notes) == {genanki.guid_for(i) for i in IDS}
    assert {n.mid for n in notes.values()} == {MODEL_ID}

    prompt, answer, explanation, hints, source = notes[genanki.guid_for("ex-deriv")].fields
    assert "<strong>linear</strong>" in prompt  # the prompt's Markdown
    assert "Derive ∂L/∂w." in prompt
    # the reference answer (w*x - y)*x as LaTeX for MathJax, with the gradient it is
    assert r"\(\frac{\partial L}{\partial w} = \left(w \cdot x - y\right) \cdot x\)" in answer
    assert r"\(\left(w \cdot x - y\right) \cdot x\)" in explanation
    assert "chain rule" in hints
    assert source == "ex-deriv · a test"
    assert notes[genanki.guid_for("ex-deriv")].tags == ["export-test", "chain_rule", "mine"]

    _, concept_answer, *_ = notes[genanki.guid_for("ex-concept")].fields
    assert "symmetry is never broken" in concept_answer
    assert "random init breaks the symmetry" in concept_answer  # a key point


def test_text_from_question_files_never_becomes_html(
    runner: CliRunner, bank: Path, tmp_path: Path
) -> None:
    deck = tmp_path / "deck.apkg"
    export(runner, bank, "--anki", str(deck))
    fields = [f for n in read_notes(deck, tmp_path).values() for f in n.fields]
    everything = "\n".join(fields)
    for tag in ("<script", "<img", "<b>not", "<i>the", "<a ", "href"):
        assert tag not in everything
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in everything
    assert "&lt;img src=x onerror=alert(1)&gt;" in everything
    assert "&lt;b&gt;not bold&lt;/b&gt; &amp;" in everything
    # Anki's own [sound:...] instruction is only text
    assert "[sound:" not in everything
    assert "[sound:boom.mp3] [see](javascript:alert(1))" in html.unescape(everything)


def test_numeric_note_shows_variants_and_their_values(
    runner: CliRunner, bank: Path, tmp_path: Path
) -> None:
    deck = tmp_path / "deck.apkg"
    export(runner, bank, "--anki", str(deck))
    prompt, answer, *_ = read_notes(deck, tmp_path)[genanki.guid_for("ex-numeric")].fields
    shown = html.unescape(re.sub(r"<[^>]*>", "\n", prompt))  # one line a tag: <pre>, <br>
    xs = [json.loads(m) for m in re.findall(r"^x\s+(\[.*\])$", shown, re.M)]
    Ws = [json.loads(m) for m in re.findall(r"^W1\s+(\[\[.*\]\])", shown, re.M)]
    bs = [json.loads(m) for m in re.findall(r"^b1\s+(\[.*\])$", shown, re.M)]
    values = [float(v) for v in re.findall(r"z1\[0\] = (-?[\d.]+)", html.unescape(answer))]
    assert len(xs) == len(Ws) == len(bs) == len(values) >= 2
    assert len({json.dumps(x) for x in xs}) == len(xs)  # distinct variants
    for x, W, b, value in zip(xs, Ws, bs, values, strict=True):
        z = np.array(W) @ np.array(x) + np.array(b)  # the oracle: z¹ = W¹x + b¹ by hand
        assert value == float(f"{z[0]:.3g}")


def test_reexport_keeps_guids_and_ids(runner: CliRunner, bank: Path, tmp_path: Path) -> None:
    first, second = tmp_path / "first.apkg", tmp_path / "second.apkg"
    export(runner, bank, "--anki", str(first))
    export(runner, bank, "--format", "anki", "-o", str(second))
    a, b = read_notes(first, tmp_path), read_notes(second, tmp_path)
    assert set(a) == set(b) == {genanki.guid_for(i) for i in IDS}
    assert {n.mid for n in (*a.values(), *b.values())} == {MODEL_ID}
    assert [a[g].fields for g in sorted(a)] == [b[g].fields for g in sorted(b)]


def test_export_respects_topic_and_kind(runner: CliRunner, bank: Path, tmp_path: Path) -> None:
    deck = tmp_path / "deck.apkg"
    export(runner, bank, "--kind", "concept", "--anki", str(deck))
    assert set(read_notes(deck, tmp_path)) == {genanki.guid_for("ex-concept")}


def test_json_export_round_trips_ids_and_fields(
    runner: CliRunner, bank: Path, tmp_path: Path
) -> None:
    out = tmp_path / "bank.json"
    export(runner, bank, "--format", "json", "-o", str(out))
    from_file = json.loads(out.read_text(encoding="utf-8"))
    from_stdout = json.loads(export(runner, bank, "--format", "json"))
    assert from_file == from_stdout
    by_id = {q["id"]: q for q in from_file}
    assert sorted(by_id) == sorted(IDS)
    deriv = by_id["ex-deriv"]
    assert deriv["prompt"].startswith("A **linear** neuron <script>")  # data, as written
    assert deriv["hints"] == ["<b>not bold</b> & [/] then the chain rule"]
    assert (deriv["loss"], deriv["wrt"], deriv["answer"]) == ("(w*x - y)^2/2", "w", "(w*x - y)*x")
    assert deriv["let"] == [] and deriv["shape"] == []
    assert deriv["tags"] == ["chain rule", "mine"]
    assert [w["diagnosis"] for w in deriv["wrong_answers"]] == ["missing_factor", "sign_flip"]
    assert by_id["ex-numeric"]["network"]["ask"] == "z1[0]"
    assert by_id["ex-numeric"]["network"]["layers"] == [2, 1]
    assert by_id["ex-concept"]["key_points"] == [
        "identical units get identical gradients",
        "random init breaks the symmetry",
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "say what to export"),
        (["--format", "xml"], "unknown --format"),
        (["--format", "anki"], "goes to a file"),
        (["--anki", "{tmp}/d.apkg", "--format", "json"], "leave out --format json"),
        (["--anki", "{tmp}/d.apkg", "-o", "{tmp}/e.apkg"], "leave out -o"),
        (["--anki", "{tmp}/deck.zip"], "only .apkg"),
        (["--anki", "{tmp}/no/such/dir/d.apkg"], "no such file or directory"),
        (["--format", "json", "-o", "{tmp}"], "cannot write"),
        (["--format", "json", "--kind", "numerics"], "unknown kind"),
        (["--format", "json", "--topic", "nope"], "no questions match"),
    ],
)
def test_bad_export_is_a_clear_error(
    runner: CliRunner, tmp_path: Path, args: list[str], message: str
) -> None:
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    before = sorted(tmp_path.rglob("*"))
    result = runner.invoke(app, ["bank", "export", *args])
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert "Traceback" not in result.output
    assert sorted(tmp_path.rglob("*")) == before  # nothing written, no temporary file left


def test_help_does_not_import_genanki() -> None:
    code = (
        "import sys; from typer.testing import CliRunner; from backprop_coach.cli import app; "
        "r = CliRunner().invoke(app, ['bank', 'export', '--help']); "
        "print(r.exit_code, 'genanki' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.split() == ["0", "False"]


# -- coverage ---------------------------------------------------------------------------------


def derivation(question_id: str, topic: str, tags: str = "[]", shape: str = "[]") -> str:
    text = DERIVATION.replace('id = "ex-deriv"', f'id = "{question_id}"')
    text = text.replace('topic = "export-test"', f'topic = "{topic}"')
    text = text.replace('tags = ["chain rule", "mine"]', f"tags = {tags}")
    return text.replace('wrt = "w"', f'wrt = "w"\nshape = {shape}')


@pytest.fixture
def layouts(tmp_path: Path) -> Path:
    """cov-a: 2 scalar derivations, 3 column (a vector; a 1x1 shape tagged column-layout; a
    matrix), 1 row (tagged row-layout, with shapes); cov-b: a numeric and a concept."""
    root = tmp_path / "layouts"
    write(root, "cov-a", "s1", derivation("s1", "cov-a"))
    write(root, "cov-a", "s2", derivation("s2", "cov-a", shape='["w=1x1"]'))
    write(root, "cov-a", "c1", derivation("c1", "cov-a", shape='["x=1x3", "w=3x1"]'))
    write(
        root, "cov-a", "c2", derivation("c2", "cov-a", tags='["column-layout"]', shape='["w=1x1"]')
    )
    write(root, "cov-a", "c3", derivation("c3", "cov-a", shape='["w=2x2", "x=2x1", "y=2x1"]'))
    write(
        root,
        "cov-a",
        "r1",
        derivation("r1", "cov-a", tags='["row-layout"]', shape='["x=1x3", "w=3x1"]'),
    )
    write(root, "cov-b", "n1", NUMERIC.replace("ex-numeric", "n1").replace("export-test", "cov-b"))
    write(root, "cov-b", "k1", CONCEPT.replace("ex-concept", "k1").replace("export-test", "cov-b"))
    return root


EXPECTED = {
    "topics": [
        {"topic": "cov-a", "derivation": {"scalar": 2, "column": 3, "row": 1}, "numeric": 0,
         "concept": 0, "total": 6},
        {"topic": "cov-b", "derivation": {"scalar": 0, "column": 0, "row": 0}, "numeric": 1,
         "concept": 1, "total": 2},
    ],
    "total": {"derivation": {"scalar": 2, "column": 3, "row": 1}, "numeric": 1, "concept": 1,
              "total": 8},
}  # fmt: skip


def test_coverage_counts_topics_kinds_and_layouts(layouts: Path) -> None:
    loaded = load_bank(dirs=[layouts])
    assert not loaded.problems, loaded.problems
    assert coverage(loaded.questions).to_json() == EXPECTED


def test_cli_coverage_table_and_json(runner: CliRunner, layouts: Path) -> None:
    base = [
        "bank",
        "list",
        "--coverage",
        "--bank",
        str(layouts),
        "--topic",
        "cov-a",
        "--topic",
        "cov-b",
    ]
    result = runner.invoke(app, [*base, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == EXPECTED
    result = runner.invoke(app, base)
    assert result.exit_code == 0, result.output
    rows = {
        cells[0]: cells[1:]
        for line in result.stdout.splitlines()
        if len(cells := [c.strip() for c in line.replace("┃", "│").strip("│ ").split("│")]) == 7
    }
    assert rows["topic"] == ["scalar", "column", "row", "numeric", "concept", "total"]
    assert rows["cov-a"] == ["2", "3", "1", "·", "·", "6"]
    assert rows["cov-b"] == ["·", "·", "·", "1", "1", "2"]
    assert rows["total"] == ["2", "3", "1", "1", "1", "8"]
    nothing = runner.invoke(app, [*base[:-4], "--topic", "nope"])
    assert nothing.exit_code == 1 and "no questions match" in nothing.stderr


def test_anki_itself_imports_the_deck_and_updates_notes_on_reimport(
    runner: CliRunner, bank: Path, tmp_path: Path
) -> None:
    """The oracle is Anki's own importer (the `anki` package, when installed; not a dependency):
    a second export of a changed question updates its note, and adds nothing."""
    collection = pytest.importorskip("anki.collection")
    from anki.import_export_pb2 import ImportAnkiPackageUpdateCondition

    always = ImportAnkiPackageUpdateCondition.IMPORT_ANKI_PACKAGE_UPDATE_CONDITION_ALWAYS
    (tmp_path / "anki").mkdir()
    col = collection.Collection(str(tmp_path / "anki" / "collection.anki2"))
    try:

        def import_deck(deck: Path) -> tuple[int, int]:
            options = collection.ImportAnkiPackageOptions(
                update_notes=always, update_notetypes=always
            )
            request = collection.ImportAnkiPackageRequest(package_path=str(deck), options=options)
            log = col.import_anki_package(request).log
            return len(log.new), len(log.updated)

        first, second = tmp_path / "first.apkg", tmp_path / "second.apkg"
        export(runner, bank, "--anki", str(first))
        assert import_deck(first) == (3, 0)
        path = bank / TOPIC / "ex-concept.toml"
        path.write_text(CONCEPT.replace("every weight to zero", "all weights to one constant"))
        export(runner, bank, "--anki", str(second))
        new, updated = import_deck(second)
        assert (new, col.note_count(), col.card_count()) == (0, 3, 3)
        assert updated >= 1
        (note_id,) = col.find_notes('"deck:backprop-coach" tag:init')
        note = col.get_note(note_id)
        assert "all weights to one constant" in note["Prompt"]
        assert note.note_type()["name"] == "backprop-coach question"
    finally:
        col.close()


def test_a_failing_temporary_collection_is_a_clear_error(
    runner: CliRunner, bank: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from backprop_coach.bank import export as core

    def full(*args: object, **kwargs: object) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(core.sqlite3, "connect", full)
    deck = tmp_path / "deck.apkg"
    deck.write_bytes(b"the old deck")
    result = runner.invoke(app, ["bank", "export", "--bank", str(bank), "--anki", str(deck)])
    assert result.exit_code == 2, result.output
    assert "database or disk is full" in result.stderr
    assert deck.read_bytes() == b"the old deck"  # the old file is whole
