"""Evaluate SymPy expressions with numpy at many sample points at once.

A small tree walker instead of `lambdify`: it costs microseconds rather than ~150 ms on first use,
it knows our own functions (sigmoid, relu, step, softplus, maximum) and evaluates them in a
numerically stable way, and it never generates or executes code.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

import numpy as np
import sympy as sp

from backprop_coach.expr.symbolic import (
    Value,
    leaky_relu,
    maximum,
    minimum,
    relu,
    sigmoid,
    softplus,
    step,
)

Array = np.ndarray


def _sigmoid(z: Array) -> Array:
    return 0.5 * (1.0 + np.tanh(0.5 * z))  # stable for large |z|


def _step(z: Array) -> Array:
    return np.where(z > 0, 1.0, 0.0)  # step(0) = 0, as relu'(0) in PyTorch, JAX, TensorFlow


_erf = np.frompyfunc(math.erf, 1, 1)


_UNARY: dict[type, Callable[[Array], Array]] = {
    sp.exp: np.exp,
    sp.log: np.log,
    sp.tanh: np.tanh,
    sp.Abs: np.abs,
    sp.sign: np.sign,
    sp.sinh: np.sinh,
    sp.cosh: np.cosh,
    sp.erf: lambda z: _erf(z).astype(float),
    sigmoid: _sigmoid,
    relu: lambda z: np.maximum(z, 0.0),
    step: _step,
    sp.Heaviside: _step,
    softplus: lambda z: np.logaddexp(0.0, z),
    sp.DiracDelta: np.zeros_like,  # derivative of a step: zero almost everywhere
}


_BINARY: dict[type, Callable[[Array, Array], Array]] = {
    maximum: np.maximum,
    minimum: np.minimum,
    leaky_relu: lambda z, alpha: np.where(z > 0, z, alpha * z),
}


class EvaluationError(Exception):
    """An expression contains something the evaluator does not know."""


def evaluate(expr: sp.Expr, env: Mapping[sp.Symbol, Array], size: int) -> Array:
    """Values of `expr` at `size` points; `env` maps each free symbol to an array of shape (size,)."""
    cache: dict[sp.Basic, Array] = {}

    def ev(e: sp.Basic) -> Array:
        hit = cache.get(e)
        if hit is not None:
            return hit
        if e.is_Symbol:
            try:
                result = np.asarray(env[e], dtype=float)
            except KeyError:
                raise EvaluationError(f"no value for {e}") from None
        elif e.is_Number or e in (sp.pi, sp.E):
            result = np.full(size, float(e))
        elif e.is_Add:
            result = sum((ev(a) for a in e.args), np.zeros(size))
        elif e.is_Mul:
            result = np.ones(size)
            for a in e.args:
                result = result * ev(a)
        elif e.is_Pow:
            base, exponent = e.args
            if exponent == sp.Rational(1, 2):
                result = np.sqrt(ev(base))
            elif exponent.is_Integer:
                result = np.power(ev(base), float(exponent))
            else:
                result = np.power(ev(base), ev(exponent))
        elif type(e) in _UNARY:
            result = _UNARY[type(e)](ev(e.args[0]))
        elif type(e) in _BINARY:
            result = _BINARY[type(e)](ev(e.args[0]), ev(e.args[1]))
        elif isinstance(e, sp.Piecewise):
            result = np.full(size, np.nan)
            for piece, cond in reversed(e.args):
                mask = np.ones(size, bool) if cond is sp.true else _condition(cond, ev)
                result = np.where(mask, ev(piece), result)
        else:
            raise EvaluationError(f"cannot evaluate {type(e).__name__} numerically")
        cache[e] = result
        return result

    with np.errstate(all="ignore"):
        return np.broadcast_to(ev(expr), (size,)).astype(float)


def _condition(cond: sp.Basic, ev: Callable[[sp.Basic], Array]) -> Array:
    if isinstance(cond, sp.StrictGreaterThan | sp.GreaterThan):
        return ev(cond.lhs) >= ev(cond.rhs)
    if isinstance(cond, sp.StrictLessThan | sp.LessThan):
        return ev(cond.lhs) <= ev(cond.rhs)
    raise EvaluationError(f"cannot evaluate condition {cond}")


def evaluate_value(value: Value, env: Mapping[sp.Symbol, Array], size: int) -> Array:
    """Values of a scalar or matrix at `size` points, shaped (size, rows, cols); scalars (size,1,1)."""
    if isinstance(value, sp.MatrixBase):
        rows, cols = value.shape
        out = np.empty((size, rows, cols))
        for i in range(rows):
            for j in range(cols):
                out[:, i, j] = evaluate(value[i, j], env, size)
        return out
    return evaluate(value, env, size).reshape(size, 1, 1)
