"""A worked derivation of ∂L/∂wrt, derived from the lets the way it is said at a whiteboard:
the chain from L down to the wanted name as Leibniz factors, each local derivative in the
learner's names (σ'(z) = a(1 − a)), the adjoint of every node on the way (summed where paths
meet), shapes and why each transpose sits where it does, and the final answer.

The derivation is symbolic reverse mode over the expression trees of the lets (micrograd's
`_backward`, one rule per operation, below in `_pull`): the adjoint G of a node is pushed
into its definition, `A @ B` giving G @ Bᵀ to A and Aᵀ @ G to B, an elementwise f(z) giving
G * f'(z). Every step that writes an expression is proved equal to its truth by the grader
(`grade`) before it is kept; a step that fails its proof is dropped and the derivation says
it is not covered, so nothing unproved is ever shown.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from fractions import Fraction

from backprop_coach.expr import tensor
from backprop_coach.expr.algebra import Scope, Shape, shape_text
from backprop_coach.expr.errors import ExprError
from backprop_coach.expr.functions import DIFFERENTIABLE
from backprop_coach.expr.parse import parse
from backprop_coach.expr.problem import Problem
from backprop_coach.expr.tree import (
    BinOp,
    Call,
    Name,
    Neg,
    Node,
    Num,
    Transpose,
    names,
    to_latex,
    to_text,
)
from backprop_coach.grading.graph import LOSS, Structure, structure_of
from backprop_coach.grading.setting import setting_for


class NotCovered(Exception):
    """The automatic derivation has no rule for part of the problem (the reason says which)."""


@dataclass(frozen=True)
class Step:
    """One line of the derivation: what is said (`text`, Leibniz notation), the expression it
    writes in the expression language (None for a sentence), and whether the grader proved
    that expression equal to its truth (always True for a kept step with an expression)."""

    text: str
    expr: str | None = None
    proved: bool | None = None
    latex: str | None = None
    notes: tuple[str, ...] = ()  # shapes, and why a transpose sits where it does

    def to_json(self) -> dict[str, object]:
        text = "; ".join([self.text, *self.notes])
        return {"text": text, "expr": self.expr, "proved": self.proved}


@dataclass(frozen=True)
class Explanation:
    """The derivation of one problem; `answer` is None and `note` says why when the problem is
    beyond the automatic derivation."""

    problem: Problem
    steps: tuple[Step, ...]
    answer: str | None
    note: str = ""

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {
            "steps": [s.to_json() for s in self.steps],
            "answer": self.answer,
        }
        if self.note:
            out["note"] = self.note
        return out


def explain(problem: Problem, seed: int = 0) -> Explanation:
    """The proved derivation of ∂L/∂wrt. Raises ExprError subclasses on bad input (a problem
    `check` refuses). A problem the derivation cannot do (a function without a rule here, such
    as softmax, or a step the grader does not accept) gives an Explanation with no answer and a
    note, never an unproved step."""
    structure = structure_of(problem)
    try:
        return _derive(structure, seed)
    except NotCovered as why:
        return Explanation(problem, (), None, f"not covered by the automatic derivation: {why}")


def _derive(st: Structure, seed: int) -> Explanation:
    problem = st.problem
    wrt = problem.wrt
    if wrt not in st.inputs and wrt not in st.lets:
        raise NotCovered(f"{wrt} is not a name of the problem")
    on_path = _on_path(st, wrt)
    scope = Scope({n: tensor.leaf(n, st.shape(n)) for n in [*st.inputs, *st.lets]})

    def shape(node: Node) -> Shape:
        try:
            return tensor.build(node, scope).shape
        except ExprError as err:
            raise NotCovered(f"cannot take the shape of {to_text(node)}: {err}") from err

    steps: list[Step] = [Step(_chain_text(st, wrt, on_path))]
    # vectors whose entries sum to one (a one-hot or probability target): Σy = 1
    one_sums = frozenset(
        name for name, kind in problem.domains.items()
        if kind in ("onehot", "simplex") and 1 in (st.shape(name) or (1, 1))
    )  # fmt: skip
    adjoint: dict[str, Node] = {LOSS: Num("1", Fraction(1))}
    parts: dict[str, list[tuple[str, Node, list[tuple[str, str]]]]] = {}
    order = [n for n in reversed([*st.inputs, *st.lets]) if n in on_path]
    for target in [LOSS, *reversed(list(st.lets))]:
        if target not in on_path or target == wrt:
            continue
        tree = st.trees[target]
        notes: list[tuple[str, str]] = []
        for name, part in _pull(tree, adjoint[target], shape, notes, target, one_sums):
            if name in on_path and name != target:
                parts.setdefault(name, []).append((target, part, notes))
        for name in order:  # adjoints complete once every consumer has pushed
            if name in adjoint or name not in parts:
                continue
            if {t for t, _, _ in parts[name]} >= {c for c in st.consumers(name) if c in on_path}:
                adjoint[name] = _simplify(_sum([p for _, p, _ in parts[name]]))
                steps += _node_steps(st, name, parts[name], adjoint[name], shape, seed)
    if wrt not in adjoint:
        raise NotCovered(f"no path from L to {wrt}")
    answer = to_text(adjoint[wrt])
    simpler = _simpler(problem, answer, seed)
    if simpler is not None:
        latex = _latex(st, parse(simpler).tree)
        steps.append(Step(f"simplified: ∂L/∂{wrt} = {simpler}", simpler, True, latex))
        answer = simpler
    return Explanation(problem, tuple(steps), answer)


def _simpler(problem: Problem, answer: str, seed: int) -> str | None:
    """SymPy's form of the truth in the learner's names, when it is a scalar, shorter than
    the derived answer, reads back in the expression language and is proved; else None."""
    setting = setting_for(problem)
    if setting.wrt_shape is not None:
        return None
    symbolic = setting.symbolic
    if symbolic is None:
        return None
    try:
        text = symbolic.truth_text.replace("⋅", "*").replace("**", "^")
    except Exception:
        return None
    if len(text) >= len(answer) or "where" in text or "Matrix" in text:
        return None
    try:
        _prove(problem, text, seed, "the simplified answer")
    except NotCovered:
        return None
    return text


def _on_path(st: Structure, wrt: str) -> set[str]:
    """The nodes on some path from wrt up to L (wrt and L included)."""
    above = {wrt}
    for v in [*st.lets, LOSS]:
        if any(u in above for u in st.uses[v]):
            above.add(v)
    below = {LOSS}
    for u in reversed([*st.inputs, *st.lets]):
        if any(v in below for v in st.consumers(u)):
            below.add(u)
    return above & below if LOSS in above else set()


def _paths(st: Structure, wrt: str, on_path: set[str]) -> list[list[str]]:
    """Every path from L down to wrt, as lists of node names."""

    def down(node: str) -> list[list[str]]:
        if node == wrt:
            return [[wrt]]
        out: list[list[str]] = []
        for u in st.uses.get(node, ()):
            if u in on_path:
                out += [[node, *rest] for rest in down(u)]
        return out

    return down(LOSS)


def _chain_text(st: Structure, wrt: str, on_path: set[str]) -> str:
    paths = _paths(st, wrt, on_path)
    chains = [" · ".join(f"∂{a}/∂{b}" for a, b in itertools.pairwise(path)) for path in paths]
    if paths == [[LOSS, wrt]]:
        return f"{wrt} appears in L itself, through no let: differentiate L directly"
    if len(chains) == 1:
        return f"the chain from L down to {wrt}: ∂L/∂{wrt} = {chains[0]}"
    routes = ", ".join(" → ".join(reversed(p)) for p in paths)
    return (
        f"{wrt} reaches L along {len(paths)} paths ({routes}); gradients add where paths meet: "
        f"∂L/∂{wrt} = " + " + ".join(chains)
    )


def _node_steps(
    st: Structure,
    name: str,
    parts: list[tuple[str, Node, list[tuple[str, str]]]],
    total: Node,
    shape: object,
    seed: int,
) -> list[Step]:
    problem = st.problem
    steps: list[Step] = []
    for target in dict.fromkeys(t for t, _, _ in parts):
        local = _local_step(st, name, target, shape, seed)
        if local is not None:
            steps.append(local)
    terms = [
        f"∂L/∂{t} · ∂{t}/∂{name}" if t != LOSS else f"∂({st.read_as[LOSS]})/∂{name}"
        for t in dict.fromkeys(t for t, _, _ in parts)
    ]
    notes = [n for _, _, ns in parts for who, n in ns if who == name]
    if st.shape(name) is not None:
        notes.insert(0, f"{shape_text(st.shape(name))}, the shape of {name}")
    text = f"∂L/∂{name} = " + " + ".join(terms)
    if len(parts) > 1:
        text += f" ({name} is used {len(parts)} times: the gradients of its uses add)"
    expr = to_text(total)
    _prove(replace(problem, wrt=name), expr, seed, f"∂L/∂{name}")
    steps.append(Step(text, expr, True, _latex(st, total), tuple(dict.fromkeys(notes))))
    return steps


# What f'(z) is in the name of f(z)'s value a: σ' = a(1 − a), tanh' = 1 − a², exp' = a.
def _in_own_value(func: str, a: Node, arg: Node) -> Node | None:
    one = Num("1", Fraction(1))
    if func == "sigmoid":
        return BinOp("*", a, BinOp("-", one, a))
    if func == "tanh":
        return BinOp("-", one, BinOp("^", a, Num("2", Fraction(2))))
    if func == "exp":
        return a
    if func == "relu":
        return Call("step", (arg,))
    if func == "softplus":
        return Call("sigmoid", (arg,))
    return None


def _local_step(st: Structure, source: str, target: str, shape: object, seed: int) -> Step | None:
    """∂target/∂source as its own proved step, where it is one expression: a scalar edge, or an
    elementwise activation of a vector (its Jacobian is diagonal: the derivative entry by
    entry). None for a matrix edge (its pull-back, with shapes, is the node's step)."""
    if target == LOSS:
        return None
    tree = st.trees[target]
    elementwise = (
        isinstance(tree, Call) and tree.func in DIFFERENTIABLE and tree.args == (Name(source),)
    )
    scalar = st.shape(source) is None and st.shape(target) is None
    if not (scalar or elementwise):
        return None
    one = Num("1", Fraction(1))
    pulled = _pull(tree, one, shape, [], target)
    local = _simplify(_sum([p for n, p in pulled if n == source]))
    used = {n.id for n in names(tree)}
    shapes = {n: s for n, s in [*st.inputs.items(), *st.lets.items()] if s is not None}
    mini = Problem(
        loss=target if scalar else f"sum({target})",
        wrt=source,
        lets=((target, st.problem.lets[list(st.lets).index(target)][1]),),
        shapes={n: s for n, s in shapes.items() if n in used},
        domains={n: k for n, k in st.problem.domains.items() if n in used},
    )
    expr = to_text(local)
    _prove(mini, expr, seed, f"∂{target}/∂{source}")
    text = f"∂{target}/∂{source} = "
    if elementwise and isinstance(tree, Call):
        text += to_text(Call(tree.func, tree.args, prime=True)) + " = "
        if not scalar:
            text = (
                f"∂{target}/∂{source} is diagonal (elementwise), entry by entry "
                + to_text(Call(tree.func, tree.args, prime=True))
                + " = "
            )
    return Step(text + expr, expr, True, _latex(st, local))


def _latex(st: Structure, node: Node) -> str:
    """LaTeX of a step: ⊙ for an elementwise product where a matrix is in play, a thin space
    where every quantity is a scalar."""
    scalars = not st.problem.shapes and all(s is None for s in st.lets.values())
    return to_latex(node, r"\," if scalars else r"\odot")


def _prove(problem: Problem, expr: str, seed: int, what: str) -> None:
    from backprop_coach.grading.grader import grade
    from backprop_coach.grading.verdict import CORRECT

    try:
        setting = setting_for(problem)
    except ExprError as err:
        raise NotCovered(f"{what} cannot be set as a problem to prove ({err})") from err
    verdict = grade(setting, expr, seed, display=False, truth=False)
    if verdict.verdict != CORRECT:
        raise NotCovered(f"the derived {what} = {expr} was not proved ({verdict.message})")


def _sum(parts: list[Node]) -> Node:
    out = parts[0]
    for p in parts[1:]:
        out = BinOp("+", out, p)
    return out


def _num(value: Fraction) -> Node:
    if value.denominator == 1:
        return Num(str(value.numerator), value) if value >= 0 else Neg(_num(-value))
    if value < 0:
        return Neg(_num(-value))
    return BinOp("/", _num(Fraction(value.numerator)), _num(Fraction(value.denominator)))


def _pull(
    tree: Node,
    g: Node,
    shape: object,
    notes: list[tuple[str, str]],
    own: str,
    sums_to_one: frozenset[str] = frozenset(),
) -> list[tuple[str, Node]]:
    """(name, its part of the adjoint) for every name in `tree`, given the adjoint `g` of the
    tree's value: one rule per operation. `own` names the tree's value (a let), so that an
    activation's derivative is written in it. Raises NotCovered for an operation with no rule."""
    shape_of = shape  # Callable[[Node], Shape]
    out: list[tuple[str, Node]] = []

    def unbroadcast(part: Node, node: Node, whole: Node) -> Node:
        s_node, s_whole = shape_of(node), shape_of(whole)  # type: ignore[operator]
        if s_node == s_whole or (s_node == (1, 1) and s_whole is None):
            return part
        if s_node is None:
            return Call("sum", (part,))
        if s_whole is not None and s_node[0] == 1 and s_node[1] == s_whole[1]:
            notes.append(
                (
                    to_text(node),
                    f"{to_text(node)} is added to every row, so its adjoint sums G down the rows: sum(G, axis=0)",
                )
            )
            return Call("sum", (part, Num("0", Fraction(0))))
        if s_whole is not None and s_node[1] == 1 and s_node[0] == s_whole[0]:
            notes.append(
                (
                    to_text(node),
                    f"{to_text(node)} is added to every column, so its adjoint sums G along the rows: sum(G, axis=1)",
                )
            )
            return Call("sum", (part, Num("1", Fraction(1))))
        raise NotCovered(f"{to_text(whole)} broadcasts {to_text(node)}")

    def visit(node: Node, g: Node, top: bool) -> None:
        match node:
            case Name(id=name):
                out.append((name, g))
            case Num():
                return
            case Neg(operand=x):
                visit(x, Neg(g), False)
            case Transpose(operand=x):
                visit(x, Transpose(g), False)
            case BinOp(op="+" | "-", left=a, right=b):
                visit(a, unbroadcast(g, a, node), False)
                right = unbroadcast(g, b, node)
                visit(b, right if node.op == "+" else Neg(right), False)
            case BinOp(op="*", left=a, right=b):
                visit(a, unbroadcast(BinOp("*", g, b), a, node), False)
                visit(b, unbroadcast(BinOp("*", g, a), b, node), False)
            case BinOp(op="/", left=a, right=b):
                visit(a, unbroadcast(BinOp("/", g, b), a, node), False)
                part = Neg(BinOp("/", BinOp("*", g, a), BinOp("^", b, Num("2", Fraction(2)))))
                visit(b, unbroadcast(part, b, node), False)
            case BinOp(op="^", left=a, right=Num(value=n)):
                power = BinOp("^", a, _num(n - 1))
                visit(a, BinOp("*", g, BinOp("*", _num(n), power)), False)
            case BinOp(op="@" | "·" | "juxt", left=a, right=b):
                sa, sb = shape_of(a), shape_of(b)  # type: ignore[operator]
                if sa is None or sb is None:
                    visit(BinOp("*", a, b), g, top)
                    return
                if sa[1] != sb[0]:
                    raise NotCovered(f"{to_text(node)} is not a matrix product")
                s = shape_of(node)  # type: ignore[operator]
                ta, tb = Transpose(b), Transpose(a)
                ab, sab = to_text(node), shape_text(s)
                notes.append(
                    (
                        to_text(a),
                        (
                            f"{ab} is {shape_text(sa)} @ {shape_text(sb)} = {sab}, so G = ∂L/∂({ab}) is "
                            f"{sab}; G @ {to_text(b)}ᵀ is {sab} @ {shape_text((sb[1], sb[0]))} = "
                            f"{shape_text(sa)}, the shape of {to_text(a)}: {to_text(b)} is transposed "
                            "(and on the right) so that the shapes match"
                        ),
                    )
                )
                notes.append(
                    (
                        to_text(b),
                        (
                            f"{ab} is {shape_text(sa)} @ {shape_text(sb)} = {sab}, so G = ∂L/∂({ab}) is "
                            f"{sab}; {to_text(a)}ᵀ @ G is "
                            f"{shape_text((sa[1], sa[0]))} @ {sab} = {shape_text(sb)}, the shape of "
                            f"{to_text(b)}: {to_text(a)} is transposed (and on the left) so that the "
                            "shapes match"
                        ),
                    )
                )
                visit(a, BinOp("@", g, ta), False)
                visit(b, BinOp("@", tb, g), False)
            case Call(func="sum", args=(x, Num()), prime=False):  # G broadcasts back
                visit(x, g, False)
            case Call(func="erf", args=(x,), prime=False):  # erf'(x) = 2 exp(−x²)/√π
                slope = BinOp(
                    "/",
                    BinOp(
                        "*",
                        _num(Fraction(2)),
                        Call("exp", (Neg(BinOp("^", x, _num(Fraction(2)))),)),
                    ),
                    Call("sqrt", (Name("pi"),)),
                )
                visit(x, BinOp("*", g, slope), False)
            case BinOp(op="^", left=a, right=b):  # a^b: b·a^(b−1) to a, log(a)·a^b to b
                visit(
                    a,
                    BinOp("*", g, BinOp("*", b, BinOp("^", a, BinOp("-", b, _num(Fraction(1)))))),
                    False,
                )
                visit(b, BinOp("*", g, BinOp("*", Call("log", (a,)), node)), False)
            case Call(func="sum", args=(x,), prime=False):
                if shape_of(x) is not None and shape_of(g) is not None:  # type: ignore[operator]
                    raise NotCovered("the sum of a matrix adjoint")
                visit(x, g, False)
            case Call(func="mean", args=(x,), prime=False):
                if shape_of(g) is not None:  # type: ignore[operator]
                    raise NotCovered("the mean of a matrix adjoint")
                sx = shape_of(x)  # type: ignore[operator]
                count = 1 if sx is None else sx[0] * sx[1]
                visit(x, BinOp("/", g, _num(Fraction(count))), False)
            case Call(func="abs", args=(x,), prime=False):
                visit(x, BinOp("*", g, Call("sign", (x,))), False)
            case (
                Call(func="log", args=(Call(func="softmax", args=inner, prime=False),))
                | Call(func="log_softmax", args=inner, prime=False)
            ):  # log of a softmax: G − softmax(z)·ΣG (along the softmax's axis)
                z, axis = inner[0], inner[1:]
                total = Call("sum", (g, *axis))
                visit(z, BinOp("-", g, BinOp("*", Call("softmax", inner), total)), False)
            case Call(func="softmax", args=inner, prime=False):  # p ⊙ (G − Σ p ⊙ G)
                z, axis = inner[0], inner[1:]
                p = Name(own) if top and own != LOSS else node
                h = _over(g, p)
                if h is not None:
                    # G = h/p (the log of a cross-entropy): p ⊙ (h/p − Σ h) = h − p·Σh, and
                    # with h = −y for a y that sums to one, the textbook p − y
                    target = h.operand if isinstance(h, Neg) else None
                    if not axis and isinstance(target, Name) and target.id in sums_to_one:
                        visit(z, BinOp("-", p, target), False)
                    else:
                        visit(z, BinOp("-", h, BinOp("*", p, Call("sum", (h, *axis)))), False)
                else:
                    total = Call("sum", (BinOp("*", p, g), *axis))
                    visit(z, BinOp("*", p, BinOp("-", g, total)), False)
            case Call(func="max" | "min", args=(a, b), prime=False):  # G to the one that wins
                first, second = (">", ">=") if node.func == "max" else ("<", "<=")
                visit(a, BinOp("*", g, BinOp(first, a, b)), False)
                visit(b, BinOp("*", g, BinOp(second, b, a)), False)
            case Call(func="log", args=(x,), prime=False):
                visit(x, BinOp("/", g, x), False)
            case Call(func="sqrt", args=(x,), prime=False):
                visit(x, BinOp("/", g, BinOp("*", Num("2", Fraction(2)), node)), False)
            case Call(func=func, args=(x,), prime=False) if func in DIFFERENTIABLE:
                mine = _in_own_value(func, Name(own), x) if top and own != LOSS else None
                # without a name for the value, in terms of the function's value all the same:
                # σ(x)(1 − σ(x)), never σ'(x), which a question may forbid as its own answer
                value = _in_own_value(func, Call(func, (x,)), x)
                d = mine or value or Call(func, (x,), prime=True)
                visit(x, BinOp("*", g, d), False)
            case _:
                raise NotCovered(f"no rule here for {to_text(node)}")

    visit(tree, g, True)
    return out


def _over(g: Node, p: Node) -> Node | None:
    """h when g is h/p or −(h/p) (then −h); else None."""
    if isinstance(g, Neg):
        inner = _over(g.operand, p)
        return None if inner is None else Neg(inner)
    if isinstance(g, BinOp) and g.op == "/" and g.right == p:
        return g.left
    return None


def _simplify(node: Node) -> Node:
    """Light algebra that keeps the learner's names: constants of a product folded to the
    front, 1·x and x^1 dropped, double negations cancelled."""
    match node:
        case Neg(operand=x):
            inner = _simplify(x)
            if isinstance(inner, Neg):
                return inner.operand
            if isinstance(inner, Num):
                return _num(-inner.value)
            return Neg(inner)
        case Transpose(operand=x):
            inner = _simplify(x)
            return inner.operand if isinstance(inner, Transpose) else Transpose(inner)
        case BinOp(op="*"):
            factors = _factors(node)
            k = Fraction(1)
            rest: list[Node] = []
            for f in factors:
                f = _simplify(f)
                while isinstance(f, Neg):
                    k, f = -k, f.operand
                if isinstance(f, Num):
                    k *= f.value
                elif (
                    isinstance(f, BinOp) and f.op == "/"
                    and isinstance(f.left, Num) and isinstance(f.right, Num)
                ):  # fmt: skip
                    k *= f.left.value / f.right.value
                else:
                    rest += _factors(f)
            if k == 0:
                return _num(k)
            if not rest:
                return _num(k)
            prod = rest[0]
            for f in rest[1:]:
                prod = BinOp("*", prod, f)
            if k == 1:
                return prod
            if k == -1:
                return Neg(prod)
            return BinOp("*", _num(k), prod) if k > 0 else Neg(BinOp("*", _num(-k), prod))
        case BinOp(op="^", left=a, right=b):
            sa, sb = _simplify(a), _simplify(b)
            if isinstance(sb, Num) and sb.value == 1:
                return sa
            return BinOp("^", sa, sb)
        case BinOp(op="/", left=a, right=b):
            sa, sb = _simplify(a), _simplify(b)
            if isinstance(sb, Num) and sb.value == 1:
                return sa
            if isinstance(sa, Neg):  # (−a)/b = −(a/b): its sign can then cancel outside
                return Neg(BinOp("/", sa.operand, sb))
            return BinOp("/", sa, sb)
        case BinOp(op="+" | "-", left=a, right=b):
            sa, sb = _simplify(a), _simplify(b)
            if isinstance(sb, Neg):  # a - (-b) = a + b, a + (-b) = a - b
                return BinOp("+" if node.op == "-" else "-", sa, sb.operand)
            return BinOp(node.op, sa, sb)
        case BinOp(op=op, left=a, right=b):
            return BinOp(op, _simplify(a), _simplify(b))
        case Call(func=f, args=args, prime=p):
            simple = tuple(_simplify(x) for x in args)
            first = simple[0]
            if f == "sum" and not p and isinstance(first, Neg):  # Σ(−x) = −Σx
                return Neg(Call(f, (first.operand, *simple[1:])))
            return Call(f, simple, p)
    return node


def _factors(node: Node) -> list[Node]:
    if isinstance(node, BinOp) and node.op == "*":
        return [*_factors(node.left), *_factors(node.right)]
    return [node]
