#!/usr/bin/env python3
"""The revocation feed with 1,000,000 revoked sessions in its window
(issue #34): authd's memory and time to start, to page through the whole
list (`GET /v1/revocations`) and to stream it (`/v1/revocations/stream`).

    python3 bench/revocations-1m.py [--bin target/release/authd] [--sessions 1000000]

SQLite, in-process store (the default configuration). The sessions are
written with SQL, not through the API (1,000,000 logouts would take hours
of bcrypt): one user, UUIDv7 session ids, revoked within the last 10
minutes. Prints one line per phase with the RSS (VmRSS) and the peak
(VmHWM) of the authd process.
"""

import argparse
import datetime
import json
import os
import random
import socket
import sqlite3
import subprocess
import tempfile
import time
import urllib.request

KEY = "bench-feed-" + "k" * 32


def uuid7(ms):
    value = (ms & ((1 << 48) - 1)) << 80 | 0x7 << 76 | random.getrandbits(12) << 64
    value |= 0b10 << 62 | random.getrandbits(62)
    h = f"{value:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def memory(pid):
    fields = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            name, _, value = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                fields[name] = int(value.split()[0]) / 1024
    return f"RSS {fields['VmRSS']:.0f} MiB, peak {fields['VmHWM']:.0f} MiB"


def get(url, headers=None, timeout=60):
    request = urllib.request.Request(url, headers=headers or {})
    return urllib.request.urlopen(request, timeout=timeout)


def start(binary, env):
    process = subprocess.Popen([binary, "serve"], env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    base = f"http://{env['AUTH_BIND']}"
    started = time.monotonic()
    while True:
        try:
            if get(base + "/readyz", timeout=2).status == 200:
                return process, base, time.monotonic() - started
        except OSError:
            time.sleep(0.05)
        if process.poll() is not None or time.monotonic() - started > 600:
            raise SystemExit("authd did not start")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", default="target/release/authd")
    parser.add_argument("--sessions", type=int, default=1_000_000)
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="authd-feed-1m.")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, AUTH_BIND=f"127.0.0.1:{port}", DATABASE_URL=f"sqlite://{work}/authd.db",
               AUTH_JWT_KEY_FILE=f"{work}/key.pem", AUTH_MFA_KEY_FILE=f"{work}/mfa.key",
               AUTH_OUTBOX_DIR=f"{work}/outbox", AUTH_SERVICE_KEYS=f"bench:{KEY}",
               AUTH_LOG_FORMAT="json", RUST_LOG="warn")
    env.pop("REDIS_URL", None)
    subprocess.run([args.bin, "migrate"], env=env, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)

    db = sqlite3.connect(f"{work}/authd.db")
    now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    text = lambda t: t.strftime("%Y-%m-%d %H:%M:%S.%f")  # noqa: E731
    user = uuid7(int(time.time() * 1000) - 3_600_000)
    db.execute("INSERT INTO users (id, email, password_hash, email_verified, disabled, created_at, "
               "updated_at, password_changed_at, registrations) VALUES (?, ?, '', 1, 0, ?, ?, ?, 1)",
               (user, "feed@bench.test", text(now), text(now), text(now)))
    started = time.monotonic()
    window_ms = 600_000
    now_ms = int(now.replace(tzinfo=datetime.timezone.utc).timestamp() * 1000)
    batch = []
    for i in range(args.sessions):
        revoked_ms = now_ms - window_ms + i * window_ms // args.sessions
        revoked = datetime.datetime.fromtimestamp(revoked_ms / 1000, datetime.timezone.utc)
        revoked = text(revoked.replace(tzinfo=None))
        batch.append((uuid7(revoked_ms - 60_000), user, uuid7(revoked_ms), revoked, revoked,
                      text(now + datetime.timedelta(days=30)), revoked))
        if len(batch) == 50_000:
            db.executemany("INSERT INTO sessions (id, user_id, refresh_jti, created_at, last_used_at, "
                           "expires_at, revoked_at, revoked_reason, aal, amr) "
                           "VALUES (?, ?, ?, ?, ?, ?, ?, 'logout', 'aal1', 'pwd')", batch)
            batch.clear()
    if batch:
        db.executemany("INSERT INTO sessions (id, user_id, refresh_jti, created_at, last_used_at, "
                       "expires_at, revoked_at, revoked_reason, aal, amr) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?, 'logout', 'aal1', 'pwd')", batch)
    db.commit()
    db.close()
    print(f"{args.sessions:,} revoked sessions written in {time.monotonic() - started:.1f} s "
          f"(the last 10 minutes)", flush=True)

    process, base, took = start(args.bin, env)
    try:
        print(f"started in {took:.1f} s (the in-process store reloads the revoked sessions): "
              f"{memory(process.pid)}", flush=True)
        auth = {"Authorization": f"Bearer {KEY}"}
        started, cursor, listed, pages = time.monotonic(), None, 0, 0
        while True:
            url = base + "/v1/revocations" + (f"?since={cursor}" if cursor else "")
            page = json.load(get(url, auth))
            pages += 1
            listed += len(page["sessions"])
            cursor = page["cursor"]
            if not page["has_more"]:
                break
        print(f"paged: {listed:,} entries in {pages} pages, {time.monotonic() - started:.1f} s: "
              f"{memory(process.pid)}", flush=True)

        started, events = time.monotonic(), 0
        with get(base + "/v1/revocations/stream", auth, timeout=120) as stream:
            for line in stream:
                if line.startswith(b"event: revocation"):
                    events += 1
                    if events >= args.sessions:
                        break
        print(f"streamed: {events:,} events in {time.monotonic() - started:.1f} s: "
              f"{memory(process.pid)}", flush=True)
    finally:
        process.terminate()
        process.wait()
        subprocess.run(["rm", "-rf", work])


if __name__ == "__main__":
    main()
