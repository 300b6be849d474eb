"""Ruff, the real analyser for Python code under review: it reads the code, never runs it.

The code goes to `ruff check` on stdin, `--isolated` (no configuration file
of this machine applies) with a fixed rule selection, each finding mapped to
a review area by its rule's linter: flake8-bandit (S) is security, Perflint
(PERF) performance, pyflakes (F), bugbear (B), Pylint errors (PLE), async
(ASYNC) and syntax errors are bugs, the rest style.
"""

from __future__ import annotations

import asyncio
import tempfile
from dataclasses import dataclass

import orjson
from ruff.__main__ import find_ruff_bin  # type: ignore[import-untyped]

RULES = "E,W,F,B,S,PERF,UP,SIM,ASYNC,PLE"
TIMEOUT = 20.0


@dataclass(frozen=True, slots=True)
class Finding:
    rule: str
    category: str  # security, performance, bugs, style
    severity: str  # error, warning, info
    line: int
    column: int
    message: str
    suggestion: str


class AnalyserFailed(RuntimeError):
    pass


def category_of(rule: str) -> str:
    if rule.startswith("S"):
        return "security"
    if rule.startswith("PERF"):
        return "performance"
    if not rule or rule.startswith(("F", "B", "PLE", "ASYNC", "E9")):
        return "bugs"
    return "style"


_SEVERITY = {"bugs": "error", "security": "warning", "performance": "warning", "style": "info"}


async def ruff_findings(code: str) -> list[Finding]:
    """Ruff's findings on `code` (Python), in line order."""
    with tempfile.TemporaryDirectory(prefix="chorus-ruff-") as scratch:  # no project config above it applies
        process = await asyncio.create_subprocess_exec(
            find_ruff_bin(),
            *("check", "--isolated", "--no-cache", "--exit-zero", "--select", RULES),
            *("--output-format", "json", "--stdin-filename", "snippet.py", "-"),
            cwd=scratch,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            out, err = await asyncio.wait_for(process.communicate(code.encode()), TIMEOUT)
        except TimeoutError:
            process.kill()
            await process.wait()
            raise AnalyserFailed(f"ruff took over {TIMEOUT:.0f} s") from None
    if process.returncode != 0:
        raise AnalyserFailed(f"ruff failed: {err.decode(errors='replace').strip()[:500]}")
    findings = []
    for item in orjson.loads(out):
        rule = item.get("code") or ""
        category = category_of(rule)
        fix = item.get("fix") or {}
        findings.append(
            Finding(
                rule,
                category,
                _SEVERITY[category],
                int((item.get("location") or {}).get("row") or 0),
                int((item.get("location") or {}).get("column") or 0),
                str(item.get("message", "")),
                str(fix.get("message") or ""),
            )
        )
    return sorted(findings, key=lambda f: (f.line, f.column, f.rule))
