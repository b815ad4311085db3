/**
 * A small typed wrapper around the generated authd client.
 *
 * `schema.d.ts` is generated from `openapi/openapi.json` by openapi-typescript
 * (`npm run generate`); `openapi-fetch` is the runtime. `AuthdClient.api` is
 * the raw typed client for every other endpoint (admin, sessions, ...).
 *
 * The wrapper keeps the token pair in memory. When a call that needs a bearer
 * token answers 401 `token_expired` (the access token is past its `exp`) or
 * `unauthorized` (it is not accepted for another reason, which a new pair may
 * cure), it refreshes the pair once and retries the call once. Other 401
 * codes are answers about the request itself and are not retried.
 * `login()` and `refresh()` are never retried.
 */
import createClient, { type Client } from "openapi-fetch";
import type { components, paths } from "./schema.js";

export type { components, paths } from "./schema.js";

export type Schemas = components["schemas"];
export type User = Schemas["User"];
export type TokenPair = Schemas["TokenPair"];
export type Problem = Schemas["Problem"];
export type Accepted = Schemas["Accepted"];

export interface AuthdClientOptions {
  /** Root URL of the service, e.g. `https://auth.example.com` (no `/v1`). */
  baseUrl: string;
  /** Custom fetch (tests, proxies). Defaults to `globalThis.fetch`. */
  fetch?: (input: Request) => Promise<Response>;
  /** A token pair to start with (e.g. restored from storage). */
  tokens?: TokenPair | null;
  /** Called whenever the pair changes (login, refresh, logout: `null`). */
  onTokens?: (tokens: TokenPair | null) => void;
}

/** An error answer of authd (RFC 9457 problem JSON) or a transport-level failure. */
export class AuthdError extends Error {
  readonly status: number;
  /** Stable machine-readable code (`invalid_credentials`, `unauthorized`, ...). */
  readonly code: string | undefined;
  readonly problem: Problem | undefined;

  constructor(status: number, problem: Problem | undefined, fallback: string) {
    super(problem ? `${problem.status} ${problem.code}: ${problem.detail}` : fallback);
    this.name = "AuthdError";
    this.status = status;
    this.code = problem?.code;
    this.problem = problem;
  }
}

/** What openapi-fetch resolves to, reduced to what the wrapper reads. */
interface Outcome<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

function isProblem(body: unknown): body is Problem {
  return (
    typeof body === "object" &&
    body !== null &&
    typeof (body as { code?: unknown }).code === "string" &&
    typeof (body as { status?: unknown }).status === "number"
  );
}

function fail(outcome: Outcome<unknown>): never {
  const { response, error } = outcome;
  throw new AuthdError(
    response.status,
    isProblem(error) ? error : undefined,
    `authd answered ${response.status} ${response.statusText}`.trim(),
  );
}

/** The successful body, or an `AuthdError` for any non-2xx answer. */
function unwrap<T>(outcome: Outcome<T>): T {
  if (!outcome.response.ok) fail(outcome);
  return outcome.data as T;
}

export class AuthdClient {
  /** The raw openapi-fetch client, typed from the OpenAPI document. */
  readonly api: Client<paths>;

  #tokens: TokenPair | null;
  #refreshing: Promise<TokenPair> | null = null;
  readonly #onTokens: ((tokens: TokenPair | null) => void) | undefined;

  constructor(options: AuthdClientOptions) {
    if (!options || typeof options.baseUrl !== "string" || options.baseUrl === "") {
      throw new TypeError("AuthdClient: baseUrl is required");
    }
    this.api = createClient<paths>({
      baseUrl: options.baseUrl.replace(/\/+$/, ""),
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
    this.#tokens = options.tokens ?? null;
    this.#onTokens = options.onTokens;
  }

  /** The current token pair, or `null` when logged out. */
  get tokens(): TokenPair | null {
    return this.#tokens;
  }

  /** Replace the in-memory token pair (restore from storage; `null` forgets it). */
  setTokens(tokens: TokenPair | null): void {
    this.#tokens = tokens;
    this.#onTokens?.(tokens);
  }

  /** `POST /v1/auth/register` → 202 `{status: "verification_sent"}`. */
  async register(email: string, password: string, displayName?: string | null): Promise<Accepted> {
    const body: Schemas["RegisterRequest"] = { email, password };
    if (displayName !== undefined) body.display_name = displayName;
    return unwrap(await this.api.POST("/v1/auth/register", { body }));
  }

  /** `POST /v1/auth/verify-email` with the token from the mail link → the user. */
  async verifyEmail(token: string): Promise<User> {
    return unwrap(await this.api.POST("/v1/auth/verify-email", { body: { token } }));
  }

  /** `POST /v1/auth/login`; keeps the returned pair. Never retried. */
  async login(email: string, password: string): Promise<TokenPair> {
    const pair = unwrap(await this.api.POST("/v1/auth/login", { body: { email, password } }));
    this.setTokens(pair);
    return pair;
  }

  /**
   * `POST /v1/auth/refresh` with the kept refresh token; keeps the new pair.
   * Concurrent callers share one request (refresh tokens are single use).
   * Never retried. A rejected refresh forgets the pair.
   */
  refresh(): Promise<TokenPair> {
    if (!this.#refreshing) {
      this.#refreshing = this.#doRefresh().finally(() => {
        this.#refreshing = null;
      });
    }
    return this.#refreshing;
  }

  async #doRefresh(): Promise<TokenPair> {
    const refreshToken = this.#tokens?.refresh_token;
    if (!refreshToken) {
      throw new AuthdError(401, undefined, "not logged in: no refresh token");
    }
    const outcome = await this.api.POST("/v1/auth/refresh", {
      body: { refresh_token: refreshToken },
    });
    if (!outcome.response.ok) {
      // The session is gone (revoked, reused, expired): keeping the pair
      // would only make every later call fail twice.
      if (outcome.response.status === 401 && this.#tokens?.refresh_token === refreshToken) {
        this.setTokens(null);
      }
      fail(outcome);
    }
    const pair = outcome.data as TokenPair;
    this.setTokens(pair);
    return pair;
  }

  /** `GET /v1/me` → the caller. */
  async me(): Promise<User> {
    return unwrap(
      await this.#authed((headers) => this.api.GET("/v1/me", { headers })),
    );
  }

  /** `POST /v1/auth/logout`: revokes the current session and forgets the pair. */
  async logout(): Promise<void> {
    unwrap(await this.#authed((headers) => this.api.POST("/v1/auth/logout", { headers })));
    this.setTokens(null);
  }

  /**
   * Run a call with `Authorization: Bearer <access token>`. On 401
   * `token_expired` or `unauthorized`, refresh the pair once and run the call
   * once more. If another call refreshed meanwhile,
   * the retry simply uses the newer access token.
   */
  async #authed<T>(call: (headers: Record<string, string>) => Promise<Outcome<T>>): Promise<Outcome<T>> {
    const used = this.#tokens?.access_token;
    const first = await call(bearer(used));
    if (!this.#tokens || !accessTokenRefused(first)) return first;

    let access = this.#tokens.access_token;
    if (access === used) {
      try {
        access = (await this.refresh()).access_token;
      } catch (err) {
        // Refresh refused (session revoked, token reused or expired): the
        // caller sees the original 401 of its own call. Anything else (503,
        // network) is the more useful error.
        if (err instanceof AuthdError && err.status === 401) return first;
        throw err;
      }
    }
    return call(bearer(access));
  }
}

/** The 401 codes of the bearer guard (API.md §3), after which a refresh may help. */
const REFRESHABLE_CODES: ReadonlySet<string> = new Set(["token_expired", "unauthorized"]);

/** A 401 about the access token itself: `token_expired` or `unauthorized`. */
function accessTokenRefused(outcome: Outcome<unknown>): boolean {
  if (outcome.response.status !== 401) return false;
  // A 401 without problem JSON (a proxy in between) is treated as the guard's.
  return !isProblem(outcome.error) || REFRESHABLE_CODES.has(outcome.error.code);
}

function bearer(token: string | undefined): Record<string, string> {
  return token ? { Authorization: `Bearer ${token}` } : {};
}
