/**
 * authd's public keys (`GET /.well-known/jwks.json`), imported once into
 * WebCrypto. An unknown `kid` fetches the set again, at most once per
 * cooldown; the set is also fetched again in the background once it is
 * older than its `Cache-Control: max-age`, so a key removed from authd stops
 * verifying here too.
 */

type FetchFn = typeof fetch;

/** The JWKS could not be loaded at all (no key is known yet). */
export class JwksUnavailableError extends Error {
  override name = "JwksUnavailableError";
}

export interface JwksOptions {
  url: string;
  fetch: FetchFn;
  /** Least time between two fetches of the set, once one succeeded. */
  cooldownMs: number;
  timeoutMs: number;
}

/** Least time between two attempts while no set has been loaded yet. */
const FIRST_LOAD_RETRY_MS = 1000;
const DEFAULT_MAX_AGE_MS = 300_000;

export class JwksCache {
  readonly #options: JwksOptions;
  #keys = new Map<string, CryptoKey>();
  #loadedAt = 0;
  #maxAgeMs = DEFAULT_MAX_AGE_MS;
  #lastAttempt = Number.NEGATIVE_INFINITY;
  #inflight: Promise<void> | null = null;
  #lastError: string | null = null;

  constructor(options: JwksOptions) {
    this.#options = options;
  }

  get size(): number {
    return this.#keys.size;
  }

  get lastError(): string | null {
    return this.#lastError;
  }

  /**
   * The key named `kid` as held now, without waiting for a fetch (a set
   * older than its max-age is fetched again in the background).
   */
  peek(kid: string): CryptoKey | undefined {
    this.#refreshIfOld(Date.now());
    return this.#keys.get(kid);
  }

  #refreshIfOld(now: number): void {
    if (this.#loadedAt !== 0 && now - this.#loadedAt > this.#maxAgeMs && now - this.#lastAttempt >= this.#options.cooldownMs) {
      this.refresh().catch(() => undefined);
    }
  }

  /** The verification key named `kid`, or undefined when authd has none. */
  async key(kid: string): Promise<CryptoKey | undefined> {
    const now = Date.now();
    if (this.#loadedAt === 0) {
      if (this.#inflight || now - this.#lastAttempt >= FIRST_LOAD_RETRY_MS) {
        await this.refresh().catch(() => undefined);
      }
      if (this.#loadedAt === 0) {
        throw new JwksUnavailableError(`cannot load ${this.#options.url}: ${this.#lastError ?? "not loaded"}`);
      }
    } else {
      this.#refreshIfOld(now);
    }
    const known = this.#keys.get(kid);
    if (known) return known;
    // An unknown kid: a rotated key, maybe. One fetch per cooldown, shared.
    if (this.#inflight || Date.now() - this.#lastAttempt >= this.#options.cooldownMs) {
      await this.refresh().catch(() => undefined);
    }
    return this.#keys.get(kid);
  }

  /** Fetches the set now (one fetch at a time; callers share it). */
  refresh(): Promise<void> {
    if (!this.#inflight) {
      this.#lastAttempt = Date.now();
      this.#inflight = this.#load().finally(() => {
        this.#inflight = null;
      });
    }
    return this.#inflight;
  }

  async #load(): Promise<void> {
    try {
      const res = await this.#options.fetch(this.#options.url, {
        headers: { Accept: "application/json" },
        signal: AbortSignal.timeout(this.#options.timeoutMs),
      });
      if (!res.ok) {
        await res.body?.cancel();
        throw new Error(`HTTP ${res.status}`);
      }
      const body = (await res.json()) as { keys?: unknown };
      if (!Array.isArray(body.keys)) throw new Error("no keys array");
      const keys = new Map<string, CryptoKey>();
      for (const jwk of body.keys) {
        const imported = await importEd25519(jwk);
        if (imported) keys.set(imported.kid, imported.key);
      }
      this.#keys = keys;
      this.#loadedAt = Date.now();
      const maxAge = /max-age=(\d+)/i.exec(res.headers.get("cache-control") ?? "");
      this.#maxAgeMs = maxAge?.[1] ? Math.max(Number(maxAge[1]) * 1000, this.#options.cooldownMs) : DEFAULT_MAX_AGE_MS;
      this.#lastError = null;
    } catch (err) {
      this.#lastError = err instanceof Error ? err.message : String(err);
      throw err;
    }
  }
}

/** An Ed25519 signing key of the set, or null for any other kind. */
async function importEd25519(jwk: unknown): Promise<{ kid: string; key: CryptoKey } | null> {
  if (typeof jwk !== "object" || jwk === null) return null;
  const k = jwk as Record<string, unknown>;
  if (k.kty !== "OKP" || k.crv !== "Ed25519" || typeof k.x !== "string" || typeof k.kid !== "string") return null;
  if (k.use !== undefined && k.use !== "sig") return null;
  if (k.alg !== undefined && k.alg !== "EdDSA" && k.alg !== "Ed25519") return null;
  try {
    const key = await crypto.subtle.importKey(
      "jwk",
      { kty: "OKP", crv: "Ed25519", x: k.x },
      { name: "Ed25519" },
      false,
      ["verify"],
    );
    return { kid: k.kid, key };
  } catch {
    return null;
  }
}
