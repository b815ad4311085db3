// Time from a logout's answer to the verifier's refusal of that session's
// access token, over N logouts (default 50): p50, p99, max.
//
//   AUTHD_URL=http://127.0.0.1:8080 AUTHD_OUTBOX_DIR=./data/outbox AUTHD_SERVICE_KEY=… \
//     node scripts/verifier-latency.mjs [N] [stream|poll]
//
// The server needs AUTH_RATE_LIMITS=false (N logins of one user) and its
// mail in AUTHD_OUTBOX_DIR (the user is registered and verified first).
// AUTHD_ISSUER defaults to the iss of the server's tokens. The verifier is
// asked every millisecond, so figures are good to about 1 ms.
import { setTimeout as sleep } from "node:timers/promises";
import { AuthdClient, createVerifier } from "@authd/client";
import { PASSWORD, newVerifiedUser } from "../test/support.mjs";

const n = Number(process.argv[2] ?? 50);
const mode = process.argv[3] ?? "stream";
const base = (process.env.AUTHD_URL ?? "").replace(/\/+$/, "");
const serviceKey = process.env.AUTHD_SERVICE_KEY;
if (!base || !serviceKey || !process.env.AUTHD_OUTBOX_DIR) {
  console.error("AUTHD_URL, AUTHD_OUTBOX_DIR and AUTHD_SERVICE_KEY are required");
  process.exit(2);
}

const email = await newVerifiedUser(new AuthdClient({ baseUrl: base }), "latency");
const probe = await new AuthdClient({ baseUrl: base }).login(email, PASSWORD);
const iss = JSON.parse(Buffer.from(probe.access_token.split(".")[1], "base64url").toString()).iss;
const verifier = createVerifier({
  issuer: process.env.AUTHD_ISSUER ?? iss,
  audience: process.env.AUTHD_AUDIENCE ?? "authd",
  jwksUrl: `${base}/.well-known/jwks.json`,
  revocationsUrl: `${base}/v1/revocations`,
  serviceKey,
  useStream: mode !== "poll",
});
await verifier.ready();

const times = [];
for (let i = 0; i < n; i++) {
  const client = new AuthdClient({ baseUrl: base });
  const pair = await client.login(email, PASSWORD);
  await verifier.verify(pair.access_token); // accepted, or this throws
  // Logouts land at random points of the server's 200 ms read cycle and of
  // the verifier's 1 s polling cycle (or a phase would be measured).
  await sleep(Math.random() * 1000);
  await client.logout();
  const since = performance.now();
  for (;;) {
    try {
      await verifier.verify(pair.access_token);
    } catch (err) {
      if (err.reason !== "revoked") throw err;
      times.push(performance.now() - since);
      break;
    }
    if (performance.now() - since > 10_000) throw new Error(`logout ${i}: still accepted after 10 s`);
    await sleep(1);
  }
}
verifier.close();

times.sort((a, b) => a - b);
const at = (q) => times[Math.min(times.length - 1, Math.ceil(q * times.length) - 1)];
console.log(`mode ${mode}, ${n} logouts, logout answer → refused by the verifier (ms):`);
console.log(
  `p50 ${at(0.5).toFixed(0)}  p90 ${at(0.9).toFixed(0)}  p99 ${at(0.99).toFixed(0)}  ` +
    `min ${times[0].toFixed(0)}  max ${times[times.length - 1].toFixed(0)}`,
);
