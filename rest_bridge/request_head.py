"""What the bridge reads from a request's headers before routing it, and what it refuses.

One pass over the header list finds the Host (exactly one, RFC 9112 section 3.2),
Content-Length, Content-Type, Origin and a CORS preflight's questions, and totals the header bytes: headers become
gRPC metadata, whose size is limited, so an oversized header block is refused
here (431) instead of failing inside gRPC.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Header names and values, summed. gRPC's default metadata limit is 8 KiB, and
# the bridge forwards most headers; nginx's default header buffer is 8 KiB too.
MAX_HEADER_BYTES = 8192
MAX_HEADER_COUNT = 100

# A Host value is a URI host (reg-name, IPv4, [IPv6]) and an optional port.
_HOST_RE = re.compile(rb"[A-Za-z0-9._~!$&'()*+,;=%:\[\]-]*")


@dataclass(slots=True)
class Refusal:
    status: int
    reason: str
    message: str


@dataclass(slots=True)
class RequestHead:
    host: str = ""  # lower case, without port
    authority: str = ""  # the Host value, lower case, port included (mounts may select by port)
    content_length: int | None = None
    content_type: bytes | None = None  # None: no Content-Type header
    # CORS: the page's origin, and what a preflight asks for.
    origin: str | None = None
    preflight_method: str | None = None  # Access-Control-Request-Method
    preflight_headers: str = ""  # Access-Control-Request-Headers
    refusal: Refusal | None = None


def host_name(authority: str) -> str:
    """The host of a Host value, without its port (an IPv6 literal keeps its brackets)."""
    if authority.endswith("]"):
        return authority
    return authority.rsplit(":", 1)[0]


def read_head(headers: list[tuple[bytes, bytes]]) -> RequestHead:
    head = RequestHead()
    hosts = 0
    size = 0
    for key, value in headers:
        size += len(key) + len(value)
        if key == b"host":
            hosts += 1
            if hosts == 1:
                head.authority = value.decode("latin-1").lower()
                head.host = host_name(head.authority)
                if not _HOST_RE.fullmatch(value):
                    head.refusal = Refusal(400, "INVALID_HOST", "The Host header is not a valid host name")
        elif key == b"content-length":
            if value.isdigit():
                head.content_length = int(value)
        elif key == b"content-type":
            head.content_type = value
        elif key == b"origin":
            head.origin = value.decode("latin-1")
        elif key == b"access-control-request-method":
            head.preflight_method = value.decode("latin-1")
        elif key == b"access-control-request-headers":
            head.preflight_headers = value.decode("latin-1")
    if hosts > 1:
        head.refusal = Refusal(400, "INVALID_HOST", "A request must carry exactly one Host header")
    if size > MAX_HEADER_BYTES or len(headers) > MAX_HEADER_COUNT:
        head.refusal = Refusal(
            431,
            "HEADERS_TOO_LARGE",
            f"Request headers exceed {MAX_HEADER_BYTES} bytes or {MAX_HEADER_COUNT} fields",
        )
    return head


def media_type(content_type: bytes | None) -> bytes:
    """The bare media type, lower case; b"" when there is no Content-Type."""
    if content_type is None:
        return b""
    return content_type.split(b";", 1)[0].strip().lower()


def is_json_type(media: bytes) -> bool:
    """application/json, or a structured-syntax `+json` type (`media` as `media_type` gives it)."""
    return media == b"application/json" or (media.startswith(b"application/") and media.endswith(b"+json"))
