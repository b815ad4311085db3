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
 *
 * Two transports (API.md §10), chosen by `transport`:
 * - `"body"` (default): the refresh token travels in JSON bodies and the
 *   pair is kept in memory (persist it yourself via `onTokens` if you must).
 * - `"cookie"` (browser apps): every request is sent with
 *   `credentials: "include"` and `X-Authd-Transport: cookie`; authd keeps the
 *   refresh token in an HttpOnly `__Host-authd_refresh` cookie that no script
 *   can read, and the access token lives in this object's memory only. After
 *   a reload, `refresh()` (or the first 401) gets a new access token from the
 *   cookie. Only one tab refreshes at a time (Web Locks, when the browser has
 *   them); the new access token reaches the other tabs of the same origin
 *   through a `BroadcastChannel`, and so does a logout.
 *
 * `onAuthStateChange(cb)` reports `signed_in`, `token_refreshed` and
 * `signed_out`, whether the change happened in this tab or another one.
 */
import createClient, { type Client } from "openapi-fetch";
import type { components, paths } from "./schema.js";

export type { components, paths } from "./schema.js";
// Offline verification of access tokens with the revocation feed (API.md §18).
export * from "./verifier.js";

export type Schemas = components["schemas"];
export type User = Schemas["User"];
export type TokenPair = Schemas["TokenPair"];
/** A pair as cookie mode answers it: the refresh token is in the cookie. */
export type BrowserTokenPair = Omit<TokenPair, "refresh_token">;
/** What the client holds: the whole pair (body mode) or the cookie-mode pair. */
export type Tokens = BrowserTokenPair & { refresh_token?: string };
export type Transport = "body" | "cookie";
export type AuthEvent = "signed_in" | "token_refreshed" | "signed_out";
export type AuthStateListener = (event: AuthEvent, tokens: Tokens | null) => void;
export type Problem = Schemas["Problem"];
export type Accepted = Schemas["Accepted"];

export interface AuthdClientOptions {
  /** Root URL of the service, e.g. `https://auth.example.com` (no `/v1`). */
  baseUrl: string;
  /** Custom fetch (tests, proxies). Defaults to `globalThis.fetch`. */
  fetch?: (input: Request) => Promise<Response>;
  /** A token pair to start with (e.g. restored from storage). */
  tokens?: Tokens | null;
  /** Called whenever the pair changes (login, refresh, logout: `null`). */
  onTokens?: (tokens: Tokens | null) => void;
  /** `"body"` (default) or `"cookie"` (refresh token in an HttpOnly cookie). */
  transport?: Transport;
  /** Cookie mode: the BroadcastChannel / Web Lock name shared by the tabs. */
  channelName?: string;
}

const TRANSPORT_HEADER = "X-Authd-Transport";

/** A message between the tabs of one origin (cookie mode). Never a refresh token. */
type TabMessage =
  | { type: "tokens"; tokens: Tokens; event: AuthEvent }
  | { type: "signed_out" };

interface LockManagerLike {
  request<T>(name: string, callback: () => Promise<T>): Promise<T>;
}

function lockManager(): LockManagerLike | undefined {
  const nav = (globalThis as { navigator?: { locks?: LockManagerLike } }).navigator;
  return nav?.locks && typeof nav.locks.request === "function" ? nav.locks : undefined;
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

/**
 * The password was right, and the account has a second factor: finish with
 * `verifyMfa(error.mfaToken, { code })` (or `{ recoveryCode }`).
 */
export class MfaRequiredError extends Error {
  readonly mfaToken: string;
  readonly factors: Schemas["MfaChallenge"]["factors"];

  constructor(challenge: Schemas["MfaChallenge"]) {
    super("a second factor is required: call verifyMfa with the mfaToken");
    this.name = "MfaRequiredError";
    this.mfaToken = challenge.mfa_token;
    this.factors = challenge.factors;
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

  readonly transport: Transport;
  #tokens: Tokens | null;
  #refreshing: Promise<Tokens> | null = null;
  readonly #onTokens: ((tokens: Tokens | null) => void) | undefined;
  readonly #listeners = new Set<AuthStateListener>();
  readonly #channel: BroadcastChannel | null = null;
  readonly #lockName: string;

  constructor(options: AuthdClientOptions) {
    if (!options || typeof options.baseUrl !== "string" || options.baseUrl === "") {
      throw new TypeError("AuthdClient: baseUrl is required");
    }
    const baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.transport = options.transport ?? "body";
    if (this.transport !== "body" && this.transport !== "cookie") {
      throw new TypeError('AuthdClient: transport must be "body" or "cookie"');
    }
    const cookie = this.transport === "cookie";
    this.api = createClient<paths>({
      baseUrl,
      ...(options.fetch ? { fetch: options.fetch } : {}),
      ...(cookie ? { credentials: "include", headers: { [TRANSPORT_HEADER]: "cookie" } } : {}),
    });
    this.#tokens = options.tokens ?? null;
    this.#onTokens = options.onTokens;
    const name = options.channelName ?? `authd:${baseUrl}`;
    this.#lockName = `${name}:refresh`;
    if (cookie && typeof BroadcastChannel === "function") {
      this.#channel = new BroadcastChannel(name);
      this.#channel.onmessage = (e: MessageEvent<TabMessage>) => this.#fromOtherTab(e.data);
    }
  }

  /** The current tokens, or `null` when logged out (in cookie mode: no `refresh_token`). */
  get tokens(): Tokens | null {
    return this.#tokens;
  }

  /** Replace the in-memory token pair (restore from storage; `null` forgets it). */
  setTokens(tokens: Tokens | null): void {
    this.#set(tokens, tokens ? "signed_in" : "signed_out");
  }

  /**
   * Be told of every sign-in, refresh and sign-out (this tab's or, in cookie
   * mode, another tab's). Returns the function that unsubscribes.
   */
  onAuthStateChange(listener: AuthStateListener): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** Stop listening to the other tabs (cookie mode). */
  close(): void {
    this.#channel?.close();
  }

  #set(tokens: Tokens | null, event: AuthEvent, broadcast = false): void {
    const wasSignedIn = this.#tokens !== null;
    this.#tokens = tokens;
    this.#onTokens?.(tokens);
    if (broadcast && this.#channel) {
      const message: TabMessage = tokens ? { type: "tokens", tokens: withoutRefresh(tokens), event } : { type: "signed_out" };
      this.#channel.postMessage(message);
    }
    if (event === "signed_out" && !wasSignedIn && tokens === null) return;
    for (const listener of [...this.#listeners]) {
      try {
        listener(event, tokens);
      } catch {
        // A listener's failure is its own; the others still hear of it.
      }
    }
  }

  #fromOtherTab(message: TabMessage): void {
    if (message?.type === "tokens") this.#set(message.tokens, message.event);
    else if (message?.type === "signed_out") this.#set(null, "signed_out");
  }

  /**
   * `POST /v1/auth/register` → 202 `{status: "verification_sent"}`. `locale`
   * (BCP 47) is the language of the user's mail; without it authd takes the
   * request's `Accept-Language`, then its default.
   */
  async register(
    email: string,
    password: string,
    displayName?: string | null,
    locale?: string,
  ): Promise<Accepted> {
    const body: Schemas["RegisterRequest"] = { email, password };
    if (displayName !== undefined) body.display_name = displayName;
    if (locale !== undefined) body.locale = locale;
    return unwrap(await this.api.POST("/v1/auth/register", { body }));
  }

  /** `POST /v1/auth/verify-email` with the token from the mail link → the user. */
  async verifyEmail(token: string): Promise<User> {
    return unwrap(await this.api.POST("/v1/auth/verify-email", { body: { token } }));
  }

  /**
   * `POST /v1/auth/login`; keeps the returned pair. Never retried. For an
   * account with a second factor it throws `MfaRequiredError` (no tokens
   * yet): finish with `verifyMfa`.
   */
  async login(email: string, password: string): Promise<Tokens> {
    const answer = unwrap(await this.api.POST("/v1/auth/login", { body: { email, password } }));
    if ("mfa_required" in answer) throw new MfaRequiredError(answer as Schemas["MfaChallenge"]);
    const pair = answer as Tokens;
    this.#set(pair, "signed_in", true);
    return pair;
  }

  /**
   * `POST /v1/auth/email-login/start`: one mail with a sign-in link (the
   * token in the URL fragment, `#token=…`) and a 6-digit code for another
   * device → 202 `{status: "email_sent"}`, whatever the address.
   */
  async startEmailLogin(email: string, locale?: string): Promise<Accepted> {
    const body: Schemas["EmailLoginStartRequest"] = { email };
    if (locale !== undefined) body.locale = locale;
    return unwrap(await this.api.POST("/v1/auth/email-login/start", { body }));
  }

  /**
   * `POST /v1/auth/email-login/verify` with the link's token (read it from
   * `location.hash`, then clear the hash) or the address and the mailed
   * code; keeps the returned pair. For an account with a second factor it
   * throws `MfaRequiredError`: finish with `verifyMfa`.
   */
  async verifyEmailLogin(proof: { token: string } | { email: string; code: string }): Promise<Tokens> {
    const body: Schemas["EmailLoginVerifyRequest"] =
      "token" in proof ? { token: proof.token } : { email: proof.email, code: proof.code };
    const answer = unwrap(await this.api.POST("/v1/auth/email-login/verify", { body }));
    if ("mfa_required" in answer) throw new MfaRequiredError(answer as Schemas["MfaChallenge"]);
    const pair = answer as Tokens;
    this.#set(pair, "signed_in", true);
    return pair;
  }

  /**
   * `POST /v1/auth/mfa/verify`: the second step of a login, with a TOTP
   * `code` or a `recoveryCode`; keeps the returned (`aal2`) pair.
   */
  async verifyMfa(
    mfaToken: string,
    proof: { code: string } | { recoveryCode: string },
  ): Promise<Tokens> {
    const body: Schemas["MfaVerifyRequest"] =
      "code" in proof
        ? { mfa_token: mfaToken, code: proof.code }
        : { mfa_token: mfaToken, recovery_code: proof.recoveryCode };
    const pair = unwrap(await this.api.POST("/v1/auth/mfa/verify", { body })) as Tokens;
    this.#set(pair, "signed_in", true);
    return pair;
  }

  /**
   * `POST /v1/auth/refresh` with the kept refresh token; keeps the new pair.
   * Concurrent callers share one request (refresh tokens are single use).
   * Never retried. A rejected refresh forgets the pair.
   */
  refresh(): Promise<Tokens> {
    if (!this.#refreshing) {
      const run = this.transport === "cookie" ? this.#refreshAcrossTabs() : this.#doRefresh();
      this.#refreshing = run.finally(() => {
        this.#refreshing = null;
      });
    }
    return this.#refreshing;
  }

  /**
   * Cookie mode: one tab at a time. The tab holding the lock refreshes and
   * broadcasts the new access token; a tab that had to wait for the lock
   * takes the token it received meanwhile instead of refreshing again.
   */
  async #refreshAcrossTabs(): Promise<Tokens> {
    const locks = lockManager();
    if (!locks) return this.#doRefresh();
    const before = this.#tokens?.access_token;
    return locks.request(this.#lockName, async () => {
      if (this.#tokens && this.#tokens.access_token !== before) return this.#tokens;
      const tokens = await this.#doRefresh();
      // Let the broadcast reach the other tabs before they get the lock.
      await new Promise((resolve) => setTimeout(resolve, 100));
      return tokens;
    });
  }

  async #doRefresh(): Promise<Tokens> {
    const cookie = this.transport === "cookie";
    const refreshToken = this.#tokens?.refresh_token;
    if (!cookie && !refreshToken) {
      throw new AuthdError(401, undefined, "not logged in: no refresh token");
    }
    const body = (cookie ? {} : { refresh_token: refreshToken }) as { refresh_token: string };
    const outcome = await this.api.POST("/v1/auth/refresh", { body });
    if (!outcome.response.ok) {
      // The session is gone (revoked, reused, expired): keeping the pair
      // would only make every later call fail twice.
      if (outcome.response.status === 401 && (cookie || this.#tokens?.refresh_token === refreshToken)) {
        this.#set(null, "signed_out", cookie);
      }
      fail(outcome);
    }
    const pair = outcome.data as Tokens;
    this.#set(pair, "token_refreshed", true);
    return pair;
  }

  /** `GET /v1/me` → the caller. */
  async me(): Promise<User> {
    return unwrap(
      await this.#authed((headers) => this.api.GET("/v1/me", { headers })),
    );
  }

  /** `PATCH /v1/me` with any of `{display_name, locale}` → the caller. */
  async updateMe(changes: Schemas["UpdateMeRequest"]): Promise<User> {
    return unwrap(
      await this.#authed((headers) => this.api.PATCH("/v1/me", { headers, body: changes })),
    );
  }

  /** `POST /v1/auth/logout`: revokes the current session and forgets the pair. */
  async logout(): Promise<void> {
    unwrap(await this.#authed((headers) => this.api.POST("/v1/auth/logout", { headers })));
    this.#set(null, "signed_out", true);
  }

  /** `POST /v1/auth/logout-all`: revokes every session of the user and forgets the pair. */
  async logoutAll(): Promise<void> {
    unwrap(await this.#authed((headers) => this.api.POST("/v1/auth/logout-all", { headers })));
    this.#set(null, "signed_out", true);
  }

  /** `GET /v1/auth/sessions` → the caller's active sessions. */
  async sessions(): Promise<Schemas["Session"][]> {
    const list = unwrap(await this.#authed((headers) => this.api.GET("/v1/auth/sessions", { headers })));
    return list.sessions;
  }

  /** `DELETE /v1/auth/sessions/{id}`: revokes one of the caller's sessions. */
  async revokeSession(id: string): Promise<void> {
    unwrap(
      await this.#authed((headers) =>
        this.api.DELETE("/v1/auth/sessions/{id}", { headers, params: { path: { id } } }),
      ),
    );
  }

  /** `POST /v1/auth/password-reset/request` → 202 (the same for every address). */
  async requestPasswordReset(email: string): Promise<Accepted> {
    return unwrap(await this.api.POST("/v1/auth/password-reset/request", { body: { email } }));
  }

  /** `POST /v1/auth/password-reset/confirm` with the token from the mail link. */
  async confirmPasswordReset(token: string, newPassword: string): Promise<void> {
    unwrap(
      await this.api.POST("/v1/auth/password-reset/confirm", { body: { token, new_password: newPassword } }),
    );
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
    // Cookie mode may hold a session in the cookie without an access token
    // in memory (after a reload): a 401 is worth one refresh there too.
    if ((!this.#tokens && this.transport !== "cookie") || !accessTokenRefused(first)) return first;

    let access = this.#tokens?.access_token;
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

function withoutRefresh(tokens: Tokens): Tokens {
  const { refresh_token: _dropped, ...rest } = tokens;
  return rest;
}

function bearer(token: string | undefined): Record<string, string> {
  return token ? { Authorization: `Bearer ${token}` } : {};
}
