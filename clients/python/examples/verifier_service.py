"""A tiny service that accepts authd access tokens and refuses revoked ones.

    AUTHD_URL=http://127.0.0.1:8080 AUTHD_SERVICE_KEY=... PORT=8090 \\
        python examples/verifier_service.py

Environment: `AUTHD_URL` (authd's base URL: the JWKS and the revocation
feed are read from it), `AUTHD_ISSUER` (default: AUTHD_URL), `AUTHD_AUDIENCE`
(default `authd`), `AUTHD_SERVICE_KEY` (a key from authd's
AUTH_SERVICE_KEYS), `PORT` (0, the default, picks a free one),
`AUTHD_FAIL_OPEN=1` to accept tokens while the feed is silent.

Once the verifier holds the keys and the revocation list, prints one line,
`listening <port>`, and serves:

- `GET /check` with `Authorization: Bearer <access token>`: 200
  `{"sub", "sid"}`, or 401 `{"error": "<reason>"}` (`revoked`,
  `expired`, `feed_stale`, ...; see authd_client.verifier).
- `GET /status`: the verifier's `status()` as JSON.

Needs `pip install "authd-client[verifier]"`.
"""

from __future__ import annotations

import json
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from authd_client.verifier import VerificationError, Verifier


def main() -> None:
    base = os.environ["AUTHD_URL"].rstrip("/")
    verifier = Verifier(
        issuer=os.environ.get("AUTHD_ISSUER") or base,
        audience=os.environ.get("AUTHD_AUDIENCE") or "authd",
        jwks_url=f"{base}/.well-known/jwks.json",
        revocations_url=f"{base}/v1/revocations",
        service_key=os.environ["AUTHD_SERVICE_KEY"],
        fail_open=os.environ.get("AUTHD_FAIL_OPEN", "") in ("1", "true"),
    )

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive: a harness can measure the verifier, not TCP setup

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if path == "/status":
                self.answer(200, verifier.status())
            elif path == "/check":
                scheme, _, token = self.headers.get("Authorization", "").partition(" ")
                try:
                    if scheme.lower() != "bearer" or not token.strip():
                        raise VerificationError("malformed", "no bearer token")
                    claims = verifier.verify(token.strip())
                except VerificationError as refused:
                    self.answer(401, {"error": refused.reason})
                else:
                    self.answer(200, {"sub": claims["sub"], "sid": claims["sid"]})
            else:
                self.answer(404, {"error": "not_found"})

        def answer(self, status: int, body: object) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            pass  # one line per request would cost more than the check

    server = ThreadingHTTPServer(("127.0.0.1", int(os.environ.get("PORT") or 0)), Handler)
    server.daemon_threads = True
    if not verifier.wait_ready(timeout=float(os.environ.get("AUTHD_READY_TIMEOUT") or 30)):
        print(f"verifier_service: not ready: {verifier.status()['last_error']}", file=sys.stderr)
        sys.exit(1)
    print(f"listening {server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        verifier.close()


if __name__ == "__main__":
    main()
