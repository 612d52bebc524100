r"""Cheat sheets as one standalone HTML page to print: headings per sheet and section, a table
per section (label | formula | ✓), notes as lists, code as <pre><code>, formulas typeset as
MathML (converted from each entry's hand-written LaTeX by latex2mathml), and a print stylesheet.
The page loads nothing: no script, no external font or stylesheet, so it works offline.

Everything taken from the data is HTML-escaped, MathML included: latex2mathml leaves text such
as `\text{<b>}` unescaped in its string output, so this module serialises its element tree
itself. At the top level of a formula, `\text{...}` becomes prose and `\quad` a gap where a long
row may wrap (MathML never wraps inside one formula)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from html import escape
from xml.etree.ElementTree import Element, tostring

from latex2mathml.converter import convert_to_element

from backprop_coach.sheets.model import Code, Definition, Identity, Note, Sheet

PROVED = "✓ proved by backprop-coach's checker"

_ENTITY = re.compile(r"&#x([0-9A-Fa-f]+);")  # how latex2mathml writes every symbol it maps
_GAPS = ("qquad", "quad")

STYLE = """
:root { color-scheme: light; color: #000; background: #fff; }
body {
  font: 11pt/1.45 "Source Serif 4", "Source Serif Pro", Georgia, "DejaVu Serif", serif;
  max-width: 46rem; margin: 2rem auto; padding: 0 1rem;
}
h1 { font-size: 19pt; margin: 0 0 0.15em; }
h1 + p { margin: 0 0 1.2em; font-size: 9.5pt; }
h2 {
  font-size: 14pt; margin: 1.6em 0 0.3em; padding-bottom: 2pt;
  border-bottom: 1.5pt solid #000;
}
h3 { font-size: 10.5pt; margin: 0.9em 0 0.2em; font-variant: small-caps; letter-spacing: 0.02em; }
table { width: 100%; border-collapse: collapse; }
th, td { text-align: left; vertical-align: middle; padding: 3.5pt 5pt 3.5pt 0; }
tr { border-bottom: 0.5pt solid #c8c8c8; }
th { width: 22%; font-weight: 600; }
td.mark { width: 1.2em; padding-right: 0; text-align: right; }
math {
  font-size: 1.08em; math-style: normal;
  font-family: "STIX Two Math", "Latin Modern Math", "Cambria Math", "DejaVu Math TeX Gyre", math;
}
.gap { display: inline-block; width: 1.1em; }
ul { margin: 0.4em 0 0; padding-left: 1.2em; }
li { margin: 0.15em 0; }
figure { margin: 0.6em 0 0; }
figcaption { font-size: 9.5pt; font-style: italic; }
pre {
  margin: 0.2em 0 0; padding: 5pt 8pt; background: #f3f3f3; border-left: 2pt solid #777;
  white-space: pre-wrap; font-size: 9pt; line-height: 1.35;
}
code { font-family: "DejaVu Sans Mono", Menlo, Consolas, "Liberation Mono", monospace; }
.legend, .drill { margin: 0.6em 0 0; font-size: 9pt; }
@page { margin: 14mm 15mm; }
@media print {
  body { max-width: none; margin: 0; padding: 0; font-size: 10pt; }
  h1 + p { margin-bottom: 0.6em; }
  h2 { margin-top: 1.1em; }
  section.sheet > section, tr, li, figure { break-inside: avoid; }
  h2, h3, figcaption { break-after: avoid; }
  pre { background: none; border: 0.5pt solid #777; }
}
"""


def sheets_html(sheets: Sequence[Sheet], title: str) -> str:
    """The whole page for `sheets`, `title` in <title> and <h1>.

    Raises ValueError when an entry's LaTeX cannot be converted (the tests convert every
    shipped entry, so only new content can)."""
    body = "\n".join(_sheet(sheet) for sheet in sheets)
    return (
        "<!doctype html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
        f"<h1>{escape(title)}</h1>\n"
        f"<p>{escape(PROVED)}: every derivative marked ✓ is graded by the checker in the "
        "test suite.</p>\n"
        f"{body}\n</body>\n</html>\n"
    )


def _sheet(sheet: Sheet) -> str:
    parts = [
        f'<section class="sheet" id="{escape(sheet.name)}">',
        f"<h2>{escape(sheet.title)}</h2>",
    ]
    for section in sheet.sections:
        parts.append(f"<section>\n<h3>{escape(section.title)}</h3>")
        rows = [e for e in section.entries if isinstance(e, Identity | Definition)]
        if rows:
            parts.append("<table>")
            parts += (_row(e) for e in rows)
            parts.append("</table>")
        notes = [e for e in section.entries if isinstance(e, Note)]
        if notes:
            parts.append("<ul>" + "".join(f"<li>{escape(n.text)}</li>" for n in notes) + "</ul>")
        for code in (e for e in section.entries if isinstance(e, Code)):
            parts.append(
                f"<figure><figcaption>{escape(code.title)}</figcaption>"
                f"<pre><code>{escape(code.code)}</code></pre></figure>"
            )
        parts.append("</section>")
    if sheet.identities:
        parts.append(f'<p class="legend">{escape(PROVED)}</p>')
    if sheet.topics:
        first, *rest = sheet.topics
        also = f" (also: {escape(', '.join(rest))})" if rest else ""
        parts.append(
            f'<p class="drill">drill it: <code>backprop-coach quiz --topic {escape(first)}'
            f"</code>{also}</p>"
        )
    parts.append("</section>")
    return "\n".join(parts)


def _row(entry: Identity | Definition) -> str:
    mark = "✓" if isinstance(entry, Identity) else ""
    return (
        f'<tr><th scope="row">{escape(entry.label)}</th>'
        f'<td title="{escape(entry.formula)}">{formula_html(entry.latex)}</td>'
        f'<td class="mark">{mark}</td></tr>'
    )


def formula_html(latex: str) -> str:
    r"""One entry's formula as HTML: its formulas as <math>, its top-level `\text{...}` as
    escaped prose and its top-level `\quad` as a gap a line may break at.

    Raises ValueError when a piece is not LaTeX that latex2mathml can convert."""
    html: list[str] = []
    for kind, piece in _pieces(latex):
        if kind == "text":
            html.append(escape(piece))
        elif kind == "gap":
            html.append('<span class="gap"></span>')
        elif piece.strip():
            html.append(mathml(piece))
    return "".join(html)


def mathml(latex: str) -> str:
    """One formula as a <math> element, every text in it escaped.

    Raises ValueError when latex2mathml cannot convert `latex`."""
    try:
        root = convert_to_element(latex)
    except Exception as err:  # latex2mathml's errors share no base class
        raise ValueError(f"cannot typeset {latex!r}: {type(err).__name__} {err}") from err
    for element in root.iter():
        _decode(element)
    _tidy(root)
    return tostring(root, encoding="unicode", short_empty_elements=False)


def _decode(element: Element) -> None:
    """latex2mathml stores symbols as the literal text `&#x003C3;`; make them characters, so
    that the serialiser escapes what must be escaped (`<`, `&`) and nothing else."""

    def char(match: re.Match[str]) -> str:
        return chr(int(match.group(1), 16))

    if element.text:
        element.text = _ENTITY.sub(char, element.text)
    if element.tail:
        element.tail = _ENTITY.sub(char, element.tail)
    for name, value in element.attrib.items():
        element.attrib[name] = _ENTITY.sub(char, value)


def _tidy(root: Element) -> None:
    """Typeset two things as TeX does, which latex2mathml's tree leaves to a math font most
    machines lack: a prime sits beside its base (f′, not a raised ′ above f), and a function
    name (log, max, softmax) is upright with a thin space from a neighbour that is not a bracket
    (y log a, not ylog a)."""
    for element in root.iter():
        kids = list(element)
        if element.tag == "msup" and len(kids) == 2 and _is_prime(kids[1]):
            element.tag = "mrow"
            kids[1].tag = "mo"
            kids[1].attrib.clear()
            kids[1].attrib.update(lspace="0", rspace="0")
        for kid in kids:
            if _is_name(kid):
                kid.tag = "mi"
                kid.attrib.clear()
    for element in list(root.iter()):
        if element.tag not in ("math", "mrow", "mtd", "mstyle"):
            continue  # msup, mfrac, ... have a fixed number of children
        kids = list(element)
        for i in reversed(range(len(kids))):
            if not _is_name(kids[i]):
                continue
            after = kids[i + 1] if i + 1 < len(kids) else None
            if after is not None and not (_is_open(after) or _is_prime(after)):
                element.insert(i + 1, _thin())
            if i > 0 and kids[i - 1].tag != "mo":
                element.insert(i, _thin())


def _is_prime(element: Element) -> bool:
    return not len(element) and bool(element.text) and set(element.text or "") <= {"′", "″", "‴"}


def _is_name(element: Element) -> bool:
    text = element.text or ""
    return element.tag in ("mi", "mo") and not len(element) and len(text) > 1 and text.isalpha()


def _is_open(element: Element) -> bool:
    first = element[0] if element.tag == "mrow" and len(element) else element
    return first.tag == "mo" and (first.text or "") in ("(", "[", "{", "|", "‖")


def _thin() -> Element:
    return Element("mspace", width="0.1667em")


def _pieces(latex: str) -> Iterator[tuple[str, str]]:
    r"""Split at the top level (outside braces) into ("math", …), ("text", …) for `\text{…}`
    and ("gap", "") for `\quad`/`\qquad`."""
    math: list[str] = []
    depth = 0
    i = 0
    while i < len(latex):
        ch = latex[i]
        if ch == "\\":
            name = re.match(r"[A-Za-z]+|.?", latex[i + 1 :], re.DOTALL)
            command = name.group() if name else ""
            end = i + 1 + len(command)
            if depth == 0 and command == "text" and latex[end : end + 1] == "{":
                close = _closing(latex, end)
                yield "math", "".join(math)
                math = []
                yield "text", re.sub(r"\\([^A-Za-z])", r"\1", latex[end + 1 : close])
                i = close + 1
                continue
            if depth == 0 and command in _GAPS:
                yield "math", "".join(math)
                math = []
                yield "gap", ""
                i = end
                continue
            math.append(latex[i:end])
            i = end
            continue
        depth += {"{": 1, "}": -1}.get(ch, 0)
        math.append(ch)
        i += 1
    yield "math", "".join(math)


def _closing(latex: str, start: int) -> int:
    """The index of the brace that closes the one at `start` (or the end, if none does)."""
    depth = 0
    i = start
    while i < len(latex):
        if latex[i] == "\\":
            i += 2
            continue
        depth += {"{": 1, "}": -1}.get(latex[i], 0)
        if depth == 0:
            return i
        i += 1
    return len(latex)
