// The one authd client of the app (cookie mode: the refresh token lives in
// an HttpOnly cookie no script can read; the access token only in memory).
import { AuthdClient, AuthdError, type Tokens } from "@authd/client";

export const AUTHD_URL: string = import.meta.env.VITE_AUTHD_URL ?? "http://localhost:8080";

export const client = new AuthdClient({ baseUrl: AUTHD_URL, transport: "cookie" });
// Exposed for the browser test (examples/spa/test/browser.test.mjs).
(window as unknown as { authd: AuthdClient }).authd = client;

/** What openapi-fetch resolves to. */
export interface Outcome<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

export function unwrap<T>(outcome: Outcome<T>): T {
  if (outcome.response.ok) return outcome.data as T;
  const problem = outcome.error as AuthdError["problem"];
  throw new AuthdError(outcome.response.status, problem?.code ? problem : undefined, `authd answered ${outcome.response.status}`);
}

/** A call with the access token; after a 401 one refresh and one retry. */
export async function authed<T>(call: (headers: Record<string, string>) => Promise<Outcome<T>>): Promise<T> {
  const bearer = () => ({ Authorization: `Bearer ${client.tokens?.access_token ?? ""}` });
  const first = await call(bearer());
  if (first.response.status !== 401) return unwrap(first);
  await client.refresh();
  return unwrap(await call(bearer()));
}

export function signedIn(): boolean {
  return client.tokens !== null;
}

export interface Claims {
  sub: string;
  amr?: string[];
  aal?: string;
  auth_time?: number;
}

/** The access token's claims (for showing the sign-in's strength, never for trust). */
export function claims(): Claims | null {
  const token = client.tokens?.access_token;
  if (!token) return null;
  try {
    const part = token.split(".")[1]!.replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(atob(part)) as Claims;
  } catch {
    return null;
  }
}

/** After an enrolment the session is `aal2` from its next refresh: take it now. */
export async function upgradeSession(): Promise<Tokens> {
  return client.refresh();
}
