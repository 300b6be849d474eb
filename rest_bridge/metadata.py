"""HTTP headers ⇄ gRPC metadata.

Request headers become metadata unless they are about HTTP itself (framing,
content negotiation, hop-by-hop, including those the Connection header names). Host becomes `x-forwarded-host`.
The bridge is a proxy: it appends its HTTP peer to `x-forwarded-for` and to
`forwarded` (RFC 7239), after whatever the request carried, and the server
decides how much of that chain to believe (server/platform/admission/client_address.py).
Response metadata becomes HTTP headers, except gRPC's own (`grpc-*`) and binary (`*-bin`) keys.
The verb of the route taken goes out as `x-chorus-http-method` (a client's own header of
that name is dropped), so admission policies can tell a bridged GET from a direct gRPC call.
"""

from __future__ import annotations

import re

# The HTTP verb of the bridge's route, for admission policies (server/platform/admission/pipeline.py).
HTTP_METHOD_KEY = "x-chorus-http-method"

_NOT_FORWARDED = frozenset(
    {
        b"host",
        b"content-length",
        b"content-type",
        b"connection",
        b"keep-alive",
        b"transfer-encoding",
        b"te",
        b"trailer",
        b"upgrade",
        b"accept",
        b"accept-encoding",
        b"expect",
        b"proxy-connection",
        b"proxy-authorization",
        b"cookie",
        b"x-forwarded-for",
        b"forwarded",
        b"x-forwarded-host",
        HTTP_METHOD_KEY.encode(),
    }
)
_VALID_KEY = re.compile(rb"^[0-9a-z_.\-]+$")
# gRPC ASCII metadata values are printable ASCII; grpc raises on anything else
# (a tab, a non-ASCII byte), so such headers are not forwarded.
_VALID_VALUE = re.compile(rb"[\x20-\x7e]*")


def _hops(value: bytes) -> list[str]:
    """A forwarding header's entries; one that metadata cannot carry stays as "unknown",
    so the entries after it keep their place in the chain."""
    hops = (hop for hop in value.split(b",") if hop.strip())
    return [hop.strip().decode() if _VALID_VALUE.fullmatch(hop) else "unknown" for hop in hops]


def request_metadata(
    headers: list[tuple[bytes, bytes]],
    client_ip: str,
    request_id: str,
    request_id_header: bytes = b"x-request-id",
    http_method: str = "",
) -> tuple[tuple[str, str], ...]:
    """`request_id` goes out under `request_id_header` (the surface's name for it);
    `http_method`, the verb of the route taken, under HTTP_METHOD_KEY."""
    out: list[tuple[str, str]] = [(request_id_header.decode(), request_id)]
    if http_method:
        out.append((HTTP_METHOD_KEY, http_method))
    forwarded_for: list[str] = []
    forwarded: list[str] = []
    # Headers that the Connection header names are hop-by-hop too (RFC 9110 section 7.6.1).
    nominated = {
        token.strip().lower() for key, value in headers if key.lower() == b"connection" for token in value.split(b",")
    }
    for raw_key, raw_value in headers:
        key = raw_key.lower()
        if key == b"host":
            if _VALID_VALUE.fullmatch(raw_value):
                out.append(("x-forwarded-host", raw_value.decode("ascii")))
            continue
        if key == b"x-forwarded-for":
            forwarded_for += _hops(raw_value)
            continue
        if key == b"forwarded":
            forwarded += _hops(raw_value)
            continue
        if key in _NOT_FORWARDED or key in nominated or key == request_id_header or key.startswith(b"grpc-"):
            continue
        if key.endswith(b"-bin") or not _VALID_KEY.match(key):
            continue
        if not _VALID_VALUE.fullmatch(raw_value):
            continue
        out.append((key.decode(), raw_value.decode()))
    # Repeated header lines make one list (RFC 9110 section 5.3); this hop goes last.
    out.append(("x-forwarded-for", ", ".join((*forwarded_for, client_ip))))
    node = f'"[{client_ip}]"' if ":" in client_ip else client_ip
    out.append(("forwarded", ", ".join((*forwarded, f"for={node}"))))
    return tuple(out)


def response_headers(*metadata: object) -> list[tuple[bytes, bytes]]:
    """HTTP headers from any number of gRPC metadata sequences, in order."""
    out: list[tuple[bytes, bytes]] = []
    seen: set[str] = set()
    for md in metadata:
        for key, value in md or ():  # type: ignore[attr-defined]
            if key.startswith("grpc-") or key.endswith("-bin") or key in seen:
                continue
            if key in ("content-type", "content-length"):
                continue
            seen.add(key)
            out.append((key.encode(), str(value).encode()))
    return out
