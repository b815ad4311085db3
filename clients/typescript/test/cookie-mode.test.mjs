// Cookie mode (API.md §10) against a scripted server: what the client sends,
// what it keeps, and the events it reports. The real cookie, CORS and the
// tabs are exercised in a browser by examples/spa/test/browser.test.mjs.
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { AuthdClient, AuthdError } from "@authd/client";

function user(tag) {
  return {
    id: "0192f5b8-6c4e-7d3a-9a51-3f1c2b7e8d90",
    email: `${tag}@example.com`,
    email_verified: true,
    display_name: null,
    roles: ["viewer"],
    disabled: false,
    created_at: "2026-11-28T12:00:00Z",
    updated_at: "2026-11-28T12:00:00Z",
    last_login_at: null,
  };
}

/** A cookie-mode pair: no refresh token in the body. */
function browserPair(tag) {
  return { access_token: `${tag}-access`, token_type: "Bearer", expires_in: 900, refresh_expires_in: 2592000, user: user(tag) };
}

const problem = (status, code) => ({ type: "about:blank", title: "x", status, detail: code, code });

/** Answers from `script` in order; records method, path, headers, credentials and body. */
function scriptedFetch(script) {
  const calls = [];
  const fetch = async (request) => {
    const body = await request.text();
    calls.push({
      call: `${request.method} ${new URL(request.url).pathname}`,
      transport: request.headers.get("x-authd-transport"),
      authorization: request.headers.get("authorization"),
      credentials: request.credentials,
      body,
    });
    const next = script.shift();
    assert.ok(next, `unexpected call ${request.method} ${request.url}`);
    const [status, answer] = next;
    if (status === 204) return new Response(null, { status });
    const type = status < 400 ? "application/json" : "application/problem+json";
    return new Response(JSON.stringify(answer), { status, headers: { "content-type": type } });
  };
  return { calls, fetch };
}

describe("AuthdClient cookie mode", () => {
  it("sends the transport header with credentials and never holds a refresh token", async () => {
    const { calls, fetch } = scriptedFetch([
      [200, browserPair("a")],
      [200, browserPair("b")],
    ]);
    const client = new AuthdClient({ baseUrl: "http://authd.invalid", fetch, transport: "cookie", channelName: "t1" });
    await client.login("a@example.com", "pw");
    assert.equal(client.tokens.access_token, "a-access");
    assert.equal(client.tokens.refresh_token, undefined);
    await client.refresh();
    assert.equal(client.tokens.access_token, "b-access");
    assert.deepEqual(calls.map((c) => c.call), ["POST /v1/auth/login", "POST /v1/auth/refresh"]);
    for (const c of calls) {
      assert.equal(c.transport, "cookie");
      assert.equal(c.credentials, "include");
    }
    assert.ok(!calls[1].body.includes("refresh_token"), calls[1].body);
    client.close();
  });

  it("after a reload (no access token) a 401 refreshes from the cookie once and retries once", async () => {
    const { calls, fetch } = scriptedFetch([
      [401, problem(401, "unauthorized")],
      [200, browserPair("c")],
      [200, user("c")],
    ]);
    const client = new AuthdClient({ baseUrl: "http://authd.invalid", fetch, transport: "cookie", channelName: "t2" });
    const me = await client.me();
    assert.equal(me.email, "c@example.com");
    assert.deepEqual(
      calls.map((c) => `${c.call} ${c.authorization ?? "-"}`),
      ["GET /v1/me -", "POST /v1/auth/refresh -", "GET /v1/me Bearer c-access"],
    );
    client.close();
  });

  it("a refused cookie refresh is not a loop: one refresh, the 401 surfaces, signed_out is reported", async () => {
    const { calls, fetch } = scriptedFetch([
      [401, problem(401, "token_expired")],
      [401, problem(401, "session_revoked")],
    ]);
    const client = new AuthdClient({
      baseUrl: "http://authd.invalid",
      fetch,
      transport: "cookie",
      channelName: "t3",
      tokens: browserPair("old"),
    });
    const events = [];
    client.onAuthStateChange((event) => events.push(event));
    await assert.rejects(client.me(), (err) => err instanceof AuthdError && err.status === 401);
    assert.deepEqual(calls.map((c) => c.call), ["GET /v1/me", "POST /v1/auth/refresh"]);
    assert.equal(client.tokens, null);
    assert.deepEqual(events, ["signed_out"]);
    client.close();
  });

  it("reports signed_in, token_refreshed and signed_out until unsubscribed", async () => {
    const { fetch } = scriptedFetch([
      [200, browserPair("a")],
      [200, browserPair("b")],
      [204],
      [200, browserPair("c")],
    ]);
    const client = new AuthdClient({ baseUrl: "http://authd.invalid", fetch, transport: "cookie", channelName: "t4" });
    const events = [];
    const unsubscribe = client.onAuthStateChange((event, tokens) => events.push([event, tokens?.access_token ?? null]));
    await client.login("a@example.com", "pw");
    await client.refresh();
    await client.logout();
    unsubscribe();
    await client.login("c@example.com", "pw");
    assert.deepEqual(events, [
      ["signed_in", "a-access"],
      ["token_refreshed", "b-access"],
      ["signed_out", null],
    ]);
    client.close();
  });

  it("another client on the same channel (another tab) receives the new access token, never a refresh token", async () => {
    const { fetch } = scriptedFetch([[200, { ...browserPair("x"), refresh_token: "must-not-travel" }]]);
    const tab1 = new AuthdClient({ baseUrl: "http://authd.invalid", fetch, transport: "cookie", channelName: "t5" });
    const tab2 = new AuthdClient({ baseUrl: "http://authd.invalid", fetch, transport: "cookie", channelName: "t5" });
    const heard = new Promise((resolve) => tab2.onAuthStateChange((event, tokens) => resolve([event, tokens])));
    await tab1.login("x@example.com", "pw");
    const [event, tokens] = await heard;
    assert.equal(event, "signed_in");
    assert.equal(tokens.access_token, "x-access");
    assert.equal(tokens.refresh_token, undefined);
    tab1.close();
    tab2.close();
  });
});
