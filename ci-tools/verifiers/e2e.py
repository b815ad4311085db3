#!/usr/bin/env python3
"""Instant logout everywhere, end to end (API.md §18, issue #34).

Starts authd (two instances on one database and store when --instances 2),
a tiny service per client language that verifies access tokens with the
client's verifier (clients/typescript/examples/verifier-service.mjs,
clients/python/examples/verifier_service.py) against the *second*
instance's JWKS and revocation feed, and a Shared Signals receiver. Then,
through the *first* instance: logs users out (one session, everywhere),
disables one, changes another's password, and measures for each service
the time from authd's answer to the first refusal of the old token (polled
every 5 ms). Every refusal must come within 1 s. Each Security Event Token
the receiver got is verified with PyJWT (an independent JOSE library)
against the JWKS.

    python ci-tools/verifiers/e2e.py --bin target/debug/authd \\
        --node-service 'node clients/typescript/examples/verifier-service.mjs' \\
        --python-service '/tmp/venv/bin/python clients/python/examples/verifier_service.py' \\
        [--database-url postgres://… --redis-url redis://… --redis-prefix p: --instances 2] \\
        [--logouts 50]

Needs PyJWT with cryptography in the interpreter that runs it. Last line
when everything held: `verifiers: … 0 failed`. Exit status 1 otherwise.
"""

import argparse
import base64
import http.server
import json
import os
import queue
import shlex
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid

import jwt  # PyJWT

ISSUER = "http://authd.internal"
SERVICE_KEY = "verifier-e2e-" + uuid.uuid4().hex  # 45 characters
PASSWORD = "correct-Horse-battery-9"
DEADLINE = 1.0
POLL = 0.005

failures = []
# When each session was logged out (the SETs' delivery time is measured from it).
logged_out_at = {}


def fail(message):
    failures.append(message)
    print(f"FAILED: {message}", flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(base, method, path, body=None, token=None, timeout=10):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            raw = answer.read()
            return answer.status, (json.loads(raw) if raw else None)
    except urllib.error.HTTPError as e:
        raw = e.read()
        try:
            return e.code, json.loads(raw) if raw else None
        except ValueError:
            return e.code, raw.decode(errors="replace")


class Receiver(http.server.BaseHTTPRequestHandler):
    """An RFC 8935 push receiver: records each SET, answers 202."""

    got = queue.Queue()

    def do_POST(self):  # noqa: N802 (http.server's name)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode()
        Receiver.got.put((self.headers.get("Content-Type"), body, time.monotonic()))
        self.send_response(202)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def start_authd(args, env, port, log):
    env = dict(env, AUTH_BIND=f"127.0.0.1:{port}")
    process = subprocess.Popen(
        [args.bin, "serve"], env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if call(base, "GET", "/readyz")[0] == 200:
                return process, base
        except OSError:
            pass
        if process.poll() is not None:
            break
        time.sleep(0.1)
    raise SystemExit(f"authd on port {port} did not start (see {log.name})")


def start_service(name, command, authd_url, log):
    env = dict(
        os.environ,
        AUTHD_URL=authd_url,
        AUTHD_ISSUER=ISSUER,
        AUTHD_AUDIENCE="authd",
        AUTHD_SERVICE_KEY=SERVICE_KEY,
        PORT="0",
    )
    process = subprocess.Popen(
        shlex.split(command), env=env, stdout=subprocess.PIPE, stderr=log, text=True
    )
    lines = queue.Queue()
    threading.Thread(target=lambda: [lines.put(l) for l in process.stdout], daemon=True).start()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=1).strip()
        except queue.Empty:
            if process.poll() is not None:
                break
            continue
        if line.startswith("listening "):
            return process, f"http://127.0.0.1:{int(line.split()[1])}"
    raise SystemExit(f"the {name} service did not say 'listening <port>' (see {log.name})")


def check(service, token):
    return call(service, "GET", "/check", token=token, timeout=5)


def refusal_time(services, token, started):
    """Seconds from `started` to the first refusal, per service (None past 3 s)."""
    times = {}
    pending = dict(services)
    while pending and time.monotonic() - started < 3:
        for name, url in list(pending.items()):
            status, body = check(url, token)
            if status == 401:
                times[name] = (time.monotonic() - started, (body or {}).get("error"))
                del pending[name]
        time.sleep(POLL)
    for name in pending:
        times[name] = (None, None)
    return times


def login(base, email):
    status, body = call(base, "POST", "/v1/auth/login", {"email": email, "password": PASSWORD})
    if status != 200:
        raise SystemExit(f"login of {email} answered {status}: {body}")
    return body["access_token"]


def accepted_by_all(services, token, what):
    # The verifier may see a brand-new key only after a JWKS fetch; a
    # session is never listed before it is revoked, so this is quick.
    deadline = time.monotonic() + 5
    for name, url in services.items():
        while True:
            status, body = check(url, token)
            if status == 200:
                break
            if time.monotonic() > deadline:
                fail(f"{name}: a fresh token for {what} was refused: {status} {body}")
                return False
            time.sleep(0.05)
    return True


def session_of(token):
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["sid"]


def measure(services, token, act, what, samples):
    status = act()
    started = time.monotonic()
    logged_out_at[session_of(token)] = started
    if status not in (200, 204):
        fail(f"{what}: authd answered {status}")
        return
    for name, (seconds, reason) in refusal_time(services, token, started).items():
        if seconds is None:
            fail(f"{name}: {what}: the token was still accepted 3 s later")
            continue
        if reason != "revoked":
            fail(f"{name}: {what}: refused with {reason!r}, not 'revoked'")
        if seconds > DEADLINE:
            fail(f"{name}: {what}: refused after {seconds * 1000:.0f} ms (more than 1 s)")
        samples.setdefault(name, []).append(seconds)


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bin", required=True)
    parser.add_argument("--node-service", required=True)
    parser.add_argument("--python-service", required=True)
    parser.add_argument("--database-url")
    parser.add_argument("--redis-url")
    parser.add_argument("--redis-prefix", default=f"authd-verifiers:{uuid.uuid4().hex}:")
    parser.add_argument("--instances", type=int, choices=(1, 2), default=1)
    parser.add_argument("--logouts", type=int, default=50)
    args = parser.parse_args()

    work = tempfile.mkdtemp(prefix="authd-verifiers.")
    receiver = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    receiver_url = f"http://127.0.0.1:{receiver.server_address[1]}/ssf/events"
    env = dict(
        os.environ,
        AUTH_ISSUER=ISSUER,
        AUTH_SERVICE_KEYS=f"e2e:{SERVICE_KEY}",
        AUTH_SSF_RECEIVERS=receiver_url,
        AUTH_BCRYPT_COST="4",
        AUTH_RATE_LIMITS="false",
        AUTH_REQUIRE_VERIFIED_EMAIL="false",
        AUTH_LOG_FORMAT="json",
        AUTH_JWT_KEY_FILE=f"{work}/key.pem",
        AUTH_MFA_KEY_FILE=f"{work}/mfa.key",
        AUTH_OUTBOX_DIR=f"{work}/outbox",
        DATABASE_URL=args.database_url or f"sqlite://{work}/authd.db",
    )
    env.pop("REDIS_URL", None)
    if args.redis_url:
        env.update(REDIS_URL=args.redis_url, AUTH_REDIS_PREFIX=args.redis_prefix)
    processes = []
    samples = {}
    log = open(f"{work}/processes.log", "w")
    try:
        subprocess.run([args.bin, "keygen", "--out", env["AUTH_JWT_KEY_FILE"]], env=env,
                       check=True, stdout=subprocess.DEVNULL)
        first, first_url = start_authd(args, env, free_port(), log)
        processes.append(first)
        second_url = first_url
        if args.instances == 2:
            second, second_url = start_authd(args, env, free_port(), log)
            processes.append(second)
        subprocess.run([args.bin, "create-admin", "--email", "admin@verifiers.test"], env=env,
                       input=PASSWORD + "\n", text=True, check=True,
                       stdout=subprocess.DEVNULL, stderr=log)
        admin = login(first_url, "admin@verifiers.test")

        services = {}
        for name, command in (("node", args.node_service), ("python", args.python_service)):
            process, url = start_service(name, command, second_url, log)
            processes.append(process)
            services[name] = url
        print(f"authd: {first_url} (actions) and {second_url} (the services' feed); "
              f"services: {services}", flush=True)

        def user():
            email = f"v-{uuid.uuid4().hex[:12]}@verifiers.test"
            status, body = call(first_url, "POST", "/v1/auth/register",
                                {"email": email, "password": PASSWORD})
            if status not in (201, 202):
                raise SystemExit(f"register answered {status}: {body}")
            token = login(first_url, email)
            status, me = call(first_url, "GET", "/v1/me", token=token)
            return email, me["id"], token

        email, _, _ = user()
        for _ in range(args.logouts):
            token = login(first_url, email)
            if accepted_by_all(services, token, "logout"):
                measure(services, token, lambda: call(first_url, "POST", "/v1/auth/logout",
                                                      token=token)[0], "logout", samples)

        email, _, token = user()
        accepted_by_all(services, token, "logout-all")
        measure(services, token, lambda: call(first_url, "POST", "/v1/auth/logout-all",
                                              token=token)[0], "logout-all", samples)

        _, sub, token = user()
        accepted_by_all(services, token, "disable")
        measure(services, token, lambda: call(first_url, "POST", f"/v1/admin/users/{sub}/disable",
                                              token=admin)[0], "disable", samples)
        call(first_url, "POST", f"/v1/admin/users/{sub}/enable", token=admin)

        email, _, token = user()
        other = login(first_url, email)
        accepted_by_all(services, other, "password change")
        measure(services, other, lambda: call(
            first_url, "POST", "/v1/auth/password/change",
            {"current_password": PASSWORD, "new_password": "another-Horse-battery-7"},
            token=token)[0], "password change (another session)", samples)

        for name, values in samples.items():
            ms = [v * 1000 for v in values]
            print(f"{name}: {len(ms)} revocations, refused after p50 {statistics.median(ms):.0f} ms, "
                  f"p99 {percentile(ms, 99):.0f} ms, max {max(ms):.0f} ms", flush=True)

        verify_sets(second_url, receiver_url)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        receiver.shutdown()
        log.close()
        if failures:
            print(f"(logs kept in {work})")
        else:
            subprocess.run(["rm", "-rf", work])
    print(f"verifiers: {sum(len(v) for v in samples.values())} refusals measured, "
          f"{len(failures)} failed")
    return 1 if failures else 0


def verify_sets(authd_url, receiver_url):
    """Every pushed SET verifies with PyJWT against the JWKS."""
    deadline = time.monotonic() + 20
    got, delays = [], []
    wanted = {"session-revoked", "account-disabled", "account-enabled", "credential-change"}
    seen = set()
    keys = jwt.PyJWKClient(f"{authd_url}/.well-known/jwks.json")
    while time.monotonic() < deadline and not wanted <= seen:
        try:
            content_type, body, arrived = Receiver.got.get(timeout=0.5)
        except queue.Empty:
            continue
        got.append(body)
        if content_type != "application/secevent+jwt":
            fail(f"a SET came as {content_type!r}")
        header = jwt.get_unverified_header(body)
        if header.get("typ") != "secevent+jwt":
            fail(f"a SET's typ is {header.get('typ')!r}")
        claims = jwt.decode(body, keys.get_signing_key_from_jwt(body).key, algorithms=["EdDSA"],
                            audience=receiver_url, issuer=ISSUER, options={"require": ["iat", "jti"]})
        if "exp" in claims:
            fail("a SET carries exp")
        for uri in claims["events"]:
            seen.add(uri.rsplit("/", 1)[1])
        session = claims["sub_id"].get("session", {}).get("id")
        if session in logged_out_at:
            delays.append((arrived - logged_out_at[session]) * 1000)
    if not wanted <= seen:
        fail(f"SETs expected for {sorted(wanted)}, got {sorted(seen)}")
    print(f"shared signals: {len(got)} SETs verified with PyJWT {jwt.__version__} "
          f"({', '.join(sorted(seen))})", flush=True)
    if delays:
        print(f"shared signals: logout answer -> SET received, {len(delays)} logouts: "
              f"p50 {statistics.median(delays):.0f} ms, p99 {percentile(delays, 99):.0f} ms",
              flush=True)


if __name__ == "__main__":
    sys.exit(main())
