"""Measures authd_client.verifier (figures in README.md, "Verifying tokens").

    python bench/verifier_bench.py memory [N]      # N revoked sids held (default 1,000,000)
    AUTHD_URL=... AUTHD_OUTBOX_DIR=... AUTHD_SERVICE_KEY=... \\
        python bench/verifier_bench.py latency [N]   # N logouts (default 50)

`memory` fills the verifier's own revocation structure with N synthetic
entries (as the feed would: UUIDv7 sids, one entry per ms) and reports the
Python heap (tracemalloc) and the process RSS before and after, and the cost
of one `verify` against it. `latency` logs N sessions out at a real authd
and reports the time from each logout's answer to the verifier's first
`revoked` (verify polled every 1 ms), p50/p99/max, and the cost of one
`verify` of a live token (signature, claims, revocation lookup). With
`AUTHD_LOGOUT_URL` (another authd instance on the same database), the
sessions are logged in and out there while the verifier reads the feed of
AUTHD_URL.
"""

from __future__ import annotations

import gc
import json
import os
import secrets
import statistics
import sys
import time
import tracemalloc
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime


def rss_mib() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def uuid7(ms: int) -> str:
    value = (ms << 80) | (0x7 << 76) | (secrets.randbits(12) << 64) | (0b10 << 62) | secrets.randbits(62)
    return str(uuid.UUID(int=value))


def memory(count: int) -> None:
    from authd_client.verifier import _Revocations

    # As the feed would send them: one revocation every 0.5 ms up to now
    # (1,000,000 in 500 s, all within max_age = 905 s).
    now_ms = int(time.time() * 1000)

    def entries() -> Iterator[dict[str, str]]:
        for i in range(count):
            at = now_ms - (count - i) // 2
            yield {
                "sid": uuid7(at),
                "sub": "0193b3c4-5e0d-7c19-8b0a-1e3d4c5b6a79",
                "revoked_at": datetime.fromtimestamp(at / 1000, UTC).isoformat(timespec="milliseconds"),
                "reason": "logout",
            }

    def fill() -> tuple[_Revocations, float, str]:
        revocations = _Revocations()
        revocations.max_age = 905
        started = time.perf_counter()
        probe = ""
        for i, entry in enumerate(entries()):
            revocations.apply(entry)
            if i == count // 2:
                probe = entry["sid"]
        assert len(revocations.sessions) == count, len(revocations.sessions)
        return revocations, time.perf_counter() - started, probe

    gc.collect()
    rss_before = rss_mib()
    revocations, applied, probe = fill()
    gc.collect()
    rss_after = rss_mib()
    rounds = 200_000
    started = time.perf_counter()
    for _ in range(rounds):
        assert revocations.is_revoked(probe, "someone")
    lookup = (time.perf_counter() - started) / rounds
    started = time.perf_counter()
    revocations.prune(time.time() + 700)  # 700 s later: the oldest ~590,000 are past max_age
    pruned = time.perf_counter() - started
    left = len(revocations.sessions)
    del revocations
    gc.collect()

    tracemalloc.start()
    _kept, _, _ = fill()
    gc.collect()
    heap, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        json.dumps(
            {
                "revoked_sids": count,
                "heap_mib_tracemalloc": round(heap / 2**20, 1),
                "heap_bytes_per_sid": round(heap / count, 1),
                "rss_mib_before": round(rss_before, 1),
                "rss_mib_after": round(rss_after, 1),
                "rss_mib_growth": round(rss_after - rss_before, 1),
                "apply_seconds_incl_json_time_parsing": round(applied, 2),
                "is_revoked_microseconds": round(lookup * 1e6, 2),
                "prune_seconds_700s_later": round(pruned, 3),
                "left_after_prune": left,
            },
            indent=2,
        )
    )


def latency(count: int) -> None:
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests"))
    from conftest import PASSWORD, unique_email, wait_for_verification_token

    from authd import AuthdClient
    from authd_client.verifier import VerificationError, Verifier

    base = os.environ["AUTHD_URL"].rstrip("/")
    outbox = __import__("pathlib").Path(os.environ["AUTHD_OUTBOX_DIR"])
    address = unique_email("bench")
    with AuthdClient(base) as authd:
        authd.register(address, PASSWORD)
        authd.verify_email(wait_for_verification_token(outbox, address))
        issuer = json.loads(
            __import__("base64").urlsafe_b64decode(authd.login(address, PASSWORD).access_token.split(".")[1] + "==")
        )["iss"]
    times: list[float] = []
    with (
        Verifier(
            issuer=os.environ.get("AUTHD_ISSUER") or issuer,
            audience=os.environ.get("AUTHD_AUDIENCE") or "authd",
            jwks_url=f"{base}/.well-known/jwks.json",
            revocations_url=f"{base}/v1/revocations",
            service_key=os.environ["AUTHD_SERVICE_KEY"],
        ) as verifier,
        AuthdClient(os.environ.get("AUTHD_LOGOUT_URL") or base) as authd,
    ):
        assert verifier.wait_ready(10), verifier.status()
        live = authd.login(address, PASSWORD).access_token
        rounds = 5000
        started = time.perf_counter()
        for _ in range(rounds):
            verifier.verify(live)
        verify_us = (time.perf_counter() - started) / rounds * 1e6
        for _ in range(count):
            token = authd.login(address, PASSWORD).access_token
            verifier.verify(token)
            authd.logout()
            answered = time.monotonic()
            while True:
                try:
                    verifier.verify(token)
                except VerificationError as refused:
                    assert refused.reason == "revoked", refused
                    break
                time.sleep(0.001)
            times.append(time.monotonic() - answered)
        status = verifier.status()
    times.sort()
    pick = lambda q: times[min(len(times) - 1, round(q * (len(times) - 1)))]
    print(
        json.dumps(
            {
                "logouts": count,
                "p50_ms": round(statistics.median(times) * 1000, 1),
                "p99_ms": round(pick(0.99) * 1000, 1),
                "max_ms": round(times[-1] * 1000, 1),
                "min_ms": round(times[0] * 1000, 1),
                "verify_microseconds": round(verify_us, 1),
                "mode": status["mode"],
                "events": status["events"],
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    what = sys.argv[1] if len(sys.argv) > 1 else "memory"
    n = int(sys.argv[2]) if len(sys.argv) > 2 else None
    if what == "memory":
        memory(n or 1_000_000)
    elif what == "latency":
        latency(n or 50)
    else:
        sys.exit(__doc__)
