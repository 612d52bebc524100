"""The bank for other tools: an Anki deck (.apkg, written with genanki) and JSON.

One Anki note a question, with the fields Prompt, Answer, Explanation and Hints. Its GUID is
`genanki.guid_for(question.id)`, and the note type and deck ids are constants, so importing a
new export updates the notes already in Anki instead of adding copies.

Anki fields are HTML. Text from question files is data, never markup: Markdown (prompts, model
answers) is rendered with raw HTML, links and images turned off, so every character of the file
comes out escaped; plain text (hints, steps, key points) goes through `html.escape`. `[` is
written `&#91;` everywhere, so `[sound:...]` in a file cannot play anything either. Control
characters are stripped first (untrusted.printable).
"""

from __future__ import annotations

import errno
import html
import io
import itertools
import json
import re
import sqlite3
import tempfile
import time
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import genanki
from markdown_it import MarkdownIt

from backprop_coach.bank.model import Question
from backprop_coach.expr.errors import ExprError
from backprop_coach.expr.parse import parse
from backprop_coach.expr.tree import Deriv, to_latex
from backprop_coach.untrusted import printable

# Chosen once at random. Never change them: Anki knows the note type and the deck by these ids,
# and a changed one turns every re-import into a second copy of the deck.
MODEL_ID = 1_871_206_433
DECK_ID = 1_318_957_246
DECK_NAME = "backprop-coach"
FIELDS = ("Prompt", "Answer", "Explanation", "Hints", "Source")  # append only: never reorder
VARIANT_SEEDS = (1, 2, 3)  # numeric questions: the variants every export draws (stable)

_CSS = """.card { font-family: sans-serif; font-size: 18px; text-align: left; }
pre { font-size: 15px; }
.dim { color: #888; font-size: 15px; }"""
_FRONT = "{{Prompt}}{{#Hints}}<br>{{hint:Hints}}{{/Hints}}"
_BACK = (
    "{{Prompt}}<hr id=answer>{{Answer}}"
    "{{#Explanation}}<br><div class=dim>worked answer</div>{{Explanation}}{{/Explanation}}"
    "<br><div class=dim>{{Source}}</div>"
)
_DESCRIPTION = (
    "Questions from backprop-coach (bank export --anki). Import a new export to update these "
    "notes; practise them in the tool with: backprop-coach quiz --question ID."
)


@dataclass(frozen=True)
class Note:
    """One question as an Anki note: fields as HTML, tags without spaces."""

    guid: str
    prompt: str
    answer: str
    explanation: str
    hints: str
    source: str  # the question's id and where to learn more
    tags: tuple[str, ...]

    @property
    def fields(self) -> list[str]:
        return [self.prompt, self.answer, self.explanation, self.hints, self.source]


def note_for(question: Question) -> Note:
    """The Anki note of a question. Numeric questions show drawn variants (VARIANT_SEEDS) in
    the prompt and each variant's value in the answer.

    Raises nothing for a question the bank loaded: an answer or step that does not parse (it
    always does after loading) is shown as escaped text instead of LaTeX."""
    prompt = _markdown(question.prompt)
    if question.kind == "derivation":
        answer = _derivation_answer(question)
    elif question.kind == "numeric":
        variants, answer = _numeric_variants(question)
        prompt += variants
    else:
        answer = _markdown(question.model_answer or "")
        if question.key_points:
            answer += "<p><b>key points</b></p>" + _list(question.key_points)
    return Note(
        guid=genanki.guid_for(question.id),
        prompt=prompt,
        answer=answer,
        explanation=_explanation(question),
        hints=_list(question.hints, ordered=True),
        source=_text(f"{question.id} · {question.source}"),
        tags=anki_tags(question),
    )


def anki_tags(question: Question) -> tuple[str, ...]:
    """The topic and the tags, in order and each once; Anki tags cannot hold spaces, so a run
    of whitespace becomes `_`. Raises nothing."""
    tags: list[str] = []
    for tag in (question.topic, *question.tags):
        clean = re.sub(r"\s+", "_", printable(tag).strip())
        if clean and clean not in tags:
            tags.append(clean)
    return tuple(tags)


def anki_package(questions: Sequence[Question], timestamp: float | None = None) -> bytes:
    """The .apkg file of a deck holding one note per question (see note_for).

    genanki's own write_to_file leaves its temporary database behind; here it is built in a
    temporary folder that is removed, and the package is returned as bytes so that the caller
    writes it atomically. Raises OSError when the temporary collection cannot be made or
    written (no temporary folder, a full disk; SQLite's errors included)."""
    model = _model()
    deck = genanki.Deck(DECK_ID, DECK_NAME, description=_DESCRIPTION)
    for question in questions:
        note = note_for(question)
        deck.add_note(
            genanki.Note(model=model, fields=note.fields, tags=list(note.tags), guid=note.guid)
        )
    stamp = time.time() if timestamp is None else timestamp
    with tempfile.TemporaryDirectory(prefix="backprop-coach-") as folder:
        database = Path(folder) / "collection.anki2"
        try:
            connection = sqlite3.connect(database)
            try:
                package = genanki.Package(deck)
                package.write_to_db(connection.cursor(), stamp, itertools.count(int(stamp * 1000)))
                connection.commit()
            finally:
                connection.close()
        except sqlite3.Error as err:  # a full or read-only temporary folder, as SQLite says it
            raise OSError(errno.EIO, f"the temporary Anki collection: {err}") from err
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.write(database, "collection.anki2")
            archive.writestr("media", "{}")
    return buffer.getvalue()


def questions_json(questions: Sequence[Question]) -> list[dict[str, Any]]:
    """Every field of every question (Question.to_json: a derivation's problem as the check
    command's --let, --shape and --domain specs). Raises nothing."""
    return [q.to_json() for q in questions]


def json_text(questions: Sequence[Question]) -> str:
    """questions_json as an indented JSON document, for a file. Raises nothing: question text
    is valid Unicode (TOML cannot hold a lone surrogate)."""
    return json.dumps(questions_json(questions), ensure_ascii=False, indent=2) + "\n"


# -- the fields ---------------------------------------------------------------------------------


@cache
def _model() -> Any:
    return genanki.Model(
        MODEL_ID,
        "backprop-coach question",
        fields=[{"name": name} for name in FIELDS],
        templates=[{"name": "question", "qfmt": _FRONT, "afmt": _BACK}],
        css=_CSS,
    )


@cache
def _markdown_parser() -> MarkdownIt:
    # commonmark without raw HTML, links or images: a file's `<script>` or `[x](javascript:)`
    # comes out as the text it is
    return MarkdownIt("commonmark", {"html": False}).disable(
        ["html_inline", "html_block", "link", "image", "autolink"]
    )


def _markdown(text: str) -> str:
    return _anki_safe(_markdown_parser().render(printable(text)).strip())


def _text(text: str) -> str:
    return _anki_safe(html.escape(printable(text)).replace("\n", "<br>"))


def _anki_safe(markup: str) -> str:
    """`[sound:x]` and `[anki:...]` are Anki's own instructions: `[` as an entity is only text."""
    return markup.replace("[", "&#91;")


def _list(items: Sequence[str], ordered: bool = False) -> str:
    if not items:
        return ""
    tag = "ol" if ordered else "ul"
    return f"<{tag}>" + "".join(f"<li>{_text(item)}</li>" for item in items) + f"</{tag}>"


def _math(latex: str) -> str:
    """LaTeX for Anki's MathJax, inline."""
    return _anki_safe(rf"\({html.escape(latex)}\)")


def _latex(question: Question, expression: str) -> str | None:
    """An expression of the question's problem as LaTeX (⊙ for elementwise products when the
    problem has matrices, · otherwise), or None when it does not parse."""
    try:
        tree = parse(expression).tree
    except ExprError:
        return None
    shapes = question.problem.shapes if question.problem is not None else {}
    return to_latex(tree, r"\odot" if shapes else r"\cdot")


def _derivation_answer(question: Question) -> str:
    assert question.problem is not None and question.answer is not None
    latex = _latex(question, question.answer)
    typed = f"<div class=dim>as the tool reads it: <code>{_text(question.answer)}</code></div>"
    if latex is None:
        return f"<p>{_text(question.answer)}</p>"
    gradient = to_latex(Deriv("L", question.problem.wrt))
    return f"<p>{_math(f'{gradient} = {latex}')}</p>{typed}"


def _explanation(question: Question) -> str:
    steps = []
    for step in question.explanation:
        item = _text(step.text)
        if step.expr:
            latex = _latex(question, step.expr)
            item += "<br>" + (_math(latex) if latex is not None else _text(step.expr))
        steps.append(f"<li>{item}</li>")
    return f"<ol>{''.join(steps)}</ol>" if steps else ""


def _numeric_variants(question: Question) -> tuple[str, str]:
    """The prompt's addition (each variant's numbers) and the answer (each variant's value,
    correctly rounded to the question's figures, and the formula it comes from)."""
    from backprop_coach.bank.grade import numeric_truth
    from backprop_coach.grading.rounding import decimals_for

    spec = question.numeric
    assert spec is not None
    shown: list[str] = []
    answers: list[str] = []
    for number, seed in enumerate(VARIANT_SEEDS, start=1):
        worked, value, law = numeric_truth(spec, seed)
        net = worked.network
        lines = [f"x     {_numbers(net.x, spec.decimals)}"]
        for l, layer in enumerate(net.layers, start=1):
            rows, columns = layer.W.shape
            lines.append(
                f"W{l}    {_numbers(layer.W, spec.decimals)}   ({rows}x{columns}, {layer.activation})"
            )
            lines.append(f"b{l}    {_numbers(layer.b, spec.decimals)}")
        lines += [
            f"y     {_numbers(net.y, spec.decimals)}",
            f"η     {net.lr:g}",
            f"loss  {net.loss}",
        ]
        shown.append(f"<p><b>variant {number}</b></p><pre>{_text(chr(10).join(lines))}</pre>")
        rounded = f"{value:.{decimals_for(value, spec.figures)}f}"
        answers.append(
            f"<p><b>variant {number}</b>: {_text(f'{spec.ask} = {rounded}')}"
            f"<br><span class=dim>{_text(f'from {law}')}</span></p>"
        )
    figures = f"<p class=dim>answer {_text(spec.ask)} to {spec.figures} significant figures</p>"
    return figures + "".join(shown), "".join(answers)


def _numbers(values: Any, decimals: int) -> str:
    """A column (one example) as a list, a matrix as a list of rows."""
    columns = values.shape[1] if values.ndim == 2 else 1
    if values.ndim == 2 and columns == 1:
        values = values[:, 0]

    def show(v: Any) -> str:
        if getattr(v, "ndim", 0):
            return "[" + ", ".join(show(x) for x in v) + "]"
        return f"{float(v):.{decimals}f}"

    return show(values)
