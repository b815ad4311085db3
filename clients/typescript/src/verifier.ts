/**
 * Offline verification of authd access tokens for other services (API.md
 * §2 and §18), with the revocation feed, so a logout, a disable or a
 * password change is refused here within about a second.
 *
 * ```ts
 * const verifier = createVerifier({
 *   issuer: "https://auth.example.com",
 *   audience: "authd",
 *   jwksUrl: "https://auth.example.com/.well-known/jwks.json",
 *   revocationsUrl: "https://auth.example.com/v1/revocations",
 *   serviceKey: process.env.AUTHD_SERVICE_KEY!,
 * });
 * await verifier.ready();
 * const claims = await verifier.verify(token); // throws VerificationError
 * ```
 *
 * Signatures are checked with WebCrypto (`crypto.subtle`, Ed25519), so this
 * runs unchanged in Node ≥ 20, Deno, Bun and edge runtimes, with no
 * dependency.
 */
import { JwksCache, JwksUnavailableError } from "./jwks.js";
import { RevocationFeed, type FeedMode } from "./revocation-feed.js";
import { RevocationSet } from "./revocation-set.js";

export { RevocationSet, uuidV7Millis, type RevocationEntry } from "./revocation-set.js";
export { readSse, type SseEvent, type SseHandlers } from "./sse.js";
export { FeedHttpError, type FeedMode } from "./revocation-feed.js";

export interface VerifierOptions {
  /** `iss` of authd's tokens: its `AUTH_ISSUER`. */
  issuer: string;
  /** `aud` to require: authd's `AUTH_AUDIENCE` (`authd` by default). */
  audience: string;
  /** `https://auth.example.com/.well-known/jwks.json` */
  jwksUrl: string;
  /** `https://auth.example.com/v1/revocations` (the stream is `…/stream`). */
  revocationsUrl: string;
  /** This service's key from authd's `AUTH_SERVICE_KEYS` (the secret part). */
  serviceKey: string;
  /**
   * Accept tokens (still checking what the feed said last) when the feed has
   * been silent for `staleAfterMs`. Default false: refuse them all
   * (`feed_stale`).
   */
  failOpen?: boolean;
  /**
   * No event, keepalive or answer of the feed for this long makes it stale.
   * Default 30,000. authd sends a keepalive every 15 s: keep this above that.
   */
  staleAfterMs?: number;
  /** Seconds past `exp` a token is still accepted (clock skew). Default 5. */
  leewaySeconds?: number;
  /** A fetch to use instead of the global one. */
  fetch?: typeof fetch;
  /** Default `${revocationsUrl}/stream`. */
  streamUrl?: string;
  /** false: poll only, never open the stream. Default true. */
  useStream?: boolean;
  /** Polling interval while the stream is down. Default 1,000. */
  pollIntervalMs?: number;
  /** Least time between two JWKS fetches for an unknown `kid`. Default 10,000. */
  jwksCooldownMs?: number;
  /** Time for one answer (a page, the JWKS, the stream's headers). Default 10,000. */
  requestTimeoutMs?: number;
  /** A stream silent this long is dropped and polled around. Default 20,000. */
  streamIdleTimeoutMs?: number;
}

/** The claims of an authd access token (API.md §2). */
export interface Claims {
  iss: string;
  aud: string | string[];
  sub: string;
  sid: string;
  jti: string;
  iat: number;
  exp: number;
  typ: "access";
  email?: string;
  email_verified?: boolean;
  roles?: string[];
  aal?: string;
  amr?: string[];
  auth_time?: number;
  [claim: string]: unknown;
}

export type VerificationReason =
  /** Not three base64url parts of JSON, or a claim missing or of the wrong type. */
  | "malformed"
  /** The signature does not match (tampered with, or another key). */
  | "bad_signature"
  /** No key of authd's JWKS has the header's `kid`, even after a refetch. */
  | "unknown_kid"
  /** `alg` is not `EdDSA` (`none`, `HS256`, …). */
  | "wrong_alg"
  | "wrong_issuer"
  | "wrong_audience"
  /** Past `exp` plus the leeway. */
  | "expired"
  /** `nbf` is still ahead (beyond the leeway). */
  | "not_yet_valid"
  /** Not an access token: header `typ` is not `at+jwt` or claim `typ` is not `access` (a refresh token). */
  | "wrong_type"
  /** The feed lists its session, or its user's tokens before a time. */
  | "revoked"
  /** The feed has said nothing for `staleAfterMs` (and not `failOpen`). */
  | "feed_stale"
  /** authd's JWKS could not be loaded at all. */
  | "jwks_unavailable";

export class VerificationError extends Error {
  override name = "VerificationError";
  constructor(
    readonly reason: VerificationReason,
    message?: string,
  ) {
    super(message ?? reason);
  }
}

export interface VerifierStatus {
  /** `starting` until the first list is loaded, `stale` after `staleAfterMs` without news. */
  state: "starting" | "live" | "stale" | "closed";
  /** How the feed is followed right now. */
  mode: FeedMode;
  ready: boolean;
  failOpen: boolean;
  /** Last answer, event or keepalive of the feed (ISO 8601), or null. */
  lastNewsAt: string | null;
  /** Last revocation entry received (ISO 8601), or null. */
  lastEventAt: string | null;
  /** Milliseconds since the last news (since the start when none yet). */
  silentForMs: number;
  revokedSessions: number;
  users: number;
  maxAgeSeconds: number;
  cursor: string | null;
  jwksKeys: number;
  lastError: string | null;
}

export interface Verifier {
  /** The token's claims, or a `VerificationError` with its `reason`. */
  verify(token: string): Promise<Claims>;
  /** Resolves once the current revocation list is loaded; rejects on a wrong service key. */
  ready(): Promise<void>;
  status(): VerifierStatus;
  /** Stops the feed (and its timers); `verify` then refuses with `feed_stale` unless `failOpen`. */
  close(): void;
  /** The revocations held (for inspection and tests). */
  readonly revocations: RevocationSet;
}

const PRUNE_EVERY_MS = 10_000;
/**
 * Tokens whose signature was verified, with the key that verified it: a
 * token seen again skips the signature (tens to hundreds of µs in
 * WebCrypto) as long as the JWKS still holds that very key. Claims, expiry
 * and revocation are checked on every call.
 */
const SIGNATURE_CACHE_SIZE = 10_000;

export function createVerifier(options: VerifierOptions): Verifier {
  for (const name of ["issuer", "audience", "jwksUrl", "revocationsUrl", "serviceKey"] as const) {
    if (typeof options[name] !== "string" || options[name] === "") {
      throw new TypeError(`createVerifier: ${name} is required`);
    }
  }
  const fetchFn = options.fetch ?? globalThis.fetch.bind(globalThis);
  const failOpen = options.failOpen ?? false;
  const staleAfterMs = options.staleAfterMs ?? 30_000;
  const leeway = options.leewaySeconds ?? 5;
  const requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
  const started = Date.now();

  const revocations = new RevocationSet();
  const jwks = new JwksCache({
    url: options.jwksUrl,
    fetch: fetchFn,
    cooldownMs: options.jwksCooldownMs ?? 10_000,
    timeoutMs: requestTimeoutMs,
  });
  const feed = new RevocationFeed({
    revocationsUrl: options.revocationsUrl,
    streamUrl: options.streamUrl ?? `${options.revocationsUrl.replace(/\/+$/, "")}/stream`,
    serviceKey: options.serviceKey,
    fetch: fetchFn,
    set: revocations,
    useStream: options.useStream ?? true,
    pollIntervalMs: options.pollIntervalMs ?? 1000,
    requestTimeoutMs,
    streamIdleTimeoutMs: options.streamIdleTimeoutMs ?? 20_000,
  });
  feed.start();
  jwks.refresh().catch(() => undefined);
  const verified = new Map<string, CryptoKey>();
  const pruner = setInterval(() => revocations.prune(), PRUNE_EVERY_MS);
  unref(pruner);

  const silentFor = (now: number) => now - (feed.lastNewsAt ?? started);
  const isStale = (now: number) => feed.closed || silentFor(now) > staleAfterMs;

  /** Before the first list: wait for it, but not past the stale deadline. */
  async function untilReadyOrStale(): Promise<void> {
    // A loop: a timer may fire a millisecond before Date.now() says so.
    while (!feed.isReady && !isStale(Date.now())) {
      const left = Math.max(1, staleAfterMs - silentFor(Date.now()) + 1);
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        feed.ready().catch(() => undefined),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, left);
        }),
      ]);
      clearTimeout(timer);
    }
  }

  async function verify(token: string): Promise<Claims> {
    const { header, claims, signed, signature } = parse(token);

    if (typeof header.typ !== "string" || !/^(application\/)?at\+jwt$/i.test(header.typ)) {
      throw new VerificationError("wrong_type", `header typ is ${JSON.stringify(header.typ)}, not at+jwt`);
    }
    if (header.alg !== "EdDSA") {
      throw new VerificationError("wrong_alg", `alg ${JSON.stringify(header.alg)} is not EdDSA`);
    }
    if (typeof header.kid !== "string") throw new VerificationError("malformed", "no kid in the header");
    const cached = verified.get(token);
    if (cached === undefined || jwks.peek(header.kid) !== cached) {
      let key: CryptoKey | undefined;
      try {
        key = await jwks.key(header.kid);
      } catch (err) {
        if (err instanceof JwksUnavailableError) throw new VerificationError("jwks_unavailable", err.message);
        throw err;
      }
      if (!key) throw new VerificationError("unknown_kid", `no key ${header.kid} in ${options.jwksUrl}`);
      if (signature.length !== 64 || !(await crypto.subtle.verify({ name: "Ed25519" }, key, signature, signed))) {
        throw new VerificationError("bad_signature");
      }
      if (verified.size >= SIGNATURE_CACHE_SIZE) verified.delete(verified.keys().next().value as string);
      verified.set(token, key);
    }

    if (claims.typ !== "access") {
      throw new VerificationError("wrong_type", `typ is ${JSON.stringify(claims.typ)}, not access`);
    }
    if (claims.iss !== options.issuer) throw new VerificationError("wrong_issuer");
    const aud = claims.aud;
    if (!(aud === options.audience || (Array.isArray(aud) && aud.includes(options.audience)))) {
      throw new VerificationError("wrong_audience");
    }
    const now = Date.now();
    if (typeof claims.exp !== "number") throw new VerificationError("malformed", "no exp");
    if (now / 1000 > claims.exp + leeway) throw new VerificationError("expired");
    if (typeof claims.nbf === "number" && now / 1000 < claims.nbf - leeway) {
      throw new VerificationError("not_yet_valid");
    }
    if (typeof claims.sub !== "string" || typeof claims.sid !== "string") {
      throw new VerificationError("malformed", "no sub or sid");
    }

    await untilReadyOrStale();
    // Not ready after the wait: the first list never came (the timer may
    // fire a hair before the stale line), which is stale all the same.
    if (!failOpen && (!feed.isReady || isStale(Date.now()))) {
      throw new VerificationError(
        "feed_stale",
        feed.closed
          ? "the verifier is closed"
          : `no news from the revocation feed for ${silentFor(Date.now())} ms${feed.lastError ? ` (${feed.lastError})` : ""}`,
      );
    }
    if (revocations.isRevoked(claims.sid, claims.sub, typeof claims.iat === "number" ? claims.iat : undefined)) {
      throw new VerificationError("revoked");
    }
    return claims as Claims;
  }

  function status(): VerifierStatus {
    const now = Date.now();
    const last = feed.lastNewsAt;
    const lastEntry = revocations.lastEntryAt;
    return {
      state: feed.closed ? "closed" : isStale(now) ? "stale" : feed.isReady ? "live" : "starting",
      mode: feed.mode,
      ready: feed.isReady,
      failOpen,
      lastNewsAt: last === null ? null : new Date(last).toISOString(),
      lastEventAt: lastEntry === null ? null : new Date(lastEntry).toISOString(),
      silentForMs: silentFor(now),
      revokedSessions: revocations.sessionCount,
      users: revocations.userCount,
      maxAgeSeconds: revocations.maxAgeSeconds,
      cursor: feed.cursor,
      jwksKeys: jwks.size,
      lastError: feed.lastError ?? jwks.lastError,
    };
  }

  return {
    verify,
    ready: () => feed.ready(),
    status,
    close: () => {
      clearInterval(pruner);
      feed.close();
    },
    revocations,
  };
}

interface Parsed {
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
  signed: Uint8Array<ArrayBuffer>;
  signature: Uint8Array<ArrayBuffer>;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

function parse(token: unknown): Parsed {
  if (typeof token !== "string") throw new VerificationError("malformed", "the token is not a string");
  const parts = token.split(".");
  if (parts.length !== 3) throw new VerificationError("malformed", "a JWT has three parts");
  const [h, p, s] = parts as [string, string, string];
  try {
    const header: unknown = JSON.parse(decoder.decode(base64url(h)));
    const claims: unknown = JSON.parse(decoder.decode(base64url(p)));
    if (!isObject(header) || !isObject(claims)) throw new Error("not objects");
    return { header, claims, signed: encoder.encode(`${h}.${p}`), signature: base64url(s) };
  } catch (err) {
    if (err instanceof VerificationError) throw err;
    throw new VerificationError("malformed", "the header and claims must be base64url JSON objects");
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;

function base64url(text: string): Uint8Array<ArrayBuffer> {
  if (!BASE64URL.test(text) || text.length % 4 === 1) throw new VerificationError("malformed", "not base64url");
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (text.length % 4)) % 4));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** Lets a Node process exit with only this timer left (no-op elsewhere). */
function unref(timer: unknown): void {
  (timer as { unref?: () => void }).unref?.();
}
