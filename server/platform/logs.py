"""Process logging: text or one JSON object per line, every line naming the call's
request id (the MCoS correlation id) and trace id, and secrets redacted here, in the
logging layer, whatever the code logging them wrote.

JSON lines carry `time`, `level`, `logger`, `message`, `request_id`, `trace_id`, and
when known `surface`, `method`, `status` and `duration_ms` (the access log adds
`route`, `transport`, `path`, `request_bytes`, `response_bytes`).
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import orjson

from server.platform.admission.call import current_call_or_none

FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"
REDACTED = "[REDACTED]"

def no_trace_id() -> str:
    return ""


# The current trace id ("" without one); tracing (server/platform/observability/tracing.py) sets it.
trace_id_of_current_span: Callable[[], str] = no_trace_id

# Fields a record may carry (`extra=`) that JSON lines include.
_CALL_FIELDS = (
    "surface",
    "method",
    "route",
    "transport",
    "status",
    "duration_ms",
    "path",
    "request_bytes",
    "response_bytes",
)

_SECRET_NAME = (
    r"[\w-]*(?:api[_-]?key|apikey|token|secret|password|passwd|passphrase|authorization|cookie|credential"
    r"|code|assertion|signature)[\w-]*"
)
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # Authorization schemes: the scheme stays, the credential goes.
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+"), rf"\1 {REDACTED}"),
    # Our own key formats (tenant, account keys): the public prefix stays for support.
    (re.compile(r"\b((?:chorus|cc_live|cc_test)_[0-9a-f]+_)[A-Za-z0-9_-]{8,}"), rf"\1{REDACTED}"),
    # Provider keys and webhook secrets by their well-known prefixes.
    (re.compile(r"\b(sk|pk|rk)-[A-Za-z0-9_-]{12,}"), rf"\1-{REDACTED}"),
    (re.compile(r"\bwhsec_[A-Za-z0-9+/=_-]{6,}"), f"whsec_{REDACTED}"),
    # JSON Web Tokens, wherever they appear.
    (re.compile(r"\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*"), REDACTED),
    # name=value, name: value, "name": "value", 'name': 'value' for names that hold secrets.
    (
        re.compile(rf"""(?i)(["']?\b{_SECRET_NAME}["']?\s*[:=]\s*)("[^"]*"|'[^']*'|[^\s,;&}}\]]+)"""),
        rf"\1{REDACTED}",
    ),
)


def redact(text: str) -> str:
    """`text` with every secret it holds replaced by [REDACTED]."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RequestIdFilter(logging.Filter):
    """Adds `request_id` (the current call's, or "-") and `trace_id` to each record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            call = current_call_or_none()
            record.request_id = call.request_id if call is not None else "-"
            if call is not None and not hasattr(record, "method"):
                record.method = call.method[1:]
        record.trace_id = trace_id_of_current_span()
        return True


class RedactingFilter(logging.Filter):
    """Redacts the record's message (arguments filled in) and its exception text, once."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "redacted", False):
            return True
        record.msg = redact(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        record.redacted = True
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
            "trace_id": getattr(record, "trace_id", ""),
        }
        for name in _CALL_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                line[name] = value if not isinstance(value, str) else redact(value)
        if record.exc_text:
            line["exception"] = record.exc_text
        return orjson.dumps(line, default=str).decode()


def configure(level: str, log_format: str = "text", stream: Any = None) -> logging.Handler:
    """One handler on the root logger (replacing any), writing `log_format` lines to
    `stream` (stderr by default); returns it."""
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else logging.Formatter(FORMAT))
    handler.addFilter(RequestIdFilter())
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    # Migration chatter and httpx's line per upstream request (model, MCP, JWKS
    # calls) belong in debug output, not in every start or call.
    for chatty in ("alembic", "httpx"):
        logging.getLogger(chatty).setLevel(max(logging.WARNING, logging.root.level))
    # aiosqlite's debug lines carry every statement's parameters: values such as a mailed
    # code in the development outbox must never reach a log, whatever the level.
    logging.getLogger("aiosqlite").setLevel(max(logging.INFO, logging.root.level))
    return handler
