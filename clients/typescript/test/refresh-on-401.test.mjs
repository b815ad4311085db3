// The wrapper's refresh-once-and-retry-once behaviour, against a running authd.
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { AuthdClient, AuthdError } from "@authd/client";
import { PASSWORD, baseUrl, newVerifiedUser, rawMeStatus, recordingFetch } from "./support.mjs";

/** A pair whose access token the server rejects (bad signature), refresh token intact. */
function withBrokenAccessToken(pair) {
  const [header, payload] = pair.access_token.split(".");
  return { ...pair, access_token: `${header}.${payload}.AAAA` };
}

describe("AuthdClient refresh on 401", () => {
  it("me() with an invalid access token refreshes once and retries once", async () => {
    const rec = recordingFetch();
    const client = new AuthdClient({ baseUrl: baseUrl(), fetch: rec.fetch });
    const email = await newVerifiedUser(client, "retry");
    const pair = await client.login(email, PASSWORD);

    const broken = withBrokenAccessToken(pair);
    assert.equal(await rawMeStatus(broken.access_token), 401, "the broken token is really rejected");
    client.setTokens(broken);
    rec.calls.length = 0;

    const me = await client.me();
    assert.equal(me.email, email);
    assert.deepEqual(rec.calls, ["GET /v1/me", "POST /v1/auth/refresh", "GET /v1/me"]);
    assert.notEqual(client.tokens.access_token, broken.access_token);
    assert.notEqual(client.tokens.refresh_token, pair.refresh_token, "the refresh token rotated");
    await client.logout();
  });

  it("concurrent 401s share one refresh", async () => {
    const rec = recordingFetch();
    const client = new AuthdClient({ baseUrl: baseUrl(), fetch: rec.fetch });
    const email = await newVerifiedUser(client, "concurrent");
    client.setTokens(withBrokenAccessToken(await client.login(email, PASSWORD)));
    rec.calls.length = 0;

    const users = await Promise.all([client.me(), client.me(), client.me()]);
    assert.ok(users.every((u) => u.email === email));
    assert.equal(rec.calls.filter((c) => c === "POST /v1/auth/refresh").length, 1);
    await client.logout();
  });

  it("does not loop when the session is revoked: one refresh, then the 401 surfaces", async () => {
    const rec = recordingFetch();
    const client = new AuthdClient({ baseUrl: baseUrl(), fetch: rec.fetch });
    const email = await newVerifiedUser(client, "revoked");
    const pair = await client.login(email, PASSWORD);
    await client.logout();

    client.setTokens(pair); // a stale pair of the revoked session
    rec.calls.length = 0;
    await assert.rejects(client.me(), (err) => {
      assert.ok(err instanceof AuthdError);
      assert.equal(err.status, 401);
      return true;
    });
    assert.deepEqual(rec.calls, ["GET /v1/me", "POST /v1/auth/refresh"]);
    assert.equal(client.tokens, null, "a refused refresh forgets the pair");
  });

  it("login is never retried: a wrong password is one request and 401 invalid_credentials", async () => {
    const rec = recordingFetch();
    const client = new AuthdClient({ baseUrl: baseUrl(), fetch: rec.fetch });
    const email = await newVerifiedUser(client, "badpw");
    rec.calls.length = 0;
    await assert.rejects(client.login(email, "wrong-Password-42!"), (err) => {
      assert.ok(err instanceof AuthdError);
      assert.equal(err.status, 401);
      assert.equal(err.code, "invalid_credentials");
      return true;
    });
    assert.deepEqual(rec.calls, ["POST /v1/auth/login"]);
  });

  it("refresh is never retried: a refused refresh is one request", async () => {
    const rec = recordingFetch();
    const client = new AuthdClient({ baseUrl: baseUrl(), fetch: rec.fetch });
    const email = await newVerifiedUser(client, "badrefresh");
    const pair = await client.login(email, PASSWORD);
    client.setTokens({ ...pair, refresh_token: pair.access_token }); // an access token is no refresh token
    rec.calls.length = 0;
    await assert.rejects(client.refresh(), (err) => err instanceof AuthdError && err.status === 401);
    assert.deepEqual(rec.calls, ["POST /v1/auth/refresh"]);
  });

  // authd answers 401 token_expired for a valid but expired access token. The
  // running server's tokens live for minutes, so this drives the wrapper with
  // a scripted fetch: expired → refresh → retry.
  it("401 token_expired refreshes once and retries once", async () => {
    const pair = scriptedPair("old");
    const fresh = scriptedPair("new");
    const { calls, fetch } = scriptedFetch([
      [401, { type: "about:blank", title: "Unauthorized", status: 401, detail: "the token has expired", code: "token_expired" }],
      [200, fresh],
      [200, fresh.user],
    ]);
    const client = new AuthdClient({ baseUrl: "http://authd.invalid", fetch, tokens: pair });
    const me = await client.me();
    assert.equal(me.email, fresh.user.email);
    assert.deepEqual(calls, ["GET /v1/me Bearer old-access", "POST /v1/auth/refresh", "GET /v1/me Bearer new-access"]);
    assert.equal(client.tokens.access_token, "new-access");
  });

  it("a 401 with another code is not a reason to refresh", async () => {
    const { calls, fetch } = scriptedFetch([
      [401, { type: "about:blank", title: "Unauthorized", status: 401, detail: "no", code: "invalid_credentials" }],
    ]);
    const client = new AuthdClient({ baseUrl: "http://authd.invalid", fetch, tokens: scriptedPair("old") });
    await assert.rejects(client.me(), (err) => err instanceof AuthdError && err.code === "invalid_credentials");
    assert.deepEqual(calls, ["GET /v1/me Bearer old-access"]);
  });
});

/** A token pair for a scripted server (the wrapper never decodes tokens). */
function scriptedPair(tag) {
  return {
    access_token: `${tag}-access`,
    refresh_token: `${tag}-refresh`,
    token_type: "Bearer",
    expires_in: 900,
    refresh_expires_in: 2592000,
    user: {
      id: "0192f5b8-6c4e-7d3a-9a51-3f1c2b7e8d90",
      email: `${tag}@example.com`,
      email_verified: true,
      display_name: null,
      roles: ["viewer"],
      disabled: false,
      created_at: "2026-11-28T12:00:00Z",
      updated_at: "2026-11-28T12:00:00Z",
      last_login_at: null,
    },
  };
}

/** A fetch that answers from `script` in order and records each call. */
function scriptedFetch(script) {
  const calls = [];
  const fetch = async (request) => {
    const auth = request.headers.get("authorization");
    const path = new URL(request.url).pathname;
    calls.push(`${request.method} ${path}${auth ? ` ${auth}` : ""}`);
    const next = script.shift();
    assert.ok(next, `unexpected call ${request.method} ${path}`);
    const [status, body] = next;
    const type = status < 400 ? "application/json" : "application/problem+json";
    return new Response(JSON.stringify(body), { status, headers: { "content-type": type } });
  };
  return { calls, fetch };
}
