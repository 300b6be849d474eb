"""The `calculate` tool: arithmetic, and everything else refused (simpleeval, never eval)."""

from __future__ import annotations

import pytest

from server.platform.errors import ChorusError
from server.platform.scope import Scope
from server.platform.tools.calculate import CALCULATE
from server.platform.tools.registry import ToolRegistry

REGISTRY = ToolRegistry([CALCULATE])


@pytest.mark.parametrize(
    ("expression", "result"),
    [("2+2", 4), ("2^10", 1024), ("sqrt(16) * (3 - 1) ** 2", 16), ("7 / 2", 3.5), ("round(pi, 2)", 3.14)],
)
async def test_arithmetic(expression: str, result: float) -> None:
    outcome = await REGISTRY.execute(Scope("t"), "calculate", {"expression": expression})
    assert outcome.result == {"expression": expression, "result": result}


@pytest.mark.parametrize(
    "expression",
    ["__import__('os').system('true')", "().__class__.__bases__", "open('/etc/passwd')", "9**9**9**9", "1/0", "'a'*3"],
)
async def test_anything_but_arithmetic_is_a_tool_error(expression: str) -> None:
    with pytest.raises(ChorusError) as refused:
        await REGISTRY.execute(Scope("t"), "calculate", {"expression": expression})
    assert refused.value.reason == "TOOL_ERROR"
