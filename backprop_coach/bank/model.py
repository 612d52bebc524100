"""The question model: plain frozen dataclasses, one per question file."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from backprop_coach.expr.problem import Problem

FORMAT_VERSION = 1
KINDS = ("derivation", "numeric", "concept")


@dataclass(frozen=True)
class Step:
    """One step of a worked solution; `expr`, when given, is the gradient as that step writes
    it, and validation proves it equal to the answer (so every step equals the next)."""

    text: str
    expr: str | None = None


@dataclass(frozen=True)
class WrongAnswer:
    answer: str
    diagnosis: str
    feedback: str


@dataclass(frozen=True)
class NumericSpec:
    """A network template: sizes, activations and loss; weights, inputs and targets are drawn
    from a seed and rounded to `decimals`, so every seed is a fresh variant computable by hand."""

    layers: tuple[int, ...]
    activations: tuple[str, ...]
    loss: str
    ask: str  # a quantity such as delta1[0], W2_new[1][0], loss
    lr: float = 0.5
    update_biases: bool = True
    decimals: int = 2
    figures: int = 3  # significant figures the answer must carry, correctly rounded
    examples: int | None = None  # a batch of this many examples (one a row); None: one example


@dataclass(frozen=True)
class Question:
    id: str
    topic: str
    difficulty: int
    kind: str
    prompt: str
    hints: tuple[str, ...]
    explanation: tuple[Step, ...]
    tags: tuple[str, ...]
    source: str
    path: Path
    # derivation
    problem: Problem | None = None
    answer: str | None = None
    wrong_answers: tuple[WrongAnswer, ...] = ()
    forbid: tuple[str, ...] = ()  # functions an answer may not use; "sigmoid'" for σ'
    # numeric
    numeric: NumericSpec | None = None
    # concept
    model_answer: str | None = None
    key_points: tuple[str, ...] = ()
    after: str | None = None  # the id of a question a new learner should see first
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "topic": self.topic,
            "difficulty": self.difficulty,
            "kind": self.kind,
            "prompt": self.prompt,
            "hints": list(self.hints),
            "explanation": [
                {"text": s.text, **({"expr": s.expr} if s.expr else {})} for s in self.explanation
            ],
            "tags": list(self.tags),
            "source": self.source,
            "path": str(self.path),
        }
        if self.after is not None:
            data["after"] = self.after
        if self.problem is not None:
            data.update(self.problem.to_json())
            data["answer"] = self.answer
            data["wrong_answers"] = [
                {"answer": w.answer, "diagnosis": w.diagnosis, "feedback": w.feedback}
                for w in self.wrong_answers
            ]
            data["forbid"] = list(self.forbid)
        if self.numeric is not None:
            n = self.numeric
            data["network"] = {
                "layers": list(n.layers),
                "activations": list(n.activations),
                "loss": n.loss,
                "lr": n.lr,
                "update_biases": n.update_biases,
                "decimals": n.decimals,
                "ask": n.ask,
                "figures": n.figures,
            }
            if n.examples is not None:
                data["network"]["examples"] = n.examples
        if self.kind == "concept":
            data["model_answer"] = self.model_answer
            data["key_points"] = list(self.key_points)
        return data
