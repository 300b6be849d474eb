"""A chat message's text from the forms clients send it in.

The MCoS document shows `content` as a string; its assistant-ui snippet
posts assistant-ui's own messages, whose `content` is an array of parts
(`{"type": "text", "text": "..."}`, and also image, file, tool-call,
reasoning... parts) and whose user messages may carry `attachments`, each
with parts of its own. The models here take text only, so text parts are
joined with newlines (a message's own parts first, then its attachments')
and any other part is refused by its type, at the path the client wrote.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from server.platform.validation import Violations

TEXT = "text"


def message_text(problems: Violations, where: str, content: Any, attachments: Sequence[Any] = ()) -> str:
    """The text of `content` (a string or an array of parts) and of the
    attachments' parts; every problem is added to `problems` under `where`."""
    if isinstance(content, str):
        texts = [content]
    elif isinstance(content, list):
        texts = _part_texts(problems, f"{where}.content", content)
    elif content is None:
        texts = []
    else:
        problems.add(f"{where}.content", "Expected a string or an array of content parts")
        texts = []
    for index, attachment in enumerate(attachments):
        at = f"{where}.attachments.{index}"
        parts = attachment.get("content") if isinstance(attachment, dict) else None
        if not isinstance(parts, list):
            problems.add(f"{at}.content", "Expected an array of content parts")
            continue
        texts += _part_texts(problems, f"{at}.content", parts)
    return "\n".join(texts)


def _part_texts(problems: Violations, where: str, parts: list[Any]) -> list[str]:
    texts = []
    for index, part in enumerate(parts):
        at = f"{where}.{index}"
        if not isinstance(part, dict):
            problems.add(at, "Expected a content part object")
            continue
        kind = part.get("type")
        if kind is None:
            problems.add(f"{at}.type", "Required")
        elif not isinstance(kind, str):
            problems.add(f"{at}.type", "Expected string")
        elif kind != TEXT:
            problems.add(f"{at}.type", f"Content parts of type '{kind}' are not supported; only 'text' parts are")
        elif not isinstance(part.get("text"), str):
            problems.add(f"{at}.text", "Expected string")
        else:
            texts.append(part["text"])
    return texts
