"""The signatures a delivery carries: ChaozCode's `X-ChaozCode-Signature: sha256=<hex>`
(an HMAC-SHA256 of the raw body keyed with the secret's text, as the document's
Node snippet computes it) and Standard Webhooks' `webhook-signature`
(`v1,<base64 HMAC of "id.timestamp.body">`), which binds the event id and time so
receivers can refuse replays."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets

PREFIX = "whsec_"


def new_secret() -> str:
    """A secret both schemes read: `whsec_` and the base64 of 32 random bytes."""
    return PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def standard_key(secret: str) -> bytes:
    """Standard Webhooks' key: the bytes a `whsec_<base64>` secret encodes; any other
    secret's own UTF-8 bytes (a receiver passes `whsec_` + base64 of it to its library)."""
    if secret.startswith(PREFIX):
        try:
            return base64.b64decode(secret[len(PREFIX) :], validate=True)
        except binascii.Error:
            pass
    return secret.encode()


def chaozcode_signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def standard_headers(secret: str, event_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    signed = f"{event_id}.{timestamp}.".encode() + body
    digest = base64.b64encode(hmac.new(standard_key(secret), signed, hashlib.sha256).digest()).decode()
    return {"webhook-id": event_id, "webhook-timestamp": str(timestamp), "webhook-signature": f"v1,{digest}"}
