"""Cheat sheets: every identity proved by the checker, links to real bank topics, exports."""

from __future__ import annotations

import html
import io
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from rich.cells import cell_len
from rich.console import Console
from typer.testing import CliRunner

from backprop_coach.bank.load import load_bank, shipped_bank
from backprop_coach.cli import app
from backprop_coach.expr.problem import Problem
from backprop_coach.grading.grader import check
from backprop_coach.render.sheets import render_sheet, sheets_svg
from backprop_coach.render.sheets_html import formula_html, sheets_html
from backprop_coach.sheets.content import SHEETS
from backprop_coach.sheets.model import Code, Definition, Identity, Note, Section, Sheet

IDENTITIES = [(s.name, i) for s in SHEETS.values() for i in s.identities]


@pytest.mark.parametrize(
    ("sheet", "identity"), IDENTITIES, ids=[f"{s}:{i.label}" for s, i in IDENTITIES]
)
def test_every_identity_is_proved(sheet: str, identity) -> None:  # type: ignore[no-untyped-def]
    verdict = check(identity.problem, identity.claim)
    assert verdict.verdict == "correct", f"{sheet}: {identity.label}: {verdict.message}"


def test_a_wrong_identity_would_be_caught() -> None:
    identity = SHEETS["backward"].identities[0]
    assert check(identity.problem, "a - y").verdict == "incorrect"  # BP1 without f'(z)


def test_sheets_cover_the_topics_and_link_to_the_bank() -> None:
    assert set(SHEETS) == {"forward", "backward", "activations", "losses", "update", "pitfalls"}
    topics = set(load_bank(dirs=[shipped_bank()]).topics)
    for sheet in SHEETS.values():
        assert sheet.topics and set(sheet.topics) <= topics, sheet.name


@pytest.mark.parametrize("name", list(SHEETS))
def test_sheets_fit_80_columns(name: str) -> None:
    console = Console(width=80, file=io.StringIO(), color_system=None)
    console.print(render_sheet(SHEETS[name]))
    lines = console.file.getvalue().splitlines()  # type: ignore[attr-defined]
    assert lines and max(cell_len(line) for line in lines) <= 80


def _data_text(sheet) -> str:  # type: ignore[no-untyped-def]
    """Every piece of text a sheet's data holds."""
    parts = [sheet.title]
    for section in sheet.sections:
        parts.append(section.title)
        for entry in section.entries:
            parts += [
                getattr(entry, name, "") for name in ("label", "formula", "text", "title", "code")
            ]
    return "".join(parts)


@pytest.mark.parametrize("name", list(SHEETS))
def test_no_data_text_is_read_as_markup(name: str) -> None:
    """BCE's L = −Σ [y log a + (1 − y) log(1 − a)] once lost its bracket to Rich markup, so the
    sheet taught a wrong loss: every bracket in the data must reach the terminal."""
    console = Console(width=80, file=io.StringIO(), color_system=None)
    console.print(render_sheet(SHEETS[name]))
    shown = console.file.getvalue()  # type: ignore[attr-defined]
    data = _data_text(SHEETS[name])
    for bracket in "[]":
        assert shown.count(bracket) == data.count(bracket), bracket
    if name == "losses":
        assert "[y log a + (1 − y) log(1 − a)]" in shown


@pytest.mark.parametrize("fmt", ["html", "svg", "markdown", "text"])
def test_exports_contain_the_formulas(runner: CliRunner, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"sheet.{fmt}"
    result = runner.invoke(app, ["cheatsheet", "all", "--format", fmt, "-o", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    for fragment in ("softmax", "Wˡ⁺¹", "relative error", "quiz --topic"):
        if fmt == "svg":  # SVG text escapes spaces and splits runs
            fragment = fragment.split()[0]
        assert fragment in text, (fmt, fragment)
    if fmt == "html":
        assert text.lstrip().lower().startswith("<!doctype html>")
    if fmt == "svg":
        assert text.lstrip().startswith("<svg")


def test_terminal_and_errors(runner: CliRunner) -> None:
    result = runner.invoke(app, ["cheatsheet", "losses"])
    assert result.exit_code == 0 and "∂L/∂z = p − y" in result.output
    assert runner.invoke(app, ["cheatsheet", "nope"]).exit_code == 2
    assert "did you mean backward?" in runner.invoke(app, ["cheatsheet", "backwards"]).output
    assert runner.invoke(app, ["cheatsheet", "all", "--format", "pdf"]).exit_code == 2


# --- printable exports: the HTML page and the SVG page -------------------------------------

FORMULAS = [
    (s.name, e)
    for s in SHEETS.values()
    for section in s.sections
    for e in section.entries
    if isinstance(e, Identity | Definition)
]
# symbols a formula's LaTeX must carry over from its text (Σ and ᵀ are typeset as ∑ and ⊤)
SYMBOLS = set("αβγδεηθλμσφΔ∂∇⊙←→≈") | {"Σ", "ᵀ"}
TYPESET = {"Σ": "∑", "ᵀ": "⊤"}
VOID = {"meta", "br", "hr", "img", "link", "input", "wbr"}


class Page(HTMLParser):
    """A strict reading of a page: every tag closed in order, all text and attributes kept."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.tags: list[str] = []
        self.text: dict[str, list[str]] = {}  # text by the innermost tag it is in
        self.data: list[str] = []  # all text in document order
        self.attrs: list[str] = []
        self.doctype = ""

    def handle_decl(self, decl: str) -> None:
        self.doctype = decl

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs += [value or "" for _, value in attrs]
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs += [value or "" for _, value in attrs]

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:]}")
        else:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.setdefault(self.stack[-1] if self.stack else "", []).append(data)
        self.data.append(data)

    def all_text(self) -> str:
        return "".join(self.data)


def read_page(html: str) -> Page:
    page = Page()
    page.feed(html)
    page.close()
    assert not page.errors and not page.stack, (page.errors, page.stack)
    return page


def _typeset_text(latex: str) -> str:
    """What a reader sees of a formula: the text of its MathML and prose, tags dropped."""
    return read_page(formula_html(latex)).all_text()


@pytest.mark.parametrize(("sheet", "entry"), FORMULAS, ids=[f"{s}:{e.label}" for s, e in FORMULAS])
def test_every_formula_has_latex_that_typesets(sheet: str, entry: Identity | Definition) -> None:
    """Each formula's LaTeX converts to MathML, and says what its text says: every Greek letter
    and operator of the text formula is in the typeset one, and no other Greek letter."""
    assert entry.latex.strip(), f"{sheet}: {entry.label} has no LaTeX"
    html = formula_html(entry.latex)
    assert "<math" in html
    shown = _typeset_text(entry.latex)
    for symbol in SYMBOLS & set(entry.formula):
        assert TYPESET.get(symbol, symbol) in shown, (entry.label, symbol)
    greek = {c for c in shown if "α" <= c <= "ω" or "Α" <= c <= "Ω"}
    assert greek <= set(entry.formula), (entry.label, greek - set(entry.formula))


def test_latex_that_does_not_convert_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="cannot typeset"):
        formula_html(r"x^1^2")  # a double superscript


@pytest.fixture(scope="module")
def html_page() -> str:
    return sheets_html(list(SHEETS.values()), "backprop-coach cheat sheets")


def test_html_is_a_standalone_document(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "sheets.html"
    result = runner.invoke(app, ["cheatsheet", "all", "--format", "html", "-o", str(out)])
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    page = read_page(html)
    assert page.doctype.lower() == "doctype html"
    assert "".join(page.text["title"]) == "backprop-coach cheat sheets"
    assert page.text["h2"] == [s.title for s in SHEETS.values()]  # one h2 per sheet, in order
    assert page.text["h3"] == [sec.title for s in SHEETS.values() for sec in s.sections]
    assert page.tags.count("math") >= len(FORMULAS)
    assert page.tags.count("table") == sum(
        any(isinstance(e, Identity | Definition) for e in sec.entries)
        for s in SHEETS.values()
        for sec in s.sections
    )
    # code blocks are the only <pre>: no terminal dump of the whole page
    codes = [
        e.code
        for s in SHEETS.values()
        for sec in s.sections
        for e in sec.entries
        if isinstance(e, Code)
    ]
    assert page.tags.count("pre") == len(codes)
    assert all(code in page.text["code"] for code in codes)
    assert page.text["td"].count("✓") == sum(len(s.identities) for s in SHEETS.values())
    assert "✓ proved by backprop-coach's checker" in page.text["p"]
    for sheet in SHEETS.values():
        assert f"backprop-coach quiz --topic {sheet.topics[0]}" in page.text["code"]
    # nothing is fetched at view time: no script, no link, no external font or image
    assert not {"script", "link", "img", "iframe"} & set(page.tags)
    assert not re.search(r"https?://(?!www\.w3\.org/1998/Math/MathML)", html)
    assert "url(" not in html and "@import" not in html
    assert "@media print" in html and "@page" in html


def test_html_keeps_every_data_string_intact(html_page: str) -> None:
    """Every label, note, title and code block (brackets and all: a[0], [y log a + …]) reaches
    the page as text, and each text formula rides along as its cell's title."""
    page = read_page(html_page)
    text = page.all_text()
    for sheet in SHEETS.values():
        for section in sheet.sections:
            for e in section.entries:
                for name in ("label", "text", "title", "code"):
                    value = getattr(e, name, None)
                    if value is not None:
                        assert value in text, (sheet.name, name, value)
                if isinstance(e, Identity | Definition):
                    assert e.formula in page.attrs, (sheet.name, e.formula)
    assert "L = −Σ [y log a + (1 − y) log(1 − a)]" in page.attrs
    bce = _typeset_text(next(e.latex for _, e in FORMULAS if e.label == "BCE"))
    assert bce.index("[") < bce.index("log") < bce.index("]")


INJECT = "<script>alert(1)</script> & [b]x[/b] [red]y[/red]"


def _hostile_sheet() -> Sheet:
    """A sheet with HTML and Rich markup in every kind of field."""
    return Sheet(
        "hostile",
        f"title {INJECT}",
        (
            Section(
                f"section {INJECT}",
                (
                    Identity(
                        f"identity {INJECT}",
                        f"formula {INJECT}",
                        rf"x < y \text{{ {INJECT} }} x_{{\text{{{INJECT}}}}}",
                        Problem("w", "w"),
                        "1",
                    ),
                    Definition(f"definition {INJECT}", f"formula {INJECT}", r"a \quad b > c"),
                    Note(f"note {INJECT}"),
                    Code(f"code {INJECT}", f"print('{INJECT}')"),
                ),
            ),
        ),
        (f"topic{INJECT}",),
    )


def test_html_escapes_everything_from_data() -> None:
    html = sheets_html([_hostile_sheet()], f"page {INJECT}")
    assert "<script" not in html.lower()
    page = read_page(html)
    assert "script" not in page.tags
    text = page.all_text()
    # sheet and page title, section, two labels, note, code title and code, topic, the LaTeX's
    # prose (twice: top level and inside a subscript), and both formulas in title attributes
    assert text.count(INJECT) == 11
    assert sum(a.count(INJECT) for a in page.attrs) == 2
    assert {"<", ">"} <= set("".join(page.text["mo"]))


def _svg_text(svg: str) -> str:
    """The characters an SVG page shows (Rich writes spaces as no-break spaces)."""
    runs = re.findall(r"<text[^>]*>(.*?)</text>", svg, re.DOTALL)
    return html.unescape("".join(runs)).replace("\xa0", " ")


def test_svg_is_a_light_page(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "sheet.svg"
    result = runner.invoke(app, ["cheatsheet", "losses", "--format", "svg", "-o", str(out)])
    assert result.exit_code == 0, result.output
    svg = out.read_text(encoding="utf-8")
    width, height = re.search(r'<svg[^>]* width="([\d.]+)" height="([\d.]+)"', svg).groups()  # type: ignore[union-attr]
    first = re.search(r"<rect [^>]*>", svg[svg.index("</defs>") :]).group()  # type: ignore[union-attr]
    assert f'width="{width}" height="{height}" fill="#ffffff"' in first  # a white page
    text_fill = re.search(r"-r1 \{ fill: #([0-9a-f]{6})", svg).group(1)  # type: ignore[union-attr]
    assert sum(int(text_fill[i : i + 2], 16) for i in (0, 2, 4)) < 3 * 64  # dark text
    assert "<circle" not in svg  # no terminal window chrome
    assert "https://" not in svg  # no web fonts
    shown = _svg_text(svg)
    assert "backprop-coach cheat sheet: losses" in shown
    assert "[y log a + (1 − y) log(1 − a)]" in shown


def test_svg_never_reads_data_as_markup() -> None:
    svg = sheets_svg([_hostile_sheet()], f"page {INJECT}")
    assert "<script" not in svg.lower()
    shown = _svg_text(svg)
    data = _data_text(_hostile_sheet())
    for bracket in "[]":
        # the page title is drawn twice (<title> and the heading), the sheet's data once
        assert shown.count(bracket) == data.count(bracket) + 2 * INJECT.count(bracket), bracket
    assert "[b]x[/b]" in shown and "[red]y[/red]" in shown


def test_the_loop_keeps_db_a_column_so_the_update_does_not_broadcast() -> None:
    """numpy: b (n, 1) − lr·db (n,) broadcasts to (n, n), the trap the sheet must not teach."""
    import numpy as np

    from backprop_coach.sheets.content import SHEETS
    from backprop_coach.sheets.model import Code

    code = next(
        e.code for s in SHEETS["backward"].sections for e in s.entries if isinstance(e, Code)
    )
    line = next(ln for ln in code.splitlines() if ln.strip().startswith("db[l] ="))
    delta = np.arange(6.0).reshape(3, 2)  # 3 units, a batch of 2
    # the sheet's own numpy line (our text, not a user's), run on a δ of 3 units over 2 examples
    db = eval(line.split("=", 1)[1].split("#")[0].replace("delta[l]", "delta"), {}, {"delta": delta})
    b = np.zeros((3, 1))
    assert (b - 0.1 * db).shape == (3, 1)
