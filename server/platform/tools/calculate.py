"""The `calculate` tool: arithmetic by simpleeval, never `eval`.

simpleeval parses the expression with `ast` and walks only the node types it
allows (numbers, arithmetic and comparison operators, the functions given
here); names, attributes, comprehensions and calls of anything else are
refused. Its own guards cap exponents and string sizes. The walk runs in a
worker thread with a short expression limit, off the event loop.
"""

from __future__ import annotations

import ast
import asyncio
import math
import operator
from typing import Any

from pydantic import Field
from simpleeval import DEFAULT_OPERATORS, InvalidExpression, SimpleEval

from server.platform.scope import Scope
from server.platform.tools.registry import Tool, ToolArgs, tool_failed

MAX_EXPRESSION = 500

_FUNCTIONS = {
    "abs": abs,
    "round": round,
    "min": min,
    "max": max,
    "sqrt": math.sqrt,
    "log": math.log,
    "log10": math.log10,
    "exp": math.exp,
    "sin": math.sin,
    "cos": math.cos,
    "tan": math.tan,
    "floor": math.floor,
    "ceil": math.ceil,
}
_NAMES = {"pi": math.pi, "e": math.e}


class CalculateArgs(ToolArgs):
    expression: str = Field(
        min_length=1,
        max_length=MAX_EXPRESSION,
        description="An arithmetic expression, e.g. '2+2' or 'sqrt(16) * (3 - 1) ** 2'.",
    )


def evaluate(expression: str) -> Any:
    # `^` as exponent, as people write it (Python's XOR is no arithmetic a user means).
    operators = dict(DEFAULT_OPERATORS)
    operators[ast.BitXor] = operator.pow
    evaluator = SimpleEval(operators=operators, functions=_FUNCTIONS, names=_NAMES)
    return evaluator.eval(expression)


async def _calculate(scope: Scope, args: CalculateArgs) -> dict[str, Any]:
    try:
        value = await asyncio.to_thread(evaluate, args.expression)
    except (InvalidExpression, ArithmeticError, ValueError, TypeError, SyntaxError) as exc:
        raise tool_failed("calculate", f"cannot evaluate {args.expression!r}: {exc}") from None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise tool_failed("calculate", f"{args.expression!r} is not arithmetic")
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        value = int(value)
    return {"expression": args.expression, "result": value}


CALCULATE = Tool("calculate", "Evaluates an arithmetic expression and returns the number.", CalculateArgs, _calculate)
