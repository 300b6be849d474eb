"""A local OpenID issuer for tests: RSA keys it generates, its JWKS served over HTTP.

`JwksIssuer().start()` serves `GET /jwks` on 127.0.0.1 (a thread); `id_token(...)`
signs a Google-like ID token with its key, and `foreign_token(...)` one with a key
the JWKS does not list.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

ISSUER = "https://accounts.google.com"


class JwksIssuer:
    def __init__(self, kid: str = "test-key-1") -> None:
        self.kid = kid
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._foreign = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        jwk = json.loads(RSAAlgorithm.to_jwk(self._key.public_key()))
        jwk.update({"kid": kid, "use": "sig", "alg": "RS256"})
        body = json.dumps({"keys": [jwk]}).encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200 if self.path == "/jwks" else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                return None

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.jwks_url = f"http://127.0.0.1:{self._server.server_address[1]}/jwks"

    def start(self) -> JwksIssuer:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self._server.shutdown()

    def claims(self, audience: str, email: str, **overrides: Any) -> dict[str, Any]:
        now = int(time.time())
        claims = {
            "iss": ISSUER,
            "aud": audience,
            "sub": f"google-{abs(hash(email))}",
            "email": email,
            "email_verified": True,
            "name": "Google User",
            "iat": now,
            "exp": now + 600,
        }
        claims.update(overrides)
        return claims

    def id_token(self, audience: str, email: str, **overrides: Any) -> str:
        return jwt.encode(self.claims(audience, email, **overrides), self._key, "RS256", headers={"kid": self.kid})

    def foreign_token(self, audience: str, email: str) -> str:
        return jwt.encode(self.claims(audience, email), self._foreign, "RS256", headers={"kid": self.kid})
