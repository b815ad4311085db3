// Helpers of the verifier tests (not a test file itself): a local Ed25519
// key with a JWKS served over HTTP, tokens signed with it, and timing.
import { generateKeyPairSync, randomBytes, sign, createHmac } from "node:crypto";
import { createServer } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";

const b64 = (value) => Buffer.from(typeof value === "string" ? value : JSON.stringify(value)).toString("base64url");

/** The claims of a JWT, unverified (to read what a server put in). */
export function decodeClaims(token) {
  return JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString("utf8"));
}

/** A UUIDv7 for a session that started at `ms`. */
export function uuidV7(ms = Date.now()) {
  const hex = ms.toString(16).padStart(12, "0") + "7" + randomBytes(10).toString("hex").slice(1, 20);
  const variant = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
  const h = hex.slice(0, 16) + variant + hex.slice(17, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** A port nothing listens on (bound, then closed). */
export async function closedPort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * An Ed25519 key of our own with its JWKS at `${url}/jwks.json`; `served`
 * lists the kids published (change it to rotate), `requests` counts fetches.
 */
export async function localIssuer() {
  const keys = new Map();
  const addKey = (kid) => {
    const { publicKey, privateKey } = generateKeyPairSync("ed25519");
    keys.set(kid, { jwk: { ...publicKey.export({ format: "jwk" }), kid, alg: "EdDSA", use: "sig" }, privateKey });
    return kid;
  };
  const state = { served: new Set(), requests: 0 };
  const server = createServer((req, res) => {
    state.requests += 1;
    const body = JSON.stringify({ keys: [...state.served].map((kid) => keys.get(kid).jwk) });
    res.writeHead(200, { "Content-Type": "application/json", "Cache-Control": "max-age=300" });
    res.end(body);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${server.address().port}`;
  return {
    state,
    jwksUrl: `${url}/jwks.json`,
    addKey,
    /** A compact JWS over `claims` with the header fields given (alg EdDSA unless said). */
    token(claims, header = {}) {
      const h = { alg: "EdDSA", typ: "at+jwt", ...header };
      const signingInput = `${b64(h)}.${b64(claims)}`;
      let signature = "";
      if (h.alg === "EdDSA") signature = sign(null, Buffer.from(signingInput), keys.get(h.kid).privateKey).toString("base64url");
      if (h.alg === "HS256") signature = createHmac("sha256", "a-shared-secret-of-32-bytes-long!").update(signingInput).digest("base64url");
      return `${signingInput}.${signature}`;
    },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

/** Claims of an access token as authd issues them, for our own key. */
export function accessClaims({ issuer, audience, ...rest }) {
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: issuer,
    aud: audience,
    sub: uuidV7(),
    sid: uuidV7(),
    jti: uuidV7(),
    iat: now,
    exp: now + 900,
    typ: "access",
    email: "someone@example.com",
    email_verified: true,
    roles: ["viewer"],
    ...rest,
  };
}

/** The reason `verify(token)` refuses with, or "accepted". */
export async function outcome(verifier, token) {
  try {
    await verifier.verify(token);
    return "accepted";
  } catch (err) {
    if (typeof err?.reason !== "string") throw err;
    return err.reason;
  }
}

/**
 * Milliseconds from `since` (performance.now()) until `verify(token)` says
 * `revoked`, trying every `everyMs`; Infinity after `limitMs`.
 */
export async function timeToRefusal(verifier, token, since, { limitMs = 5000, everyMs = 2 } = {}) {
  for (;;) {
    const result = await outcome(verifier, token);
    const elapsed = performance.now() - since;
    if (result === "revoked") return elapsed;
    if (result !== "accepted") throw new Error(`verify refused with ${result}, not revoked`);
    if (elapsed > limitMs) return Number.POSITIVE_INFINITY;
    await sleep(everyMs);
  }
}

/** Waits until `predicate()` holds (polling), or throws after `limitMs`. */
export async function until(predicate, what, limitMs = 5000) {
  const deadline = Date.now() + limitMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/**
 * A TCP proxy to `target` (http://host:port) that can be cut (every open
 * connection dropped, new ones refused) and restored: a network failure
 * between a verifier and authd.
 */
export async function cuttableProxy(target) {
  const { createServer: createTcpServer, connect } = await import("node:net");
  const { hostname, port } = new URL(target);
  const sockets = new Set();
  let cut = false;
  const server = createTcpServer((client) => {
    if (cut) return client.destroy();
    const upstream = connect(Number(port), hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
      s.on("error", () => undefined);
    }
    client.pipe(upstream).pipe(client);
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    cut() {
      cut = true;
      for (const s of sockets) s.destroy();
    },
    restore() {
      cut = false;
    },
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}
