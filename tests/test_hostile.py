"""Hostile and unlucky input through the real CLI, in subprocesses (issue 12, items 3, 4, 5, 7):
escape sequences from a bank or a file never reach the output bytes; FIFOs, devices, symlink
loops, over-long paths, deep nesting and oversized networks are refused with exit 2 and a
message, never an internal error, a traceback, an exception's class name, a hang or a memory
blow-up. Each process runs under a 300 MB address-space limit and a generous timeout (only to
stop a hang; nothing here is timed)."""

from __future__ import annotations

import io
import json
import os
import re
import resource
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from rich.console import Console

from backprop_coach.untrusted import FileRefused, excerpt, printable, read_text_file

MEMORY = 300 << 20  # bytes of address space a process may map (the bound)
HANG = 60  # seconds: a process still running then has hung
CLASS_NAME = re.compile(r"\b[A-Z][A-Za-z]*(?:Error|Exception)\b|Traceback|internal error")
# what a terminal would act on: ESC, BEL, CSI as one C1 byte (UTF-8 of U+009B), RLO, LRI
FORBIDDEN = [b"\x1b", b"\x07", "\x9b".encode(), "\u202e".encode(), "\u2066".encode()]
ROOT = Path(__file__).resolve().parent.parent


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


def cli(
    *args: str, stdin: str = "", stdout: int | None = subprocess.PIPE, cwd: Path | None = None
) -> subprocess.CompletedProcess[bytes]:
    """The real command in a fresh process (stdin and stdout are pipes, so output is plain)."""
    env = {**os.environ, "NO_COLOR": "1", "TERM": "dumb", "COLUMNS": "100"}
    # one BLAS thread: its per-thread buffers count against the address-space limit
    env |= {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    env.pop("BACKPROP_COACH_DEBUG", None)
    return subprocess.run(
        [sys.executable, "-m", "backprop_coach", *args],
        input=stdin.encode(),
        stdout=stdout,
        stderr=subprocess.PIPE,
        env=env,
        cwd=cwd or ROOT,
        timeout=HANG,
        preexec_fn=_limit_memory,
    )


def said(result: subprocess.CompletedProcess[bytes]) -> str:
    return (result.stdout or b"").decode(errors="replace") + result.stderr.decode(errors="replace")


def assert_clear_refusal(result: subprocess.CompletedProcess[bytes], code: int = 2) -> str:
    text = said(result)
    assert result.returncode == code, text
    assert not CLASS_NAME.search(text), text
    return text


# ---------------------------------------------------------------------------------------------
# terminal safety

ESCAPES = (
    "\x1b]0;pwned title\x07 \x1b]52;c;cHduZWQ=\x07 \x1b[2J\x1b[H "
    "\u202eevil\u202c \u2066iso\u2069 \x9b31m [/] [bold]loud[/bold] \x7f"
)


def _toml(value: str) -> str:
    """A TOML basic string: json's escapes (\\u001b, \\\", \\\\) are TOML's too."""
    return json.dumps(value)


def _write_hostile_bank(bank: Path) -> None:
    source = ROOT / "questions" / "single-neuron" / "sigmoid-neuron-dw.toml"
    text = source.read_text(encoding="utf-8")
    text = text.replace('id = "sigmoid-neuron-dw"', 'id = "hostile-question"')
    text = re.sub(r"prompt = '''.*?'''", lambda _: f"prompt = {_toml('Derive. ' + ESCAPES)}", text,
                  flags=re.S)  # fmt: skip
    text = text.replace('"∂z/∂w = x.",', f"{_toml('hint ' + ESCAPES)},")
    text = text.replace(
        "\"You dropped σ'(z): the activation sits between z and L, so its slope multiplies the "
        'gradient."',
        _toml("feedback " + ESCAPES),
    )
    text = text.replace(
        '"Chain rule through the neuron: ∂L/∂w = ∂L/∂a · ∂a/∂z · ∂z/∂w."',
        _toml("step " + ESCAPES),
    )
    text = re.sub(r"^source = .*$", lambda _: f"source = {_toml('source ' + ESCAPES)}", text,
                  flags=re.M)  # fmt: skip
    (bank / "topic").mkdir(parents=True)
    (bank / "topic" / "hostile-question.toml").write_text(text, encoding="utf-8")
    # an id and a topic made of escapes: refused at load, and the refusal quotes them
    evil = text.replace('id = "hostile-question"', f"id = {_toml(ESCAPES)}")
    evil = evil.replace('topic = "single-neuron"', f"topic = {_toml(ESCAPES)}")
    (bank / "topic" / "evil-id.toml").write_text(evil, encoding="utf-8")
    # a file name with escapes: every message naming it names it cleanly
    (bank / "topic" / "\x1b]0;name\x07\u202e.toml").write_text(evil, encoding="utf-8")


@pytest.fixture
def hostile_bank(tmp_path: Path) -> Path:
    bank = tmp_path / "bank"
    _write_hostile_bank(bank)
    return bank


def assert_no_escapes(result: subprocess.CompletedProcess[bytes]) -> None:
    for stream in (result.stdout or b"", result.stderr):
        for forbidden in FORBIDDEN:
            assert forbidden not in stream, (forbidden, stream[:2000])
    assert not CLASS_NAME.search(said(result)), said(result)


@pytest.mark.parametrize(
    ("args", "stdin", "code"),
    [
        (["bank", "show", "hostile-question"], "", 0),
        (["bank", "show", "hostile-question", "--json"], "", 0),
        (["bank", "list"], "", 0),
        (["bank", "list", "--json"], "", 0),
        (["quiz", "--question", "hostile-question"], ":hint\n:hint\n:hint\n(a - y)*x\n:show\n", 0),
        (["quiz", "--question", "hostile-question"], ":quit\n", 0),
        (["check", "--question", "hostile-question", "--answer", "(a - y)*x"], "", 1),
        (["bank", "show", ESCAPES], "", 2),  # quoted back in "no question ..."
    ],
)
def test_escape_sequences_in_a_bank_never_reach_the_output(
    hostile_bank: Path, args: list[str], stdin: str, code: int
) -> None:
    result = cli(*args, "--bank", str(hostile_bank), stdin=stdin)
    assert result.returncode == code, said(result)
    assert_no_escapes(result)
    out = said(result)
    if args[:2] == ["bank", "show"] and code == 0:
        assert "[/]" in out and "[bold]loud[/bold]" in out  # shown as written, not as markup
        assert "pwned title" in out and "evil" in out  # the text stays, the controls go
    if args[0] == "quiz" and stdin.startswith(":hint"):
        assert "feedback" in out and "hint" in out and "step" in out
    if args[:2] == ["bank", "list"] and "--json" not in args:
        # the refused file is named, its id quoted safely (the path's length moves the wrap)
        assert "evil-id.toml: id:" in " ".join(out.split())


def test_paths_and_lines_with_escapes_and_markup_are_printed_safely(tmp_path: Path) -> None:
    odd = tmp_path / "[" / "]\x1b]0;t\x07\u202e[bold]"  # the path holds [/] and [bold]
    odd.mkdir(parents=True)
    net = odd / "net.json"
    net.write_text("{not json")
    assert_no_escapes(cli("trace", "--net", str(net)))
    sheet = cli("cheatsheet", "-o", str(odd / "sheet.txt"))
    assert sheet.returncode == 0, said(sheet)
    assert_no_escapes(sheet)
    assert "[/]" in said(sheet)  # the path, not markup
    new = cli("bank", "new", "my-question", "--topic", "my-topic", "--dir", str(odd))
    assert new.returncode == 0, said(new)
    assert_no_escapes(new)
    batch = tmp_path / "batch.jsonl"
    lines = [
        {"id": ESCAPES, "loss": "w^2", "wrt": "w", "claim": "2*w"},
        {"id": "x", "loss": "w^2" + ESCAPES, "wrt": "w", "claim": "2*w"},
    ]
    batch.write_text("\n".join(json.dumps(line, ensure_ascii=False) for line in lines) + "\n")
    result = cli("check", "--batch", str(batch), "--jobs", "1")
    assert result.returncode == 2, said(result)  # line 2 is invalid: the worst line decides
    assert_no_escapes(result)
    first = json.loads(result.stdout.decode().splitlines()[0])
    assert first["id"] == ESCAPES and first["verdict"] == "correct"  # data kept, as escapes


def test_printable_strips_exactly_the_controls() -> None:
    kept = "tab\tnewline\n σ ∂ é 中 🙂 [/] "
    assert printable(kept) == kept
    assert printable("a\x1b[2Jb\x07c\x9bd\u202ee\u2069f\x7fg\x00h\r") == "a[2Jbcdefgh"
    assert printable("\ud800x") == "\ufffdx"  # a lone surrogate cannot be written as UTF-8
    assert printable("a\x1bb\u202e", visible=True) == "a\\x1bb\\u202e"
    assert excerpt("x" * 6000) == "x" * 29 + "…" + "x" * 29
    assert excerpt("\x1b]0;t\x07") == "]0;t"


# ---------------------------------------------------------------------------------------------
# bounded input


def test_read_text_file_refuses_what_is_not_a_small_regular_file(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.toml"
    os.mkfifo(fifo)
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    big = tmp_path / "big.txt"
    big.write_bytes(b"x" * 101)
    latin = tmp_path / "latin.txt"
    latin.write_bytes(b"caf\xe9")
    cases: list[tuple[Path, str]] = [
        (fifo, "pipe (FIFO)"),
        (Path("/dev/zero"), "device"),
        (tmp_path, "directory"),
        (loop, "symbolic link loops"),
        (tmp_path / ("a" * 6000), "too long"),
        (tmp_path / "missing", "no such file"),
        (big, "too large (101 bytes; the limit is 100)"),
        (latin, "not UTF-8"),
    ]
    for path, reason in cases:
        with pytest.raises(FileRefused, match=re.escape(reason)) as refused:
            read_text_file(path, 100)
        assert len(str(refused.value)) < 200  # a 6000-character path is not echoed whole
    ok = tmp_path / "ok.txt"
    ok.write_bytes(b"\xef\xbb\xbfhello")
    assert read_text_file(ok, 100) == "hello"  # a BOM is no text
    ok.write_bytes(b"x" * 100)
    assert read_text_file(ok, 100) == "x" * 100  # exactly the limit is fine


def _nested_toml(tmp_path: Path, depth: int) -> Path:
    bank = tmp_path / f"deep{depth}"
    bank.mkdir()
    (bank / "deep.toml").write_text("a = " + "[" * depth + "]" * depth + "\n")
    return bank


def _fifo_bank(tmp_path: Path) -> Path:
    bank = tmp_path / "fifo"
    bank.mkdir()
    os.mkfifo(bank / "deep.toml")
    return bank


def _loop(tmp_path: Path) -> Path:
    loop = tmp_path / "loop"
    loop.symlink_to(tmp_path / "loop")
    return loop


def _numeric(tmp_path: Path, qid: str, **network: str) -> Path:
    """A bank holding one numeric question whose [network] table has these values."""
    source = ROOT / "questions" / "numeric" / "numeric-22-softmax-delta.toml"
    text = source.read_text(encoding="utf-8").replace("numeric-22-softmax-delta", qid)
    for key, value in network.items():
        text = re.sub(rf"^{key} = .*$", f"{key} = {value}", text, flags=re.M)
    bank = tmp_path / qid
    bank.mkdir()
    (bank / f"{qid}.toml").write_text(text, encoding="utf-8")
    return bank


def _net(tmp_path: Path, **changes: object) -> Path:
    net: dict[str, object] = {
        "layers": [{"W": [[1.0]], "b": [0.0], "activation": "sigmoid"}],
        "loss": "mse",
        "x": [1.0],
        "y": [1.0],
    }
    if "activation" in changes:
        net["layers"] = [{"W": [[1.0]], "b": [0.0], "activation": changes.pop("activation")}]
    net.update(changes)
    path = tmp_path / "net.json"
    path.write_text(json.dumps(net))
    return path


Case = tuple[Callable[[Path], list[str]], str, int]
CASES: dict[str, Case] = {
    "FIFO *.toml in a bank": (
        lambda t: ["bank", "show", "deep", "--bank", str(_fifo_bank(t))],
        "pipe (FIFO)",
        2,
    ),
    "TOML nested 500 deep": (
        lambda t: ["bank", "show", "deep", "--bank", str(_nested_toml(t, 500))],
        "nested",
        2,
    ),
    "TOML nested 3000 deep": (
        lambda t: ["bank", "show", "deep", "--bank", str(_nested_toml(t, 3000))],
        "nested",
        2,
    ),
    "symlink loop as --bank": (
        lambda t: ["bank", "list", "--bank", str(_loop(t))],
        "symbolic link loop",
        2,
    ),
    "6000-character --bank path": (
        lambda t: ["bank", "list", "--bank", str(t / ("a" * 6000))],
        "too long",
        2,
    ),
    "/dev/zero as --batch": (lambda t: ["check", "--batch", "/dev/zero"], "device", 2),
    "/dev/zero as --steps": (
        lambda t: ["check", "--steps", "/dev/zero", "--loss", "w^2", "--wrt", "w"],
        "device",
        2,
    ),
    "/dev/zero as --net": (lambda t: ["trace", "--net", "/dev/zero"], "device", 2),
    "a directory as --net": (lambda t: ["trace", "--net", str(t)], "directory", 2),
    "a net file nested 100k deep": (
        lambda t: ["trace", "--net", str(_write(t, "[" * 100_000 + "]" * 100_000))],
        "nested",
        2,
    ),
    "more than 10 layers in a numeric question": (
        lambda t: [
            "quiz",
            "--question",
            "many",
            "--bank",
            str(
                _numeric(
                    t,
                    "many",
                    layers="[2,2,2,2,2,2,2,2,2,2,2,2]",
                    activations='"sigmoid"',
                    loss='"mse"',
                )
            ),
        ],
        "many.toml: network.layers",
        2,
    ),
    "softmax not last in a numeric question": (
        lambda t: [
            "quiz",
            "--question",
            "soft",
            "--bank",
            str(
                _numeric(
                    t, "soft", layers="[2,2,2]", activations='["softmax", "sigmoid"]', loss='"mse"'
                )
            ),
        ],
        "soft.toml: network.activations",
        2,
    ),
    'ask = "delta9[0]"': (
        lambda t: [
            "quiz",
            "--question",
            "nine",
            "--bank",
            str(_numeric(t, "nine", ask='"delta9[0]"')),
        ],
        "nine.toml: network.ask",
        2,
    ),
    'ask = "delta1" (not one number)': (
        lambda t: [
            "check",
            "--question",
            "vec",
            "--answer",
            "1",
            "--bank",
            str(_numeric(t, "vec", ask='"delta1"')),
        ],
        "vec.toml: network.ask",
        2,
    ),
    '"activation": {} in a net file': (
        lambda t: ["trace", "--net", str(_net(t, activation={}))],
        "layers[0].activation",
        2,
    ),
    '"loss": ["mse"] in a net file': (
        lambda t: ["trace", "--net", str(_net(t, loss=["mse"]))],
        "loss: unknown",
        2,
    ),
    "a net file with 100 inputs": (
        lambda t: ["trace", "--net", str(_net(t, x=[0.0] * 100))],
        "too large",
        2,
    ),
    "trace --seed -1": (lambda t: ["trace", "--seed", "-1"], "--seed", 2),
    "trace --layers 10000,10000": (lambda t: ["trace", "--layers", "10000,10000"], "64", 2),
    "trace --layers of 12 layers": (
        lambda t: ["trace", "--layers", ",".join(["2"] * 13)],
        "at most 10 layers",
        2,
    ),
    "trace --layers with a 5000-digit size": (
        lambda t: ["trace", "--layers", "9" * 5000],
        "--layers",
        2,
    ),
    # a ragged matrix is judged, not refused: a clear wrong answer (exit 1), as designed
    "--check 'W1_new=[[1,2],[3]]'": (
        lambda t: ["trace", "--layers", "2,2,1", "--seed", "1", "--check", "W1_new=[[1,2],[3]]"],
        "different lengths",
        1,
    ),
    "check --claim 1/0 at a point": (
        lambda t: ["check", "--loss", "w^2", "--wrt", "w", "--claim", "1/0", "--at", "w=1"],
        "not a real number",
        2,
    ),
    "check --at w=1e999": (
        lambda t: ["check", "--loss", "w^2", "--wrt", "w", "--claim", "2", "--at", "w=1e999"],
        "out of range",
        2,
    ),
}


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "input.json"
    path.write_text(text)
    return path


@pytest.mark.parametrize("name", list(CASES))
def test_hostile_input_is_refused_clearly(tmp_path: Path, name: str) -> None:
    make_args, fragment, code = CASES[name]
    result = cli(*make_args(tmp_path))
    text = assert_clear_refusal(result, code)
    assert fragment in text, text
    assert "a" * 100 not in text  # at most about 60 characters of the input are quoted


def test_a_full_stdout_is_a_clear_error(tmp_path: Path) -> None:
    for args in (
        ["cheatsheet"],
        ["cheatsheet", "--format", "markdown"],
        ["bank", "list", "--json"],
    ):
        with open("/dev/full", "wb") as full:
            result = cli(*args, stdout=full.fileno())
        text = assert_clear_refusal(result)
        assert "cannot write the output: no space left on device" in text


def test_a_bad_batch_line_never_stops_the_lines_after_it(tmp_path: Path) -> None:
    good = {"loss": "w^2", "wrt": "w", "claim": "2*w"}
    lines = [
        json.dumps({"id": "first", **good}),
        '{"id": "deep", "loss": ' + "[" * 100_000 + "]" * 100_000 + "}",
        '{"id": "surrogate", "loss": "w^2", "wrt": "w", "claim": "\\ud800"}',
        '{"id": "\\udc00", "loss": "w^2", "wrt": "w", "claim": "2*w"}',
        "[" * 100_000,
        json.dumps({"id": "last", **good}),
    ]
    batch = tmp_path / "batch.jsonl"
    batch.write_text("\n".join(lines) + "\n")
    result = cli("check", "--batch", str(batch), "--jobs", "1")
    assert result.returncode == 2, said(result)  # four lines are invalid: the worst line decides
    assert not CLASS_NAME.search(said(result))
    results = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert [r["verdict"] for r in results] == [
        "correct",
        "invalid",
        "invalid",
        "correct",
        "invalid",
        "correct",
    ]
    assert results[1]["message"] == "line 2: JSON nested too deeply"
    assert results[-1]["id"] == "last"


# ---------------------------------------------------------------------------------------------
# bounded work in trace


def test_a_huge_network_is_refused_before_anything_is_allocated() -> None:
    # under the address-space limit a 10000x10000 float64 matrix (800 MB) could not be
    # allocated without a MemoryError (an internal error)
    result = cli("trace", "--layers", "10000,10000")
    text = assert_clear_refusal(result)
    assert "each size must be between 1 and 64" in text


def test_a_deep_wide_network_gets_a_sampled_gradient_check() -> None:
    result = cli("trace", "--layers", ",".join(["64"] * 11), "--seed", "3", "--steps", "forward")
    assert result.returncode == 0, said(result)
    out = " ".join(result.stdout.decode().split())
    assert "a random sample of 1,000 of the 41,600 weights and biases" in out
    data = json.loads(
        cli("trace", "--layers", ",".join(["64"] * 11), "--seed", "3", "--json").stdout
    )
    assert data["gradcheck"]["checked"] == 1000 and data["gradcheck"]["parameters"] == 41_600


def test_trace_help_states_the_limits() -> None:
    out = " ".join(cli("trace", "--help").stdout.decode().split())
    assert "at most 10 layers, 64 units per layer, 50,000 weights and biases" in out
    assert "random sample of 1,000" in out


def test_steps_out_of_time_report_the_lines_checked_so_far() -> None:
    from backprop_coach.expr.problem import problem_from_specs
    from backprop_coach.grading.steps import check_steps
    from backprop_coach.render.steps import render_steps

    problem = problem_from_specs("(a - y)^2/2", "w", ["z = w*x + b", "a = sigmoid(z)"], [], [])
    text = "dL/dw = (a - y)*a*(1 - a)*x\n= (a - y)*x\n= x*(a - y)*a*(1 - a)\n"
    full = check_steps(problem, text)
    assert [s.correct for s in full.steps] == [True, False, True] and not full.not_checked
    spent = check_steps(problem, text, budget=0.0)  # spent once the first step is done
    assert [s.correct for s in spent.steps] == [True]
    assert spent.not_checked == 2 and spent.exit_code == 2
    assert spent.to_json()["not_checked"] == 2
    console = Console(width=100, file=io.StringIO(), color_system=None)
    console.print(render_steps(spent))
    out = " ".join(console.file.getvalue().split())  # type: ignore[attr-defined]
    assert "time budget ran out: steps 1 to 1 checked, the other 2 not" in out
    assert "every step checked is correct" in out


@pytest.mark.parametrize("sizes", [[2, 1], [2, 2, 1], [3, 4, 2], [1, 4, 4, 3]])
def test_quantity_shapes_known_at_load_are_the_engines(sizes: list[int]) -> None:
    """bank.load checks an asked quantity against these shapes without numpy; the oracle is
    the engine's own arrays for a drawn network."""
    import numpy as np

    from backprop_coach.engine.backprop import trace
    from backprop_coach.engine.names import quantity_shape
    from backprop_coach.engine.network import random_network
    from backprop_coach.engine.quantities import value_of

    worked = trace(random_network(sizes, "sigmoid", "mse", 1), check_gradients=False)
    assert quantity_shape("loss", None, sizes) == np.shape(worked.loss)
    for layer in range(1, len(sizes)):
        for base in ("z", "a", "delta", "dW", "db", "W", "b"):
            assert quantity_shape(base, layer, sizes) == np.shape(value_of(worked, base, layer))
    with pytest.raises(ValueError, match="does not exist"):
        quantity_shape("delta", len(sizes), sizes)


def test_a_sampled_gradient_check_still_catches_a_wrong_gradient() -> None:
    from backprop_coach.engine.backprop import gradient_check, trace
    from backprop_coach.engine.network import random_network

    net = random_network([8, 8, 8, 4], "tanh", "mse", 5)
    worked = trace(net, check_gradients=False)
    total = sum(layer.W.size + layer.b.size for layer in net.layers)  # 8*9 + 8*9 + 4*9 = 180
    error, checked = gradient_check(net, worked.layers)
    assert checked == total == 180 and error < 1e-7
    error, checked = gradient_check(net, worked.layers, budget=50)
    assert checked == 50 and error < 1e-7
    for lt in worked.layers:  # a factor 1.01 on every analytic gradient
        lt.dW *= 1.01
        lt.db *= 1.01
    error, checked = gradient_check(net, worked.layers, budget=50)
    assert checked == 50 and error > 5e-3
