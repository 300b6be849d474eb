"""Process logging: every line written during a call names the call's request id
(the MCoS correlation id), so one request can be followed across components."""

from __future__ import annotations

import logging

from server.platform.admission.call import current_call_or_none

FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to each record: the current call's, or "-" outside a call."""

    def filter(self, record: logging.LogRecord) -> bool:
        call = current_call_or_none()
        record.request_id = call.request_id if call is not None else "-"
        return True


def configure(level: str) -> None:
    logging.basicConfig(level=level.upper(), format=FORMAT)
    for handler in logging.root.handlers:
        handler.addFilter(RequestIdFilter())
    # Migration chatter and httpx's line per upstream request (model, MCP, JWKS
    # calls) belong in debug output, not in every start or call.
    for chatty in ("alembic", "httpx"):
        logging.getLogger(chatty).setLevel(max(logging.WARNING, logging.root.level))
    # aiosqlite's debug lines carry every statement's parameters: values such as a mailed
    # code in the development outbox must never reach a log, whatever the level.
    logging.getLogger("aiosqlite").setLevel(max(logging.INFO, logging.root.level))
