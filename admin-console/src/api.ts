// The console's one client (`@authd/client` in cookie mode: the refresh token
// in authd's HttpOnly cookie, the access token only in memory) and the
// caller's permissions, read from the roles API.
import { AuthdClient, AuthdError, type Schemas } from "@authd/client";

export type User = Schemas["User"];
export type Role = Schemas["Role"];
export type Session = Schemas["Session"];
export type AuditEvent = Schemas["AuditEvent"];
export type MfaFactorList = Schemas["MfaFactorList"];
export type Identity = Schemas["Identity"];

export const client = new AuthdClient({
  baseUrl: location.origin,
  transport: "cookie",
  channelName: "authd-admin",
});

/** The signed-in operator and what their roles allow. */
export const caller: { user: User | null; permissions: Set<string>; roles: Role[] } = {
  user: null,
  permissions: new Set(),
  roles: [],
};

export function can(permission: "users:read" | "users:write" | "roles:assign"): boolean {
  return caller.permissions.has(permission);
}

/** What openapi-fetch resolves to. */
interface Outcome<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

function problemOf(error: unknown): AuthdError["problem"] {
  const p = error as AuthdError["problem"];
  return p && typeof p.code === "string" && typeof p.status === "number" ? p : undefined;
}

function bearer(): Record<string, string> {
  const token = client.tokens?.access_token;
  return token ? { Authorization: `Bearer ${token}` } : {};
}

/**
 * One admin call with the access token; after a 401 about the token
 * (`token_expired`, `unauthorized`) the pair is refreshed once from the
 * cookie and the call made once more. Any other answer >= 400 throws
 * `AuthdError` with the problem.
 */
export async function call<T>(run: (headers: Record<string, string>) => Promise<Outcome<T>>): Promise<T> {
  let outcome = await run(bearer());
  const code = problemOf(outcome.error)?.code;
  if (outcome.response.status === 401 && (code === undefined || code === "token_expired" || code === "unauthorized")) {
    await client.refresh();
    outcome = await run(bearer());
  }
  if (!outcome.response.ok) {
    const problem = problemOf(outcome.error);
    throw new AuthdError(outcome.response.status, problem, `authd answered ${outcome.response.status}`);
  }
  return outcome.data as T;
}

/** Reads the caller and their permissions (`GET /v1/me`, `GET /v1/admin/roles`). */
export async function loadCaller(): Promise<void> {
  caller.user = await client.me();
  caller.permissions = new Set();
  caller.roles = [];
  try {
    const { roles } = await call((headers) => client.api.GET("/v1/admin/roles", { headers }));
    caller.roles = roles;
    for (const role of roles) {
      if (caller.user.roles.includes(role.name)) for (const p of role.permissions) caller.permissions.add(p);
    }
  } catch (err) {
    // 403: no users:read, so no console; anything else is worth showing.
    if (!(err instanceof AuthdError && err.status === 403)) throw err;
  }
}

/** What an operator is told, by the problem's code. */
const EXPLAINED: Record<string, string> = {
  invalid_credentials: "Wrong email or password.",
  invalid_mfa_code: "That code is not right.",
  account_locked: "Too many wrong tries: sign-in for this address is locked for a while.",
  account_disabled: "This account is disabled.",
  email_not_verified: "This account's email address is not verified yet.",
  rate_limited: "Too many attempts. Wait a moment and try again.",
  invalid_token: "The sign-in step expired. Start again.",
  mfa_required: "This needs a session signed in with a second factor (sign out, then in with your code).",
  conflict: "Refused: no change may leave the service without an enabled admin.",
  forbidden: "Your roles do not allow this.",
  not_found: "Not found (it may have been removed meanwhile).",
};

export function explain(error: unknown): string {
  if (error instanceof AuthdError) {
    const fields = error.problem?.errors ? Object.values(error.problem.errors).flat().join("; ") : "";
    const text = (error.code && EXPLAINED[error.code]) || error.problem?.detail || error.message;
    return fields ? `${text} (${fields})` : text;
  }
  return String(error instanceof Error ? error.message : error);
}

export function codeOf(error: unknown): string | undefined {
  return error instanceof AuthdError ? error.code : undefined;
}

/** Emails of user ids already looked up (ids of deleted users map to null). */
const emails = new Map<string, string | null>();

/**
 * The email of each id (at most 50 new lookups at once), for showing
 * people instead of UUIDs. An id whose user is gone stays unnamed.
 */
export async function emailsOf(ids: Iterable<string | null | undefined>): Promise<Map<string, string | null>> {
  const wanted = [...new Set([...ids].filter((id): id is string => !!id))];
  const missing = wanted.filter((id) => !emails.has(id)).slice(0, 50);
  await Promise.all(
    missing.map(async (id) => {
      try {
        const user = await call((headers) => client.api.GET("/v1/admin/users/{id}", { headers, params: { path: { id } } }));
        emails.set(id, user.email);
      } catch {
        emails.set(id, null);
      }
    }),
  );
  return emails;
}
